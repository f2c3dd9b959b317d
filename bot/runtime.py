"""Wires settings into the running parts: database, vault, services, Dispatcher and Bot.
Used by `python -m bot` and by the end-to-end tests, so both run the same composition."""
from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import suppress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiogram import Bot, Dispatcher
from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import charts
from bot.app import build_bot, build_dispatcher, set_commands
from bot.config import OFFICIAL_TELEGRAM_API, Registration, Settings
from bot.i18n import load_texts_core
from bot.log import remember_secret
from services.partner_cache import PartnerCache
from bot.middlewares import TELEGRAM_RATE, CommitBeforeReply, TelegramBudget
from bot.outbox_sender import OutboxSender
from bot.replicas import Lease, build_storage, open_redis
from bot.web import serve_web
from connectors import shared_limits
from connectors.clock import Clock
from connectors.http import close_shared_transports
from connectors.shared_limits import SharedBudget
from db.migrate import upgrade
from db.session import create_engine, create_sessionmaker
from db.vault import Vault, load_keys
from services import admin as admin_service
from services import integrations, jobs, pushes, startup
from services.connections import ConnectorFactory, TransportFactory
from services.jobs import runs, schedule
from services.jobs.runner import JobRunner
from services.outbox import store as outbox_store
from services.jobs.runner import build_scheduler
from services.platform import Platform

log = logging.getLogger(__name__)
SENDER_STOP_GRACE = 10.0  # seconds the outbox sender gets to finish its sends in flight on shutdown


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    platform: Platform
    jobs: JobRunner
    dispatcher: Dispatcher
    bot: Bot
    sender: OutboxSender
    redis: Redis | None = None
    web: web.AppRunner | None = None  # the web server, while the bot runs (serve_web)
    # Stops the background work (timers, web server, jobs, outbox sender); set by prepare(). The dispatcher's
    # shutdown runs it, and close() again for a runtime that never served: the first call does the work.
    stop_work: Callable[[], Awaitable[None]] = field(default=None, repr=False)  # type: ignore[assignment]

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        return self.platform.sessionmaker

    async def close(self) -> None:
        # Jobs and the sender first: they are what still calls the marketplaces and Telegram and writes to the
        # database. Only then the pools under them, the chart process, and the connections.
        if self.stop_work is not None:
            await self.stop_work()
        await close_shared_transports()
        await asyncio.to_thread(charts.shutdown, wait=True)  # joined, so no orphan process outlives the bot
        if self.redis is not None and shared_limits.installed() is not None \
                and shared_limits.installed().redis is self.redis:
            shared_limits.install(None)
        await self.bot.session.close()
        await self.dispatcher.storage.close()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()


async def open_database(settings: Settings) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.DATABASE_URL)
    async with startup.one_at_a_time(engine):  # replicas starting together: one migrates, the others find it done
        await upgrade(engine)
    return engine, create_sessionmaker(engine)


def build_vault(settings: Settings) -> Vault:
    configured = settings.ENCRYPTION_KEYS.get_secret_value() if settings.ENCRYPTION_KEYS else None
    return Vault(load_keys(configured, settings.DATA_DIR))


async def prepare(settings: Settings, *, transport_for: TransportFactory | None = None,
                  with_scheduler: bool = True, clock: Clock | None = None) -> Runtime:
    """Tests pass with_scheduler=False and call the jobs directly (not by the clock), and may give the
    connectors a sped-up clock matching the sandbox marketplaces'."""
    token = settings.BOT_TOKEN.get_secret_value()
    remember_secret(token)
    if settings.TELEGRAM_WEBHOOK_URL:
        remember_secret(settings.webhook_secret())  # it authenticates Telegram's POSTs: never in a log line
    vault = build_vault(settings)
    engine, sessionmaker = await open_database(settings)
    connectors = ConnectorFactory(settings.marketplace_urls(), transport_for=transport_for, clock=clock)
    platform = Platform(sessionmaker, vault, connectors)
    async with startup.one_at_a_time(engine), sessionmaker() as session:
        await admin_service.ensure_api_configs(session)
        await integrations.purge_stale_drafts(session)
        await schedule.ensure_all(session)
        await runs.close_abandoned(session)
        await session.commit()
    redis = open_redis(settings.REDIS_URL) if settings.REDIS_URL else None
    storage, isolation = build_storage(redis, settings.REDIS_KEY_PREFIX) if redis is not None else (None, None)
    api_url = None if settings.TELEGRAM_API_URL == OFFICIAL_TELEGRAM_API else settings.TELEGRAM_API_URL
    bot = build_bot(token, api_url)
    bot.session.middleware(CommitBeforeReply())
    # One budget for the token: replies first, alerts take the rest (all of it while nobody chats); with Redis,
    # the marketplaces' limits and this budget hold for every replica together.
    shared = SharedBudget(redis, settings.REDIS_KEY_PREFIX) if redis is not None else None
    shared_limits.install(shared)
    budget = TelegramBudget.build(bot.id, shared=shared)
    bot.session.middleware(budget)
    sender = OutboxSender(bot, sessionmaker, load_texts_core(), global_rate=TELEGRAM_RATE, budget=budget)
    # The outbox's lease is read by its store at each claim: the setting is that module's value for this process.
    outbox_store.LEASE_SECONDS = settings.OUTBOX_LEASE_SECONDS
    runner = JobRunner(platform, jobs.registry(), jobs.global_registry(), due_pushes=pushes.integrations_with_due,
                       after_job=sender.wake, lease_seconds=settings.JOB_LEASE_SECONDS)
    dispatcher = build_dispatcher(
        platform=platform, jobs=runner, admin_ids=frozenset(settings.ADMIN_IDS),
        open_registration=settings.REGISTRATION is Registration.OPEN, storage=storage, events_isolation=isolation,
        partner_cache=PartnerCache(engine, redis=redis, prefix=settings.REDIS_KEY_PREFIX),
    )
    runtime = Runtime(settings, engine, platform, runner, dispatcher, bot, sender, redis)
    # The background work (schedules, the outbox sender, the webhook server) runs with the bot; tests leave it
    # off and call the jobs directly. In Telegram webhook mode the web server is how updates arrive: always on.
    scheduler = build_scheduler(runner) if with_scheduler else None
    background: dict[str, object] = {}

    async def _on_startup(bot: Bot, dispatcher: Dispatcher) -> None:
        await set_commands(bot, dispatcher["i18n_middleware"].core)
        if scheduler is not None:
            scheduler.start()
            background["sender"] = asyncio.create_task(sender.run(), name="outbox-sender")
        if scheduler is not None or settings.TELEGRAM_WEBHOOK_URL:
            runtime.web = await serve_web(runtime)

    async def _stop_work() -> None:
        # Bounded: no new work (timers, webhooks), then the jobs (they hold the database's write lock the sender
        # would wait on), then the sender.
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        if runtime.web is not None:
            await runtime.web.cleanup()
            runtime.web = None
        await runner.stop()
        running = background.get("sender")
        if running is not None:
            try:
                await asyncio.wait_for(sender.stop(), SENDER_STOP_GRACE)
            except asyncio.TimeoutError:  # rows it had claimed are sent again after the restart, never lost
                log.warning("the outbox sender did not stop within %s s; cancelled", SENDER_STOP_GRACE)
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)

    async def _on_shutdown() -> None:
        # One stop shared by every caller: a second caller waits for the first's, it never runs the steps again.
        if "stopping" not in background:
            background["stopping"] = asyncio.ensure_future(_stop_work())
        await background["stopping"]

    runtime.stop_work = _on_shutdown
    dispatcher.startup.register(_on_startup)
    dispatcher.shutdown.register(_on_shutdown)
    return runtime


async def serve(runtime: Runtime, *, polling_timeout: int = 10, handle_signals: bool = True,
                stop: asyncio.Event | None = None) -> None:
    """Receive updates until SIGTERM/SIGINT (or `stop`), as the settings say:

    - TELEGRAM_WEBHOOK_URL: setWebhook (the secret token, the update types the handlers use) and serve the updates
      on the web server; every replica does the same, Telegram's POSTs go to whichever the proxy picks;
    - else REDIS_URL: long polling by whichever replica holds the polling lease (bot/replicas.py); the others wait
      to take over, serving everything else (schedules, outbox, marketplace webhooks) meanwhile;
    - else: long polling, one process, exactly as aiogram's start_polling.
    """
    settings, dispatcher, bot = runtime.settings, runtime.dispatcher, runtime.bot
    used = dispatcher.resolve_used_update_types()
    if settings.TELEGRAM_WEBHOOK_URL is None and runtime.redis is None and stop is None:
        await dispatcher.start_polling(bot, allowed_updates=used, polling_timeout=polling_timeout,
                                       handle_signals=handle_signals)
        return
    stop = stop or asyncio.Event()
    if handle_signals:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    workflow = {"dispatcher": dispatcher, "bots": [bot], **dispatcher.workflow_data}
    await dispatcher.emit_startup(bot=bot, **workflow)
    try:
        if settings.TELEGRAM_WEBHOOK_URL:
            await bot.set_webhook(settings.TELEGRAM_WEBHOOK_URL, secret_token=settings.webhook_secret(),
                                  allowed_updates=used, drop_pending_updates=False)
            log.info("Telegram webhook mode: updates arrive at %s", settings.TELEGRAM_WEBHOOK_URL)
            await stop.wait()
        else:
            if (await bot.get_webhook_info()).url:  # left by an earlier webhook-mode run: polling would get 409
                await bot.delete_webhook(drop_pending_updates=False)

            async def poll() -> None:
                await dispatcher._polling(bot, polling_timeout=polling_timeout, allowed_updates=used)

            if runtime.redis is not None:
                lease = Lease(runtime.redis, f"{settings.REDIS_KEY_PREFIX}:lease:polling:{bot.id}")
                await lease.hold(poll, stop=stop)
            else:  # one process: it polls (a test's `stop` ends it)
                polling = asyncio.create_task(poll())
                stopping = asyncio.create_task(stop.wait())
                await asyncio.wait([polling, stopping], return_when=asyncio.FIRST_COMPLETED)
                for task in (polling, stopping):
                    task.cancel()
                await asyncio.gather(polling, stopping, return_exceptions=True)
    finally:
        if handle_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                with suppress(Exception):
                    asyncio.get_running_loop().remove_signal_handler(sig)
        running = list(dispatcher._handle_update_tasks)
        if running:  # updates being handled when the stop came: let them finish (their replies are sent)
            await asyncio.wait(running, timeout=SENDER_STOP_GRACE)
        await dispatcher.emit_shutdown(bot=bot, **workflow)
