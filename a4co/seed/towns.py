"""Towns of the province of Jaén where the seeded artisans work: coordinates (WGS 84) and postal codes.

Coordinates are those of each town's centre (its main square or town hall), to four decimals (about
ten metres), as published for the municipalities; postal codes are the town's main one.
"""

from dataclasses import dataclass

__all__ = ["PROVINCE", "TOWNS", "Town"]

PROVINCE = "Jaén"


@dataclass(frozen=True, slots=True)
class Town:
    name: str
    latitude: float
    longitude: float
    postal_code: str
    comarca: str


TOWNS: dict[str, Town] = {
    town.name: town
    for town in (
        Town("Jaén", 37.7796, -3.7849, "23001", "Metropolitana de Jaén"),
        Town("Úbeda", 38.0131, -3.3708, "23400", "La Loma"),
        Town("Baeza", 37.9936, -3.4708, "23440", "La Loma"),
        Town("Cazorla", 37.9146, -3.0031, "23470", "Sierra de Cazorla"),
        Town("Bedmar", 37.8210, -3.4130, "23537", "Sierra Mágina"),
        Town("Andújar", 38.0392, -4.0506, "23740", "Campiña Norte"),
        Town("Martos", 37.7214, -3.9706, "23600", "Sierra Sur"),
        Town("Alcalá la Real", 37.4614, -3.9236, "23680", "Sierra Sur"),
        Town("Linares", 38.0950, -3.6360, "23700", "Condado-Campiña Norte"),
        Town("Bailén", 38.0939, -3.7764, "23710", "Campiña Norte"),
        Town("Torredonjimeno", 37.7672, -3.9575, "23650", "Campiña Sur"),
        Town("Porcuna", 37.8706, -4.1847, "23790", "Campiña Norte"),
        Town("Quesada", 37.8450, -3.0686, "23480", "Sierra de Cazorla"),
        Town("Villacarrillo", 38.1156, -3.0858, "23300", "Las Villas"),
        Town("Mancha Real", 37.7864, -3.6119, "23100", "Sierra Mágina"),
        Town("Huelma", 37.6461, -3.4536, "23560", "Sierra Mágina"),
        Town("Cambil", 37.6800, -3.5653, "23120", "Sierra Mágina"),
        Town("Sabiote", 38.0697, -3.3133, "23410", "La Loma"),
        Town("La Carolina", 38.2761, -3.6153, "23200", "Sierra Morena"),
        Town("Segura de la Sierra", 38.2986, -2.6536, "23379", "Sierra de Segura"),
        Town("Arjona", 37.9353, -4.0569, "23760", "Campiña Norte"),
        Town("Alcaudete", 37.5917, -4.0833, "23660", "Sierra Sur"),
        Town("Jódar", 37.8403, -3.3533, "23500", "Sierra Mágina"),
        Town("Beas de Segura", 38.2528, -2.8914, "23280", "Sierra de Segura"),
        Town("Orcera", 38.3183, -2.6619, "23370", "Sierra de Segura"),
        Town("Santisteban del Puerto", 38.2486, -3.2064, "23250", "El Condado"),
        Town("Torreperogil", 38.0339, -3.2878, "23320", "La Loma"),
        Town("Villanueva del Arzobispo", 38.1689, -3.0072, "23330", "Las Villas"),
        Town("Castillo de Locubín", 37.5292, -3.9439, "23670", "Sierra Sur"),
        Town("Valdepeñas de Jaén", 37.5886, -3.8147, "23150", "Sierra Sur"),
        Town("Mengíbar", 37.9694, -3.8083, "23620", "Campiña Norte"),
        Town("Peal de Becerro", 37.9139, -3.1217, "23460", "Sierra de Cazorla"),
        Town("Navas de San Juan", 38.1811, -3.3178, "23240", "El Condado"),
        Town("Siles", 38.3889, -2.5806, "23380", "Sierra de Segura"),
        Town("Pozo Alcón", 37.7044, -2.9347, "23485", "Sierra de Cazorla"),
        Town("Los Villares", 37.6889, -3.8225, "23160", "Metropolitana de Jaén"),
        Town("Jamilena", 37.7458, -3.9119, "23658", "Campiña Sur"),
        Town("Frailes", 37.4856, -3.8361, "23690", "Sierra Sur"),
        Town("Marmolejo", 38.0458, -4.1706, "23770", "Campiña Norte"),
        Town("Vilches", 38.2064, -3.5103, "23220", "Sierra Morena"),
        Town("Iznatoraf", 38.1567, -3.0353, "23338", "Las Villas"),
        Town("Lopera", 37.9442, -4.2147, "23780", "Campiña Norte"),
        Town("Baños de la Encina", 38.1733, -3.7747, "23711", "Sierra Morena"),
    )
}
