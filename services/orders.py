"""Orders: the poll job. It reads each integration's orders from its durable cursor, stores each order once, takes
stock once for a new order (and gives it back once when it is cancelled), and queues one alert per fact — all in the
job's final transaction, which also moves the cursor (services/jobs/runner.py): a crash at any point repeats work
harmlessly instead of losing or doubling it.

The first poll of an integration is a baseline: existing orders are recorded silently (no alert, no stock change), so
connecting a busy shop does not flood the chat with old orders.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import Order as MarketOrder, OrderState
from db.models import JsonText, MarketplaceIntegration, Order, OrderLine, Partner, Product, new_id
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
    """The orders job: read from the cursor; store in the runner's final transaction."""
    async with ctx.platform.sessionmaker() as session:
        plan = await schedule.get_or_create(session, ctx.integration_id, JobKind.ORDERS)
        cursor, baseline = plan.cursor, not plan.baseline_done
        await session.commit()
    page = await ctx.client.orders_since(cursor)
    report = PollReport(ctx.integration_id)

    async def store(session: AsyncSession, integration: MarketplaceIntegration) -> None:
        partner = await session.get(Partner, integration.partner_id)
        for order in page.orders:
            await _store(session, integration, partner, order, baseline, report)
        plan = await schedule.get_or_create(session, integration.id, JobKind.ORDERS)
        plan.cursor = page.cursor
        plan.baseline_done = 1

    return JobResult(report=report, finish=store)


async def _store(session: AsyncSession, integration: MarketplaceIntegration, partner: Partner, order: MarketOrder,
                 baseline: bool, report: PollReport) -> None:
    """One order as the connector reads it: its state (new, active, cancelled, done) and the actions it allows are
    the connector's reading of the marketplace's status."""
    cancelled = order.state == OrderState.CANCELLED
    row = await session.scalar(select(Order).where(Order.integration_id == integration.id,
                                                   Order.external_id == order.external_id))
    if row is None:
        row = Order(id=new_id(), integration_id=integration.id, partner_id=partner.id, external_id=order.external_id,
                    status=order.status, state=order.state.value, actions=_actions(order), scheme=order.scheme.value,
                    placed_at=order.created_at, ship_by=order.ship_by, total=order.total, currency=order.currency,
                    items=JsonText.dump([_item(i) for i in order.items]), baseline=1 if baseline else 0)
        session.add(row)
        session.add_all(_lines(integration, row, order))
        await session.flush()
        if baseline:
            report.baseline += 1
            return
        report.new += 1
        if not cancelled:
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
            await enqueue(session, partner, AlertKind.CANCELLED, f"cancel:{integration.id}:{order.external_id}",
                          _order_payload(integration, row))


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


def _lines(integration: MarketplaceIntegration, row: Order, order: MarketOrder) -> list[OrderLine]:
    return [OrderLine(order_id=row.id, partner_id=row.partner_id, marketplace=integration.marketplace, sku=item.sku,
                      name=item.name, quantity=item.quantity or 0, price=item.price, currency=order.currency,
                      state=order.state.value, placed_at=order.created_at)
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
