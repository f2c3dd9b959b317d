"""The process's web server (aiohttp): marketplace push notifications (webhooks) and /healthz.

    POST /webhooks/<marketplace><its PATH>  for every marketplace whose connector has a webhooks module: Yandex
                                            Market "API notifications" (the base URL entered in the Yandex cabinet
                                            is `https://<host>/webhooks/yandex`; Yandex appends /notification),
                                            Ozon push (`https://<host>/webhooks/ozon`)
    POST <path of TELEGRAM_WEBHOOK_URL>     Telegram updates in webhook mode (only with the right
                                            X-Telegram-Bot-Api-Secret-Token; no address check: Telegram's ranges
                                            are not a promise, the secret is)
    GET  /healthz                           readiness: 200 when the database (and Redis, when used) answer, else 503
    GET  /metrics                           Prometheus metrics (bot/metrics.py)

What a notification means and how to answer it is the connector's (connectors/<marketplace>/webhooks.py); this
module checks the source, limits the size and routes "look now" to a poll.

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

"""
from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors import profile
from connectors.base import Marketplace, WebhookIgnore, WebhookPoll
from services import integrations, observability
from services.jobs import JobKind

log = logging.getLogger(__name__)

APP_NAME = "SellerCloudX"  # the `name` our replies give (Yandex: 1-100 characters)

# Where each marketplace's notifications arrive: the URL to enter in its cabinet is https://<host><prefix>.
WEBHOOK_PREFIX = "/webhooks/{marketplace}"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_TIMEOUT = 2.0  # seconds each dependency gets to answer /healthz (a load balancer's probe is short)

MAX_BODY = 1024 * 1024  # notifications are small; anything bigger is not one
SHUTDOWN_GRACE = 5.0  # seconds a webhook's lookup gets at shutdown before it is cancelled


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("sellercloudx-bot")[:100]
    except Exception:  # not installed as a distribution (a bare checkout)
        return "0.1.0"


APP_VERSION = _version()


def webhook_path(marketplace: Marketplace) -> str:
    """The path a marketplace's notifications are served on (its cabinet's URL + what it appends)."""
    return WEBHOOK_PREFIX.format(marketplace=marketplace.value) + profile(marketplace).webhooks.PATH


def webhook_marketplaces() -> list[Marketplace]:
    return [m for m in Marketplace if profile(m).webhooks is not None]


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
SESSIONMAKER = web.AppKey("sessionmaker", async_sessionmaker)
REDIS = web.AppKey("redis", object)
SENDER = web.AppKey("sender", object)


def _refused(request: web.Request) -> Address | None | bool:
    """The refused sender's address (None if unreadable), or False when the sender is allowed."""
    address = source_address(request, request.app[TRUST_FORWARDED])
    if is_allowed(address, request.app[NETWORKS]):
        return False
    return address


def notification_handler(marketplace: Marketplace):
    """The endpoint of one marketplace's notifications: what they mean and how to answer is its connector's
    (connectors/<marketplace>/webhooks.py); here only the source check, the size limit and the routing to a poll.
    Nothing slow happens before the reply."""
    hooks = profile(marketplace).webhooks

    async def handle(request: web.Request) -> web.Response:
        started = datetime.now(timezone.utc)
        refused = _refused(request)
        if refused is not False:
            log.warning("%s notification from %s refused: not in WEBHOOK_ALLOWED_NETWORKS", marketplace, refused)
            notice = hooks.refused()
        else:
            try:
                notice = hooks.read(await request.read())
            except web.HTTPRequestEntityTooLarge:
                notice = hooks.too_large()
        if isinstance(notice, WebhookPoll):
            request.app[TRIGGERS].notify(marketplace.value, notice.shop_id, notice.event)
        elif isinstance(notice, WebhookIgnore) and not notice.known:
            # A type newer than our copy of the spec: acknowledged (refusing it would only make the marketplace retry).
            log.info("%s notification of unknown type %r acknowledged", marketplace, str(notice.event)[:64])
        status, body = hooks.reply(notice, started, name=APP_NAME, version=APP_VERSION)
        return web.json_response(body, status=status)

    return handle


async def _answers(check) -> bool:
    try:
        await asyncio.wait_for(check(), HEALTH_TIMEOUT)
        return True
    except Exception as exc:
        log.warning("health check failed: %s: %s", type(exc).__name__, exc)
        return False


async def healthz(request: web.Request) -> web.Response:
    """Readiness: 200 when every dependency answers, 503 otherwise (a load balancer takes the replica out)."""
    checks = {"database": _database_check(request.app[SESSIONMAKER])}
    redis = request.app.get(REDIS)
    if redis is not None:
        checks["redis"] = redis.ping
    results = dict(zip(checks, await asyncio.gather(*(_answers(check) for check in checks.values()))))
    ok = all(results.values())
    body = {"status": "ok" if ok else "unavailable", "name": APP_NAME, "version": APP_VERSION,
            **{name: "ok" if up else "down" for name, up in results.items()}}
    return web.json_response(body, status=200 if ok else 503)


def _database_check(sessionmaker: async_sessionmaker[AsyncSession]):
    async def check() -> None:
        await observability.database_answers(sessionmaker)

    return check


async def metrics(request: web.Request) -> web.Response:
    from bot import metrics as bot_metrics

    body = await bot_metrics.render(request.app[SESSIONMAKER], request.app.get(SENDER))
    return web.Response(body=body, headers={"Content-Type": bot_metrics.CONTENT_TYPE})


# ------------------------------------------------------------------------------- Telegram updates
class TelegramWebhook:
    """Telegram's POSTs in webhook mode: refused (401, nothing read) without the secret token setWebhook gave;
    else the update is handled before the reply. Replying only then keeps one chat's updates in order (Telegram
    sends a chat's next update after the previous one was answered) and makes Telegram deliver an update again
    when the process died while handling it."""

    def __init__(self, path: str, secret: str, dispatcher: Any, bot: Any):
        self.path, self.dispatcher, self.bot = path, dispatcher, bot
        self._secret = secret.encode()

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("Telegram webhook request without the right secret token refused (from %s)", request.remote)
            return web.json_response({"ok": False, "description": "Unauthorized"}, status=401)
        from aiogram.types import Update

        try:
            update = Update.model_validate(await request.json(), context={"bot": self.bot})
        except ValueError:
            return web.json_response({"ok": False, "description": "Bad Request: not an update"}, status=400)
        await self.dispatcher.feed_update(self.bot, update)  # handler errors are the dispatcher's (answered 200)
        return web.json_response({})


# ------------------------------------------------------------------------------------------- the app
def build_web_app(*, sessionmaker: async_sessionmaker[AsyncSession], jobs: Any, allowed_networks: list[str],
                  trust_forwarded: bool = False, telegram: TelegramWebhook | None = None, redis: Any = None,
                  sender: Any = None) -> web.Application:
    """The webhook app. `jobs`: the job runner (services.jobs.runner.JobRunner: `request(kind, integration_id)`).
    `allowed_networks`: CIDRs the notifications may come from (empty: every sender is refused). `telegram`: the
    Telegram update endpoint (webhook mode); `redis`: checked by /healthz; `sender`: the outbox sender whose
    counts /metrics shows."""
    networks = parse_networks(allowed_networks)
    if not networks:
        log.warning("WEBHOOK_ALLOWED_NETWORKS is empty: every webhook will be refused")
    app = web.Application(client_max_size=MAX_BODY)
    app[TRIGGERS] = OrderTriggers(sessionmaker, jobs)
    app[NETWORKS] = networks
    app[TRUST_FORWARDED] = bool(trust_forwarded)
    app[SESSIONMAKER] = sessionmaker
    if redis is not None:
        app[REDIS] = redis
    if sender is not None:
        app[SENDER] = sender
    for marketplace in webhook_marketplaces():
        app.router.add_post(webhook_path(marketplace), notification_handler(marketplace))
    if telegram is not None:
        app.router.add_post(telegram.path, telegram.handle)
    app.router.add_get(HEALTH_PATH, healthz)
    app.router.add_get(METRICS_PATH, metrics)

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
        if settings.TELEGRAM_WEBHOOK_URL:
            raise RuntimeError("TELEGRAM_WEBHOOK_URL needs the web server: set WEB_PORT")
        log.info("web server off (WEB_PORT=0): marketplace webhooks are not received; polling only")
        return None
    telegram = None
    if settings.TELEGRAM_WEBHOOK_URL:
        telegram = TelegramWebhook(settings.webhook_path(), settings.webhook_secret(), runtime.dispatcher,
                                   runtime.bot)
    app = build_web_app(sessionmaker=runtime.sessionmaker, jobs=runtime.jobs,
                        allowed_networks=list(settings.WEBHOOK_ALLOWED_NETWORKS),
                        trust_forwarded=settings.WEBHOOK_TRUST_FORWARDED, telegram=telegram,
                        redis=getattr(runtime, "redis", None), sender=getattr(runtime, "sender", None))
    runner = await start_web(app, settings.WEB_HOST, settings.WEB_PORT)
    log.info("webhooks listening on %s:%s (%s)", settings.WEB_HOST, bound_port(runner),
             ", ".join(f"{m}: {webhook_path(m)}" for m in webhook_marketplaces()))
    return runner
