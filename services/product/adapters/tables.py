"""The catalogue read model's tables, one per source of facts, so that facts arriving in any order keep.

Products, prices, stock levels, artisans and tiers come from different consumers (PRODUCTS, INVENTORY,
ARTISANS), which JetStream delivers independently: a stock level can arrive before its product's listing,
a tier before its artisan's onboarding. Each fact is kept in its own table under its own guard (newest
price, highest stock version, latest evaluation) and the search joins them, so the read model converges
to the same state whatever the order.

`product_catalog_search` holds the text of each product (with its maker) for full-text search. On SQLite
an FTS5 index (`product_catalog_search_fts`, external content) follows it through triggers; on PostgreSQL
its `document` column holds the weighted `tsvector`, with a GIN index.
"""

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Dialect,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    Uuid,
    event,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeEngine

from services.platform.database import UtcDateTime, metadata

__all__ = [
    "FTS_TABLE",
    "artisan_tiers",
    "artisans",
    "prices",
    "products",
    "search_documents",
    "stock",
]

FTS_TABLE = "product_catalog_search_fts"


class SearchVector(TypeDecorator[str]):
    """A `tsvector` on PostgreSQL; on SQLite an unused text column (FTS5 indexes the text instead)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[str]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(TSVECTOR())
        return dialect.type_descriptor(Text())


products = Table(
    "product_catalog_products",
    metadata,
    Column("product_id", Uuid, primary_key=True),
    Column("artisan_id", Uuid, nullable=False, index=True),
    Column("sku", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("category", String(20), nullable=False, index=True),
    Column("unit_label", String(60), nullable=False),
    Column("weight_kg", Float, nullable=True),
    Column("tags", JSON, nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("content", JSON, nullable=False),
    Column("image_url", String(500), nullable=True),
    Column("initial_stock", Integer, nullable=False),
    Column("low_stock_threshold", Integer, nullable=False),
    Column("listed_at", UtcDateTime, nullable=False, index=True),
)

prices = Table(
    "product_catalog_prices",
    metadata,
    Column("product_id", Uuid, primary_key=True),
    Column("price_cents", BigInteger, nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    # When this price took effect (the listing's or the price change's time): the newer one wins.
    Column("as_of", UtcDateTime, nullable=False),
)

stock = Table(
    "product_catalog_stock",
    metadata,
    Column("product_id", Uuid, primary_key=True),
    Column("available", Integer, nullable=False),
    Column("version", BigInteger, nullable=False),
)

artisans = Table(
    "product_catalog_artisans",
    metadata,
    Column("artisan_id", Uuid, primary_key=True),
    Column("business_name", String(120), nullable=False),
    Column("town", String(100), nullable=False, index=True),
    Column("certifications", JSON, nullable=False),
    Column("completed_at", UtcDateTime, nullable=False),
)

artisan_tiers = Table(
    "product_catalog_artisan_tiers",
    metadata,
    Column("artisan_id", Uuid, primary_key=True),
    Column("tier", String(10), nullable=False),
    Column("evaluated_at", UtcDateTime, nullable=False),
)

search_documents = Table(
    "product_catalog_search",
    metadata,
    Column("doc_id", Integer, primary_key=True, autoincrement=True),
    Column("product_id", Uuid, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("keywords", Text, nullable=False),
    Column("maker", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("document", SearchVector, nullable=True),
    Index("ix_product_catalog_search_document", "document", postgresql_using="gin"),
)

# SQLite: an external-content FTS5 index over product_catalog_search, kept in step by triggers, so that
# writing (or emptying, on a rebuild) the plain table is all the code ever does.
_FTS_DDL = (
    (
        "CREATE VIRTUAL TABLE IF NOT EXISTS product_catalog_search_fts USING fts5("
        " name, keywords, maker, body, content='product_catalog_search', content_rowid='doc_id',"
        " tokenize='unicode61 remove_diacritics 2')"
    ),
    (
        "CREATE TRIGGER IF NOT EXISTS product_catalog_search_ai AFTER INSERT ON product_catalog_search BEGIN"
        " INSERT INTO product_catalog_search_fts(rowid, name, keywords, maker, body)"
        " VALUES (new.doc_id, new.name, new.keywords, new.maker, new.body); END"
    ),
    (
        "CREATE TRIGGER IF NOT EXISTS product_catalog_search_ad AFTER DELETE ON product_catalog_search BEGIN"
        " INSERT INTO product_catalog_search_fts"
        "(product_catalog_search_fts, rowid, name, keywords, maker, body)"
        " VALUES ('delete', old.doc_id, old.name, old.keywords, old.maker, old.body); END"
    ),
    (
        "CREATE TRIGGER IF NOT EXISTS product_catalog_search_au AFTER UPDATE ON product_catalog_search BEGIN"
        " INSERT INTO product_catalog_search_fts"
        "(product_catalog_search_fts, rowid, name, keywords, maker, body)"
        " VALUES ('delete', old.doc_id, old.name, old.keywords, old.maker, old.body);"
        " INSERT INTO product_catalog_search_fts(rowid, name, keywords, maker, body)"
        " VALUES (new.doc_id, new.name, new.keywords, new.maker, new.body); END"
    ),
)


@event.listens_for(search_documents, "after_create")
def _create_fts(_target: Table, connection: Connection, **_kw: Any) -> None:
    if connection.dialect.name == "sqlite":
        for statement in _FTS_DDL:
            connection.exec_driver_sql(statement)
