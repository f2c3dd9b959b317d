"""The Ozon account: connection test, warehouses (the ids to discover) and the format check of a typed key.

Calls (every method a POST; `Client-Id` + `Api-Key` headers):
- connection:  /v1/roles (roles and methods of the key, its expiry), then /v1/seller/info (company name, INN)
               and /v2/warehouse/list (cursor, limit <= 200): neither has a request body in the spec
               (a contract mock rejects one), except the warehouse list's limit/cursor.
- warehouses:  /v2/warehouse/list (FBS / rFBS, `is_rfbs` per warehouse), read once per client and kept: it also
               decides the scheme of a posting (connectors.ozon.orders) and which stock type the account's
               warehouse counts (`stock_scope`).

Credentials: the partner types the Client-Id (a number, not secret) and the Api-Key (a UUID, valid 6 months,
`expires_at` in /v1/roles). Ozon's key is opaque: there is nothing in it to decode (no token type, no
expiry inside it), so all the key tells before a call is whether it has the shape of one (`check_key`).
The connected account is the Client-Id itself: ConnectionInfo.seller_id is it.

Functions here take the OzonClient as `client` (connectors.ozon.client; not imported here).
"""
from __future__ import annotations

import re
from typing import Any

from connectors.base import (
    BadResponse,
    Choice,
    ConnectionInfo,
    IpRestricted,
    MarketplaceUnavailable,
    PermissionDenied,
    Warning,
)
from connectors.http import check_key_expiry, parse_model
from connectors.ozon import limits
from connectors.ozon.models import (
    OZON_SELLER_STOCK_TYPES,
    OzonRole,
    OzonRoles,
    OzonSellerInfo,
    OzonWarehouse,
    OzonWarehousePage,
)

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

# An Ozon Api-Key as the cabinet shows it: a UUID (8-4-4-4-12 hex digits).
OZON_KEY_FORMAT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
OZON_KEY_FORMAT_ERROR = "format-ozon-key"  # the id of the text that says what an Ozon key looks like


def check_key(text: str) -> str | None:
    """The format check of a typed Api-Key before anything is sent: None if it looks like one, else the text id
    "format-ozon-key". Takes the key as services.key_formats.normalize() leaves it (quotes and a `Bearer `
    prefix removed); surrounding whitespace is ignored here as well."""
    value = text.strip() if isinstance(text, str) else ""
    return None if OZON_KEY_FORMAT.fullmatch(value) else OZON_KEY_FORMAT_ERROR


def missing_capabilities(roles: list[OzonRole]) -> list[str]:
    """The capabilities of OZON_REQUIRED_METHODS that no role of the key allows."""
    if any(role.name.strip().lower() in OZON_ADMIN_ROLES for role in roles):
        return []
    allowed = [m.rstrip("/") for role in roles for m in role.methods if m]

    def covered(method: str) -> bool:
        # A role may list a method or a prefix of methods (the spec's example shows "/v1/posting").
        return any(method == a or method.startswith(a + "/") for a in allowed)

    return [name for name, method in OZON_REQUIRED_METHODS.items() if not covered(method)]


# -------------------------------------------------------------------------------------------- calls
async def roles(client: Any) -> OzonRoles:
    # No request body: the spec defines none for /v1/roles.
    return parse_model(OzonRoles, await client.http.request_json("POST", "/v1/roles"), "ozon /v1/roles")


async def seller_info(client: Any) -> OzonSellerInfo:
    data = await client.http.request_json("POST", "/v1/seller/info")  # no body either
    return parse_model(OzonSellerInfo, data, "ozon /v1/seller/info")


async def warehouses(client: Any) -> list[OzonWarehouse]:
    """FBS/rFBS warehouses, following `cursor` while `has_next`; remembers which are rFBS."""
    result: list[OzonWarehouse] = []
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(limits.MAX_PAGES):
        body: dict[str, object] = {"limit": limits.WAREHOUSE_PAGE_LIMIT}
        if cursor:
            body["cursor"] = cursor
        data = await client.http.request_json("POST", "/v2/warehouse/list", json_body=body)
        page = parse_model(OzonWarehousePage, data, "ozon /v2/warehouse/list")
        result.extend(page.warehouses)
        cursor = page.cursor
        if not page.has_next or not cursor:
            client.rfbs_by_warehouse = {w.warehouse_id: bool(w.is_rfbs) for w in result}
            return result
        if cursor in seen:
            raise BadResponse("ozon /v2/warehouse/list: cursor repeats")
        seen.add(cursor)
    raise BadResponse("ozon /v2/warehouse/list: too many pages")


async def list_warehouses(client: Any) -> list[Choice]:
    return [
        Choice(
            id=str(w.warehouse_id),
            name=w.name or f"Warehouse {w.warehouse_id}",
            extra={"status": w.status, "is_rfbs": w.is_rfbs},
        )
        for w in await warehouses(client)
    ]


async def warehouse_kinds(client: Any) -> dict[int, bool] | None:
    """warehouse_id -> is_rfbs, read once per client; None if the warehouse list cannot be read now."""
    if client.rfbs_by_warehouse is None:
        try:
            await warehouses(client)
        except IpRestricted:
            raise
        except (PermissionDenied, MarketplaceUnavailable, BadResponse):
            return None
    return client.rfbs_by_warehouse


async def stock_scope(client: Any) -> tuple[frozenset[str], str | None]:
    """What a stock figure counts: the type ("fbs" / "rfbs") of the account's warehouse, the one stock is
    pushed to, and that warehouse; both seller types and no warehouse when it is not known. Ozon's stock
    reads give one figure per type, so it is that warehouse's own stock while the account has one
    warehouse of its type (per-warehouse figures: /v1/product/info/warehouse/stocks)."""
    warehouse = str(client.account.warehouse_id or "").strip()
    if warehouse.isdigit():
        kinds = await warehouse_kinds(client)
        if kinds is not None and int(warehouse) in kinds:
            return frozenset({"rfbs" if kinds[int(warehouse)] else "fbs"}), warehouse
    return OZON_SELLER_STOCK_TYPES, None


async def check_connection(client: Any) -> ConnectionInfo:
    """/v1/roles proves the key (and says when it expires and what it may do); the company name and the
    warehouses are read if the key has the roles for them (a key without them still connects, with
    Warning.OZON_MISSING_ROLES and extra["missing_roles"])."""
    key_roles = await roles(client)
    expires_at = int(key_roles.expires_at.timestamp()) if key_roles.expires_at else None
    warnings = check_key_expiry(client.marketplace, expires_at, client.http.clock.now())
    missing = missing_capabilities(key_roles.roles)

    # The company name is a nicety: a key without the role for it still connects.
    account_name = f"Ozon {client.client_id}"
    try:
        company = (await seller_info(client)).company
    except IpRestricted:
        raise
    except PermissionDenied:
        company = None
    if company and (company.name or company.legal_name):
        account_name = company.name or company.legal_name or account_name

    try:
        choices = await list_warehouses(client)
    except IpRestricted:
        raise
    except PermissionDenied:
        choices = []
        missing.append("warehouses")

    if missing:
        warnings.append(Warning.OZON_MISSING_ROLES)
    return ConnectionInfo(
        marketplace=client.marketplace,
        account_name=account_name,
        account_id=client.client_id,
        warehouses=choices,
        seller_id=client.client_id,
        expires_at=expires_at,
        scopes=[role.name for role in key_roles.roles],
        warnings=warnings,
        extra={"missing_roles": missing, "inn": company.inn if company else None},
    )
