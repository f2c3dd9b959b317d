"""The stock engine: the platform's stock is the one truth, every change is a ledger row with a unique
reference (so an order, an import row or a chat edit is applied exactly once), and every change marks the
product's listings for a push. What each marketplace is sent follows the integration's rules.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Listing, Product, StockMovement, now

MAX_STOCK = 1_000_000


class Reason:
    MANUAL = "manual"  # set in chat
    IMPORT = "import"  # from a spreadsheet
    ORDER = "order"  # an order deducted it
    CANCEL = "cancel"  # a cancelled order returned it
    ADOPT = "adopt"  # taken over from a marketplace (two-way sync, "adopt" policy)
    SYNC = "sync"  # the first catalog sync brought the product in


# The rules a partner may set per integration, and the values each accepts.
RULE_LIMITS = {"buffer": (0, MAX_STOCK), "max_quantity": (0, MAX_STOCK), "share_percent": (0, 100),
               "floor": (0, MAX_STOCK)}


@dataclass(frozen=True)
class StockRules:
    """Per-integration rules for what a marketplace is shown (all optional)."""

    buffer: int = 0  # show stock minus this many
    max_quantity: int | None = None  # never show more than this
    share_percent: int = 100  # show this share of the stock (rounded down)
    floor: int = 0  # at or below this stock, show 0

    @classmethod
    def from_settings(cls, settings: dict) -> StockRules:
        def number(key, default, low, high):
            value = settings.get(key, default)
            if value is None:
                return default
            try:
                value = int(value)
            except (TypeError, ValueError):
                return default
            return min(max(value, low), high)

        return cls(
            buffer=number("buffer", 0, 0, MAX_STOCK),
            max_quantity=number("max_quantity", None, 0, MAX_STOCK),
            share_percent=number("share_percent", 100, 0, 100),
            floor=number("floor", 0, 0, MAX_STOCK),
        )

    def to_settings(self) -> dict:
        return {"buffer": self.buffer, "max_quantity": self.max_quantity, "share_percent": self.share_percent,
                "floor": self.floor}

    @property
    def is_default(self) -> bool:
        return self == StockRules()


def channel_quantity(stock: int, rules: StockRules) -> int:
    """What one marketplace is shown for a product with `stock` units: share, then buffer, then cap;
    0 at or below the floor; never negative, never more than the stock."""
    if stock <= 0 or (rules.floor and stock <= rules.floor):
        return 0
    quantity = stock * rules.share_percent // 100 - rules.buffer
    if rules.max_quantity is not None:
        quantity = min(quantity, rules.max_quantity)
    return max(quantity, 0)


@dataclass(frozen=True)
class Applied:
    product_id: str
    delta: int
    stock_after: int


async def apply_change(
    session: AsyncSession,
    product: Product,
    *,
    reason: str,
    reference: str,
    delta: int | None = None,
    set_to: int | None = None,
    actor: int | None = None,
) -> Applied | None:
    """Change a product's stock by `delta` (or to `set_to`) once per `reference`.

    Returns None if this reference was applied before (a repeated order poll, a re-sent import): the
    ledger's unique reference is the guard, checked inside a savepoint so a race loses cleanly.
    """
    if (delta is None) == (set_to is None):
        raise ValueError("give exactly one of delta / set_to")
    if await session.scalar(select(StockMovement.id).where(StockMovement.reference == reference)):
        return None
    # Re-read the row under a lock (PostgreSQL): two orders for one product must not both start from the
    # same stock. SQLite serializes writers anyway.
    await session.refresh(product, with_for_update=True)
    change = set_to - product.stock if set_to is not None else delta
    after = product.stock + change
    try:
        async with session.begin_nested():
            session.add(StockMovement(partner_id=product.partner_id, product_id=product.id, delta=change,
                                      stock_after=after, reason=reason, reference=reference, actor=actor))
            product.stock = after
            await session.flush()
    except IntegrityError:
        await session.refresh(product)
        return None
    await mark_stock_dirty(session, [product.id])
    return Applied(product.id, change, after)


async def mark_stock_dirty(session: AsyncSession, product_ids: list[str]) -> None:
    """Queue a push to every listing of these products. A listing already waiting keeps its older time, so
    a burst of edits becomes one push (the pusher waits for a quiet moment, see services.pushes)."""
    if not product_ids:
        return
    stamp = now()
    for start in range(0, len(product_ids), 500):
        await session.execute(
            update(Listing)
            .where(Listing.product_id.in_(product_ids[start:start + 500]), Listing.stock_dirty_at.is_(None))
            .values(stock_dirty_at=stamp)
        )


async def mark_price_dirty(session: AsyncSession, product_ids: list[str], *, integration_id: str | None = None) -> None:
    if not product_ids:
        return
    stamp = now()
    for start in range(0, len(product_ids), 500):
        statement = update(Listing).where(Listing.product_id.in_(product_ids[start:start + 500]),
                                          Listing.price_dirty_at.is_(None))
        if integration_id:
            statement = statement.where(Listing.integration_id == integration_id)
        await session.execute(statement.values(price_dirty_at=stamp))


async def mark_integration_stock_dirty(session: AsyncSession, integration_id: str) -> None:
    """The integration's rules changed: every one of its listings must be shown the new quantity."""
    await session.execute(update(Listing).where(Listing.integration_id == integration_id,
                                                Listing.product_id.is_not(None), Listing.stock_dirty_at.is_(None))
                          .values(stock_dirty_at=now()))


# ---- a stock typed in chat ----

def parse_quantity(text: str) -> int | None:
    """A stock typed in chat: a whole number 0..MAX_STOCK ("1 000" too), by the spreadsheet rules."""
    from services.spreadsheets import parse_stock  # spreadsheets reads MAX_STOCK from here

    return parse_stock(text)


async def set_manual(session: AsyncSession, product: Product, quantity: int, *, actor: int) -> Applied | None:
    """The partner set the stock: a ledger row with a reference of its own, the listings queued for the push."""
    if not 0 <= quantity <= MAX_STOCK:
        raise ValueError(quantity)
    return await apply_change(session, product, set_to=quantity, reason=Reason.MANUAL,
                              reference=f"manual:{uuid.uuid4()}", actor=actor)
