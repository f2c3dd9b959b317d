"""Yandex Market Partner API client (official spec: specs/yandex/partner-api, MARKETPLACES.md §2)."""
from __future__ import annotations

from collections.abc import AsyncIterator
from importlib import metadata

import httpx
from pydantic import BaseModel, ConfigDict

from connectors.base import (
    BadResponse,
    Choice,
    ConnectionInfo,
    Credentials,
    Marketplace,
    NoShops,
)
from connectors.http import (
    BaseClient,
    Clock,
    ErrorPolicy,
    HttpCore,
    RateLimitSignal,
    Reply,
    first_text,
    http_date_header,
    parse_model,
)

# `limit` of GET /v2/campaigns (PageLimit100WithoutDefault: 1..100).
CAMPAIGNS_PAGE_LIMIT = 100
# A loop guard: 100 pages x 100 campaigns is far beyond any real cabinet.
MAX_PAGES = 100


def _integration_header() -> str:
    """`X-Market-Integration: <name>/<version>` labels our calls in the cabinet's request log."""
    try:
        version = metadata.version("sellercloudx-bot")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"SellerCloudX/{version}"


# ----------------------------------------------------------------------------------- error policy
def _yandex_message(reply: Reply) -> str | None:
    # ApiErrorResponse: {"status": "ERROR", "errors": [{"code": "...", "message": "..."}]}
    body = reply.body
    if not isinstance(body, dict):
        return None
    errors = body.get("errors")
    if isinstance(errors, list):
        texts = [
            first_text(e.get("message"), e.get("code")) for e in errors if isinstance(e, dict)
        ]
        return "; ".join(t for t in texts if t) or None
    return None


def _yandex_rate_limit(reply: Reply, now: float) -> RateLimitSignal | None:
    # 420 Enhance Your Calm; resource limits say when they reset in X-RateLimit-Resource-Until (RFC 822).
    # The parallel-requests 420 carries no such header: then we back off on our own estimate.
    if reply.status == 420:
        return RateLimitSignal(http_date_header(reply, "X-RateLimit-Resource-Until", now))
    return None


# No classify(): the status defaults are Yandex's meaning: 401 bad/missing key -> AuthError, 403 "Token does
# not have any of the scopes" or an inactive shop -> PermissionDenied. Api-Keys never expire.
YANDEX_POLICY = ErrorPolicy(Marketplace.YANDEX, rate_limit=_yandex_rate_limit, message=_yandex_message)


# ------------------------------------------------------------------------------------------ models
class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class YandexBusiness(_Model):
    id: int | None = None
    name: str | None = None


class YandexCampaign(_Model):
    id: int
    domain: str | None = None
    clientId: int | None = None  # deprecated in the spec; a last-resort name only
    business: YandexBusiness | None = None
    placementType: str | None = None
    apiAvailability: str | None = None

    def display_name(self) -> str:
        return (
            self.domain
            or (self.business.name if self.business else None)
            or f"Campaign {self.id}"
        )


class YandexPaging(_Model):
    nextPageToken: str | None = None


class YandexCampaignsPage(_Model):
    campaigns: list[YandexCampaign]
    paging: YandexPaging | None = None


# ------------------------------------------------------------------------------------------ client
class YandexClient(BaseClient):
    marketplace = Marketplace.YANDEX

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        timeout: float = 15.0,
    ):
        self._http = HttpCore(
            policy=YANDEX_POLICY,
            base_url=base_url,
            # Api-Key exactly as issued: a `Bearer ` prefix gives 401 "Api-Key token prefix invalid".
            auth_headers={"Api-Key": credentials.api_key},
            headers={"X-Market-Integration": _integration_header()},
            transport=transport,
            clock=clock,
            timeout=timeout,
        )

    async def iter_campaigns(self) -> AsyncIterator[YandexCampaign]:
        """Every campaign (shop) of the token's cabinet, following pageToken pages."""
        token: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            params: dict[str, str | int] = {"limit": CAMPAIGNS_PAGE_LIMIT}
            if token:
                params["pageToken"] = token
            data = await self._http.request_json("GET", "/v2/campaigns", params=params)
            page = parse_model(YandexCampaignsPage, data, "yandex /v2/campaigns")
            for campaign in page.campaigns:
                yield campaign
            token = page.paging.nextPageToken if page.paging else None
            if not token or not page.campaigns:
                return
            if token in seen:  # a server repeating a token would loop forever
                raise BadResponse("yandex /v2/campaigns: page token repeats")
            seen.add(token)
        raise BadResponse("yandex /v2/campaigns: too many pages")

    async def check_connection(self) -> ConnectionInfo:
        campaigns = [c async for c in self.iter_campaigns()]
        if not campaigns:
            raise NoShops("yandex: the token's cabinet has no campaigns")
        shops = [
            Choice(
                id=str(c.id),
                name=c.display_name(),
                extra={
                    "business_id": str(c.business.id) if c.business and c.business.id else None,
                    "business_name": c.business.name if c.business else None,
                    "placement_type": c.placementType,
                    "api_availability": c.apiAvailability,
                },
            )
            for c in campaigns
        ]
        # An Api-Key belongs to one cabinet (business); keep every id in case an OAuth token spans more.
        businesses: dict[str, str | None] = {}
        for shop in shops:
            if shop.extra["business_id"]:
                businesses.setdefault(shop.extra["business_id"], shop.extra["business_name"])
        single = len(businesses) == 1
        names = [name or f"Business {bid}" for bid, name in businesses.items()]
        return ConnectionInfo(
            marketplace=self.marketplace,
            account_name=", ".join(names) if names else shops[0].name,
            account_id=next(iter(businesses)) if single else None,
            shops=shops,
            extra={"business_ids": list(businesses)},
        )
