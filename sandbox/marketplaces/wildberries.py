"""Wildberries API stand-in, mounted at /wb/{category}: one "host" per category, so the bot's
template WILDBERRIES_API_URL=http://127.0.0.1:PORT/wb/{category} maps
`https://{category}-api.wildberries.ru` to `…/wb/{category}`.

Specs: specs/wildberries/ru-yaml-2026-03-11/01-general.yaml (/ping, /api/v1/seller-info) and
02-products.yaml (/api/v3/warehouses). Auth errors and 429 are problem+json
`{title, detail, code, requestId, origin, status, statusText, timestamp}`; 429 carries
X-Ratelimit-Retry/-Limit/-Reset, every other reply X-Ratelimit-Remaining (MARKETPLACES.md §3).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from typing import Any

from aiohttp import web

from sandbox.marketplaces.accounts import (
    WB_CATEGORY_POSITIONS,
    WB_READ_ONLY_BIT,
    SandboxState,
    WbSeller,
    decode_wb_token,
    wb_bit,
)
from sandbox.marketplaces.common import (
    ACCOUNT,
    INJECTED_RATE_LIMIT_WAIT,
    QUOTA,
    Controls,
    Dialect,
    Quota,
    Reply,
    json_response,
    marketplace_app,
    read_credential,
)

# URL category (the host name without "-api") → the token category it needs
# (the /ping description's table). common-api answers a token of any category.
WB_HOST_CATEGORY: dict[str, str | None] = {
    "content": "content",
    "seller-analytics": "analytics",
    "discounts-prices": "prices",
    "marketplace": "marketplace",
    "statistics": "statistics",
    "advert": "promotion",
    "feedbacks": "feedbacks",
    "buyer-chat": "buyers_chat",
    "supplies": "supplies",
    "returns": "returns",
    "documents": "documents",
    "finance": "finance",
    "user-management": "users",
    "common": None,
}

DAY = 24 * 60 * 60
# (requests, period in s) per method: /ping "3 requests every 30 seconds" per host; warehouses
# 300/min; seller-info 1/min with burst 10, but 1 per 24 h for Base tokens (en-json x-wb-rate-limits).
LIMITS = {"ping": (3, 30), "warehouses": (300, 60), "seller-info": (10, 60)}
BASE_TOKEN_LIMITS = {"seller-info": (1, DAY)}
MOSCOW = timezone(timedelta(hours=3))


@dataclass
class WbCaller:
    seller: WbSeller
    claims: dict[str, Any]

    @property
    def is_base_token(self) -> bool:
        return self.claims.get("acc") == 1

    @property
    def read_only(self) -> bool:
        return bool(self.scopes & wb_bit(WB_READ_ONLY_BIT))

    @property
    def scopes(self) -> int:
        s = self.claims.get("s")
        return s if isinstance(s, int) and not isinstance(s, bool) else 0


def category_of(request: web.Request) -> str:
    """The WB "host" of the request: "/wb/content/ping" → "content"."""
    return request.path.removeprefix(WildberriesDialect.prefix + "/").split("/")[0]


def problem(request: web.Request, status: int, title: str, detail: str, headers: dict | None = None) -> web.Response:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    body = {
        "title": title,
        "detail": detail,
        "code": uuid.uuid4().hex[:12],
        "requestId": uuid.uuid4().hex,
        "origin": f"s2s-api-auth-{category_of(request) or 'wb'}",
        "status": status,
        "statusText": HTTPStatus(status).phrase,
        "timestamp": now.isoformat().replace("+00:00", "Z"),
    }
    return json_response(body, status=status, headers=headers, content_type="application/problem+json")


def unauthorized(request: web.Request, detail: str) -> Reply:
    return Reply(problem(request, 401, "unauthorized", detail))


class WildberriesDialect(Dialect):
    name = "wildberries"
    prefix = "/wb"

    def __init__(self, state: SandboxState):
        self.state = state

    def authenticate(self, request: web.Request) -> WbCaller:
        category = category_of(request)
        if category not in WB_HOST_CATEGORY:
            raise Reply(self.error(request, 404, f"unknown WB API host {category}-api"))
        token = read_credential(request, "Authorization")
        if token is None:
            raise unauthorized(request, "empty Authorization header")
        try:
            claims = decode_wb_token(token)
        except ValueError as exc:
            raise unauthorized(request, f"token problem; {exc}") from None
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or exp <= self.state.clock():
            raise unauthorized(request, "token problem; token is expired")
        seller = self.state.wildberries.get(claims.get("sid", ""))
        if seller is None:
            raise unauthorized(request, "token problem; seller not found")
        if claims.get("acc") == 2 or claims.get("t") is True:
            # A test token works only on the *-sandbox hosts (api-information.json, "Test token").
            raise unauthorized(request, "token problem; test token is valid in the sandbox only")
        caller = WbCaller(seller, claims)
        needed = WB_HOST_CATEGORY[category]
        if needed is not None and not caller.scopes & wb_bit(WB_CATEGORY_POSITIONS[needed]):
            raise unauthorized(request, "token scope not allowed")
        self._take_quota(request, caller)
        return caller

    def _take_quota(self, request: web.Request, caller: WbCaller) -> None:
        method = request.match_info.route.name or "other"
        limit, period = LIMITS.get(method, (300, 60))
        if caller.is_base_token:
            limit, period = BASE_TOKEN_LIMITS.get(method, (limit, period))
        key = ("wildberries", caller.seller.sid, category_of(request), method)
        quota = self.state.quotas.get_quota(key, limit, period)
        request[QUOTA] = quota
        now = self.state.clock()
        if not quota.take(now) and self.state.enforce_rate_limits:
            wait = max(1, round(quota.resets_in(now)))
            raise Reply(self._too_many(request, limit=limit, retry=wait, reset=wait))

    def _too_many(self, request: web.Request, *, limit: int, retry: int, reset: int) -> web.Response:
        headers = {"X-Ratelimit-Retry": str(retry), "X-Ratelimit-Limit": str(limit), "X-Ratelimit-Reset": str(reset)}
        detail = f"limited by {uuid.uuid4()}"
        return problem(request, 429, "too many requests", detail, headers=headers)

    def error(self, request: web.Request, status: int, message: str) -> web.Response:
        return problem(request, status, HTTPStatus(status).phrase.lower(), message)

    def rate_limited(self, request: web.Request) -> web.Response:
        wait = INJECTED_RATE_LIMIT_WAIT
        return self._too_many(request, limit=LIMITS["ping"][0], retry=wait, reset=wait)

    def finish(self, request: web.Request, response: web.StreamResponse) -> None:
        if response.status == 429:
            return
        quota: Quota | None = request.get(QUOTA)
        remaining = quota.remaining if quota else LIMITS.get(request.match_info.route.name or "", (300, 60))[0]
        response.headers.setdefault("X-Ratelimit-Remaining", str(remaining))


# --------------------------------------------------------------------------------------------
# Handlers
# --------------------------------------------------------------------------------------------
async def ping(request: web.Request) -> web.Response:
    """GET https://{category}-api.wildberries.ru/ping"""
    ts = datetime.now(MOSCOW).replace(microsecond=0).isoformat()
    return json_response({"TS": ts, "Status": "OK"})


async def list_warehouses(request: web.Request) -> web.Response:
    """GET https://marketplace-api.wildberries.ru/api/v3/warehouses (schema Warehouse)."""
    caller: WbCaller = request[ACCOUNT]
    return json_response(
        [
            {
                "name": w.name,
                "officeId": w.office_id,
                "id": w.id,
                "cargoType": w.cargo_type,
                "deliveryType": w.delivery_type,
                "isDeleting": False,
                "isProcessing": False,
            }
            for w in caller.seller.warehouses
        ]
    )


async def seller_info(request: web.Request) -> web.Response:
    """GET https://common-api.wildberries.ru/api/v1/seller-info"""
    caller: WbCaller = request[ACCOUNT]
    seller = caller.seller
    return json_response({"name": seller.name, "sid": seller.sid, "tradeMark": seller.trade_mark})


def build_wildberries_app(state: SandboxState, controls: Controls) -> web.Application:
    return marketplace_app(
        WildberriesDialect(state),
        controls,
        state,
        [
            web.get("/{category}/ping", ping, name="ping"),
            web.get("/marketplace/api/v3/warehouses", list_warehouses, name="warehouses"),
            web.get("/common/api/v1/seller-info", seller_info, name="seller-info"),
        ],
    )
