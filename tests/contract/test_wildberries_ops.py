"""Every Wildberries connector operation against the stateful sandbox, through the spec validator.

The connector talks to the in-process sandbox (sandbox.marketplaces) over loopback; every request and reply
goes through SpecValidatingTransport (strict: a call the ru-yaml specs do not allow fails the test). Time is a
FakeClock shared by the client (its pacing sleeps) and the sandbox (its rate limits and order dates), so paced
runs of hours finish at once and the sandbox's limits count exactly the client's time.
"""
from __future__ import annotations

import random
import re
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from connectors import build_client
from connectors.base import (
    AccountContext,
    BadResponse,
    CancelReason,
    Credentials,
    Currency,
    ItemOutcome,
    Marketplace,
    OrderAction,
    OrderState,
    PermissionDenied,
    PriceUpdate,
    StockUpdate,
)
from connectors.clock import FakeClock
from connectors.http import Reply
from connectors.pacing import reset_pacers
from connectors.wildberries import WildberriesClient
from connectors.wildberries.catalog import listing_from_card
from connectors.wildberries.errors import WB_POLICY
from connectors.wildberries.models import (
    MOSCOW,
    WbCardsPage,
    WbGoodResultsReply,
    WbGoodsReply,
    WbSale,
    WbStocks,
    WbSuppliesPage,
    WbSupplyCreated,
    WbTaskCreated,
    WbTasksPage,
    WbTaskStateReply,
    WbTaskStatuses,
    WbWarehouse,
)
from connectors.wildberries.orders import WbOrdersCursor, order_from_task, supply_from_wb
from connectors.wildberries.prices import price_from_goods, wb_price_and_discount
from connectors.wildberries.sales import sales_rows
from connectors.wildberries.stock import stock_rejections
from sandbox.marketplaces import MarketplaceSandbox, SandboxState
from sandbox.marketplaces import accounts as A
from sandbox.marketplaces.catalog import Lifecycle, OrderLine, ean13, product, sku_of
from sandbox.marketplaces.wildberries import chrt_id, nm_id, wb_task_ids
from tests.support.contract import SpecValidatingTransport, spec_example

M = Marketplace.WILDBERRIES
WAREHOUSE, OTHER_WAREHOUSE = "1001001", "1001002"
LIMITED = re.compile(r"^/(content|marketplace|discounts-prices|statistics)/")


@pytest.fixture(autouse=True)
def fresh_pacers():
    reset_pacers()
    yield
    reset_pacers()


@dataclass
class Wb:
    sandbox: MarketplaceSandbox
    state: SandboxState
    client: WildberriesClient
    transport: SpecValidatingTransport
    clock: FakeClock

    def calls(self, method: str, path: str | re.Pattern) -> int:
        match = (lambda p: path.fullmatch(p)) if isinstance(path, re.Pattern) else (lambda p: p == path)
        return sum(1 for r in self.transport.records if r.method == method and match(r.path))

    def statuses(self) -> list[int]:
        return [r.status for r in self.transport.records]

    def order(self, *lines: tuple[int, int, int], scheme: str = "FBS"):
        return self.state.orders.create("wildberries", A.WB_SELLER_ID, [OrderLine(*line) for line in lines],
                                        scheme=scheme)


@asynccontextmanager
async def wb_sandbox(*, token: str = A.WB_TOKEN, catalog_size: int = 40, enforce: bool = False,
                     warehouse: str | None = WAREHOUSE, strict: bool = True, timeout: float = 5.0,
                     inner: httpx.AsyncBaseTransport | None = None):
    """A sandbox whose clocks are the client's FakeClock, and a strict contract-checked client of it."""
    clock = FakeClock(float(int(time.time())))
    state = SandboxState(catalog_size=catalog_size, enforce_rate_limits=enforce, clock=clock.now)
    state.orders.clock = clock.now
    async with MarketplaceSandbox(state=state) as sandbox:
        base = sandbox.env()["WILDBERRIES_API_URL"]
        transport = SpecValidatingTransport(M, inner or httpx.AsyncHTTPTransport(), strict=strict, base_url=base)
        client = build_client(M, Credentials(token), base_url=base, transport=transport, clock=clock,
                              timeout=timeout, account=AccountContext(warehouse_id=warehouse))
        try:
            yield Wb(sandbox, state, client, transport, clock)
        finally:
            await client.aclose()


# ================================================================================ official examples
def test_official_examples_parse_with_our_models():
    """TESTING.md: the examples inside the ru-yaml specs go through the connector's own models."""
    def example(method, path, category, status=200):
        return spec_example(M, method, path, status, category=category)

    page = WbCardsPage.model_validate(example("POST", "/content/v2/get/cards/list", "content"))
    listing = listing_from_card(page.cards[0])
    assert (listing.external_id, listing.seller_sku, listing.stock_ids, listing.barcodes) == (
        "12345678", "wb7f6mumjr1", ("316399238",), ("987456321654",))
    assert page.cursor.total == 1 and page.cursor.nmID == 123654123

    new = WbTasksPage.model_validate(example("GET", "/api/v3/orders/new", "marketplace"))
    history = WbTasksPage.model_validate(example("GET", "/api/v3/orders", "marketplace"))
    statuses = WbTaskStatuses.model_validate(example("POST", "/api/v3/orders/status", "marketplace"))
    assert history.next == 13833711 and statuses.orders[0].key == "new/waiting"
    order = order_from_task(history.orders[0], statuses.orders[0])
    assert order.total == Decimal("283.22") and order.currency == "RUB"  # convertedPrice 28322 kopecks, code 643
    assert order.extra["supply_id"] == "WB-GI-92937123" and order.items[0].sku == "one-ring-7548"
    assert order_from_task(new.orders[0], None).ship_by == int(datetime(2025, 6, 2, tzinfo=MOSCOW).timestamp())

    supplies = WbSuppliesPage.model_validate(example("GET", "/api/v3/supplies", "marketplace"))
    assert supply_from_wb(supplies.supplies[0]).closed is True
    assert WbSupplyCreated.model_validate(example("POST", "/api/v3/supplies", "marketplace", 201)).id == "WB-GI-1234567"

    goods = WbGoodsReply.model_validate(example("GET", "/api/v2/list/goods/filter", "discounts-prices"))
    price = price_from_goods(goods.data.listGoods[0])
    assert (price.sku, price.price, price.old_price) == ("98486", Decimal(350), Decimal(500))
    duplicate = WbTaskCreated.model_validate(example("POST", "/api/v2/upload/task", "discounts-prices", 208))
    assert duplicate.data.alreadyExists
    assert WbTaskStateReply.model_validate(example("GET", "/api/v2/history/tasks", "discounts-prices")).data.status == 3
    assert WbTaskStateReply.model_validate(example("GET", "/api/v2/buffer/tasks", "discounts-prices")).data.status == 1
    details = WbGoodResultsReply.model_validate(example("GET", "/api/v2/history/goods/task", "discounts-prices"))
    assert "high inventory" in details.data.historyGoods[0].errorText

    assert WbStocks.model_validate(example("POST", "/api/v3/stocks/1", "marketplace")).stocks[0].amount == 10
    per_item, batch = stock_rejections(example("PUT", "/api/v3/stocks/1", "marketplace", 409), 409, None)
    assert per_item == {} and batch[0] == "amount_too_large"  # the example names a barcode, not a chrtId
    warehouses = [WbWarehouse.model_validate(w) for w in example("GET", "/api/v3/warehouses", "marketplace")]
    assert warehouses[0].id == 1

    sales = [WbSale.model_validate(row) for row in example("GET", "/api/v1/supplier/sales", "statistics")]
    rows = sales_rows(sales, date(2022, 3, 1), date(2022, 3, 31))
    assert [(r.day, r.sku, r.quantity, r.revenue) for r in rows] == [(date(2022, 3, 4), "12345", 1, Decimal(1547))]


def test_price_and_discount_never_undercut_the_asked_price():
    assert wb_price_and_discount(Decimal("999.5"), None) == (1000, 0)
    assert wb_price_and_discount(Decimal(700), Decimal(1000)) == (1000, 30)
    price, discount = wb_price_and_discount(Decimal(333), Decimal(1000))
    assert (price, discount) == (1000, 66) and price * (100 - discount) / 100 >= 333


def test_orders_cursor_round_trips_and_refuses_foreign_text():
    cursor = WbOrdersCursor(since=1_800_000_000, seen={5, 7}, open={7: ("new/waiting", 1_799_999_000)})
    assert WbOrdersCursor.decode(cursor.encode()) == cursor
    for bad in ("", "wb1.###", "something else"):
        with pytest.raises(ValueError):
            WbOrdersCursor.decode(bad)


def test_policy_feeds_the_servers_remaining_count_and_keeps_error_bodies():
    headers = httpx.Headers({"X-Ratelimit-Remaining": "7"})
    assert WB_POLICY.remaining(Reply(200, headers, None, ""), 0.0) == (7.0, None)
    body = [{"code": "NotFound", "message": "Not found", "data": [{"chrtId": 5, "amount": 1}]}]
    assert WB_POLICY.message(Reply(409, httpx.Headers(), body, "")) == "Not found"
    assert stock_rejections(body, 409, None) == ({5: ("unknown_item", "Not found")}, ("rejected", None))


# ======================================================================================= catalog
async def test_listings_stream_every_page_with_prices_joined():
    async with wb_sandbox(token=A.WB_TOKEN_PERSONAL, catalog_size=250) as wb:
        wb.state.catalog("wildberries", A.WB_SELLER_ID).archived.add(7)  # in the trash: not listed
        listings = [item async for item in wb.client.iter_listings()]
    assert len(listings) == 249 and len({l.external_id for l in listings}) == 249
    first = listings[0]
    assert (first.external_id, first.seller_sku, first.barcodes, first.stock_ids, first.price_id) == (
        str(nm_id(1)), sku_of(1), (ean13(1),), (str(chrt_id(1)),), str(nm_id(1)))
    assert first.price == Decimal(1037) and first.currency == "RUB"
    assert str(nm_id(7)) not in {l.external_id for l in listings}
    assert wb.calls("POST", "/content/v2/get/cards/list") == 3  # 100 + 100 + 49 (< limit: the end)
    assert wb.calls("POST", "/api/v2/list/goods/filter") == 3  # one price request per page


async def test_base_token_lists_without_prices_and_an_exact_multiple_ends_on_an_empty_page():
    async with wb_sandbox(catalog_size=200) as wb:
        listings = [item async for item in wb.client.iter_listings()]
    assert len(listings) == 200 and all(l.price is None for l in listings)
    assert {l.currency for l in listings} == {Currency.RUB}  # no price joined, and still a currency
    assert wb.calls("POST", "/content/v2/get/cards/list") == 3  # 100 + 100 + 0
    assert wb.calls("POST", "/api/v2/list/goods/filter") == 0  # 4 requests per hour: not worth the catalog


async def test_prices_read_pages_by_offset():
    async with wb_sandbox(token=A.WB_TOKEN_PERSONAL, catalog_size=1500) as wb:
        prices = [p async for p in wb.client.iter_prices()]
    assert len(prices) == 1500 and prices[0] == PriceUpdate(str(nm_id(1)), Decimal(1037), None, "RUB")
    assert wb.calls("GET", "/api/v2/list/goods/filter") == 2


# ========================================================================================= stock
async def test_stock_update_splits_per_warehouse_and_reads_back():
    async with wb_sandbox(catalog_size=1100) as wb:
        updates = [StockUpdate(str(chrt_id(i)), i % 90) for i in range(1, 1002)]  # 1,001 at the default warehouse
        updates += [StockUpdate(str(chrt_id(i)), 3, warehouse_id=OTHER_WAREHOUSE) for i in range(1, 6)]
        results = await wb.client.update_stock(updates)
        levels = await wb.client.read_stock([str(chrt_id(1)), str(chrt_id(1001))])
        catalog = wb.state.catalog("wildberries", A.WB_SELLER_ID)
    assert [r.outcome for r in results] == [ItemOutcome.ACCEPTED] * 1006
    assert wb.calls("PUT", f"/api/v3/stocks/{WAREHOUSE}") == 2
    assert wb.calls("PUT", f"/api/v3/stocks/{OTHER_WAREHOUSE}") == 1
    assert catalog.get_stock(1001, WAREHOUSE) == 1001 % 90 and catalog.get_stock(5, OTHER_WAREHOUSE) == 3
    assert [(l.sku, l.quantity, l.warehouse_id) for l in levels] == [
        (str(chrt_id(1)), 1, WAREHOUSE), (str(chrt_id(1001)), 1001 % 90, WAREHOUSE)]
    sent = [r for r in wb.transport.records if r.method == "PUT"]
    assert all(r.status == 204 for r in sent)


async def test_stock_409_rejects_the_named_items_and_resends_the_rest():
    async with wb_sandbox() as wb:
        results = await wb.client.update_stock([StockUpdate(str(chrt_id(1)), 4), StockUpdate("999999", 1),
                                                StockUpdate(str(chrt_id(2)), 6)])
        catalog = wb.state.catalog("wildberries", A.WB_SELLER_ID)
    assert [(r.outcome, r.reason) for r in results] == [
        (ItemOutcome.ACCEPTED, None), (ItemOutcome.REJECTED, "unknown_item"), (ItemOutcome.ACCEPTED, None)]
    assert [r.status for r in wb.transport.records] == [409, 204]  # nothing applied by the 409, so sent again
    assert (catalog.get_stock(1, WAREHOUSE), catalog.get_stock(2, WAREHOUSE)) == (4, 6)


async def test_stock_items_are_checked_before_sending():
    async with wb_sandbox(warehouse=None) as wb:
        results = await wb.client.update_stock([
            StockUpdate(str(chrt_id(1)), 1),  # no warehouse anywhere
            StockUpdate("SKU-000001", 1, WAREHOUSE),  # a seller SKU, not a chrtId
            StockUpdate(str(chrt_id(2)), 100_001, WAREHOUSE),
            StockUpdate(str(chrt_id(3)), 1, WAREHOUSE),
            StockUpdate(str(chrt_id(3)), 2, WAREHOUSE),  # the same item again: the last one wins
        ])
    assert [r.reason for r in results] == ["no_warehouse", "invalid_sku", "invalid_quantity", "superseded", None]
    assert wb.calls("PUT", f"/api/v3/stocks/{WAREHOUSE}") == 1


async def test_stock_to_an_unknown_warehouse_and_with_a_read_only_token():
    async with wb_sandbox(warehouse="42") as wb:
        results = await wb.client.update_stock([StockUpdate(str(chrt_id(1)), 1)])
    assert results[0].reason == "unknown_warehouse" and wb.statuses() == [404]
    async with wb_sandbox(token=A.WB_TOKEN_READONLY) as wb:
        with pytest.raises(PermissionDenied):
            await wb.client.update_stock([StockUpdate(str(chrt_id(1)), 1)])
        assert wb.state.catalog("wildberries", A.WB_SELLER_ID).stock == {}


# ======================================================================================== prices
async def test_prices_task_results_per_item_with_quarantine():
    async with wb_sandbox(token=A.WB_TOKEN_PERSONAL) as wb:
        catalog = wb.state.catalog("wildberries", A.WB_SELLER_ID)
        old = catalog.get_price(1)
        results = await wb.client.update_prices([
            PriceUpdate(str(nm_id(1)), Decimal(old // 3)),  # at most a third of the old price: quarantine
            PriceUpdate(str(nm_id(2)), Decimal(1500), old_price=Decimal(2000)),
            PriceUpdate("999999", Decimal(100)),  # no such nmID
            PriceUpdate("not-an-id", Decimal(100)),
        ])
        again = await wb.client.update_prices([PriceUpdate(str(nm_id(2)), Decimal(1500), old_price=Decimal(2000))])
    assert [(r.outcome, r.reason) for r in results] == [
        (ItemOutcome.REJECTED, "price_quarantine"), (ItemOutcome.ACCEPTED, None),
        (ItemOutcome.REJECTED, "unknown_item"), (ItemOutcome.REJECTED, "invalid_sku")]
    assert "Quarantine" in results[0].detail
    assert catalog.get_price(1) == old and catalog.get_price(2) == 2000  # quarantined price kept; WB price 2000 -25%
    assert (again[0].outcome, again[0].reason) == (ItemOutcome.ACCEPTED, "unchanged")
    assert wb.calls("GET", "/api/v2/history/tasks") >= 1 and wb.calls("GET", "/api/v2/history/goods/task") == 1


async def test_prices_split_at_1000_goods():
    async with wb_sandbox(token=A.WB_TOKEN_PERSONAL, catalog_size=1001) as wb:
        updates = [PriceUpdate(str(nm_id(i)), Decimal(product(i).price + 1)) for i in range(1, 1002)]
        results = await wb.client.update_prices(updates)
    assert all(r.outcome is ItemOutcome.ACCEPTED for r in results) and len(results) == 1001
    assert wb.calls("POST", "/api/v2/upload/task") == 2


async def test_base_token_price_tasks_queue_at_four_per_hour_without_a_429():
    async with wb_sandbox(enforce=True) as wb:
        started = wb.clock.now()
        results = [(await wb.client.update_prices([PriceUpdate(str(nm_id(i)), Decimal(product(i).price + 1))]))[0]
                   for i in range(1, 6)]  # 5 tasks
        queued_for = wb.clock.now() - started
        task_id = int(results[0].detail.split()[-1])
        later = await wb.client.price_task_results(task_id)
    assert {r.outcome for r in results} == {ItemOutcome.QUEUED} and results[0].detail.startswith("wb task ")
    assert wb.calls("POST", "/api/v2/upload/task") == 5 and 429 not in wb.statuses()
    assert queued_for >= 4 * 900  # burst 1, then one every 15 minutes
    assert [(r.sku, r.outcome) for r in later] == [(str(nm_id(1)), ItemOutcome.ACCEPTED)]


# ======================================================================================== orders
async def test_orders_cursor_reports_new_orders_and_status_changes_once():
    async with wb_sandbox() as wb:
        first = wb.order((3, 2, 1500))  # one basket of 2 units: two WB tasks
        wb.order((4, 1, 999), scheme="DBS")  # not an FBS order
        page = await wb.client.orders_since(None)
        assert sorted(o.external_id for o in page.orders) == [str(i) for i in wb_task_ids(first)]
        order = page.orders[0]
        assert (order.status, order.extra["wb_status"], order.items[0].sku, order.items[0].price, order.total,
                order.currency, order.shop_id) == ("new", "waiting", sku_of(3), Decimal(1500), Decimal(1500), "RUB",
                                                   WAREHOUSE)
        assert order.created_at == int(first.created_at)
        assert (await wb.client.orders_since(page.cursor)).orders == []  # nothing repeats

        wb.clock.current += 60
        wb.state.orders.set_status(first.id, Lifecycle.DELIVERED)
        second = wb.order((5, 1, 700))
        changed = await wb.client.orders_since(page.cursor)
        expected = [(str(i), "complete", "sold") for i in wb_task_ids(first)]
        expected.append((str(wb_task_ids(second)[0]), "new", "waiting"))
        assert sorted((o.external_id, o.status, o.extra["wb_status"]) for o in changed.orders) == sorted(expected)
        # A restart with the older cursor repeats that poll (nothing is lost) ...
        assert len((await wb.client.orders_since(page.cursor)).orders) == 3
        # ... and the newest cursor has nothing more: the delivered orders are final and no longer tracked.
        assert (await wb.client.orders_since(changed.cursor)).orders == []
        assert set(WbOrdersCursor.decode(changed.cursor).open) == {wb_task_ids(second)[0]}


async def test_orders_history_pages_with_next_and_statuses_in_batches():
    async with wb_sandbox() as wb:
        for _ in range(1001):
            wb.order((1, 1, 100))
        page = await wb.client.orders_since(None)
    assert len(page.orders) == 1001 and len({o.external_id for o in page.orders}) == 1001
    assert wb.calls("GET", "/api/v3/orders") == 2 and wb.calls("POST", "/api/v3/orders/status") == 2


async def test_new_orders_and_get_order():
    async with wb_sandbox() as wb:
        placed = wb.order((2, 1, 1200))
        task_id = str(wb_task_ids(placed)[0])
        new = await wb.client.new_orders()
        fetched = await wb.client.get_order(task_id)
        fresh_client = build_client(M, Credentials(A.WB_TOKEN), base_url=wb.sandbox.env()["WILDBERRIES_API_URL"],
                                    transport=wb.transport, clock=wb.clock)
        wb.state.orders.set_status(placed.id, Lifecycle.CONFIRMED)  # no longer new: found in the history
        from_history = await fresh_client.get_order(task_id)
        await fresh_client.aclose()
    assert [o.external_id for o in new] == [task_id] and new[0].status == "new"
    assert fetched.status == "new" and fetched.items[0].sku == sku_of(2)
    assert from_history.status == "confirm" and from_history.total == Decimal(1200)


# ============================================================================= actions and supplies
async def test_supply_flow_confirm_ship_and_cancel():
    async with wb_sandbox() as wb:
        a, b, c = (wb.order((i, 1, 500)) for i in (1, 2, 3))
        ids = [str(wb_task_ids(o)[0]) for o in (a, b, c)]
        confirmed = await wb.client.confirm_order(ids[0])
        await wb.client.confirm_order(ids[1])
        supplies = await wb.client.list_supplies()
        assert confirmed.status == "confirm" and len(supplies) == 1 and not supplies[0].closed
        assert confirmed.extra["supply_id"] == supplies[0].external_id
        assert wb.calls("POST", "/api/v3/supplies") == 1  # the second order went to the same open supply

        shipped = await wb.client.ship_order(ids[0])
        assert shipped.status == "complete" and wb.state.orders.orders[b.id].status == Lifecycle.SHIPPED
        assert (await wb.client.list_supplies())[0].closed

        assert (await wb.client.ship_order(ids[1])).status == "complete"  # went with the first one's supply
        assert wb.calls("PATCH", re.compile(r"/api/v3/supplies/[^/]+/deliver")) == 1

        cancelled = await wb.client.cancel_order(ids[2], reason="out of stock")
        assert cancelled.status == "cancel" and wb.state.orders.orders[c.id].status == Lifecycle.CANCELLED
        [refused] = await wb.client.confirm_orders([ids[2]])
        assert (refused.outcome, refused.reason) == (ItemOutcome.REJECTED, "not_confirmed")
        assert wb.calls("POST", "/api/v3/supplies") == 2  # one for the refused order, none for a retry
        extra = await wb.client.create_supply("Evening supply")
        assert (extra.name, extra.closed) == ("Evening supply", False)


class Recording(httpx.AsyncBaseTransport):
    """Keeps every request's method, path and body on its way to the sandbox."""

    def __init__(self):
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[tuple[str, str, bytes]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path, await request.aread()))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_offered_actions_are_the_ones_wb_accepts():
    """Each status's state and actions, walked through the sandbox: what is offered works, what is not is refused."""
    async with wb_sandbox() as wb:
        first, second = wb.order((1, 1, 500)), wb.order((2, 1, 500))
        one, two = (str(wb_task_ids(o)[0]) for o in (first, second))
        [listed] = [o for o in (await wb.client.orders_since(None)).orders if o.external_id == one]
        assert (listed.status, listed.state, listed.actions) == ("new", OrderState.NEW, frozenset(OrderAction))

        confirmed = await wb.client.confirm_order(one)
        assert (confirmed.status, confirmed.state) == ("confirm", OrderState.ACTIVE)
        assert confirmed.actions == {OrderAction.SHIP, OrderAction.CANCEL}

        shipped = await wb.client.ship_order(one)
        assert (shipped.status, shipped.state, shipped.actions) == ("complete", OrderState.ACTIVE, frozenset())
        with pytest.raises(BadResponse):  # handed over: WB no longer lets the seller cancel it, so none is offered
            await wb.client.cancel_order(one, CancelReason.OTHER)

        wb.state.orders.set_status(first.id, Lifecycle.DELIVERED)
        delivered = await wb.client.get_order(one)
        assert (delivered.status, delivered.extra["wb_status"], delivered.state) == ("complete", "sold",
                                                                                     OrderState.DONE)
        assert delivered.actions == frozenset()

        cancelled = await wb.client.cancel_order(two, CancelReason.OUT_OF_STOCK)
        assert (cancelled.status, cancelled.state, cancelled.actions) == ("cancel", OrderState.CANCELLED, frozenset())
        assert wb.state.orders.orders[second.id].status == Lifecycle.CANCELLED


@pytest.mark.parametrize("reason", [*CancelReason, None, "out of stock"])
async def test_cancel_sends_no_reason_whatever_the_seller_picked(reason):
    recording = Recording()
    async with wb_sandbox(inner=recording) as wb:
        order = wb.order((1, 1, 500))
        task = str(wb_task_ids(order)[0])
        cancelled = await wb.client.cancel_order(task, reason)
    assert cancelled.state is OrderState.CANCELLED
    assert [(method, body) for method, path, body in recording.sent if path.endswith(f"/orders/{task}/cancel")] == [
        ("PATCH", b"")]


async def test_confirm_orders_adds_at_most_100_per_request():
    async with wb_sandbox() as wb:
        orders = [wb.order((1, 1, 100)) for _ in range(150)]
        results = await wb.client.confirm_orders([str(wb_task_ids(o)[0]) for o in orders] + ["x"])
    assert [r.outcome for r in results[:-1]] == [ItemOutcome.ACCEPTED] * 150 and results[-1].reason == "invalid_order"
    assert wb.calls("PATCH", re.compile(r"/api/marketplace/v3/supplies/[^/]+/orders")) == 2
    assert all(o.status == Lifecycle.CONFIRMED for o in orders)


# ============================================================================ sales and warehouses
async def test_sales_per_day_per_sku_with_returns():
    async with wb_sandbox() as wb:
        day_one = wb.clock.now()
        sold = wb.order((1, 2, 1000), (2, 1, 300))
        returned = wb.order((1, 1, 1000))
        for order in (sold, returned):
            wb.state.orders.set_status(order.id, Lifecycle.DELIVERED)
        returned.extra["returned"] = True
        wb.clock.current += 86_400
        wb.state.orders.set_status(wb.order((2, 1, 300)).id, Lifecycle.DELIVERED)
        today = datetime.fromtimestamp(day_one, MOSCOW).date()
        rows = await wb.client.sales(today, today + timedelta(days=1))
    assert [(r.day, r.sku, r.quantity, r.returns, r.revenue) for r in rows] == [
        (today, sku_of(1), 3, 1, Decimal(2000)),
        (today, sku_of(2), 1, 0, Decimal(300)),
        (today + timedelta(days=1), sku_of(2), 1, 0, Decimal(300)),
    ]
    assert wb.calls("GET", "/api/v1/supplier/sales") == 1


async def test_warehouses_and_connection():
    async with wb_sandbox() as wb:
        warehouses = await wb.client.list_warehouses()
        info = await wb.client.check_connection()
    assert [(w.id, w.name) for w in warehouses] == [(WAREHOUSE, "Sandbox sklad Toshkent"),
                                                   (OTHER_WAREHOUSE, "Sandbox sklad Samarqand")]
    assert info.warehouses == warehouses and info.token_type == "base"
    assert info.seller_id == info.account_id == A.WB_SELLER_ID  # the token's own seller is what gets connected


# ======================================================================================== pacing
@pytest.mark.parametrize("token", [A.WB_TOKEN, A.WB_TOKEN_PERSONAL], ids=["base", "personal"])
async def test_a_paced_run_never_meets_a_429(token):
    """With the sandbox enforcing the published limits on the same clock, the client's own pacing keeps every
    category under them: listing, stock pushes well past the burst, orders, prices and sales."""
    async with wb_sandbox(token=token, catalog_size=700, enforce=True) as wb:
        for _ in range(3):
            wb.order((1, 1, 100))
        started = wb.clock.now()
        assert len([item async for item in wb.client.iter_listings()]) == 700  # 8 pages: past the burst of 5
        for round_ in range(30):  # 30 PUTs: past the burst (Base 10, Personal 20)
            await wb.client.update_stock([StockUpdate(str(chrt_id(i)), round_) for i in range(1, 4)])
        cursor = (await wb.client.orders_since(None)).cursor
        await wb.client.orders_since(cursor)
        await wb.client.update_prices([PriceUpdate(str(nm_id(1)), Decimal(5000))])
        await wb.client.update_prices([PriceUpdate(str(nm_id(2)), Decimal(5000))])
        await wb.client.sales(date.today(), date.today())
        await wb.client.sales(date.today(), date.today())
    assert 429 not in wb.statuses()
    assert wb.clock.now() - started > 0  # it did wait: pacing, not luck
    assert all(status < 400 for status in wb.statuses())


# ======================================================================================== faults
class Chaos(httpx.AsyncBaseTransport):
    """Makes the sandbox fail ~`rate` of the requests (each kind in turn), by injecting a one-off fault for
    the request's own path just before sending it."""

    KINDS = ("5xx", "timeout", "rate_limit", "garbage")

    def __init__(self, sandbox: MarketplaceSandbox, rate: float, seed: int = 7):
        self.sandbox, self.rate, self.rng = sandbox, rate, random.Random(seed)
        self.inner = httpx.AsyncHTTPTransport()
        self.injected: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        relative = request.url.path.removeprefix("/wb")
        if self.rng.random() < self.rate:
            kind = self.KINDS[len(self.injected) % len(self.KINDS)]
            self.injected.append(kind)
            self.sandbox.inject("wildberries", relative, kind, delay=30.0)  # stalls past the test's end
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_twenty_percent_faults_still_read_and_push_everything_once():
    """5,000 products read and 5,000 stock changes pushed while ~20% of replies fail (5xx, timeouts, 429s,
    garbage); the sandbox enforces the limits, and the only 429s are the injected ones."""
    clock = FakeClock(float(int(time.time())))
    state = SandboxState(catalog_size=5000, enforce_rate_limits=True, clock=clock.now)
    async with MarketplaceSandbox(state=state) as sandbox:
        base = sandbox.env()["WILDBERRIES_API_URL"]
        chaos = Chaos(sandbox, rate=0.2)
        transport = SpecValidatingTransport(M, chaos, strict=False, base_url=base)
        client = build_client(M, Credentials(A.WB_TOKEN), base_url=base, transport=transport, clock=clock,
                              timeout=0.15, account=AccountContext(warehouse_id=WAREHOUSE))
        listings = [item async for item in client.iter_listings()]
        results = await client.update_stock([StockUpdate(l.stock_ids[0], int(l.external_id) % 97) for l in listings])
        catalog = state.catalog("wildberries", A.WB_SELLER_ID)
        final = {i: catalog.get_stock(i, WAREHOUSE) for i in range(1, 5001)}
        await client.aclose()
    assert sorted(int(l.external_id) for l in listings) == [nm_id(i) for i in range(1, 5001)]  # each exactly once
    assert all(r.outcome is ItemOutcome.ACCEPTED for r in results) and len(results) == 5000
    assert final == {i: nm_id(i) % 97 for i in range(1, 5001)}
    records = transport.records
    assert len(chaos.injected) >= 0.15 * len(records) and set(chaos.injected) == set(Chaos.KINDS)
    assert sum(r.status == 429 for r in records) == chaos.injected.count("rate_limit")
    assert sum(r.status == 0 for r in records) == chaos.injected.count("timeout")
    assert len(transport.violations) == chaos.injected.count("garbage")  # only the garbled bodies break the spec
    assert all("reply violates the spec" in v for v in transport.violations)
