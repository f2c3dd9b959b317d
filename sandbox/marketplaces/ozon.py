"""Ozon Seller API stand-in, mounted at /ozon (real base: https://api-seller.ozon.ru).

Spec: specs/ozon/ozon-seller-api-swagger-en.json (POST /v1/roles, /v1/seller/info,
/v2/warehouse/list). Headers Client-Id + Api-Key; errors are `rpcStatus`
`{"code": <gRPC code>, "message": "...", "details": []}` (MARKETPLACES.md §4).
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from aiohttp import web

from sandbox.marketplaces.accounts import OzonApiKey, OzonSeller, OzonWarehouse, SandboxState
from sandbox.marketplaces.common import (
    ACCOUNT,
    Controls,
    Dialect,
    Reply,
    json_response,
    marketplace_app,
    read_credential,
    read_json_body,
)

# UNCONFIRMED: the HTTP status of a bad or deactivated Api-Key. The three methods served here
# declare only 200 and `default` (rpcStatus); across the swagger the only auth-like status
# documented is 403 "Access denied" with an rpcStatus body (134 methods). The gRPC code 7
# (PERMISSION_DENIED) is what grpc-gateway maps to 403, so the two agree.
OZON_AUTH_ERROR_STATUS = 403
OZON_AUTH_ERROR_CODE = 7
INVALID_KEY_MESSAGE = "Invalid Api-Key, please check the key and try again"
DEACTIVATED_KEY_MESSAGE = "Api-key is deactivated, use another one or generate a new one"

# UNCONFIRMED: the HTTP status of Ozon's rate-limit reply (the spec lists none); the message and
# gRPC code 8 (RESOURCE_EXHAUSTED, which grpc-gateway maps to 429) are from the Errors tag.
OZON_RATE_LIMIT_STATUS = 429
RATE_LIMIT_MESSAGE = "You have reached request rate limit per second"
REQUESTS_PER_SECOND = 50  # per Client-Id, all methods (tag Process)

MAX_WAREHOUSE_LIMIT = 200  # v2WarehouseListV2Request.limit.maximum

# HTTP status → gRPC status code, as grpc-gateway pairs them.
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 409: 6, 429: 8, 500: 13, 503: 14}


def rpc_status(status: int, message: str, code: int | None = None) -> web.Response:
    body = {"code": code if code is not None else GRPC_CODES.get(status, 2), "message": message, "details": []}
    return json_response(body, status=status)


@dataclass
class OzonCaller:
    seller: OzonSeller
    key: OzonApiKey


class OzonDialect(Dialect):
    name = "ozon"
    prefix = "/ozon"

    def __init__(self, state: SandboxState):
        self.state = state

    def authenticate(self, request: web.Request) -> OzonCaller:
        seller = self.state.ozon.get(read_credential(request, "Client-Id") or "")
        key = seller.keys.get(read_credential(request, "Api-Key") or "") if seller else None
        if seller is None or key is None:
            raise Reply(rpc_status(OZON_AUTH_ERROR_STATUS, INVALID_KEY_MESSAGE, OZON_AUTH_ERROR_CODE))
        if key.deactivated or key.expires_at.timestamp() <= self.state.clock():
            raise Reply(rpc_status(OZON_AUTH_ERROR_STATUS, DEACTIVATED_KEY_MESSAGE, OZON_AUTH_ERROR_CODE))
        quota = self.state.quotas.get_quota(("ozon", seller.client_id), REQUESTS_PER_SECOND, 1.0)
        if not quota.take(self.state.clock()) and self.state.enforce_rate_limits:
            raise Reply(self.rate_limited(request))
        return OzonCaller(seller, key)

    def error(self, request: web.Request, status: int, message: str) -> web.Response:
        return rpc_status(status, message)

    def server_error(self, request: web.Request) -> web.Response:
        return rpc_status(500, "Internal error")

    def rate_limited(self, request: web.Request) -> web.Response:
        return rpc_status(OZON_RATE_LIMIT_STATUS, RATE_LIMIT_MESSAGE, 8)


# --------------------------------------------------------------------------------------------
# Handlers
# --------------------------------------------------------------------------------------------
def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


async def roles(request: web.Request) -> web.Response:
    """POST /v1/roles (no request body): the key's roles and expiry."""
    caller: OzonCaller = request[ACCOUNT]
    return json_response({"expires_at": iso(caller.key.expires_at), "roles": caller.key.roles})


async def seller_info(request: web.Request) -> web.Response:
    """POST /v1/seller/info (no request body)."""
    caller: OzonCaller = request[ACCOUNT]
    return json_response(
        {
            "company": caller.seller.company,
            "ratings": [],
            "subscription": {"is_premium": False, "type": "UNSPECIFIED"},
        }
    )


def warehouse_json(w: OzonWarehouse) -> dict:
    """One item of v2WarehouseListV2Response.warehouses."""
    created = "2026-01-15T09:00:00Z"
    return {
        "warehouse_id": w.warehouse_id,
        "name": w.name,
        "status": w.status,
        "warehouse_type": "RFBS" if w.is_rfbs else "FBS",
        "is_rfbs": w.is_rfbs,
        "address_info": {"address": w.address, "latitude": 55.75, "longitude": 37.61, "utc": "UTC+03:00"},
        "carriage_label_type": "BIG",
        "courier_comment": "",
        "courier_phones": [],
        "created_at": created,
        "updated_at": created,
        "cut_in_time": 0,
        "first_mile": {
            "type": "DROP_OFF",
            "dropoff_point_id": "",
            "timeslot_id": 0,
            "timeslot_from": "09:00",
            "timeslot_to": "18:00",
            "first_mile_is_changing": False,
        },
        "has_entrusted_acceptance": False,
        "has_postings_limit": False,
        "is_auto_assembly": False,
        "is_comfort": False,
        "is_express": False,
        "is_kgt": False,
        "is_waybill_enabled": False,
        "min_postings_limit": 0,
        "phone": "+7(999)000-00-01",
        "postings_limit": -1,
        "sla_cut_in": 1440,
        "timetable": {"timetable_from": created, "timetable_to": created, "working_hours": []},
        "with_item_list": False,
        "working_days": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
    }


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        offset = json.loads(base64.urlsafe_b64decode(cursor))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise Reply(rpc_status(400, "invalid cursor")) from None
    if not isinstance(offset, int) or offset < 0:
        raise Reply(rpc_status(400, "invalid cursor"))
    return offset


async def list_warehouses(request: web.Request) -> web.Response:
    """POST /v2/warehouse/list {limit (required, ≤200), cursor, warehouse_ids}."""
    caller: OzonCaller = request[ACCOUNT]
    try:
        body = await read_json_body(request)
    except ValueError:
        raise Reply(rpc_status(400, "invalid request payload: malformed JSON")) from None
    body = body if isinstance(body, dict) else {}
    limit = body.get("limit")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_WAREHOUSE_LIMIT:
        raise Reply(rpc_status(400, f"invalid request payload: limit must be in range [1, {MAX_WAREHOUSE_LIMIT}]"))
    warehouses = caller.seller.warehouses
    ids = body.get("warehouse_ids") or []
    if ids:
        wanted = {str(i) for i in ids}
        warehouses = [w for w in warehouses if str(w.warehouse_id) in wanted]
    offset = decode_cursor(body["cursor"]) if body.get("cursor") else 0
    page = warehouses[offset : offset + limit]
    has_next = offset + len(page) < len(warehouses)
    return json_response(
        {
            "cursor": encode_cursor(offset + len(page)) if has_next else "",
            "warehouses": [warehouse_json(w) for w in page],
            "has_next": has_next,
        }
    )


def build_ozon_app(state: SandboxState, controls: Controls) -> web.Application:
    return marketplace_app(
        OzonDialect(state),
        controls,
        state,
        [
            web.post("/v1/roles", roles),
            web.post("/v1/seller/info", seller_info),
            web.post("/v2/warehouse/list", list_warehouses),
        ],
    )
