"""Ozon push notifications as pure functions (no web framework here): where they come from, which are about an
order, how a body reads, and what to answer (swagger tags push_start, push_types, service_response;
MARKETPLACES.md §4.4). bot/web.py serves the endpoint; this module says what Ozon's side of it means.

A notification only says "look now": one about a posting asks for the poll of the integrations of its
seller_id (the Client-Id, stored as the integration's seller_id); polling stays the safety net ("New order
notification may be delayed", push_types). Ozon signs nothing: the sender is checked against the published
networks (NETWORKS) by the web layer.

Replies are (HTTP status, JSON body) pairs:
- any notification received: 200 {"result": true} (service_response);
- an error: 4xx/5xx {"error": {"code", "message", "details": null}}, code ERROR_UNKNOWN |
  ERROR_PARAMETER_VALUE_MISSED | ERROR_REQUEST_DUPLICATED (never sent: duplicates are harmless here);
- TYPE_PING: `ping_reply()` — UNCONFIRMED, the only place that decides it.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from connectors.base import (
    WebhookIgnore,
    WebhookNotice,
    WebhookPing,
    WebhookPoll,
    WebhookRefusal,
)
from connectors.http import shop_id_of

# The published source ranges (push_start: "IP addresses from which notifications are sent").
NETWORKS = ("195.34.21.0/24", "185.73.192.0/22", "91.223.93.0/24")
PATH = ""  # Ozon posts to the URL entered in its cabinet as it is

PING_TYPE = "TYPE_PING"
# message_type values about a posting whose status the order poll tracks: each asks for its seller's poll.
ORDER_TYPES = frozenset({"TYPE_NEW_POSTING", "TYPE_POSTING_CANCELLED", "TYPE_STATE_CHANGED"})
# The rest of push_types' table: acknowledged, nothing to do (date changes are read by the next poll; products,
# stocks and chats are not what a notification changes here).
ACKNOWLEDGED_TYPES = frozenset({
    "TYPE_CUTOFF_DATE_CHANGED", "TYPE_DELIVERY_DATE_CHANGED", "TYPE_CREATE_OR_UPDATE_ITEM", "TYPE_CREATE_ITEM",
    "TYPE_UPDATE_ITEM", "TYPE_STOCKS_CHANGED", "TYPE_NEW_MESSAGE", "TYPE_UPDATE_MESSAGE", "TYPE_MESSAGE_READ",
    "TYPE_CHAT_CLOSED",
})

# service_response error codes.
ERROR_UNKNOWN = "ERROR_UNKNOWN"
ERROR_PARAMETER_VALUE_MISSED = "ERROR_PARAMETER_VALUE_MISSED"
ERROR_REQUEST_DUPLICATED = "ERROR_REQUEST_DUPLICATED"


# ------------------------------------------------------------------------------------ what a body means
Notification = WebhookNotice


def parse_body(raw: bytes | str) -> Notification:
    """A notification's raw body (any Content-Type): JSON, then `classify()`."""
    try:
        body = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except (ValueError, UnicodeDecodeError):
        return WebhookRefusal(400, ERROR_UNKNOWN, "malformed JSON")
    return classify(body)


def classify(body: Any) -> Notification:
    """What a parsed notification body asks for: Poll (a posting of a seller changed), Ping, Ignore, or
    BadRequest (not a JSON object, no message_type, an order notification without a seller_id)."""
    if not isinstance(body, dict):
        return WebhookRefusal(400, ERROR_UNKNOWN, "the body must be a JSON object")
    kind = body.get("message_type")
    if not isinstance(kind, str) or not kind:
        return WebhookRefusal(400, ERROR_PARAMETER_VALUE_MISSED, "message_type is required")
    if kind == PING_TYPE:
        return WebhookPing()
    if kind in ORDER_TYPES:
        seller = shop_id_of(body.get("seller_id"))
        if seller is None:
            return WebhookRefusal(400, ERROR_PARAMETER_VALUE_MISSED, f"{kind}: seller_id is required")
        posting = body.get("posting_number")
        return WebhookPoll(seller, kind, posting if isinstance(posting, str) and posting else None)
    return WebhookIgnore(kind, known=kind in ACKNOWLEDGED_TYPES)


# ------------------------------------------------------------------------------------------- replies
def ok_reply() -> tuple[int, dict]:
    """service_response: a notification was received."""
    return 200, {"result": True}


def error_reply(status: int, code: str, message: str) -> tuple[int, dict]:
    """service_response, on error: 4xx/5xx with code ERROR_UNKNOWN | ERROR_PARAMETER_VALUE_MISSED |
    ERROR_REQUEST_DUPLICATED."""
    return status, {"error": {"code": code, "message": message, "details": None}}


def refused() -> WebhookRefusal:
    """A sender outside the allowed networks."""
    return WebhookRefusal(403, ERROR_UNKNOWN, "source address not allowed")


def too_large() -> WebhookRefusal:
    return WebhookRefusal(413, ERROR_UNKNOWN, "notification body too large")


def ping_reply(started: datetime, *, name: str, version: str) -> tuple[int, dict]:
    """The reply to Ozon's TYPE_PING (the connection check).

    UNCONFIRMED (MARKETPLACES.md §4.4, §5): the swagger's push_start section, "Request for the connection check →
    Your service response", documents HTTP 200 with {"version": "string", "name": "string", "time":
    "2019-08-24T14:15:22Z"} (application version and name; the time processing started, UTC) - a different shape
    from the {"result": true} of every other notification (tag service_response). We follow push_start to the
    letter, time without fractions as in its example (Ozon's check reports WRONG_RESULT_FIELD /
    WRONG_RESULT_TIME_FIELD when the shape or the time is off). If the live check disagrees, correct it here only.
    """
    moment = started.astimezone(timezone.utc) if started.tzinfo else started.replace(tzinfo=timezone.utc)
    return 200, {"version": version, "name": name, "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}


def reply_for(notification: Notification, started: datetime, *, name: str, version: str) -> tuple[int, dict]:
    """The reply to a classified notification (a Poll is answered at once; the poll runs after)."""
    if isinstance(notification, WebhookRefusal):
        return error_reply(notification.status, notification.code, notification.message)
    if isinstance(notification, WebhookPing):
        return ping_reply(started, name=name, version=version)
    return ok_reply()


# ----------------------------------------------------- the interface every connector's webhooks module offers
def read(raw: bytes) -> Notification:
    return parse_body(raw)


def reply(notification: Notification, started: datetime, *, name: str, version: str) -> tuple[int, dict]:
    return reply_for(notification, started, name=name, version=version)
