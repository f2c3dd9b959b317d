"""Reading orders for the bot's screens, always scoped by the partner: pages with filters, one order, what the
orders under the filters sold, and which actions an order offers now (what its connector said the marketplace
allows in its status). Writing them is services/orders.py's (the poll) and services/order_actions.py's."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from datetime import datetime, time as dtime, timezone

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from connectors import profile
from connectors.base import OrderAction, OrderState
from db.models import IntegrationStatus, MarketplaceIntegration, Order, now
from services.outbox.policy import zone

PAGE_SIZE = 10


def currency_of(marketplace: str, currency: str | None) -> str:
    """An order's currency; rows stored before the connectors always said fall back to the marketplace's own."""
    return currency or profile(marketplace).currency.value


# Filters (kept in FSM data by the bot; anything else is treated as "all").
STATES = tuple(state.value for state in OrderState)
PERIODS = {"today": None, "7d": 7, "30d": 30}  # None: since midnight in the partner's timezone
# The order in which a card shows its action buttons.
ACTIONS = (OrderAction.CONFIRM, OrderAction.SHIP, OrderAction.CANCEL)


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
                  MarketplaceIntegration.status != IntegrationStatus.DRAFT]
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
        MarketplaceIntegration.partner_id == partner_id, MarketplaceIntegration.status != IntegrationStatus.DRAFT))
    return sorted(rows)


def actions_for(view: OrderView) -> tuple[OrderAction, ...]:
    """The action buttons the order's card shows now."""
    allowed_now = set(view.order.action_list)
    return tuple(action for action in ACTIONS if action.value in allowed_now)


# What an order in each state may still be asked to do at all. The buttons show only what its marketplace allows in
# its status (`actions_for`); an action outside those (an old button) is still sent while the order is open, and the
# marketplace's refusal, or its lack of such a call (NotSupported), is shown as it is.
_OPEN = {OrderState.NEW: frozenset(OrderAction), OrderState.ACTIVE: frozenset({OrderAction.SHIP, OrderAction.CANCEL})}


def allowed(view: OrderView, action: OrderAction) -> bool:
    """Whether the order is still open for the action (closed: cancelled, done, or no longer new for a confirm)."""
    return action in _OPEN.get(view.order.state, frozenset())


async def sales(session: AsyncSession, partner_id: str, filters: Filters, tz_name: str
                ) -> tuple[int, dict[str, Decimal]]:
    """What the orders under these filters sold: (how many orders, their sum per currency). Cancelled orders are
    not sales; sums in different currencies are kept apart."""
    conditions = _conditions(partner_id, filters, tz_name) + [Order.state != OrderState.CANCELLED]
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
