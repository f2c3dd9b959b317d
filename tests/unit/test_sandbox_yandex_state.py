"""The Yandex stand-in as a marketplace: its state, its refusals and its limits, spoken to in raw HTTP.

Every request and reply goes through SpecValidatingTransport. Requests that break the API on purpose (a batch over
its maximum) are collected as violations instead of raised (`strict=False`), and the test checks that the only
violation is that request: the stand-in's reply itself is valid.
"""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import httpx
import pytest

from sandbox.marketplaces import MarketplaceSandbox, SandboxState
from sandbox.marketplaces import accounts as A
from sandbox.marketplaces import yandex as Y
from sandbox.marketplaces.catalog import Lifecycle, OrderBook, sku_of
from tests.contract.test_yandex_ops import SettlingClock
from tests.support.contract import SpecValidatingTransport

KEY = {"Api-Key": A.YANDEX_API_KEY}
NO_SCOPE = {"Api-Key": A.YANDEX_API_KEY_NO_SCOPE}
BUSINESS = A.YANDEX_BUSINESS_ID
CAMPAIGN = A.YANDEX_CAMPAIGN_IDS[0]
MAPPINGS = f"/v2/businesses/{BUSINESS}/offer-mappings"
STOCKS = f"/v2/campaigns/{CAMPAIGN}/offers/stocks"
ORDERS = f"/v1/businesses/{BUSINESS}/orders"


@pytest.fixture
def clock():
    return SettlingClock()


@pytest.fixture
async def sandbox(clock):
    state = SandboxState(clock=clock.now, orders=OrderBook(clock=clock.now), catalog_size=300)
    async with MarketplaceSandbox(state=state) as sb:
        yield sb


@asynccontextmanager
async def api(sandbox: MarketplaceSandbox, *, strict: bool = True):
    base = sandbox.env()["YANDEX_API_URL"]
    transport = SpecValidatingTransport("yandex", httpx.AsyncHTTPTransport(), strict=strict, base_url=base)
    async with httpx.AsyncClient(transport=transport, base_url=base, timeout=5.0) as client:
        client.contract = transport
        yield client


def only_the_request_broke_the_spec(client: httpx.AsyncClient) -> bool:
    violations = client.contract.violations
    return len(violations) == 1 and "request violates the spec" in violations[0]


def stock_body(skus: list[str], count: int = 1) -> dict:
    return {"skus": [{"sku": sku, "items": [{"count": count}]} for sku in skus]}


def error(reply: httpx.Response) -> tuple[str, str]:
    first = reply.json()["errors"][0]
    return first["code"], first["message"]


# ============================================================================ catalog and stock state
async def test_a_stock_update_changes_what_stock_and_listings_show(sandbox):
    async with api(sandbox) as client:
        put = await client.put(STOCKS, json=stock_body([sku_of(1), sku_of(2)], 0), headers=KEY)
        read = await client.post(STOCKS, json={"offerIds": [sku_of(1), "UNKNOWN"]}, headers=KEY)
        listing = await client.post(MAPPINGS, params={"limit": 2}, headers=KEY)
    assert put.json() == {"status": "OK"}
    offers = read.json()["result"]["warehouses"][0]["offers"]
    assert [(o["offerId"], o["stocks"][-1]) for o in offers] == [(sku_of(1), {"type": "AVAILABLE", "count": 0})]
    statuses = [c["status"] for c in listing.json()["result"]["offerMappings"][0]["offer"]["campaigns"]]
    assert statuses == ["NO_STOCKS", "PUBLISHED"]  # only the first shop's stock was set to 0


async def test_batches_over_the_maximum_are_refused_like_the_api_does(sandbox):
    Y.yandex_book(sandbox.state).only_default_price[BUSINESS] = False
    sandbox.state.catalog_size = 3000
    prices = lambda n: {"offers": [{"offerId": sku_of(i), "price": {"value": 10, "currencyId": "RUR"}}  # noqa: E731
                                   for i in range(1, n + 1)]}
    cases = [
        ("PUT", STOCKS, stock_body([sku_of(i) for i in range(1, 2002)]), "skus", 2000),
        ("POST", f"/v2/businesses/{BUSINESS}/offer-prices/updates", prices(501), "offers", 500),
        ("POST", f"/v2/campaigns/{CAMPAIGN}/offer-prices/updates", prices(2001), "offers", 2000),
        ("POST", MAPPINGS, {"offerIds": [sku_of(i) for i in range(1, 102)]}, "offerIds", 100),
        ("POST", STOCKS, {"offerIds": [sku_of(i) for i in range(1, 502)]}, "offerIds", 500),
    ]
    for method, path, body, field, maximum in cases:
        async with api(sandbox, strict=False) as client:
            reply = await client.request(method, path, json=body, headers=KEY)
            assert reply.status_code == 400 and only_the_request_broke_the_spec(client), path
        assert error(reply) == ("BAD_REQUEST", f"Length of field ({field}) must be between 1 and {maximum}")
    assert all(sandbox.state.catalog("yandex", A.YANDEX_API_KEY).get_stock(i, str(Y.WAREHOUSE_ID_BASE + CAMPAIGN))
               == sandbox.state.catalog("yandex", A.YANDEX_API_KEY).product(i).stock for i in (1, 2001))


async def test_a_refused_batch_names_every_bad_item_and_changes_nothing(sandbox):
    async with api(sandbox) as client:
        reply = await client.put(STOCKS, json=stock_body([sku_of(1), "NOPE-1", sku_of(2), "NOPE-2"], 9), headers=KEY)
    assert reply.status_code == 400
    assert [e["message"] for e in reply.json()["errors"]] == [
        "Unable to find mapping for offerId: NOPE-1", "Unable to find mapping for offerId: NOPE-2"]
    catalog = sandbox.state.catalog("yandex", A.YANDEX_API_KEY)
    assert catalog.get_stock(1, str(Y.WAREHOUSE_ID_BASE + CAMPAIGN)) == catalog.product(1).stock


async def test_page_limits_truncate_or_refuse_as_the_spec_says_and_big_bodies_are_refused(sandbox):
    async with api(sandbox, strict=False) as client:
        truncated = await client.post(MAPPINGS, params={"limit": 500}, headers=KEY)  # PageLimit100Truncate
        assert truncated.status_code == 200 and only_the_request_broke_the_spec(client)
    async with api(sandbox, strict=False) as client:
        refused = await client.post(STOCKS, params={"limit": 201}, headers=KEY)  # PageLimit200: no truncation
        assert refused.status_code == 400 and only_the_request_broke_the_spec(client)
    async with api(sandbox, strict=False) as client:
        huge = await client.put(STOCKS, json=stock_body(["X" * 250 + str(i) for i in range(2000)]), headers=KEY)
    assert len(truncated.json()["result"]["offerMappings"]) == 100
    assert huge.status_code == 400 and error(huge)[1].startswith("The request is too big")


async def test_other_cabinets_and_keys_without_scopes_are_refused(sandbox):
    async with api(sandbox) as client:
        foreign = await client.post("/v2/businesses/999/offer-mappings", headers=KEY)
        foreign_stock = await client.post("/v2/campaigns/999/offers/stocks", headers=KEY)  # the spec has no 404 here
        no_scope = await client.put(STOCKS, json=stock_body([sku_of(1)]), headers=NO_SCOPE)
    assert foreign.status_code == 404 and foreign_stock.status_code == 403
    assert no_scope.status_code == 403 and "scopes" in error(no_scope)[1]


# ================================================================================= orders
async def test_orders_filter_page_and_refuse_a_range_over_30_days(sandbox, clock):
    old = Y.add_order(sandbox.state, [(1, 1)])
    clock.current += 40 * 86400
    fresh = [Y.add_order(sandbox.state, [(2, 1)]) for _ in range(55)]
    since = datetime.fromtimestamp(clock.now() - 60, timezone.utc)
    async with api(sandbox) as client:
        default = await client.post(ORDERS, json={}, headers=KEY)
        second = await client.post(ORDERS, json={}, params={"pageToken": default.json()["paging"]["nextPageToken"]},
                                   headers=KEY)
        by_id = await client.post(ORDERS, json={"orderIds": [old.id]}, headers=KEY)
        changed = await client.post(ORDERS, json={"dates": {"updateDateFrom": since.isoformat()}}, headers=KEY)
        too_long = await client.post(ORDERS, json={"dates": {"creationDateFrom": "2027-01-01",
                                                             "creationDateTo": "2027-03-01"}}, headers=KEY)
    ids = [o["orderId"] for o in default.json()["orders"] + second.json()["orders"]]
    assert ids == [o.id for o in fresh]  # the last 30 days by default, 50 per page
    assert [o["orderId"] for o in by_id.json()["orders"]] == [old.id]
    assert len(changed.json()["orders"]) == 50
    assert too_long.status_code == 400 and error(too_long)[1] == "Too long time period. Maximum is '30' days"


async def test_status_changes_follow_the_order_model(sandbox):
    order = Y.add_order(sandbox.state, [(3, 2)])
    path = f"/v2/campaigns/{CAMPAIGN}/orders/{order.id}/status"
    async with api(sandbox) as client:
        early_ship = await client.put(path, json={"order": {"status": "PROCESSING", "substatus": "SHIPPED"}},
                                      headers=KEY)
        ready = await client.put(path, json={"order": {"status": "PROCESSING", "substatus": "READY_TO_SHIP"}},
                                 headers=KEY)
        elsewhere = await client.put(f"/v2/campaigns/{A.YANDEX_CAMPAIGN_IDS[1]}/orders/{order.id}/status",
                                     json={"order": {"status": "CANCELLED", "substatus": "SHOP_FAILED"}}, headers=KEY)
    assert early_ship.status_code == 400 and "not allowed" in error(early_ship)[1]
    assert ready.json()["order"]["substatus"] == "READY_TO_SHIP" and order.status == Lifecycle.CONFIRMED
    assert elsewhere.status_code == 404  # the order belongs to the other shop


# ================================================================================= limits
async def test_item_counted_limits_answer_420_with_the_reset_time(monkeypatch):
    monkeypatch.setitem(Y.RESOURCE_LIMITS, "updateStocks", 300)
    skus = [sku_of(i) for i in range(1, 201)]
    async with MarketplaceSandbox(state=SandboxState(enforce_rate_limits=True)) as sandbox, api(sandbox) as client:
        sandbox.state.catalog_size = 200
        first = await client.put(STOCKS, json=stock_body(skus), headers=KEY)  # 200 items
        second = await client.put(STOCKS, json=stock_body(skus), headers=KEY)  # 200 more: over 300
        small = await client.put(STOCKS, json=stock_body(skus[:100]), headers=KEY)  # exactly the rest
    assert [r.status_code for r in (first, second, small)] == [200, 420, 200]
    assert first.headers["X-RateLimit-Resource-Remaining"] == "100"
    assert small.headers["X-RateLimit-Resource-Remaining"] == "0"
    assert second.headers["X-RateLimit-Resource-Limit"] == "300"
    assert error(second)[1] == ("Hit rate limit of 300 requests per 1 minute "
                                "for resource /v2/campaigns/{campaignId}/offers/stocks")
    until = parsedate_to_datetime(second.headers["X-RateLimit-Resource-Until"])
    assert timedelta(0) < until - datetime.now(timezone.utc) <= timedelta(minutes=1)


async def test_more_than_two_requests_in_flight_per_scope_get_420(monkeypatch):
    monkeypatch.setattr(Y, "SIMULATED_LATENCY", 0.05)
    async with MarketplaceSandbox(state=SandboxState(enforce_rate_limits=True)) as sandbox, api(sandbox) as client:
        replies = await asyncio.gather(*(client.post(MAPPINGS, headers=KEY) for _ in range(3)),
                                       client.post(STOCKS, headers=KEY))  # another scope: its own slots
    statuses = sorted(r.status_code for r in replies)
    assert statuses == [200, 200, 200, 420]
    limited = next(r for r in replies if r.status_code == 420)
    assert error(limited)[1] == "Hit rate limit of 2 parallel requests"
    assert int(limited.headers["X-RateLimit-Resource-Remaining"]) > 0  # the resource itself still has budget
    assert Y.yandex_book(sandbox.state).parallel_refusals == 1


async def test_every_reply_carries_its_resources_limit_headers(sandbox):
    async with api(sandbox) as client:
        mappings = await client.post(MAPPINGS, headers=KEY)
        stocks = await client.post(STOCKS, json={"offerIds": [sku_of(1), sku_of(2)]}, headers=KEY)
        orders = await client.post(ORDERS, json={}, headers=KEY)
    assert (mappings.headers["X-RateLimit-Resource-Limit"], mappings.headers["X-RateLimit-Resource-Remaining"]) == (
        "100", "99")
    assert stocks.headers["X-RateLimit-Resource-Remaining"] == "99998"  # counted in the reply's offers
    assert orders.headers["X-RateLimit-Resource-Limit"] == "10000"


async def test_faults_are_injected_on_the_new_endpoints_too(sandbox):
    sandbox.inject("yandex", MAPPINGS, "5xx")
    sandbox.inject("yandex", STOCKS, "garbage")
    async with api(sandbox, strict=False) as client:
        failed = await client.post(MAPPINGS, headers=KEY)
        garbage = await client.post(STOCKS, headers=KEY)
        fine = await client.post(MAPPINGS, headers=KEY)
    assert (failed.status_code, garbage.status_code, fine.status_code) == (500, 200, 200)
    with pytest.raises(ValueError):
        garbage.json()
