"""Yandex Market Partner API stand-in, mounted at /yandex (real base: https://api.partner.market.yandex.ru).

Spec: specs/yandex/partner-api/openapi (paths v2_campaigns.yaml, v2_campaigns_campaignId.yaml,
v2_auth_token.yaml). Errors: `{"status": "ERROR", "errors": [{"code", "message"}]}`; limits:
420 Enhance Your Calm, and every reply carries X-RateLimit-Resource-Limit/-Remaining/-Until
(MARKETPLACES.md §2.3).
"""
from __future__ import annotations

import base64
import binascii
import json
import math
from datetime import datetime, timezone
from email.utils import format_datetime

from aiohttp import web

from sandbox.marketplaces.accounts import SandboxState, YandexApiKey, YandexBusiness, YandexCampaign
from sandbox.marketplaces.common import (
    ACCOUNT,
    QUOTA,
    Controls,
    Dialect,
    INJECTED_RATE_LIMIT_WAIT,
    Quota,
    STATE,
    Reply,
    json_response,
    marketplace_app,
    read_credential,
)

HOUR = 3600
# Requests per hour per cabinet, from each operation's x-resource-limit-config in the spec.
RESOURCE_LIMITS = {"getCampaigns": 1000, "getCampaign": 5000, "getAuthTokenInfo": 100}
DEFAULT_RESOURCE_LIMIT = 1000
MAX_LIMIT = 100  # PageLimit100WithoutDefault
DEFAULT_PAGE_SIZE = 50  # for the deprecated page/pageSize paging (the spec gives no default)

# Scopes that open each method (x-auth-scopes; the same list for all three methods served here),
# written as ApiKeyScopeType values.
ANY_SCOPE = frozenset(
    {
        "ALL_METHODS",
        "ALL_METHODS_READ_ONLY",
        "SETTINGS_MANAGEMENT",
        "FINANCE_AND_ACCOUNTING",
        "OFFERS_AND_CARDS_MANAGEMENT",
        "OFFERS_AND_CARDS_MANAGEMENT_READ_ONLY",
        "PRICING",
        "PRICING_READ_ONLY",
        "INVENTORY_AND_ORDER_PROCESSING",
        "INVENTORY_AND_ORDER_PROCESSING_READ_ONLY",
        "PROMOTION",
        "PROMOTION_READ_ONLY",
        "COMMUNICATION",
        "SUPPLIES_MANAGEMENT_READ_ONLY",
    }
)

# Error codes by HTTP status. UNAUTHORIZED is the docs' example (error-codes page); METHOD_FAILURE
# for 420 is what a real 420 body quoted in third-party code carries; the others are a sandbox choice.
ERROR_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    420: "METHOD_FAILURE",
    500: "INTERNAL_ERROR",
}


def error_response(status: int, message: str) -> web.Response:
    body = {"status": "ERROR", "errors": [{"code": ERROR_CODES.get(status, "ERROR"), "message": message}]}
    return json_response(body, status=status)


def resource_of(request: web.Request) -> str:
    """The limited resource: the operation, e.g. "getCampaigns"."""
    return request.match_info.route.name or request.path


def resource_path(request: web.Request) -> str:
    """The resource as Yandex names it in limit messages, e.g. "/v2/campaigns/{campaignId}"."""
    resource = request.match_info.route.resource
    return (resource.canonical if resource else request.path).removeprefix(YandexDialect.prefix)


def rfc822(timestamp: float) -> str:
    return format_datetime(datetime.fromtimestamp(timestamp, timezone.utc), usegmt=True)


class YandexDialect(Dialect):
    name = "yandex"
    prefix = "/yandex"

    def __init__(self, state: SandboxState):
        self.state = state

    def authenticate(self, request: web.Request) -> YandexApiKey:
        key = read_credential(request, "Api-Key")
        if key is None:
            raise Reply(error_response(401, "Credentials are not specified"))
        if key.lower().startswith("bearer "):
            raise Reply(error_response(401, "Api-Key token prefix invalid"))
        account = self.state.yandex.get(key)
        if account is None:
            raise Reply(error_response(401, "Api-Key token is invalid"))
        # Limits are counted per cabinet; 4xx replies count too.
        resource = resource_of(request)
        limit = RESOURCE_LIMITS.get(resource, DEFAULT_RESOURCE_LIMIT)
        quota = self.state.quotas.get_quota(("yandex", account.business.id, resource), limit, HOUR)
        request[QUOTA] = quota
        if not quota.take(self.state.clock()) and self.state.enforce_rate_limits:
            raise Reply(self.limit_reply(request, limit, quota.resets_in(self.state.clock())))
        if not ANY_SCOPE & set(account.scopes):
            raise Reply(error_response(403, "Token does not have any of the scopes to access the API method"))
        return account

    def error(self, request: web.Request, status: int, message: str) -> web.Response:
        return error_response(status, message)

    def limit_reply(self, request: web.Request, limit: int, wait: float) -> web.Response:
        """420 "Hit rate limit…"; the client may retry after X-RateLimit-Resource-Until."""
        message = f"Hit rate limit of {limit} requests per 1 hour for resource {resource_path(request)}"
        response = error_response(420, message)
        response.headers["X-RateLimit-Resource-Limit"] = str(limit)
        response.headers["X-RateLimit-Resource-Remaining"] = "0"
        response.headers["X-RateLimit-Resource-Until"] = rfc822(self.state.clock() + wait)
        return response

    def rate_limited(self, request: web.Request) -> web.Response:
        limit = RESOURCE_LIMITS.get(resource_of(request), DEFAULT_RESOURCE_LIMIT)
        return self.limit_reply(request, limit, INJECTED_RATE_LIMIT_WAIT)

    def finish(self, request: web.Request, response: web.StreamResponse) -> None:
        now = self.state.clock()
        quota: Quota | None = request.get(QUOTA)
        if quota is None:  # not authenticated: show a fresh window
            limit = RESOURCE_LIMITS.get(resource_of(request), DEFAULT_RESOURCE_LIMIT)
            quota = Quota(limit, HOUR, window_start=now)
        response.headers.setdefault("X-RateLimit-Resource-Limit", str(quota.limit))
        response.headers.setdefault("X-RateLimit-Resource-Remaining", str(quota.remaining))
        response.headers.setdefault("X-RateLimit-Resource-Until", rfc822(now + quota.resets_in(now)))


# --------------------------------------------------------------------------------------------
# Handlers
# --------------------------------------------------------------------------------------------
def campaign_json(campaign: YandexCampaign, business: YandexBusiness) -> dict:
    """CampaignDTO."""
    return {
        "id": campaign.id,
        "domain": campaign.domain,
        "clientId": campaign.client_id,
        "business": {"id": business.id, "name": business.name},
        "placementType": campaign.placement_type,
        "apiAvailability": campaign.api_availability,
    }


def encode_page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def decode_page_token(token: str) -> int:
    try:
        offset = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise Reply(error_response(400, "Invalid page token")) from None
    if not isinstance(offset, int) or offset < 0:
        raise Reply(error_response(400, "Invalid page token"))
    return offset


def int_param(request: web.Request, name: str, *, low: int, high: int | None = None) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise Reply(error_response(400, f"Invalid value of parameter {name}: '{raw}'")) from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"greater than or equal to {low}"
        raise Reply(error_response(400, f"Value of {name} ({value}) must be {bound}"))
    return value


async def get_campaigns(request: web.Request) -> web.Response:
    """GET /v2/campaigns: pageToken (alias page_token) + limit ≤ 100; page/pageSize deprecated."""
    account: YandexApiKey = request[ACCOUNT]
    business = account.business
    campaigns = [campaign_json(c, business) for c in business.campaigns]
    token = request.query.get("pageToken") or request.query.get("page_token")
    limit = int_param(request, "limit", low=1, high=MAX_LIMIT)

    if token is None and limit is None and ("page" in request.query or "pageSize" in request.query):
        page = int_param(request, "page", low=1, high=10000) or 1
        size = int_param(request, "pageSize", low=1, high=MAX_LIMIT) or DEFAULT_PAGE_SIZE
        start = (page - 1) * size
        items = campaigns[start : start + size]
        pager = {
            "total": len(campaigns),
            "from": start + 1 if items else 0,
            "to": start + len(items),
            "currentPage": page,
            "pagesCount": math.ceil(len(campaigns) / size),
            "pageSize": size,
        }
        return json_response({"campaigns": items, "pager": pager})

    offset = decode_page_token(token) if token else 0
    items = campaigns[offset : offset + limit] if limit else campaigns[offset:]
    paging = {}
    if offset + len(items) < len(campaigns):
        paging["nextPageToken"] = encode_page_token(offset + len(items))
    return json_response({"campaigns": items, "paging": paging})


async def get_campaign(request: web.Request) -> web.Response:
    account: YandexApiKey = request[ACCOUNT]
    raw = request.match_info["campaignId"]
    if not raw.isdigit() or int(raw) < 1:
        raise Reply(error_response(400, f"Invalid campaignId: '{raw}'"))
    campaign_id = int(raw)
    for campaign in account.business.campaigns:
        if campaign.id == campaign_id:
            return json_response({"campaign": campaign_json(campaign, account.business)})
    state: SandboxState = request.app[STATE]
    if any(c.id == campaign_id for key in state.yandex.values() for c in key.business.campaigns):
        raise Reply(error_response(403, "Access denied"))  # another cabinet's shop
    raise Reply(error_response(404, f"Campaign not found: '{campaign_id}'"))


async def get_auth_token_info(request: web.Request) -> web.Response:
    account: YandexApiKey = request[ACCOUNT]
    return json_response({"status": "OK", "result": {"apiKey": {"name": account.name, "authScopes": account.scopes}}})


def build_yandex_app(state: SandboxState, controls: Controls) -> web.Application:
    return marketplace_app(
        YandexDialect(state),
        controls,
        state,
        [
            web.get("/v2/campaigns", get_campaigns, name="getCampaigns"),
            web.get("/v2/campaigns/{campaignId}", get_campaign, name="getCampaign"),
            web.post("/v2/auth/token", get_auth_token_info, name="getAuthTokenInfo"),
        ],
    )
