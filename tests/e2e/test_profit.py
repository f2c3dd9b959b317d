"""Profit, end to end: a partner connects marketplaces in chat, the bot reads the catalog, the orders and each
marketplace's finance report from the sandbox (the real connectors, every call spec-checked by the harness), the
partner has cost prices, and the profit the bot reports is revenue − the sandbox's own fees − cost of goods, checked
against the sandbox's books (sandbox/marketplaces/fees.py) over the sandbox's order book."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update

from db.models import MarketplaceIntegration, OrderLine, Partner, Product
from sandbox.marketplaces.catalog import index_of, sku_of
from sandbox.marketplaces.fees import booked_on, line_figures, storage_fee
from sandbox.marketplaces.orders import DEFAULT_ACCOUNTS, add_order_history
from sandbox.marketplaces.ozon import BOOKS_TZ as OZON_TZ
from sandbox.marketplaces.uzum import TASHKENT
from sandbox.marketplaces.yandex import MSK
from services import analytics
from services.jobs.types import JobKind
from services.outbox.policy import zone
from tests.e2e.conftest import connect

# The marketplaces checked here, their sandbox account and the time zone their books count days in.
BOOKS = {"uzum": (TASHKENT, "UZS"), "yandex": (MSK, "RUB"), "ozon": (OZON_TZ, "RUB")}
STORAGE_DAILY = ("uzum", "ozon")  # Yandex's order stats carry no storage (docs/FINANCE.md)
COST = {1: Decimal("300.00"), 2: Decimal("450.50"), 3: Decimal("0.00")}  # product index -> cost price


def expected(harness, first, last) -> tuple[dict, dict]:
    """From the sandbox's books: per (sku, currency) (sales − refunds, fees, units), and the per-currency fees
    tied to no product (storage)."""
    state = harness.marketplaces.state
    per: dict[tuple[str, str], list] = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
    other: dict[str, Decimal] = defaultdict(Decimal)
    for marketplace, (tz, currency) in BOOKS.items():
        for order in state.orders.of(marketplace, DEFAULT_ACCOUNTS[marketplace]):
            if not first <= booked_on(order, tz) <= last:
                continue
            # Yandex bills its services per order: with several products in it, they are the order's, not a
            # product's (the bot counts them against the period's total, as the marketplace reports them).
            per_order = marketplace == "yandex" and len({line.index for line in order.lines}) > 1
            for line in order.lines:
                figures = line_figures(marketplace, order, line)
                if figures is None:
                    continue
                item = per[(sku_of(line.index), currency)]
                item[0] += figures.revenue - figures.refund
                if per_order:
                    other[currency] += figures.fees
                else:
                    item[1] += figures.fees
                item[2] += 0 if figures.refund else line.quantity
        if marketplace in STORAGE_DAILY:  # the connected shop's storage, a charge a day
            other[currency] += storage_fee(marketplace) * ((last - first).days + 1)
    return per, other


async def test_profit_is_revenue_minus_sandbox_fees_minus_cost(harness):
    user = await harness.registered(7101)
    for marketplace in BOOKS:
        await connect(user, marketplace)
    runtime = harness.runtime
    async with runtime.sessionmaker() as s:
        partner = await s.scalar(select(Partner).where(Partner.telegram_id == 7101))
        integrations = list(await s.scalars(select(MarketplaceIntegration)
                                            .where(MarketplaceIntegration.partner_id == partner.id)))
    # Weeks of sales with returns, placed before the bot first reads the orders. Uzum's and Yandex's history is made
    # on the account's first shop / campaign: moved to the one the partner connected.
    state = harness.marketplaces.state
    add_order_history(state, days=40, per_day=(2, 4), seed=11, returns=0.15)
    for integration in integrations:
        if integration.marketplace in ("uzum", "yandex"):
            for order in state.orders.of(integration.marketplace, DEFAULT_ACCOUNTS[integration.marketplace]):
                order.shop_id = integration.seller_id
    for integration in integrations:
        for kind in (JobKind.CATALOG, JobKind.ORDERS, JobKind.FINANCE):
            outcome = await runtime.jobs.run(kind, integration.id)
            assert outcome.error is None, (integration.marketplace, kind, outcome.error)
    async with runtime.sessionmaker() as s:
        assert await s.scalar(select(OrderLine.id).where(OrderLine.partner_id == partner.id).limit(1))
        for index, cost in COST.items():
            await s.execute(update(Product).where(Product.partner_id == partner.id, Product.sku == sku_of(index))
                            .values(cost_price=cost))
        await s.commit()

    today = datetime.now(zone(partner.timezone)).date()
    period = analytics.Period(today - timedelta(days=29), today - timedelta(days=1))
    async with runtime.sessionmaker() as s:
        profit = await analytics.profit(s, partner.id, period)
    per, other = expected(harness, period.first, period.last)

    with_cost = {(p.sku, p.currency): p for p in profit.products}
    without = {(p.sku, p.currency): p for p in profit.without_cost}
    assert set(with_cost) | set(without) == set(per), "every product the sandbox booked money for, once"
    checked = 0
    for key, (sales, fees, units) in per.items():
        index = index_of(key[0])
        if index in COST:
            item = with_cost[key]
            assert (item.sales, item.fees, item.units) == (sales, fees, units), key
            assert item.profit == sales - fees - COST[index] * units, key
            checked += 1
        else:  # no cost price: listed as such, never counted as zero cost
            assert key in without and without[key].profit is None
    assert checked, "the history sold some of the costed products"
    for currency in {c for _, c in per}:
        costed = sum((s - f - COST[index_of(k)] * u for (k, c), (s, f, u) in per.items()
                      if c == currency and index_of(k) in COST), Decimal(0))
        assert profit.profit.get(currency, Decimal(0)) == costed - other.get(currency, Decimal(0)), currency
        assert profit.revenue_without_cost.get(currency, Decimal(0)) == sum(
            (s for (k, c), (s, _, _) in per.items() if c == currency and index_of(k) not in COST),
            Decimal(0))
