"""The Uzum account: the token (format check, how it is sent), the connection test and id discovery.

- key:         one API token from the Uzum seller cabinet (where exactly, and how long it lasts: UNCONFIRMED);
               nothing can be decoded from it, so only its shape is checked (`check_key`).
- auth:        `Authorization: <token>` (raw) in most third-party clients, `Bearer <token>` in a minority
               (UNCONFIRMED, MARKETPLACES.md §1.1): the client tries UZUM_AUTH_SCHEMES in order; the first that is
               not answered 401 is remembered for the client's life and reported in ConnectionInfo.extra.
- connection:  GET /v1/shops (raw token, Bearer fallback on 401). The partner picks one of the shops (that pick
               is the integration's id), so ConnectionInfo.seller_id is None.
- ids:         shopId <- GET /v1/shops; every other call takes `shopId` or `shopIds`.
- warehouses:  Uzum has none (stock is per SKU and scheme): `list_warehouses()` returns [], so generic flows
               ("pick a warehouse if there are any") just skip the step instead of failing.
"""
from __future__ import annotations

from connectors.base import Choice, ConnectionInfo, NoShops
from connectors.uzum.models import UzumCalls, parse_uzum_shops

# UNCONFIRMED: most third-party clients send the raw token, a minority `Bearer`. Tried in this order.
UZUM_AUTH_SCHEMES: tuple[str, ...] = ("raw", "bearer")
# What a typed token must look like: no documented format, so only its length (UNCONFIRMED) and no spaces.
UZUM_KEY_MIN_LENGTH = 16
UZUM_KEY_MAX_LENGTH = 4096


def uzum_auth_header(token: str, scheme: str) -> dict[str, str]:
    """The Authorization header for one scheme (the ONE place that knows how Uzum wants the token)."""
    if scheme == "raw":
        return {"Authorization": token}
    if scheme == "bearer":
        return {"Authorization": f"Bearer {token}"}
    raise ValueError(f"unknown Uzum auth scheme {scheme!r}")


def auth_schemes(preferred: str | None = None) -> list[str]:
    """The schemes to try, in order: a scheme stored from an earlier check goes first, the others remain as
    fallback."""
    order = list(UZUM_AUTH_SCHEMES)
    if preferred in order:
        order.remove(preferred)
        order.insert(0, preferred)
    return order


def check_key(key: str) -> str | None:
    """The format check of a typed (normalized) token before anything is sent: None if it looks right, else the
    id of the text that says what is wrong."""
    if not UZUM_KEY_MIN_LENGTH <= len(key) <= UZUM_KEY_MAX_LENGTH or any(ch.isspace() for ch in key):
        return "format-uzum-key"
    return None


async def check_connection(client: UzumCalls) -> ConnectionInfo:
    shops = parse_uzum_shops(await client.send("GET", "/v1/shops"))
    if not shops:
        raise NoShops("uzum: the token sees no shops")
    choices = [Choice(id=str(shop.id), name=shop.name or f"Shop {shop.id}") for shop in shops]
    return ConnectionInfo(
        marketplace=client.marketplace,
        # /v1/shops is all we read; the first shop's name is the best "account" name it gives.
        account_name=choices[0].name,
        shops=choices,
        seller_id=None,  # the partner picks a shop: that pick is the id (AccountContext.shop_id)
        extra={"auth_scheme": client.auth_scheme},
    )


async def shop_ids(client: UzumCalls) -> list[str]:
    """The shop of the account context, or every shop the token sees ([] if it sees none)."""
    if client.account.shop_id:
        return [str(client.account.shop_id)]
    return [str(shop.id) for shop in await client.call("GET", "/v1/shops", parse_uzum_shops)]


async def list_warehouses(client: UzumCalls) -> list[Choice]:
    # No warehouse endpoint exists: stock is per SKU and scheme. [] = nothing to pick (module docstring).
    return []
