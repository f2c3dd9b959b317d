"""Reading orders for the bot's screens (always scoped by the partner) and the small decisions around the
order actions: which actions an order offers now, and what each marketplace wants as a cancellation reason.

Writing orders stays with services/orders.py: an action's outcome (a confirmation, a cancellation that gives
stock back) is recorded by the next poll, which the bot asks for at once (schedules.run_now)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from datetime import datetime, time as dtime, timezone

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import MarketplaceIntegration, Order, now
from services.outbox.policy import zone

PAGE_SIZE = 10
DEFAULT_CURRENCY = {"uzum": "UZS"}  # when an order does not say: Uzum sells in sums, the others in roubles


def currency_of(marketplace: str, currency: str | None) -> str:
    return currency or DEFAULT_CURRENCY.get(marketplace, "RUB")

# Filters (kept in FSM data by the bot; anything else is treated as "all").
STATES = ("new", "active", "cancelled", "done")
PERIODS = {"today": None, "7d": 7, "30d": 30}  # None: since midnight in the partner's timezone
ACTIONS = ("confirm", "ship", "cancel")
CANCEL_REASONS = ("stock", "buyer", "other")

# Actions an order in each of our states can still take.
_BY_STATE = {"new": ("confirm", "ship", "cancel"), "active": ("ship", "cancel")}
# Actions a marketplace's seller API has no call for (its connector raises NotSupported): no button; the card
# says how it is done instead. Ozon's "ship" is packing again (= confirm), so it gets no second button either.
NO_BUTTON = {"uzum": frozenset({"ship"}), "ozon": frozenset({"ship"})}

# What the marketplace gets as the reason for each preset the partner picks.
# Ozon: a number is its cancel_reason_id (352 out of stock), other text is reason 402 "other" with the text.
OZON_REASONS = {"stock": "352", "buyer": "The buyer asked to cancel the order", "other": "Cancelled by the seller"}
# Uzum wants one of the codes it lists (GET /v1/fbs/order/return-reasons): picked by these words in the code.
UZUM_REASON_WORDS = {"stock": ("STOCK",), "buyer": ("BUYER", "CLIENT", "CUSTOMER"), "other": ("OTHER",)}


@dataclass(frozen=True)
class OrderView:
    order: Order
    integration: MarketplaceIntegration


@dataclass(frozen=True)
class Filters:
    marketplace: str | None = None
    state: str | None = None
    period: str | None = None  # today | 7d | 30d | None (all)

    @classmethod
    def from_data(cls, data: dict | None) -> Filters:
        data = data or {}
        marketplace = data.get("mp") if isinstance(data.get("mp"), str) and data.get("mp") else None
        state = data.get("st") if data.get("st") in STATES else None
        period = data.get("pe") if data.get("pe") in PERIODS else None
        return cls(marketplace, state, period)

    def to_data(self) -> dict:
        return {"mp": self.marketplace or "", "st": self.state or "", "pe": self.period or ""}


def period_start(period: str | None, tz_name: str, at: int | None = None) -> int | None:
    """The first second the period covers: today = since local midnight; 7d / 30d = that many days back."""
    if period not in PERIODS:
        return None
    at = now() if at is None else at
    days = PERIODS[period]
    if days is not None:
        return at - days * 86400
    tz = zone(tz_name)
    local = datetime.fromtimestamp(at, timezone.utc).astimezone(tz)
    return int(datetime.combine(local.date(), dtime.min, tz).timestamp())


def _conditions(partner_id: str, filters: Filters, tz_name: str) -> list:
    conditions = [Order.partner_id == partner_id, MarketplaceIntegration.partner_id == partner_id,
                  MarketplaceIntegration.status != "draft"]
    if filters.marketplace:
        conditions.append(MarketplaceIntegration.marketplace == filters.marketplace)
    if filters.state:
        conditions.append(Order.state == filters.state)
    since = period_start(filters.period, tz_name)
    if since is not None:
        conditions.append(Order.placed_at >= since)
    return conditions


async def page(session: AsyncSession, partner_id: str, page_no: int, filters: Filters, tz_name: str
               ) -> tuple[list[OrderView], int, int, int]:
    """One page of the partner's orders, newest first: (orders, page_no clamped, pages, total)."""
    conditions = _conditions(partner_id, filters, tz_name)
    joined = select(func.count()).select_from(Order).join(
        MarketplaceIntegration, MarketplaceIntegration.id == Order.integration_id)
    total = await session.scalar(joined.where(*conditions)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page_no = min(max(page_no, 0), pages - 1)
    rows = await session.execute(
        select(Order, MarketplaceIntegration)
        .join(MarketplaceIntegration, MarketplaceIntegration.id == Order.integration_id)
        .where(*conditions)
        .order_by(Order.placed_at.desc(), Order.external_id.desc(), Order.id)
        .offset(page_no * PAGE_SIZE).limit(PAGE_SIZE))
    return [OrderView(o, i) for o, i in rows], page_no, pages, total


async def get(session: AsyncSession, partner_id: str, order_id: str) -> OrderView | None:
    """One order if it is this partner's (a forged or stale id gives None)."""
    if not order_id:
        return None
    row = (await session.execute(
        select(Order, MarketplaceIntegration)
        .join(MarketplaceIntegration, MarketplaceIntegration.id == Order.integration_id)
        .where(Order.id == order_id, Order.partner_id == partner_id,
               MarketplaceIntegration.partner_id == partner_id))).first()
    return OrderView(row[0], row[1]) if row else None


async def marketplaces_of(session: AsyncSession, partner_id: str) -> list[str]:
    """The marketplaces the partner has connected (the marketplace filter's choices)."""
    rows = await session.scalars(select(MarketplaceIntegration.marketplace).distinct().where(
        MarketplaceIntegration.partner_id == partner_id, MarketplaceIntegration.status != "draft"))
    return sorted(rows)


def actions_for(view: OrderView) -> tuple[str, ...]:
    """The action buttons the order's card shows now."""
    hidden = NO_BUTTON.get(view.integration.marketplace, frozenset())
    return tuple(a for a in _BY_STATE.get(view.order.state, ()) if a not in hidden)


def allowed(view: OrderView, action: str) -> bool:
    """Whether the order's state still permits the action (the marketplace itself may still refuse it, or
    lack it: its connector raises NotSupported, which the bot explains)."""
    return action in _BY_STATE.get(view.order.state, ())


async def cancel_reason(client, marketplace: str, preset: str) -> str | None:
    """The reason argument of `client.cancel_order` for the partner's preset (None: the connector's default).
    Yandex and Wildberries take no reason from a seller."""
    if marketplace == "ozon":
        return OZON_REASONS.get(preset)
    if marketplace == "uzum" and hasattr(client, "cancel_reasons"):
        codes = [choice.id for choice in await client.cancel_reasons()]
        words = UZUM_REASON_WORDS.get(preset, ())
        # No matching code: Uzum's first listed reason (what the connector would pick itself).
        return next((code for code in codes if any(w in code.upper() for w in words)), codes[0] if codes else None)
    return None


async def sales(session: AsyncSession, partner_id: str, filters: Filters, tz_name: str
                ) -> tuple[int, dict[str, Decimal]]:
    """What the orders under these filters sold: (how many orders, their sum per currency). Cancelled orders are
    not sales; sums in different currencies are kept apart."""
    conditions = _conditions(partner_id, filters, tz_name) + [Order.state != "cancelled"]
    rows = await session.execute(
        select(MarketplaceIntegration.marketplace, Order.currency, func.count(), func.sum(Order.total))
        .select_from(Order).join(MarketplaceIntegration, MarketplaceIntegration.id == Order.integration_id)
        .where(*conditions).group_by(MarketplaceIntegration.marketplace, Order.currency))
    count, totals = 0, {}
    for marketplace, currency, orders, total in rows:
        count += orders
        code = currency_of(marketplace, currency)
        totals[code] = totals.get(code, Decimal(0)) + Decimal(total or 0)
    return count, dict(sorted(totals.items()))
