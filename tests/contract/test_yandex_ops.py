"""Every Yandex Market operation of the connector against the stateful sandbox, both sides spec-checked.

Each client talks to the in-process sandbox through SpecValidatingTransport (strict unless the test injects
garbage, which no spec allows), so every request and every reply is checked against the official spec. The
client's clock (a SettlingClock) is also the sandbox's clock: pacing waits cost no real time, and the sandbox
counts its limits in the same time the client paces in.

Speed: openapi-core reads and parses the split Yandex spec's files again for every $ref of every item it validates
(1.5-3 s for one 100-offer catalog page), so these tests validate against the same spec bundled into one document
(`bundle_yandex_spec`, installed by the `bundled_yandex_spec` fixture, ~25x faster; a test shows that both give
the same verdicts).
"""
from __future__ import annotations

import asyncio
import functools
import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from connectors import build_client
from connectors.yandex import limits
from connectors.yandex.api import Entry, batches
from connectors.yandex.catalog import normalize_listing
from connectors.yandex.errors import (
    DUPLICATE,
    INVALID_VALUE,
    LOCKED,
    NOT_FOUND,
    ONLY_DEFAULT_PRICE,
    REJECTED,
    OrderNotFound,
    YandexError,
    errors_of,
    rate_limit,
    refusal_reason,
    refused_items,
)
from connectors.yandex.models import (
    MARKET_TZ,
    YandexEmpty,
    YandexOfferMappingsPage,
    YandexOrdersPage,
    YandexSettingsReply,
    YandexStatsReply,
    YandexStocksPage,
    YandexWarehousesReply,
)
from connectors.yandex.orders import OrdersCursor, normalize_order
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
from connectors.http import Reply
from connectors.pacing import RateSpec, reset_pacers
from sandbox.marketplaces import MarketplaceSandbox, SandboxState
from sandbox.marketplaces import accounts as A
from sandbox.marketplaces import yandex as sandbox_yandex
from sandbox.marketplaces.catalog import Lifecycle, OrderBook, sku_of
from sandbox.marketplaces.yandex import add_order, campaign_prices, yandex_book
from tests.support import contract
from tests.support.contract import SpecValidatingTransport, spec_example, validate_spec_response

M = Marketplace.YANDEX
CAMPAIGN = A.YANDEX_CAMPAIGN_IDS[0]
BUSINESS = A.YANDEX_BUSINESS_ID
ACCOUNT = AccountContext(shop_id=str(CAMPAIGN), business_id=str(BUSINESS))
WAREHOUSE = str(sandbox_yandex.WAREHOUSE_ID_BASE + CAMPAIGN)


# ============================================================================== the spec, bundled
def test_the_bundled_spec_gives_the_same_verdicts(monkeypatch):
    path = "/v2/businesses/1/offer-mappings"
    offer = {"offerId": "SKU-000001", "name": "Lamp", "barcodes": ["4780000000014"],
             "cardStatus": "HAS_CARD_CAN_UPDATE",
             "basicPrice": {"value": 10, "currencyId": "RUR", "updatedAt": "2027-01-15T10:00:00+03:00"}}

    def reply(offer: dict, market_sku: int) -> dict:
        return {"status": "OK", "result": {"offerMappings": [{"offer": offer, "mapping": {"marketSku": market_sku}}]}}

    good, bad = reply(offer, 5), reply({**offer, "offerId": ""}, 0)
    # The official example breaks its own schema (marketCategoryId 0, `minimum: 0, exclusiveMinimum: true`):
    # both loadings must say so (only our models read that example, see the examples test).
    cases = (good, bad, spec_example(M, "POST", path))
    bundled = [validate_spec_response(M, "POST", path, 200, {}, body) for body in cases]
    monkeypatch.setattr(contract, "yandex_spec", contract.yandex_split_spec)  # the files as published
    split = [validate_spec_response(M, "POST", path, 200, {}, body) for body in cases]
    assert bundled == split
    assert bundled[0] == [] and "offerId" in bundled[1][0] and "marketSku" in bundled[1][0]
    assert "marketCategoryId" in bundled[2][0]


@dataclass
class SettlingClock(FakeClock):
    """A FakeClock for client and sandbox alike whose sleeps first let every HTTP exchange in flight finish: a
    request takes no marketplace time, so the sandbox sees it at the time it left (a plain FakeClock would jump
    ahead under a request still on its way, and the sandbox would count it in a later window)."""

    in_flight: int = 0

    async def sleep(self, seconds: float) -> None:
        while self.in_flight:
            await asyncio.sleep(0.001)
        await super().sleep(seconds)


class Counted(httpx.AsyncBaseTransport):
    """Counts the exchanges in flight for a SettlingClock."""

    def __init__(self, inner: httpx.AsyncBaseTransport, clock: SettlingClock):
        self.inner, self.clock = inner, clock

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.clock.in_flight += 1
        try:
            return await self.inner.handle_async_request(request)
        finally:
            self.clock.in_flight -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()


class Env:
    """A sandbox whose clock is the client's SettlingClock, and clients for it."""

    def __init__(self, sandbox: MarketplaceSandbox, clock: SettlingClock):
        self.sandbox, self.clock, self.state = sandbox, clock, sandbox.state
        self.transports: list[SpecValidatingTransport] = []

    @property
    def base(self) -> str:
        return self.sandbox.env()["YANDEX_API_URL"]

    def client(self, *, strict: bool = True, account: AccountContext | None = ACCOUNT, timeout: float = 5.0,
               wrap=None):
        transport = SpecValidatingTransport(M, httpx.AsyncHTTPTransport(), strict=strict, base_url=self.base)
        self.transports.append(transport)
        outer = Counted(wrap(transport) if wrap else transport, self.clock)
        return build_client(M, Credentials(A.YANDEX_API_KEY), base_url=self.base, transport=outer, clock=self.clock,
                            timeout=timeout, account=account)

    def calls(self, method: str | None = None, suffix: str = "") -> list[tuple[str, str, int]]:
        return [c for t in self.transports for c in t.calls
                if (method is None or c[0] == method) and c[1].endswith(suffix)]

    @property
    def catalog(self):
        return self.state.catalog("yandex", A.YANDEX_API_KEY)

    def tick(self, seconds: float = 5.0) -> None:
        self.clock.current += seconds


async def make_env(catalog_size: int = 40, **state) -> Env:
    clock = SettlingClock()
    sandbox = MarketplaceSandbox(state=SandboxState(clock=clock.now, orders=OrderBook(clock=clock.now),
                                                    catalog_size=catalog_size, **state))
    await sandbox.start()
    return Env(sandbox, clock)


@pytest.fixture(autouse=True)
def fresh_pacers():
    reset_pacers()
    yield
    reset_pacers()


@pytest.fixture
async def env():
    e = await make_env()
    yield e
    await e.sandbox.stop()


# ============================================================================== official examples
SPEC_MODELS = [
    ("POST", "/v2/businesses/1/offer-mappings", YandexOfferMappingsPage),
    ("POST", "/v2/campaigns/1/offers/stocks", YandexStocksPage),
    ("PUT", "/v2/campaigns/1/offers/stocks", YandexEmpty),
    ("POST", "/v2/businesses/1/settings", YandexSettingsReply),
    ("POST", "/v2/businesses/1/offer-prices/updates", YandexEmpty),
    ("POST", "/v2/campaigns/1/offer-prices/updates", YandexEmpty),
    ("POST", "/v1/businesses/1/orders", YandexOrdersPage),
    ("PUT", "/v2/campaigns/1/orders/1/status", YandexEmpty),
    ("POST", "/v2/campaigns/1/stats/orders", YandexStatsReply),
    ("POST", "/v2/businesses/1/warehouses", YandexWarehousesReply),
]


@pytest.mark.parametrize("method, path, model", SPEC_MODELS, ids=[p for _, p, _ in SPEC_MODELS])
def test_the_specs_examples_parse_with_our_models(method, path, model):
    assert model.model_validate(spec_example(M, method, path))


def test_the_specs_examples_normalize():
    page = YandexOfferMappingsPage.model_validate(spec_example(M, "POST", "/v2/businesses/1/offer-mappings"))
    listing = normalize_listing(page.result.offerMappings[0], None)
    assert listing.seller_sku == listing.external_id == listing.price_id == listing.stock_ids[0]
    orders = YandexOrdersPage.model_validate(spec_example(M, "POST", "/v1/businesses/1/orders"))
    order = normalize_order(orders.orders[0])
    assert order.scheme == Scheme.FBO and order.status == "PLACING/RESERVATION_EXPIRED" and order.items
    errors = errors_of(spec_example(M, "PUT", "/v2/campaigns/1/offers/stocks", 400))
    assert errors and errors[0].code


# ================================================================================ catalog & stock
async def test_listings_stream_every_page_once():
    env = await make_env(catalog_size=250)
    try:
        async with env.client() as ym:
            listings = [listing async for listing in ym.iter_listings()]
        assert [l.seller_sku for l in listings] == [sku_of(i) for i in range(1, 251)]
        assert env.calls() == [("POST", f"/v2/businesses/{BUSINESS}/offer-mappings", 200)] * 3  # 100 + 100 + 50
        first = listings[0]
        product = env.catalog.product(1)
        assert (first.name, first.barcodes, first.price, first.currency) == (
            product.name, (product.barcode,), Decimal(product.price), "RUB")
        assert first.stock_ids == (product.sku,) and first.price_id == product.sku
        assert first.status == "published" and first.extra["market_sku"] == sandbox_yandex.MARKET_SKU_BASE + 1
    finally:
        await env.sandbox.stop()


async def test_read_stock_asks_500_skus_per_request():
    env = await make_env(catalog_size=600)
    try:
        env.catalog.set_stock(7, 70, WAREHOUSE)
        async with env.client() as ym:
            levels = await ym.read_stock([sku_of(i) for i in range(1, 501)] + ["NOT-IN-CATALOG", sku_of(1)])
        assert len(env.calls("POST", "/offers/stocks")) == 2  # 500 + 1 (the repeated SKU is asked once)
        by_sku = {level.sku: level for level in levels}
        assert len(by_sku) == len(levels) == 500 and "NOT-IN-CATALOG" not in by_sku
        assert by_sku[sku_of(7)].quantity == 70 and by_sku[sku_of(7)].warehouse_id == WAREHOUSE
    finally:
        await env.sandbox.stop()


async def test_update_stock_splits_2001_items_into_two_requests_and_changes_the_state():
    env = await make_env(catalog_size=2100)
    try:
        updates = [StockUpdate(sku_of(i), i % 97) for i in range(1, 2002)]
        async with env.client() as ym:
            results = await ym.update_stock(updates)
        assert env.calls("PUT") == [("PUT", f"/v2/campaigns/{CAMPAIGN}/offers/stocks", 200)] * 2
        assert [r.outcome for r in results] == [ItemOutcome.ACCEPTED] * 2001
        assert [r.sku for r in results] == [u.sku for u in updates]
        assert all(env.catalog.get_stock(i, WAREHOUSE) == i % 97 for i in range(1, 2002))
    finally:
        await env.sandbox.stop()


async def test_update_stock_rejects_items_one_by_one_and_sends_the_rest(env):
    updates = [
        StockUpdate(sku_of(1), 11),
        StockUpdate("SKU-999999", 5),  # not in the catalog: Yandex names it in its 400
        StockUpdate(sku_of(2), -1),  # checked before sending
        StockUpdate(sku_of(3), 1),  # superseded by the next one
        StockUpdate(sku_of(3), 33),
    ]
    async with env.client() as ym:
        results = await ym.update_stock(updates)
    assert [(r.sku, r.outcome, r.reason) for r in results] == [
        (sku_of(1), ItemOutcome.ACCEPTED, None),
        ("SKU-999999", ItemOutcome.REJECTED, NOT_FOUND),
        (sku_of(2), ItemOutcome.REJECTED, INVALID_VALUE),
        (sku_of(3), ItemOutcome.REJECTED, DUPLICATE),
        (sku_of(3), ItemOutcome.ACCEPTED, None),
    ]
    assert "SKU-999999" in results[1].detail
    # The refused batch is sent again without the item Yandex named.
    assert [c[2] for c in env.calls("PUT")] == [400, 200]
    assert env.catalog.get_stock(1, WAREHOUSE) == 11 and env.catalog.get_stock(3, WAREHOUSE) == 33


def test_batches_also_respect_the_512_kb_body_limit():
    long_sku = "X" * 250
    entries = [Entry(i, f"{long_sku}{i:05d}", {"sku": f"{long_sku}{i:05d}", "items": [{"count": 1}]})
               for i in range(2000)]
    sizes = [len(b) for b in batches(entries, limits.STOCK_UPDATE_BATCH)]
    assert sum(sizes) == 2000 and len(sizes) == 2 and max(sizes) < 2000


# ========================================================================================= prices
async def test_business_prices_split_501_offers_into_two_requests(env):
    env.state.catalog_size = 600
    env.state.catalogs.clear()
    updates = [PriceUpdate(sku_of(i), Decimal("1000") + i, old_price=Decimal("5000")) for i in range(1, 502)]
    async with env.client() as ym:
        results = await ym.update_prices(updates)
    assert all(r.outcome == ItemOutcome.ACCEPTED for r in results) and len(results) == 501
    assert env.calls("POST", "/settings") == [("POST", f"/v2/businesses/{BUSINESS}/settings", 200)]
    assert env.calls("POST", "/offer-prices/updates") == [
        ("POST", f"/v2/businesses/{BUSINESS}/offer-prices/updates", 200)] * 2
    assert env.catalog.get_price(501) == 1501 and env.catalog.get_price(1) == 1001


async def test_shop_prices_are_used_only_when_the_cabinet_allows_them(env):
    yandex_book(env.state).only_default_price[BUSINESS] = False
    updates = [PriceUpdate(sku_of(i), Decimal("777.50")) for i in range(1, 4)]
    async with env.client() as ym:
        results = await ym.update_prices(updates)
    assert {r.outcome for r in results} == {ItemOutcome.ACCEPTED}
    assert env.calls("POST", "/offer-prices/updates") == [
        ("POST", f"/v2/campaigns/{CAMPAIGN}/offer-prices/updates", 200)]
    campaign = env.state.yandex[A.YANDEX_API_KEY].business.campaigns[0]
    assert campaign_prices(env.state, campaign).get_price(3) == 777.5
    assert env.catalog.get_price(3) == env.catalog.product(3).price  # the price for all shops is untouched
    assert limits.CAMPAIGN_PRICE_BATCH == 2000 and limits.BUSINESS_PRICE_BATCH == 500  # the schemas' maxItems


async def test_a_423_only_default_price_is_a_reason_and_the_settings_are_read_again(env):
    yandex_book(env.state).only_default_price[BUSINESS] = False
    async with env.client() as ym:
        await ym.business_settings()  # remembered: shop prices allowed
        yandex_book(env.state).only_default_price[BUSINESS] = True  # the cabinet switches back meanwhile
        refused = await ym.update_prices([PriceUpdate(sku_of(1), Decimal(10)), PriceUpdate(sku_of(2), Decimal(0))])
        again = await ym.update_prices([PriceUpdate(sku_of(1), Decimal(10))])
    assert [(r.outcome, r.reason) for r in refused] == [(ItemOutcome.REJECTED, ONLY_DEFAULT_PRICE),
                                                       (ItemOutcome.REJECTED, INVALID_VALUE)]
    assert refused[0].detail == "Partner use only default price"
    assert again[0].outcome == ItemOutcome.ACCEPTED and env.catalog.get_price(1) == 10
    assert [c[1:] for c in env.calls("POST", "/offer-prices/updates")] == [
        (f"/v2/campaigns/{CAMPAIGN}/offer-prices/updates", 423),
        (f"/v2/businesses/{BUSINESS}/offer-prices/updates", 200),
    ]


def test_refusal_texts_map_to_reasons():
    assert refusal_reason(400, "Unable to find mapping for offerId: X") == NOT_FOUND
    assert refusal_reason(400, "Value of field has too high scale: 'price'") == INVALID_VALUE
    assert refusal_reason(423, "Partner use only default price") == ONLY_DEFAULT_PRICE
    assert refusal_reason(423, "Business is in migration") == LOCKED
    assert refusal_reason(400, "Something else") == REJECTED
    errors = [YandexError("BAD_REQUEST", "Unable to find mapping for offerId: SKU-1")]
    assert set(refused_items(errors, {"SKU-1", "SKU-10"})) == {"SKU-1"}  # whole tokens only


# ========================================================================================= orders
async def test_orders_cursor_new_changed_no_repeats_and_survives_a_restart(env):
    first = add_order(env.state, [(1, 2), (3, 1)], campaign_id=CAMPAIGN)
    second = add_order(env.state, [(5, 1)], campaign_id=CAMPAIGN)
    other_shop = add_order(env.state, [(6, 1)], campaign_id=A.YANDEX_CAMPAIGN_IDS[1])
    env.tick()
    async with env.client() as ym:
        page = await ym.orders_since(None)
        assert [o.external_id for o in page.orders] == [str(first.id), str(second.id)]  # our shop only
        assert (await ym.orders_since(page.cursor)).orders == []
        order = page.orders[0]
        assert order.status == "PROCESSING/STARTED" and order.shop_id == str(CAMPAIGN) and order.currency == "RUB"
        assert [(i.sku, i.quantity) for i in order.items] == [(sku_of(1), 2), (sku_of(3), 1)]
        assert order.total == Decimal(first.total) and order.ship_by is not None

        confirmed = await ym.confirm_order(str(first.id))  # in the same second as the poll: still seen
        changed = await ym.orders_since(page.cursor)
        assert [(o.external_id, o.status) for o in changed.orders] == [(str(first.id), "PROCESSING/READY_TO_SHIP")]
        assert confirmed.status == "PROCESSING/READY_TO_SHIP"
        cursor = changed.cursor

    env.tick(60)
    third = add_order(env.state, [(7, 4)], campaign_id=CAMPAIGN)
    async with env.client() as restarted:  # a new process with the stored cursor
        page = await restarted.orders_since(cursor)
        assert [o.external_id for o in page.orders] == [str(third.id)]
        assert (await restarted.orders_since(page.cursor)).orders == []
        new = await restarted.new_orders()
    assert {o.external_id for o in new} == {str(second.id), str(third.id)}
    assert other_shop.status == Lifecycle.NEW


def test_the_cursor_keeps_full_precision_and_refuses_garbage():
    since = datetime(2027, 1, 15, 8, 0, 0, 123000, tzinfo=timezone.utc)
    cursor = OrdersCursor(since, frozenset({"7:PROCESSING/STARTED", "8:CANCELLED/SHOP_FAILED"}))
    assert OrdersCursor.load(cursor.dump()) == cursor
    with pytest.raises(ValueError):
        OrdersCursor.load("yesterday")


async def test_an_old_cursor_is_caught_up_in_30_day_windows(env):
    add_order(env.state, [(1, 1)], campaign_id=CAMPAIGN)
    env.tick()
    old = OrdersCursor(datetime.fromtimestamp(env.clock.now(), timezone.utc) - timedelta(days=70)).dump()
    async with env.client() as ym:
        page = await ym.orders_since(old)
    assert len(page.orders) == 1
    assert len(env.calls("POST", "/orders")) == 3  # 70 days = three windows of at most 30 days


async def test_order_actions_move_the_order_and_are_safe_to_repeat(env):
    shipped = add_order(env.state, [(1, 1)], campaign_id=CAMPAIGN)
    cancelled = add_order(env.state, [(2, 1)], campaign_id=CAMPAIGN)
    async with env.client() as ym:
        assert (await ym.confirm_order(str(shipped.id))).status == "PROCESSING/READY_TO_SHIP"
        assert (await ym.confirm_order(str(shipped.id))).status == "PROCESSING/READY_TO_SHIP"  # a double tap
        assert (await ym.ship_order(str(shipped.id))).status == "PROCESSING/SHIPPED"
        assert (await ym.cancel_order(str(cancelled.id), "out of stock")).status == "CANCELLED/SHOP_FAILED"
        with pytest.raises(BadResponse) as refused:
            await ym.cancel_order(str(shipped.id))
        assert refused.value.status == 400 and "not allowed" in refused.value.detail
        with pytest.raises(OrderNotFound):
            await ym.get_order("123")
    assert (shipped.status, cancelled.status) == (Lifecycle.SHIPPED, Lifecycle.CANCELLED)


LIFECYCLE_STATES = {Lifecycle.NEW: OrderState.NEW, Lifecycle.CONFIRMED: OrderState.ACTIVE,
                    Lifecycle.SHIPPED: OrderState.ACTIVE, Lifecycle.DELIVERED: OrderState.DONE,
                    Lifecycle.CANCELLED: OrderState.CANCELLED}


@pytest.mark.parametrize("lifecycle", list(LIFECYCLE_STATES), ids=[str(l) for l in LIFECYCLE_STATES])
async def test_an_order_offers_exactly_the_actions_yandex_accepts(env, lifecycle):
    """For an order in each status the stand-in has: its state, and every action is accepted by the marketplace if
    and only if the order offers it (cancel with each CancelReason the partner may pick)."""
    moves = {OrderAction.CONFIRM: lambda ym, oid: ym.confirm_order(oid),
             OrderAction.SHIP: lambda ym, oid: ym.ship_order(oid)}
    moves.update({(OrderAction.CANCEL, r): (lambda r: lambda ym, oid: ym.cancel_order(oid, r))(r)
                  for r in CancelReason})
    async with env.client() as ym:
        for move, do in moves.items():
            action = move[0] if isinstance(move, tuple) else move
            placed = add_order(env.state, [(1, 1)], campaign_id=CAMPAIGN)
            env.state.orders.set_status(placed.id, lifecycle)
            before = await ym.get_order(str(placed.id))
            assert before.state is LIFECYCLE_STATES[lifecycle]
            if action in before.actions:
                after = await do(ym, str(placed.id))
                assert after.status != before.status and env.calls("PUT")[-1][2] == 200, move
            else:
                try:
                    after = await do(ym, str(placed.id))
                except BadResponse as refused:
                    assert refused.status == 400 and "not allowed" in refused.detail, move
                else:  # a confirmed order confirmed again: the refusal is read as "already done"
                    assert after.status == before.status, move
                assert env.calls("PUT")[-1][2] == 400, move  # the marketplace refused the move


# ================================================================================ sales & the rest
async def test_sales_are_summed_per_day_and_sku_without_cancelled_orders(env):
    day_one = date.fromtimestamp(env.clock.now())
    add_order(env.state, [(1, 2), (2, 1)], campaign_id=CAMPAIGN)
    add_order(env.state, [(1, 1)], campaign_id=CAMPAIGN)
    env.state.orders.set_status(add_order(env.state, [(1, 5)], campaign_id=CAMPAIGN).id, Lifecycle.CANCELLED)
    env.tick(86400)
    add_order(env.state, [(1, 3)], campaign_id=CAMPAIGN)
    add_order(env.state, [(9, 1)], campaign_id=A.YANDEX_CAMPAIGN_IDS[1])  # another shop
    price1, price2 = env.catalog.get_price(1), env.catalog.get_price(2)
    async with env.client() as ym:
        rows = await ym.sales(day_one - timedelta(days=1), day_one + timedelta(days=2))
    moscow_day = datetime.fromtimestamp(env.clock.now() - 86400, MARKET_TZ).date()
    assert [(r.day - moscow_day, r.sku, r.quantity, r.revenue) for r in rows] == [
        (timedelta(0), sku_of(1), 3, Decimal(price1 * 3)),
        (timedelta(0), sku_of(2), 1, Decimal(price2)),
        (timedelta(days=1), sku_of(1), 3, Decimal(price1 * 3)),
    ]
    assert {r.currency for r in rows} == {"RUB"}


async def test_warehouses_of_our_shop_and_no_supplies(env):
    async with env.client() as ym:
        ours = await ym.list_warehouses()
        with pytest.raises(NotSupported):
            await ym.list_supplies()
    async with env.client(account=AccountContext(business_id=str(BUSINESS))) as ym:
        every = await ym.list_warehouses()
    assert [w.id for w in ours] == [WAREHOUSE] and ours[0].extra["campaign_id"] == str(CAMPAIGN)
    assert len(every) == len(A.YANDEX_CAMPAIGN_IDS)


async def test_missing_ids_are_found_from_the_campaigns(env):
    env.state.yandex[A.YANDEX_API_KEY].business.campaigns.pop()  # one shop left: nothing to choose
    try:
        async with env.client(account=None) as ym:
            levels = await ym.read_stock([sku_of(1)])
        assert levels and env.calls("GET") == [("GET", "/v2/campaigns", 200)]
    finally:
        env.state.yandex = A._default_yandex()


# ========================================================================================= pacing
async def test_the_client_paces_itself_so_the_enforcing_sandbox_never_answers_420(monkeypatch):
    # The published limits' shape, scaled down on both sides so that a short run crosses several windows; smaller
    # client batches make many requests that would overlap if the client let them (the sandbox holds each one).
    for resource, limit in (("getOfferMappings", 2), ("updateStocks", 150)):
        monkeypatch.setitem(sandbox_yandex.RESOURCE_LIMITS, resource, limit)
        monkeypatch.setitem(limits.YANDEX_RESOURCE_LIMITS, resource, RateSpec(limit, 60, window=True))
    monkeypatch.setattr(limits, "STOCK_READ_BATCH", 10)
    monkeypatch.setattr(limits, "STOCK_UPDATE_BATCH", 100)
    monkeypatch.setattr(sandbox_yandex, "SIMULATED_LATENCY", 0.01)
    env = await make_env(catalog_size=500, enforce_rate_limits=True)
    try:
        started = env.clock.now()
        async with env.client() as ym:
            listed = [listing async for listing in ym.iter_listings()]  # 5 pages at 2 per minute
            stock = await ym.read_stock([sku_of(i) for i in range(1, 61)])  # 6 requests at once
            pushed = await ym.update_stock([StockUpdate(sku_of(i), 1) for i in range(1, 301)])  # 300 at 150/min
        assert len(listed) == 500 and len(stock) == 60
        assert {(r.outcome, r.reason, r.detail) for r in pushed} == {(ItemOutcome.ACCEPTED, None, None)}, env.calls()
        assert len(env.calls("PUT")) == 3 and len(env.calls("POST", "/offers/stocks")) == 6
        statuses = [c[2] for c in env.calls()]
        assert set(statuses) == {200}  # not a single 420
        assert env.clock.now() - started >= 2 * 60  # it waited for the windows instead of bouncing off them
        book = yandex_book(env.state)
        assert book.parallel_refusals == 0 and book.peak_in_flight == limits.YANDEX_MAX_PARALLEL
    finally:
        await env.sandbox.stop()


async def test_a_server_rate_limit_reply_wins_over_the_local_estimate(env):
    env.sandbox.inject("yandex", f"/v2/campaigns/{CAMPAIGN}/offers/stocks", "rate_limit")
    async with env.client() as ym:
        levels = await ym.read_stock([sku_of(1)])
    assert levels and [c[2] for c in env.calls()] == [420, 200]
    assert max(env.clock.sleeps) >= sandbox_yandex.INJECTED_RATE_LIMIT_WAIT - 1  # waited for -Until


def test_a_420_with_budget_left_is_the_parallel_limit_not_the_resource():
    parallel = Reply(420, httpx.Headers({"X-RateLimit-Resource-Remaining": "99",
                                         "X-RateLimit-Resource-Until": "Thu, 10 Jul 2036 00:42:42 GMT"}), None, "")
    spent = Reply(420, httpx.Headers({"X-RateLimit-Resource-Remaining": "0",
                                      "X-RateLimit-Resource-Until": "Thu, 10 Jul 2036 00:42:42 GMT"}), None, "")
    assert rate_limit(parallel, 0).retry_after is None  # our own short backoff
    assert rate_limit(spent, 0).retry_after > 0


# ========================================================================================= faults
KINDS = itertools.cycle(["5xx", "timeout", "rate_limit", "garbage"])


class EveryFifthFails(httpx.AsyncBaseTransport):
    """20% of requests fail, one kind after another (deterministic: a retry never meets two faults in a row)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, sandbox: MarketplaceSandbox):
        self.inner, self.sandbox, self.sent = inner, sandbox, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        if self.sent % 5 == 0:
            self.sandbox.inject("yandex", request.url.path.removeprefix("/yandex"), next(KINDS), delay=0.6)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_with_20_percent_faults_a_5000_product_catalog_reads_each_product_once_and_5000_pushes_land():
    env = await make_env(catalog_size=5000)
    try:
        async with env.client(strict=False, timeout=0.3, wrap=lambda t: EveryFifthFails(t, env.sandbox)) as ym:
            skus = [listing.seller_sku async for listing in ym.iter_listings()]
            results = await ym.update_stock([StockUpdate(sku_of(i), (i * 13) % 101) for i in range(1, 5001)])
        assert skus == [sku_of(i) for i in range(1, 5001)]  # every product exactly once, in order
        assert {r.outcome for r in results} == {ItemOutcome.ACCEPTED}
        assert all(env.catalog.get_stock(i, WAREHOUSE) == (i * 13) % 101 for i in range(1, 5001))
        statuses = [c[2] for c in env.calls()]
        assert {500, 420, 0} <= set(statuses)  # the faults really happened (0 = timed out)
        violations = [v for t in env.transports for v in t.violations]
        assert violations and all("reply violates the spec" in v for v in violations)  # only the garbage
    finally:
        await env.sandbox.stop()
