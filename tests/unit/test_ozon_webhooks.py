"""connectors.ozon.webhooks: Ozon's push notifications as pure functions.

Ozon publishes its push shapes as prose in the swagger (tags push_start, push_types, service_response), so the
tests read them from there: every example notification of push_types is classified, the documented type table
is covered, the replies have the documented fields and codes, the networks are the published ones. The same
decisions as bot/web.py's handler (until it calls this module) are checked against its reply functions.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from connectors.base import (
    Marketplace,
    WebhookIgnore,
    WebhookPing,
    WebhookPoll,
    WebhookRefusal,
)
from connectors.ozon import webhooks as W
from tests.support.contract import ozon_raw_spec


def tag(name: str) -> str:
    return next(t for t in ozon_raw_spec()["tags"] if t["name"] == name)["description"]


def examples(name: str) -> list[dict]:
    """The JSON examples (``` blocks) of a swagger tag's prose."""
    return [json.loads(block) for block in re.findall(r"```(?:json5?)?\s*\n(.*?)```", tag(name), re.S)]


def documented_types() -> set[str]:
    """The message types of push_types' table (first column)."""
    return set(re.findall(r"^\|\s*\[(TYPE_[A-Z_]+)\]", tag("push_types"), re.M))


# ============================================================================================= networks
def test_the_networks_are_the_published_ones():
    published = tuple(re.findall(r"- (\d+\.\d+\.\d+\.\d+/\d+)", tag("push_start")))
    assert W.NETWORKS == published and len(published) == 3


# ======================================================================================== classification
def test_the_type_table_is_covered_once():
    types = documented_types()
    assert W.PING_TYPE in types and W.ORDER_TYPES <= types and W.ACKNOWLEDGED_TYPES <= types
    assert types == {W.PING_TYPE} | W.ORDER_TYPES | W.ACKNOWLEDGED_TYPES
    assert not W.ORDER_TYPES & W.ACKNOWLEDGED_TYPES


def test_every_documented_example_is_understood():
    found = examples("push_types")
    assert len(found) >= 10
    for body in found:
        kind = body["message_type"]
        result = W.classify(body)
        if kind in W.ORDER_TYPES:
            assert result == WebhookPoll(str(body["seller_id"]), kind, body["posting_number"]), body
        elif kind in W.ACKNOWLEDGED_TYPES:
            assert result == WebhookIgnore(kind, known=True), body
        else:  # the stock-change example's placeholder "string": a type we do not know, still acknowledged
            assert result == WebhookIgnore(kind, known=False), body
        assert W.reply_for(result, datetime.now(timezone.utc), name="n", version="v") == (200, {"result": True})
    kinds = {body["message_type"] for body in found}
    assert W.ORDER_TYPES <= kinds


def test_the_connection_check_is_a_ping():
    (check, *_) = examples("push_start")
    assert set(check) == {"message_type", "time"}
    assert W.classify({**check, "message_type": W.PING_TYPE}) == WebhookPing()
    assert W.parse_body(json.dumps({"message_type": "TYPE_PING", "time": check["time"]}).encode()) == WebhookPing()


@pytest.mark.parametrize("seller_id", [2600101, "2600101", " 2600101", "002600101"])
def test_an_order_notification_asks_for_its_sellers_poll(seller_id):
    body = {"message_type": "TYPE_NEW_POSTING", "posting_number": "24319409-0021-1", "seller_id": seller_id}
    assert W.parse_body(json.dumps(body)) == WebhookPoll("2600101", "TYPE_NEW_POSTING", "24319409-0021-1")
    assert W.classify({"message_type": "TYPE_STATE_CHANGED", "seller_id": seller_id}) == \
        WebhookPoll("2600101", "TYPE_STATE_CHANGED", None)


@pytest.mark.parametrize("raw, code, what", [
    (b"{not json", W.ERROR_UNKNOWN, "malformed JSON"),
    (b"\xff\xfe", W.ERROR_UNKNOWN, "malformed JSON"),
    (b'"TYPE_PING"', W.ERROR_UNKNOWN, "JSON object"),
    (b"[1, 2]", W.ERROR_UNKNOWN, "JSON object"),
    (b'{"time": "2019-08-24T14:15:22Z"}', W.ERROR_PARAMETER_VALUE_MISSED, "message_type"),
    (b'{"message_type": ""}', W.ERROR_PARAMETER_VALUE_MISSED, "message_type"),
    (b'{"message_type": 7}', W.ERROR_PARAMETER_VALUE_MISSED, "message_type"),
    (b'{"message_type": "TYPE_NEW_POSTING", "posting_number": "1-1-1"}', W.ERROR_PARAMETER_VALUE_MISSED, "seller_id"),
    (b'{"message_type": "TYPE_POSTING_CANCELLED", "seller_id": 0}', W.ERROR_PARAMETER_VALUE_MISSED, "seller_id"),
    (b'{"message_type": "TYPE_STATE_CHANGED", "seller_id": -5}', W.ERROR_PARAMETER_VALUE_MISSED, "seller_id"),
    (b'{"message_type": "TYPE_STATE_CHANGED", "seller_id": true}', W.ERROR_PARAMETER_VALUE_MISSED, "seller_id"),
    (b'{"message_type": "TYPE_STATE_CHANGED", "seller_id": "abc"}', W.ERROR_PARAMETER_VALUE_MISSED, "seller_id"),
    (b'{"message_type": "TYPE_STATE_CHANGED", "seller_id": 1.5}', W.ERROR_PARAMETER_VALUE_MISSED, "seller_id"),
])
def test_a_body_we_cannot_use_is_a_400_in_the_documented_error_shape(raw, code, what):
    result = W.parse_body(raw)
    assert isinstance(result, WebhookRefusal) and result.status == 400 and result.code == code
    assert what in result.message
    status, body = W.reply_for(result, datetime.now(timezone.utc), name="n", version="v")
    assert status == 400 and body == {"error": {"code": code, "message": result.message, "details": None}}


def test_other_types_need_no_seller_and_are_acknowledged():
    assert W.classify({"message_type": "TYPE_CHAT_CLOSED"}) == WebhookIgnore("TYPE_CHAT_CLOSED")
    assert W.classify({"message_type": "TYPE_SOMETHING_NEW", "seller_id": 1}) == \
        WebhookIgnore("TYPE_SOMETHING_NEW", known=False)


# ============================================================================================== replies
def documented_error_codes() -> set[str]:
    return set(re.findall(r"`(ERROR_[A-Z_]+)`", tag("service_response")))


def test_the_replies_have_the_documented_shapes_and_codes():
    ok, error = examples("service_response")
    assert W.ok_reply() == (200, ok)
    status, body = W.error_reply(400, W.ERROR_PARAMETER_VALUE_MISSED, "x")
    assert status == 400 and set(body) == set(error) and set(body["error"]) == set(error["error"])
    assert body["error"]["details"] is None and error["error"]["details"] is None
    assert {W.ERROR_UNKNOWN, W.ERROR_PARAMETER_VALUE_MISSED, W.ERROR_REQUEST_DUPLICATED} == documented_error_codes()
    for status, body in (W.reply_for(W.refused(), datetime.now(timezone.utc), name='x', version='1'), W.reply_for(W.too_large(), datetime.now(timezone.utc), name='x', version='1')):
        assert 400 <= status < 600 and body["error"]["code"] in documented_error_codes()
        assert body["error"]["message"] and body["error"]["details"] is None
    assert W.reply_for(W.refused(), datetime.now(timezone.utc), name='x', version='1')[0] == 403 and W.reply_for(W.too_large(), datetime.now(timezone.utc), name='x', version='1')[0] == 413


def test_the_ping_reply_follows_push_start():
    """UNCONFIRMED shape (see webhooks.ping_reply): push_start's "Your service response" example, field by field;
    `time` in UTC without fractions, like the example."""
    documented = examples("push_start")[1]
    started = datetime(2026, 6, 15, 15, 4, 5, 678000, tzinfo=timezone(timedelta(hours=3)))
    status, body = W.ping_reply(started, name="SellerCloudX", version="1.2.3")
    assert status == 200 and set(body) == set(documented)
    assert body == {"version": "1.2.3", "name": "SellerCloudX", "time": "2026-06-15T12:04:05Z"}
    pattern = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    assert pattern.match(documented["time"]) and pattern.match(body["time"])
    assert W.reply_for(WebhookPing(), started, name="SellerCloudX", version="1.2.3") == (status, body)


# ============================================================================ where it is served
def test_the_web_server_serves_them_where_the_cabinet_is_told():
    from bot.web import webhook_path

    assert webhook_path(Marketplace.OZON) == "/webhooks/ozon"  # README: the URL entered in the Ozon cabinet

def test_importing_the_module_needs_no_web_framework():
    code = "import sys, connectors.ozon.webhooks; sys.exit('aiohttp' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, timeout=60).returncode == 0
