"""The seeded catalogue: about nine products per artisan (over 500), as listing events.

Each category has a list of product lines (name, unit, price, content); each artisan offers the lines of
its categories, in its own order and with its own varieties, sizes and prices. Stock and thresholds are
fixed by the product's SKU, so the same catalogue comes out on every run. Ids are UUID v5 of the SKU.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from a4co_sdk.models import common, product

from .artisans import ARTISANS, DOP, SeedArtisan

__all__ = ["PRODUCTS_PER_ARTISAN", "SeedProduct", "listing_events", "product_id", "seed_products"]

PRODUCTS_PER_ARTISAN = 9
LISTED_FROM = datetime(2026, 10, 1, 7, 0, tzinfo=UTC)
CDN = "https://cdn.a4co.example/p"


@dataclass(frozen=True, slots=True)
class Line:
    """A product line of a category: `{variant}` in the texts is filled per artisan."""

    code: str
    name: str
    unit: str
    price: str
    weight: float
    tags: tuple[str, ...]
    attributes: tuple[tuple[str, str], ...]
    headline: str
    story: str
    care: str
    pairing: str | None = None


def _line(
    code: str,
    name: str,
    unit: str,
    price: str,
    weight: float,
    tags: str,
    attributes: tuple[tuple[str, str], ...],
    headline: str,
    story: str,
    care: str,
    pairing: str | None = None,
) -> Line:
    return Line(
        code, name, unit, price, weight, tuple(tags.split(",")), attributes, headline, story, care, pairing
    )


OIL_CARE = "Guárdalo en un lugar fresco y oscuro, lejos del calor, y consúmelo antes de 18 meses."

LINES: dict[str, tuple[Line, ...]] = {
    "olive-oil": (
        _line(
            "AOVE500",
            "Aceite de oliva virgen extra {variety} 500 ml",
            "botella 500 ml",
            "9.80",
            0.9,
            "aove,{variety},aceite,jaén",
            (("Variedad", "{variety}"), ("Capacidad", "500 ml"), ("Acidez", "0,2º")),
            "El {variety} de {town} en tu mesa",
            "Aceituna {variety} recogida en octubre en los olivares de {town} "
            "y molturada en menos de cuatro horas.",
            OIL_CARE,
            "Tostada de pan, tomate rallado y una pizca de sal.",
        ),
        _line(
            "AOVE250",
            "Aceite de oliva virgen extra {variety} 250 ml",
            "botella 250 ml",
            "5.90",
            0.5,
            "aove,{variety},aceite,regalo",
            (("Variedad", "{variety}"), ("Capacidad", "250 ml")),
            "Un cuarto de litro de {variety} para probarlo",
            "Formato pequeño del aceite de {town}, ideal para descubrir la variedad {variety}.",
            OIL_CARE,
            "Ensaladas de hoja verde y quesos frescos.",
        ),
        _line(
            "AOVE1L",
            "Aceite de oliva virgen extra {variety} 1 l",
            "botella 1 l",
            "15.50",
            1.6,
            "aove,{variety},aceite",
            (("Variedad", "{variety}"), ("Capacidad", "1 l")),
            "Un litro de {variety} para el día a día",
            "El aceite de cada día en {town}: frutado, con el amargor y el picor justos.",
            OIL_CARE,
            "Guisos, asados y frituras.",
        ),
        _line(
            "AOVE2L",
            "Aceite de oliva virgen extra {variety}, lata 2 l",
            "lata 2 l",
            "21.90",
            2.3,
            "aove,{variety},lata",
            (("Variedad", "{variety}"), ("Capacidad", "2 l"), ("Envase", "Lata")),
            "La lata que protege el aceite de la luz",
            "Lata de dos litros de {variety}: el envase que mejor conserva el aceite en casa.",
            OIL_CARE,
        ),
        _line(
            "AOVE5L",
            "Aceite de oliva virgen extra {variety}, garrafa 5 l",
            "garrafa 5 l",
            "44.00",
            5.4,
            "aove,{variety},garrafa,familia",
            (("Variedad", "{variety}"), ("Capacidad", "5 l")),
            "Cinco litros para toda la familia",
            "El aceite de la campaña en garrafa, como se compra en la almazara de {town}.",
            OIL_CARE,
        ),
        _line(
            "ECO500",
            "Aceite de oliva virgen extra ecológico {variety} 500 ml",
            "botella 500 ml",
            "12.50",
            0.9,
            "aove,ecológico,{variety}",
            (("Variedad", "{variety}"), ("Cultivo", "Ecológico")),
            "Olivar ecológico, sin química de síntesis",
            "De olivos cultivados en ecológico alrededor de {town}, con cubierta vegetal todo el año.",
            OIL_CARE,
            "Verduras a la plancha.",
        ),
        _line(
            "TEMP500",
            "Aceite de cosecha temprana {variety} 500 ml",
            "botella 500 ml",
            "14.90",
            0.9,
            "aove,temprano,{variety},primer aceite",
            (("Variedad", "{variety}"), ("Cosecha", "Temprana")),
            "El primer aceite de la campaña",
            "Aceituna verde recogida a principios de octubre: intenso, verde y con aromas de hierba cortada.",
            OIL_CARE,
            "Crudo, sobre pan recién hecho.",
        ),
        _line(
            "ESTUCHE",
            "Estuche degustación de tres aceites {variety} 3 × 250 ml",
            "estuche 3 botellas",
            "19.90",
            1.4,
            "aove,regalo,estuche,cata",
            (("Contenido", "3 × 250 ml"),),
            "Una cata de aceites en casa",
            "Tres aceites de {town} para comparar frutado, amargor y picor.",
            OIL_CARE,
        ),
        _line(
            "AROMA",
            "Aceite de oliva virgen extra con {aroma} 250 ml",
            "botella 250 ml",
            "6.90",
            0.5,
            "aove,aromatizado,{aroma}",
            (("Aroma", "{aroma}"),),
            "Aceite {variety} aromatizado con {aroma}",
            "Aceite de {town} macerado con {aroma} natural, sin aromas añadidos.",
            OIL_CARE,
            "Pescados a la brasa y pastas.",
        ),
    ),
    "ceramics": (
        _line(
            "PLATO28",
            "Plato de cerámica {glaze} de {town} 28 cm",
            "plato 28 cm",
            "34.00",
            0.9,
            "cerámica,plato,{glaze},hecho a mano",
            (("Diámetro", "28 cm"), ("Acabado", "Vidriado {glaze}")),
            "El plato de siempre del alfar de {town}",
            "Torneado y vidriado a mano en {town}; cada pieza es única y lleva la marca del alfar.",
            "Apto para lavavajillas a baja temperatura; no apto para microondas.",
        ),
        _line(
            "ACEITERA",
            "Aceitera de cerámica {glaze}",
            "aceitera 500 ml",
            "29.00",
            0.7,
            "cerámica,aceitera,{glaze},cocina",
            (("Capacidad", "500 ml"), ("Acabado", "Vidriado {glaze}")),
            "La aceitera que no gotea",
            "Aceitera de barro vidriado con el pico tradicional de {town}.",
            "Lávala a mano con agua tibia.",
        ),
        _line(
            "LEBRILLO",
            "Lebrillo vidriado {glaze} 40 cm",
            "lebrillo 40 cm",
            "52.00",
            3.2,
            "cerámica,lebrillo,{glaze}",
            (("Diámetro", "40 cm"),),
            "Para la pipirrana y las matanzas",
            "El lebrillo de las cocinas de Jaén, vidriado por dentro y por fuera en {town}.",
            "Evita los cambios bruscos de temperatura.",
        ),
        _line(
            "BOTIJO",
            "Botijo tradicional de barro",
            "botijo 2 l",
            "22.00",
            1.5,
            "cerámica,botijo,barro,verano",
            (("Capacidad", "2 l"), ("Material", "Barro poroso")),
            "Agua fresca sin nevera",
            "Botijo de barro poroso que enfría el agua por evaporación, como se hacía en {town}.",
            "Antes del primer uso, llénalo de agua con un poco de anís y déjalo un día.",
        ),
        _line(
            "FUENTE",
            "Fuente honda de cerámica {glaze}",
            "fuente 32 cm",
            "38.00",
            1.6,
            "cerámica,fuente,{glaze},mesa",
            (("Diámetro", "32 cm"),),
            "Para servir guisos en la mesa",
            "Fuente honda torneada en {town} y esmaltada en {glaze}.",
            "Apta para horno hasta 200 ºC.",
        ),
        _line(
            "TAZAS",
            "Juego de seis tazas de café {glaze}",
            "juego de 6 tazas",
            "42.00",
            1.2,
            "cerámica,tazas,café,{glaze}",
            (("Piezas", "6"), ("Capacidad", "90 ml")),
            "El café de la sobremesa",
            "Seis tazas de barro esmaltado en {glaze}, hechas una a una en {town}.",
            "Lavado a mano recomendado.",
        ),
        _line(
            "CUENCO",
            "Cuenco de cerámica para aceitunas",
            "cuenco 12 cm",
            "12.00",
            0.3,
            "cerámica,cuenco,aceitunas,aperitivo",
            (("Diámetro", "12 cm"),),
            "Para el aperitivo",
            "Cuenco pequeño de {town} con el hueco para los huesos.",
            "Apto para lavavajillas.",
        ),
        _line(
            "JARRA",
            "Jarra de agua de cerámica {glaze}",
            "jarra 1,5 l",
            "27.00",
            1.1,
            "cerámica,jarra,{glaze}",
            (("Capacidad", "1,5 l"),),
            "Agua fresca en la mesa",
            "Jarra con asa torneada en {town}.",
            "Lavado a mano recomendado.",
        ),
        _line(
            "AZULEJO",
            "Azulejo pintado a mano 20 × 20 cm",
            "azulejo",
            "15.00",
            0.6,
            "cerámica,azulejo,decoración",
            (("Medidas", "20 × 20 cm"), ("Técnica", "Pintado a mano")),
            "Un trozo de {town} en la pared",
            "Azulejo con motivos tradicionales pintados a pincel en {town}.",
            "Limpiar con un paño húmedo.",
        ),
        _line(
            "MACETA",
            "Maceta de barro decorada 25 cm",
            "maceta 25 cm",
            "19.00",
            2.1,
            "cerámica,maceta,jardín,barro",
            (("Diámetro", "25 cm"),),
            "Para el patio andaluz",
            "Maceta de barro cocido de {town} con cenefa en relieve.",
            "Protégela de las heladas.",
        ),
    ),
    "textiles": (
        _line(
            "JARAPA140",
            "Jarapa de colores 140 × 200 cm",
            "jarapa 140 × 200 cm",
            "39.00",
            1.8,
            "jarapa,alfombra,colores,algodón",
            (("Medidas", "140 × 200 cm"), ("Material", "Algodón")),
            "Color para el suelo de casa",
            "Jarapa tejida en telar en {town} con retales de algodón.",
            "Lavar a 30 ºC; no usar secadora.",
        ),
        _line(
            "JARAPA200",
            "Jarapa grande 200 × 300 cm",
            "jarapa 200 × 300 cm",
            "79.00",
            3.9,
            "jarapa,alfombra,grande",
            (("Medidas", "200 × 300 cm"),),
            "Para el salón",
            "La jarapa grande de {town}, tejida en una sola pieza.",
            "Lavar a 30 ºC.",
        ),
        _line(
            "MANTEL",
            "Mantel bordado a mano 150 × 250 cm",
            "mantel",
            "89.00",
            1.1,
            "mantel,bordado,lino,mesa",
            (("Medidas", "150 × 250 cm"), ("Material", "Lino")),
            "El mantel de las fiestas",
            "Mantel de lino bordado a mano en {town} durante semanas.",
            "Lavar a mano con jabón neutro; planchar del revés.",
        ),
        _line(
            "MANTA",
            "Manta de telar de lana {colour}",
            "manta 130 × 180 cm",
            "95.00",
            1.9,
            "manta,lana,telar,{colour}",
            (("Material", "Lana"), ("Color", "{colour}")),
            "Abrigo para el invierno de la sierra",
            "Manta de lana tejida en telar de pedales en {town}.",
            "Lavado en seco o a mano en agua fría.",
        ),
        _line(
            "COJIN",
            "Cojín de jarapa 45 × 45 cm",
            "cojín",
            "22.00",
            0.5,
            "cojín,jarapa,decoración",
            (("Medidas", "45 × 45 cm"),),
            "Un toque de color",
            "Funda de jarapa con relleno de fibra, cosida en {town}.",
            "Funda lavable a 30 ºC.",
        ),
        _line(
            "ESPARTO",
            "Alfombra de esparto trenzado 120 × 180 cm",
            "alfombra",
            "65.00",
            3.0,
            "esparto,alfombra,natural",
            (("Material", "Esparto"), ("Medidas", "120 × 180 cm")),
            "La fibra de nuestras sierras",
            "Esparto recogido y trenzado a mano como se hace en {town}.",
            "Aspirar; no mojar.",
        ),
        _line(
            "TOALLA",
            "Toalla de algodón bordada",
            "toalla 50 × 90 cm",
            "18.00",
            0.4,
            "toalla,algodón,bordado",
            (("Medidas", "50 × 90 cm"),),
            "Bordada con tu inicial",
            "Toalla de rizo con cenefa bordada a mano en {town}.",
            "Lavar a 40 ºC.",
        ),
        _line(
            "CAMINO",
            "Camino de mesa de lino {colour}",
            "camino 40 × 180 cm",
            "29.00",
            0.3,
            "lino,camino de mesa,{colour}",
            (("Material", "Lino"), ("Color", "{colour}")),
            "Para vestir la mesa",
            "Camino de mesa de lino teñido en {town}.",
            "Lavar a 30 ºC.",
        ),
        _line(
            "DELANTAL",
            "Delantal de lino con bolsillo",
            "delantal",
            "24.00",
            0.3,
            "delantal,lino,cocina",
            (("Material", "Lino"),),
            "Para cocinar con estilo",
            "Delantal de lino grueso cortado y cosido en {town}.",
            "Lavar a 40 ºC.",
        ),
        _line(
            "BOLSA",
            "Bolsa de tela con bordado de Jaén",
            "bolsa",
            "15.00",
            0.2,
            "bolsa,tela,bordado,regalo",
            (("Material", "Algodón"),),
            "Para el mercado",
            "Bolsa de algodón con un olivo bordado en {town}.",
            "Lavar a 30 ºC.",
        ),
    ),
    "wood": (
        _line(
            "TABLA",
            "Tabla de cortar de madera de olivo 35 cm",
            "tabla 35 cm",
            "29.00",
            1.1,
            "madera de olivo,tabla,cocina",
            (("Medidas", "35 × 18 cm"), ("Madera", "Olivo")),
            "La veta del olivo en tu cocina",
            "Tabla de una sola pieza de olivo de poda, secado dos años en {town}.",
            "Lavar a mano y aceitar de vez en cuando con aceite de oliva.",
        ),
        _line(
            "CUCHARA",
            "Cuchara de madera de olivo",
            "cuchara 30 cm",
            "6.50",
            0.1,
            "madera de olivo,cuchara,cocina",
            (("Largo", "30 cm"),),
            "Para remover los guisos",
            "Cuchara tallada a mano en {town}.",
            "Lavar a mano.",
        ),
        _line(
            "MORTERO",
            "Mortero de madera de olivo",
            "mortero con mano",
            "28.00",
            0.9,
            "madera de olivo,mortero,cocina",
            (("Diámetro", "14 cm"),),
            "Para el ajoaceite y el salmorejo",
            "Mortero torneado en olivo macizo en {town}.",
            "Lavar a mano; no dejar en remojo.",
        ),
        _line(
            "CUENCO",
            "Cuenco de madera de olivo 20 cm",
            "cuenco 20 cm",
            "34.00",
            0.6,
            "madera de olivo,cuenco,ensalada",
            (("Diámetro", "20 cm"),),
            "Para las ensaladas",
            "Cuenco torneado en olivo en {town}.",
            "Aceitar de vez en cuando.",
        ),
        _line(
            "SALERO",
            "Salero de madera de olivo con tapa",
            "salero",
            "14.00",
            0.2,
            "madera de olivo,salero",
            (("Madera", "Olivo"),),
            "La sal siempre a mano",
            "Salero con tapa giratoria hecho en {town}.",
            "Limpiar en seco.",
        ),
        _line(
            "POSAVASOS",
            "Juego de seis posavasos de olivo",
            "juego de 6",
            "16.00",
            0.3,
            "madera de olivo,posavasos",
            (("Piezas", "6"),),
            "Para proteger la mesa",
            "Seis rodajas de rama de olivo lijadas y aceitadas en {town}.",
            "Limpiar con un paño húmedo.",
        ),
        _line(
            "QUESOS",
            "Tabla de quesos de olivo con cuchillo",
            "tabla con cuchillo",
            "36.00",
            0.9,
            "madera de olivo,quesos,regalo",
            (("Contenido", "Tabla y cuchillo"),),
            "Para compartir",
            "Tabla de olivo con cuchillo de acero y mango de olivo, de {town}.",
            "Lavar a mano.",
        ),
        _line(
            "BANDEJA",
            "Bandeja de servir de madera de olivo",
            "bandeja 40 cm",
            "55.00",
            1.4,
            "madera de olivo,bandeja",
            (("Largo", "40 cm"),),
            "Para servir con asas",
            "Bandeja de olivo con asas talladas en {town}.",
            "Aceitar de vez en cuando.",
        ),
        _line(
            "CAJA",
            "Caja de madera tallada a mano",
            "caja",
            "48.00",
            0.8,
            "madera,caja,tallada,regalo",
            (("Medidas", "20 × 12 × 8 cm"),),
            "Para guardar recuerdos",
            "Caja con tapa tallada con motivos vegetales en {town}.",
            "Limpiar en seco.",
        ),
        _line(
            "ESPATULA",
            "Espátula de madera de olivo",
            "espátula",
            "7.50",
            0.1,
            "madera de olivo,espátula,cocina",
            (("Largo", "30 cm"),),
            "Para la sartén",
            "Espátula de olivo que no raya las sartenes, de {town}.",
            "Lavar a mano.",
        ),
    ),
    "leather": (
        _line(
            "CINTURON",
            "Cinturón de cuero curtido al vegetal",
            "cinturón",
            "39.00",
            0.3,
            "cuero,cinturón,curtido vegetal",
            (("Material", "Cuero curtido al vegetal"), ("Ancho", "3,5 cm")),
            "Un cinturón para toda la vida",
            "Cuero curtido al vegetal, cortado y cosido a mano en {town}.",
            "Hidratar con crema para cuero dos veces al año.",
        ),
        _line(
            "CARTERA",
            "Cartera de piel hecha a mano {colour}",
            "cartera",
            "45.00",
            0.1,
            "piel,cartera,{colour}",
            (("Color", "{colour}"),),
            "Cosida a mano con hilo encerado",
            "Cartera de piel de {town} con costura a punto de silla.",
            "Evitar la humedad.",
        ),
        _line(
            "BOLSO",
            "Bolso bandolera de piel {colour}",
            "bolso",
            "129.00",
            0.8,
            "piel,bolso,bandolera,{colour}",
            (("Color", "{colour}"), ("Medidas", "28 × 22 × 8 cm")),
            "El bolso de diario",
            "Bolso de piel entera de {town}, forrado en algodón.",
            "Hidratar con crema neutra.",
        ),
        _line(
            "ALFORJA",
            "Alforja de cuero tradicional",
            "alforja",
            "160.00",
            2.2,
            "cuero,alforja,tradicional",
            (("Material", "Cuero"),),
            "Heredera de los arrieros",
            "Alforja de cuero grueso como las que se hacían en {town}.",
            "Engrasar una vez al año.",
        ),
        _line(
            "LLAVERO",
            "Llavero de cuero grabado",
            "llavero",
            "9.00",
            0.05,
            "cuero,llavero,regalo",
            (("Grabado", "Olivo"),),
            "Un detalle de {town}",
            "Llavero de cuero grabado a fuego con un olivo.",
            "Evitar la humedad.",
        ),
        _line(
            "GAFAS",
            "Funda de gafas de piel",
            "funda",
            "19.00",
            0.1,
            "piel,funda,gafas",
            (("Color", "{colour}"),),
            "Para las gafas de sol",
            "Funda de piel suave cosida en {town}.",
            "Evitar la humedad.",
        ),
        _line(
            "BOTA",
            "Bota de vino de cuero 1 l",
            "bota 1 l",
            "28.00",
            0.4,
            "cuero,bota de vino,tradicional",
            (("Capacidad", "1 l"), ("Interior", "Pez natural")),
            "La bota de las romerías",
            "Bota de cuero con interior de pez natural, hecha en {town}.",
            "Guardarla con un poco de vino dentro.",
        ),
        _line(
            "MONEDERO",
            "Monedero de piel {colour}",
            "monedero",
            "22.00",
            0.1,
            "piel,monedero,{colour}",
            (("Color", "{colour}"),),
            "Para las monedas",
            "Monedero de piel con cierre de boquilla, de {town}.",
            "Evitar la humedad.",
        ),
        _line(
            "MOCHILA",
            "Mochila de cuero",
            "mochila",
            "189.00",
            1.5,
            "cuero,mochila",
            (("Capacidad", "15 l"),),
            "Para la ciudad y el campo",
            "Mochila de cuero grueso con herrajes de latón, cosida en {town}.",
            "Hidratar con crema para cuero.",
        ),
        _line(
            "COLLAR",
            "Collar de perro de cuero",
            "collar",
            "29.00",
            0.15,
            "cuero,perro,collar",
            (("Talla", "Mediana"),),
            "Para tu compañero",
            "Collar de cuero doble cosido a mano en {town}.",
            "Secar si se moja.",
        ),
    ),
    "food": (
        _line(
            "QUESO",
            "Queso de cabra curado en aceite 500 g",
            "pieza 500 g",
            "14.50",
            0.6,
            "queso,cabra,curado",
            (("Peso", "500 g"), ("Leche", "Cabra")),
            "Queso curado en aceite de oliva",
            "Queso de leche cruda de cabra curado tres meses en {town}.",
            "Conservar en lugar fresco; una vez abierto, en nevera.",
            "Con un vino tinto de la tierra.",
        ),
        _line(
            "MIEL",
            "Miel de romero 500 g",
            "tarro 500 g",
            "8.90",
            0.7,
            "miel,romero,natural",
            (("Peso", "500 g"), ("Flor", "Romero")),
            "Miel de la sierra",
            "Miel cruda de colmenas trashumantes cerca de {town}.",
            "Si cristaliza, templar al baño maría.",
            "Con queso fresco o yogur.",
        ),
        _line(
            "OCHIOS",
            "Ochíos de Úbeda (6 uds.)",
            "bolsa de 6",
            "6.50",
            0.5,
            "ochíos,pan,pimentón,úbeda",
            (("Unidades", "6"),),
            "El bollo de aceite y pimentón",
            "Ochíos hechos al estilo de Úbeda en el horno de {town}.",
            "Consumir en tres días.",
            "Con embutido o solos.",
        ),
        _line(
            "GALLETAS",
            "Galletas de aceite de oliva 300 g",
            "caja 300 g",
            "4.90",
            0.35,
            "galletas,aceite,dulce",
            (("Peso", "300 g"),),
            "Dulces con aceite de oliva virgen extra",
            "Galletas horneadas en {town} con aceite del año.",
            "Conservar en lugar seco.",
        ),
        _line(
            "MERMELADA",
            "Mermelada de higo 250 g",
            "tarro 250 g",
            "4.50",
            0.4,
            "mermelada,higo,dulce",
            (("Peso", "250 g"),),
            "Higos de la huerta",
            "Mermelada de higos recogidos en {town} y cocidos a fuego lento.",
            "Una vez abierta, en nevera.",
            "Con queso curado.",
        ),
        _line(
            "PATE",
            "Paté de perdiz 130 g",
            "lata 130 g",
            "6.90",
            0.2,
            "paté,perdiz,caza",
            (("Peso", "130 g"),),
            "La perdiz de Jaén",
            "Paté de perdiz escabechada elaborado en {town}.",
            "Conservar en lugar fresco.",
            "Sobre pan tostado.",
        ),
        _line(
            "ACEITUNAS",
            "Aceitunas aliñadas de Jaén 500 g",
            "tarro 500 g",
            "5.50",
            0.8,
            "aceitunas,aliñadas,aperitivo",
            (("Peso", "500 g"),),
            "Aliño de la abuela",
            "Aceitunas partidas aliñadas con tomillo, ajo y pimiento en {town}.",
            "Una vez abiertas, en nevera.",
        ),
        _line(
            "ALMENDRAS",
            "Almendras garrapiñadas 250 g",
            "bolsa 250 g",
            "7.90",
            0.3,
            "almendras,garrapiñadas,dulce",
            (("Peso", "250 g"),),
            "Dulce de feria",
            "Almendras de secano garrapiñadas en perol de cobre en {town}.",
            "Conservar en lugar seco.",
        ),
        _line(
            "MEMBRILLO",
            "Dulce de membrillo 400 g",
            "bloque 400 g",
            "5.20",
            0.45,
            "membrillo,dulce",
            (("Peso", "400 g"),),
            "Membrillo casero",
            "Dulce de membrillo cocido en {town} con poca azúcar.",
            "Conservar en lugar fresco.",
            "Con queso de cabra.",
        ),
        _line(
            "VINO",
            "Vino tinto de la tierra 75 cl",
            "botella 75 cl",
            "11.00",
            1.3,
            "vino,tinto,jaén",
            (("Capacidad", "75 cl"),),
            "Vino de la Loma",
            "Tinto de uvas de secano elaborado en {town}.",
            "Guardar tumbada y a oscuras.",
            "Con carnes y quesos curados.",
        ),
    ),
}

VARIETIES = ("Picual", "Arbequina", "Hojiblanca", "Royal", "Cornicabra", "Frantoio")
AROMAS = ("ajo", "guindilla", "romero", "limón")
GLAZES = {"Úbeda": "verde", "Andújar": "azul cobalto", "Bailén": "roja", "Arjona": "melada"}
OTHER_GLAZES = ("verde", "melada", "blanca", "azul")
COLOURS = ("natural", "marrón", "negro", "crudo", "burdeos", "verde oliva")


@dataclass(frozen=True, slots=True)
class SeedProduct:
    artisan: SeedArtisan
    line: Line
    sku: str
    values: dict[str, str]
    position: int

    @property
    def id(self) -> UUID:
        return product_id(self.sku)


def product_id(sku: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"https://a4co.example/products/{sku}")


def _number(seed: str, low: int, high: int) -> int:
    digest = int(hashlib.sha256(seed.encode()).hexdigest()[:12], 16)
    return low + digest % (high - low + 1)


def _values(seed: SeedArtisan, index: int, turn: int) -> dict[str, str]:
    """The varieties, glazes and colours this artisan's line `turn` is made in."""
    variety = (
        "Royal" if seed.town in ("Cazorla", "Quesada") and turn % 2 else VARIETIES[(index + turn // 3) % 4]
    )
    if seed.town in DOP and DOP[seed.town][0] == "Sierra Mágina":
        variety = "Picual"
    glaze = GLAZES.get(seed.town, OTHER_GLAZES[index % len(OTHER_GLAZES)])
    return {
        "variety": variety,
        "aroma": AROMAS[(index + turn) % len(AROMAS)],
        "glaze": glaze,
        "colour": COLOURS[(index + turn) % len(COLOURS)],
        "town": seed.town,
    }


# What a workshop is known for comes first in its catalogue (a cheese dairy lists its cheese).
SPECIALTIES = {
    "queseria": ("QUESO",),
    "quesos": ("QUESO",),
    "mieles": ("MIEL",),
    "ochios": ("OCHIOS", "GALLETAS"),
    "panaderia": ("OCHIOS", "GALLETAS"),
    "dulces": ("MEMBRILLO", "GALLETAS", "ALMENDRAS"),
    "conservas": ("PATE", "ACEITUNAS"),
    "embutidos": ("PATE",),
    "bodega": ("VINO",),
    "huerta": ("MERMELADA", "MEMBRILLO"),
    "almendras": ("ALMENDRAS",),
    "esparto": ("ESPARTO",),
    "jarapas": ("JARAPA140", "JARAPA200", "COJIN"),
    "bordados": ("MANTEL", "TOALLA"),
    "encajes": ("MANTEL",),
    "mantas": ("MANTA",),
    "lanas": ("MANTA",),
    "boteria": ("BOTA",),
    "guarnicioneria": ("ALFORJA", "CINTURON"),
    "talabarteria": ("CINTURON", "BOLSO"),
    "tejares": ("MACETA", "BOTIJO"),
}


def _lines_of(seed: SeedArtisan, index: int) -> list[Line]:
    """The artisan's specialties first, then its categories' other lines from its own offset."""
    lines = [line for category in seed.categories for line in LINES[category]]
    offset = index % len(lines)
    rotated = lines[offset:] + lines[:offset]
    preferred = next((codes for word, codes in SPECIALTIES.items() if word in seed.slug), ())
    first = [line for code in preferred for line in lines if line.code == code]
    return (first + [line for line in rotated if line not in first])[:PRODUCTS_PER_ARTISAN]


def seed_products() -> Iterator[SeedProduct]:
    """Every artisan's products: its specialties, then its categories' lines from its own offset."""
    position = 0
    for index, seed in enumerate(ARTISANS):
        chosen = _lines_of(seed, index)
        for turn, line in enumerate(chosen):
            sku = f"A{index + 1:02d}-{line.code}-{turn + 1}"
            yield SeedProduct(seed, line, sku, _values(seed, index, turn), position)
            position += 1


def _fill(text: str, values: dict[str, str]) -> str:
    return text.format(**values)


def _price(item: SeedProduct) -> Decimal:
    """The line's price, adjusted by up to ±15% per workshop, rounded to ten cents."""
    factor = Decimal(_number(item.sku, 85, 115)) / 100
    return (
        (Decimal(item.line.price) * factor).quantize(Decimal("0.1"), ROUND_HALF_UP).quantize(Decimal("0.01"))
    )


def listing_event(item: SeedProduct) -> product.ProductListed:
    """The `product.listed.v1` the product service published when the artisan listed `item`."""
    line, values = item.line, item.values
    stock = _number(item.sku + "stock", 0, 140)
    stock = 0 if stock < 10 else stock  # about one product in fifteen starts sold out
    slug = item.sku.lower()
    category = next(c for c, lines in LINES.items() if line in lines)
    return product.ProductListed(
        product_id=item.id,
        artisan_id=item.artisan.id,
        sku=item.sku,
        name=_fill(line.name, values),
        description=f"{_fill(line.story, values)} {item.artisan.specialty}.",
        category=common.ProductCategory(category),
        price=common.Money(amount=_price(item), currency="EUR"),
        unit_label=line.unit,
        weight_kg=line.weight,
        tags=[product.Tag(_fill(tag, values).lower()[:40]) for tag in line.tags],
        attributes=[product.ProductAttribute(name=n, value=_fill(v, values)) for n, v in line.attributes],
        content=product.ProductContent(
            headline=_fill(line.headline, values),
            story=f"{_fill(line.story, values)} {item.artisan.business_name}: {item.artisan.specialty}.",
            care_instructions=line.care,
            pairing=_fill(line.pairing, values) if line.pairing else None,
            images=[
                product.ProductImage(url=f"{CDN}/{slug}.jpg", alt=_fill(line.name, values)[:200]),
                product.ProductImage(
                    url=f"{CDN}/{slug}-taller.jpg", alt=f"Taller de {item.artisan.business_name}"
                ),
            ],
        ),
        initial_stock=stock,
        low_stock_threshold=5 + _number(item.sku + "low", 0, 5),
        listed_at=LISTED_FROM + timedelta(minutes=37 * item.position),
    )


def listing_events() -> list[product.ProductListed]:
    return [listing_event(item) for item in seed_products()]
