"""Orders: the poll job. It reads each integration's orders from its durable cursor, stores each order once, takes
stock once for a new order (and gives it back once when it is cancelled), and queues one alert per fact — all in the
job's final transaction, which also moves the cursor (services/jobs/runner.py): a crash at any point repeats work
harmlessly instead of losing or doubling it.

The first poll of an integration is a baseline: existing orders are recorded silently (no alert, no stock change), so
connecting a busy shop does not flood the chat with old orders.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import Order as MarketOrder, OrderState
from db.bulk import MAX_IN, insert_rows
from db.models import JsonText, MarketplaceIntegration, Order, OrderLine, Partner, Product, new_id, now
from services import notifications
from services.jobs import schedule
from services.jobs.types import JobContext, JobKind, JobResult
from services.outbox.policy import prefs_of
from services.outbox.records import AlertKind
from services.outbox.store import enqueue
from services.stock import Reason, apply_change

@dataclass
class PollReport:
    integration_id: str
    new: int = 0
    changed: int = 0
    cancelled: int = 0
    baseline: int = 0

    def counts(self) -> dict:
        return {"new": self.new, "changed": self.changed, "cancelled": self.cancelled, "baseline": self.baseline}


async def poll(ctx: JobContext) -> JobResult:
    """The orders job: read from the cursor; store in the runner's final transaction (the cursor moves with the
    schedule, in the same statement)."""
    if ctx.plan is not None:  # read by the runner with the integration
        cursor, baseline = ctx.plan.cursor, not ctx.plan.baseline_done
    else:
        async with ctx.platform.sessionmaker() as session:
            plan = await schedule.get_or_create(session, ctx.integration_id, JobKind.ORDERS)
            cursor, baseline = plan.cursor, not plan.baseline_done
            await session.commit()
    page = await ctx.client.orders_since(cursor)
    report = PollReport(ctx.integration_id)

    async def store(session: AsyncSession, integration: MarketplaceIntegration) -> None:
        await _store_page(session, integration, page.orders, baseline, report)

    return JobResult(report=report, finish=store, schedule={"cursor": page.cursor, "baseline_done": 1})


# Built once (a poll runs it every time): see services/jobs/runs.py _START.
_KNOWN = select(Order).where(Order.integration_id == bindparam("integration"),
                             Order.external_id.in_(bindparam("ids", expanding=True)))


class _Page:
    """One poll's writes: the orders already stored (read in one query), the new ones and their lines as rows,
    inserted together at the end (or before an order read twice in the page is looked at again); the partner
    read only when an alert or the stock needs it."""

    def __init__(self, session: AsyncSession, integration: MarketplaceIntegration):
        self.session, self.integration = session, integration
        self.known: dict[str, Order] = {}
        self.new: dict[str, Order] = {}
        self.lines: list[tuple] = []
        self._partner: Partner | None = None

    async def partner(self) -> Partner:
        if self._partner is None:
            self._partner = await self.session.get(Partner, self.integration.partner_id)
        return self._partner

    async def read(self, external_ids: list[str]) -> None:
        unique = list(dict.fromkeys(external_ids))
        for start in range(0, len(unique), MAX_IN):
            self.known.update((row.external_id, row) for row in await self.session.scalars(
                _KNOWN, {"integration": self.integration.id, "ids": unique[start:start + MAX_IN]}))

    async def row(self, external_id: str) -> Order | None:
        if external_id in self.new:  # new earlier in this page: stored now, then it is an order we know
            await self.write()
            self.known[external_id] = await self.session.scalar(
                select(Order).where(Order.integration_id == self.integration.id, Order.external_id == external_id))
        return self.known.get(external_id)

    async def write(self) -> None:
        stamp = now()
        await insert_rows(self.session, Order.__table__, ORDER_COLUMNS,
                          [tuple(getattr(row, name) for name in ORDER_COLUMNS[:-2]) + (stamp, stamp)
                           for row in self.new.values()])
        await insert_rows(self.session, OrderLine.__table__, LINE_COLUMNS, self.lines)
        self.new.clear()
        self.lines.clear()


# Every column of a new order's row (the models' defaults are not applied by db.bulk): first_seen_at and
# updated_at last, stamped when the rows are written.
ORDER_COLUMNS = ("id", "integration_id", "partner_id", "external_id", "status", "state", "actions", "scheme",
                 "placed_at", "ship_by", "total", "currency", "items", "baseline", "deducted", "first_seen_at",
                 "updated_at")
LINE_COLUMNS = ("id", "order_id", "partner_id", "marketplace", "sku", "name", "quantity", "price", "currency",
                "state", "placed_at")


async def _store_page(session: AsyncSession, integration: MarketplaceIntegration, orders: list[MarketOrder],
                      baseline: bool, report: PollReport) -> None:
    if not orders:
        return
    page = _Page(session, integration)
    await page.read([order.external_id for order in orders])
    for order in orders:
        await _store(page, order, baseline, report)
    await page.write()


async def _store(page: _Page, order: MarketOrder, baseline: bool, report: PollReport) -> None:
    """One order as the connector reads it: its state (new, active, cancelled, done) and the actions it allows are
    the connector's reading of the marketplace's status."""
    session, integration = page.session, page.integration
    cancelled = order.state == OrderState.CANCELLED
    row = await page.row(order.external_id)
    if row is None:
        # Not added to the session: its row is written with the page's (Order keeps what the alert and the stock
        # read, and `deducted`).
        row = Order(id=new_id(), integration_id=integration.id, partner_id=integration.partner_id,
                    external_id=order.external_id, status=order.status, state=order.state.value,
                    actions=_actions(order), scheme=order.scheme.value, placed_at=order.created_at,
                    ship_by=order.ship_by, total=order.total, currency=order.currency,
                    items=JsonText.dump([_item(i) for i in order.items]), baseline=1 if baseline else 0, deducted=0)
        page.new[order.external_id] = row
        page.lines.extend(_lines(integration, row, order))
        if baseline:
            report.baseline += 1
            return
        report.new += 1
        if not cancelled:
            partner = await page.partner()
            await _deduct(session, integration, partner, row)
            await enqueue(session, partner, AlertKind.NEW_ORDER, f"order:{integration.id}:{order.external_id}",
                          _order_payload(integration, row))
        return
    if row.status == order.status and row.state == order.state and row.actions == _actions(order):
        return
    report.changed += 1
    was_cancelled = row.state == OrderState.CANCELLED
    if row.state != order.state:
        await session.execute(update(OrderLine).where(OrderLine.order_id == row.id).values(state=order.state.value))
    row.status, row.state, row.actions = order.status, order.state.value, _actions(order)
    if order.ship_by:
        row.ship_by = order.ship_by
    if cancelled and not was_cancelled:
        report.cancelled += 1
        if row.deducted:
            await _give_back(session, row)
        if not row.baseline:
            await enqueue(session, await page.partner(), AlertKind.CANCELLED,
                          f"cancel:{integration.id}:{order.external_id}", _order_payload(integration, row))


async def _deduct(session: AsyncSession, integration: MarketplaceIntegration, partner: Partner, row: Order) -> None:
    """Take the sold units from the one stock, once per order line; the other channels get pushed."""
    threshold_default = prefs_of(partner).low_stock
    for index, item in enumerate(row.item_list):
        product = await _product(session, partner.id, item.get("sku"))
        if product is None or not item.get("quantity"):
            continue
        before = product.stock
        applied = await apply_change(session, product, delta=-int(item["quantity"]), reason=Reason.ORDER,
                                     reference=f"order:{integration.id}:{row.external_id}:{index}")
        if applied is None:
            continue
        row.deducted = 1
        threshold = product.low_stock_threshold if product.low_stock_threshold is not None else threshold_default
        if applied.stock_after <= threshold < before:
            await enqueue(session, partner, AlertKind.LOW_STOCK, f"low:{product.id}:{row.id}:{index}",
                                        {"product_id": product.id, "sku": product.sku, "name": product.name,
                                         "stock": applied.stock_after, "threshold": threshold})


async def _give_back(session: AsyncSession, row: Order) -> None:
    for index, item in enumerate(row.item_list):
        product = await _product(session, row.partner_id, item.get("sku"))
        if product is None or not item.get("quantity"):
            continue
        await apply_change(session, product, delta=int(item["quantity"]), reason=Reason.CANCEL,
                           reference=f"cancel:{row.integration_id}:{row.external_id}:{index}")


async def _product(session: AsyncSession, partner_id: str, sku: str | None) -> Product | None:
    if not sku:
        return None
    return await session.scalar(select(Product).where(Product.partner_id == partner_id, Product.sku == sku))


def _lines(integration: MarketplaceIntegration, row: Order, order: MarketOrder) -> list[tuple]:
    """The order's lines as rows in LINE_COLUMNS order."""
    return [(new_id(), row.id, row.partner_id, integration.marketplace, item.sku, item.name, item.quantity or 0,
             item.price, order.currency, order.state.value, order.created_at)
            for item in order.items]


def _actions(order: MarketOrder) -> str:
    return JsonText.dump(sorted(action.value for action in order.actions))


def _item(item) -> dict:
    return {"sku": item.sku, "name": item.name, "quantity": item.quantity,
            "price": str(item.price) if item.price is not None else None}


def _order_payload(integration: MarketplaceIntegration, row: Order) -> dict:
    return {**notifications.integration_payload(integration), "order_id": row.external_id, "order_key": row.id,
            "items": row.item_list,
            "total": str(row.total) if row.total is not None else None, "currency": row.currency,
            "ship_by": row.ship_by, "placed_at": row.placed_at, "scheme": row.scheme}
