"""The Wildberries package's own rules: order status -> state / actions, cancel reasons, currencies, PROFILE, the
key format check and the connection's seller id."""
from __future__ import annotations

from decimal import Decimal

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from connectors import build_client, default_base_url
from connectors.base import (
    CancelReason,
    CredentialField,
    Credentials,
    Currency,
    Marketplace,
    OrderAction,
    OrderState,
)
from connectors.clock import FakeClock
from connectors.pacing import reset_pacers
from connectors.wildberries import PROFILE, WildberriesClient
from connectors.wildberries.catalog import listing_from_card
from connectors.wildberries.models import (
    WB_CURRENCIES,
    WbCard,
    WbCardSize,
    WbGoods,
    WbPriceSize,
    WbTask,
    WbTaskStatus,
    currency_of_code,
    currency_of_text,
)
from connectors.wildberries.orders import (
    WB_CANCELLED_SUPPLIER_STATUSES,
    WB_CANCELLED_WB_STATUSES,
    WB_DONE_WB_STATUSES,
    WB_OPEN_WB_STATUSES,
    WB_SUPPLIER_STATES,
    is_final,
    order_from_task,
    wb_cancel_reason,
    wb_order_state,
)
from connectors.wildberries.prices import price_from_goods
from sandbox.marketplaces import accounts as A
from sandbox.marketplaces.catalog import Lifecycle
from sandbox.marketplaces.wildberries import WB_STATUS
from services.key_formats import check_api_key, normalize
from tests.support import FakeApi, make_jwt, make_wb_token, reply, wb_mask
from tests.support.contract import WB_SPEC_DIR

NEW, ACTIVE, CANCELLED, DONE = OrderState.NEW, OrderState.ACTIVE, OrderState.CANCELLED, OrderState.DONE
CONFIRM, SHIP, CANCEL = OrderAction.CONFIRM, OrderAction.SHIP, OrderAction.CANCEL
ALL = frozenset({CONFIRM, SHIP, CANCEL})
NONE: frozenset[OrderAction] = frozenset()


# ============================================================================ status -> state, actions
@pytest.mark.parametrize("supplier, wb, state, actions", [
    # the seller's own statuses while WB has nothing to add
    ("new", None, NEW, ALL),  # GET /api/v3/orders/new carries no status
    ("new", "waiting", NEW, ALL),
    ("confirm", "waiting", ACTIVE, frozenset({SHIP, CANCEL})),  # on assembly, in a supply
    ("complete", "waiting", ACTIVE, NONE),  # in delivery: the supply was handed over, nothing left to do
    ("complete", "sorted", ACTIVE, NONE),
    ("complete", "ready_for_pickup", ACTIVE, NONE),
    ("complete", "postponed_delivery", ACTIVE, NONE),
    ("complete", "accepted_by_carrier", ACTIVE, NONE),
    ("complete", "sent_to_carrier", ACTIVE, NONE),
    # delivered
    ("complete", "sold", DONE, NONE),
    # cancelled by anyone, whatever the other status says
    ("cancel", "canceled", CANCELLED, NONE),  # by the seller
    ("cancel", "waiting", CANCELLED, NONE),
    ("new", "declined_by_client", CANCELLED, NONE),  # the buyer, in the first hour
    ("complete", "canceled_by_client", CANCELLED, NONE),  # refused at the pick-up point
    ("complete", "defect", CANCELLED, NONE),
    ("cancel_carrier", "canceled_by_carrier", CANCELLED, NONE),  # crossborder (2026-08 en docs)
    ("complete", "canceled", CANCELLED, NONE),
    ("cancel", "sold", CANCELLED, NONE),  # contradictory: a cancellation wins, as in the services' old rule
    # words the services' old rule took as cancelled (not in WB's specs)
    ("rejected", None, CANCELLED, NONE),
    ("reject", "waiting", CANCELLED, NONE),
    ("new", "cancelled", CANCELLED, NONE),
    # a status the specs do not have: being fulfilled, nothing offered
    ("something_new", "waiting", ACTIVE, NONE),
    (None, None, ACTIVE, NONE),
])
def test_status_table(supplier, wb, state, actions):
    assert wb_order_state(supplier, wb) == (state, actions)


def test_statuses_are_compared_in_lower_case():
    assert wb_order_state("NEW", "Waiting") == (NEW, ALL)
    assert wb_order_state("Complete", "SOLD") == (DONE, NONE)
    assert wb_order_state("confirm", "Declined_By_Client") == (CANCELLED, NONE)


def test_is_cancellable_false_takes_cancel_away_and_nothing_else():
    assert wb_order_state("new", "waiting", False) == (NEW, frozenset({CONFIRM, SHIP}))
    assert wb_order_state("confirm", "waiting", False) == (ACTIVE, frozenset({SHIP}))
    assert wb_order_state("confirm", "waiting", True) == (ACTIVE, frozenset({SHIP, CANCEL}))
    assert wb_order_state("confirm", "waiting", "no") == (ACTIVE, frozenset({SHIP, CANCEL}))  # not a real false


def _ru_yaml_status_enums() -> tuple[list[str], list[str]]:
    spec = yaml.safe_load((WB_SPEC_DIR / "03-orders-fbs.yaml").read_text(encoding="utf-8"))
    row = spec["paths"]["/api/v3/orders/status"]["post"]["responses"]["200"]["content"]["application/json"]
    fields = row["schema"]["properties"]["orders"]["items"]["properties"]
    return fields["supplierStatus"]["enum"], fields["wbStatus"]["enum"]


def test_every_status_of_the_spec_has_a_rule():
    supplier_statuses, wb_statuses = _ru_yaml_status_enums()
    assert set(supplier_statuses) == {"new", "confirm", "complete", "cancel"}  # the spec the table was read from
    for supplier in supplier_statuses:
        assert supplier in WB_SUPPLIER_STATES or supplier in WB_CANCELLED_SUPPLIER_STATUSES
    known_wb = WB_CANCELLED_WB_STATUSES | WB_DONE_WB_STATUSES | WB_OPEN_WB_STATUSES
    assert set(wb_statuses) <= known_wb
    # The 2026-08 en docs add a carrier's cancellation on both sides (crossborder).
    assert "cancel_carrier" in WB_CANCELLED_SUPPLIER_STATUSES and "canceled_by_carrier" in WB_CANCELLED_WB_STATUSES
    # An open wbStatus never decides on its own: the seller's status does.
    for wb in WB_OPEN_WB_STATUSES:
        assert wb_order_state("new", wb) == (NEW, ALL)
        assert wb_order_state("confirm", wb) == (ACTIVE, frozenset({SHIP, CANCEL}))


@pytest.mark.parametrize("lifecycle, state, actions", [
    (Lifecycle.NEW, NEW, ALL),
    (Lifecycle.CONFIRMED, ACTIVE, frozenset({SHIP, CANCEL})),
    (Lifecycle.SHIPPED, ACTIVE, NONE),
    (Lifecycle.DELIVERED, DONE, NONE),
    (Lifecycle.CANCELLED, CANCELLED, NONE),
])
def test_every_sandbox_status(lifecycle, state, actions):
    supplier, wb = WB_STATUS[lifecycle]
    assert wb_order_state(supplier, wb) == (state, actions)


@pytest.mark.parametrize("supplier, wb", [
    *((s, w) for s in ("new", "confirm", "complete", "cancel") for w in (None, "waiting", "sorted", "sold", "canceled",
                                                                          "canceled_by_client", "declined_by_client",
                                                                          "defect", "ready_for_pickup")),
    ("reject", None), ("rejected", None), ("new", "cancelled"),
])
def test_cancelled_at_least_wherever_the_services_old_rule_said_so(supplier, wb):
    """services/orders.py CANCELLED[wildberries], compared with Order.status and extra["wb_status"]."""
    old_rule = {"cancel", "canceled", "cancelled", "canceled_by_client", "declined_by_client", "reject", "rejected"}
    if {supplier.lower(), (wb or "").lower()} & old_rule:
        assert wb_order_state(supplier, wb)[0] is CANCELLED


def test_final_statuses_are_the_cancelled_and_done_ones():
    assert is_final(WbTaskStatus(id=1, supplierStatus="complete", wbStatus="sold"))
    assert is_final(WbTaskStatus(id=1, supplierStatus="cancel", wbStatus="waiting"))
    assert is_final(WbTaskStatus(id=1, supplierStatus="complete", wbStatus="defect"))
    assert not is_final(WbTaskStatus(id=1, supplierStatus="complete", wbStatus="waiting"))
    assert not is_final(WbTaskStatus(id=1, supplierStatus="confirm", wbStatus="waiting"))


def test_orders_carry_state_actions_and_the_marketplace_status_text():
    task = WbTask(id=7, createdAt="2026-05-01T10:00:00Z", convertedPrice=150_00, convertedCurrencyCode=643)
    new = order_from_task(task, None)
    assert (new.status, new.state, new.actions) == ("new", NEW, ALL)
    assert new.can_confirm and new.can_ship and new.can_cancel
    confirmed = order_from_task(task, WbTaskStatus(id=7, supplierStatus="confirm", wbStatus="waiting"))
    assert (confirmed.status, confirmed.extra["wb_status"], confirmed.state) == ("confirm", "waiting", ACTIVE)
    assert not confirmed.can_confirm and confirmed.can_ship and confirmed.can_cancel
    sold = order_from_task(task, WbTaskStatus(id=7, supplierStatus="complete", wbStatus="sold"))
    assert (sold.status, sold.state, sold.actions) == ("complete", DONE, NONE)
    refused = order_from_task(task, WbTaskStatus(id=7, supplierStatus="confirm", wbStatus="waiting",
                                                 isCancellable=False))
    assert refused.actions == frozenset({SHIP})


# ================================================================================== cancel reasons
@pytest.mark.parametrize("reason", [*CancelReason, None])
def test_wb_takes_no_reason_for_any_preset(reason):
    assert wb_cancel_reason(reason) is None


@pytest.mark.parametrize("old", ["out of stock", "stock", "The buyer asked to cancel the order", ""])
def test_the_old_reason_strings_are_still_accepted(old):
    assert wb_cancel_reason(old) is None


def test_a_reason_of_another_type_is_a_programming_error():
    with pytest.raises(TypeError):
        wb_cancel_reason(352)  # type: ignore[arg-type]


# ====================================================================================== currencies
@pytest.mark.parametrize("code, currency", [
    (643, Currency.RUB), (933, Currency.BYN), (398, Currency.KZT), (51, Currency.AMD), (417, Currency.KGS),
    (860, Currency.UZS), (156, Currency.CNY), (840, Currency.USD), (978, Currency.EUR),
    (None, Currency.RUB), (999, Currency.RUB),
])
def test_numeric_currency_codes(code, currency):
    assert currency_of_code(code) is currency


@pytest.mark.parametrize("text, currency", [
    ("RUB", Currency.RUB), ("rub", Currency.RUB), (" KZT ", Currency.KZT), ("UZS", Currency.UZS),
    (None, Currency.RUB), ("", Currency.RUB), ("RUR", Currency.RUB), ("XYZ", Currency.RUB),
])
def test_letter_currency_codes(text, currency):
    assert currency_of_text(text) is currency


def test_orders_and_listings_always_name_an_iso_currency():
    def order(**prices):
        return order_from_task(WbTask(id=1, **prices), None)

    assert order(price=100_00, currencyCode=398).currency is Currency.KZT
    converted = order(price=100_00, currencyCode=398, convertedPrice=15_00, convertedCurrencyCode=643)
    assert converted.currency is Currency.RUB and converted.total == Decimal(15)  # the seller's currency wins
    assert order(price=100_00).currency is Currency.RUB  # the reply names none: WB's default
    unknown = order(price=100_00, currencyCode=999)
    assert unknown.currency is Currency.RUB and unknown.extra["currency_code"] == 999
    assert order(price=100_00, currencyCode=643).total == Decimal(100)

    card = WbCard(nmID=5, vendorCode="A-1", sizes=[WbCardSize(chrtID=9, skus=["200"])])
    assert listing_from_card(card).currency is Currency.RUB  # no price joined (Base token): still a currency
    goods = WbGoods(nmID=5, sizes=[WbPriceSize(price=Decimal(10), discountedPrice=Decimal(9))],
                    currencyIsoCode4217="kzt")
    assert listing_from_card(card, goods).currency is Currency.KZT
    assert listing_from_card(card, goods.model_copy(update={"currencyIsoCode4217": None})).currency is Currency.RUB
    assert price_from_goods(goods).currency is Currency.KZT
    assert all(isinstance(c, Currency) for c in WB_CURRENCIES.values())


# ========================================================================================= PROFILE
def test_profile():
    assert PROFILE.marketplace is Marketplace.WILDBERRIES
    assert PROFILE.base_url == default_base_url(Marketplace.WILDBERRIES) == "https://{category}-api.wildberries.ru"
    assert PROFILE.currency is Currency.RUB
    assert PROFILE.credentials == (CredentialField.API_KEY,)
    assert PROFILE.client is WildberriesClient
    assert PROFILE.webhook_networks == ()


async def test_profile_client_is_what_build_client_makes():
    client = build_client(Marketplace.WILDBERRIES, Credentials(make_wb_token()))
    try:
        assert isinstance(client, PROFILE.client)
        assert client.host_url("marketplace") == "https://marketplace-api.wildberries.ru"
    finally:
        await client.aclose()


@pytest.mark.parametrize("key", [
    make_wb_token(), make_wb_token(acc=3), make_wb_token(acc=4, **{"for": "asid:svc"}), A.WB_TOKEN,
    A.WB_TOKEN_PERSONAL, A.WB_TOKEN_READONLY, make_jwt({"acc": 1}), make_jwt({}),
])
def test_check_key_accepts_wb_tokens(key):
    assert PROFILE.check_key(key) is None


@pytest.mark.parametrize("key", [
    "", "   ", "not-a-jwt-but-long-enough", "a.b.c", "a.b", "a.b.c.d", "x.!!!.y", make_jwt("[1, 2]"),  # type: ignore
    "0f8fad5b-d9cb-469f-a165-70867728950e", "y0_AgAAAAAAxxxxxxxxxxxxxxxxxxxxx", make_wb_token()[:40],
    make_wb_token().replace(".", " .", 1), "x" * 5000,
])
def test_check_key_refuses_what_is_not_a_wb_token(key):
    assert PROFILE.check_key(key) == "format-wildberries-key"


@given(st.one_of(st.text(max_size=120), st.sampled_from([make_wb_token(), f'"Bearer {make_wb_token()}"',
                                                         make_jwt({"s": 2}) + " ", "a.b.c"])))
def test_check_key_says_what_the_services_check_says_today(text):
    """services/key_formats.check_api_key's Wildberries branch, on the text as that module normalizes it."""
    assert PROFILE.check_key(normalize(text)) == check_api_key(Marketplace.WILDBERRIES, text)


# ===================================================================================== connection
async def test_connection_names_the_tokens_seller_as_the_seller_id():
    reset_pacers()
    token = make_wb_token(acc=3, s=wb_mask(1, 4), sid="0b1c2d3e-0000-4000-8000-00000000abcd")
    api = FakeApi()
    for host in ("content", "marketplace"):
        api.add("GET", f"https://{host}-api.wildberries.ru/ping", reply(200, {"TS": "2026-01-01T00:00:00Z",
                                                                            "Status": "OK"}))
    api.add("GET", "https://marketplace-api.wildberries.ru/api/v3/warehouses", reply(200, [{"id": 1, "name": "Main"}]))
    client = WildberriesClient(Credentials(token), base_url=PROFILE.base_url, transport=api.transport,
                               clock=FakeClock(1_800_000_000.0))
    try:
        info = await client.check_connection()
    finally:
        await client.aclose()
        reset_pacers()
    assert info.seller_id == info.account_id == "0b1c2d3e-0000-4000-8000-00000000abcd"
    assert [w.id for w in info.warehouses] == ["1"] and info.shops == []


async def test_a_token_without_a_seller_has_no_seller_id():
    reset_pacers()
    token = make_jwt({"acc": 1, "s": wb_mask(1), "exp": 1_900_000_000})
    api = FakeApi().add("GET", "https://content-api.wildberries.ru/ping", reply(200, {"Status": "OK"}))
    client = WildberriesClient(Credentials(token), base_url=PROFILE.base_url, transport=api.transport,
                               clock=FakeClock(1_800_000_000.0))
    try:
        info = await client.check_connection()
    finally:
        await client.aclose()
        reset_pacers()
    assert info.seller_id is None
