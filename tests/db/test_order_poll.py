"""The orders poll's storing: the first poll records what is there silently (no alert), a later one alerts each new
order once and each cancellation once, an order already stored is updated, not stored again, and an order the
marketplace lists twice in one page (new, then cancelled) is one order with both alerts, as when it came in two
polls. On PostgreSQL (TEST_POSTGRES_URL) and SQLite."""
from decimal import Decimal

from sqlalchemy import select

from connectors.base import Marketplace, Order as MarketOrder, OrderItem, OrderPage, OrderState
from db.models import MarketplaceIntegration, Order, OrderLine, OutboxMessage, Partner, Schedule
from services.jobs import JobKind
from tests.support.jobs import run_job


def order(external_id: str, state: OrderState = OrderState.NEW, status: str = "CREATED") -> MarketOrder:
    return MarketOrder(Marketplace.UZUM, external_id, status, 1_800_000_000, (OrderItem("sku-1", "Tea", 2,
                       Decimal("50000")),), state, total=Decimal("100000"), currency="UZS")


class Pages:
    """A marketplace that answers each poll with the next page."""

    def __init__(self, *pages: list[MarketOrder]):
        self.pages = list(pages)
        self.cursors = []

    async def orders_since(self, cursor):
        self.cursors.append(cursor)
        return OrderPage(self.pages.pop(0), f"cursor-{len(self.cursors)}")

    async def aclose(self):
        pass


async def test_first_poll_is_silent_then_new_and_cancelled_orders_alert_once(sessionmaker):
    async with sessionmaker() as s:
        partner = Partner(telegram_id=5, language="en")
        s.add(partner)
        await s.flush()
        integration = MarketplaceIntegration(partner_id=partner.id, marketplace="uzum", status="active", active=1,
                                             seller_id="1", api_key="k")
        s.add(integration)
        await s.commit()
        integration_id = integration.id
    client = Pages([order("old")],
                   [order("old", OrderState.CANCELLED, "CANCELED"), order("A"),
                    order("A", OrderState.CANCELLED, "CANCELED"), order("B")])

    baseline = await run_job(sessionmaker, JobKind.ORDERS, integration_id, client)
    later = await run_job(sessionmaker, JobKind.ORDERS, integration_id, client)

    assert baseline.report.counts() == {"new": 0, "changed": 0, "cancelled": 0, "baseline": 1}
    assert later.report.counts() == {"new": 2, "changed": 2, "cancelled": 2, "baseline": 0}
    assert client.cursors == [None, "cursor-1"]  # the second poll read from where the first one left off
    async with sessionmaker() as s:
        orders = {row.external_id: row for row in await s.scalars(select(Order))}
        lines = {(line.order_id, line.state) for line in await s.scalars(select(OrderLine))}
        alerts = sorted(row.dedupe_key.split(":")[0] + ":" + row.dedupe_key.split(":")[-1]
                        for row in await s.scalars(select(OutboxMessage)))
        plan = await s.get(Schedule, (integration_id, "orders"))
    assert sorted(orders) == ["A", "B", "old"]  # each once
    assert {k: (o.state, o.baseline) for k, o in orders.items()} == {
        "old": ("cancelled", 1), "A": ("cancelled", 0), "B": ("new", 0)}
    assert lines == {(orders["old"].id, "cancelled"), (orders["A"].id, "cancelled"), (orders["B"].id, "new")}
    # The baseline order's cancellation says nothing (it was never announced); A's new and cancelled, B's new.
    assert alerts == ["cancel:A", "order:A", "order:B"]
    assert (plan.cursor, plan.baseline_done) == ("cursor-2", 1)
