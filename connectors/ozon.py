"""Ozon Seller API client (specs/ozon/ozon-seller-api-swagger-en.json, MARKETPLACES.md §4)."""
from __future__ import annotations

from datetime import datetime

import httpx
from pydantic import BaseModel, ConfigDict

from connectors.base import (
    AuthError,
    BadResponse,
    Choice,
    ConnectionInfo,
    ConnectorError,
    Credentials,
    IpRestricted,
    KeyExpired,
    Marketplace,
    PermissionDenied,
    Warning,
)
from connectors.http import (
    BaseClient,
    Clock,
    ErrorPolicy,
    HttpCore,
    RateLimitSignal,
    Reply,
    check_key_expiry,
    first_text,
    parse_model,
    retry_after_header,
)

# POST /v2/warehouse/list: `limit` is required, maximum 200 (v2WarehouseListV2Request).
WAREHOUSE_PAGE_LIMIT = 200
MAX_PAGES = 50

# What the bot does with an Ozon key and one method that proves each is allowed. /v1/roles lists the
# methods each role of the key may call; a capability is present if any role allows its method.
OZON_REQUIRED_METHODS: dict[str, str] = {
    "stocks": "/v2/products/stocks",
    "prices": "/v1/product/import/prices",
    "orders": "/v4/posting/fbs/unfulfilled/list",
}
# UNCONFIRMED: the role names Ozon uses for a full-access key. The spec's example lists a role "Admin"
# with a short method list, so an admin role is taken to allow everything.
OZON_ADMIN_ROLES = frozenset({"admin", "administrator"})

# ----------------------------------------------------------------------------------- error policy
# Error texts from the swagger's "Errors" tag; matched case-insensitively as substrings.
OZON_RATE_LIMIT_TEXT = "you have reached request rate limit per second"
OZON_CIRCLE_OPEN_TEXT = "circle is open"
# "Circle is open": the method is blocked "for a few minutes"; no header says how long, so this estimate
# (longer than the inline-wait cap) hands the wait back to the caller instead of hammering the method.
OZON_CIRCLE_OPEN_WAIT = 120.0
# Per-second limit: one second is by definition enough.
OZON_PER_SECOND_WAIT = 1.0

OZON_AUTH_MESSAGES: tuple[tuple[str, type[ConnectorError]], ...] = (
    ("api-key is restricted to specific ip addresses", IpRestricted),
    ("api-key is missing a required role", PermissionDenied),
    ("api-key is deactivated", KeyExpired),
    ("invalid api-key", AuthError),
    ("client-id", AuthError),  # e.g. "Invalid Client-Id" / "Client-Id is not specified"
)


def _ozon_message(reply: Reply) -> str | None:
    # rpcStatus: {"code": int, "message": str, "details": [...]}
    body = reply.body
    if isinstance(body, dict):
        return first_text(body.get("message"), body.get("error"))
    return first_text(reply.text[:300]) if reply.text and not reply.text.lstrip().startswith("<") else None


def _ozon_rate_limit(reply: Reply, now: float) -> RateLimitSignal | None:
    # UNCONFIRMED status: the spec documents only texts. A 429 or either text is a rate limit.
    text = (_ozon_message(reply) or "").lower()
    server_says = retry_after_header(reply, now)  # if Ozon ever sends one, it wins
    if OZON_CIRCLE_OPEN_TEXT in text:
        return RateLimitSignal(server_says if server_says is not None else OZON_CIRCLE_OPEN_WAIT)
    if OZON_RATE_LIMIT_TEXT in text or reply.status == 429:
        return RateLimitSignal(server_says if server_says is not None else OZON_PER_SECOND_WAIT)
    return None


def _ozon_classify(reply: Reply, message: str) -> type[ConnectorError] | None:
    text = message.lower()
    for needle, cls in OZON_AUTH_MESSAGES:
        if needle in text:
            return cls
    return None


OZON_POLICY = ErrorPolicy(Marketplace.OZON, rate_limit=_ozon_rate_limit, message=_ozon_message, classify=_ozon_classify)


# ------------------------------------------------------------------------------------------ models
class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class OzonRole(_Model):
    name: str = ""
    methods: list[str] = []


class OzonRoles(_Model):
    expires_at: datetime | None = None
    roles: list[OzonRole] = []


class OzonCompany(_Model):
    name: str | None = None
    legal_name: str | None = None
    inn: str | None = None
    currency: str | None = None


class OzonSellerInfo(_Model):
    company: OzonCompany | None = None


class OzonWarehouse(_Model):
    warehouse_id: int
    name: str | None = None
    status: str | None = None
    is_rfbs: bool | None = None


class OzonWarehousePage(_Model):
    warehouses: list[OzonWarehouse] = []
    cursor: str | None = None
    has_next: bool = False


def missing_capabilities(roles: list[OzonRole]) -> list[str]:
    """The capabilities of OZON_REQUIRED_METHODS that no role of the key allows."""
    if any(role.name.strip().lower() in OZON_ADMIN_ROLES for role in roles):
        return []
    allowed = [m.rstrip("/") for role in roles for m in role.methods if m]

    def covered(method: str) -> bool:
        # A role may list a method or a prefix of methods (the spec's example shows "/v1/posting").
        return any(method == a or method.startswith(a + "/") for a in allowed)

    return [name for name, method in OZON_REQUIRED_METHODS.items() if not covered(method)]


# ------------------------------------------------------------------------------------------ client
class OzonClient(BaseClient):
    marketplace = Marketplace.OZON

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        timeout: float = 15.0,
    ):
        client_id = (credentials.client_id or "").strip()
        if not client_id:
            raise AuthError("ozon needs a Client-Id as well as an Api-Key", detail="Client-Id missing")
        self.client_id = client_id
        self._http = HttpCore(
            policy=OZON_POLICY,
            base_url=base_url,
            auth_headers={"Client-Id": client_id, "Api-Key": credentials.api_key},
            transport=transport,
            clock=clock,
            timeout=timeout,
        )

    async def roles(self) -> OzonRoles:
        # No request body: the spec defines none for /v1/roles.
        return parse_model(OzonRoles, await self._http.request_json("POST", "/v1/roles"), "ozon /v1/roles")

    async def seller_info(self) -> OzonSellerInfo:
        data = await self._http.request_json("POST", "/v1/seller/info")  # no body either
        return parse_model(OzonSellerInfo, data, "ozon /v1/seller/info")

    async def list_warehouses(self) -> list[OzonWarehouse]:
        """FBS/rFBS warehouses, following `cursor` while `has_next`."""
        result: list[OzonWarehouse] = []
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            body: dict[str, object] = {"limit": WAREHOUSE_PAGE_LIMIT}
            if cursor:
                body["cursor"] = cursor
            data = await self._http.request_json("POST", "/v2/warehouse/list", json_body=body)
            page = parse_model(OzonWarehousePage, data, "ozon /v2/warehouse/list")
            result.extend(page.warehouses)
            cursor = page.cursor
            if not page.has_next or not cursor:
                return result
            if cursor in seen:
                raise BadResponse("ozon /v2/warehouse/list: cursor repeats")
            seen.add(cursor)
        raise BadResponse("ozon /v2/warehouse/list: too many pages")

    async def check_connection(self) -> ConnectionInfo:
        roles = await self.roles()
        expires_at = int(roles.expires_at.timestamp()) if roles.expires_at else None
        warnings = check_key_expiry(self.marketplace, expires_at, self._http.clock.now())
        missing = missing_capabilities(roles.roles)

        # The company name is a nicety: a key without the role for it still connects.
        account_name = f"Ozon {self.client_id}"
        try:
            company = (await self.seller_info()).company
        except IpRestricted:
            raise
        except PermissionDenied:
            company = None
        if company and (company.name or company.legal_name):
            account_name = company.name or company.legal_name or account_name

        try:
            warehouses = [
                Choice(
                    id=str(w.warehouse_id),
                    name=w.name or f"Warehouse {w.warehouse_id}",
                    extra={"status": w.status, "is_rfbs": w.is_rfbs},
                )
                for w in await self.list_warehouses()
            ]
        except IpRestricted:
            raise
        except PermissionDenied:
            warehouses = []
            missing.append("warehouses")

        if missing:
            warnings.append(Warning.OZON_MISSING_ROLES)
        return ConnectionInfo(
            marketplace=self.marketplace,
            account_name=account_name,
            account_id=self.client_id,
            warehouses=warehouses,
            expires_at=expires_at,
            scopes=[role.name for role in roles.roles],
            warnings=warnings,
            extra={"missing_roles": missing, "inn": company.inn if company else None},
        )
