"""Yandex Market finance(): the real connector over the stand-in's order book, every request and reply spec-checked.

The sandbox's own books (sandbox/marketplaces/fees.py) are what the figures must add up to; the client and the
sandbox share a SettlingClock (tests/contract/test_yandex_ops.py), so pacing and retry waits cost no real time.
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import yaml

from connectors import build_client
from connectors.base import BadResponse, Credentials, MarketplaceUnavailable, MoneyKind, OrderState, RateLimited
from connectors.yandex import limits
from connectors.yandex.models import MARKET_TZ, YandexStatsReply
from connectors.yandex.sales import COMMISSION_KINDS, order_entries, stats_windows
from sandbox.marketplaces import accounts as A
from sandbox.marketplaces import yandex as sandbox_yandex
from sandbox.marketplaces.catalog import Lifecycle
from sandbox.marketplaces.fees import booked_on, line_figures
from sandbox.marketplaces.orders import add_order_history
from tests.contract.test_yandex_ops import ACCOUNT, CAMPAIGN, M, fresh_pacers, make_env  # noqa: F401 (fixture)
from tests.support import contract
from tests.support.contract import SpecValidatingTransport, spec_example

STATS = f"/v2/campaigns/{CAMPAIGN}/stats/orders"
SPEC_SCHEMAS = Path(contract.__file__).resolve().parents[2] / "specs/yandex/partner-api/openapi/components/schemas"


class Bodies(httpx.AsyncBaseTransport):
    """Keeps the JSON body of every getOrdersStats request."""

    def __init__(self, inner: httpx.AsyncBaseTransport):
        self.inner, self.bodies = inner, []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/stats/orders"):
            self.bodies.append(json.loads(request.content or b"{}"))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
async def env():
    e = await make_env()
    yield e
    await e.sandbox.stop()


def moscow_today(env) -> date:
    return datetime.fromtimestamp(env.clock.now(), MARKET_TZ).date()


def books(env, first: date, last: date) -> tuple[dict, dict, list]:
    """The sandbox's own figures for our campaign, first..last (Moscow days): per kind, and per (kind, sku)."""
    per_kind: dict[MoneyKind, Decimal] = defaultdict(Decimal)
    per_sku: dict[tuple[MoneyKind, str], list] = defaultdict(lambda: [Decimal(0), 0])
    booked = []
    catalog = env.catalog
    for order in env.state.orders.of("yandex", A.YANDEX_API_KEY):
        if order.shop_id != str(CAMPAIGN) or not first <= booked_on(order, sandbox_yandex.MSK) <= last:
            continue
        for line in order.lines:
            figures = line_figures("yandex", order, line)
            if figures is None:
                continue
            booked.append(order)
            sku = catalog.product(line.index).sku
            for kind, amount in ((MoneyKind.SALE, figures.revenue), (MoneyKind.RETURN, figures.refund),
                                 (MoneyKind.COMMISSION, figures.commission),
                                 (MoneyKind.LOGISTICS, figures.logistics + figures.return_logistics)):
                per_kind[kind] += amount
                if kind in (MoneyKind.SALE, MoneyKind.RETURN) and amount:
                    per_sku[kind, sku][0] += amount
                    per_sku[kind, sku][1] += line.quantity
    return per_kind, per_sku, booked


# ======================================================================= the books, over 90 days
async def test_90_days_of_finance_add_up_to_the_sandbox_books_per_kind_and_per_sku(monkeypatch):
    monkeypatch.setattr(limits, "STATS_PAGE_LIMIT", 40)  # pages of 40: paging within each 30-day window
    env = await make_env(enforce_rate_limits=True)
    try:
        add_order_history(env.state, days=90, returns=0.05, seed=11)
        last = moscow_today(env)
        first = last - timedelta(days=89)
        bodies = []
        async with env.client(wrap=lambda t: bodies.append(Bodies(t)) or bodies[-1]) as ym:
            entries = await ym.finance(first, last)
            expected, per_sku, booked = books(env, first, last)
            returned = next(o for o in booked if o.status == Lifecycle.RETURNED)
            order = await ym.get_order(str(returned.id))
    finally:
        await env.sandbox.stop()

    got: dict[MoneyKind, Decimal] = defaultdict(Decimal)
    for entry in entries:
        got[entry.kind] += entry.amount
    assert expected[MoneyKind.RETURN] > 0 and expected[MoneyKind.SALE] > 10 * expected[MoneyKind.RETURN]
    assert dict(got) == {kind: amount for kind, amount in expected.items() if amount}
    # Per product: the best seller's sales and returns, in money and units.
    got_sku: dict[tuple[MoneyKind, str], list] = defaultdict(lambda: [Decimal(0), 0])
    for entry in entries:
        if entry.kind in (MoneyKind.SALE, MoneyKind.RETURN):
            got_sku[entry.kind, entry.sku][0] += entry.amount
            got_sku[entry.kind, entry.sku][1] += entry.quantity
    assert got_sku == per_sku
    # Every line once, never negative, in roubles, on a day of the period.
    assert len({e.key for e in entries}) == len(entries)
    assert all(e.amount > 0 and e.currency == "RUB" and first <= e.day <= last for e in entries)
    # A returned order's lines name the order and the SKUs exactly as the connector's orders do.
    mine = [e for e in entries if e.order_id == order.external_id]
    assert {e.kind for e in mine} >= {MoneyKind.SALE, MoneyKind.RETURN, MoneyKind.COMMISSION, MoneyKind.LOGISTICS}
    assert {e.sku for e in mine if e.kind == MoneyKind.SALE} == {item.sku for item in order.items}
    assert order.state == OrderState.DONE and order.status.startswith("RETURNED")
    # 90 days = 3 windows of at most 30 days, each read in pages of 40.
    sent = [b for t in bodies for b in t.bodies]
    windows = sorted({(b["updateFrom"], b["updateTo"]) for b in sent})
    assert windows == [(a.isoformat(), b.isoformat()) for a, b in stats_windows(first, last)]
    assert len(windows) == 3 and len(sent) > len(windows)
    assert {status for _, _, status in env.calls()} == {200}  # paced within the limits: never a 420
    assert all(date.fromisoformat(b) - date.fromisoformat(a) < timedelta(days=30) for a, b in windows)


def test_a_period_is_split_into_windows_of_at_most_30_days():
    day = date(2027, 1, 1)
    assert list(stats_windows(day, day)) == [(day, day)]
    assert list(stats_windows(day, day + timedelta(days=29))) == [(day, day + timedelta(days=29))]
    assert list(stats_windows(day, day + timedelta(days=30))) == [
        (day, day + timedelta(days=29)), (day + timedelta(days=30), day + timedelta(days=30))]
    assert list(stats_windows(day, day - timedelta(days=1))) == []


async def test_sales_over_more_than_30_days_are_asked_in_windows_too(env):
    sandbox_yandex.add_order(env.state, [(1, 2)], campaign_id=CAMPAIGN)
    today = moscow_today(env)
    async with env.client() as ym:
        rows = await ym.sales(today - timedelta(days=60), today)
    assert [(r.sku, r.quantity) for r in rows] == [(env.catalog.product(1).sku, 2)]
    assert len(env.calls("POST", "/stats/orders")) == 3


async def test_orders_not_yet_delivered_and_cancelled_ones_have_no_money(env):
    new = sandbox_yandex.add_order(env.state, [(1, 1)], campaign_id=CAMPAIGN)
    cancelled = sandbox_yandex.add_order(env.state, [(2, 1)], campaign_id=CAMPAIGN)
    env.state.orders.set_status(cancelled.id, Lifecycle.CANCELLED)
    delivered = sandbox_yandex.add_order(env.state, [(3, 2), (4, 1)], campaign_id=CAMPAIGN)
    env.state.orders.set_status(delivered.id, Lifecycle.DELIVERED)
    today = moscow_today(env)
    async with env.client() as ym:
        entries = await ym.finance(today, today)
    assert {e.order_id for e in entries} == {str(delivered.id)}
    assert str(new.id) not in {e.order_id for e in entries}
    # Two SKUs in the order: its services name the order, not a SKU.
    assert {e.sku for e in entries if e.kind in (MoneyKind.COMMISSION, MoneyKind.LOGISTICS)} == {None}
    assert sorted((e.sku, e.quantity) for e in entries if e.kind == MoneyKind.SALE) == [
        (env.catalog.product(3).sku, 2), (env.catalog.product(4).sku, 1)]


# ================================================================================ bad replies
@pytest.mark.parametrize("kind, error", [("5xx", MarketplaceUnavailable), ("garbage", BadResponse),
                                         ("rate_limit", RateLimited)])
async def test_a_failing_marketplace_gives_a_typed_error(env, kind, error):
    env.sandbox.inject("yandex", STATS, kind, times=50)
    today = moscow_today(env)
    async with env.client(strict=False) as ym:
        with pytest.raises(error):
            await ym.finance(today - timedelta(days=3), today)


async def test_a_reply_of_the_wrong_shape_is_a_bad_response(env):
    def wrong(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/stats/orders"):
            return httpx.Response(200, json={"status": "OK", "result": {"orders": [{"id": 1}]}})
        return httpx.Response(200, json={"campaigns": [{"id": CAMPAIGN}]})

    client = build_client(M, Credentials(A.YANDEX_API_KEY), base_url="https://api.partner.market.yandex.ru",
                          transport=httpx.MockTransport(wrong), clock=env.clock, account=ACCOUNT)
    async with client as ym:
        with pytest.raises(BadResponse):
            await ym.finance(date(2027, 1, 1), date(2027, 1, 2))


# ======================================================================== the spec's own words
def test_every_commission_type_of_the_spec_has_a_money_kind():
    spec_types = yaml.safe_load((SPEC_SCHEMAS / "OrdersStatsCommissionType.yaml").read_text())["enum"]
    assert set(spec_types) == set(COMMISSION_KINDS)
    logistics = {t for t, k in COMMISSION_KINDS.items() if k == MoneyKind.LOGISTICS}
    assert {"DELIVERY_TO_CUSTOMER", "CROSSREGIONAL_DELIVERY", "SORTING"} <= logistics
    assert COMMISSION_KINDS["FEE"] == MoneyKind.COMMISSION
    assert COMMISSION_KINDS["RETURNED_ORDERS_STORAGE"] == MoneyKind.STORAGE


def test_the_specs_example_reads_as_finance_entries():
    reply = YandexStatsReply.model_validate(spec_example(M, "POST", STATS))
    for order in reply.result.orders:
        for entry in order_entries(order):
            assert entry.amount > 0 and entry.order_id == str(order.id)


def order(**changes) -> dict:
    base = {"id": 5, "creationDate": "2027-01-01", "statusUpdateDate": "2027-01-04T23:30:00+03:00",
            "status": "DELIVERED", "fake": False, "currency": "RUR", "payments": [],
            "items": [{"shopSku": "A-1", "count": 2,
                       "prices": [{"type": "BUYER", "costPerItem": 100.5, "total": 201},
                                  {"type": "CASHBACK", "costPerItem": 10, "total": 20}]},
                      {"offerName": "Доставка", "count": 1, "prices": [{"type": "BUYER", "total": 99}]}],
            "commissions": [{"type": "FEE", "actual": 24.12}, {"type": "SORTING", "actual": 15},
                            {"type": "SORTING", "actual": 5}, {"type": "AGENCY", "actual": -3.5},
                            {"type": "SOMETHING_NEW", "actual": 1}]}
    return {"status": "OK", "result": {"orders": [{**base, **changes}]}}


def test_one_order_maps_to_entries_on_its_moscow_day():
    reply = YandexStatsReply.model_validate(order())
    entries = {(e.kind, e.key): e for e in order_entries(reply.result.orders[0])}
    assert {k: (e.amount, e.sku, e.quantity) for k, e in entries.items()} == {
        (MoneyKind.SALE, "5:A-1:sale"): (Decimal("201.00"), "A-1", 2),
        (MoneyKind.COMPENSATION, "5:A-1:cashback"): (Decimal("20.00"), "A-1", None),
        (MoneyKind.COMMISSION, "5:FEE:commission"): (Decimal("24.12"), "A-1", None),
        (MoneyKind.LOGISTICS, "5:SORTING:logistics"): (Decimal("20.00"), "A-1", None),
        (MoneyKind.COMPENSATION, "5:AGENCY:compensation"): (Decimal("3.50"), "A-1", None),
        (MoneyKind.OTHER_FEE, "5:SOMETHING_NEW:other_fee"): (Decimal("1.00"), "A-1", None),
    }
    assert {e.day for e in entries.values()} == {date(2027, 1, 4)}
    assert {e.currency for e in entries.values()} == {"RUB"}


def test_returned_units_are_refunded_at_the_buyer_price_and_test_orders_are_left_out():
    items = [{"shopSku": "A-1", "count": 3, "prices": [{"type": "BUYER", "costPerItem": 100, "total": 300}],
              "details": [{"itemStatus": "RETURNED", "itemCount": 2}]}]
    reply = YandexStatsReply.model_validate(order(status="PARTIALLY_RETURNED", items=items, commissions=[]))
    [refund, sale] = sorted(order_entries(reply.result.orders[0]), key=lambda e: e.kind)
    assert (refund.kind, refund.amount, refund.quantity) == (MoneyKind.RETURN, Decimal("200.00"), 2)
    assert (sale.kind, sale.amount, sale.quantity) == (MoneyKind.SALE, Decimal("300.00"), 3)
    for changes in ({"fake": True}, {"status": "CANCELLED_IN_DELIVERY"}, {"status": "DELIVERY"}):
        assert order_entries(YandexStatsReply.model_validate(order(**changes)).result.orders[0]) == []


# ============================================================================== the stand-in
async def test_the_stand_in_refuses_more_than_30_days_per_request_and_lists_returned_orders(env):
    transport = SpecValidatingTransport(M, httpx.AsyncHTTPTransport(), base_url=env.base)
    returned = sandbox_yandex.add_order(env.state, [(1, 1)], campaign_id=CAMPAIGN)
    returned.status = Lifecycle.RETURNED  # as add_order_history() makes them: no action returns an order
    headers = {"Api-Key": A.YANDEX_API_KEY}
    async with httpx.AsyncClient(transport=transport, base_url=env.base, headers=headers) as http:
        long = await http.post(STATS, json={"updateFrom": "2027-01-01", "updateTo": "2027-01-31"})
        ok = await http.post(STATS, json={"updateFrom": "2027-01-01", "updateTo": "2027-01-30"})
        today = moscow_today(env).isoformat()
        stats = await http.post(STATS, json={"updateFrom": today, "updateTo": today})
        orders = await http.post(f"/v1/businesses/{A.YANDEX_BUSINESS_ID}/orders",
                                 json={"orderIds": [returned.id]})
    assert long.status_code == 400 and "30" in long.json()["errors"][0]["message"]
    assert ok.status_code == 200
    [stat] = stats.json()["result"]["orders"]
    assert stat["status"] == "RETURNED" and stat["items"][0]["details"] == [{"itemStatus": "RETURNED", "itemCount": 1}]
    assert {p["type"] for p in stat["payments"]} == {"PAYMENT", "REFUND"}
    assert {c["type"] for c in stat["commissions"]} == {"FEE", "DELIVERY_TO_CUSTOMER", "RETURN_PROCESSING"}
    assert orders.json()["orders"][0]["status"] == "RETURNED"
    assert transport.violations == []
