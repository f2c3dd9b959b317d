"""connectors/yandex/webhooks.py: what a Yandex Market notification asks for, and the replies.

The notifications the tests send and every reply are validated with openapi-core against the official
notification-api spec, as tests/unit/test_web.py does for the endpoint of bot/web.py."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from connectors.base import (
    Marketplace,
    WebhookIgnore,
    WebhookPing,
    WebhookPoll,
    WebhookRefusal,
)
from connectors.yandex import limits
from connectors.yandex import webhooks as W
from tests.support.contract import SPECS_DIR

NOTIFICATION_SPEC = SPECS_DIR / "yandex" / "notification-api" / "openapi" / "openapi.yaml"
SCHEMAS = NOTIFICATION_SPEC.parent / "components" / "schemas"
CAMPAIGN = 21000002


# ------------------------------------------------------------------------------------ the spec
def _notification_spec() -> OpenAPI:
    data = yaml.safe_load(Path(NOTIFICATION_SPEC).read_text(encoding="utf-8"))
    data = {**data, "servers": [{"url": "/"}]}
    return OpenAPI.from_dict(data, config=Config(spec_validator_cls=None), base_uri=Path(NOTIFICATION_SPEC).as_uri())


SPEC = _notification_spec()


class _SpecRequest:
    def __init__(self, body: dict):
        self.host_url = "http://shop.local"
        self.path = self.path_pattern = "/notification"
        self.method = "post"
        self.body = json.dumps(body).encode()
        self.content_type = "application/json"
        self.parameters = RequestParameters(query=ImmutableMultiDict(), header=Headers(), cookie=ImmutableMultiDict(),
                                            path={})


class _SpecResponse:
    def __init__(self, status: int, body: bytes):
        self.status_code = status
        self.headers = Headers([("Content-Type", "application/json")])
        self.content_type = "application/json"
        self.data = body


def valid_notification(body: dict) -> dict:
    """What the tests send is what Yandex may send (SendNotificationRequest)."""
    SPEC.validate_request(_SpecRequest(body))
    return body


def spec_reply(reply: tuple[int, dict], *, as_status: int | None = None) -> dict:
    """The reply, validated against POST /notification's documented response for its status (or `as_status`:
    a 403 of ours is checked against the documented error shape of 400)."""
    status, body = reply
    raw = json.dumps(body).encode()
    SPEC.validate_response(_SpecRequest({"notificationType": "PING"}), _SpecResponse(as_status or status, raw))
    return body


def iso_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ping() -> dict:
    return valid_notification({"notificationType": "PING", "time": iso_now()})


def order_created(campaign: int = CAMPAIGN, order_id: int = 70000001) -> dict:
    return valid_notification({"notificationType": "ORDER_CREATED", "campaignId": campaign, "orderId": order_id,
                               "createdAt": iso_now(), "items": [{"offerId": "SKU-1", "count": 1}]})


ORDER_EXAMPLES = {
    "ORDER_CREATED": order_created,
    "ORDER_CANCELLED": lambda: {"notificationType": "ORDER_CANCELLED", "campaignId": CAMPAIGN, "orderId": 1,
                                "items": [{"offerId": "SKU-1", "count": 1}], "cancelledAt": iso_now()},
    "ORDER_STATUS_UPDATED": lambda: {"notificationType": "ORDER_STATUS_UPDATED", "campaignId": CAMPAIGN, "orderId": 1,
                                     "status": "PROCESSING", "substatus": "STARTED", "updatedAt": iso_now()},
    "ORDER_CANCELLATION_REQUEST": lambda: {"notificationType": "ORDER_CANCELLATION_REQUEST", "campaignId": CAMPAIGN,
                                           "orderId": 1, "requestedAt": iso_now()},
    "ORDER_UPDATED": lambda: {"notificationType": "ORDER_UPDATED", "campaignId": CAMPAIGN, "orderId": 1,
                              "updateType": "SHIPMENT_DATE_UPDATED", "updatedAt": iso_now()},
}


def raw(body: object) -> bytes:
    return json.dumps(body).encode()


# ----------------------------------------------------------------------------------------- types
def test_the_types_are_the_specs_enum():
    enum = yaml.safe_load((SCHEMAS / "NotificationType.yaml").read_text(encoding="utf-8"))["enum"]
    assert W.ORDER_TYPES | W.OTHER_TYPES == set(enum) and not W.ORDER_TYPES & W.OTHER_TYPES
    assert set(ORDER_EXAMPLES) == W.ORDER_TYPES and W.PING in W.OTHER_TYPES


def test_ping_and_its_reply_match_the_spec():
    assert W.read_notification(raw(ping())) == WebhookPing()
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    started = datetime.now(timezone.utc)
    body = spec_reply(W.reply_to(WebhookPing(), started))
    assert set(body) == {"version", "name", "time"}
    assert body["name"] == "SellerCloudX" and 1 <= len(body["version"]) <= 100
    assert body["time"].endswith("Z")
    assert before <= datetime.fromisoformat(body["time"]) <= datetime.now(timezone.utc) + timedelta(seconds=1)
    assert abs(datetime.fromisoformat(body["time"]) - started) < timedelta(milliseconds=1)
    assert limits.PING_REPLY_TIMEOUT == 1.0 and limits.NOTIFICATION_REPLY_TIMEOUT == 10.0


def test_the_reply_time_is_utc_with_milliseconds_whatever_the_zone_given():
    moscow = timezone(timedelta(hours=3))
    status, body = W.ok_reply(datetime(2027, 1, 15, 12, 30, 5, 213456, tzinfo=moscow), version="1.2.3")
    assert status == 200 and body == {"version": "1.2.3", "name": "SellerCloudX", "time": "2027-01-15T09:30:05.213Z"}
    assert len(W.ok_reply(datetime.now(timezone.utc), version="v" * 300)[1]["version"]) == 100


def test_order_created_asks_for_a_poll_of_its_campaign():
    assert W.read_notification(raw(order_created())) == WebhookPoll(str(CAMPAIGN), "ORDER_CREATED")
    spec_reply(W.reply_to(WebhookPoll(str(CAMPAIGN), "ORDER_CREATED"), datetime.now(timezone.utc)))


@pytest.mark.parametrize("kind", sorted(ORDER_EXAMPLES))
def test_every_order_notification_type_asks_for_a_poll(kind):
    notice = W.parse_notification(valid_notification(ORDER_EXAMPLES[kind]()))
    assert notice == WebhookPoll(str(CAMPAIGN), kind)
    assert spec_reply(W.reply_to(notice, datetime.now(timezone.utc)))["name"] == "SellerCloudX"


def test_other_notifications_are_acknowledged_with_nothing_to_do():
    chat = valid_notification({"notificationType": "CHAT_CREATED", "businessId": 1, "chatId": 5,
                               "createdAt": iso_now()})
    assert W.parse_notification(chat) == WebhookIgnore("CHAT_CREATED", known=True)
    # A type newer than the spec copy is acknowledged too (refusing it would only make Yandex retry).
    newer = W.parse_notification({"notificationType": "SOMETHING_NEW_IN_2027", "campaignId": CAMPAIGN})
    assert newer == WebhookIgnore("SOMETHING_NEW_IN_2027", known=False)
    for notice in (W.parse_notification(chat), newer):
        assert spec_reply(W.reply_to(notice, datetime.now(timezone.utc)))


def test_duplicates_ask_for_the_same_poll():
    """The same notification twice: two polls of one campaign (each an ordinary poll that stores an order once),
    both acknowledged with 200 - never DUPLICATED_EVENT, which would only make Yandex retry."""
    body = raw(order_created(order_id=777))
    first, second = W.read_notification(body), W.read_notification(body)
    assert first == second == WebhookPoll(str(CAMPAIGN), "ORDER_CREATED")
    assert W.reply_to(second, datetime.now(timezone.utc))[0] == 200


@pytest.mark.parametrize("body, what", [
    (b"{not json", "malformed JSON"),
    (b"\xff\xfe", "malformed JSON"),
    (b"[1, 2]", "JSON object"),
    (b'{"campaignId": 21000002}', "notificationType"),
    (b'{"notificationType": "", "campaignId": 21000002}', "notificationType"),
    (b'{"notificationType": "ORDER_CREATED", "orderId": 1}', "campaignId"),
    (b'{"notificationType": "ORDER_CREATED", "campaignId": "abc"}', "campaignId"),
    (b'{"notificationType": "ORDER_CREATED", "campaignId": 0}', "campaignId"),
    (b'{"notificationType": "ORDER_CREATED", "campaignId": true}', "campaignId"),
])
def test_a_bad_body_is_400_in_the_spec_error_shape(body, what):
    notice = W.read_notification(body)
    assert isinstance(notice, WebhookRefusal) and notice.status == 400
    reply = spec_reply(W.reply_to(notice, datetime.now(timezone.utc)))
    assert reply["error"]["type"] == "WRONG_EVENT_FORMAT" and what in reply["error"]["message"]


def test_campaign_ids_as_sent():
    assert W.shop_id_of(21000002) == W.shop_id_of("21000002") == W.shop_id_of(" 021000002 ") == "21000002"
    for bad in (None, 0, -5, "abc", "", True, 1.5, "-1"):
        assert W.shop_id_of(bad) is None


def test_a_refused_source_and_a_too_large_body_are_errors_in_the_spec_shape():
    status, body = W.reply_to(W.refused_source(), datetime.now(timezone.utc))
    assert status == 403
    assert spec_reply((status, body), as_status=400)["error"]["type"] == "UNKNOWN"
    status, body = W.reply_to(W.too_large(), datetime.now(timezone.utc))
    assert status == 413 and spec_reply((status, body), as_status=400)["error"]["type"] == "WRONG_EVENT_FORMAT"


# ----------------------------------------------------------------------------------------- sources
@pytest.mark.parametrize("address, allowed", [
    ("5.45.207.10", True), ("141.8.142.1", True), ("5.255.253.127", True),
    ("5.255.253.128", False),  # a /25
    ("::ffff:5.45.207.10", True),  # an IPv4 client of a dual-stack socket
    ("8.8.8.8", False), ("195.34.21.1", False),  # Ozon's is not Yandex's
    ("not-an-address", False), ("", False),
])
def test_the_published_networks(address, allowed):
    from bot.web import is_allowed, parse_address, parse_networks

    assert is_allowed(parse_address(address), parse_networks(W.NETWORKS)) is allowed


def test_the_web_server_serves_them_where_the_cabinet_is_told():
    from bot.web import webhook_path

    assert webhook_path(Marketplace.YANDEX) == "/webhooks/yandex/notification"  # README: base URL .../webhooks/yandex
