"""The seeded artisans: 62 workshops in 43 towns of the province of Jaén, as onboarding events.

Every value is derived from the row below and the artisan's position, never from chance, so the same
events (same ids, same contents) come out on every run. Ids are UUID v5 of the artisan's slug.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from a4co_sdk.models import artisan, common

from .towns import PROVINCE, TOWNS, Town

__all__ = ["ARTISANS", "SeedArtisan", "artisan_id", "onboarding_event"]

ONBOARDED_FROM = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
CERTIFIED_FROM = datetime(2024, 1, 1, tzinfo=UTC)
CERTIFIED_UNTIL = datetime(2027, 12, 31, 22, 59, 59, tzinfo=UTC)

# Designations of origin of Jaén's olive oil, by town.
DOP = {
    **dict.fromkeys(("Bedmar", "Huelma", "Cambil", "Jódar", "Mancha Real"), ("Sierra Mágina", "SM")),
    **dict.fromkeys(("Cazorla", "Quesada", "Peal de Becerro", "Pozo Alcón"), ("Sierra de Cazorla", "SC")),
    **dict.fromkeys(("Beas de Segura", "Orcera", "Segura de la Sierra", "Siles"), ("Sierra de Segura", "SS")),
    **dict.fromkeys(
        ("Martos", "Porcuna", "Torredonjimeno", "Alcaudete", "Arjona", "Andújar", "Lopera", "Jamilena"),
        ("Campiñas de Jaén", "CJ"),
    ),
}


@dataclass(frozen=True, slots=True)
class SeedArtisan:
    slug: str
    business_name: str
    town: str
    categories: tuple[str, ...]
    owner: str
    founded: int
    specialty: str
    street: str

    @property
    def id(self) -> UUID:
        return artisan_id(self.slug)

    @property
    def place(self) -> Town:
        return TOWNS[self.town]


def artisan_id(slug: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"https://a4co.example/artisans/{slug}")


def _a(
    slug: str, name: str, town: str, categories: str, owner: str, founded: int, specialty: str, street: str
) -> SeedArtisan:
    return SeedArtisan(slug, name, town, tuple(categories.split()), owner, founded, specialty, street)


ARTISANS: tuple[SeedArtisan, ...] = (
    # Olive oil mills
    _a(
        "almazara-sierra-magina",
        "Almazara Sierra Mágina",
        "Bedmar",
        "olive-oil food",
        "Antonio Moreno Cruz",
        1962,
        "Picual de montaña molturada en frío en menos de cuatro horas",
        "Calle Cervantes 14",
    ),
    _a(
        "oleicola-campina-martos",
        "Oleícola Campiña de Martos",
        "Martos",
        "olive-oil",
        "Carmen Ortega Lara",
        1978,
        "Picual de la campiña a los pies de la Peña de Martos",
        "Avenida de los Olivares 3",
    ),
    _a(
        "aceites-cazorla-verde",
        "Aceites Cazorla Verde",
        "Cazorla",
        "olive-oil",
        "Manuel Serrano Ruiz",
        1995,
        "Royal de Cazorla, la variedad autóctona de la sierra",
        "Calle Hilario Marco 22",
    ),
    _a(
        "almazara-loma-baeza",
        "Almazara La Loma de Baeza",
        "Baeza",
        "olive-oil",
        "Francisco Navarro Gil",
        1951,
        "Aceites de la Loma con más de setenta campañas",
        "Carretera de Úbeda 5",
    ),
    _a(
        "cortijo-el-madronal",
        "Cortijo El Madroñal",
        "Huelma",
        "olive-oil food",
        "Rosa Jiménez Palomo",
        2004,
        "Olivar ecológico de secano y conservas caseras",
        "Cortijo El Madroñal s/n",
    ),
    _a(
        "aceites-torre-porcuna",
        "Aceites Torre de Porcuna",
        "Porcuna",
        "olive-oil",
        "José Luis Castro Morales",
        1988,
        "Picual y Hojiblanca de la campiña ibérica",
        "Calle Torre de Boabdil 9",
    ),
    _a(
        "almazara-san-juan-quesada",
        "Almazara San Juan de Quesada",
        "Quesada",
        "olive-oil",
        "Dolores Rubio Fernández",
        1967,
        "Cooperativa de olivareros del valle del Guadiana Menor",
        "Calle San Juan 31",
    ),
    _a(
        "oro-de-segura",
        "Oro de Segura",
        "Beas de Segura",
        "olive-oil",
        "Alberto Martos Romero",
        2010,
        "Aceites de altura de la Sierra de Segura",
        "Paseo de la Fuente 7",
    ),
    _a(
        "almazara-virgen-cabeza",
        "Almazara Virgen de la Cabeza",
        "Andújar",
        "olive-oil",
        "Pilar Medina Sánchez",
        1983,
        "Aceites de la vega del Guadalquivir",
        "Camino de la Sierra 12",
    ),
    _a(
        "olivar-de-jodar",
        "Cooperativa Olivar de Jódar",
        "Jódar",
        "olive-oil",
        "Miguel Ángel Cobo Ruiz",
        1959,
        "Picual de Sierra Mágina recogida en verde",
        "Avenida de Andalucía 40",
    ),
    _a(
        "aceites-mancha-real",
        "Aceites Mancha Real",
        "Mancha Real",
        "olive-oil",
        "Encarnación Molina Pérez",
        1999,
        "Coupages de Picual y Arbequina",
        "Calle Llana 18",
    ),
    _a(
        "almazara-torredonjimeno",
        "Almazara de Torredonjimeno",
        "Torredonjimeno",
        "olive-oil food",
        "Rafael Cruz Expósito",
        1972,
        "Aceite de campiña y aceitunas de mesa aliñadas",
        "Calle Fuente Alta 6",
    ),
    _a(
        "aceites-sierra-orcera",
        "Aceites Sierra de Orcera",
        "Orcera",
        "olive-oil",
        "Juana Gallego Martín",
        2008,
        "Pequeña almazara familiar en el corazón de la sierra",
        "Calle Mayor 4",
    ),
    _a(
        "almazara-el-alcazar",
        "Almazara El Alcázar",
        "Alcaudete",
        "olive-oil",
        "Ignacio Vílchez Aguilera",
        1990,
        "Aceites de la Sierra Sur junto al castillo calatravo",
        "Calle Llana del Castillo 2",
    ),
    _a(
        "picual-villacarrillo",
        "Picual de Villacarrillo",
        "Villacarrillo",
        "olive-oil",
        "Beatriz Torres Ramírez",
        2001,
        "Picual de Las Villas con cosecha temprana",
        "Calle Feria 25",
    ),
    _a(
        "aceites-de-lopera",
        "Aceites de Lopera",
        "Lopera",
        "olive-oil",
        "Andrés Lara Villar",
        1986,
        "Olivares centenarios entre viñedos",
        "Calle Calvario 11",
    ),
    # Ceramics
    _a(
        "alfar-san-millan",
        "Alfar San Millán",
        "Úbeda",
        "ceramics",
        "Pablo Tito Martínez",
        1890,
        "Cerámica verde vidriada del barrio alfarero de San Millán",
        "Calle Valencia 22",
    ),
    _a(
        "alfareria-cuesta-de-la-merced",
        "Alfarería Cuesta de la Merced",
        "Úbeda",
        "ceramics",
        "Lucía Almagro Gómez",
        1932,
        "Piezas de barro vidriado con motivos nazaríes",
        "Cuesta de la Merced 8",
    ),
    _a(
        "ceramica-artistica-bailen",
        "Cerámica Artística de Bailén",
        "Bailén",
        "ceramics",
        "Javier Alcalá Ortiz",
        1965,
        "Barro rojo de Bailén torneado a mano",
        "Calle Zaragoza 30",
    ),
    _a(
        "barros-de-andujar",
        "Barros de Andújar",
        "Andújar",
        "ceramics",
        "Marta Pulido Linares",
        1948,
        "Cerámica con el azul cobalto tradicional de Andújar",
        "Calle Alfareros 17",
    ),
    _a(
        "alfar-la-carolina",
        "Alfar La Carolina",
        "La Carolina",
        "ceramics",
        "Sergio Gámez Valero",
        1997,
        "Cerámica de las Nuevas Poblaciones de Sierra Morena",
        "Calle Madrid 9",
    ),
    _a(
        "ceramica-vidriada-arjona",
        "Cerámica Vidriada de Arjona",
        "Arjona",
        "ceramics",
        "Elena Cano Fuentes",
        1975,
        "Vidriados melados y piezas de cocina",
        "Calle Santos Bonoso y Maximiano 3",
    ),
    _a(
        "taller-ceramica-sabiote",
        "Taller de Cerámica Sabiote",
        "Sabiote",
        "ceramics",
        "Tomás Padilla Jurado",
        2012,
        "Cerámica contemporánea en un pueblo renacentista",
        "Calle Castillo 5",
    ),
    _a(
        "tejares-de-bailen",
        "Tejares de Bailén",
        "Bailén",
        "ceramics",
        "Antonia Checa Rivas",
        1960,
        "Barro cocido para casa y jardín",
        "Polígono Los Tejares 14",
    ),
    _a(
        "ceramicas-del-condado",
        "Cerámicas del Condado",
        "Santisteban del Puerto",
        "ceramics",
        "Ramón Benítez Lozano",
        1981,
        "Loza pintada con motivos del Condado",
        "Plaza Mayor 2",
    ),
    _a(
        "alfar-linares",
        "Alfar de Linares",
        "Linares",
        "ceramics",
        "Inmaculada Ríos Moya",
        2006,
        "Cerámica inspirada en la minería de Linares",
        "Calle Isaac Peral 19",
    ),
    _a(
        "alfar-banos-encina",
        "Alfar de Baños de la Encina",
        "Baños de la Encina",
        "ceramics",
        "Victoria Del Moral Sáez",
        2015,
        "Cerámica a la sombra del castillo califal",
        "Calle Trinidad 6",
    ),
    # Textiles
    _a(
        "telares-de-baeza",
        "Telares de Baeza",
        "Baeza",
        "textiles",
        "Isabel Quesada Ruiz",
        1958,
        "Mantas y tejidos de lana en telar de pedales",
        "Calle San Pablo 27",
    ),
    _a(
        "jarapas-de-ubeda",
        "Jarapas de Úbeda",
        "Úbeda",
        "textiles",
        "Francisca Hidalgo López",
        1969,
        "Jarapas alpujarreñas tejidas con retales de algodón",
        "Calle Real 41",
    ),
    _a(
        "bordados-torreperogil",
        "Bordados de Torreperogil",
        "Torreperogil",
        "textiles",
        "Ana María Sola Ruiz",
        1984,
        "Mantelería bordada a mano",
        "Calle Santa María 12",
    ),
    _a(
        "esparto-y-lana-segura",
        "Esparto y Lana de Segura",
        "Segura de la Sierra",
        "textiles wood",
        "Juan Fernández Lorite",
        1979,
        "Esparto trenzado y lana de oveja segureña",
        "Calle Castillo 1",
    ),
    _a(
        "taller-textil-alcala",
        "Taller Textil Alcalá",
        "Alcalá la Real",
        "textiles",
        "Raquel Aguilera Mesa",
        2011,
        "Tejidos de lino y algodón teñidos con plantas",
        "Calle Abad Moya 8",
    ),
    _a(
        "mantas-de-villanueva",
        "Mantas de Villanueva",
        "Villanueva del Arzobispo",
        "textiles",
        "Gregorio Tamayo Cózar",
        1946,
        "Mantas de lana de las Villas",
        "Calle Cronista Sevilla 3",
    ),
    _a(
        "encajes-de-linares",
        "Encajes de Linares",
        "Linares",
        "textiles",
        "María José Pancorbo Díaz",
        1992,
        "Encaje de bolillos y bordado en blanco",
        "Calle Corredera de San Marcos 10",
    ),
    _a(
        "hilaturas-de-jaen",
        "Hilaturas de Jaén",
        "Jaén",
        "textiles",
        "Clara Montiel Robles",
        2016,
        "Textil de casa con diseños de la Catedral de Jaén",
        "Calle Maestra 15",
    ),
    _a(
        "lanas-de-siles",
        "Lanas de Siles",
        "Siles",
        "textiles",
        "Eusebio Olivares Martínez",
        1973,
        "Lana cardada e hilada en la Sierra de Segura",
        "Calle Nueva 9",
    ),
    # Wood
    _a(
        "madera-olivo-cambil",
        "Madera de Olivo Cambil",
        "Cambil",
        "wood",
        "Diego Anguita Lendínez",
        1987,
        "Utensilios de cocina de madera de olivo de poda",
        "Calle Arco 4",
    ),
    _a(
        "carpinteria-sabiote",
        "Carpintería Artesana de Sabiote",
        "Sabiote",
        "wood",
        "Luis Mengíbar Cano",
        1966,
        "Ebanistería tradicional y tallas",
        "Calle Mayor 33",
    ),
    _a(
        "tallas-de-cazorla",
        "Tallas de Cazorla",
        "Cazorla",
        "wood",
        "Mercedes Ruiz Valenzuela",
        1993,
        "Tallas en madera de pino laricio de la sierra",
        "Plaza de Santa María 6",
    ),
    _a(
        "olivo-torneado-martos",
        "Olivo Torneado de Martos",
        "Martos",
        "wood",
        "Fernando Chica Ocaña",
        2003,
        "Cuencos y bandejas torneados en olivo",
        "Calle Real 60",
    ),
    _a(
        "ebanisteria-del-condado",
        "Ebanistería del Condado",
        "Navas de San Juan",
        "wood",
        "Esteban Parras Colomo",
        1977,
        "Cajas y muebles pequeños de madera noble",
        "Calle Pilar 2",
    ),
    _a(
        "madera-orcera",
        "Artesanía en Madera Orcera",
        "Orcera",
        "wood",
        "Rocío Segura Tallante",
        2009,
        "Juguetes y menaje de madera de la sierra",
        "Calle Alta 12",
    ),
    _a(
        "torneros-de-vilches",
        "Torneros de Vilches",
        "Vilches",
        "wood",
        "Cristóbal Lozano Higueras",
        1981,
        "Torneado de olivo y encina",
        "Calle Humilladero 7",
    ),
    _a(
        "madera-forja-iznatoraf",
        "Madera y Forja Iznatoraf",
        "Iznatoraf",
        "wood",
        "Agustín Romero Nieto",
        1998,
        "Madera de olivo con herrajes de forja",
        "Calle Cantarranas 5",
    ),
    # Leather
    _a(
        "guarnicioneria-ubeda",
        "Guarnicionería Úbeda",
        "Úbeda",
        "leather",
        "Manuel Blanco Ortega",
        1920,
        "Guarnicionería y talabartería de tradición ecuestre",
        "Calle Corredera de San Fernando 18",
    ),
    _a(
        "talabarteria-de-jaen",
        "Talabartería de Jaén",
        "Jaén",
        "leather",
        "Sonia Valdivia Ruiz",
        1985,
        "Cinturones y bolsos de cuero curtido al vegetal",
        "Calle Bernabé Soriano 21",
    ),
    _a(
        "cueros-alcala-real",
        "Cueros de Alcalá la Real",
        "Alcalá la Real",
        "leather",
        "Jesús Castillo Aranda",
        1971,
        "Marroquinería junto a la Fortaleza de la Mota",
        "Calle Real 5",
    ),
    _a(
        "marroquineria-baeza",
        "Marroquinería Baeza",
        "Baeza",
        "leather",
        "Laura Arroyo Villena",
        2007,
        "Piel de primera calidad cosida a mano",
        "Calle Barbacana 13",
    ),
    _a(
        "boteria-valdepenas",
        "Botería de Valdepeñas",
        "Valdepeñas de Jaén",
        "leather",
        "Pedro Soriano Cuesta",
        1955,
        "Botas de vino de cuero y pez",
        "Calle Ramón y Cajal 8",
    ),
    _a(
        "piel-de-mengibar",
        "Piel de Mengíbar",
        "Mengíbar",
        "leather",
        "Nuria Cabrera Fuentes",
        2014,
        "Accesorios de piel con diseño actual",
        "Calle Cervantes 26",
    ),
    _a(
        "guarnicioneria-pozo-alcon",
        "Guarnicionería Pozo Alcón",
        "Pozo Alcón",
        "leather",
        "Vicente Campos Teruel",
        1968,
        "Arreos y alforjas para la sierra",
        "Calle Albaicín 3",
    ),
    # Food
    _a(
        "queseria-sierra-sur",
        "Quesería Sierra Sur",
        "Castillo de Locubín",
        "food",
        "Remedios Quero Serrano",
        1999,
        "Quesos de cabra de la Sierra Sur",
        "Carretera de Alcalá 2",
    ),
    _a(
        "mieles-de-segura",
        "Mieles de Segura",
        "Siles",
        "food",
        "Julián Marín Sánchez",
        1983,
        "Miel de romero y de bosque de la Sierra de Segura",
        "Paraje La Fresnedilla s/n",
    ),
    _a(
        "obrador-ochios-ubeda",
        "Obrador de Ochíos de Úbeda",
        "Úbeda",
        "food",
        "Rosario García Bueno",
        1961,
        "Ochíos, roscos y dulces de horno de leña",
        "Calle Cava 4",
    ),
    _a(
        "dulces-convento-baeza",
        "Dulces del Convento de Baeza",
        "Baeza",
        "food",
        "Hermanas Clarisas de Baeza",
        1610,
        "Repostería conventual de receta antigua",
        "Calle Santa Catalina 1",
    ),
    _a(
        "conservas-de-jaen",
        "Conservas de Jaén",
        "Jaén",
        "food olive-oil",
        "Alejandro Expósito Moral",
        2013,
        "Conservas y patés en aceite de oliva virgen extra",
        "Polígono Los Olivares 40",
    ),
    _a(
        "embutidos-los-villares",
        "Embutidos de Los Villares",
        "Los Villares",
        "food",
        "Francisco Ocaña Díaz",
        1974,
        "Chorizo y salchichón de matanza tradicional",
        "Calle Llana 10",
    ),
    _a(
        "bodega-torreperogil",
        "Bodega de Torreperogil",
        "Torreperogil",
        "food",
        "Antonio Gámez Tirado",
        1950,
        "Vinos de la tierra de la Loma",
        "Calle Bodegas 3",
    ),
    _a(
        "huerta-de-frailes",
        "Huerta de Frailes",
        "Frailes",
        "food",
        "Carmen Aranda Pérez",
        2005,
        "Frutas en almíbar y mermeladas del valle",
        "Calle Fuente Nueva 2",
    ),
    _a(
        "quesos-de-peal",
        "Quesos de Peal",
        "Peal de Becerro",
        "food",
        "Martín Cuadros Amezcua",
        1994,
        "Quesos de oveja segureña",
        "Calle Gracia 15",
    ),
    _a(
        "almendras-de-jamilena",
        "Almendras de Jamilena",
        "Jamilena",
        "food",
        "Josefa Ocaña Espejo",
        1988,
        "Almendras y turrones artesanos",
        "Calle Nueva 21",
    ),
    _a(
        "panaderia-marmolejo",
        "Panadería de Marmolejo",
        "Marmolejo",
        "food",
        "Emilio Carrasco Luna",
        1939,
        "Pan de aceite y dulces de horno moruno",
        "Calle Corredera 30",
    ),
)


def _number(seed: str, low: int, high: int) -> int:
    """A number in [low, high] fixed by `seed`."""
    digest = int(hashlib.sha256(seed.encode()).hexdigest()[:12], 16)
    return low + digest % (high - low + 1)


def _cif(index: int) -> str:
    """A CIF of a Jaén company (B, province 23) with its control digit."""
    digits = f"23{index:05d}"
    odd = sum(sum(map(int, str(int(d) * 2))) for d in digits[0::2])
    even = sum(int(d) for d in digits[1::2])
    return f"B{digits}{(10 - (odd + even) % 10) % 10}"


def _certifications(seed: SeedArtisan, index: int) -> list[artisan.Certification]:
    certifications = []
    if "olive-oil" in seed.categories and seed.town in DOP:
        zone, code = DOP[seed.town]
        certifications.append(
            artisan.Certification(
                name=f"DOP {zone}",
                issuer=f"Consejo Regulador DOP {zone}",
                type=artisan.CertificationType.PROTECTED_DESIGNATION_OF_ORIGIN,
                certificate_number=f"{code}-{_number(seed.slug, 100, 999):04d}",
                valid_from=CERTIFIED_FROM,
                valid_until=CERTIFIED_UNTIL,
            )
        )
    if ("olive-oil" in seed.categories or "food" in seed.categories) and index % 3 == 0:
        certifications.append(
            artisan.Certification(
                name="Agricultura ecológica",
                issuer="Comité Andaluz de Agricultura Ecológica (CAAE)",
                type=artisan.CertificationType.ORGANIC,
                certificate_number=f"CAAE-{_number(seed.slug + 'eco', 1000, 9999)}",
                valid_from=CERTIFIED_FROM,
                valid_until=CERTIFIED_UNTIL,
            )
        )
    if "food" in seed.categories or "olive-oil" in seed.categories:
        certifications.append(
            artisan.Certification(
                name="Registro General Sanitario de Empresas Alimentarias",
                issuer="Agencia Española de Seguridad Alimentaria y Nutrición",
                type=artisan.CertificationType.FOOD_SAFETY,
                certificate_number=f"RGSEAA-{_number(seed.slug + 'rs', 10000, 99999)}/J",
                valid_from=CERTIFIED_FROM,
            )
        )
    if {"ceramics", "textiles", "wood", "leather"} & set(seed.categories):
        certifications.append(
            artisan.Certification(
                name="Registro de Artesanos de Andalucía",
                issuer="Junta de Andalucía",
                type=artisan.CertificationType.CRAFT_REGISTRY,
                certificate_number=f"RAA-23-{_number(seed.slug + 'raa', 100, 9999):04d}",
                valid_from=CERTIFIED_FROM,
            )
        )
    return certifications


def onboarding_event(seed: SeedArtisan, index: int) -> artisan.ArtisanOnboardingCompleted:
    """The `artisan.onboarding.completed.v1` the artisan service published when `seed` finished onboarding."""
    town = seed.place
    # Workshops sit around the town centre (within about 700 m), not all on one point.
    d_lat = (_number(seed.slug + "lat", 0, 1200) - 600) / 100_000
    d_lon = (_number(seed.slug + "lon", 0, 1200) - 600) / 100_000
    fragile = "ceramics" in seed.categories
    return artisan.ArtisanOnboardingCompleted(
        artisan_id=seed.id,
        business_info=artisan.BusinessInfo(
            business_name=seed.business_name,
            legal_name=f"{seed.business_name} S.L.",
            tax_id=_cif(index + 1),
            description=(
                f"{seed.specialty}. Taller fundado en {seed.founded} en {seed.town} ({town.comarca})."
            ),
            town=seed.town,
            province=PROVINCE,
            location=common.GeoPoint(
                latitude=round(town.latitude + d_lat, 5), longitude=round(town.longitude + d_lon, 5)
            ),
            address=common.Address(
                recipient_name=seed.business_name,
                street=seed.street,
                postal_code=town.postal_code,
                city=seed.town,
                province=PROVINCE,
                country="ES",
                location=common.GeoPoint(latitude=town.latitude, longitude=town.longitude),
            ),
            phone=f"+34953{_number(seed.slug + 'tel', 100000, 999999)}",
            email=f"hola@{seed.slug}.example",
            website=f"https://{seed.slug}.example",
            founded_year=seed.founded if seed.founded >= 1500 else None,
        ),
        certifications=_certifications(seed, index),
        product_categories=[common.ProductCategory(c) for c in seed.categories],
        delivery_capabilities=artisan.DeliveryCapabilities(
            ships_nationwide=index % 7 != 3,
            local_pickup=True,
            delivery_radius_km=float(_number(seed.slug + "radius", 20, 80)),
            average_preparation_days=_number(seed.slug + "prep", 1, 5),
            monthly_capacity_units=_number(seed.slug + "cap", 20, 200) * 10,
            max_parcel_weight_kg=20.0 if not fragile else 12.0,
            fragile_handling=fragile,
        ),
        completed_at=ONBOARDED_FROM + timedelta(hours=index * 7),
        onboarding_score=float(_number(seed.slug + "score", 68, 98)),
    )
