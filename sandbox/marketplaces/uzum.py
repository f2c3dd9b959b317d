"""Uzum Market seller OpenAPI stand-in, mounted at /uzum (real base: …/api/seller-openapi).

There is no official spec: shapes follow MARKETPLACES.md §1 (consistent third-party code), all
UNCONFIRMED. Envelope `{"payload": ...}`; errors `{"errors": [{"code", "message"}]}`.
"""
from __future__ import annotations

from aiohttp import web

from sandbox.marketplaces.accounts import SandboxState, UzumSeller
from sandbox.marketplaces.common import (
    ACCOUNT,
    Controls,
    Dialect,
    Reply,
    json_response,
    marketplace_app,
    read_credential,
)

# UNCONFIRMED: real clients mostly send the raw token; a minority send "Bearer <token>".
# The sandbox accepts both so either connector behaviour works.
AUTH_PREFIXES = ("Bearer ",)


def error_body(code: str, message: str) -> dict:
    return {"errors": [{"code": code, "message": message}]}


class UzumDialect(Dialect):
    name = "uzum"
    prefix = "/uzum"

    def __init__(self, state: SandboxState):
        self.state = state

    def authenticate(self, request: web.Request) -> UzumSeller:
        token = read_credential(request, "Authorization", strip=AUTH_PREFIXES)
        seller = self.state.uzum.get(token or "")
        if seller is None:
            raise Reply(self.error(request, 401, "Invalid or expired token"))
        return seller

    def error(self, request: web.Request, status: int, message: str) -> web.Response:
        code = {401: "UNAUTHORIZED", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(status, "INTERNAL_ERROR")
        return json_response(error_body(code, message), status=status)

    def rate_limited(self, request: web.Request) -> web.Response:
        # 429 is what third-party clients handle; body and headers UNCONFIRMED.
        return json_response(error_body("TOO_MANY_REQUESTS", "Too many requests"), status=429)


async def list_shops(request: web.Request) -> web.Response:
    seller: UzumSeller = request[ACCOUNT]
    return json_response({"payload": [{"id": shop.id, "name": shop.name} for shop in seller.shops]})


def build_uzum_app(state: SandboxState, controls: Controls) -> web.Application:
    return marketplace_app(UzumDialect(state), controls, state, [web.get("/v1/shops", list_shops)])
