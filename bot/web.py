"""Marketplace push notifications (webhooks) over aiohttp: Yandex Market "API notifications" and Ozon push.

    POST /webhooks/yandex/notification   Yandex POSTs to `<base URL>/notification`: the base URL entered in the
                                         Yandex cabinet is `https://<host>/webhooks/yandex`
    POST /webhooks/ozon                  the URL entered in the Ozon cabinet
    GET  /healthz                        liveness (no address check)

A notification only says "look now": the handler validates it, replies at once, and in the background finds the
integration it is about and asks the job runner for that integration's ordinary order poll, which stores, deducts
and alerts exactly as the scheduled poll does (it dedupes by order id, so duplicates and replays are harmless).
Polling stays the safety net: a lost, late or refused notification only means the scheduled poll finds the order
instead. Nothing slow happens before a reply (Yandex waits 10 s, and only 1 s for PING).

Bursts coalesce: at most one poll per integration runs at a time, whoever started it; notifications arriving while
it runs ask for exactly one more poll after it (the running one may have read the list before their order was in
it).

Neither marketplace signs its notifications: the source address is checked against `allowed_networks` (the
published ranges by default). Behind a reverse proxy (Yandex requires HTTPS with a CA-signed certificate),
`trust_forwarded=True` takes the left-most X-Forwarded-For address; the proxy must then SET that header to the
peer address (nginx: `proxy_set_header X-Forwarded-For $remote_addr;`), not append to what the client sent.

Reply shapes: Yandex per the notification-api spec (SendNotificationResponse / SendNotificationErrorResponse);
Ozon per the swagger's push_start / service_response sections. The Ozon PING reply is UNCONFIRMED
(MARKETPLACES.md §5): it lives in `ozon_ping_reply()` only.
"""
from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.base import Marketplace
from services import integrations
from services.jobs import JobKind

log = logging.getLogger(__name__)

APP_NAME = "SellerCloudX"  # `name` of the Yandex reply (1-100 characters)

# The published source ranges (Yandex: partner-api docs "push-notifications"; Ozon: swagger tag push_start).
# bot/config.py's WEBHOOK_ALLOWED_NETWORKS default lists the same six (a unit test keeps them equal).
YANDEX_NETWORKS = ("5.45.207.0/25", "141.8.142.0/25", "5.255.253.0/25")
OZON_NETWORKS = ("195.34.21.0/24", "185.73.192.0/22", "91.223.93.0/24")
DEFAULT_ALLOWED_NETWORKS = YANDEX_NETWORKS + OZON_NETWORKS

YANDEX_PATH = "/webhooks/yandex/notification"
OZON_PATH = "/webhooks/ozon"
HEALTH_PATH = "/healthz"

# Yandex notificationType values that are about an order of a campaign: each triggers that campaign's poll.
YANDEX_ORDER_TYPES = frozenset({"ORDER_CREATED", "ORDER_CANCELLED", "ORDER_STATUS_UPDATED",
                                "ORDER_CANCELLATION_REQUEST", "ORDER_UPDATED"})
# The rest of the spec's NotificationType enum: acknowledged, nothing to do (returns, reviews, chats, questions).
YANDEX_OTHER_TYPES = frozenset({"PING", "ORDER_RETURN_CREATED", "ORDER_RETURN_STATUS_UPDATED",
                                "GOODS_FEEDBACK_CREATED", "GOODS_FEEDBACK_COMMENT_CREATED", "CHAT_CREATED",
                                "CHAT_MESSAGE_SENT", "CHAT_ARBITRAGE_STARTED", "CHAT_ARBITRAGE_FINISHED",
                                "QUESTION_CREATED", "QUESTION_ANSWER_CREATED", "QUESTION_COMMENT_CREATED"})
# Ozon message_type values about a posting whose status the poll tracks.
OZON_ORDER_TYPES = frozenset({"TYPE_NEW_POSTING", "TYPE_POSTING_CANCELLED", "TYPE_STATE_CHANGED"})

MAX_BODY = 1024 * 1024  # notifications are small; anything bigger is not one
SHUTDOWN_GRACE = 5.0  # seconds a webhook's lookup gets at shutdown before it is cancelled


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("sellercloudx-bot")[:100]
    except Exception:  # not installed as a distribution (a bare checkout)
        return "0.1.0"


APP_VERSION = _version()


# ------------------------------------------------------------------------------------------ replies
def _utc_iso(moment: datetime, *, millis: bool = True) -> str:
    """RFC 3339 in UTC with a Z, as both specs' examples write it ("2017-11-21T00:00:00.213Z")."""
    text = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{moment.microsecond // 1000:03d}Z" if millis else f"{text}Z"


def yandex_ok(started: datetime) -> web.Response:
    """SendNotificationResponse: version and name 1-100 characters; time = when processing started, UTC."""
    return web.json_response({"version": APP_VERSION, "name": APP_NAME, "time": _utc_iso(started)})


def yandex_error(status: int, error_type: str, message: str) -> web.Response:
    """SendNotificationErrorResponse: {"error": NotificationApiErrorDTO}; type is UNKNOWN | WRONG_EVENT_FORMAT |
    DUPLICATED_EVENT. The spec documents 400 (a bad notification) and 500 (our fault); 403 is ours (refused
    source) in the same shape."""
    return web.json_response({"error": {"type": error_type, "message": message}}, status=status)


def ozon_ping_reply(started: datetime) -> web.Response:
    """The reply to Ozon's TYPE_PING (the connection check).

    UNCONFIRMED (MARKETPLACES.md §4.4, §5): the swagger's push_start section, "Request for the connection check →
    Your service response", documents HTTP 200 with {"version": "string", "name": "string", "time":
    "2019-08-24T14:15:22Z"} (application version and name; the time processing started, UTC) - a different shape
    from the {"result": true} of every other notification (tag service_response). We follow push_start to the
    letter, time without fractions as in its example (Ozon's check reports WRONG_RESULT_FIELD /
    WRONG_RESULT_TIME_FIELD when the shape or the time is off). If the live check disagrees, correct it here only.
    """
    return web.json_response({"version": APP_VERSION, "name": APP_NAME, "time": _utc_iso(started, millis=False)})


def ozon_ok() -> web.Response:
    """service_response: a notification was received."""
    return web.json_response({"result": True})


def ozon_error(status: int, code: str, message: str) -> web.Response:
    """service_response, on error: 4xx/5xx with code ERROR_UNKNOWN | ERROR_PARAMETER_VALUE_MISSED |
    ERROR_REQUEST_DUPLICATED (duplicates are harmless here, so that one is never sent)."""
    return web.json_response({"error": {"code": code, "message": message, "details": None}}, status=status)


# ------------------------------------------------------------------------------------ source address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    """CIDRs (a bare address is a /32 or /128); host bits are ignored. A bad entry raises ValueError."""
    return tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c and c.strip())


def parse_address(text: str | None) -> Address | None:
    """An address as a peer or an X-Forwarded-For entry writes it: "1.2.3.4", "1.2.3.4:5678", "[::1]:80",
    "::ffff:1.2.3.4" (an IPv4 client of a dual-stack socket counts as its IPv4 address)."""
    if not text:
        return None
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # IPv4 with a port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def source_address(request: web.Request, trust_forwarded: bool) -> Address | None:
    """The notification's sender: the TCP peer, or (behind our own proxy) the left-most X-Forwarded-For entry."""
    if trust_forwarded:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded.strip():
            return parse_address(forwarded.split(",", 1)[0])
    return parse_address(request.remote)


def is_allowed(address: Address | None, networks: Iterable[Network]) -> bool:
    return address is not None and any(address.version == n.version and address in n for n in networks)


# -------------------------------------------------------------------------------- routing to a poll
class OrderTriggers:
    """Turns "something happened to an order of shop X" into a poll of every integration of that shop, through the
    job runner (services/jobs/runner.py `request`): at most one poll of an integration runs at a time, and requests
    arriving while it runs ask for exactly one more after it. The handlers never wait for any of it."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], jobs: Any):
        self.sessionmaker = sessionmaker
        self.jobs = jobs
        self.stats: Counter[str] = Counter()
        self._lookups: set[tuple[str, str]] = set()  # (marketplace, shop id) being looked up
        self._tasks: set[asyncio.Task] = set()
        self._closing = False

    def notify(self, marketplace: str, seller_id: str, event: str) -> None:
        """From the handlers (synchronous: never delays a reply)."""
        self.stats[f"{marketplace}:{event}"] += 1
        key = (marketplace, seller_id)
        if self._closing:
            return
        if key in self._lookups:  # the lookup under way will request a poll that starts after this notification
            self.stats["coalesced"] += 1
            return
        self._lookups.add(key)
        task = asyncio.create_task(self._route(marketplace, seller_id, event),
                                   name=f"webhook-route-{marketplace}-{seller_id}")
        self._tasks.add(task)
        task.add_done_callback(self._done)

    async def _route(self, marketplace: str, seller_id: str, event: str) -> None:
        try:
            async with self.sessionmaker() as session:
                found = await integrations.find_by_shop(session, Marketplace(marketplace), seller_id)
        finally:
            self._lookups.discard((marketplace, seller_id))
        if not found:
            # Still answered 200: the marketplace would otherwise retry a notification nobody here can use.
            self.stats["unknown"] += 1
            log.warning("%s %s notification for shop %s: no active integration, ignored", marketplace, event,
                        seller_id)
            return
        for integration_id in found:
            self.stats["polls"] += 1
            self.jobs.request(JobKind.ORDERS, integration_id)

    def busy(self) -> bool:
        return bool(self._tasks)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("webhook task %s failed", task.get_name(), exc_info=task.exception())

    async def idle(self, timeout: float = 30.0) -> None:
        """Until no lookup is running and the polls they asked for are done (tests; the benchmark)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tasks:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"webhook work still running after {timeout}s")
            await asyncio.wait(list(self._tasks), timeout=remaining)
        await self.jobs.wait_idle(max(0.0, deadline - loop.time()))

    async def close(self) -> None:
        """No new work; lookups under way are cancelled (the scheduled poll finds their orders)."""
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=SHUTDOWN_GRACE)


# ---------------------------------------------------------------------------------------- handlers
TRIGGERS = web.AppKey("triggers", OrderTriggers)
NETWORKS = web.AppKey("networks", tuple)
TRUST_FORWARDED = web.AppKey("trust_forwarded", bool)


def _refused(request: web.Request) -> Address | None | bool:
    """The refused sender's address (None if unreadable), or False when the sender is allowed."""
    address = source_address(request, request.app[TRUST_FORWARDED])
    if is_allowed(address, request.app[NETWORKS]):
        return False
    return address


async def _json_body(request: web.Request) -> Any:
    """The parsed body; ValueError if it is not JSON (any Content-Type is accepted)."""
    raw = await request.read()
    return json.loads(raw.decode("utf-8"))


def _id_of(value: Any) -> str | None:
    """A shop id as sent: an integer (the specs' int64) or its decimal string; positive."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return str(int(value))
    return None


async def _notification_body(request: web.Request, source: str, error: Callable[[int, str, str], web.Response],
                             *, unknown: str, bad_format: str) -> dict | web.Response:
    """The notification's JSON object, or the refusal to answer with (source not allowed, too large, not a JSON
    object), in the marketplace's own error shape and codes."""
    refused = _refused(request)
    if refused is not False:
        log.warning("%s from %s refused: not in WEBHOOK_ALLOWED_NETWORKS", source, refused)
        return error(403, unknown, "source address not allowed")
    try:
        body = await _json_body(request)
    except web.HTTPRequestEntityTooLarge:
        return error(413, bad_format, "notification body too large")
    except (ValueError, UnicodeDecodeError):
        return error(400, bad_format, "malformed JSON")
    if not isinstance(body, dict):
        return error(400, bad_format, "the body must be a JSON object")
    return body


async def yandex_notification(request: web.Request) -> web.Response:
    started = datetime.now(timezone.utc)
    body = await _notification_body(request, "yandex notification", yandex_error, unknown="UNKNOWN",
                                    bad_format="WRONG_EVENT_FORMAT")
    if isinstance(body, web.Response):
        return body
    kind = body.get("notificationType")
    if not isinstance(kind, str) or not kind:
        return yandex_error(400, "WRONG_EVENT_FORMAT", "notificationType is required")
    if kind in YANDEX_ORDER_TYPES:
        campaign = _id_of(body.get("campaignId"))
        if campaign is None:
            return yandex_error(400, "WRONG_EVENT_FORMAT", f"{kind}: campaignId (a positive integer) is required")
        request.app[TRIGGERS].notify("yandex", campaign, kind)
    elif kind not in YANDEX_OTHER_TYPES:
        # A type newer than our copy of the spec: acknowledged (refusing it would only make Yandex retry).
        log.info("yandex notification of unknown type %r acknowledged", kind[:64])
    return yandex_ok(started)


async def ozon_push(request: web.Request) -> web.Response:
    started = datetime.now(timezone.utc)
    body = await _notification_body(request, "ozon push", ozon_error, unknown="ERROR_UNKNOWN",
                                    bad_format="ERROR_UNKNOWN")
    if isinstance(body, web.Response):
        return body
    kind = body.get("message_type")
    if not isinstance(kind, str) or not kind:
        return ozon_error(400, "ERROR_PARAMETER_VALUE_MISSED", "message_type is required")
    if kind == "TYPE_PING":
        return ozon_ping_reply(started)
    if kind in OZON_ORDER_TYPES:
        seller = _id_of(body.get("seller_id"))
        if seller is None:
            return ozon_error(400, "ERROR_PARAMETER_VALUE_MISSED", f"{kind}: seller_id is required")
        request.app[TRIGGERS].notify("ozon", seller, kind)
    # Other types (products, stocks, chats, date changes) are acknowledged: nothing here depends on them.
    return ozon_ok()


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "name": APP_NAME, "version": APP_VERSION})


# ------------------------------------------------------------------------------------------- the app
def build_web_app(*, sessionmaker: async_sessionmaker[AsyncSession], jobs: Any, allowed_networks: list[str],
                  trust_forwarded: bool = False) -> web.Application:
    """The webhook app. `jobs`: the job runner (services.jobs.runner.JobRunner: `request(kind, integration_id)`).
    `allowed_networks`: CIDRs the notifications may come from (empty: every sender is refused)."""
    networks = parse_networks(allowed_networks)
    if not networks:
        log.warning("WEBHOOK_ALLOWED_NETWORKS is empty: every webhook will be refused")
    app = web.Application(client_max_size=MAX_BODY)
    app[TRIGGERS] = OrderTriggers(sessionmaker, jobs)
    app[NETWORKS] = networks
    app[TRUST_FORWARDED] = bool(trust_forwarded)
    app.router.add_post(YANDEX_PATH, yandex_notification)
    app.router.add_post(OZON_PATH, ozon_push)
    app.router.add_get(HEALTH_PATH, healthz)

    async def _stop_triggers(app: web.Application) -> None:
        await app[TRIGGERS].close()

    app.on_shutdown.append(_stop_triggers)
    return app


async def start_web(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Listen on host:port (port 0: any free port; `bound_port(runner)` tells which). Stop with
    `await runner.cleanup()`, which also lets running webhook polls finish (up to SHUTDOWN_GRACE s)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner


def bound_port(runner: web.AppRunner) -> int:
    address = runner.addresses[0]
    return int(address[1])


# --------------------------------------------------------- for the lead: wiring into the bot's start-up
async def serve_web(runtime) -> web.AppRunner | None:
    """Start the webhook server of a prepared bot.runtime.Runtime, as its settings say (WEB_PORT=0: not started,
    returns None). At shutdown: `if runner: await runner.cleanup()` - before `runtime.close()`."""
    settings = runtime.settings
    if not settings.WEB_PORT:
        log.info("web server off (WEB_PORT=0): marketplace webhooks are not received; polling only")
        return None
    app = build_web_app(sessionmaker=runtime.sessionmaker, jobs=runtime.jobs,
                        allowed_networks=list(settings.WEBHOOK_ALLOWED_NETWORKS),
                        trust_forwarded=settings.WEBHOOK_TRUST_FORWARDED)
    runner = await start_web(app, settings.WEB_HOST, settings.WEB_PORT)
    log.info("webhooks listening on %s:%s (Yandex: %s, Ozon: %s)", settings.WEB_HOST, bound_port(runner),
             YANDEX_PATH, OZON_PATH)
    return runner
