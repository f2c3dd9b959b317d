"""The Yandex connector's own rules, without a network: order status -> state / actions, cancel reasons, currencies,
the PROFILE, and what check_connection() reports as the seller id.

The order statuses come from the official spec (OrderStatusType / OrderSubstatusType) and from the sandbox stand-in,
so a status added to either is covered here at once."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import httpx
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from connectors import build_client, default_base_url
from connectors.base import (
    AccountContext,
    CancelReason,
    Credentials,
    CredentialField,
    Currency,
    Marketplace,
    OrderAction,
    OrderState,
    PriceUpdate,
)
from connectors.clock import FakeClock
from connectors.pacing import reset_pacers
from connectors.yandex import PROFILE, YandexClient
from connectors.yandex.catalog import normalize_listing
from connectors.yandex.models import YandexOfferMapping, YandexOrder, to_currency, to_yandex_currency
from connectors.yandex.orders import cancel_substatus, normalize_order, order_state
from connectors.yandex.prices import price_json
from sandbox.marketplaces import yandex as sandbox_yandex
from sandbox.marketplaces.catalog import Lifecycle
from services.key_formats import check_api_key, normalize
from tests.support.contract import SPECS_DIR

SCHEMAS = SPECS_DIR / "yandex" / "partner-api" / "openapi" / "components" / "schemas"
CONFIRM, SHIP, CANCEL = OrderAction.CONFIRM, OrderAction.SHIP, OrderAction.CANCEL
NEW, ACTIVE, CANCELLED, DONE = OrderState.NEW, OrderState.ACTIVE, OrderState.CANCELLED, OrderState.DONE


def spec_enum(name: str) -> list[str]:
    return yaml.safe_load((SCHEMAS / f"{name}.yaml").read_text(encoding="utf-8"))["enum"]


SPEC_STATUSES = spec_enum("OrderStatusType")
SPEC_SUBSTATUSES = spec_enum("OrderSubstatusType")


@pytest.fixture(autouse=True)
def fresh_pacers():
    reset_pacers()
    yield
    reset_pacers()


# ================================================================================ status -> state, actions
# Every status of the spec, with a typical substatus: what the seller sees and may do.
EXPECTED = [
    ("PLACING", None, NEW, set()),
    ("RESERVED", None, NEW, set()),
    ("UNPAID", "WAITING_USER_INPUT", NEW, set()),
    ("PENDING", "AWAIT_CONFIRMATION", NEW, set()),
    ("PROCESSING", "STARTED", NEW, {CONFIRM, CANCEL}),
    ("PROCESSING", "READY_TO_SHIP", ACTIVE, {SHIP, CANCEL}),
    ("PROCESSING", "SHIPPED", ACTIVE, set()),
    ("PROCESSING", "PACKAGING", ACTIVE, set()),
    ("PROCESSING", "WAITING_FOR_STOCKS", ACTIVE, set()),
    ("DELIVERY", "DELIVERY_SERVICE_RECEIVED", ACTIVE, set()),
    ("PICKUP", "PICKUP_SERVICE_RECEIVED", ACTIVE, set()),
    ("DELIVERED", "DELIVERY_SERVICE_DELIVERED", DONE, set()),
    ("PARTIALLY_RETURNED", None, DONE, set()),
    ("RETURNED", None, DONE, set()),
    ("CANCELLED", "SHOP_FAILED", CANCELLED, set()),
    ("CANCELLED", "USER_CHANGED_MIND", CANCELLED, set()),
    ("CANCELLED", "RESERVATION_EXPIRED", CANCELLED, set()),
    ("CANCELLED", None, CANCELLED, set()),
    ("UNKNOWN", None, ACTIVE, set()),
    ("SOMETHING_NEW_IN_2027", None, ACTIVE, set()),  # "other values may be returned"
]


@pytest.mark.parametrize("status, substatus, state, actions", EXPECTED,
                         ids=[f"{s}/{sub}" for s, sub, _, _ in EXPECTED])
def test_status_table(status, substatus, state, actions):
    assert order_state(status, substatus) == (state, frozenset(actions))


def test_every_status_of_the_spec_is_in_the_table():
    listed = {status for status, _, _, _ in EXPECTED}
    assert set(SPEC_STATUSES) <= listed, set(SPEC_STATUSES) - listed


def test_only_started_and_ready_to_ship_offer_actions_whatever_the_substatus():
    """Every (status, substatus) pair the spec can express: updateOrderStatus documents moves from PROCESSING/STARTED
    and PROCESSING/READY_TO_SHIP only, so nothing else offers a button."""
    offering = {(status, sub) for status in SPEC_STATUSES for sub in SPEC_SUBSTATUSES + [None]
                if order_state(status, sub)[1]}
    assert offering == {("PROCESSING", "STARTED"), ("PROCESSING", "READY_TO_SHIP")}


def test_fby_orders_offer_no_action_and_case_does_not_matter():
    assert order_state("PROCESSING", "STARTED", "FBY") == (NEW, frozenset())
    assert order_state("PROCESSING", "READY_TO_SHIP", "FBY") == (ACTIVE, frozenset())
    for program in ("FBS", "DBS", "EXPRESS", "LAAS", None):
        assert order_state("PROCESSING", "STARTED", program)[1] == {CONFIRM, CANCEL}
    assert order_state("cancelled", "shop_failed") == (CANCELLED, frozenset())
    assert order_state("processing", "started") == (NEW, frozenset({CONFIRM, CANCEL}))


# The rules the services applied before issue 10 (services/orders.py, services/order_queries.py), in lower case
# against Order.status. The connector must agree wherever they said something.
OLD_CANCELLED = {"cancelled"}
OLD_DONE = {"delivered", "completed", "complete", "sold", "receive", "delivered_to_customer"}


@pytest.mark.parametrize("status", SPEC_STATUSES)
def test_at_least_as_good_as_the_old_service_rules(status):
    for substatus in (None, "SHOP_FAILED", "DELIVERY_SERVICE_DELIVERED", "STARTED"):
        text = f"{status}/{substatus}" if substatus else status
        state, _ = order_state(status, substatus)
        if text.lower() in OLD_CANCELLED:
            assert state is CANCELLED
        if text.lower() in OLD_DONE:
            assert state is DONE


def test_better_than_the_old_service_rules():
    # The old rules compared the whole "<status>/<substatus>" text, so they missed every Yandex cancellation with a
    # reason (and every delivery with a substatus); the table does not.
    assert "cancelled/shop_failed" not in OLD_CANCELLED and "delivered/delivery_service_delivered" not in OLD_DONE
    assert order_state("CANCELLED", "SHOP_FAILED")[0] is CANCELLED
    assert order_state("CANCELLED", "USER_CHANGED_MIND")[0] is CANCELLED
    assert order_state("DELIVERED", "DELIVERY_SERVICE_DELIVERED")[0] is DONE


@pytest.mark.parametrize("lifecycle, state", [
    (Lifecycle.NEW, NEW), (Lifecycle.CONFIRMED, ACTIVE), (Lifecycle.SHIPPED, ACTIVE),
    (Lifecycle.DELIVERED, DONE), (Lifecycle.CANCELLED, CANCELLED),
])
def test_the_sandbox_statuses_and_the_moves_it_allows(lifecycle, state):
    """Every status the stand-in gives: its state, and exactly the actions the stand-in accepts from it."""
    status, substatus = sandbox_yandex.STATUS_WORDS[lifecycle]
    got_state, actions = order_state(status, substatus)
    targets = {"READY_TO_SHIP": CONFIRM, "SHIPPED": SHIP, "SHOP_FAILED": CANCEL}
    accepted = {targets[target[1]] for target, (_, allowed_from) in sandbox_yandex.TRANSITIONS.items()
                if lifecycle in allowed_from}
    assert got_state is state and actions == accepted


def order(status: str, substatus: str | None, *, program: str = "FBS", prices: dict | None = None) -> YandexOrder:
    body = {"orderId": 7, "campaignId": 21, "programType": program, "status": status, "substatus": substatus,
            "creationDate": "2027-01-15T10:00:00+03:00", "items": [{"offerId": "SKU-1", "count": 2}]}
    if prices is not None:
        body["prices"] = prices
    return YandexOrder.model_validate(body)


def test_normalized_orders_carry_state_actions_and_the_status_text():
    new = normalize_order(order("PROCESSING", "STARTED"))
    assert (new.status, new.state, new.actions) == ("PROCESSING/STARTED", NEW, frozenset({CONFIRM, CANCEL}))
    assert new.can_confirm and new.can_cancel and not new.can_ship
    confirmed = normalize_order(order("PROCESSING", "READY_TO_SHIP"))
    assert confirmed.can_ship and confirmed.can_cancel and not confirmed.can_confirm
    gone = normalize_order(order("CANCELLED", "USER_CHANGED_MIND"))
    assert (gone.status, gone.state, gone.actions) == ("CANCELLED/USER_CHANGED_MIND", CANCELLED, frozenset())
    fby = normalize_order(order("PROCESSING", "STARTED", program="FBY"))
    assert fby.actions == frozenset() and fby.state is NEW


# ============================================================================================ cancel reasons
@pytest.mark.parametrize("reason", [*CancelReason, None])
def test_every_cancel_reason_is_shop_failed(reason):
    assert cancel_substatus(reason) == "SHOP_FAILED"


@pytest.mark.parametrize("old", ["stock", "buyer", "other", "out of stock", "", "The buyer asked to cancel the order"])
def test_the_old_reason_strings_are_still_taken(old):
    assert cancel_substatus(old) == "SHOP_FAILED"


async def test_cancel_sends_shop_failed_for_a_cancel_reason():
    sent: list[tuple[str, str, bytes]] = []
    order_json = {"orderId": 5, "campaignId": 21, "programType": "FBS", "status": "CANCELLED",
                  "substatus": "SHOP_FAILED", "creationDate": "2027-01-15T10:00:00+03:00", "fake": False,
                  "items": [{"offerId": "SKU-1", "count": 1}]}

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append((request.method, request.url.path, request.content))
        if request.method == "PUT":
            return httpx.Response(200, json={"order": {"id": 5, "status": "CANCELLED", "substatus": "SHOP_FAILED"}})
        return httpx.Response(200, json={"orders": [order_json]})

    async with build_client(Marketplace.YANDEX, Credentials("ACMA:unit-test-key-0000000001"),
                            transport=httpx.MockTransport(handler), clock=FakeClock(),
                            account=AccountContext(shop_id="21", business_id="3")) as ym:
        cancelled = await ym.cancel_order("5", CancelReason.BUYER_ASKED)
    assert sent[0][:2] == ("PUT", "/v2/campaigns/21/orders/5/status")
    assert httpx.Response(200, content=sent[0][2]).json() == {"order": {"status": "CANCELLED",
                                                                        "substatus": "SHOP_FAILED"}}
    assert cancelled.state is CANCELLED and cancelled.actions == frozenset()


# ================================================================================================ currency
@pytest.mark.parametrize("given, expected", [
    ("RUR", Currency.RUB), ("RUB", Currency.RUB), (None, Currency.RUB), ("", Currency.RUB), ("rur", Currency.RUB),
    ("KZT", Currency.KZT), ("UZS", Currency.UZS), ("BYN", Currency.BYN), ("BYR", Currency.BYN),
    ("USD", Currency.USD), ("UAH", "UAH"),
])
def test_currencies_become_iso_codes(given, expected):
    assert to_currency(given) == expected
    assert to_currency(given) is not None


def test_listings_and_orders_always_say_their_currency():
    def mapping(price: dict | None) -> YandexOfferMapping:
        offer = {"offerId": "SKU-1", "name": "Lamp"}
        if price is not None:
            offer["basicPrice"] = price
        return YandexOfferMapping.model_validate({"offer": offer})

    assert normalize_listing(mapping({"value": 10, "currencyId": "RUR"}), None).currency == "RUB"
    assert normalize_listing(mapping({"value": 10}), None).currency == Currency.RUB  # the reply does not say
    assert normalize_listing(mapping(None), None).currency == Currency.RUB
    assert normalize_listing(mapping({"value": 10, "currencyId": "KZT"}), None).currency == Currency.KZT
    paid = order("PROCESSING", "STARTED", prices={"payment": {"value": 100, "currencyId": "RUR"}})
    assert normalize_order(paid).currency == "RUB" and normalize_order(paid).total == Decimal(100)
    assert normalize_order(order("PROCESSING", "STARTED")).currency == Currency.RUB  # no prices at all


def test_price_updates_send_yandex_codes():
    assert to_yandex_currency(Currency.RUB) == to_yandex_currency("RUB") == to_yandex_currency("RUR") == "RUR"
    assert to_yandex_currency(None) is None and to_yandex_currency("KZT") == "KZT"
    # None: the cabinet's currency; the services' "RUR" of today and an ISO RUB both go out as RUR.
    assert price_json(PriceUpdate("A", Decimal("10.5")), "KZT") == {"value": 10.5, "currencyId": "KZT"}
    for currency in ("RUR", "RUB", Currency.RUB):
        assert price_json(PriceUpdate("A", Decimal(10), Decimal(12), currency=currency), "KZT") == {
            "value": 10, "currencyId": "RUR", "discountBase": 12}


# ================================================================================================= PROFILE
def test_profile():
    assert PROFILE.marketplace is Marketplace.YANDEX
    assert PROFILE.base_url == "https://api.partner.market.yandex.ru" == default_base_url(Marketplace.YANDEX)
    assert PROFILE.currency is Currency.RUB
    assert PROFILE.credentials == (CredentialField.API_KEY,)
    assert PROFILE.client is YandexClient
    client = build_client(Marketplace.YANDEX, Credentials("ACMA:unit-test-key-0000000002"), clock=FakeClock())
    assert isinstance(client, PROFILE.client) and client.marketplace is PROFILE.marketplace


def test_profile_webhook_networks_are_the_published_ones():
    assert PROFILE.webhook_networks == ("5.45.207.0/25", "141.8.142.0/25", "5.255.253.0/25")


@pytest.mark.parametrize("key, expected", [
    ("ACMA:abcdefghijklmnopqrstuvwxyz:12345678", None),
    ("ACMA:0123456789abcde", None),  # 20 characters
    ("y0_AgAAAAAAxxxxxxxxxxxxxxxxxxxxx", "format-yandex-oauth"),  # a legacy OAuth token
    ("ACMA:0123456789abcd", "format-yandex-key"),  # 19: too short
    ("", "format-yandex-key"),
    ("ACMA:abc defghijklmnopqrstuvwxyz", "format-yandex-key"),
    ("A" * 4097, "format-yandex-key"),
])
def test_check_key(key, expected):
    assert PROFILE.check_key(key) == expected


@given(st.text(max_size=300) | st.sampled_from(["ACMA:abcdefghijklmnopqrstuvwxyz:1", " 'Bearer y0_abcdefghijklmnopqrst' ",
                                                "\"ACMA:abcdefghijklmnopqrstuvwxyz\"", "y0_", "ACMA:1"]))
def test_check_key_agrees_with_the_old_services_check(text):
    """services/key_formats.check_api_key's Yandex branch, moved: the same verdict on the normalized text."""
    assert PROFILE.check_key(normalize(text)) == check_api_key(Marketplace.YANDEX, text)


# ======================================================================================= ConnectionInfo
async def test_check_connection_leaves_seller_id_to_the_picked_campaign():
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v2/campaigns"
        return httpx.Response(200, json={"campaigns": [
            {"id": 11, "domain": "a.example", "business": {"id": 5, "name": "Cabinet"}, "placementType": "FBS"},
            {"id": 12, "domain": "b.example", "business": {"id": 5, "name": "Cabinet"}, "placementType": "DBS"},
        ]})

    async with build_client(Marketplace.YANDEX, Credentials("ACMA:unit-test-key-0000000003"),
                            transport=httpx.MockTransport(handler), clock=FakeClock()) as ym:
        info = await ym.check_connection()
    assert info.seller_id is None  # the partner picks a campaign: that pick is the integration's id
    assert [s.id for s in info.shops] == ["11", "12"] and info.account_id == "5"


def test_times_in_a_normalized_order_are_unix_seconds():
    normalized = normalize_order(order("PROCESSING", "STARTED"))
    assert normalized.created_at == int(datetime(2027, 1, 15, 7, 0, tzinfo=timezone.utc).timestamp())
