"""The Ozon connector's finance() (/v3/finance/transaction/list) against the official swagger, and against the
sandbox stand-in's books (sandbox.marketplaces.fees): what a seller's profit report will show.

Every request and reply passes through SpecValidatingTransport (strict): a body the spec does not allow, or a
reply it does not document, fails the test. Scripted replies (FakeApi) test the mapping, the period split and
the errors; the sandbox tests run both sides for real over a 90-day order history with returns.
"""
from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest

from connectors import build_client, default_base_url
from connectors.base import (
    AuthError,
    BadResponse,
    Credentials,
    Marketplace,
    MarketplaceUnavailable,
    MoneyKind,
    RateLimited,
)
from connectors.clock import FakeClock
from connectors.ozon import limits as oz_limits
from connectors.ozon import sales as oz_sales
from connectors.pacing import reset_pacers
from sandbox.marketplaces.ozon import BOOKS_TZ as MSK  # the days the stand-in's books count
from tests.support import FakeApi, reply
from tests.support.contract import SpecValidatingTransport, spec_example

M = Marketplace
K = MoneyKind
OZ = default_base_url(M.OZON)
TRANSACTIONS = OZ + "/v3/finance/transaction/list"
PRODUCT_INFO = OZ + "/v3/product/info/list"
KEY = "0f9e8d7c-ozon-finance-test-key-123456"
CLIENT_ID = "123456"
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc).timestamp()


@pytest.fixture(autouse=True)
def fresh_pacers():
    reset_pacers()
    yield
    reset_pacers()


def client(api: FakeApi | httpx.AsyncBaseTransport, *, strict: bool = True, clock: FakeClock | None = None):
    inner = api.transport if isinstance(api, FakeApi) else api
    transport = SpecValidatingTransport(M.OZON, inner, strict=strict)
    clock = clock or FakeClock(NOW)
    return build_client(M.OZON, Credentials(KEY, CLIENT_ID), transport=transport, clock=clock), transport, clock


def operation(operation_id: int, day: str, operation_type: str, kind: str, *, sale: float = 0, commission: float = 0,
              services: tuple = (), amount: float, posting: str = "", skus: tuple = ()) -> dict:
    """An operation in the swagger example's shape, with its fields set."""
    example = spec_example(M.OZON, "POST", "/v3/finance/transaction/list")["result"]["operations"][0]
    return {**example, "operation_id": operation_id, "operation_date": f"{day} 10:00:00",
            "operation_type": operation_type, "type": kind, "accruals_for_sale": sale, "sale_commission": commission,
            "amount": amount, "services": [{"name": n, "price": p} for n, p in services],
            "posting": {**example["posting"], "posting_number": posting, "delivery_schema": "FBS" if posting else ""},
            "items": [{"name": "Kettle", "sku": s} for s in skus]}


def page(operations: list[dict], page_count: int = 1) -> httpx.Response:
    return reply(200, {"result": {"operations": operations, "page_count": page_count, "row_count": len(operations)}})


def product_info(*pairs: tuple[int, str]) -> httpx.Response:
    return reply(200, {"items": [{"id": 1000 + i, "sku": sku, "offer_id": offer, "name": offer}
                                 for i, (sku, offer) in enumerate(pairs)]})


# ============================================================================ mapping (scripted replies)
async def test_the_swagger_example_reply_is_read_as_an_advertising_charge():
    api = FakeApi().add("POST", TRANSACTIONS, reply(200, spec_example(M.OZON, "POST", "/v3/finance/transaction/list")))
    c, transport, _ = client(api)
    entries = await c.finance(date(2021, 11, 1), date(2021, 11, 1))
    assert [(e.day, e.kind, e.amount, e.key, e.sku, e.order_id) for e in entries] == [
        (date(2021, 11, 1), K.ADVERTISING, Decimal("6.46"), "11401182187840:advertising", None, None)]
    assert transport.violations == []


async def test_a_sale_a_return_and_the_account_charges_map_to_money_kinds():
    sale = operation(1, "2026-06-02", "OperationAgentDeliveredToCustomer", "orders", sale=2000.0, commission=-340.0,
                     services=(("MarketplaceServiceItemDirectFlowLogistic", -150.0),
                               ("MarketplaceRedistributionOfAcquiringOperation", -20.5)),
                     amount=1489.5, posting="111-0001-1", skus=(9001, 9001))
    refund = operation(2, "2026-06-09", "ClientReturnAgentOperation", "returns", sale=-1000.0, commission=170.0,
                       amount=-830.0, posting="111-0001-1", skus=(9001,))
    back = operation(3, "2026-06-10", "OperationItemReturn", "returns",
                     services=(("MarketplaceServiceItemReturnFlowLogistic", -55.0),), amount=-55.0,
                     posting="111-0001-1", skus=(9001,))
    storage = operation(4, "2026-06-10", "OperationMarketplaceServiceStorage", "services", amount=-130.0)
    claim = operation(5, "2026-06-11", "MarketplaceSellerCompensationOperation", "compensation", amount=300.0)
    mixed = operation(6, "2026-06-11", "OperationAgentDeliveredToCustomer", "orders", sale=500.0, amount=500.0,
                      posting="222-0001-1", skus=(9001, 9002))
    api = FakeApi().add("POST", TRANSACTIONS, page([sale, refund, back, storage, claim, mixed]))
    api.add("POST", PRODUCT_INFO, product_info((9001, "KETTLE-1"), (9002, "MUG-2")))
    c, transport, _ = client(api)
    entries = await c.finance(date(2026, 6, 1), date(2026, 6, 14))
    got = {e.key: (e.day.isoformat(), e.kind, e.amount, e.sku, e.order_id, e.quantity) for e in entries}
    assert got == {
        "1:sale": ("2026-06-02", K.SALE, Decimal("2000.00"), "KETTLE-1", "111-0001-1", 2),
        "1:commission": ("2026-06-02", K.COMMISSION, Decimal("340.00"), "KETTLE-1", "111-0001-1", None),
        "1:logistics": ("2026-06-02", K.LOGISTICS, Decimal("150.00"), "KETTLE-1", "111-0001-1", None),
        "1:other_fee": ("2026-06-02", K.OTHER_FEE, Decimal("20.50"), None, None, None),  # acquiring
        "2:return": ("2026-06-09", K.RETURN, Decimal("1000.00"), "KETTLE-1", "111-0001-1", 1),
        "2:compensation": ("2026-06-09", K.COMPENSATION, Decimal("170.00"), None, None, None),  # commission back
        "3:logistics": ("2026-06-10", K.LOGISTICS, Decimal("55.00"), "KETTLE-1", "111-0001-1", None),
        "4:storage": ("2026-06-10", K.STORAGE, Decimal("130.00"), None, None, None),
        "5:compensation": ("2026-06-11", K.COMPENSATION, Decimal("300.00"), None, None, None),
        "6:sale": ("2026-06-11", K.SALE, Decimal("500.00"), None, "222-0001-1", 2),  # two products: no one SKU
    }
    assert all(e.amount > 0 and e.currency == "RUB" for e in entries)
    assert transport.violations == []


async def test_a_long_period_is_cut_at_calendar_months_and_read_page_by_page(monkeypatch):
    monkeypatch.setattr(oz_limits, "TRANSACTION_PAGE_SIZE", 2)
    storage = [operation(10 + i, f"2026-04-{15 + i}", "OperationMarketplaceServiceStorage", "services", amount=-130.0)
               for i in range(3)]
    api = FakeApi().add("POST", TRANSACTIONS, page(storage[:2], page_count=2), page(storage[2:], page_count=2),
                        page([]), page([], page_count=0))
    c, transport, _ = client(api)
    entries = await c.finance(date(2026, 4, 15), date(2026, 6, 10))
    assert [e.key for e in entries] == ["10:storage", "11:storage", "12:storage"]
    bodies = api.bodies()
    assert [(b["filter"]["date"]["from"], b["filter"]["date"]["to"], b["page"]) for b in bodies] == [
        ("2026-04-14T21:00:00.000Z", "2026-04-30T20:59:59.999Z", 1),  # Moscow days (OZON_FINANCE_TZ)
        ("2026-04-14T21:00:00.000Z", "2026-04-30T20:59:59.999Z", 2),
        ("2026-04-30T21:00:00.000Z", "2026-05-31T20:59:59.999Z", 1),
        ("2026-05-31T21:00:00.000Z", "2026-06-10T20:59:59.999Z", 1),
    ]
    assert all(b["page_size"] == 2 and "posting_number" not in b["filter"] for b in bodies)
    assert transport.violations == []


def test_month_spans_never_exceed_one_request():
    spans = list(oz_sales.month_spans(date(2025, 12, 20), date(2026, 3, 1)))
    assert spans == [(date(2025, 12, 20), date(2025, 12, 31)), (date(2026, 1, 1), date(2026, 1, 31)),
                     (date(2026, 2, 1), date(2026, 2, 28)), (date(2026, 3, 1), date(2026, 3, 1))]
    assert list(oz_sales.month_spans(date(2026, 3, 2), date(2026, 3, 1))) == []


class SlowTransport(httpx.AsyncBaseTransport):
    """FakeApi behind a real await, counting requests in flight."""

    def __init__(self, api: FakeApi):
        self.api, self.in_flight, self.most = api, 0, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await asyncio.sleep(0.005)
            await request.aread()
            return self.api(request)
        finally:
            self.in_flight -= 1


async def test_requests_of_one_account_are_sent_one_at_a_time():
    api = FakeApi().add("POST", TRANSACTIONS, page([]))
    slow = SlowTransport(api)
    first, _, clock = client(slow)
    second, _, _ = client(slow, clock=clock)  # another client of the same account (a backfill next to the daily read)
    await asyncio.gather(first.finance(date(2026, 1, 1), date(2026, 3, 31)),
                         second.finance(date(2026, 1, 1), date(2026, 3, 31)))
    assert len(api.requests) == 6 and slow.most == 1


# ================================================================================================ errors
@pytest.mark.parametrize("bad, error", [
    (reply(500, {"code": 13, "message": "Internal error", "details": []}), MarketplaceUnavailable),
    (reply(403, {"code": 7, "message": "Invalid Api-Key, please check the key and try again", "details": []}),
     AuthError),
    (reply(200, text="<html>upstream gateway</html>", content_type="text/html"), BadResponse),
    (reply(200, text='{"result": {"operations": [{"operation_id": 1, "amount": "lots"'), BadResponse),
    (reply(200, {"result": {"operations": {"operation_id": 1}}}), BadResponse),
    (reply(200, {"result": {"operations": [{"operation_id": 1, "operation_date": "yesterday", "amount": -1}],
                            "page_count": 1}}), BadResponse),
])
async def test_a_bad_reply_is_a_typed_error(bad, error):
    c, _, _ = client(FakeApi().add("POST", TRANSACTIONS, bad), strict=False)
    with pytest.raises(error):
        await c.finance(date(2026, 6, 1), date(2026, 6, 14))


async def test_a_rate_limit_reply_is_waited_out_then_reported():
    limited = reply(429, {"code": 8, "message": "You have reached request rate limit per second", "details": []})
    api = FakeApi().add("POST", TRANSACTIONS, limited, page([]))
    c, _, clock = client(api, strict=False)
    assert await c.finance(date(2026, 6, 1), date(2026, 6, 14)) == []
    assert clock.now() - NOW >= oz_limits.OZON_PER_SECOND_WAIT and len(api.requests) == 2

    reset_pacers()
    c, _, _ = client(FakeApi().add("POST", TRANSACTIONS, limited), strict=False)
    with pytest.raises(RateLimited):
        await c.finance(date(2026, 6, 1), date(2026, 6, 14))


# ============================================================================= against the sandbox's books


def books(state, first: date, last: date) -> tuple[Counter, dict[str, Counter]]:
    """The sandbox's own figures (sandbox.marketplaces.fees) of first..last: per kind, and per SKU and kind."""
    from sandbox.marketplaces import accounts as A
    from sandbox.marketplaces import fees
    from sandbox.marketplaces.catalog import sku_of

    totals: Counter = Counter()
    per_sku: dict[str, Counter] = defaultdict(Counter)
    for order in state.orders.of("ozon", A.OZON_CLIENT_ID):
        if order.status not in fees.SOLD or not first <= fees.booked_on(order, MSK) <= last:
            continue
        for line in order.lines:
            f = fees.line_figures("ozon", order, line)
            for kind, value in ((K.SALE, f.revenue), (K.COMMISSION, f.commission), (K.RETURN, f.refund),
                                (K.LOGISTICS, f.logistics + f.return_logistics)):
                if value:
                    totals[kind] += value
                    per_sku[sku_of(line.index)][kind] += value
            per_sku[sku_of(line.index)]["units"] += line.quantity
            per_sku[sku_of(line.index)]["returned"] += line.quantity if f.refund else 0
    today = datetime.fromtimestamp(state.clock(), MSK).date()
    totals[K.STORAGE] = fees.storage_fee("ozon") * len(list(fees.storage_days(first, min(last, today))))
    return totals, per_sku


def sandbox_client(sandbox, transport):
    from sandbox.marketplaces import accounts as A

    base = sandbox.env()["OZON_API_URL"]
    return build_client(M.OZON, Credentials(A.OZON_API_KEY, A.OZON_CLIENT_ID), base_url=base, transport=transport)


async def test_ninety_days_of_finance_equal_the_sandbox_books_both_sides_checked(monkeypatch):
    from sandbox.marketplaces import MarketplaceSandbox
    from sandbox.marketplaces.catalog import Lifecycle
    from sandbox.marketplaces.orders import add_order_history

    monkeypatch.setattr(oz_limits, "TRANSACTION_PAGE_SIZE", 200)  # several pages per month as well
    async with MarketplaceSandbox() as sandbox:
        made = add_order_history(sandbox.state, days=90, seed=11, returns=0.05)
        returned = [o for o in made if o.marketplace == "ozon" and o.status == Lifecycle.RETURNED]
        assert returned, "the history has returns"
        transport = SpecValidatingTransport(M.OZON, httpx.AsyncHTTPTransport(), base_url=sandbox.env()["OZON_API_URL"])
        today = datetime.fromtimestamp(sandbox.state.clock(), MSK).date()
        first = today - timedelta(days=90)
        async with sandbox_client(sandbox, transport) as c:
            entries = await c.finance(first, today)
            again = await c.finance(first, today)
            order = await c.get_order(f"{returned[0].id}-0001-1")
        assert transport.violations == []

        want, want_per_sku = books(sandbox.state, first, today)
        got: Counter = Counter()
        got_per_sku: dict[str, Counter] = defaultdict(Counter)
        for e in entries:
            got[e.kind] += e.amount
            if e.sku:
                got_per_sku[e.sku][e.kind] += e.amount
                if e.kind is K.SALE:
                    got_per_sku[e.sku]["units"] += e.quantity
                if e.kind is K.RETURN:
                    got_per_sku[e.sku]["returned"] += e.quantity
        assert got == want and got[K.RETURN] > 0
        product = returned[0].lines[0]
        from sandbox.marketplaces.catalog import sku_of
        assert got_per_sku[sku_of(product.index)] == want_per_sku[sku_of(product.index)]
        assert all(e.order_id for e in entries if e.kind in (K.SALE, K.RETURN, K.COMMISSION, K.LOGISTICS))
        assert len({e.key for e in entries}) == len(entries) and [e.key for e in again] == [e.key for e in entries]

        calls = [call for call in transport.calls if call[1] == "/v3/finance/transaction/list"]
        assert len(calls) >= 2 * 4  # 91 days span 4 calendar months, pages of 200
        # A returned order is still `delivered` in Ozon's posting words, and done.
        assert (order.status, order.extra["substatus"], order.state.value) == (
            "delivered", "posting_returned_to_warehouse", "done")


async def test_a_returned_posting_is_listed_as_delivered_and_done():
    from sandbox.marketplaces import MarketplaceSandbox
    from sandbox.marketplaces.catalog import Lifecycle
    from sandbox.marketplaces.ozon import add_order

    async with MarketplaceSandbox() as sandbox:
        order = add_order(sandbox.state, [(4, 1)])
        order.status, order.updated_at = Lifecycle.RETURNED, sandbox.state.clock()
        transport = SpecValidatingTransport(M.OZON, httpx.AsyncHTTPTransport(), base_url=sandbox.env()["OZON_API_URL"])
        async with sandbox_client(sandbox, transport) as c:
            page = await c.orders_since(None)
            new = await c.new_orders()
        (listed,) = [o for o in page.orders if o.external_id == f"{order.id}-0001-1"]
        assert (listed.status, listed.state.value, listed.actions) == ("delivered", "done", frozenset())
        assert new == [] and transport.violations == []


async def test_the_stand_in_refuses_what_the_spec_does_not_allow():
    from sandbox.marketplaces import MarketplaceSandbox
    from sandbox.marketplaces import accounts as A

    async with MarketplaceSandbox() as sandbox:
        base = sandbox.env()["OZON_API_URL"]
        headers = {"Client-Id": A.OZON_CLIENT_ID, "Api-Key": A.OZON_API_KEY}
        body = {"filter": {"date": {"from": "2026-01-01T00:00:00.000Z", "to": "2026-03-01T00:00:00.000Z"},
                           "transaction_type": "all"}, "page": 1, "page_size": 1000}
        checked = SpecValidatingTransport(M.OZON, httpx.AsyncHTTPTransport(), base_url=base)
        async with httpx.AsyncClient(transport=checked, base_url=base) as http:
            long = await http.post("/v3/finance/transaction/list", json=body, headers=headers)  # a valid request
        assert long.status_code == 400 and "PERIOD_IS_TOO_LONG" in long.json()["message"]
        assert checked.violations == []
        async with httpx.AsyncClient(base_url=base) as http:  # past the schema's maximum: not sent by the client
            body["filter"]["date"]["to"] = "2026-01-31T00:00:00.000Z"
            big = await http.post("/v3/finance/transaction/list", json={**body, "page_size": 1001}, headers=headers)
            first = await http.post("/v3/finance/transaction/list", json={**body, "page": 0}, headers=headers)
        assert (big.status_code, first.status_code) == (400, 400)
