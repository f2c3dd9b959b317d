"""Uzum Market seller OpenAPI client.

There is no official spec (MARKETPLACES.md §1): every Uzum detail is UNCONFIRMED and kept behind one
named constant or function below, so a correction after the first live call is a one-line change.
"""
from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict

from connectors.base import (
    AuthError,
    BadResponse,
    Choice,
    ConnectionInfo,
    Credentials,
    KeyExpired,
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
    parse_model,
    retry_after_header,
)

# UNCONFIRMED (MARKETPLACES.md §1.1): most third-party clients send the raw token, a minority `Bearer`.
# We try them in this order; the first that is not answered 401 is remembered for the client's life
# and reported in ConnectionInfo.extra["auth_scheme"] so the service can store it.
UZUM_AUTH_SCHEMES: tuple[str, ...] = ("raw", "bearer")


def uzum_auth_header(token: str, scheme: str) -> dict[str, str]:
    """The Authorization header for one scheme (the ONE place that knows how Uzum wants the token)."""
    if scheme == "raw":
        return {"Authorization": token}
    if scheme == "bearer":
        return {"Authorization": f"Bearer {token}"}
    raise ValueError(f"unknown Uzum auth scheme {scheme!r}")


def unwrap_uzum_payload(data: Any) -> Any:
    """UNCONFIRMED envelope: third-party code reads `{"payload": ...}`; accept a bare value too."""
    if isinstance(data, dict) and "payload" in data:
        return data["payload"]
    return data


# ----------------------------------------------------------------------------------- error policy
def _uzum_message(reply: Reply) -> str | None:
    # UNCONFIRMED error shape: `{"errors": [{"code", "message"}]}` in third-party code; be tolerant.
    body = reply.body
    if not isinstance(body, dict):
        return None
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return first_text(first.get("message"), first.get("detail"), first.get("code"))
    return first_text(body.get("message"), body.get("error"), body.get("detail"))


def _uzum_rate_limit(reply: Reply, now: float) -> RateLimitSignal | None:
    # Uzum answers 429 (third-party code); no documented header, so honour a standard Retry-After if any.
    if reply.status == 429:
        return RateLimitSignal(retry_after_header(reply, now))
    return None


UZUM_POLICY = ErrorPolicy(Marketplace.UZUM, rate_limit=_uzum_rate_limit, message=_uzum_message)


# ------------------------------------------------------------------------------------------ models
class UzumShop(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int | str
    name: str | None = None


def parse_uzum_shops(data: Any) -> list[UzumShop]:
    """`GET /v1/shops` -> shops, whether the list is in `payload` or at the top level."""
    payload = unwrap_uzum_payload(data)
    if not isinstance(payload, list):
        raise BadResponse("uzum /v1/shops: expected a list of shops")
    return parse_model(list[UzumShop], payload, "uzum /v1/shops")


# ------------------------------------------------------------------------------------------ client
class UzumClient(BaseClient):
    marketplace = Marketplace.UZUM

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        timeout: float = 15.0,
        auth_scheme: str | None = None,
    ):
        self._token = credentials.api_key
        # A scheme the service stored from an earlier check goes first; the others remain as fallback.
        order = list(UZUM_AUTH_SCHEMES)
        if auth_scheme in order:
            order.remove(auth_scheme)
            order.insert(0, auth_scheme)
        self._schemes = order
        self.auth_scheme: str | None = None  # set once a scheme has been accepted
        self._http = HttpCore(
            policy=UZUM_POLICY,
            base_url=base_url,
            auth_headers=uzum_auth_header(self._token, order[0]),
            secrets=[self._token],
            transport=transport,
            clock=clock,
            timeout=timeout,
        )

    async def _get_json(self, path: str, **kwargs: Any) -> Any:
        """GET with the auth-scheme fallback: on 401 try the next scheme once, then report a bad key."""
        schemes = [self.auth_scheme] if self.auth_scheme else self._schemes
        for index, scheme in enumerate(schemes):
            self._http.set_auth_headers(uzum_auth_header(self._token, scheme))
            try:
                data = await self._http.request_json("GET", path, **kwargs)
            except AuthError as exc:
                last = index == len(schemes) - 1
                if last or isinstance(exc, KeyExpired) or exc.status != 401:
                    raise
                continue
            self.auth_scheme = scheme
            return data
        raise AssertionError("unreachable")  # pragma: no cover

    async def check_connection(self) -> ConnectionInfo:
        shops = parse_uzum_shops(await self._get_json("/v1/shops"))
        if not shops:
            raise NoShops("uzum: the token sees no shops")
        choices = [Choice(id=str(shop.id), name=shop.name or f"Shop {shop.id}") for shop in shops]
        return ConnectionInfo(
            marketplace=self.marketplace,
            # /v1/shops is all we read; the first shop's name is the best "account" name it gives.
            account_name=choices[0].name,
            shops=choices,
            extra={"auth_scheme": self.auth_scheme},
        )
