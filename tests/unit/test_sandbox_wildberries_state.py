"""The Wildberries stand-in as an API: state, traps, batch maxima, limits and faults, request by request.

Raw httpx calls (no connector) through SpecValidatingTransport with strict=False: requests that break the
spec on purpose (too many items, the switched-off `sku` field) are recorded as violations, and every reply
must still validate against the official spec.
"""
from __future__ import annotations

import time
from contextlib import asynccontextmanager

import httpx
import pytest

from connectors.clock import FakeClock
from sandbox.marketplaces import MarketplaceSandbox, SandboxState
from sandbox.marketplaces import accounts as A
from sandbox.marketplaces.catalog import Lifecycle, OrderLine, product
from sandbox.marketplaces.wildberries import ROUTES, chrt_id, nm_id, wb_task_ids
from tests.support.contract import SpecValidatingTransport

WB = {"Authorization": A.WB_TOKEN}
PERSONAL = {"Authorization": A.WB_TOKEN_PERSONAL}
WAREHOUSE = 1001001


@asynccontextmanager
async def wb_api(*, enforce: bool = False, catalog_size: int = 40):
    """(sandbox, state, clock, client): `client.url(category, path)`; `client.contract` holds the violations."""
    clock = FakeClock(float(int(time.time())))
    state = SandboxState(catalog_size=catalog_size, enforce_rate_limits=enforce, clock=clock.now)
    state.orders.clock = clock.now
    async with MarketplaceSandbox(state=state) as sandbox:
        template = sandbox.env()["WILDBERRIES_API_URL"]
        inner = httpx.AsyncHTTPTransport()
        transport = SpecValidatingTransport("wildberries", inner, strict=False, base_url=template)
        async with httpx.AsyncClient(transport=transport, timeout=5.0) as client:
            client.contract = transport
            client.url = lambda category, path: template.replace("{category}", category) + path
            yield sandbox, state, clock, client
        await inner.aclose()


def reply_problems(client) -> list[str]:
    return [v for v in client.contract.violations if "reply" in v or "status not documented" in v]


# ============================================================================== stock and its trap
async def test_the_switched_off_sku_field_answers_204_and_changes_nothing():
    async with wb_api() as (_, state, _, client):
        catalog = state.catalog("wildberries", A.WB_SELLER_ID)
        before = catalog.get_stock(1, str(WAREHOUSE))
        r = await client.put(client.url("marketplace", f"/api/v3/stocks/{WAREHOUSE}"), headers=WB,
                             json={"stocks": [{"sku": product(1).barcode, "amount": before + 5}]})
        assert r.status_code == 204 and catalog.get_stock(1, str(WAREHOUSE)) == before and catalog.stock == {}
        assert any("outdated WB stock body" in v for v in client.contract.violations)  # the validator catches it
        ok = await client.put(client.url("marketplace", f"/api/v3/stocks/{WAREHOUSE}"), headers=WB,
                              json={"stocks": [{"chrtId": chrt_id(1), "amount": before + 5}]})
        assert ok.status_code == 204 and catalog.get_stock(1, str(WAREHOUSE)) == before + 5
        assert reply_problems(client) == []


async def test_stock_409_names_items_and_applies_nothing():
    async with wb_api() as (_, state, _, client):
        items = [{"chrtId": chrt_id(1), "amount": 3}, {"chrtId": 7, "amount": 1},
                 {"chrtId": chrt_id(2), "amount": 100_001}]
        r = await client.put(client.url("marketplace", f"/api/v3/stocks/{WAREHOUSE}"), headers=WB,
                             json={"stocks": items})
        assert r.status_code == 409
        assert r.json() == [{"code": "NotFound", "message": "Not found", "data": [{"chrtId": 7, "amount": 1}]},
                            {"code": "UploadDataLimit", "message": "Upload limit exceeded.",
                             "data": [{"chrtId": chrt_id(2), "amount": 100_001}]}]
        assert state.catalog("wildberries", A.WB_SELLER_ID).stock == {}
        assert reply_problems(client) == []


# ==================================================================================== batch maxima
TOO_MANY = [
    ("POST", "content", "/content/v2/get/cards/list", {"settings": {"cursor": {"limit": 101}}}, None, 400),
    ("PUT", "marketplace", f"/api/v3/stocks/{WAREHOUSE}",
     {"stocks": [{"chrtId": chrt_id(1), "amount": 1}] * 1001}, None, 400),
    ("POST", "discounts-prices", "/api/v2/upload/task", {"data": [{"nmID": nm_id(1), "price": 5}] * 1001}, None, 400),
    ("POST", "discounts-prices", "/api/v2/list/goods/filter", {"nmList": [nm_id(1)] * 1001}, None, 400),
    ("GET", "discounts-prices", "/api/v2/list/goods/filter", None, {"limit": 1001}, 400),
    ("GET", "marketplace", "/api/v3/orders", None, {"limit": 1001, "next": 0}, 400),
    ("POST", "marketplace", "/api/v3/orders/status", {"orders": list(range(1, 1002))}, None, 400),
    ("GET", "marketplace", "/api/v3/supplies", None, {"limit": 1001, "next": 0}, 400),
]


@pytest.mark.parametrize("method, category, path, body, params, status", TOO_MANY,
                         ids=[f"{m} {p}" for m, _, p, *_ in TOO_MANY])
async def test_over_the_batch_maximum_is_refused_as_wb_does(method, category, path, body, params, status):
    async with wb_api(catalog_size=2000) as (_, state, _, client):
        r = await client.request(method, client.url(category, path), headers=WB, json=body, params=params)
        assert r.status_code == status
        assert reply_problems(client) == []  # the refusal itself is documented
        assert state.catalog("wildberries", A.WB_SELLER_ID).stock == {}
    if path == "/api/v2/upload/task":
        assert r.json()["errorText"] == "Upload limit exceeded: You can upload a maximum of 10 000 items"


async def test_more_than_100_orders_cannot_join_a_supply():
    async with wb_api() as (_, _, _, client):
        created = await client.post(client.url("marketplace", "/api/v3/supplies"), headers=WB, json={"name": "A"})
        supply = created.json()["id"]
        r = await client.patch(client.url("marketplace", f"/api/marketplace/v3/supplies/{supply}/orders"),
                               headers=WB, json={"orders": list(range(1, 102))})
        assert created.status_code == 201 and r.status_code == 400 and r.json()["code"] == "IncorrectParameter"
        assert reply_problems(client) == []


# ======================================================================================== limits
async def test_enforced_limits_are_token_buckets_with_wb_headers():
    async with wb_api(enforce=True) as (_, _, clock, client):
        body = {"settings": {"cursor": {"limit": 1}}}
        url = client.url("content", "/content/v2/get/cards/list")
        replies = [await client.post(url, headers=WB, json=body) for _ in range(6)]  # burst 5
        assert [r.status_code for r in replies] == [200] * 5 + [429]
        assert [r.headers["X-Ratelimit-Remaining"] for r in replies[:5]] == ["4", "3", "2", "1", "0"]
        limited = replies[-1].headers
        assert (limited["X-Ratelimit-Limit"], limited["X-Ratelimit-Retry"]) == ("5", "1")  # 100/min: one per 0.6 s
        assert "X-Ratelimit-Remaining" not in limited
        clock.current += 0.6
        assert (await client.post(url, headers=WB, json=body)).status_code == 200
        assert reply_problems(client) == []


async def test_base_token_prices_are_four_per_hour_and_a_personal_token_is_not():
    async with wb_api(enforce=True) as (_, _, clock, client):
        url = client.url("discounts-prices", "/api/v2/list/goods/filter")
        base = [await client.get(url, headers=WB, params={"limit": 1}) for _ in range(2)]
        personal = [await client.get(url, headers=PERSONAL, params={"limit": 1}) for _ in range(5)]
        assert [r.status_code for r in base] == [200, 429] and base[1].headers["X-Ratelimit-Retry"] == "900"
        assert [r.status_code for r in personal] == [200] * 5
        clock.current += 900
        assert (await client.get(url, headers=WB, params={"limit": 1})).status_code == 200


async def test_a_marketplace_4xx_costs_ten_requests():
    async with wb_api(enforce=True) as (_, _, _, client):
        missing = await client.post(client.url("marketplace", "/api/v3/stocks/42"), headers=WB, json={"chrtIds": [1]})
        after = await client.post(client.url("marketplace", f"/api/v3/stocks/{WAREHOUSE}"), headers=WB,
                                  json={"chrtIds": [chrt_id(1)]})
        assert missing.status_code == 404 and missing.headers["X-Ratelimit-Remaining"] == "0"  # Base burst 10
        assert after.status_code == 429


async def test_a_read_only_token_reads_but_cannot_write():
    token = {"Authorization": A.WB_TOKEN_READONLY}
    async with wb_api() as (_, _, _, client):
        url = client.url("marketplace", f"/api/v3/stocks/{WAREHOUSE}")
        read = await client.post(url, headers=token, json={"chrtIds": [chrt_id(1)]})
        write = await client.put(url, headers=token, json={"stocks": [{"chrtId": chrt_id(1), "amount": 1}]})
        assert read.status_code == 200 and write.status_code == 401 and "read only" in write.json()["detail"]
        assert reply_problems(client) == []


# ======================================================================================== faults
FAULTABLE = [(m, p) for m, p, _, name, _ in ROUTES if name != "ping"]


def _concrete(path: str) -> str:
    return (path.replace("{warehouseId}", str(WAREHOUSE)).replace("{orderId}", "1")
            .replace("{supplyId}", "WB-GI-1"))


@pytest.mark.parametrize("kind", ["5xx", "rate_limit", "garbage"])
async def test_every_endpoint_plays_injected_faults(kind):
    expected = {"5xx": 500, "rate_limit": 429, "garbage": 200}[kind]
    async with wb_api() as (sandbox, _, _, client):
        for method, path in FAULTABLE:
            relative = _concrete(path)
            sandbox.inject("wildberries", relative, kind)
            category, rest = relative.removeprefix("/").split("/", 1)
            r = await client.request(method, client.url(category, "/" + rest), headers=WB)
            assert r.status_code == expected, (method, path)
            if kind == "rate_limit":
                assert r.headers["X-Ratelimit-Retry"] == "2" and r.json()["title"] == "too many requests"
            if kind == "garbage":
                with pytest.raises(ValueError):
                    r.json()
        if kind == "rate_limit":  # FBS routes answer plain JSON, as 03-orders-fbs documents
            assert reply_problems(client) == []
        assert sandbox.calls[("wildberries", "GET", "/marketplace/api/v3/orders/new")] == 1


# ================================================================================== prices, orders
async def test_price_tasks_are_processed_after_a_moment_and_duplicates_get_208():
    async with wb_api() as (_, state, clock, client):
        url = client.url("discounts-prices", "/api/v2/upload/task")
        goods = {"data": [{"nmID": nm_id(1), "price": product(1).price + 10, "discount": 5}]}
        first = await client.post(url, headers=PERSONAL, json=goods)
        again = await client.post(url, headers=PERSONAL, json=goods)
        task = first.json()["data"]["id"]
        params = {"uploadID": task}
        history = await client.get(client.url("discounts-prices", "/api/v2/history/tasks"), headers=PERSONAL,
                                   params=params)
        buffer = await client.get(client.url("discounts-prices", "/api/v2/buffer/tasks"), headers=PERSONAL,
                                  params=params)
        assert (again.status_code, again.json()["data"]) == (208, {"id": task, "alreadyExists": True})
        assert history.json()["data"] is None and buffer.json()["data"]["status"] == 1
        clock.current += 1
        done = await client.get(client.url("discounts-prices", "/api/v2/history/tasks"), headers=PERSONAL,
                                params=params)
        assert done.json()["data"]["status"] == 3 and done.json()["data"]["successGoodsNumber"] == 1
        assert state.catalog("wildberries", A.WB_SELLER_ID).get_price(1) == product(1).price + 10
        unchanged = await client.post(url, headers=PERSONAL, json=goods)
        assert unchanged.json()["errorText"] == "The specified prices and discounts are already set"
        assert reply_problems(client) == []


async def test_orders_period_is_at_most_30_days_and_actions_check_statuses():
    async with wb_api() as (_, state, clock, client):
        order = state.orders.create("wildberries", A.WB_SELLER_ID, [OrderLine(1, 1, 100)])
        task = wb_task_ids(order)[0]
        now = int(clock.now())
        too_long = await client.get(client.url("marketplace", "/api/v3/orders"), headers=WB,
                                    params={"limit": 10, "next": 0, "dateFrom": now - 40 * 86400, "dateTo": now})
        assert too_long.status_code == 400
        state.orders.set_status(order.id, Lifecycle.DELIVERED)
        cancel = await client.patch(client.url("marketplace", f"/api/v3/orders/{task}/cancel"), headers=WB)
        assert cancel.status_code == 409 and cancel.json()["code"] == "StatusMismatch"
        supply = (await client.post(client.url("marketplace", "/api/v3/supplies"), headers=WB,
                                    json={"name": "Empty"})).json()["id"]
        deliver = await client.patch(client.url("marketplace", f"/api/v3/supplies/{supply}/deliver"), headers=WB)
        assert deliver.status_code == 409 and deliver.json()["code"] == "SupplyHasZeroOrders"
        assert reply_problems(client) == []


async def test_sales_report_needs_date_from_and_honours_flag_1():
    async with wb_api() as (_, state, clock, client):
        order = state.orders.create("wildberries", A.WB_SELLER_ID, [OrderLine(2, 1, 300)])
        state.orders.set_status(order.id, Lifecycle.DELIVERED)
        url = client.url("statistics", "/api/v1/supplier/sales")
        today = time.strftime("%Y-%m-%d", time.gmtime(clock.now() + 3 * 3600))
        missing = await client.get(url, headers=PERSONAL)
        day = await client.get(url, headers=PERSONAL, params={"dateFrom": f"{today}T00:00:00+03:00", "flag": 1})
    assert missing.status_code == 400 and missing.json() == {"errors": ["dateFrom: field required"]}
    assert [row["saleID"] for row in day.json()] == [f"S{wb_task_ids(order)[0]}"]
    assert reply_problems(client) == []
