"""The shared HTTP core: retries, rate-limit replies of each marketplace, error mapping, redaction."""
from __future__ import annotations

import email.utils
import logging
import random

import httpx
import pytest

from connectors.base import (
    AuthError,
    BadResponse,
    IpRestricted,
    KeyExpired,
    MarketplaceUnavailable,
    PermissionDenied,
    RateLimited,
)
from connectors.clock import FakeClock
from connectors.http import (
    BACKOFF_CAP,
    MAX_ATTEMPTS,
    MAX_INLINE_WAIT,
    HttpCore,
    Reply,
    backoff_delay,
    http_date_header,
    parse_model,
    redact,
)
from connectors.ozon.errors import OZON_POLICY
from connectors.ozon.limits import OZON_CIRCLE_OPEN_WAIT
from connectors.uzum.errors import UZUM_POLICY
from connectors.wildberries.errors import WB_POLICY
from connectors.yandex.errors import YANDEX_POLICY
from tests.support import FakeApi, reply

BASE = "https://api.test"
KEY = "SECRET-key-0123456789abcdef"


def core(api: FakeApi, policy=UZUM_POLICY, **kw) -> tuple[HttpCore, FakeClock]:
    clock = FakeClock()
    http = HttpCore(policy=policy, base_url=BASE, auth_headers={"Authorization": KEY}, transport=api.transport,
                    clock=clock, rng=random.Random(1), **kw)
    return http, clock


def rfc822(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


# ------------------------------------------------------------------------------------------ retries
async def test_success_returns_response_and_sends_key_only_in_header():
    api = FakeApi().add("GET", f"{BASE}/v1/x", reply(200, {"ok": True}))
    http, clock = core(api)
    assert await http.request_json("GET", "/v1/x", params={"a": "1"}) == {"ok": True}
    assert api.requests[0].headers["Authorization"] == KEY
    assert KEY not in str(api.requests[0].url)
    assert clock.sleeps == []


async def test_5xx_then_success_retries_with_backoff():
    api = FakeApi().add("GET", f"{BASE}/v1/x", reply(503), reply(502), reply(200, {"ok": 1}))
    http, clock = core(api)
    assert await http.request_json("GET", "/v1/x") == {"ok": 1}
    assert len(api.requests) == 3
    assert len(clock.sleeps) == 2 and clock.sleeps[0] < clock.sleeps[1] * 2  # exponential, jittered


async def test_retries_stop_after_max_attempts_on_5xx():
    api = FakeApi().add("GET", f"{BASE}/v1/x", reply(500, {"message": "Internal error"}))
    http, clock = core(api)
    with pytest.raises(MarketplaceUnavailable) as err:
        await http.request("GET", "/v1/x")
    assert len(api.requests) == MAX_ATTEMPTS
    assert len(clock.sleeps) == MAX_ATTEMPTS - 1  # no pointless sleep after the last try
    assert err.value.status == 500


@pytest.mark.parametrize("exc", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.ConnectTimeout("x")])
async def test_network_errors_and_timeouts_are_retried_then_unavailable(exc):
    api = FakeApi().add("GET", f"{BASE}/v1/x", exc)
    http, _ = core(api)
    with pytest.raises(MarketplaceUnavailable):
        await http.request("GET", "/v1/x")
    assert len(api.requests) == MAX_ATTEMPTS


async def test_timeout_then_success():
    api = FakeApi().add("GET", f"{BASE}/v1/x", httpx.ReadTimeout("slow"), reply(200, []))
    http, _ = core(api)
    assert await http.request_json("GET", "/v1/x") == []


async def test_non_idempotent_write_is_not_retried_after_a_timeout_but_is_after_a_rate_limit():
    api = FakeApi().add("POST", f"{BASE}/v1/w", httpx.ReadTimeout("slow"), reply(200, {}))
    http, _ = core(api)
    with pytest.raises(MarketplaceUnavailable):
        await http.request("POST", "/v1/w", json_body={"a": 1}, idempotent=False)
    assert len(api.requests) == 1  # the write may have been applied: do not send it twice

    api = FakeApi().add("POST", f"{BASE}/v1/w", reply(429, {}, headers={"Retry-After": "1"}), reply(200, {}))
    http, clock = core(api)
    await http.request("POST", "/v1/w", json_body={"a": 1}, idempotent=False)
    assert len(api.requests) == 2 and clock.sleeps == [1.0]


async def test_4xx_is_not_retried():
    api = FakeApi().add("GET", f"{BASE}/v1/x", reply(400, {"message": "bad"}))
    http, clock = core(api)
    with pytest.raises(BadResponse):
        await http.request("GET", "/v1/x")
    assert len(api.requests) == 1 and clock.sleeps == []


def test_backoff_is_bounded_and_jittered():
    rng = random.Random(7)
    delays = [backoff_delay(a, rng) for a in range(1, 12)]
    assert all(0 < d <= BACKOFF_CAP for d in delays)
    assert len({round(backoff_delay(1, rng), 6) for _ in range(20)}) > 1


# ------------------------------------------------------------------------------------ rate limits
async def test_wb_429_retry_header_short_wait_is_slept_exactly():
    api = FakeApi().add("GET", f"{BASE}/ping", reply(429, {"title": "too many requests"}, headers={"X-Ratelimit-Retry": "7"}),
                        reply(200, {"Status": "OK"}))
    http, clock = core(api, WB_POLICY)
    await http.request("GET", "/ping")
    assert clock.sleeps == [7.0]  # the server's number, not our backoff


async def test_wb_429_long_wait_raises_rate_limited_without_retrying():
    api = FakeApi().add("GET", f"{BASE}/ping", reply(429, {"title": "too many requests"}, headers={"X-Ratelimit-Retry": "60"}))
    http, clock = core(api, WB_POLICY)
    with pytest.raises(RateLimited) as err:
        await http.request("GET", "/ping")
    assert err.value.retry_after == 60.0
    assert len(api.requests) == 1 and clock.sleeps == []


async def test_yandex_420_until_header():
    clock_now = FakeClock().now()
    short = reply(420, {"status": "ERROR", "errors": [{"code": "LIMIT_EXCEEDED", "message": "Hit rate limit"}]},
                  headers={"X-RateLimit-Resource-Until": rfc822(clock_now + 5)})
    api = FakeApi().add("GET", f"{BASE}/v2/campaigns", short, reply(200, {"campaigns": []}))
    http, clock = core(api, YANDEX_POLICY)
    await http.request("GET", "/v2/campaigns")
    assert clock.sleeps == [5.0]

    long = reply(420, {"status": "ERROR", "errors": [{"code": "LIMIT_EXCEEDED", "message": "Hit rate limit"}]},
                 headers={"X-RateLimit-Resource-Until": rfc822(clock_now + 3600)})
    api = FakeApi().add("GET", f"{BASE}/v2/campaigns", long)
    http, clock = core(api, YANDEX_POLICY)
    with pytest.raises(RateLimited) as err:
        await http.request("GET", "/v2/campaigns")
    assert err.value.retry_after == pytest.approx(3600, abs=1)
    assert "Hit rate limit" in (err.value.detail or "")


async def test_yandex_420_without_header_uses_backoff_then_gives_up_with_retry_after():
    api = FakeApi().add("GET", f"{BASE}/v2/campaigns",
                        reply(420, {"status": "ERROR", "errors": [{"code": "LIMIT", "message": "Hit rate limit of 4 parallel requests"}]}))
    http, clock = core(api, YANDEX_POLICY)
    with pytest.raises(RateLimited) as err:
        await http.request("GET", "/v2/campaigns")
    assert len(api.requests) == MAX_ATTEMPTS
    assert err.value.retry_after is not None and err.value.retry_after > 0


@pytest.mark.parametrize("status", [429, 400, 403])
async def test_ozon_per_second_limit_text_is_a_rate_limit_whatever_the_status(status):
    limited = reply(status, {"code": 8, "message": "You have reached request rate limit per second", "details": []})
    api = FakeApi().add("POST", f"{BASE}/v1/roles", limited, reply(200, {"roles": []}))
    http, clock = core(api, OZON_POLICY)
    await http.request("POST", "/v1/roles")
    assert clock.sleeps == [1.0]


async def test_ozon_circle_open_hands_the_wait_back():
    api = FakeApi().add("POST", f"{BASE}/v1/roles", reply(429, {"code": 14, "message": "Circle is open", "details": []}))
    http, _ = core(api, OZON_POLICY)
    with pytest.raises(RateLimited) as err:
        await http.request("POST", "/v1/roles")
    assert err.value.retry_after == OZON_CIRCLE_OPEN_WAIT > MAX_INLINE_WAIT
    assert len(api.requests) == 1


async def test_ozon_retry_after_header_wins_over_estimate():
    api = FakeApi().add("POST", f"{BASE}/v1/roles",
                        reply(429, {"message": "Circle is open"}, headers={"Retry-After": "3"}), reply(200, {}))
    http, clock = core(api, OZON_POLICY)
    await http.request("POST", "/v1/roles")
    assert clock.sleeps == [3.0]


async def test_uzum_429_repeated_ends_in_rate_limited():
    api = FakeApi().add("GET", f"{BASE}/v1/shops", reply(429, {"errors": [{"message": "Too many requests"}]}))
    http, clock = core(api, UZUM_POLICY)
    with pytest.raises(RateLimited) as err:
        await http.request("GET", "/v1/shops")
    assert len(api.requests) == MAX_ATTEMPTS
    assert len(clock.sleeps) == MAX_ATTEMPTS - 1
    assert err.value.retry_after is not None


def test_http_date_header_parses_rfc822_and_ignores_garbage():
    now = 1_800_000_000.0
    r = Reply(420, httpx.Headers({"X-RateLimit-Resource-Until": rfc822(now + 42)}), None, "")
    assert http_date_header(r, "X-RateLimit-Resource-Until", now) == pytest.approx(42)
    r = Reply(420, httpx.Headers({"X-RateLimit-Resource-Until": "soon"}), None, "")
    assert http_date_header(r, "X-RateLimit-Resource-Until", now) is None
    r = Reply(420, httpx.Headers({"X-RateLimit-Resource-Until": rfc822(now - 10)}), None, "")
    assert http_date_header(r, "X-RateLimit-Resource-Until", now) == 0.0


# ---------------------------------------------------------------------------------- error mapping
@pytest.mark.parametrize(
    "status, message, expected",
    [
        (401, "Invalid Api-Key, please check the key and try again", AuthError),
        (403, "Api-key is deactivated, use another one or generate a new one", KeyExpired),
        (403, "Api-Key is missing a required role for a method", PermissionDenied),
        (403, "Api-Key is restricted to specific IP addresses", IpRestricted),
        (403, "something else", PermissionDenied),
        (401, "anything", AuthError),
        (404, "not found", BadResponse),
    ],
)
async def test_ozon_error_texts_map_to_types(status, message, expected):
    api = FakeApi().add("POST", f"{BASE}/v1/roles", reply(status, {"code": 16, "message": message, "details": []}))
    http, _ = core(api, OZON_POLICY)
    with pytest.raises(expected) as err:
        await http.request("POST", "/v1/roles")
    assert type(err.value) is expected
    assert err.value.status == status


async def test_unparsable_json_is_bad_response():
    api = FakeApi().add("GET", f"{BASE}/v1/x", reply(200, text="<html>oops</html>", content_type="text/html"))
    http, _ = core(api)
    with pytest.raises(BadResponse):
        await http.request_json("GET", "/v1/x")


def test_parse_model_reports_locations_not_values():
    from pydantic import BaseModel

    class M(BaseModel):
        id: int

    with pytest.raises(BadResponse) as err:
        parse_model(M, {"id": f"not-a-number-{KEY}"}, "test")
    assert KEY not in str(err.value) and "id" in str(err.value)


# -------------------------------------------------------------------------------------- redaction
async def test_key_never_in_logs_or_exceptions(caplog):
    caplog.set_level(logging.DEBUG)
    echo = reply(401, {"errors": [{"message": f"token {KEY} is invalid"}]})
    api = FakeApi().add("GET", f"{BASE}/v1/shops", echo)
    http, _ = core(api)
    with pytest.raises(AuthError) as err:
        await http.request("GET", "/v1/shops")
    assert KEY not in str(err.value) and KEY not in (err.value.detail or "")
    assert "***" in (err.value.detail or "")
    assert KEY not in caplog.text
    assert "GET /v1/shops -> 401" in caplog.text  # method, path and status are logged


def test_redact():
    assert redact(f"a {KEY} b", [KEY]) == "a *** b"
    assert redact("short ab", ["ab"]) == "short ab"  # too short to redact by substring


async def test_error_detail_is_short():
    api = FakeApi().add("GET", f"{BASE}/v1/x", reply(400, {"message": "x" * 5000}))
    http, _ = core(api)
    with pytest.raises(BadResponse) as err:
        await http.request("GET", "/v1/x")
    assert len(err.value.detail or "") <= 200
    assert len(str(err.value)) < 300
