"""The Uzum connector's own rules: order status -> (state, actions), cancel reasons, currency, the profile, the
connection's seller id. Replies come from an httpx.MockTransport; the sandbox-backed checks are in
tests/contract/test_uzum_ops.py."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors import build_client, default_base_url
from connectors.base import (
    AccountContext,
    CancelReason,
    Choice,
    CredentialField,
    Credentials,
    Currency,
    ItemOutcome,
    Marketplace,
    OrderAction,
    OrderState,
    PriceUpdate,
)
from connectors.clock import FakeClock
from connectors.pacing import reset_pacers
from connectors.uzum import PROFILE, UzumClient
from connectors.uzum.catalog import to_listing
from connectors.uzum.models import UzumFinanceItem, parse_order, parse_product_page
from connectors.uzum.orders import pick_cancel_reason, to_order, uzum_order_state
from connectors.uzum.sales import SalesTally
from sandbox.marketplaces import uzum as S
from services.key_formats import check_api_key, normalize

TOKEN = "uzum-unit-token-0123456789"
BASE = "https://uzum.test/api/seller-openapi"
NEW, ACTIVE, CANCELLED, DONE = OrderState.NEW, OrderState.ACTIVE, OrderState.CANCELLED, OrderState.DONE
CONFIRM, SHIP, CANCEL = OrderAction.CONFIRM, OrderAction.SHIP, OrderAction.CANCEL


@pytest.fixture(autouse=True)
def fresh_pacers():
    reset_pacers()
    yield
    reset_pacers()


class Api:
    """A MockTransport that answers by (method, path) and records what was sent."""

    def __init__(self, routes: dict[tuple[str, str], object]):
        self.routes = routes
        self.sent: list[tuple[str, str, object]] = []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api/seller-openapi")
        body = json.loads(request.content) if request.content else None
        self.sent.append((request.method, path, body))
        answer = self.routes.get((request.method, path))
        if answer is None:
            return httpx.Response(404, json={"errors": [{"code": "not-found", "message": path}]})
        return httpx.Response(200, json=answer)

    def client(self, shop_id: str | None = "7") -> UzumClient:
        return UzumClient(Credentials(TOKEN), base_url=BASE, transport=self.transport, clock=FakeClock(1_790_000_000),
                          account=AccountContext(shop_id=shop_id))

    def bodies(self, method: str, path: str) -> list:
        return [body for m, p, body in self.sent if (m, p) == (method, path)]


def order_json(status: str, **extra) -> dict:
    return {"id": 501, "status": status, "dateCreated": 1_790_000_000_000, "shopId": 7,
            "orderItems": [{"skuId": 11, "sellerSkuCode": "A-1", "amount": 1, "sellPrice": 1000}], **extra}


# ==================================================================================== status -> state, actions
# Every FBS status Uzum has (third-party code; the sandbox's FBS_STATUSES), and the British spelling.
EXPECTED = {
    "CREATED": (NEW, {CONFIRM, CANCEL}),
    "PACKING": (ACTIVE, {CANCEL}),
    "PENDING_DELIVERY": (ACTIVE, {CANCEL}),
    "DELIVERING": (ACTIVE, set()),
    "DELIVERED": (DONE, set()),
    "COMPLETED": (DONE, set()),
    "CANCELED": (CANCELLED, set()),
    "CANCELLED": (CANCELLED, set()),
    "RETURNED": (DONE, set()),
}


@pytest.mark.parametrize("status", sorted(EXPECTED))
def test_every_status_has_its_state_and_actions(status):
    state, actions = EXPECTED[status]
    assert uzum_order_state(status) == (state, frozenset(actions))
    assert uzum_order_state(status.lower()) == (state, frozenset(actions))  # compared in upper case
    order = to_order(parse_order({"payload": order_json(status)}))
    assert order.status == status  # Uzum's own text stays for the card
    assert order.state is state and order.actions == frozenset(actions)
    assert order.can_confirm == (CONFIRM in actions) and order.can_cancel == (CANCEL in actions)
    assert not order.can_ship  # Uzum has no shipping call: never offered


def test_the_table_covers_every_status_the_sandbox_knows():
    assert set(S.FBS_STATUSES) <= set(EXPECTED)
    assert set(S.LIFECYCLE_STATUS.values()) <= set(EXPECTED)


def test_an_unknown_status_offers_nothing():
    for status in ("SOMETHING_NEW", "", None):
        assert uzum_order_state(status) == (ACTIVE, frozenset())


# ================================================================================================ cancel reasons
REASONS = [Choice("DEFECTIVE", "Tovar nuqsonli / Товар с браком"), Choice("NO_STOCK", "Нет на складе"),
           Choice("CLIENT_REFUSED", "Mijoz voz kechdi"), Choice("OTHER", "Boshqa / Другое")]


def test_cancel_reason_is_picked_by_the_words_of_its_code():
    assert pick_cancel_reason(REASONS, CancelReason.OUT_OF_STOCK) == "NO_STOCK"
    assert pick_cancel_reason(REASONS, CancelReason.BUYER_ASKED) == "CLIENT_REFUSED"
    assert pick_cancel_reason(REASONS, CancelReason.OTHER) == "OTHER"


def test_cancel_reason_is_picked_by_its_title_when_the_codes_say_nothing():
    reasons = [Choice("R1", "Не успеваю отгрузить"), Choice("R2", "Покупатель отказался"),
               Choice("R3", "Tovar qolmagan / Товара нет в наличии"), Choice("R4", "Другая причина")]
    assert pick_cancel_reason(reasons, CancelReason.OUT_OF_STOCK) == "R3"
    assert pick_cancel_reason(reasons, CancelReason.BUYER_ASKED) == "R2"
    assert pick_cancel_reason(reasons, CancelReason.OTHER) == "R4"


def test_cancel_reason_falls_back_to_uzums_first_one():
    sandbox = [Choice(r["reason"], r["title"]) for r in S.CANCEL_REASONS]
    assert pick_cancel_reason(sandbox, CancelReason.OUT_OF_STOCK) == "OUT_OF_STOCK"
    assert pick_cancel_reason(sandbox, CancelReason.BUYER_ASKED) == sandbox[0].id  # nothing about buyers
    assert pick_cancel_reason(sandbox, None) == sandbox[0].id
    assert pick_cancel_reason([], CancelReason.OTHER) is None


async def test_cancel_order_sends_the_code_picked_for_a_cancel_reason():
    api = Api({("GET", "/v1/fbs/order/return-reasons"): {"payload": [{"reason": c.id, "title": c.name} for c in REASONS]},
               ("POST", "/v1/fbs/order/501/cancel"): {"payload": order_json("CANCELED")}})
    client = api.client()
    for reason, code in ((CancelReason.BUYER_ASKED, "CLIENT_REFUSED"), (CancelReason.OUT_OF_STOCK, "NO_STOCK"),
                         ("other", "OTHER"), (None, "DEFECTIVE")):
        order = await client.cancel_order("501", reason)
        assert order.state is CANCELLED and not order.actions
        assert api.bodies("POST", "/v1/fbs/order/501/cancel")[-1] == {"reason": code}
    await client.aclose()


async def test_cancel_order_still_takes_uzums_own_code():
    api = Api({("POST", "/v1/fbs/order/501/cancel"): {"payload": order_json("CANCELED")}})
    client = api.client()
    await client.cancel_order("501", "CANNOT_SHIP_IN_TIME")
    await client.aclose()
    # Sent as given, without asking for the reasons first.
    assert [(m, p) for m, p, _ in api.sent] == [("POST", "/v1/fbs/order/501/cancel")]
    assert api.bodies("POST", "/v1/fbs/order/501/cancel") == [{"reason": "CANNOT_SHIP_IN_TIME"}]


# ======================================================================================================= currency
def test_listings_orders_and_sales_are_in_uzs():
    (product,), _ = parse_product_page({"productList": [{"productId": 1, "title": "T",
                                                         "skuList": [{"skuId": 11, "price": 5000}]}]})
    listing = to_listing(product, "7")
    order = to_order(parse_order(order_json("CREATED")))
    tally = SalesTally(date(2026, 9, 21), date(2026, 9, 22))
    tally.add(UzumFinanceItem(skuId="11", seller_code="A-1", date=1_790_000_000_000, sellPrice=Decimal(1000), amount=2))
    (row,) = tally.rows()
    for currency in (listing.currency, order.currency, row.currency, PROFILE.currency):
        assert currency == "UZS" and Currency(currency) is Currency.UZS


async def test_a_price_in_another_currency_is_refused_and_uzs_or_none_is_sent():
    api = Api({("POST", "/v1/product/7/sendPriceData"): {"payload": None}})
    client = api.client()
    results = await client.update_prices([PriceUpdate("11", Decimal(1000)), PriceUpdate("12", Decimal(2000), currency="UZS"),
                                          PriceUpdate("13", Decimal(3000), currency="uzs"),
                                          PriceUpdate("14", Decimal(40), currency="RUB")])
    await client.aclose()
    assert [(r.sku, r.outcome, r.reason) for r in results] == [
        ("11", ItemOutcome.ACCEPTED, None), ("12", ItemOutcome.ACCEPTED, None), ("13", ItemOutcome.ACCEPTED, None),
        ("14", ItemOutcome.REJECTED, "invalid_value")]
    assert "UZS" in (results[3].detail or "")
    (body,) = api.bodies("POST", "/v1/product/7/sendPriceData")
    assert [item["skuId"] for item in body["priceData"]] == [11, 12, 13]


# ======================================================================================================== profile
async def test_profile_describes_uzum():
    assert PROFILE.marketplace is Marketplace.UZUM
    assert PROFILE.base_url == "https://api-seller.uzum.uz/api/seller-openapi" == default_base_url(Marketplace.UZUM)
    assert PROFILE.currency is Currency.UZS
    assert PROFILE.credentials == (CredentialField.API_KEY,)
    assert PROFILE.client is UzumClient
    assert PROFILE.webhook_networks == ()
    client = build_client(Marketplace.UZUM, Credentials(TOKEN))
    assert isinstance(client, PROFILE.client) and client.marketplace is PROFILE.marketplace
    await client.aclose()


def test_profile_checks_the_format_of_a_typed_key():
    for good in ("a" * 16, "uzum-token-0123456789abcdef", "x" * 4096):
        assert PROFILE.check_key(good) is None
    for bad in ("", "short-token", "a" * 15, "has a space in it 0123", "tab\tin-the-token-0123", "x" * 4097):
        assert PROFILE.check_key(bad) == "format-uzum-key"


@given(st.text(max_size=300))
def test_profile_key_check_answers_as_the_service_did(text):
    assert PROFILE.check_key(normalize(text)) == check_api_key(Marketplace.UZUM, text)


# ================================================================================================ connection info
async def test_connection_info_has_shops_to_pick_and_no_seller_id():
    api = Api({("GET", "/v1/shops"): {"payload": [{"id": 101, "name": "Shop A"}, {"id": 102, "name": "Shop B"}]}})
    client = api.client(shop_id=None)
    info = await client.check_connection()
    await client.aclose()
    assert info.seller_id is None  # the partner picks a shop; that pick is the id
    assert [shop.id for shop in info.shops] == ["101", "102"]
