"""The order service's view of the catalogue: price, artisan, name and category of each product.

A projection of the PRODUCTS stream (`product.listed.v1`, `product.price.changed.v1`), so pricing uses the
catalogue's current price without calling the product service while an order is being placed.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from uuid import UUID

from sqlalchemy import Column, Numeric, String, Table, Uuid, select
from sqlalchemy.ext.asyncio import AsyncSession

from a4co_sdk.models import product
from services.order.domain.order import CatalogueEntry
from services.platform.database import Database, dialect_insert, metadata

__all__ = ["catalogue", "change_price", "entries", "list_product"]

catalogue = Table(
    "catalogue",
    metadata,
    Column("product_id", Uuid, primary_key=True),
    Column("artisan_id", Uuid, nullable=False),
    Column("name", String(200), nullable=False),
    Column("category", String(40), nullable=False),
    Column("price", Numeric(12, 2), nullable=False),
)


async def list_product(session: AsyncSession, listed: product.ProductListed) -> None:
    values = {
        "product_id": listed.product_id,
        "artisan_id": listed.artisan_id,
        "name": listed.name,
        "category": listed.category.value,
        "price": listed.price.amount,
    }
    insert = dialect_insert(session, catalogue).values(values)
    await session.execute(insert.on_conflict_do_update(index_elements=["product_id"], set_=values))


async def change_price(session: AsyncSession, changed: product.ProductPriceChanged) -> None:
    await session.execute(
        catalogue.update()
        .where(catalogue.c.product_id == changed.product_id)
        .values(price=changed.new_price.amount)
    )


async def entries(db: Database, product_ids: Iterable[UUID]) -> dict[UUID, CatalogueEntry]:
    wanted = list(set(product_ids))
    async with db.transaction(read_only=True) as session:
        rows = (await session.execute(select(catalogue).where(catalogue.c.product_id.in_(wanted)))).all()
    return {
        row.product_id: CatalogueEntry(row.artisan_id, row.name, row.category, Decimal(row.price))
        for row in rows
    }
