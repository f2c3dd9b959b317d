"""The Ozon stand-in's catalog, stock, prices, postings and analytics: stateful, limited and spec-valid.

Every request goes through SpecValidatingTransport, so every reply is checked against the official swagger
(with the format-hint `pattern`s dropped, see tests/contract/test_ozon_ops.py). Requests the spec itself
would flag (a deliberately bad request) use `strict=False` and still get their reply validated.
"""
from __future__ import annotations

import gc
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from sandbox.marketplaces import MarketplaceSandbox, SandboxState
from sandbox.marketplaces import accounts as A
from sandbox.marketplaces.catalog import Lifecycle
from sandbox.marketplaces.ozon import (
    OZON_SKU_BASE,
    PRODUCT_ID_BASE,
    SAME_PAIR_INTERVAL,
    STOCK_REQUESTS_PER_MINUTE,
    _BOOKS,
    add_order,
    fail_next_packing,
    ozon_book,
    posting_number_of,
)
from tests.support.contract import SpecValidatingTransport

HEADERS = {"Client-Id": A.OZON_CLIENT_ID, "Api-Key": A.OZON_API_KEY}
FBS, RFBS = 22000000000001, 22000000000002


class Clock:
    """The sandbox's clock, moved by hand."""

    def __init__(self) -> None:
        self.t = datetime.now(timezone.utc).timestamp()

    def __call__(self) -> float:
        return self.t


@asynccontextmanager
async def ozon(*, enforce: bool = False, time_scale: float = 1.0, strict: bool = True):
    clock = Clock()
    state = SandboxState(enforce_rate_limits=enforce, clock=clock, time_scale=time_scale)
    async with MarketplaceSandbox(state=state) as sandbox:
        base = sandbox.env()["OZON_API_URL"]
        transport = SpecValidatingTransport("ozon", httpx.AsyncHTTPTransport(), strict=strict, base_url=base)
        async with httpx.AsyncClient(transport=transport, timeout=5.0) as http:

            async def post(path: str, body: dict | None = None, headers: dict | None = None) -> httpx.Response:
                return await http.post(base + path, json=body if body is not None else {}, headers=headers or HEADERS)

            post.state, post.clock, post.transport = state, clock, transport
            yield post


def since(days: float = 1) -> str:
    return (datetime.now(timezone.utc) - timedelta(days=days)).isoformat().replace("+00:00", "Z")


def until(days: float = 1) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).isoformat().replace("+00:00", "Z")


# ============================================================================================= catalog
async def test_product_list_pages_by_last_id_and_hides_archived_products():
    async with ozon() as post:
        post.state.catalog("ozon", A.OZON_CLIENT_ID).archived.add(2)
        first = (await post("/v3/product/list", {"filter": {"visibility": "ALL"}, "last_id": "", "limit": 30})).json()
        items = first["result"]["items"]
        assert len(items) == 30 and first["result"]["total"] == 39
        assert items[0] == {"product_id": PRODUCT_ID_BASE + 1, "offer_id": "SKU-000001", "has_fbo_stocks": False,
                            "has_fbs_stocks": True, "archived": False, "is_discounted": False, "quants": []}
        assert "SKU-000002" not in [i["offer_id"] for i in items]
        rest = (await post("/v3/product/list", {"filter": {"visibility": "ALL"}, "last_id": first["result"]["last_id"],
                                                "limit": 30})).json()["result"]
        assert len(rest["items"]) == 9 and rest["items"][-1]["offer_id"] == "SKU-000040"
        end = (await post("/v3/product/list", {"last_id": rest["last_id"], "limit": 30})).json()["result"]
        assert end["items"] == [] and end["last_id"] == ""
        archived = (await post("/v3/product/list", {"filter": {"visibility": "ARCHIVED"}, "limit": 10})).json()
        assert [i["offer_id"] for i in archived["result"]["items"]] == ["SKU-000002"]
        named = (await post("/v3/product/list", {"filter": {"offer_id": ["SKU-000007", "nope"], "product_id": [
            str(PRODUCT_ID_BASE + 9)]}, "limit": 10})).json()["result"]["items"]
        assert [i["offer_id"] for i in named] == ["SKU-000007", "SKU-000009"]


async def test_product_info_by_any_id_and_at_most_1000_ids():
    async with ozon(strict=False) as post:
        r = await post("/v3/product/info/list", {"offer_id": ["SKU-000001"], "sku": [str(OZON_SKU_BASE + 3)],
                                                 "product_id": [str(PRODUCT_ID_BASE + 1)]})
        items = r.json()["items"]
        assert [i["offer_id"] for i in items] == ["SKU-000001", "SKU-000003"]
        first = items[0]
        assert first["barcodes"] == ["4780000000014"] and first["statuses"]["status"] == "price_sent"
        assert [s["source"] for s in first["stocks"]["stocks"]] == ["fbs", "rfbs"]
        r = await post("/v3/product/info/list", {"offer_id": [f"SKU-{i:06d}" for i in range(1001)]})
        assert r.status_code == 400 and "at most 1000" in r.json()["message"]
        assert post.transport.violations == []


async def test_new_endpoints_need_the_key_too():
    async with ozon() as post:
        r = await post("/v2/products/stocks", {"stocks": []}, headers={"Client-Id": A.OZON_CLIENT_ID, "Api-Key": "x" * 36})
        assert r.status_code == 403 and r.json()["message"].startswith("Invalid Api-Key")


# =============================================================================================== stock
async def test_a_push_sets_free_stock_and_reserved_units_come_from_open_orders():
    async with ozon() as post:
        state = post.state
        add_order(state, [(1, 2)], warehouse_id=FBS)
        packed = add_order(state, [(1, 1)], warehouse_id=FBS)
        state.orders.set_status(packed.id, Lifecycle.CONFIRMED)
        shipped = add_order(state, [(1, 5)], warehouse_id=FBS)
        state.orders.set_status(shipped.id, Lifecycle.SHIPPED)  # gone from the warehouse: no longer reserved
        add_order(state, [(1, 4)], fbo=True)  # Ozon's warehouse: not the seller's stock

        r = await post("/v2/products/stocks", {"stocks": [
            {"product_id": PRODUCT_ID_BASE + 1, "quant_size": 1, "stock": 10, "warehouse_id": FBS},
            {"offer_id": "SKU-000002", "product_id": PRODUCT_ID_BASE + 3, "quant_size": 1, "stock": 4, "warehouse_id": RFBS},
        ]})
        assert r.json()["result"] == [
            {"warehouse_id": FBS, "product_id": PRODUCT_ID_BASE + 1, "offer_id": "SKU-000001", "updated": True, "errors": []},
            # offer_id wins over product_id, as the method says
            {"warehouse_id": RFBS, "product_id": PRODUCT_ID_BASE + 2, "offer_id": "SKU-000002", "updated": True, "errors": []},
        ]
        catalog = state.catalog("ozon", A.OZON_CLIENT_ID)
        assert catalog.get_stock(1, str(FBS)) == 13  # 10 free + 3 reserved
        stocks = (await post("/v4/product/info/stocks", {"filter": {"offer_id": ["SKU-000001", "SKU-000002"]},
                                                         "limit": 10})).json()
        first, second = stocks["items"]
        assert first["stocks"][0] == {"type": "fbs", "sku": OZON_SKU_BASE + 1, "present": 13, "reserved": 3,
                                      "shipment_type": "SHIPMENT_TYPE_GENERAL", "warehouse_ids": [FBS]}
        assert [(s["type"], s["present"], s["reserved"]) for s in second["stocks"]] == [("fbs", 14, 0), ("rfbs", 4, 0)]
        assert stocks["total"] == 2 and stocks["cursor"] == ""


async def test_stock_items_are_checked_one_by_one_and_the_request_as_a_whole():
    async with ozon(strict=False) as post:
        r = await post("/v2/products/stocks", {"stocks": [
            {"offer_id": "SKU-999999", "stock": 1, "warehouse_id": FBS},
            {"offer_id": "SKU-000001", "stock": 1, "warehouse_id": 42},
            {"offer_id": "SKU-000001", "stock": -1, "warehouse_id": FBS},
        ]})
        assert [item["errors"][0]["code"] for item in r.json()["result"]] == ["NOT_FOUND", "WAREHOUSE_NOT_FOUND",
                                                                             "INVALID_VALUE"]
        assert not any(item["updated"] for item in r.json()["result"])
        too_many = [{"offer_id": f"SKU-{i:06d}", "stock": 1, "warehouse_id": FBS} for i in range(1, 102)]
        r = await post("/v2/products/stocks", {"stocks": too_many})
        assert r.status_code == 400 and "at most 100" in r.json()["message"]
        r = await post("/v2/products/stocks", {})
        assert r.status_code == 400 and r.json()["code"] == 3
        # Only the deliberately bad requests (the spec's required item fields) were flagged, never a reply.
        assert all("request violates the spec" in v for v in post.transport.violations)


async def test_stocks_page_with_a_cursor():
    async with ozon() as post:
        pages, cursor = [], ""
        while True:
            body = {"filter": {"visibility": "ALL"}, "limit": 15, **({"cursor": cursor} if cursor else {})}
            page = (await post("/v4/product/info/stocks", body)).json()
            pages.append(len(page["items"]))
            cursor = page["cursor"]
            if not cursor:
                break
        assert pages == [15, 15, 10]


async def test_enforced_stock_limits_same_pair_and_requests_per_minute():
    async with ozon(enforce=True) as post:
        item = {"product_id": PRODUCT_ID_BASE + 1, "quant_size": 1, "stock": 3, "warehouse_id": FBS}
        assert (await post("/v2/products/stocks", {"stocks": [item]})).json()["result"][0]["updated"]
        post.clock.t += SAME_PAIR_INTERVAL - 1
        again = (await post("/v2/products/stocks", {"stocks": [item, {**item, "warehouse_id": RFBS}]})).json()
        assert again["result"][0]["errors"][0]["code"] == "TOO_MANY_REQUESTS" and again["result"][1]["updated"]
        post.clock.t += 1.5  # 30.5 s after the first push (a whole second would be at float rounding's mercy)
        assert (await post("/v2/products/stocks", {"stocks": [item]})).json()["result"][0]["updated"]

        post.clock.t += 60
        statuses = []
        for _ in range(STOCK_REQUESTS_PER_MINUTE + 1):
            post.clock.t += 0.05  # 20 per second: under the global 50 per second
            statuses.append((await post("/v2/products/stocks", {"stocks": []})).status_code)
        assert statuses[:-1] == [200] * STOCK_REQUESTS_PER_MINUTE and statuses[-1] == 429
        post.clock.t += 60
        assert (await post("/v2/products/stocks", {"stocks": []})).status_code == 200


async def test_limits_count_in_sped_up_marketplace_time():
    async with ozon(enforce=True, time_scale=0.01) as post:
        item = {"product_id": PRODUCT_ID_BASE + 1, "quant_size": 1, "stock": 3, "warehouse_id": FBS}
        assert (await post("/v2/products/stocks", {"stocks": [item]})).json()["result"][0]["updated"]
        post.clock.t += (SAME_PAIR_INTERVAL - 1) * 0.01  # 29 marketplace seconds: too early
        refused = (await post("/v2/products/stocks", {"stocks": [item]})).json()["result"][0]
        assert refused["errors"][0]["code"] == "TOO_MANY_REQUESTS"
        post.clock.t += 1.1 * 0.01  # 30.1 marketplace seconds since the first push (0.301 s of real time)
        assert (await post("/v2/products/stocks", {"stocks": [item]})).json()["result"][0]["updated"]


# ============================================================================================== prices
async def test_prices_update_the_catalog_and_keep_the_old_price():
    async with ozon(strict=False) as post:
        r = await post("/v1/product/import/prices", {"prices": [
            {"offer_id": "SKU-000001", "price": "1499.50", "old_price": "1999"},
            {"product_id": PRODUCT_ID_BASE + 2, "price": "10", "old_price": "5"},
            {"offer_id": "SKU-000003", "price": "0"},
            {"offer_id": "SKU-000004", "price": "10", "currency_code": "USD"},
        ]})
        result = r.json()["result"]
        assert result[0] == {"product_id": PRODUCT_ID_BASE + 1, "offer_id": "SKU-000001", "updated": True, "errors": []}
        assert [item["updated"] for item in result] == [True, False, False, False]
        info = (await post("/v3/product/info/list", {"offer_id": ["SKU-000001"]})).json()["items"][0]
        assert (info["price"], info["old_price"]) == ("1499.50", "1999.00")
        await post("/v1/product/import/prices", {"prices": [{"offer_id": "SKU-000001", "price": "1500", "old_price": "0"}]})
        info = (await post("/v3/product/info/list", {"offer_id": ["SKU-000001"]})).json()["items"][0]
        assert (info["price"], info["old_price"]) == ("1500.00", "0.00")
        r = await post("/v1/product/import/prices", {"prices": [{"offer_id": "SKU-000001", "price": "1"}] * 1001})
        assert r.status_code == 400


async def test_enforced_ten_price_changes_per_product_per_hour():
    async with ozon(enforce=True) as post:
        body = {"prices": [{"offer_id": "SKU-000001", "price": "100"}]}
        results = []
        for _ in range(11):
            post.clock.t += 1
            results.append((await post("/v1/product/import/prices", body)).json()["result"][0])
        assert all(r["updated"] for r in results[:10])
        assert results[10]["errors"][0]["code"] == "TOO_MANY_REQUESTS"
        post.clock.t += 3600
        assert (await post("/v1/product/import/prices", body)).json()["result"][0]["updated"]


# ============================================================================================ postings
async def test_unfulfilled_list_needs_one_date_filter_and_pages_with_a_cursor():
    async with ozon(strict=False) as post:
        state = post.state
        orders = [add_order(state, [(i, 1)], warehouse_id=FBS if i % 2 else RFBS) for i in range(1, 4)]
        far = add_order(state, [(9, 1)], ship_within=30 * 86400)  # outside the cutoff window below
        done = add_order(state, [(8, 1)])
        state.orders.set_status(done.id, Lifecycle.DELIVERED)
        add_order(state, [(7, 1)], fbo=True)

        assert (await post("/v4/posting/fbs/unfulfilled/list", {"limit": 10})).status_code == 400
        both = {"cutoff_from": since(), "cutoff_to": until(3), "delivering_date_from": since(), "delivering_date_to": until()}
        assert (await post("/v4/posting/fbs/unfulfilled/list", {"filter": both, "limit": 10})).status_code == 400

        numbers, cursor = [], ""
        while True:
            body = {"filter": {"cutoff_from": since(), "cutoff_to": until(3)}, "limit": 2, "sort_dir": "ASC"}
            if cursor:
                body["cursor"] = cursor
            page = (await post("/v4/posting/fbs/unfulfilled/list", body)).json()
            numbers += [p["posting_number"] for p in page["postings"]]
            if not page["has_next"]:
                break
            cursor = page["cursor"]
        assert numbers == [posting_number_of(o) for o in orders]
        assert posting_number_of(far) not in numbers

        first = (await post("/v4/posting/fbs/unfulfilled/list", {
            "filter": {"cutoff_from": since(), "cutoff_to": until(3), "statuses": ["awaiting_packaging"]},
            "limit": 100, "sort_dir": "DESC"})).json()["postings"]
        assert [p["posting_number"] for p in first] == [posting_number_of(o) for o in reversed(orders)]
        assert first[1]["tpl_integration_type"] == "non_integrated" and first[1]["delivery_method"]["warehouse_id"] == RFBS
        assert all("request violates" in v for v in post.transport.violations)


async def test_fbs_list_filters_by_period_change_time_and_status():
    async with ozon(strict=False) as post:
        state = post.state
        old = add_order(state, [(1, 1)])
        changed = add_order(state, [(2, 1)])
        state.orders.set_status(changed.id, Lifecycle.CANCELLED)
        assert (await post("/v4/posting/fbs/list", {"filter": {}, "limit": 10})).status_code == 400
        too_long = {"since": since(400), "to": until()}
        r = await post("/v4/posting/fbs/list", {"filter": too_long, "limit": 10})
        assert r.status_code == 400 and r.json()["message"] == "PERIOD_IS_TOO_LONG"

        period = {"since": since(), "to": until()}
        every = (await post("/v4/posting/fbs/list", {"filter": period, "limit": 10})).json()["postings"]
        assert {p["posting_number"] for p in every} == {posting_number_of(old), posting_number_of(changed)}
        cancelled = (await post("/v4/posting/fbs/list", {"filter": {**period, "statuses": ["cancelled"]},
                                                         "limit": 10})).json()["postings"]
        assert [p["posting_number"] for p in cancelled] == [posting_number_of(changed)]
        later = datetime.fromtimestamp(changed.updated_at + 1, tz=timezone.utc).isoformat().replace("+00:00", "Z")
        recent = (await post("/v4/posting/fbs/list", {"filter": {**period, "last_changed_status_date": {
            "from": later, "to": until()}}, "limit": 10})).json()["postings"]
        assert recent == []


async def test_fbo_postings_live_apart_from_fbs_ones():
    async with ozon() as post:
        fbo = add_order(post.state, [(3, 2)], fbo=True)
        number = posting_number_of(fbo)
        page = (await post("/v3/posting/fbo/list", {"filter": {"since": since(), "to": until()}, "limit": 10})).json()
        assert [p["posting_number"] for p in page["postings"]] == [number] and page["has_next"] is False
        assert page["postings"][0]["products"][0]["price"] == {"amount": "1111.00", "currency": "RUB"}
        detail = (await post("/v2/posting/fbo/get", {"posting_number": number})).json()["result"]
        assert detail["products"][0]["price"] == "1111.00" and detail["status"] == "awaiting_packaging"
        missing = await post("/v3/posting/fbs/get", {"posting_number": number})
        assert missing.status_code == 404 and missing.json() == {"code": 5, "message": "POSTING_NOT_FOUND", "details": []}


async def test_packing_moves_the_posting_on_and_can_fail_like_ozons():
    async with ozon(strict=False) as post:
        order = add_order(post.state, [(1, 2), (4, 1)])
        number = posting_number_of(order)
        right = [{"products": [{"product_id": OZON_SKU_BASE + 1, "quantity": 2}]},
                 {"products": [{"product_id": OZON_SKU_BASE + 4, "quantity": 1}]}]
        wrong = [{"products": [{"product_id": OZON_SKU_BASE + 1, "quantity": 1}]}]
        r = await post("/v4/posting/fbs/ship", {"packages": wrong, "posting_number": number})
        assert r.status_code == 400 and "INVALID_PRODUCTS" in r.json()["message"]

        fail_next_packing(order)
        r = await post("/v4/posting/fbs/ship", {"packages": right, "posting_number": number})
        assert r.status_code == 200 and r.json() == {"result": [number], "additional_data": []}
        detail = (await post("/v3/posting/fbs/get", {"posting_number": number})).json()["result"]
        assert (detail["status"], detail["substatus"]) == ("awaiting_packaging", "ship_failed")

        r = await post("/v4/posting/fbs/ship", {"packages": right, "posting_number": number,
                                                "with": {"additional_data": True}})
        assert r.json()["additional_data"][0]["products"][0]["offer_id"] == "SKU-000001"
        detail = (await post("/v3/posting/fbs/get", {"posting_number": number})).json()["result"]
        assert (detail["status"], detail["substatus"]) == ("awaiting_deliver", "posting_not_in_carriage")
        assert detail["products"][0] == {"name": "Premium T-shirt #1", "offer_id": "SKU-000001", "quantity": 2,
                                         "sku": OZON_SKU_BASE + 1, "price": "1037.00", "currency_code": "RUB"}
        r = await post("/v4/posting/fbs/ship", {"packages": right, "posting_number": number})
        assert r.status_code == 400 and r.json()["message"] == "POSTING_ALREADY_SHIPPED"
        assert all("request violates" in v for v in post.transport.violations)


async def test_cancelling_needs_a_known_reason_and_a_message_for_other():
    async with ozon(strict=False) as post:
        order = add_order(post.state, [(1, 1)])
        number = posting_number_of(order)
        assert (await post("/v2/posting/fbs/cancel", {"cancel_reason_id": 1, "posting_number": number})).status_code == 400
        r = await post("/v2/posting/fbs/cancel", {"cancel_reason_id": 402, "posting_number": number})
        assert r.status_code == 400 and "cancel_reason_message" in r.json()["message"]
        r = await post("/v2/posting/fbs/cancel", {"cancel_reason_id": 402, "cancel_reason_message": "asked",
                                                  "posting_number": number})
        assert r.json() == {"result": True} and post.state.orders.orders[order.id].status == Lifecycle.CANCELLED
        detail = (await post("/v3/posting/fbs/get", {"posting_number": number})).json()["result"]
        assert detail["cancellation"]["cancel_reason_id"] == 402 and detail["cancellation"]["cancellation_type"] == "seller"
        assert (await post("/v2/posting/fbs/cancel", {"cancel_reason_id": 352, "posting_number": number})).status_code == 400
        assert (await post("/v2/posting/fbs/cancel", {"cancel_reason_id": 352, "posting_number": "1-0001-1"})).status_code == 404


# ============================================================================================ analytics
async def test_analytics_sums_orders_per_sku_and_day():
    async with ozon(strict=False) as post:
        state = post.state
        add_order(state, [(1, 2), (2, 1)])
        add_order(state, [(1, 1)], fbo=True)
        cancelled = add_order(state, [(2, 5)])
        state.orders.set_status(cancelled.id, Lifecycle.CANCELLED)
        today = datetime.now(timezone.utc).date().isoformat()
        body = {"date_from": today, "date_to": today, "metrics": ["revenue", "ordered_units", "cancellations"],
                "dimension": ["sku", "day"], "limit": 1000, "offset": 0}
        data = (await post("/v1/analytics/data", body)).json()
        rows = {row["dimensions"][0]["id"]: row["metrics"] for row in data["result"]["data"]}
        assert rows[str(OZON_SKU_BASE + 1)] == [1037.0 * 3, 3.0, 0.0]
        assert rows[str(OZON_SKU_BASE + 2)] == [1074.0, 1.0, 5.0]
        assert data["result"]["data"][0]["dimensions"][1] == {"id": today, "name": ""}
        assert data["result"]["totals"] == [1037.0 * 3 + 1074.0, 4.0, 5.0]
        page = (await post("/v1/analytics/data", {**body, "limit": 1, "offset": 1})).json()["result"]["data"]
        assert [row["dimensions"][0]["id"] for row in page] == [str(OZON_SKU_BASE + 2)]
        for bad in ({**body, "dimension": ["brand"]}, {**body, "metrics": ["revenue"] * 15}, {**body, "date_from": "x"},
                    {k: v for k, v in body.items() if k != "limit"}):
            assert (await post("/v1/analytics/data", bad)).status_code == 400


async def test_enforced_analytics_limit_is_one_request_per_minute():
    async with ozon(enforce=True) as post:
        today = datetime.now(timezone.utc).date().isoformat()
        body = {"date_from": today, "date_to": today, "metrics": ["revenue"], "dimension": ["day"], "limit": 10}
        assert (await post("/v1/analytics/data", body)).status_code == 200
        r = await post("/v1/analytics/data", body)
        assert r.status_code == 429 and r.json()["message"] == "You have reached request rate limit per second"
        post.clock.t += 60
        assert (await post("/v1/analytics/data", body)).status_code == 200


# ============================================================================================ the books
def test_each_state_has_its_own_ozon_book_and_it_goes_with_the_state():
    first, second = SandboxState(), SandboxState()
    assert ozon_book(first) is ozon_book(first) and ozon_book(first) is not ozon_book(second)
    key = id(second)
    del second
    gc.collect()
    assert key not in _BOOKS


def test_add_order_rejects_an_unknown_warehouse():
    with pytest.raises(KeyError):
        add_order(SandboxState(), [(1, 1)], warehouse_id=42)
