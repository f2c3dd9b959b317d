"""Yandex Market "API notifications" (push), as pure functions: no web framework here (bot/web.py serves them).

Spec: specs/yandex/notification-api (yandex-market/yandex-market-notification-api@a7b53f9), MARKETPLACES.md §2.4.

- Market sends `POST <the base URL entered in the cabinet>/notification` (`NOTIFICATION_PATH`) with a JSON body
  discriminated by `notificationType`. A notification only says "look now": an order notification names the
  campaign (`campaignId`) whose orders to poll (`Poll`); the details come from getBusinessOrders.
- Order types (`ORDER_TYPES`) ask for a poll; the rest of the spec's NotificationType enum (`OTHER_TYPES`: the
  PING check, returns, reviews, chats, questions) is acknowledged with nothing to do, and so is a type newer than
  our copy of the spec (refusing it would only make Yandex retry).
- Replies: 200 SendNotificationResponse `{"version", "name", "time"}` (version and name 1-100 characters; time =
  when processing started, UTC); errors 400 (a bad notification) / 500 (our fault) as
  SendNotificationErrorResponse `{"error": {"type": UNKNOWN | WRONG_EVENT_FORMAT | DUPLICATED_EVENT, "message"}}`.
  A refused source gets 403 in the same shape. Duplicates are possible and harmless (the poll dedupes), so
  DUPLICATED_EVENT is never sent.
- Timeouts: Market waits 10 s for a reply, 1 s for PING (`limits.NOTIFICATION_REPLY_TIMEOUT`,
  `limits.PING_REPLY_TIMEOUT`): reply first, poll after.
- No signature: requests must come over HTTPS (CA-signed certificate) from the published networks (`NETWORKS`).
"""
from __future__ import annotations

import functools
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

NOTIFICATION_PATH = "/notification"
PATH = NOTIFICATION_PATH  # what Market appends to the base URL entered in its cabinet
# The published source ranges (partner-api docs "push-notifications").
NETWORKS = ("5.45.207.0/25", "141.8.142.0/25", "5.255.253.0/25")

PING = "PING"
# notificationType values that are about an order of a campaign: each asks for that campaign's order poll.
ORDER_TYPES = frozenset({"ORDER_CREATED", "ORDER_CANCELLED", "ORDER_STATUS_UPDATED", "ORDER_CANCELLATION_REQUEST",
                         "ORDER_UPDATED"})
# The rest of the spec's NotificationType enum: acknowledged, nothing to do (the check, returns, reviews, chats,
# questions).
OTHER_TYPES = frozenset({PING, "ORDER_RETURN_CREATED", "ORDER_RETURN_STATUS_UPDATED", "GOODS_FEEDBACK_CREATED",
                         "GOODS_FEEDBACK_COMMENT_CREATED", "CHAT_CREATED", "CHAT_MESSAGE_SENT",
                         "CHAT_ARBITRAGE_STARTED", "CHAT_ARBITRAGE_FINISHED", "QUESTION_CREATED",
                         "QUESTION_ANSWER_CREATED", "QUESTION_COMMENT_CREATED"})

# NotificationApiErrorType.
UNKNOWN = "UNKNOWN"
WRONG_EVENT_FORMAT = "WRONG_EVENT_FORMAT"
DUPLICATED_EVENT = "DUPLICATED_EVENT"  # never sent: duplicates are harmless here

REPLY_NAME = "SellerCloudX"  # `name` of the reply (1-100 characters)


@functools.cache
def reply_version() -> str:
    """`version` of the reply (1-100 characters): the installed bot's version."""
    try:
        from importlib.metadata import version

        return version("sellercloudx-bot")[:100] or "0.1.0"
    except Exception:  # not installed as a distribution (a bare checkout)
        return "0.1.0"


# ----------------------------------------------------------------------------------- what arrived
Notice = WebhookNotice


def parse_body(raw: bytes) -> Any | WebhookRefusal:
    """The body's JSON (any Content-Type), or the 400 for one that is not JSON."""
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return WebhookRefusal(400, WRONG_EVENT_FORMAT, "malformed JSON")


def parse_notification(body: Any) -> Notice:
    """What a parsed notification body asks for (SendNotificationRequest)."""
    if isinstance(body, WebhookRefusal):
        return body
    if not isinstance(body, dict):
        return WebhookRefusal(400, WRONG_EVENT_FORMAT, "the body must be a JSON object")
    kind = body.get("notificationType")
    if not isinstance(kind, str) or not kind:
        return WebhookRefusal(400, WRONG_EVENT_FORMAT, "notificationType is required")
    if kind in ORDER_TYPES:
        campaign = shop_id_of(body.get("campaignId"))
        if campaign is None:
            return WebhookRefusal(400, WRONG_EVENT_FORMAT, f"{kind}: campaignId (a positive integer) is required")
        return WebhookPoll(campaign, kind)
    if kind == PING:
        return WebhookPing()
    return WebhookIgnore(kind, known=kind in OTHER_TYPES)


def read_notification(raw: bytes) -> Notice:
    """`parse_notification` of a raw request body."""
    return parse_notification(parse_body(raw))


def refused_source() -> WebhookRefusal:
    """A sender outside the allowed networks."""
    return WebhookRefusal(403, UNKNOWN, "source address not allowed")


def too_large() -> WebhookRefusal:
    return WebhookRefusal(413, WRONG_EVENT_FORMAT, "notification body too large")


# ------------------------------------------------------------------------------------------ replies
def utc_time(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds and a Z, as the spec's examples write it ("2017-11-21T00:00:00.213Z")."""
    moment = moment.astimezone(timezone.utc)
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{moment.microsecond // 1000:03d}Z"


def ok_reply(started: datetime, *, version: str | None = None, name: str = REPLY_NAME) -> tuple[int, dict]:
    """SendNotificationResponse: (200, body); `started` = when processing started."""
    return 200, {"version": (version or reply_version())[:100], "name": name[:100], "time": utc_time(started)}


def error_reply(status: int, error_type: str, message: str) -> tuple[int, dict]:
    """SendNotificationErrorResponse: (status, {"error": NotificationApiErrorDTO})."""
    return status, {"error": {"type": error_type, "message": message}}


def reply_to(notice: Notice, started: datetime, *, version: str | None = None) -> tuple[int, dict]:
    """The reply to a notice: the error for a BadRequest, else 200 (a poll is started after replying)."""
    if isinstance(notice, WebhookRefusal):
        return error_reply(notice.status, notice.code, notice.message)
    return ok_reply(started, version=version)


# ----------------------------------------------------- the interface every connector's webhooks module offers
def read(raw: bytes) -> Notice:
    return read_notification(raw)


def refused() -> WebhookRefusal:
    return refused_source()


def reply(notice: Notice, started: datetime, *, name: str = REPLY_NAME, version: str | None = None) -> tuple[int, dict]:
    if isinstance(notice, WebhookRefusal):
        return error_reply(notice.status, notice.code, notice.message)
    return ok_reply(started, version=version, name=name)
