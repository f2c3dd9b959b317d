"""Every connector call against the official specs (SpecValidatingTransport), with the specs' own examples.

Each test builds a client through `build_client(..., transport=SpecValidatingTransport(...))`, so a request
the spec does not allow, a missing auth header, an outdated endpoint or a reply the spec does not
document fails the test at once (strict mode).
"""
from __future__ import annotations

import email.utils
import logging
from datetime import datetime, timezone

import httpx
import pytest
import respx

from connectors import build_client, default_base_url
from connectors.base import (
    AuthError,
    BadResponse,
    Credentials,
    IpRestricted,
    KeyExpired,
    Marketplace,
    NoShops,
    PermissionDenied,
    RateLimited,
    Warning,
)
from connectors.clock import FakeClock
from connectors.ozon.models import OzonRoles, OzonSellerInfo, OzonWarehousePage
from connectors.uzum.models import parse_uzum_shops
from connectors.wildberries.account import WB_CATEGORY_HOSTS
from connectors.wildberries.models import WbPing, WbWarehouse
from connectors.yandex.models import YandexCampaignsPage
from tests.support import FakeApi, make_wb_token, reply, wb_mask
from tests.support.contract import (
    OUTDATED_ENDPOINTS,
    SpecValidatingTransport,
    ozon_spec,
    spec_example,
    validate_spec_response,
    wb_specs,
    yandex_spec,
)

M = Marketplace
UZUM = default_base_url(M.UZUM)
YM = default_base_url(M.YANDEX)
OZ = default_base_url(M.OZON)
WB_LOCAL = "http://127.0.0.1:8080/wb/{category}"

UZUM_KEY = "uzum-test-token-4f1c2a9e7b"
YM_KEY = "ACMA:test-ym-key-0123456789:abcdef"
OZ_KEY = "0f9e8d7c-ozon-test-key-1234567890"
OZ_CLIENT = "123456"


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def client(marketplace: M, api: FakeApi, creds: Credentials, *, base_url: str | None = None, now: float | None = None):
    transport = SpecValidatingTransport(marketplace, api.transport, base_url=base_url)
    clock = FakeClock(now) if now is not None else FakeClock()
    return build_client(marketplace, creds, base_url=base_url, transport=transport, clock=clock), transport, clock


# ====================================================================================== spec loading
def test_specs_load_once_per_process():
    assert yandex_spec() is yandex_spec()
    assert ozon_spec() is ozon_spec()
    assert wb_specs() is wb_specs()
    assert {"content", "marketplace", "discounts-prices", "statistics", "seller-analytics", "*"} <= set(wb_specs())


# ============================================================================== official examples
def test_official_examples_parse_with_our_models():
    """TESTING.md: real payload shapes. Examples that exist in the specs go through our models."""
    roles = OzonRoles.model_validate(spec_example(M.OZON, "POST", "/v1/roles"))
    assert roles.expires_at and [r.name for r in roles.roles] == ["Admin", "Posting FBS"]
    info = OzonSellerInfo.model_validate(spec_example(M.OZON, "POST", "/v1/seller/info"))
    assert info.company and info.company.name == "OOO Romashka"
    page = OzonWarehousePage.model_validate(spec_example(M.OZON, "POST", "/v2/warehouse/list"))
    assert page.warehouses[0].warehouse_id == 20605650762000
    ping = WbPing.model_validate(spec_example(M.WILDBERRIES, "GET", "/ping", category="content"))
    assert ping.Status == "OK"
    warehouses = [WbWarehouse.model_validate(w) for w in spec_example(M.WILDBERRIES, "GET", "/api/v3/warehouses", category="marketplace")]
    assert warehouses[0].id == 1 and warehouses[0].officeId == 15
    campaigns = YandexCampaignsPage.model_validate(spec_example(M.YANDEX, "GET", "/v2/campaigns"))
    assert campaigns.campaigns[0].placementType in {"FBS", "FBY", "DBS", "LAAS"}


@pytest.mark.parametrize(
    "marketplace, method, path, status, category",
    [
        (M.OZON, "POST", "/v1/roles", 200, None),
        (M.OZON, "POST", "/v1/seller/info", 200, None),
        (M.OZON, "POST", "/v2/warehouse/list", 200, None),
        (M.WILDBERRIES, "GET", "/ping", 200, "statistics"),
        (M.WILDBERRIES, "GET", "/ping", 401, "content"),
        (M.WILDBERRIES, "GET", "/ping", 429, "content"),
        (M.WILDBERRIES, "GET", "/api/v3/warehouses", 200, "marketplace"),
        (M.YANDEX, "GET", "/v2/campaigns", 200, None),
    ],
)
def test_examples_validate_against_their_own_spec(marketplace, method, path, status, category):
    body = spec_example(marketplace, method, path, status, category=category)
    content_type = "application/problem+json" if status in (401, 429) else "application/json"
    assert validate_spec_response(marketplace, method, path, status, {"Content-Type": content_type}, body,
                                  category=category) == []


@pytest.mark.parametrize("path", ["/v2/warehouse/list", "/v1/seller/info"])
def test_known_wrong_ozon_examples_are_fixed_in_one_place(path):
    """The swagger's own examples break its schemas; SPEC_EXAMPLE_FIXES holds the correction."""
    raw = spec_example(M.OZON, "POST", path, fixed=False)
    assert validate_spec_response(M.OZON, "POST", path, 200, {}, raw) != []
    assert validate_spec_response(M.OZON, "POST", path, 200, {}, spec_example(M.OZON, "POST", path)) == []


# ============================================================================== contract transport
OUTDATED_SAMPLES = [
    (M.UZUM, "GET", "https://api-seller.uzum.uz/api/seller/products"),
    (M.UZUM, "GET", "https://api-seller.uzum.uz/api/seller/profile"),
    (M.YANDEX, "GET", f"{YM}/campaigns/1/offer-mapping-entries"),
    (M.YANDEX, "GET", f"{YM}/v2/campaigns/1/offer-mapping-entries"),
    (M.YANDEX, "GET", f"{YM}/campaigns"),
    (M.YANDEX, "GET", f"{YM}/v2/campaigns/11/orders"),
    (M.YANDEX, "GET", f"{YM}/v2/businesses/5/warehouses"),
    (M.WILDBERRIES, "GET", "https://suppliers-api.wildberries.ru/api/v3/orders/new"),
    (M.WILDBERRIES, "POST", "https://content-api.wildberries.ru/content/v1/cards/list"),
    (M.WILDBERRIES, "GET", "https://discounts-prices-api.wildberries.ru/public/api/v1/info"),
    (M.WILDBERRIES, "PATCH", "https://marketplace-api.wildberries.ru/api/v3/supplies/WB-1/orders/5"),
    (M.OZON, "POST", f"{OZ}/v2/product/list"),
    (M.OZON, "POST", f"{OZ}/v3/posting/fbs/list"),
    (M.OZON, "POST", f"{OZ}/v3/posting/fbs/unfulfilled/list"),
    (M.OZON, "POST", f"{OZ}/v2/posting/fbo/list"),
    (M.OZON, "POST", f"{OZ}/v1/product/import"),
    (M.OZON, "POST", f"{OZ}/v1/product/info/stocks"),
    (M.OZON, "POST", f"{OZ}/v1/warehouse/list"),
]

AUTH = {
    M.UZUM: {"Authorization": UZUM_KEY},
    M.YANDEX: {"Api-Key": YM_KEY},
    M.WILDBERRIES: {"Authorization": make_wb_token()},
    M.OZON: {"Client-Id": OZ_CLIENT, "Api-Key": OZ_KEY},
}


async def _send(transport: SpecValidatingTransport, method: str, url: str, headers: dict | None = None, **kw):
    async with httpx.AsyncClient(transport=transport) as http:
        return await http.request(method, url, headers=AUTH[transport.marketplace] if headers is None else headers, **kw)


def test_every_outdated_rule_has_a_sample():
    covered = {(m, method) for m, method, _ in OUTDATED_SAMPLES}
    assert {r.marketplace for r in OUTDATED_ENDPOINTS} == {m for m, _ in covered}
    assert len(OUTDATED_SAMPLES) >= len(OUTDATED_ENDPOINTS)


@pytest.mark.parametrize("marketplace, method, url", OUTDATED_SAMPLES)
async def test_outdated_endpoints_fail_the_transport(marketplace, method, url):
    api = FakeApi().add(method, url, reply(200, {}))
    transport = SpecValidatingTransport(marketplace, api.transport)
    with pytest.raises(AssertionError, match="outdated"):
        await _send(transport, method, url)
    assert api.requests == []  # never reaches the wire


@pytest.mark.parametrize(
    "marketplace, method, url, body",
    [
        (M.OZON, "POST", f"{OZ}/v1/product/import/prices", {"prices": [{"offer_id": "A-1", "price": "100"}]}),
        (M.OZON, "POST", f"{OZ}/v4/posting/fbs/unfulfilled/list", {"limit": 100, "filter": {"cutoff_from": "2026-01-01T00:00:00Z", "cutoff_to": "2026-01-02T00:00:00Z"}}),
        (M.YANDEX, "GET", f"{YM}/v2/campaigns/11", None),
        (M.UZUM, "GET", f"{UZUM}/v2/fbs/orders", None),
    ],
)
async def test_current_endpoints_pass(marketplace, method, url, body):
    api = FakeApi().add(method, url, reply(200, {}))
    transport = SpecValidatingTransport(marketplace, api.transport, strict=False)
    await _send(transport, method, url, json=body)
    assert not [v for v in transport.violations if "outdated" in v or "not in" in v]


async def test_wb_stock_body_with_sku_is_outdated():
    url = "https://marketplace-api.wildberries.ru/api/v3/stocks/7"
    transport = SpecValidatingTransport(M.WILDBERRIES, FakeApi().add("PUT", url, httpx.Response(204)).transport, strict=False)
    await _send(transport, "PUT", url, json={"stocks": [{"sku": "4600000000001", "amount": 3}]})
    assert any("sku" in v for v in transport.violations)


@pytest.mark.parametrize(
    "marketplace, headers, needle",
    [
        (M.YANDEX, {"Api-Key": f"Bearer {YM_KEY}"}, "without a prefix"),
        (M.YANDEX, {"Authorization": "OAuth oauth_token=abc"}, "Api-Key"),
        (M.WILDBERRIES, {"Authorization": f"Bearer {make_wb_token()}"}, "without a prefix"),
        (M.WILDBERRIES, {"x-api-key": make_wb_token()}, "x-api-key"),
        (M.OZON, {"Api-Key": OZ_KEY}, "Client-Id"),
        (M.UZUM, {}, "Authorization"),
    ],
)
async def test_auth_headers_are_asserted(marketplace, headers, needle):
    url = {M.YANDEX: f"{YM}/v2/campaigns", M.WILDBERRIES: "https://content-api.wildberries.ru/ping",
           M.OZON: f"{OZ}/v1/roles", M.UZUM: f"{UZUM}/v1/shops"}[marketplace]
    method = "POST" if marketplace == M.OZON else "GET"
    transport = SpecValidatingTransport(marketplace, FakeApi().add(method, url, reply(200, {})).transport, strict=False)
    await _send(transport, method, url, headers=headers)
    assert any(needle in v for v in transport.violations), transport.violations


async def test_key_in_url_is_a_violation():
    url = f"{YM}/v2/campaigns"
    transport = SpecValidatingTransport(M.YANDEX, FakeApi().add("GET", url, reply(200, {"campaigns": []})).transport, strict=False)
    await _send(transport, "GET", url, params={"key": YM_KEY})
    assert any("credential appears in the URL" in v for v in transport.violations)


async def test_request_violations_are_reported():
    api = FakeApi().add("GET", f"{YM}/v2/campaigns", reply(200, {"campaigns": []}))
    api.add("POST", f"{OZ}/v1/roles", reply(200, {}))
    api.add("POST", f"{OZ}/v2/warehouse/list", reply(200, {}))
    ym = SpecValidatingTransport(M.YANDEX, api.transport, strict=False)
    await _send(ym, "GET", f"{YM}/v2/campaigns", params={"limit": 500})  # limit max 100
    await _send(ym, "GET", f"{YM}/v2/campaigns", params={"page": 2, "pageSize": 50})  # deprecated paging
    await _send(ym, "GET", f"{YM}/v2/no-such-method")
    assert any("limit" in v for v in ym.violations)
    assert any("deprecated parameter 'pageSize'" in v for v in ym.violations)
    assert any("not in the official spec" in v for v in ym.violations)

    oz = SpecValidatingTransport(M.OZON, api.transport, strict=False)
    await _send(oz, "POST", f"{OZ}/v1/roles", json={})  # the spec defines no body
    await _send(oz, "POST", f"{OZ}/v2/warehouse/list", json={"cursor": "x"})  # limit is required
    assert any("sends a body" in v for v in oz.violations)
    assert any("limit" in v for v in oz.violations)


async def test_reply_violations_and_undocumented_statuses():
    api = FakeApi().add("GET", f"{YM}/v2/campaigns", reply(200, {"campaigns": [{"id": "not-a-number"}]}))
    api.add("GET", "https://content-api.wildberries.ru/ping", reply(418, {}))
    ym = SpecValidatingTransport(M.YANDEX, api.transport, strict=False)
    await _send(ym, "GET", f"{YM}/v2/campaigns")
    assert any("reply violates the spec" in v for v in ym.violations)
    wb = SpecValidatingTransport(M.WILDBERRIES, api.transport, strict=False)
    await _send(wb, "GET", "https://content-api.wildberries.ru/ping")
    assert any("not documented" in v for v in wb.violations)
    assert wb.records[0].category == "content"


async def test_strict_mode_raises_and_requests_outside_an_explicit_base_url_fail():
    transport = SpecValidatingTransport(M.OZON, FakeApi().transport, base_url="http://127.0.0.1:9/ozon")
    with pytest.raises(AssertionError, match="outside the base URL"):
        await _send(transport, "POST", "https://evil.example/v1/roles")


@pytest.mark.parametrize(
    "marketplace, method, url, path, category",
    [
        (M.YANDEX, "GET", "http://127.0.0.1:8081/yandex/v2/campaigns", "/v2/campaigns", None),
        (M.OZON, "POST", "http://127.0.0.1:8081/ozon/v1/roles", "/v1/roles", None),
        (M.UZUM, "GET", "http://127.0.0.1:8081/uzum/v1/shops", "/v1/shops", None),
        (M.WILDBERRIES, "GET", "http://127.0.0.1:8081/wb/content/ping", "/ping", "content"),
        (M.WILDBERRIES, "GET", "http://127.0.0.1:8081/wb/marketplace/api/v3/warehouses", "/api/v3/warehouses", "marketplace"),
        (M.WILDBERRIES, "GET", "https://marketplace-api.wildberries.ru/api/v3/warehouses", "/api/v3/warehouses", "marketplace"),
    ],
)
async def test_without_base_url_sandbox_prefixes_are_inferred(marketplace, method, url, path, category):
    body = [] if path == "/api/v3/warehouses" else {}
    transport = SpecValidatingTransport(marketplace, FakeApi().add(method, url, reply(200, body)).transport, strict=False)
    await _send(transport, method, url)
    assert (transport.records[0].path, transport.records[0].category) == (path, category)
    assert not [v for v in transport.violations if "not mappable" in v or "not in" in v]


async def test_without_base_url_unknown_paths_and_prefixed_outdated_ones_are_caught():
    api = FakeApi().add("GET", "http://127.0.0.1:8081/yandex/v9/nothing", reply(200, {}))
    api.add("POST", "http://127.0.0.1:8081/ozon/v1/warehouse/list", reply(200, {}))
    ym = SpecValidatingTransport(M.YANDEX, api.transport, strict=False)
    await _send(ym, "GET", "http://127.0.0.1:8081/yandex/v9/nothing")
    assert any("not mappable" in v for v in ym.violations)
    oz = SpecValidatingTransport(M.OZON, api.transport)
    with pytest.raises(AssertionError, match="outdated"):
        await _send(oz, "POST", "http://127.0.0.1:8081/ozon/v1/warehouse/list")


# ============================================================================================ Uzum
async def test_uzum_raw_token_success():
    api = FakeApi().add("GET", f"{UZUM}/v1/shops", reply(200, {"payload": [{"id": 101, "name": "Shop A"}, {"id": 102, "name": "Shop B"}]}))
    uzum, transport, _ = client(M.UZUM, api, Credentials(UZUM_KEY))
    info = await uzum.check_connection()
    assert [(s.id, s.name) for s in info.shops] == [("101", "Shop A"), ("102", "Shop B")]
    assert info.extra["auth_scheme"] == "raw" and info.account_name == "Shop A"
    assert api.requests[0].headers["Authorization"] == UZUM_KEY
    assert transport.calls == [("GET", "/v1/shops", 200)]
    await uzum.aclose()


async def test_uzum_bearer_fallback_is_remembered():
    def shops(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == f"Bearer {UZUM_KEY}":
            return reply(200, [{"id": 7, "name": "Top-level list"}])  # tolerant: no envelope
        return reply(401, {"errors": [{"code": "unauthorized", "message": "Unauthorized"}]})

    api = FakeApi().add("GET", f"{UZUM}/v1/shops", shops)
    uzum, transport, _ = client(M.UZUM, api, Credentials(UZUM_KEY))
    info = await uzum.check_connection()
    assert info.extra["auth_scheme"] == "bearer"
    assert transport.calls == [("GET", "/v1/shops", 401), ("GET", "/v1/shops", 200)]
    await uzum.check_connection()  # remembered: no second raw attempt
    assert transport.calls[-1] == ("GET", "/v1/shops", 200) and len(transport.calls) == 3


async def test_uzum_bad_key_after_both_schemes():
    api = FakeApi().add("GET", f"{UZUM}/v1/shops", reply(401, {"errors": [{"message": "Unauthorized"}]}))
    uzum, transport, _ = client(M.UZUM, api, Credentials(UZUM_KEY))
    with pytest.raises(AuthError) as err:
        await uzum.check_connection()
    assert len(transport.calls) == 2 and UZUM_KEY not in str(err.value)


async def test_uzum_no_shops_and_rate_limit_then_success():
    api = FakeApi().add("GET", f"{UZUM}/v1/shops", reply(200, {"payload": []}))
    uzum, _, _ = client(M.UZUM, api, Credentials(UZUM_KEY))
    with pytest.raises(NoShops):
        await uzum.check_connection()

    api = FakeApi().add("GET", f"{UZUM}/v1/shops", reply(429, {}, headers={"Retry-After": "2"}), reply(200, {"payload": [{"id": 1}]}))
    uzum, _, clock = client(M.UZUM, api, Credentials(UZUM_KEY))
    info = await uzum.check_connection()
    assert clock.sleeps == [2.0] and info.shops[0].name == "Shop 1"


def test_uzum_payload_shapes():
    assert [s.id for s in parse_uzum_shops({"payload": [{"id": 1, "name": "a"}]})] == [1]
    assert [s.id for s in parse_uzum_shops([{"id": "2"}])] == ["2"]
    with pytest.raises(BadResponse):
        parse_uzum_shops({"payload": {"oops": 1}})
    with pytest.raises(BadResponse):
        parse_uzum_shops({"payload": [{"name": "no id"}]})


# ========================================================================================== Yandex
def _campaign(cid: int, business: int, domain: str | None = "shop.example", placement="FBS") -> dict:
    example = spec_example(M.YANDEX, "GET", "/v2/campaigns")["campaigns"][0]
    campaign = {**example, "id": cid, "domain": domain, "business": {"id": business, "name": f"Business {business}"},
                "placementType": placement, "apiAvailability": "AVAILABLE"}
    if domain is None:
        del campaign["domain"]  # the spec does not allow null: a shop without a name omits it
    return campaign


async def test_yandex_pagination_and_ids():
    def campaigns(request: httpx.Request) -> httpx.Response:
        assert request.url.params["limit"] == "100"
        if "pageToken" not in request.url.params:
            return reply(200, {"campaigns": [_campaign(11, 5, "first.example")], "paging": {"nextPageToken": "eyJuZXh0Ijo"}})
        assert request.url.params["pageToken"] == "eyJuZXh0Ijo"
        return reply(200, {"campaigns": [_campaign(12, 5, None, "DBS")], "paging": {}})

    api = FakeApi().add("GET", f"{YM}/v2/campaigns", campaigns)
    ym, transport, _ = client(M.YANDEX, api, Credentials(YM_KEY))
    info = await ym.check_connection()
    assert transport.calls == [("GET", "/v2/campaigns", 200)] * 2
    assert [(s.id, s.name) for s in info.shops] == [("11", "first.example"), ("12", "Business 5")]
    assert info.account_id == "5" and info.account_name == "Business 5"
    assert info.shops[1].extra == {"business_id": "5", "business_name": "Business 5", "placement_type": "DBS",
                                   "api_availability": "AVAILABLE"}
    request = api.requests[0]
    assert request.headers["Api-Key"] == YM_KEY and request.headers["X-Market-Integration"].startswith("SellerCloudX/")


async def test_yandex_several_businesses_keep_ids_per_campaign():
    body = {"campaigns": [_campaign(1, 5), _campaign(2, 6)]}
    ym, _, _ = client(M.YANDEX, FakeApi().add("GET", f"{YM}/v2/campaigns", reply(200, body)), Credentials(YM_KEY))
    info = await ym.check_connection()
    assert info.account_id is None and info.extra["business_ids"] == ["5", "6"]
    assert [s.extra["business_id"] for s in info.shops] == ["5", "6"]


@pytest.mark.parametrize(
    "status, code, message, expected",
    [
        (401, "UNAUTHORIZED", "Api-Key token is invalid", AuthError),
        (403, "FORBIDDEN", "Token does not have any of the scopes [inventory-and-order-processing]", PermissionDenied),
    ],
)
async def test_yandex_auth_errors(status, code, message, expected):
    body = {"status": "ERROR", "errors": [{"code": code, "message": message}]}
    ym, transport, _ = client(M.YANDEX, FakeApi().add("GET", f"{YM}/v2/campaigns", reply(status, body)), Credentials(YM_KEY))
    with pytest.raises(expected) as err:
        await ym.check_connection()
    assert type(err.value) is expected and message in (err.value.detail or "")
    assert transport.calls == [("GET", "/v2/campaigns", status)]


async def test_yandex_420_waits_until_header_then_gives_up_on_long_waits():
    clock = FakeClock()
    until = email.utils.formatdate(clock.now() + 4, usegmt=True)
    limited = reply(420, {"status": "ERROR", "errors": [{"code": "HIT_RATE_LIMIT", "message": "Hit rate limit of 1000 requests per hour for resource 1"}]},
                    headers={"X-RateLimit-Resource-Until": until})
    api = FakeApi().add("GET", f"{YM}/v2/campaigns", limited, reply(200, {"campaigns": [_campaign(1, 5)]}))
    ym, transport, clock = client(M.YANDEX, api, Credentials(YM_KEY), now=clock.now())
    await ym.check_connection()
    assert clock.sleeps == [4.0] and [c[2] for c in transport.calls] == [420, 200]

    late = email.utils.formatdate(clock.now() + 1800, usegmt=True)
    api = FakeApi().add("GET", f"{YM}/v2/campaigns", reply(420, {"status": "ERROR", "errors": [{"code": "X", "message": "limit"}]},
                                                            headers={"X-RateLimit-Resource-Until": late}))
    ym, _, clock = client(M.YANDEX, api, Credentials(YM_KEY), now=clock.now())
    with pytest.raises(RateLimited) as err:
        await ym.check_connection()
    assert err.value.retry_after == pytest.approx(1800, abs=1)


async def test_yandex_no_campaigns_and_5xx_then_success():
    ym, _, _ = client(M.YANDEX, FakeApi().add("GET", f"{YM}/v2/campaigns", reply(200, {"campaigns": []})), Credentials(YM_KEY))
    with pytest.raises(NoShops):
        await ym.check_connection()

    api = FakeApi().add("GET", f"{YM}/v2/campaigns", reply(500, {"status": "ERROR", "errors": [{"code": "INTERNAL_ERROR", "message": "oops"}]}),
                        httpx.ReadTimeout("slow"), reply(200, {"campaigns": [_campaign(3, 9)]}))
    ym, transport, _ = client(M.YANDEX, api, Credentials(YM_KEY))
    info = await ym.check_connection()
    assert info.shops[0].id == "3" and [c[2] for c in transport.calls] == [500, 0, 200]


async def test_yandex_garbage_json_is_bad_response():
    api = FakeApi().add("GET", f"{YM}/v2/campaigns", reply(200, text="{not json"))
    transport = SpecValidatingTransport(M.YANDEX, api.transport, strict=False)  # the reply itself breaks the spec
    ym = build_client(M.YANDEX, Credentials(YM_KEY), transport=transport, clock=FakeClock())
    with pytest.raises(BadResponse):
        await ym.check_connection()
    assert transport.violations  # and the validator saw it too


async def test_yandex_through_respx_and_the_default_inner_transport():
    """The contract transport also wraps the real httpx transport (respx mocks below it)."""
    with respx.mock(assert_all_called=True) as router:
        router.get(f"{YM}/v2/campaigns").mock(return_value=httpx.Response(200, json={"campaigns": [_campaign(8, 4)]}))
        transport = SpecValidatingTransport(M.YANDEX)
        ym = build_client(M.YANDEX, Credentials(YM_KEY), transport=transport, clock=FakeClock())
        info = await ym.check_connection()
        await ym.aclose()
    assert info.account_id == "4" and transport.calls == [("GET", "/v2/campaigns", 200)]


# ===================================================================================== Wildberries
def wb_url(host: str, path: str, base: str = WB_LOCAL) -> str:
    return base.replace("{category}", host) + path


def wb_api(base: str = WB_LOCAL, hosts=("content", "discounts-prices", "marketplace", "statistics", "seller-analytics",
                                        "finance")) -> FakeApi:
    api = FakeApi()
    for host in hosts:
        api.add("GET", wb_url(host, "/ping", base), reply(200, spec_example(M.WILDBERRIES, "GET", "/ping", category=host)))
    example = spec_example(M.WILDBERRIES, "GET", "/api/v3/warehouses", category="marketplace")
    deleting = {**example[0], "id": 2, "name": "Old", "isDeleting": True}
    api.add("GET", wb_url("marketplace", "/api/v3/warehouses", base), reply(200, [example[0], deleting]))
    return api


@pytest.mark.parametrize("base", [WB_LOCAL, default_base_url(M.WILDBERRIES)])
async def test_wb_full_token(base):
    clock = FakeClock()
    token = make_wb_token(acc=1, s=wb_mask(1, 2, 3, 4, 5, 13), exp=int(clock.now()) + 90 * 86400)
    api = wb_api(base)
    wb, transport, _ = client(M.WILDBERRIES, api, Credentials(token), base_url=base, now=clock.now())
    info = await wb.check_connection()
    pinged = [r.category for r in transport.records if r.path == "/ping"]
    assert pinged == ["content", "discounts-prices", "marketplace", "statistics", "seller-analytics", "finance"]
    assert transport.calls[-1] == ("GET", "/api/v3/warehouses", 200)
    assert [(w.id, w.name) for w in info.warehouses] == [("1", "ул. Троицкая, Подольск, Московская обл.")]
    assert info.warnings == [Warning.WB_BASE_TOKEN]
    assert info.token_type == "base" and info.account_id == "e6ac6604-1d21-415c-905d-3dc0c4a8f2be"
    assert info.account_name == "WB seller e6ac6604"
    assert info.scopes == ["analytics", "content", "finance", "marketplace", "prices", "statistics"]
    assert all(r.headers["Authorization"] == token for r in api.requests)  # no prefix, every host


async def test_wb_partial_personal_read_only_expiring_token():
    clock = FakeClock()
    token = make_wb_token(acc=3, s=wb_mask(1, 5, 30), exp=int(clock.now()) + 3 * 86400)
    wb, transport, _ = client(M.WILDBERRIES, wb_api(), Credentials(token), base_url=WB_LOCAL, now=clock.now())
    info = await wb.check_connection()
    assert [r.category for r in transport.records] == ["content", "statistics"]  # no marketplace: no warehouses
    assert info.warehouses == []
    assert info.warnings == [Warning.KEY_EXPIRES_SOON, Warning.WB_PERSONAL_TOKEN, Warning.WB_READ_ONLY,
                             Warning.WB_MISSING_CATEGORIES]
    assert info.extra["missing_categories"] == ["prices", "marketplace", "analytics", "finance"]


async def test_wb_token_without_needed_categories_pings_common():
    api = FakeApi().add("GET", wb_url("common", "/ping"), reply(200, {"TS": "2026-01-01T00:00:00+03:00", "Status": "OK"}))
    wb, transport, _ = client(M.WILDBERRIES, api, Credentials(make_wb_token(s=wb_mask(7))), base_url=WB_LOCAL)
    info = await wb.check_connection()
    assert [r.category for r in transport.records] == ["common"]
    assert Warning.WB_MISSING_CATEGORIES in info.warnings


async def test_wb_expired_and_non_jwt_tokens_fail_before_any_call():
    clock = FakeClock()
    for token, expected in [(make_wb_token(exp=int(clock.now()) - 1), KeyExpired), ("not-a-jwt-token", AuthError)]:
        wb, transport, _ = client(M.WILDBERRIES, wb_api(), Credentials(token), base_url=WB_LOCAL, now=clock.now())
        with pytest.raises(expected):
            await wb.check_connection()
        assert transport.calls == []


async def test_wb_401_from_ping_uses_the_spec_example():
    body = spec_example(M.WILDBERRIES, "GET", "/ping", 401, category="content")
    api = FakeApi().add("GET", wb_url("content", "/ping"), reply(401, body, content_type="application/problem+json"))
    token = make_wb_token(s=wb_mask(1))
    wb, transport, _ = client(M.WILDBERRIES, api, Credentials(token), base_url=WB_LOCAL)
    with pytest.raises(AuthError) as err:
        await wb.check_connection()
    assert "token is malformed" in (err.value.detail or "")
    assert token not in str(err.value) and transport.calls == [("GET", "/ping", 401)]


async def test_wb_429_with_retry_header_then_success():
    limited = reply(429, spec_example(M.WILDBERRIES, "GET", "/ping", 429, category="content"),
                    headers={"X-Ratelimit-Retry": "2", "X-Ratelimit-Limit": "10", "X-Ratelimit-Reset": "5"},
                    content_type="application/problem+json")
    api = FakeApi().add("GET", wb_url("content", "/ping"), limited, reply(200, {"TS": "2026-01-01T00:00:00+03:00", "Status": "OK"}))
    wb, transport, clock = client(M.WILDBERRIES, api, Credentials(make_wb_token(s=wb_mask(1))), base_url=WB_LOCAL)
    await wb.check_connection()
    assert clock.sleeps == [2.0] and [c[2] for c in transport.calls] == [429, 200]


def test_wb_ping_hosts_match_spec_categories():
    # Every host we ping is a real WB host category in the spec (analytics is "seller-analytics").
    assert set(WB_CATEGORY_HOSTS.values()) <= set(wb_specs())


# ============================================================================================ Ozon
ROLES_EXPIRE = ts("2026-02-18T09:54:23")  # the spec example's expires_at


def ozon_api(roles: dict | None = None, pages: list[dict] | None = None) -> FakeApi:
    api = FakeApi()
    api.add("POST", f"{OZ}/v1/roles", reply(200, roles or spec_example(M.OZON, "POST", "/v1/roles")))
    api.add("POST", f"{OZ}/v1/seller/info", reply(200, spec_example(M.OZON, "POST", "/v1/seller/info")))
    api.add("POST", f"{OZ}/v2/warehouse/list", *[reply(200, p) for p in (pages or [spec_example(M.OZON, "POST", "/v2/warehouse/list")])])
    return api


async def test_ozon_success_with_spec_examples():
    api = ozon_api()
    oz, transport, _ = client(M.OZON, api, Credentials(OZ_KEY, OZ_CLIENT), now=ROLES_EXPIRE - 60 * 86400)
    info = await oz.check_connection()
    assert transport.calls == [("POST", "/v1/roles", 200), ("POST", "/v1/seller/info", 200), ("POST", "/v2/warehouse/list", 200)]
    assert info.account_name == "OOO Romashka" and info.account_id == OZ_CLIENT
    assert info.expires_at == int(ROLES_EXPIRE)
    assert info.warnings == [] and info.scopes == ["Admin", "Posting FBS"]
    assert [(w.id, w.name) for w in info.warehouses] == [("20605650762000", "17023")]
    roles_request = api.requests[0]
    assert roles_request.content == b"" and roles_request.headers["Client-Id"] == OZ_CLIENT
    assert roles_request.headers["Api-Key"] == OZ_KEY
    assert api.bodies()[2] == {"limit": 200}


async def test_ozon_expiry():
    oz, _, _ = client(M.OZON, ozon_api(), Credentials(OZ_KEY, OZ_CLIENT), now=ROLES_EXPIRE - 5 * 86400)
    assert (await oz.check_connection()).warnings == [Warning.KEY_EXPIRES_SOON]
    oz, transport, _ = client(M.OZON, ozon_api(), Credentials(OZ_KEY, OZ_CLIENT), now=ROLES_EXPIRE + 1)
    with pytest.raises(KeyExpired):
        await oz.check_connection()
    assert transport.calls == [("POST", "/v1/roles", 200)]


async def test_ozon_warehouse_cursor_pagination():
    example = spec_example(M.OZON, "POST", "/v2/warehouse/list")
    w = example["warehouses"][0]
    pages = [
        {"cursor": "c-1", "has_next": True, "warehouses": [{**w, "warehouse_id": 1, "name": "One"}]},
        {"cursor": "", "has_next": False, "warehouses": [{**w, "warehouse_id": 2, "name": "Two"}]},
    ]
    api = ozon_api(pages=pages)
    oz, transport, _ = client(M.OZON, api, Credentials(OZ_KEY, OZ_CLIENT), now=ROLES_EXPIRE - 60 * 86400)
    info = await oz.check_connection()
    assert [w.id for w in info.warehouses] == ["1", "2"]
    assert api.bodies()[2:] == [{"limit": 200}, {"limit": 200, "cursor": "c-1"}]


async def test_ozon_missing_roles_warning():
    roles = {"expires_at": "2026-02-18T09:54:23.296Z",
             "roles": [{"name": "Posting FBS", "methods": ["/v4/posting/fbs/unfulfilled/list", "/v3/posting/fbs/get"]}]}
    oz, _, _ = client(M.OZON, ozon_api(roles=roles), Credentials(OZ_KEY, OZ_CLIENT), now=ROLES_EXPIRE - 60 * 86400)
    info = await oz.check_connection()
    assert info.warnings == [Warning.OZON_MISSING_ROLES]
    assert info.extra["missing_roles"] == ["stocks", "prices"]


async def test_ozon_seller_info_and_warehouses_denied_degrade():
    denied = reply(403, {"code": 7, "message": "Api-Key is missing a required role for a method", "details": []})
    api = FakeApi().add("POST", f"{OZ}/v1/roles", reply(200, spec_example(M.OZON, "POST", "/v1/roles")))
    api.add("POST", f"{OZ}/v1/seller/info", denied).add("POST", f"{OZ}/v2/warehouse/list", denied)
    oz, _, _ = client(M.OZON, api, Credentials(OZ_KEY, OZ_CLIENT), now=ROLES_EXPIRE - 60 * 86400)
    info = await oz.check_connection()
    assert info.account_name == f"Ozon {OZ_CLIENT}" and info.warehouses == []
    assert info.extra["missing_roles"] == ["warehouses"] and Warning.OZON_MISSING_ROLES in info.warnings


@pytest.mark.parametrize(
    "status, message, expected",
    [
        (401, "Invalid Api-Key, please check the key and try again", AuthError),
        (403, "Api-key is deactivated, use another one or generate a new one", KeyExpired),
        (403, "Api-Key is restricted to specific IP addresses", IpRestricted),
        (403, "Api-Key is missing a required role for a method", PermissionDenied),
    ],
)
async def test_ozon_auth_errors(status, message, expected):
    api = FakeApi().add("POST", f"{OZ}/v1/roles", reply(status, {"code": 16, "message": message, "details": []}))
    oz, transport, _ = client(M.OZON, api, Credentials(OZ_KEY, OZ_CLIENT))
    with pytest.raises(expected) as err:
        await oz.check_connection()
    assert type(err.value) is expected and OZ_KEY not in str(err.value)
    assert transport.calls == [("POST", "/v1/roles", status)]


async def test_ozon_rate_limit_text_then_success():
    limited = reply(429, {"code": 8, "message": "You have reached request rate limit per second", "details": []})
    api = ozon_api()
    api._routes[("POST", f"{OZ}/v1/roles")].appendleft(limited)
    oz, transport, clock = client(M.OZON, api, Credentials(OZ_KEY, OZ_CLIENT), now=ROLES_EXPIRE - 60 * 86400)
    await oz.check_connection()
    assert clock.sleeps == [1.0] and transport.calls[0] == ("POST", "/v1/roles", 429)


def test_ozon_client_id_is_required():
    with pytest.raises(AuthError):
        build_client(M.OZON, Credentials(OZ_KEY))


# ======================================================================================== secrets
async def test_keys_never_reach_logs_or_errors(caplog):
    caplog.set_level(logging.DEBUG)
    echo = {"code": 16, "message": f"Invalid Api-Key {OZ_KEY}", "details": []}
    api = FakeApi().add("POST", f"{OZ}/v1/roles", reply(401, echo))
    oz, _, _ = client(M.OZON, api, Credentials(OZ_KEY, OZ_CLIENT))
    with pytest.raises(AuthError) as err:
        await oz.check_connection()
    token = make_wb_token()
    wb, _, _ = client(M.WILDBERRIES, wb_api(), Credentials(token), base_url=WB_LOCAL)
    await wb.check_connection()
    ym, _, _ = client(M.YANDEX, FakeApi().add("GET", f"{YM}/v2/campaigns", reply(200, {"campaigns": [_campaign(1, 2)]})), Credentials(YM_KEY))
    await ym.check_connection()
    for secret in (OZ_KEY, token, YM_KEY):
        assert secret not in caplog.text
    assert OZ_KEY not in str(err.value) and OZ_KEY not in repr(err.value.args) and OZ_KEY not in (err.value.detail or "")
    assert "POST /v1/roles -> 401" in caplog.text and "GET /ping -> 200" in caplog.text
    assert "Invalid Api-Key ***" in (err.value.detail or "")
