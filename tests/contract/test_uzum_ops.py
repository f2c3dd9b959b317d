"""Every Uzum connector operation against the sandbox stand-in, each call checked by SpecValidatingTransport
(strict: Uzum has no spec, so its calls are checked against the known endpoint table and the auth header).

Time is a FakeClock shared by the client's pacing and (where limits are enforced) the sandbox, so nothing
sleeps for real except the injected timeouts of the fault tests.
"""
from __future__ import annotations

import json
import math
import random
import re
import time
from collections import Counter
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from connectors import build_client
from connectors.uzum import UzumClient
from connectors.uzum import errors as UE
from connectors.uzum import limits as UL
from connectors.uzum import models as UM
from connectors.uzum import orders as UO
from connectors.uzum import stock as UST
from connectors.base import (
    AccountContext,
    BadResponse,
    CancelReason,
    Credentials,
    ItemOutcome,
    Marketplace,
    NotSupported,
    OrderAction,
    OrderState,
    PriceUpdate,
    Scheme,
    StockUpdate,
)
from connectors.clock import FakeClock
from connectors.pacing import reset_pacers
from connectors.uzum.limits import UZUM_429_PENALTY, UZUM_DEFAULT
from sandbox.marketplaces import FAULT_KINDS, MarketplaceSandbox, SandboxState
from sandbox.marketplaces import accounts as A
from sandbox.marketplaces import uzum as S
from sandbox.marketplaces.catalog import Lifecycle, OrderLine, ean13
from sandbox.marketplaces.common import Fault
from tests.support.contract import SpecValidatingTransport

ONE_SHOP = 41003  # A.UZUM_TOKEN_ONE_SHOP's shop
TWO_SHOPS = (41001, 41002)  # A.UZUM_TOKEN's shops


@pytest.fixture(autouse=True)
def fresh_pacers():
    reset_pacers()
    yield
    reset_pacers()


@pytest.fixture
def clock() -> FakeClock:
    # Real "now": the sandbox's orders are stamped with real time and the client reads recent windows.
    return FakeClock(time.time())


class Recorder(httpx.AsyncBaseTransport):
    """What the client put on the wire: the (fake) time each request was sent, and its JSON body."""

    def __init__(self, inner: httpx.AsyncBaseTransport, clock: FakeClock):
        self.inner, self.clock = inner, clock
        self.sent: list[float] = []
        self.bodies: list[tuple[str, str, object]] = []  # (method, URL path, body)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(self.clock.now())
        self.bodies.append((request.method, request.url.path, json.loads(request.content) if request.content else None))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class Uzum:
    """A connector on the sandbox plus what the test inspects: the contract transport and the recorder."""

    def __init__(self, sandbox: MarketplaceSandbox, clock: FakeClock, *, token: str = A.UZUM_TOKEN_ONE_SHOP,
                 shop_id: int | None = ONE_SHOP, timeout: float = 5.0):
        base_url = sandbox.url + "/uzum"
        self.recorder = Recorder(httpx.AsyncHTTPTransport(), clock)
        self.contract = SpecValidatingTransport(Marketplace.UZUM, self.recorder, strict=True, base_url=base_url)
        self.client: UzumClient = build_client(
            Marketplace.UZUM, Credentials(token), base_url=base_url, transport=self.contract, clock=clock,
            timeout=timeout, account=AccountContext(shop_id=None if shop_id is None else str(shop_id)))

    def calls(self, method: str, path_regex: str) -> list[int]:
        return [status for m, path, status in self.contract.calls if m == method and re.fullmatch(path_regex, path)]

    def bodies(self, method: str, path: str) -> list:
        return [body for m, url_path, body in self.recorder.bodies if m == method and url_path == "/uzum" + path]


@asynccontextmanager
async def running(state: SandboxState | None = None):
    async with MarketplaceSandbox(state=state or SandboxState()) as sandbox:
        yield sandbox


def max_in_window(times: list[float], period: float) -> int:
    """The most requests sent in any half-open window [t, t + period)."""
    times, best, start = sorted(times), 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= period:
            start += 1
        best = max(best, end - start + 1)
    return best


def skuid(shop: int, index: int) -> str:
    return str(S.sku_id(shop, index))


# ============================================================================================ catalog
async def test_listings_stream_every_page_normalized(clock):
    async with running(SandboxState(catalog_size=250)) as sandbox:
        uzum = Uzum(sandbox, clock)
        stream = uzum.client.iter_listings()
        listings = [await anext(stream)]
        assert len(uzum.contract.calls) == 1  # a stream: one page is read before the first listing comes
        listings += [item async for item in stream]
        await uzum.client.aclose()
    assert len(listings) == 250 and len({item.external_id for item in listings}) == 250
    first = listings[0]
    assert first.marketplace is Marketplace.UZUM
    assert first.external_id == str(S.product_id(ONE_SHOP, 1)) and first.seller_sku == "SKU-000001"
    assert first.barcodes == (ean13(1),) and first.status == "active" and first.currency == "UZS"
    assert first.stock_ids == (skuid(ONE_SHOP, 1),) and first.price_id == skuid(ONE_SHOP, 1)
    assert isinstance(first.price, Decimal) and first.stock == 7 and first.extra["shop_id"] == str(ONE_SHOP)
    # 100 + 100 + 50: the reported total ends the read, no extra empty page.
    assert uzum.calls("GET", r"/v1/product/shop/\d+") == [200, 200, 200]


async def test_listings_of_every_shop_when_no_shop_is_chosen(clock):
    async with running(SandboxState(catalog_size=30)) as sandbox:
        uzum = Uzum(sandbox, clock, token=A.UZUM_TOKEN, shop_id=None)
        listings = [item async for item in uzum.client.iter_listings()]
        await uzum.client.aclose()
    assert Counter(item.extra["shop_id"] for item in listings) == {str(s): 30 for s in TWO_SHOPS}
    # The same SKU (and barcode) in both shops, under different Uzum ids.
    same = [item for item in listings if item.seller_sku == "SKU-000005"]
    assert len(same) == 2 and same[0].barcodes == same[1].barcodes and same[0].stock_ids != same[1].stock_ids


async def test_a_server_that_ignores_page_is_read_once(clock):
    """UNCONFIRMED paging: if Uzum ignored `page`, the repeated first item ends the read (no endless loop)."""
    page = {"productList": [{"productId": 1, "title": "A", "skuList": [{"skuId": 11}]},
                            {"productId": 2, "title": "B", "skuList": [{"skuId": 12}]}]}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=page)

    transport = SpecValidatingTransport(Marketplace.UZUM, httpx.MockTransport(handler))
    client = build_client(Marketplace.UZUM, Credentials("uzum-test-token-0001"), transport=transport, clock=clock,
                          account=AccountContext(shop_id="7"))
    listings = [item async for item in client.iter_listings()]
    assert [item.external_id for item in listings] == ["1", "2"] and len(transport.calls) == 2


# ============================================================================================== stock
async def test_stock_update_batches_per_item_results_and_final_state(clock):
    state = SandboxState(catalog_size=600)
    async with running(state) as sandbox:
        uzum = Uzum(sandbox, clock)
        updates = [StockUpdate(skuid(ONE_SHOP, i), i % 17) for i in range(201, 531)]
        updates += [StockUpdate(skuid(ONE_SHOP, 590), -1), StockUpdate(str(S.SKU_ID_BASE + 999), 3)]
        results = await uzum.client.update_stock(updates)
        levels = await uzum.client.read_stock([skuid(ONE_SHOP, 201), skuid(ONE_SHOP, 250), skuid(ONE_SHOP, 530)])
        await uzum.client.aclose()
    by_sku = {r.sku: r for r in results}
    assert [r.sku for r in results] == [u.sku for u in updates]
    assert {s for s, r in by_sku.items() if r.reason == "not_linked"} == {skuid(ONE_SHOP, 250), skuid(ONE_SHOP, 500)}
    assert by_sku[skuid(ONE_SHOP, 590)].reason == "invalid_value"
    assert by_sku[str(S.SKU_ID_BASE + 999)].reason == "not_found"
    assert sum(r.outcome is ItemOutcome.ACCEPTED for r in results) == 330 - 2
    catalog = S.uzum_catalog(state, A.UZUM_TOKEN_ONE_SHOP, ONE_SHOP)
    for i in range(201, 531):
        assert catalog.get_stock(i) == (i % 17 if S.linked_to_fbs(i) else catalog.product(i).stock)
    assert catalog.get_stock(590) == catalog.product(590).stock  # refused locally, never sent
    # One stock read for the push (one page holds all 600) and one for read_stock (always fresh);
    # batches of <= UZUM_STOCK_BATCH; the ones holding an unlinked SKU resent without it.
    assert uzum.calls("GET", "/v2/fbs/sku/stocks") == [200, 200]
    posts = uzum.bodies("POST", "/v2/fbs/sku/stocks")
    assert [len(b["skuAmountList"]) for b in posts] == [100, 99, 100, 100, 99, 30]
    assert uzum.calls("POST", "/v2/fbs/sku/stocks") == [400, 200, 200, 400, 200, 200]
    # Each item is the object GET returned, with the new amount.
    sent = posts[-1]["skuAmountList"][0]
    assert set(sent) == {"skuId", "skuTitle", "productTitle", "barcode", "amount", "fbsAllowed", "dbsAllowed",
                         "fbsLinked", "dbsLinked", "sellerSkuCode"} and sent["amount"] == 501 % 17
    assert [(lv.sku, lv.quantity) for lv in levels] == [(skuid(ONE_SHOP, 201), 201 % 17), (skuid(ONE_SHOP, 250), 0),
                                                       (skuid(ONE_SHOP, 530), 530 % 17)]


async def test_stock_push_reads_each_sku_once_then_uses_what_it_read(clock):
    async with running(SandboxState(catalog_size=120)) as sandbox:
        uzum = Uzum(sandbox, clock)
        await uzum.client.update_stock([StockUpdate(skuid(ONE_SHOP, 3), 5)])
        await uzum.client.update_stock([StockUpdate(skuid(ONE_SHOP, 4), 6), StockUpdate(skuid(ONE_SHOP, 3), 9)])
        await uzum.client.aclose()
    # The first push read the stock list (1 page of 1,000 holds all 120); the second needed no read.
    assert uzum.calls("GET", "/v2/fbs/sku/stocks") == [200]
    assert [len(b["skuAmountList"]) for b in uzum.bodies("POST", "/v2/fbs/sku/stocks")] == [1, 2]


async def test_stock_read_stops_as_soon_as_every_sku_was_seen(clock):
    async with running(SandboxState(catalog_size=2500)) as sandbox:
        uzum = Uzum(sandbox, clock)
        levels = await uzum.client.read_stock([skuid(ONE_SHOP, 10), skuid(ONE_SHOP, 1500)])
        await uzum.client.aclose()
    assert [lv.quantity for lv in levels] == [(10 * 7) % 50, (1500 * 7) % 50]
    assert uzum.calls("GET", "/v2/fbs/sku/stocks") == [200, 200]  # pages 0 and 1 of 3


async def test_a_refused_page_size_is_halved(clock, monkeypatch):
    """UNCONFIRMED page sizes: if Uzum's maximum is lower than ours, the first page is asked again, smaller."""
    monkeypatch.setattr(UST, "UZUM_STOCKS_PAGE_SIZE", S.STOCKS_PAGE_MAX * 3 // 2)
    async with running(SandboxState(catalog_size=1200)) as sandbox:
        uzum = Uzum(sandbox, clock)
        levels = await uzum.client.read_stock([skuid(ONE_SHOP, 1100)])
        await uzum.client.aclose()
    assert levels[0].quantity == (1100 * 7) % 50
    assert uzum.calls("GET", "/v2/fbs/sku/stocks") == [400, 200, 200]  # 1,500 refused; 750 + 750


# ============================================================================================= prices
async def test_prices_promo_lock_found_by_halving_and_other_refusals(clock):
    state = SandboxState(catalog_size=40)
    async with running(state) as sandbox:
        uzum = Uzum(sandbox, clock)
        updates = [PriceUpdate(skuid(ONE_SHOP, i), Decimal(20000 + i), old_price=Decimal(30000)) for i in range(1, 31)]
        updates += [PriceUpdate(skuid(ONE_SHOP, 31), Decimal(0)), PriceUpdate(skuid(TWO_SHOPS[0], 2), Decimal(5))]
        results = await uzum.client.update_prices(updates)
        await uzum.client.aclose()
    reasons = {r.sku: r.reason for r in results if r.outcome is ItemOutcome.REJECTED}
    assert reasons == {skuid(ONE_SHOP, 7): "promo_locked", skuid(ONE_SHOP, 27): "promo_locked",
                       skuid(ONE_SHOP, 31): "invalid_value", skuid(TWO_SHOPS[0], 2): "not_found"}
    catalog = S.uzum_catalog(state, A.UZUM_TOKEN_ONE_SHOP, ONE_SHOP)
    for i in range(1, 31):
        expected = catalog.product(i).price if S.promo_locked(i) else 20000 + i
        assert catalog.get_price(i) == expected
    first = uzum.bodies("POST", f"/v1/product/{ONE_SHOP}/sendPriceData")[0]["priceData"][0]
    assert first == {"skuId": S.sku_id(ONE_SHOP, 1), "fullPrice": 30000, "sellPrice": 20001}
    # 31 sent: the named refusal goes, the 30 left are halved until each locked SKU stands alone:
    # at most 2 * ceil(log2(15)) + 1 requests for each half that holds one.
    statuses = uzum.calls("POST", rf"/v1/product/{ONE_SHOP}/sendPriceData")
    assert statuses[:2] == [400, 400] and len(statuses) <= 2 + 2 * 9


async def test_prices_need_a_shop_when_the_token_has_several(clock):
    async with running() as sandbox:
        uzum = Uzum(sandbox, clock, token=A.UZUM_TOKEN, shop_id=None)
        with pytest.raises(ValueError):
            await uzum.client.update_prices([PriceUpdate(skuid(TWO_SHOPS[0], 1), Decimal(100))])
        await uzum.client.aclose()


# ============================================================================================= orders
def add_order(state: SandboxState, *indexes: int, shop: int = ONE_SHOP, token: str = A.UZUM_TOKEN_ONE_SHOP):
    lines = [OrderLine(index=i, quantity=i % 3 + 1, price=1000 * i) for i in indexes]
    return state.orders.create("uzum", token, lines, shop_id=str(shop))


async def test_orders_cursor_no_repeats_and_status_changes_show(clock):
    state = SandboxState()
    orders = [add_order(state, 1 + n % 5) for n in range(60)]  # > one page of 50
    add_order(state, 2, token=A.UZUM_TOKEN, shop=TWO_SHOPS[0])  # another seller's order
    async with running(state) as sandbox:
        uzum = Uzum(sandbox, clock)
        first = await uzum.client.orders_since(None)
        again = await uzum.client.orders_since(first.cursor)
        state.orders.set_status(orders[5].id, Lifecycle.CONFIRMED)
        fresh = add_order(state, 4)
        changed = await uzum.client.orders_since(again.cursor)
        await uzum.client.aclose()
        # A restart: a new client with the stored cursor repeats nothing.
        restarted = Uzum(sandbox, clock)
        after_restart = await restarted.client.orders_since(changed.cursor)
        await restarted.client.aclose()
    assert sorted(o.external_id for o in first.orders) == sorted(str(o.id) for o in orders)
    assert again.orders == [] and after_restart.orders == []
    assert [(o.external_id, o.status) for o in changed.orders] == [(str(orders[5].id), "PACKING"),
                                                                    (str(fresh.id), "CREATED")]
    assert uzum.calls("GET", "/v2/fbs/orders")[:2] == [200, 200]  # 60 orders: two pages of <= 50


async def test_a_wrong_date_unit_never_hides_a_new_order(clock, monkeypatch, caplog):
    """uzum_time_param is UNCONFIRMED (ms vs s): with the wrong unit the window finds nothing, yet new
    orders still arrive (they are also read without dates) and a warning names the suspect."""
    monkeypatch.setattr(UO, "uzum_time_param", lambda unix_seconds: int(unix_seconds))  # seconds: wrong here
    state = SandboxState()
    order = add_order(state, 1)
    async with running(state) as sandbox:
        uzum = Uzum(sandbox, clock)
        page = await uzum.client.orders_since(None)
        await uzum.client.aclose()
    assert [o.external_id for o in page.orders] == [str(order.id)]
    assert "uzum_time_param" in caplog.text


async def test_new_orders_normalized(clock):
    state = SandboxState()
    created = add_order(state, 3, 4)
    confirmed = add_order(state, 5)
    state.orders.set_status(confirmed.id, Lifecycle.CONFIRMED)
    async with running(state) as sandbox:
        uzum = Uzum(sandbox, clock)
        new = await uzum.client.new_orders()
        count = await uzum.client.order_count("CREATED")
        await uzum.client.aclose()
    assert [o.external_id for o in new] == [str(created.id)] and count == 1
    order = new[0]
    assert order.status == "CREATED" and order.scheme is Scheme.FBS and order.currency == "UZS"
    assert order.created_at == int(created.created_at) and order.ship_by == int(created.ship_by)
    assert order.total == Decimal(created.total) and order.shop_id == str(ONE_SHOP)
    assert [(i.sku, i.quantity, i.price, i.external_id) for i in order.items] == [
        ("SKU-000003", 1, Decimal(3000), skuid(ONE_SHOP, 3)), ("SKU-000004", 2, Decimal(4000), skuid(ONE_SHOP, 4))]
    assert order.extra["accept_until"] == int(created.created_at) + S.ACCEPT_WITHIN


async def test_confirm_cancel_and_their_refusals(clock):
    state = SandboxState()
    one, two, three = add_order(state, 1), add_order(state, 2), add_order(state, 3)
    state.orders.set_status(three.id, Lifecycle.DELIVERED)
    async with running(state) as sandbox:
        uzum = Uzum(sandbox, clock)
        confirmed = await uzum.client.confirm_order(str(one.id))
        with pytest.raises(BadResponse) as refused:
            await uzum.client.confirm_order(str(one.id))
        cancelled = await uzum.client.cancel_order(str(two.id))  # no reason: Uzum's first one
        reasons = await uzum.client.cancel_reasons()
        with pytest.raises(BadResponse):
            await uzum.client.cancel_order(str(three.id), reasons[1].id)
        with pytest.raises(NotSupported):
            await uzum.client.ship_order(str(one.id))
        assert await uzum.client.list_warehouses() == []
        fetched = await uzum.client.get_order(str(one.id))
        await uzum.client.aclose()
    assert confirmed.status == "PACKING" and fetched.status == "PACKING"
    assert refused.value.status == 400 and "CREATED" in (refused.value.detail or "")
    assert cancelled.status == "CANCELED" and state.orders.orders[two.id].status == Lifecycle.CANCELLED
    assert [r.id for r in reasons] == [r["reason"] for r in S.CANCEL_REASONS]
    assert uzum.bodies("POST", f"/v1/fbs/order/{two.id}/cancel") == [{"reason": "OUT_OF_STOCK"}]
    assert state.orders.orders[three.id].status == Lifecycle.DELIVERED


async def test_offered_actions_are_the_ones_uzum_accepts_in_each_status(clock):
    """For an order in each status the sandbox has, the actions the connector offers are exactly the ones the
    stand-in then accepts (confirm / cancel; ship is never offered: there is no call)."""
    expected_state = {Lifecycle.NEW: OrderState.NEW, Lifecycle.CONFIRMED: OrderState.ACTIVE,
                      Lifecycle.SHIPPED: OrderState.ACTIVE, Lifecycle.DELIVERED: OrderState.DONE,
                      Lifecycle.CANCELLED: OrderState.CANCELLED, Lifecycle.RETURNED: OrderState.DONE}
    state = SandboxState()
    made, offered = {}, set()
    for lifecycle in Lifecycle.ALL:
        for action in (OrderAction.CONFIRM, OrderAction.CANCEL):
            order = add_order(state, 1)
            state.orders.set_status(order.id, lifecycle)
            made[lifecycle, action] = order
    async with running(state) as sandbox:
        uzum = Uzum(sandbox, clock)
        for (lifecycle, action), made_order in made.items():
            order = await uzum.client.get_order(str(made_order.id))
            assert order.status == S.LIFECYCLE_STATUS[lifecycle]
            assert order.state is expected_state[lifecycle] and OrderAction.SHIP not in order.actions
            try:
                if action is OrderAction.CONFIRM:
                    await uzum.client.confirm_order(order.external_id)
                else:
                    await uzum.client.cancel_order(order.external_id, CancelReason.OUT_OF_STOCK)
                accepted = True
            except BadResponse as refused:
                assert refused.status == 400
                accepted = False
            assert accepted == (action in order.actions), (lifecycle, action, order.actions)
            if accepted:
                offered.add((lifecycle, action))
        await uzum.client.aclose()
    assert offered == {(Lifecycle.NEW, OrderAction.CONFIRM), (Lifecycle.NEW, OrderAction.CANCEL),
                       (Lifecycle.CONFIRMED, OrderAction.CANCEL)}


class GarbleReply(httpx.AsyncBaseTransport):
    """Lets the request through, then loses its reply body: the action happened, the client can't tell."""

    def __init__(self, inner: httpx.AsyncBaseTransport, suffix: str):
        self.inner, self.suffix = inner, suffix

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith(self.suffix):
            await response.aread()
            return httpx.Response(200, content=b'{"payload": {"id": ', headers={"Content-Type": "application/json"})
        return response


async def test_a_lost_confirm_reply_is_checked_by_reading_the_order(clock):
    state = SandboxState()
    order = add_order(state, 1)
    async with running(state) as sandbox:
        uzum = Uzum(sandbox, clock)
        uzum.recorder.inner = GarbleReply(uzum.recorder.inner, "/confirm")
        confirmed = await uzum.client.confirm_order(str(order.id))
        await uzum.client.aclose()
    assert confirmed.status == "PACKING"
    assert [(m, p) for m, p, _ in uzum.contract.calls] == [("POST", f"/v1/fbs/order/{order.id}/confirm"),
                                                          ("GET", f"/v1/fbs/order/{order.id}")]


# ============================================================================================== sales
async def test_sales_per_day_per_sku_in_tashkent_time(clock):
    state = SandboxState()
    day = datetime(2026, 11, 20, tzinfo=UM.UZUM_TZ)
    stamps = [day + timedelta(hours=1), day + timedelta(hours=20), day + timedelta(days=1, hours=2),
              day - timedelta(hours=1)]  # the last one is on the 19th in Tashkent
    for moment in stamps:
        made = add_order(state, 1, 2)
        made.created_at = moment.timestamp()
    gone = add_order(state, 1)
    gone.created_at = stamps[0].timestamp()
    state.orders.set_status(gone.id, Lifecycle.CANCELLED)
    for _ in range(60):  # 120 more finance items on the 21st: more than one page of 100
        made = add_order(state, 3, 4)
        made.created_at = (day + timedelta(days=1, hours=3)).timestamp()
    async with running(state) as sandbox:
        uzum = Uzum(sandbox, clock)
        rows = await uzum.client.sales(date(2026, 11, 20), date(2026, 11, 21))
        await uzum.client.aclose()
    table = {(r.day.isoformat(), r.sku): (r.quantity, r.revenue) for r in rows}
    assert table == {
        ("2026-11-20", "SKU-000001"): (4, Decimal(4000)), ("2026-11-20", "SKU-000002"): (6, Decimal(12000)),
        ("2026-11-21", "SKU-000001"): (2, Decimal(2000)), ("2026-11-21", "SKU-000002"): (3, Decimal(6000)),
        ("2026-11-21", "SKU-000003"): (60, Decimal(180000)), ("2026-11-21", "SKU-000004"): (120, Decimal(480000)),
    }
    assert all(r.currency == "UZS" and r.returns == 0 for r in rows)
    assert uzum.calls("GET", "/v1/finance/orders") == [200, 200]


# ============================================================================================= pacing
async def test_the_client_paces_itself_and_the_enforcing_sandbox_never_throttles(clock):
    state = SandboxState(catalog_size=400, enforce_rate_limits=True, clock=clock.now)
    add_order(state, 1)
    async with running(state) as sandbox:
        uzum = Uzum(sandbox, clock)
        started = clock.now()
        assert len([item async for item in uzum.client.iter_listings()]) == 400
        await uzum.client.update_stock([StockUpdate(skuid(ONE_SHOP, i), 1) for i in range(1, 301) if S.linked_to_fbs(i)])
        await uzum.client.new_orders()
        await uzum.client.aclose()
    statuses = [status for _, _, status in uzum.contract.calls]
    assert 429 not in statuses and len(statuses) == 4 + 1 + 3 + 1
    assert max_in_window(uzum.recorder.sent, UZUM_DEFAULT.period) <= UZUM_DEFAULT.limit
    # The floor the limit allows ("5 per second" in any window): a full window of requests per period.
    floor = (math.ceil(len(statuses) / UZUM_DEFAULT.limit) - 1) * UZUM_DEFAULT.period
    assert floor <= clock.now() - started <= floor + 0.01


async def test_the_sandbox_throttles_a_client_that_does_not_pace(clock):
    state = SandboxState(enforce_rate_limits=True, clock=clock.now)
    async with running(state) as sandbox:
        async with httpx.AsyncClient() as http:
            replies = [await http.get(sandbox.url + "/uzum/v1/shops", headers={"Authorization": A.UZUM_TOKEN})
                       for _ in range(S.RATE_LIMIT + 1)]
            clock.current += S.RATE_PERIOD
            later = await http.get(sandbox.url + "/uzum/v1/shops", headers={"Authorization": A.UZUM_TOKEN})
    assert [r.status_code for r in replies] == [200] * S.RATE_LIMIT + [429] and later.status_code == 200
    assert replies[-1].json()["errors"][0]["code"] == "TOO_MANY_REQUESTS"


async def test_a_429_holds_the_token_and_the_call_succeeds(clock):
    async with running(SandboxState(catalog_size=10)) as sandbox:
        sandbox.inject("uzum", "/v2/fbs/sku/stocks", "rate_limit", times=2)
        uzum = Uzum(sandbox, clock)
        started = clock.now()
        levels = await uzum.client.read_stock([skuid(ONE_SHOP, 1)])
        await uzum.client.aclose()
    assert levels[0].quantity == 7
    assert uzum.calls("GET", "/v2/fbs/sku/stocks") == [429, 429, 200]
    assert clock.now() - started >= 2 * UZUM_429_PENALTY


# ============================================================================================= faults
class RandomFaults(Fault):
    """Fails a random `rate` of the marketplace's requests, with a random kind (a seeded, endless fault)."""

    def __init__(self, rate: float, seed: int, delay: float):
        super().__init__("uzum", re.compile(".*"), "5xx", remaining=10**9, delay=delay)
        self.rate, self.rng, self.injected = rate, random.Random(seed), Counter()

    def matches(self, marketplace: str, path: str) -> bool:
        if marketplace != self.marketplace or self.rng.random() >= self.rate:
            return False
        self.kind = self.rng.choice(FAULT_KINDS)
        self.injected[self.kind] += 1
        return True


async def test_with_20_percent_faults_5000_products_read_once_and_5000_stock_changes_land(clock):
    size = 5000
    state = SandboxState(catalog_size=size)
    async with running(state) as sandbox:
        faults = RandomFaults(0.2, seed=20261127, delay=0.3)
        sandbox.controls.faults.append(faults)
        uzum = Uzum(sandbox, clock, timeout=0.15)
        listings = [item async for item in uzum.client.iter_listings()]
        results = await uzum.client.update_stock([StockUpdate(skuid(ONE_SHOP, i), (i * 13) % 1000)
                                                  for i in range(1, size + 1)])
        await uzum.client.aclose()
        sandbox.controls.faults.clear()
    # Every product exactly once, in catalog order.
    assert [item.seller_sku for item in listings] == [f"SKU-{i:06d}" for i in range(1, size + 1)]
    # Every change landed, except the SKUs Uzum refuses (not on FBS), which say so.
    refused = {r.sku: r.reason for r in results if r.outcome is not ItemOutcome.ACCEPTED}
    assert refused == {skuid(ONE_SHOP, i): "not_linked" for i in range(1, size + 1) if not S.linked_to_fbs(i)}
    catalog = S.uzum_catalog(state, A.UZUM_TOKEN_ONE_SHOP, ONE_SHOP)
    assert all(catalog.get_stock(i) == ((i * 13) % 1000 if S.linked_to_fbs(i) else catalog.product(i).stock)
               for i in range(1, size + 1))
    # The faults really happened (about a fifth of the calls, every kind), and no request broke the limit.
    total = len(uzum.contract.calls)
    assert set(faults.injected) == set(FAULT_KINDS) and 0.1 < sum(faults.injected.values()) / total < 0.3
    assert max_in_window(uzum.recorder.sent, UZUM_DEFAULT.period) <= UZUM_DEFAULT.limit


# ========================================================================================= parsing
def test_replies_parse_with_either_envelope_and_either_field_name():
    bare = {"productList": [{"productId": 5, "title": "T", "status": "ACTIVE",
                             "skuList": [{"skuId": "9", "barcode": 4780000000017, "sellerSkuCode": "A-1"}]}]}
    wrapped = {"payload": {"products": [{"productId": "5", "skuList": [{"skuId": 9, "sellerItemCode": "A-1"}]}],
                           "totalElements": 1}}
    (one,), total = UM.parse_product_page(bare)
    (two,), total2 = UM.parse_product_page(wrapped)
    assert total is None and total2 == 1
    assert one.skuList[0].seller_code == two.skuList[0].seller_code == "A-1" and one.productId == two.productId
    assert one.skuList[0].barcode == "4780000000017" and one.status == "ACTIVE"
    orders, _ = UM.parse_order_page({"orders": [{"id": 1, "status": "CREATED", "dateCreated": 1_790_000_000,
                                                "orderItems": [{"skuId": 3, "quantity": 2}]}]})
    order = UO.to_order(orders[0])
    assert order.created_at == 1_790_000_000 and order.items[0].quantity == 2 and order.total is None
    assert UM.parse_count({"payload": 3}) == UM.parse_count({"count": 3}) == 3
    assert [r.code for r in UM.parse_reasons([{"code": "X", "name": "x"}])] == ["X"]
    with pytest.raises(BadResponse):
        UM.parse_stock_page({"payload": {"items": []}})


def test_times_in_replies_may_be_ms_seconds_digits_or_iso():
    assert UM.uzum_time_to_unix(1_790_000_000_000) == UM.uzum_time_to_unix(1_790_000_000) == 1_790_000_000
    assert UM.uzum_time_to_unix("1790000000000") == 1_790_000_000
    assert UM.uzum_time_to_unix("2026-09-21T12:00:00Z") == int(datetime.fromisoformat("2026-09-21T12:00:00+00:00").timestamp())
    assert UM.uzum_time_to_unix(None) is None and UM.uzum_time_to_unix("soon") is None
    assert UM.uzum_time_param(1_790_000_000.5) == 1_790_000_000_500  # UNCONFIRMED unit: milliseconds


def test_cursor_round_trip_and_unreadable_cursors_start_over():
    seen = {str(70_000_000 + n): "CREATED" for n in range(500)}
    cursor = UO.encode_cursor(seen)
    assert UO.decode_cursor(cursor) == seen and len(cursor) < 2000 and re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
    assert UO.decode_cursor(None) == UO.decode_cursor("not a cursor") == UO.decode_cursor("eJwrSS0u0U3OzyspSs") == {}


def test_reasons_and_refusal_errors():
    assert UE.uzum_reason("sku-price-001") == "promo_locked"
    assert UE.uzum_reason("sku-something-new") == "sku-something-new" and UE.uzum_reason(None) == "rejected"
    errors = UE.parse_uzum_errors({"errors": [{"code": "sku-not-found", "message": "m", "skuId": 5}, "junk"]})
    assert errors == (UE.UzumError("sku-not-found", "m", "5"),)


def test_sandbox_limits_match_the_connector_choices():
    """The stand-in models the (unknown) real limits with the connector's UNCONFIRMED constants."""
    assert (S.PRODUCTS_PAGE_MAX, S.STOCKS_PAGE_MAX, S.ORDERS_PAGE_MAX, S.FINANCE_PAGE_MAX) == (
        UL.UZUM_PRODUCTS_PAGE_SIZE, UL.UZUM_STOCKS_PAGE_SIZE, UL.UZUM_ORDERS_PAGE_SIZE, UL.UZUM_FINANCE_PAGE_SIZE)
    assert (S.STOCK_BATCH_MAX, S.PRICE_BATCH_MAX) == (UL.UZUM_STOCK_BATCH, UL.UZUM_PRICE_BATCH)
    assert (S.RATE_LIMIT, S.RATE_PERIOD) == (UZUM_DEFAULT.limit, UZUM_DEFAULT.period)
    assert UL.UZUM_ORDERS_PAGE_SIZE == 50
