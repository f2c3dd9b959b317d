"""The Ozon client's catalog, stock, price, order and analytics calls against the official swagger.

Every test builds the client through `build_client(..., transport=SpecValidatingTransport(...))` (strict), so a
request the spec does not allow or a reply it does not document fails at once. Replies come from a scripted
FakeApi (tests of the client's own logic) or from the sandbox stand-in (the last section: both sides real).
Time is a FakeClock: pacing waits (30 s per stock pair, 1 analytics request per minute) cost nothing.

The swagger's real payload shapes (nulls where the schema says object, prices as numbers or strings) are
parsed from its own examples, unfixed, by the client's models.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest

import tests.support.contract as contract
from connectors import build_client, default_base_url
from connectors.ozon import errors as oz_errors, limits as oz_limits, models as oz_models, orders as oz_orders, \
    stock as oz_stock
from connectors.base import (
    AccountContext,
    BadResponse,
    Credentials,
    ItemOutcome,
    Marketplace,
    MarketplaceUnavailable,
    OrderAction,
    OrderState,
    PriceUpdate,
    Scheme,
    StockUpdate,
)
from connectors.clock import FakeClock
from connectors.http import parse_model
from connectors.ozon.limits import OZON_SAME_PAIR_INTERVAL
from connectors.pacing import reset_pacers
from tests.support import FakeApi, reply
from tests.support.contract import SpecValidatingTransport, spec_example

M = Marketplace
OZ = default_base_url(M.OZON)
KEY = "0f9e8d7c-ozon-ops-test-key-1234567890"
CLIENT_ID = "123456"
WH_FBS = 22_000_000_000_001
WH_RFBS = 22_000_000_000_002
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc).timestamp()


# The one spec deviation (format-hint patterns) is handled in tests.support.contract; shown by the test below.
is_format_hint = contract.is_format_hint
_without_format_hints = contract.without_format_hints


@pytest.fixture(autouse=True)
def fresh_pacers():
    reset_pacers()
    yield
    reset_pacers()


def test_format_hint_patterns_are_the_only_schema_change():
    raw = contract.ozon_raw_spec()
    hints = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if is_format_hint(node.get("pattern")):
                hints.append(node["pattern"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(raw)
    assert " YYYY-MM-DDThh:mm:ss.mcsZ" in hints and " YYYY-MM-DDThh:mm:ssZ" in hints
    assert _without_format_hints(_without_format_hints(raw)) == _without_format_hints(raw)

    body = {"filter": {"since": oz_orders.ozon_time(NOW - 86400), "to": oz_orders.ozon_time(NOW)}, "limit": 100}
    found = contract.find_operation(M.OZON, "POST", "/v4/posting/fbs/list")
    headers = [("Content-Type", "application/json"), ("Client-Id", CLIENT_ID), ("Api-Key", KEY)]
    request = contract._Request("POST", found, headers=headers,
                                body=json.dumps(body).encode(), content_type="application/json")
    with pytest.raises(Exception) as err:
        contract._app(contract.ozon_raw_spec()).validate_request(request)  # the swagger as published
    assert "does not match ' YYYY-MM-DDThh:mm:ssZ'" in contract._describe(err.value)
    contract.ozon_spec().validate_request(request)  # a real RFC 3339 date passes


# ------------------------------------------------------------------------------------- helpers
def client(api: FakeApi, *, strict: bool = True, warehouse: int | None = WH_FBS, now: float = NOW):
    transport = SpecValidatingTransport(M.OZON, api.transport, strict=strict)
    clock = FakeClock(now)
    account = AccountContext(warehouse_id=str(warehouse) if warehouse else None)
    c = build_client(M.OZON, Credentials(KEY, CLIENT_ID), transport=transport, clock=clock, account=account)
    return c, transport, clock


def url(path: str) -> str:
    return OZ + path


def ref(i: int, offer: str | None = None) -> dict:
    return {"product_id": 1000 + i, "offer_id": offer or f"OF-{i}", "has_fbo_stocks": False,
            "has_fbs_stocks": True, "archived": False, "is_discounted": False, "quants": []}


def product_list(items: list[dict], last_id: str = "", total: int | None = None) -> httpx.Response:
    return reply(200, {"result": {"items": items, "last_id": last_id, "total": len(items) if total is None else total}})


def info(i: int, offer: str | None = None, **extra: Any) -> dict:
    return {"id": 1000 + i, "offer_id": offer or f"OF-{i}", "sku": 9000 + i, "name": f"Product {i}",
            "barcodes": [f"46000000{i:05d}"], "price": "1299.99", "old_price": "1499.00", "min_price": "999.00",
            "currency_code": "RUB", "is_archived": False, "is_autoarchived": False,
            "statuses": {"status": "price_sent", "status_name": "Ready"},
            "stocks": {"has_stock": True, "stocks": [{"present": 10, "reserved": 3, "sku": 9000 + i, "source": "fbs"},
                                                      {"present": 50, "reserved": 0, "sku": 9000 + i, "source": "fbo"}]},
            **extra}


def update_result(offer: str, product_id: int, *, warehouse: int | None = WH_FBS, updated: bool = True,
                  errors: list[dict] | None = None) -> dict:
    result = {"offer_id": offer, "product_id": product_id, "updated": updated, "errors": errors or []}
    if warehouse is not None:
        result["warehouse_id"] = warehouse
    return result


def posting(number: str, *, status: str = "awaiting_packaging", substatus: str = "posting_created",
            warehouse: int = WH_FBS, tpl: str = "ozon", detail: bool = False,
            products: tuple = ((9001, "OF-1", 2, "150.50"),)) -> dict:
    items = []
    for sku, offer, quantity, price in products:
        item = {"sku": sku, "offer_id": offer, "name": f"Name {offer}", "quantity": quantity}
        item.update({"price": price, "currency_code": "RUB"} if detail else {"price": {"amount": price, "currency": "RUB"}})
        items.append(item)
    return {"posting_number": number, "order_id": 77, "order_number": number.rsplit("-", 1)[0], "status": status,
            "substatus": substatus, "in_process_at": "2026-06-14T10:00:00Z", "shipment_date": "2026-06-16T10:00:00Z",
            "delivery_method": {"id": 1, "name": "Ozon", "warehouse_id": warehouse, "warehouse": "W",
                                "tpl_provider": "Ozon", "tpl_provider_id": 24},
            "tpl_integration_type": tpl, "products": items, "available_actions": ["ship"]}


def postings_page(postings: list[dict], cursor: str = "", has_next: bool = False) -> httpx.Response:
    return reply(200, {"postings": postings, "cursor": cursor, "has_next": has_next})


def fbs_get(p: dict) -> httpx.Response:
    return reply(200, {"result": p})


def warehouses_reply() -> httpx.Response:
    w = spec_example(M.OZON, "POST", "/v2/warehouse/list")["warehouses"][0]
    return reply(200, {"cursor": "", "has_next": False, "warehouses": [
        {**w, "warehouse_id": WH_FBS, "name": "FBS", "is_rfbs": False},
        {**w, "warehouse_id": WH_RFBS, "name": "rFBS", "is_rfbs": True}]})


def rpc(status: int, message: str, code: int = 3) -> httpx.Response:
    return reply(status, {"code": code, "message": message, "details": []})


# ========================================================================= official example shapes
def test_official_examples_parse_with_our_models_even_where_they_break_their_schema():
    """Real payload shapes: nulls for objects and dates, prices as numbers, strings or objects."""
    page = parse_model(oz_models.ProductRefPage, spec_example(M.OZON, "POST", "/v3/product/list", fixed=False), "list")
    assert page["result"]["items"][0]["product_id"] == 3397917680 and page["result"]["last_id"]

    infos = parse_model(oz_models.ProductInfoPage, spec_example(M.OZON, "POST", "/v3/product/info/list", fixed=False), "info")
    assert infos["items"][0]["offer_id"] == "OFFER_123456789" and infos["items"][0]["sku"] == 123456789

    stocks = oz_models.OzonStockPage.model_validate(spec_example(M.OZON, "POST", "/v4/product/info/stocks", fixed=False))
    assert [(s.type, s.present, s.reserved) for s in stocks.items[0].stocks] == [("fbs", 150, 25), ("fbo", 75, 10)]

    for path in ("/v2/products/stocks", "/v1/product/import/prices"):
        result = oz_models.OzonUpdateReply.model_validate(spec_example(M.OZON, "POST", path, fixed=False)).result[0]
        assert result.updated and result.errors == []

    for path in ("/v4/posting/fbs/unfulfilled/list", "/v4/posting/fbs/list", "/v3/posting/fbo/list"):
        page = oz_models.OzonPostingPage.model_validate(spec_example(M.OZON, "POST", path, fixed=False))
        first = page.postings[0]
        assert first.posting_number and first.products
        price, _ = first.products[0].unit_price()
        assert price is not None and price > 0  # {"amount": 1200}, {"amount": "…"} or "29990.00"

    # The /v4/posting/fbs/list example wraps the page in `result` and renames fields (connectors.ozon notes it).
    odd = oz_models.OzonPostingPage.model_validate(spec_example(M.OZON, "POST", "/v4/posting/fbs/list", fixed=False))
    odd_posting = odd.postings[0]
    assert (odd_posting.status, odd_posting.substatus) == ("awaiting_packaging", "posting_created")
    assert odd_posting.shipment_date is not None and odd_posting.warehouse_id == 20605650762000
    product = odd_posting.products[0]
    assert (product.sku, product.offer_id, product.name) == (1904686181, "b4408110", "Unisex Leather Sports Bag")
    assert product.unit_price() == (Decimal("1200.0000"), "RUB")

    for path in ("/v3/posting/fbs/get", "/v2/posting/fbo/get"):
        detail = oz_models.OzonPostingReply.model_validate(spec_example(M.OZON, "POST", path, fixed=False)).result
        assert detail.posting_number and detail.status
    fbs = oz_models.OzonPostingReply.model_validate(spec_example(M.OZON, "POST", "/v3/posting/fbs/get", fixed=False)).result
    assert fbs.products[0].unit_price() == (Decimal("1530.0000"), "RUB") and fbs.warehouse_id == 1020005003107121

    assert oz_models.OzonCancelReply.model_validate(spec_example(M.OZON, "POST", "/v2/posting/fbs/cancel", fixed=False)).result
    analytics = oz_models.OzonAnalyticsReply.model_validate(spec_example(M.OZON, "POST", "/v1/analytics/data", fixed=False))
    assert analytics.result.data == []


def test_a_real_posting_converts_to_an_order():
    example = spec_example(M.OZON, "POST", "/v3/posting/fbs/get", fixed=False)["result"]
    order = oz_orders.order_of(oz_models.OzonPosting.model_validate(example), Scheme.FBS)
    assert order.external_id == "0132112277-0101-1" and order.status == "awaiting_packaging"
    assert order.created_at == int(datetime(2026, 3, 30, 11, 26, tzinfo=timezone.utc).timestamp())
    assert order.ship_by == int(datetime(2026, 3, 31, 9, 0, tzinfo=timezone.utc).timestamp())
    assert order.items[0].sku == "SK-58 (raspberry)" and order.items[0].external_id == "827098843"
    assert order.total == Decimal("1530") and order.currency == "RUB" and order.shop_id == "1020005003107121"
    assert order.extra["order_number"] == "0132112277-0101" and order.extra["substatus"] == "posting_created"
    assert order.state is OrderState.NEW and order.actions == {OrderAction.CONFIRM, OrderAction.CANCEL}


# ============================================================================================ catalog
async def test_listings_page_by_last_id_and_read_details_by_product_id(monkeypatch):
    monkeypatch.setattr(oz_limits, "PRODUCT_PAGE_LIMIT", 2)
    api = FakeApi()
    api.add("POST", url("/v3/product/list"), product_list([ref(1), ref(2)], "cursor-2", 3),
            product_list([ref(3)], "cursor-3", 3))
    api.add("POST", url("/v3/product/info/list"),
            reply(200, {"items": [info(1), info(2, is_archived=True)]}), reply(200, {"items": [info(3)]}))
    api.add("POST", url("/v2/warehouse/list"), warehouses_reply())
    c, transport, _ = client(api)
    listings = [listing async for listing in c.iter_listings()]
    assert [call[1] for call in transport.calls] == ["/v2/warehouse/list"] + ["/v3/product/list", "/v3/product/info/list"] * 2
    bodies = api.bodies()[1:]
    assert bodies[0] == {"filter": {"visibility": "ALL"}, "last_id": "", "limit": 2}
    assert bodies[1] == {"product_id": ["1001", "1002"]}
    assert bodies[2]["last_id"] == "cursor-2" and bodies[3] == {"product_id": ["1003"]}
    first = listings[0]
    assert (first.external_id, first.seller_sku, first.name, first.barcodes) == ("1001", "OF-1", "Product 1", ("4600000000001",))
    assert first.price == Decimal("1299.99") and first.currency == "RUB" and first.status == "price_sent"
    assert first.stock == 7 and first.extra["fbo_stock"] == 50  # FBS 10 - 3 reserved; FBO is Ozon's own stock
    assert first.stock_ids == ("OF-1",) and first.price_id == "OF-1" and first.extra["sku"] == 9001
    assert listings[1].status == "archived" and [l.external_id for l in listings] == ["1001", "1002", "1003"]


async def test_a_repeating_last_id_is_a_bad_response(monkeypatch):
    monkeypatch.setattr(oz_limits, "PRODUCT_PAGE_LIMIT", 1)
    api = FakeApi().add("POST", url("/v3/product/list"), product_list([ref(1)], "same"))
    api.add("POST", url("/v3/product/info/list"), reply(200, {"items": [info(1)]}))
    c, _, _ = client(api)
    with pytest.raises(BadResponse, match="last_id repeats"):
        [listing async for listing in c.iter_listings()]


# ============================================================================================== stock
async def test_read_stock_sums_the_sellers_warehouse_types_and_follows_the_cursor(monkeypatch):
    monkeypatch.setattr(oz_limits, "STOCK_PAGE_LIMIT", 1)
    api = FakeApi().add(
        "POST", url("/v4/product/info/stocks"),
        reply(200, {"items": [{"offer_id": "OF-1", "product_id": 1001, "stocks": [
            {"type": "fbs", "present": 10, "reserved": 2, "sku": 9001},
            {"type": "rfbs", "present": 5, "reserved": 1, "sku": 9001},
            {"type": "fbo", "present": 99, "reserved": 9, "sku": 9001}]}], "cursor": "c1", "total": 2}),
        reply(200, {"items": [{"offer_id": "OF-2", "product_id": 1002, "stocks": []}], "cursor": "c2", "total": 2}),
        reply(200, {"items": [], "cursor": "", "total": 2}),
    )
    c, _, _ = client(api, warehouse=None)  # no account warehouse: both seller warehouse types
    levels = await c.read_stock(["OF-1", "OF-2", "OF-1"])
    assert [(s.sku, s.quantity, s.reserved, s.warehouse_id) for s in levels] == [("OF-1", 12, 3, None), ("OF-2", 0, 0, None)]
    assert api.bodies() == [
        {"filter": {"offer_id": ["OF-1", "OF-2"], "visibility": "ALL"}, "limit": 1},
        {"filter": {"offer_id": ["OF-1", "OF-2"], "visibility": "ALL"}, "limit": 1, "cursor": "c1"},
        {"filter": {"offer_id": ["OF-1", "OF-2"], "visibility": "ALL"}, "limit": 1, "cursor": "c2"},
    ]


@pytest.mark.parametrize("warehouse, expected", [(WH_FBS, (8, 2)), (WH_RFBS, (4, 1)), (None, (12, 3))])
async def test_stock_figures_are_those_of_the_account_warehouses_type(warehouse, expected):
    entries = [{"type": "fbs", "present": 10, "reserved": 2, "sku": 9001},
               {"type": "rfbs", "present": 5, "reserved": 1, "sku": 9001},
               {"type": "fbo", "present": 99, "reserved": 9, "sku": 9001}]
    api = FakeApi().add("POST", url("/v4/product/info/stocks"),
                        reply(200, {"items": [{"offer_id": "OF-1", "product_id": 1001, "stocks": entries}], "cursor": ""}))
    api.add("POST", url("/v3/product/list"), product_list([ref(1)]))
    api.add("POST", url("/v3/product/info/list"), reply(200, {"items": [info(1, stocks={"has_stock": True, "stocks": [
        {"present": e["present"], "reserved": e["reserved"], "sku": 9001, "source": e["type"]} for e in entries]})]}))
    api.add("POST", url("/v2/warehouse/list"), warehouses_reply())
    c, transport, _ = client(api, warehouse=warehouse)
    (level,) = await c.read_stock(["OF-1"])
    assert (level.quantity, level.reserved) == expected
    assert level.warehouse_id == (str(warehouse) if warehouse else None)
    (listing,) = [listing async for listing in c.iter_listings()]
    assert listing.stock == expected[0]
    # The warehouse list is read once per client, and only when the account names a warehouse.
    assert [call[1] for call in transport.calls].count("/v2/warehouse/list") == (1 if warehouse else 0)


def test_the_stock_item_shape_is_decided_in_one_function():
    assert oz_stock.OZON_STOCK_SHAPES[0] == "product_id"
    assert oz_stock.ozon_stock_item("product_id", offer_id="A", product_id=7, stock=3, warehouse_id=9) == \
        {"product_id": 7, "quant_size": 1, "stock": 3, "warehouse_id": 9}
    assert oz_stock.ozon_stock_item("offer_id", offer_id="A", product_id=7, stock=3, warehouse_id=9) == \
        {"offer_id": "A", "stock": 3, "warehouse_id": 9}
    with pytest.raises(ValueError):
        oz_stock.ozon_stock_item("product_id", offer_id="A", product_id=None, stock=3, warehouse_id=9)


async def test_update_stock_resolves_product_ids_batches_by_100_and_reports_each_item():
    def stocks_reply(request: httpx.Request) -> httpx.Response:
        items = json.loads(request.content)["stocks"]
        result = []
        for item in items:
            offer = f"OF-{item['product_id'] - 1000}"
            if offer == "OF-2":
                result.append(update_result(offer, item["product_id"], warehouse=item["warehouse_id"], updated=False,
                                            errors=[{"code": "TOO_MANY_REQUESTS", "message": "Too many requests"}]))
            elif offer == "OF-3":
                result.append(update_result(offer, item["product_id"], updated=False,
                                            errors=[{"code": "NOT_FOUND", "message": "product not found"}]))
            elif offer == "OF-4":
                continue  # left out of the reply
            else:
                result.append(update_result(offer, item["product_id"], warehouse=item["warehouse_id"]))
        return reply(200, {"result": result})

    api = FakeApi()
    api.add("POST", url("/v3/product/list"),
            lambda r: product_list([ref(int(o.split("-")[1])) for o in json.loads(r.content)["filter"]["offer_id"]
                                    if o != "GHOST"]))
    api.add("POST", url("/v2/products/stocks"), stocks_reply)
    c, transport, _ = client(api)
    updates = [StockUpdate(f"OF-{i}", i, None) for i in range(1, 106)]
    updates += [StockUpdate("GHOST", 1), StockUpdate("OF-1", 9, "not-a-number"), StockUpdate("OF-5", 50)]
    results = await c.update_stock(updates)

    assert [call[1] for call in transport.calls] == ["/v3/product/list", "/v2/products/stocks", "/v2/products/stocks"]
    resolve, first, second = api.bodies()
    assert resolve["filter"]["offer_id"][:2] == ["OF-1", "OF-2"] and "GHOST" in resolve["filter"]["offer_id"]
    assert len(first["stocks"]) == 100 and len(second["stocks"]) == 5
    assert first["stocks"][0] == {"product_id": 1001, "quant_size": 1, "stock": 1, "warehouse_id": WH_FBS}
    assert first["stocks"][4] == {"product_id": 1005, "quant_size": 1, "stock": 50, "warehouse_id": WH_FBS}

    by_sku = {}
    for r in results:
        by_sku.setdefault(r.sku, []).append(r)
    assert by_sku["OF-1"][0].reason == "no_warehouse" and by_sku["OF-1"][1].outcome == ItemOutcome.ACCEPTED
    assert [r.reason for r in by_sku["OF-5"]] == ["duplicate", None]  # the later update (50) was sent
    assert by_sku["OF-2"][0].reason == "rate_limited" and "Too many requests" in by_sku["OF-2"][0].detail
    assert by_sku["OF-3"][0].reason == "not_found" and by_sku["OF-4"][0].reason == "no_result"
    assert by_sku["GHOST"][0].reason == "unknown_sku"
    assert all(r.warehouse_id == str(WH_FBS) for r in by_sku["OF-100"])
    assert len(results) == len(updates)


async def test_the_same_pair_waits_30_seconds_between_pushes():
    api = FakeApi().add("POST", url("/v3/product/list"), product_list([ref(1)]))
    api.add("POST", url("/v2/products/stocks"), reply(200, {"result": [update_result("OF-1", 1001)]}))
    c, _, clock = client(api)
    await c.update_stock([StockUpdate("OF-1", 1)])
    start = clock.now()
    await c.update_stock([StockUpdate("OF-1", 2)])
    assert clock.now() - start >= OZON_SAME_PAIR_INTERVAL  # the pair gate held it
    await c.update_stock([StockUpdate("OF-1", 3, str(WH_RFBS))])  # another pair: no wait
    assert clock.now() - start < 31


async def test_a_400_naming_the_key_fields_switches_to_the_offer_id_shape_once():
    refused = rpc(400, "invalid request payload: stocks[0].quant_size: unknown field")
    api = FakeApi().add("POST", url("/v3/product/list"), product_list([ref(1)]))
    api.add("POST", url("/v2/products/stocks"), refused,
            reply(200, {"result": [update_result("OF-1", 0, updated=True)]}))
    c, transport, clock = client(api, strict=False)
    results = await c.update_stock([StockUpdate("OF-1", 4)])
    assert results[0].outcome == ItemOutcome.ACCEPTED and c.stock_shape == "offer_id"
    bodies = api.bodies()
    assert bodies[1]["stocks"] == [{"product_id": 1001, "quant_size": 1, "stock": 4, "warehouse_id": WH_FBS}]
    assert bodies[2]["stocks"] == [{"offer_id": "OF-1", "stock": 4, "warehouse_id": WH_FBS}]
    # The English spec's `required: [product_id, quant_size, ...]` is the only thing the fallback violates.
    assert transport.violations and all("required property" in v and "/v2/products/stocks" in v
                                        for v in transport.violations)
    clock.current += 60
    await c.update_stock([StockUpdate("OF-1", 5)])
    assert api.bodies()[3]["stocks"] == [{"offer_id": "OF-1", "stock": 5, "warehouse_id": WH_FBS}]


async def test_other_400s_are_raised_without_a_second_shape():
    api = FakeApi().add("POST", url("/v3/product/list"), product_list([ref(1)]))
    api.add("POST", url("/v2/products/stocks"), rpc(400, "warehouse is archived"))
    c, transport, _ = client(api)
    with pytest.raises(BadResponse, match="warehouse is archived"):
        await c.update_stock([StockUpdate("OF-1", 4)])
    assert [call[1] for call in transport.calls].count("/v2/products/stocks") == 1 and c.stock_shape == "product_id"


# ============================================================================================= prices
async def test_update_prices_sends_strings_by_offer_id_and_reads_per_item_errors(monkeypatch):
    monkeypatch.setattr(oz_limits, "PRICE_BATCH", 2)

    def prices_reply(request: httpx.Request) -> httpx.Response:
        result = []
        for item in json.loads(request.content)["prices"]:
            if item["offer_id"] == "OF-2":
                result.append({"offer_id": "OF-2", "product_id": 1002, "updated": False,
                               "errors": [{"code": "PRICE_TOO_LOW", "message": "the price is too low"}]})
            else:
                result.append({"offer_id": item["offer_id"], "product_id": 1, "updated": True, "errors": []})
        return reply(200, {"result": result})

    api = FakeApi().add("POST", url("/v1/product/import/prices"), prices_reply)
    c, transport, _ = client(api)
    results = await c.update_prices([
        PriceUpdate("OF-1", Decimal("1499.50"), Decimal("1999")),
        PriceUpdate("OF-2", Decimal("1"), Decimal("0"), currency="RUB"),
        PriceUpdate("OF-3", Decimal("1500.00")),
    ])
    assert [call[1] for call in transport.calls] == ["/v1/product/import/prices"] * 2
    assert api.bodies()[0]["prices"] == [
        {"offer_id": "OF-1", "price": "1499.50", "old_price": "1999"},
        {"offer_id": "OF-2", "price": "1", "old_price": "0", "currency_code": "RUB"},  # "0" resets old_price
    ]
    assert api.bodies()[1]["prices"] == [{"offer_id": "OF-3", "price": "1500"}]
    assert [(r.sku, r.outcome, r.reason) for r in results] == [
        ("OF-1", ItemOutcome.ACCEPTED, None), ("OF-2", ItemOutcome.REJECTED, "price_too_low"),
        ("OF-3", ItemOutcome.ACCEPTED, None)]
    assert results[1].detail == "PRICE_TOO_LOW: the price is too low"


async def test_an_eleventh_price_change_within_the_hour_is_held_back_not_queued():
    api = FakeApi().add("POST", url("/v1/product/import/prices"),
                        lambda r: reply(200, {"result": [{"offer_id": i["offer_id"], "updated": True, "errors": []}
                                                         for i in json.loads(r.content)["prices"]]}))
    c, transport, clock = client(api)
    for n in range(10):
        await c.update_prices([PriceUpdate("OF-1", Decimal(100 + n))])
        clock.current += 1
    results = await c.update_prices([PriceUpdate("OF-1", Decimal(200)), PriceUpdate("OF-2", Decimal(200))])
    assert results[0].reason == "rate_limited" and "10 price changes per hour" in results[0].detail
    assert results[1].outcome == ItemOutcome.ACCEPTED
    assert api.bodies()[-1]["prices"] == [{"offer_id": "OF-2", "price": "200"}] and len(transport.calls) == 11
    clock.current += 3600
    assert (await c.update_prices([PriceUpdate("OF-1", Decimal(201))]))[0].outcome == ItemOutcome.ACCEPTED


# ============================================================================================= orders
async def test_new_orders_read_the_unfulfilled_list_and_map_rfbs_to_dbs():
    api = FakeApi()
    api.add("POST", url("/v4/posting/fbs/unfulfilled/list"),
            postings_page([posting("1-0001-1")], "next", True),
            postings_page([posting("2-0001-1", warehouse=WH_RFBS, tpl="ozon")]))
    api.add("POST", url("/v2/warehouse/list"), warehouses_reply())
    c, transport, _ = client(api)
    orders = await c.new_orders()
    assert [(o.external_id, o.scheme) for o in orders] == [("1-0001-1", Scheme.FBS), ("2-0001-1", Scheme.DBS)]
    assert orders[0].total == Decimal("301.00") and orders[0].items[0].price == Decimal("150.50")
    first, second = api.bodies()[0], api.bodies()[1]
    assert first == {"filter": {"cutoff_from": oz_orders.ozon_time(NOW - 90 * 86400), "cutoff_to": oz_orders.ozon_time(NOW + 90 * 86400),
                                "statuses": ["awaiting_packaging"]}, "sort_dir": "ASC", "limit": 100}
    assert second["cursor"] == "next"
    assert [call[1] for call in transport.calls].count("/v2/warehouse/list") == 1


async def test_without_the_warehouse_list_the_delivery_integration_decides_the_scheme():
    api = FakeApi()
    api.add("POST", url("/v4/posting/fbs/unfulfilled/list"), postings_page([
        posting("1-0001-1", tpl="ozon"), posting("2-0001-1", tpl="non_integrated", warehouse=5),
        posting("3-0001-1", tpl="3pl_tracking", warehouse=6)]))
    api.add("POST", url("/v2/warehouse/list"), rpc(403, "Api-Key is missing a required role for a method", 7))
    c, _, _ = client(api)
    assert [o.scheme for o in await c.new_orders()] == [Scheme.FBS, Scheme.DBS, Scheme.DBS]


async def test_orders_since_reads_status_changes_and_new_fbo_postings_with_an_overlap():
    fbo = {"posting_number": "9-0001-1", "order_id": 9, "order_number": "9-0001", "status": "delivered",
           "substatus": "posting_delivered", "created_at": "2026-06-15T08:00:00Z", "in_process_at": "2026-06-15T08:00:00Z",
           "products": [{"sku": 9001, "offer_id": "OF-1", "name": "n", "quantity": 1,
                         "price": {"amount": "10.00", "currency": "RUB"}}],
           "analytics_data": {"warehouse_id": 15, "warehouse_name": "Ozon FBO"}}
    api = FakeApi()
    api.add("POST", url("/v4/posting/fbs/list"), postings_page([posting("1-0001-1", status="cancelled",
                                                                        substatus="posting_canceled")]))
    api.add("POST", url("/v3/posting/fbo/list"), postings_page([fbo]))
    api.add("POST", url("/v2/warehouse/list"), warehouses_reply())
    c, _, clock = client(api)
    page = await c.orders_since(None)
    assert [(o.external_id, o.scheme, o.status) for o in page.orders] == [
        ("1-0001-1", Scheme.FBS, "cancelled"), ("9-0001-1", Scheme.FBO, "delivered")]
    assert page.orders[1].shop_id == "15" and page.cursor == str(int(NOW))
    fbs_body, fbo_body = api.bodies()[0], api.bodies()[2]
    assert fbs_body["filter"] == {
        "since": oz_orders.ozon_time(NOW - 364 * 86400), "to": oz_orders.ozon_time(NOW),
        "last_changed_status_date": {"from": oz_orders.ozon_time(NOW - 30 * 86400), "to": oz_orders.ozon_time(NOW)}}
    assert fbo_body["filter"] == {"since": oz_orders.ozon_time(NOW - 30 * 86400), "to": oz_orders.ozon_time(NOW)}

    clock.current += 3600
    again = await c.orders_since(page.cursor)
    assert again.cursor == str(int(NOW + 3600))
    assert api.bodies()[-2]["filter"]["last_changed_status_date"]["from"] == oz_orders.ozon_time(NOW - 600)


async def test_orders_since_skips_fbo_without_the_role_and_restarts_on_a_bad_cursor():
    api = FakeApi()
    api.add("POST", url("/v4/posting/fbs/list"), postings_page([]))
    api.add("POST", url("/v3/posting/fbo/list"), rpc(403, "Api-Key is missing a required role for a method", 7))
    c, _, _ = client(api)
    page = await c.orders_since("garbage")
    assert page.orders == [] and page.cursor == str(int(NOW))
    assert api.bodies()[0]["filter"]["last_changed_status_date"]["from"] == oz_orders.ozon_time(NOW - 30 * 86400)


async def test_get_order_falls_back_to_fbo_on_404():
    fbo = {"posting_number": "9-0001-1", "status": "delivering", "products": [], "created_at": "2026-06-15T08:00:00Z"}
    api = FakeApi().add("POST", url("/v3/posting/fbs/get"), rpc(404, "POSTING_NOT_FOUND", 5))
    api.add("POST", url("/v2/posting/fbo/get"), reply(200, {"result": fbo}))
    c, transport, _ = client(api)
    order = await c.get_order("9-0001-1")
    assert order.scheme == Scheme.FBO and order.status == "delivering" and order.total is None
    assert transport.calls == [("POST", "/v3/posting/fbs/get", 404), ("POST", "/v2/posting/fbo/get", 200)]


# ================================================================================ packing ("ship")
def ship_api(*gets: dict, ship: httpx.Response | Exception | None = None) -> FakeApi:
    api = FakeApi().add("POST", url("/v3/posting/fbs/get"), *[fbs_get(g) for g in gets])
    api.add("POST", url("/v4/posting/fbs/ship"), ship or reply(200, {"result": ["1-0001-1"], "additional_data": []}))
    api.add("POST", url("/v2/warehouse/list"), warehouses_reply())
    return api


WAITING = posting("1-0001-1", detail=True, products=((9001, "OF-1", 1, "10"), (9002, "OF-2", 2, "5"), (9001, "OF-1", 1, "10")))
PACKED = {**WAITING, "status": "awaiting_deliver", "substatus": "posting_not_in_carriage"}
FAILED = {**WAITING, "substatus": "ship_failed"}


async def test_confirm_packs_every_product_and_rechecks_the_posting():
    api = ship_api(WAITING, PACKED)
    c, transport, _ = client(api)
    order = await c.confirm_order("1-0001-1")
    assert order.status == "awaiting_deliver"
    assert [call[1] for call in transport.calls] == ["/v3/posting/fbs/get", "/v4/posting/fbs/ship",
                                                    "/v3/posting/fbs/get", "/v2/warehouse/list"]
    assert api.bodies()[1] == {"packages": [{"products": [{"product_id": 9001, "quantity": 2},
                                                          {"product_id": 9002, "quantity": 2}]}],
                               "posting_number": "1-0001-1"}


async def test_ship_failed_packs_again_and_gives_up_after_the_attempts():
    c, transport, _ = client(ship_api(WAITING, FAILED, PACKED))
    assert (await c.confirm_order("1-0001-1")).status == "awaiting_deliver"
    assert [call[1] for call in transport.calls].count("/v4/posting/fbs/ship") == 2

    c, transport, clock = client(ship_api(WAITING, FAILED))
    with pytest.raises(oz_errors.OzonShipFailed):
        await c.confirm_order("1-0001-1")
    assert [call[1] for call in transport.calls].count("/v4/posting/fbs/ship") == oz_limits.OZON_SHIP_ATTEMPTS


async def test_a_packed_posting_is_not_packed_again_and_ship_order_means_the_same():
    c, transport, _ = client(ship_api(PACKED))
    assert (await c.ship_order("1-0001-1")).status == "awaiting_deliver"
    assert "/v4/posting/fbs/ship" not in [call[1] for call in transport.calls]


async def test_a_timed_out_pack_is_judged_by_the_posting_not_retried_blindly():
    c, transport, _ = client(ship_api(WAITING, PACKED, ship=httpx.ReadTimeout("slow")))
    assert (await c.confirm_order("1-0001-1")).status == "awaiting_deliver"
    assert [call[1] for call in transport.calls].count("/v4/posting/fbs/ship") == 1  # a write is sent once

    c, _, _ = client(ship_api(WAITING, WAITING, ship=rpc(400, "PRODUCTS_REQUIRE_COUNTRY")))
    with pytest.raises(BadResponse, match="PRODUCTS_REQUIRE_COUNTRY"):
        await c.confirm_order("1-0001-1")


async def test_packing_in_progress_is_polled_then_returned_as_it_is():
    c, transport, clock = client(ship_api(WAITING))
    before = clock.now()
    order = await c.confirm_order("1-0001-1")
    assert order.status == "awaiting_packaging"
    assert [call[1] for call in transport.calls].count("/v3/posting/fbs/get") == 1 + oz_limits.OZON_SHIP_CHECKS
    assert clock.now() - before == pytest.approx((oz_limits.OZON_SHIP_CHECKS - 1) * oz_limits.OZON_SHIP_CHECK_DELAY)


# ============================================================================================= cancel
@pytest.mark.parametrize("reason, body", [
    (None, {"cancel_reason_id": 352}),
    ("400", {"cancel_reason_id": 400}),
    ("402", {"cancel_reason_id": 402, "cancel_reason_message": "Cancelled by the seller"}),
    ("  the buyer asked\n twice ", {"cancel_reason_id": 402, "cancel_reason_message": "the buyer asked twice"}),
])
async def test_cancel_reasons(reason, body):
    api = FakeApi().add("POST", url("/v2/posting/fbs/cancel"), reply(200, {"result": True}))
    api.add("POST", url("/v3/posting/fbs/get"), fbs_get({**WAITING, "status": "cancelled", "substatus": "posting_canceled"}))
    api.add("POST", url("/v2/warehouse/list"), warehouses_reply())
    c, _, _ = client(api)
    order = await c.cancel_order("1-0001-1", reason)
    assert order.status == "cancelled"
    assert api.bodies()[0] == {**body, "posting_number": "1-0001-1"}


async def test_a_cancel_that_ozon_refuses_is_an_error():
    api = FakeApi().add("POST", url("/v2/posting/fbs/cancel"), reply(200, {"result": False}))
    c, _, _ = client(api)
    with pytest.raises(BadResponse, match="did not cancel"):
        await c.cancel_order("1-0001-1")

    api = FakeApi().add("POST", url("/v2/posting/fbs/cancel"), rpc(500, "Internal error", 13))
    api.add("POST", url("/v3/posting/fbs/get"), fbs_get(WAITING))
    api.add("POST", url("/v2/warehouse/list"), warehouses_reply())
    c, transport, _ = client(api)
    with pytest.raises(MarketplaceUnavailable):
        await c.cancel_order("1-0001-1")
    assert [call[1] for call in transport.calls].count("/v2/posting/fbs/cancel") == 1


# ========================================================================================== analytics
async def test_sales_page_by_offset_at_one_request_per_minute_and_map_skus_to_offers(monkeypatch):
    monkeypatch.setattr(oz_limits, "ANALYTICS_PAGE_LIMIT", 2)

    def row(sku: str, day: str, revenue: float, units: float) -> dict:
        return {"dimensions": [{"id": sku, "name": "n"}, {"id": day, "name": ""}], "metrics": [revenue, units]}

    api = FakeApi().add(
        "POST", url("/v1/analytics/data"),
        reply(200, {"result": {"data": [row("9001", "2026-06-01", 301.0, 2), row("9002", "2026-06-01", 0.1 + 0.2, 1)],
                               "totals": [0, 0]}, "timestamp": "2026-06-15 12:00:00"}),
        reply(200, {"result": {"data": [row("9001", "2026-06-02", 0, 0), row("777", "bad-day", 5, 1)], "totals": [0, 0]},
                    "timestamp": "2026-06-15 12:01:00"}),
        reply(200, {"result": {"data": [row("777", "2026-06-03", 5, 1)], "totals": [0, 0]},
                    "timestamp": "2026-06-15 12:02:00"}),
    )
    api.add("POST", url("/v3/product/info/list"), reply(200, {"items": [info(1), info(2)]}))
    c, transport, clock = client(api)
    rows = await c.sales(date(2026, 6, 1), date(2026, 6, 14))
    assert [(r.day.isoformat(), r.sku, r.quantity, r.revenue) for r in rows] == [
        ("2026-06-01", "OF-1", 2, Decimal("301.00")), ("2026-06-01", "OF-2", 1, Decimal("0.30")),
        ("2026-06-03", "777", 1, Decimal("5.00"))]  # 777: no offer known, Ozon's SKU stays
    bodies = api.bodies()
    assert bodies[0] == {"date_from": "2026-06-01", "date_to": "2026-06-14", "metrics": ["revenue", "ordered_units"],
                         "dimension": ["sku", "day"], "filters": [], "limit": 2, "offset": 0}
    assert [b["offset"] for b in bodies[:3]] == [0, 2, 4]
    assert sorted(bodies[3]["sku"]) == ["777", "9001", "9002"]
    assert clock.now() - NOW >= 120  # three analytics requests: 1 per minute


# ========================================================================================= warehouses
async def test_list_warehouses_gives_choices():
    c, _, _ = client(FakeApi().add("POST", url("/v2/warehouse/list"), warehouses_reply()))
    choices = await c.list_warehouses()
    assert [(w.id, w.name, w.extra["is_rfbs"]) for w in choices] == [(str(WH_FBS), "FBS", False), (str(WH_RFBS), "rFBS", True)]


# ========================================================================= against the sandbox stand-in
async def test_the_whole_cycle_against_the_sandbox_both_sides_checked():
    from sandbox.marketplaces import MarketplaceSandbox
    from sandbox.marketplaces import accounts as A
    from sandbox.marketplaces.ozon import add_order, fail_next_packing

    async with MarketplaceSandbox() as sandbox:
        base = sandbox.env()["OZON_API_URL"]
        transport = SpecValidatingTransport(M.OZON, httpx.AsyncHTTPTransport(), base_url=base)
        fbs, rfbs = (w.warehouse_id for w in sandbox.state.ozon[A.OZON_CLIENT_ID].warehouses)
        c = build_client(M.OZON, Credentials(A.OZON_API_KEY, A.OZON_CLIENT_ID), base_url=base, transport=transport,
                         account=AccountContext(warehouse_id=str(fbs)))
        async with c:
            listings = [listing async for listing in c.iter_listings()]
            assert len(listings) == sandbox.state.catalog_size and listings[0].seller_sku == "SKU-000001"

            results = await c.update_stock([StockUpdate("SKU-000001", 5), StockUpdate("SKU-000002", 0, str(rfbs)),
                                            StockUpdate("SKU-999999", 1)])
            assert [r.outcome for r in results] == [ItemOutcome.REJECTED, ItemOutcome.ACCEPTED, ItemOutcome.ACCEPTED]
            assert results[0].reason == "unknown_sku"

            order = add_order(sandbox.state, [(1, 2)], warehouse_id=fbs)
            dbs = add_order(sandbox.state, [(2, 1)], warehouse_id=rfbs)
            add_order(sandbox.state, [(3, 1)], fbo=True)
            (one,) = [s for s in await c.read_stock(["SKU-000001"])]
            # 5 pushed to the account's FBS warehouse, 2 of them now reserved by the order
            assert (one.reserved, one.quantity, one.warehouse_id) == (2, 5 - 2, str(fbs))

            prices = await c.update_prices([PriceUpdate("SKU-000001", Decimal("1499.50"), Decimal("1999"))])
            assert prices[0].outcome == ItemOutcome.ACCEPTED

            new = await c.new_orders()
            assert [(o.scheme, o.items[0].sku) for o in new] == [(Scheme.FBS, "SKU-000001"), (Scheme.DBS, "SKU-000002")]
            page = await c.orders_since(None)
            assert sorted(o.scheme for o in page.orders) == sorted([Scheme.FBS, Scheme.DBS, Scheme.FBO])

            fail_next_packing(order)
            packed = await c.confirm_order(new[0].external_id)
            assert packed.status == "awaiting_deliver"
            cancelled = await c.cancel_order(f"{dbs.id}-0001-1", "buyer changed their mind")
            assert cancelled.status == "cancelled" and cancelled.extra["cancel_reason"]

            today = datetime.fromtimestamp(order.created_at, tz=timezone.utc).date()
            sales = await c.sales(today, today)
            assert {(r.sku, r.quantity) for r in sales} == {("SKU-000001", 2), ("SKU-000003", 1)}
        assert transport.violations == []
        assert sum(1 for call in transport.calls if call[1] == "/v4/posting/fbs/ship") == 2
