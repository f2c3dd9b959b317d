"""Uzum finance(): the connector's money figures against the sandbox's own books (sandbox/marketplaces/fees.py),
every call through SpecValidatingTransport (strict: Uzum has no spec, so its calls are checked against the
endpoint table, MARKETPLACES.md §1.2, and the auth header)."""
from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs

import httpx
import pytest

from connectors import build_client
from connectors.base import (
    AccountContext,
    BadResponse,
    Credentials,
    FinanceEntry,
    Marketplace,
    MarketplaceUnavailable,
    MoneyKind,
    OrderState,
    RateLimited,
)
from connectors.uzum import limits as UL
from connectors.uzum import sales as USALES
from connectors.uzum.models import UzumExpense, UzumFinanceItem
from sandbox.marketplaces import SandboxState, fees
from sandbox.marketplaces import accounts as A
from sandbox.marketplaces import uzum as S
from sandbox.marketplaces.catalog import Lifecycle, sku_of
from sandbox.marketplaces.orders import add_order_history
from tests.contract.test_uzum_ops import TWO_SHOPS, Uzum, add_order, clock, fresh_pacers, running  # noqa: F401
from tests.support.contract import SpecValidatingTransport

SHOP = TWO_SHOPS[0]  # the shop add_order_history fills (the default token's first)


class QueryLog(httpx.AsyncBaseTransport):
    """The query of every request (path, {name: [values]}), then on to the sandbox."""

    def __init__(self, inner: httpx.AsyncBaseTransport):
        self.inner, self.queries = inner, []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.queries.append((request.url.path, parse_qs(request.url.query.decode())))
        return await self.inner.handle_async_request(request)


def today() -> date:
    return datetime.fromtimestamp(time.time(), S.TASHKENT).date()


def sandbox_books(state: SandboxState, first: date, last: date, shops: int = 1):
    """What the sandbox booked for the default Uzum token's first shop, first..last: {kind: sum} and
    {sku: {kind: sum}}, straight from fees.py."""
    totals: Counter = Counter()
    per_sku: dict[str, Counter] = defaultdict(Counter)
    for order in state.orders.of("uzum", A.UZUM_TOKEN):
        if not first <= fees.booked_on(order, S.TASHKENT) <= last:
            continue
        for line in order.lines:
            figures = fees.line_figures("uzum", order, line)
            if figures is None:
                continue
            for kind, amount in ((MoneyKind.SALE, figures.revenue), (MoneyKind.RETURN, figures.refund),
                                 (MoneyKind.COMMISSION, figures.commission),
                                 (MoneyKind.LOGISTICS, figures.logistics + figures.return_logistics)):
                if amount:
                    totals[kind] += amount
                    per_sku[sku_of(line.index)][kind] += amount
    days = len(list(fees.storage_days(first, min(last, today()))))
    totals[MoneyKind.STORAGE] = fees.storage_fee("uzum") * days * shops
    return totals, per_sku


def sums(entries: list[FinanceEntry]) -> tuple[Counter, dict[str, Counter]]:
    totals: Counter = Counter()
    per_sku: dict[str, Counter] = defaultdict(Counter)
    for entry in entries:
        totals[entry.kind] += entry.amount
        if entry.sku:
            per_sku[entry.sku][entry.kind] += entry.amount
    return totals, per_sku


async def test_ninety_days_of_finance_equal_the_sandbox_books(clock):
    state = SandboxState()
    made = [o for o in add_order_history(state, days=90, returns=0.05, seed=20261203) if o.marketplace == "uzum"]
    returned = [o for o in made if o.status == Lifecycle.RETURNED]
    assert returned and any(o.status == Lifecycle.DELIVERED for o in made)
    first, last = today() - timedelta(days=89), today()
    async with running(state) as sandbox:
        uzum = Uzum(sandbox, clock, token=A.UZUM_TOKEN, shop_id=SHOP)
        log = QueryLog(uzum.recorder.inner)
        uzum.recorder.inner = log
        entries = await uzum.client.finance(first, last)
        again = await uzum.client.finance(first, last)
        await uzum.client.aclose()

    expected, expected_per_sku = sandbox_books(state, first, last)
    totals, per_sku = sums(entries)
    assert totals == expected
    assert expected[MoneyKind.RETURN] > 0 and expected[MoneyKind.STORAGE] == 90 * fees.storage_fee("uzum")
    # Per product: the best seller's sale, return, commission and delivery.
    best = max(expected_per_sku, key=lambda sku: expected_per_sku[sku][MoneyKind.SALE])
    assert per_sku[best] == expected_per_sku[best]

    # Each line once, amounts never negative, re-reading gives the same lines under the same keys.
    assert len({(e.kind, e.key) for e in entries}) == len(entries)
    assert all(e.amount > 0 and e.currency == "UZS" and first <= e.day <= last for e in entries)
    assert sorted(entries, key=lambda e: e.key) == sorted(again, key=lambda e: e.key)
    # Sales and returns are tied to the order and the seller's SKU as the orders give them, with units.
    some_return = next(e for e in entries if e.kind is MoneyKind.RETURN)
    order = state.orders.orders[int(some_return.order_id)]
    assert order.status == Lifecycle.RETURNED and some_return.day == fees.booked_on(order, S.TASHKENT)
    assert some_return.sku in {sku_of(line.index) for line in order.lines} and some_return.quantity >= 1
    units = sum(line.quantity for o in made if o.status in fees.SOLD and first <= fees.booked_on(o, S.TASHKENT)
                for line in o.lines)
    assert sum(e.quantity for e in entries if e.kind is MoneyKind.SALE) == units
    assert all(e.sku is None and e.order_id is None for e in entries if e.kind is MoneyKind.STORAGE)
    assert all(e.sku and e.order_id for e in entries if e.kind is MoneyKind.LOGISTICS)

    # The period is split within the stand-in's maximum (it refuses longer ones), and pages are followed:
    # orders from 30 days earlier (lines are booked after their order date): 120 days = 4 periods; expenses 3.
    periods = {path: {(q["dateFrom"][0], q["dateTo"][0]) for p, q in log.queries if p == path}
               for path in ("/uzum/v1/finance/orders", "/uzum/v1/finance/expenses")}
    assert [len(periods[p]) for p in periods] == [4, 3]
    for spans in periods.values():
        assert all(0 < int(to) - int(since) < S.FINANCE_MAX_DAYS * 86400_000 for since, to in spans)
    assert len(uzum.calls("GET", "/v1/finance/expenses")) > 2 * 3  # several pages a period
    assert set(uzum.calls("GET", r"/v1/finance/(orders|expenses)")) == {200}


async def test_a_period_longer_than_the_marketplace_allows_is_its_error(clock, monkeypatch):
    monkeypatch.setattr(USALES, "UZUM_FINANCE_MAX_DAYS", S.FINANCE_MAX_DAYS + 10)
    async with running() as sandbox:
        uzum = Uzum(sandbox, clock)
        with pytest.raises(BadResponse) as refused:
            await uzum.client.finance(today() - timedelta(days=60), today())
        await uzum.client.aclose()
    assert refused.value.status == 400 and "31 days" in str(refused.value)


@pytest.mark.parametrize("kind, error", [("5xx", MarketplaceUnavailable), ("garbage", BadResponse),
                                         ("rate_limit", RateLimited)])
async def test_failing_finance_replies_give_typed_errors(clock, kind, error):
    async with running() as sandbox:
        sandbox.inject("uzum", "/v1/finance/expenses", kind, times=1000)
        uzum = Uzum(sandbox, clock)
        with pytest.raises(error):
            await uzum.client.finance(today() - timedelta(days=3), today())
        await uzum.client.aclose()


@pytest.mark.parametrize("body", [{"payload": {"items_not_here": []}}, {"orderItems": "many"}, [1, 2]])
async def test_a_finance_reply_of_the_wrong_shape_is_bad_response(clock, body):
    transport = SpecValidatingTransport(Marketplace.UZUM, httpx.MockTransport(lambda r: httpx.Response(200, json=body)))
    client = build_client(Marketplace.UZUM, Credentials("uzum-test-token-0001"), transport=transport, clock=clock,
                          account=AccountContext(shop_id="7"))
    with pytest.raises(BadResponse):
        await client.finance(date(2026, 11, 1), date(2026, 11, 2))
    await client.aclose()


async def test_returned_orders_show_as_returned_wherever_orders_are_listed(clock):
    state = SandboxState()
    order = add_order(state, 2)
    order.status = Lifecycle.RETURNED
    async with running(state) as sandbox:
        uzum = Uzum(sandbox, clock)
        one = await uzum.client.get_order(str(order.id))
        page = await uzum.client.orders_since(None)
        await uzum.client.aclose()
    assert one.status == "RETURNED" and one.state is OrderState.DONE and not one.actions
    assert [(o.external_id, o.status) for o in page.orders] == [(str(order.id), "RETURNED")]


# ========================================================================================= parsing
def test_lines_and_charges_map_to_kinds_and_skip_what_is_not_booked():
    booked = UzumFinanceItem.model_validate({
        "id": 5, "orderId": 9, "skuTitle": "A-1", "status": "TO_WITHDRAW", "date": 1_790_000_000_000,
        "dateIssued": 1_790_300_000_000, "sellPrice": 1200, "amount": 3, "amountReturns": 1, "commission": -540})
    entries = {e.kind: e for e in USALES.order_line_entries(booked)}
    assert {k: (e.amount, e.quantity) for k, e in entries.items()} == {
        MoneyKind.SALE: (Decimal(3600), 3), MoneyKind.RETURN: (Decimal(1200), 1), MoneyKind.COMMISSION: (540, None)}
    assert entries[MoneyKind.SALE].key == "5:sale" and entries[MoneyKind.SALE].day == date(2026, 9, 25)
    assert all(e.sku == "A-1" and e.order_id == "9" for e in entries.values())
    for status in ("PROCESSING", "CANCELED"):
        assert USALES.order_line_entries(booked.model_copy(update={"status": status})) == []
    assert USALES.order_line_entries(booked.model_copy(update={"cancelled": True})) == []

    def charge(source, price, **extra):
        return USALES.expense_entries(UzumExpense.model_validate(
            {"id": 77, "source": source, "paymentPrice": price, "dateService": 1_790_000_000_000, **extra}))

    assert [(e.kind, e.amount, e.key) for e in charge("storage", -2000)] == [
        (MoneyKind.STORAGE, Decimal(2000), "expense:77:storage")]
    assert charge("MARKETING", 10)[0].kind is MoneyKind.ADVERTISING and charge("FINE", 1)[0].kind is MoneyKind.PENALTY
    assert charge("SOMETHING_NEW", 5)[0].kind is MoneyKind.OTHER_FEE
    assert charge("LOGISTICS", 0) == [] and charge("LOGISTICS", 5, status="CANCELED") == []


def test_sandbox_finance_limits_match_the_connector_choices():
    assert (S.EXPENSES_PAGE_MAX, S.FINANCE_MAX_DAYS) == (UL.UZUM_EXPENSES_PAGE_SIZE, UL.UZUM_FINANCE_MAX_DAYS)
