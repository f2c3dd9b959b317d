"""Wires settings into the running parts: database, vault, services, Dispatcher and Bot.
Used by `python -m bot` and by the end-to-end tests, so both run the same composition."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import build_bot, build_dispatcher, set_commands
from bot.config import OFFICIAL_TELEGRAM_API, Registration, Settings
from bot.i18n import load_texts_core
from bot.log import remember_secret
from bot.middlewares import CommitBeforeReply
from bot.outbox_sender import OutboxSender
from bot.web import serve_web
from connectors.clock import Clock
from db.migrate import upgrade
from db.session import create_engine, create_sessionmaker
from db.vault import Vault, load_keys
from services import admin as admin_service
from services import integrations, jobs, pushes
from services.connections import ConnectorFactory, TransportFactory
from services.jobs import runs, schedule
from services.jobs.runner import JobRunner
from services.jobs.timers import build_scheduler
from services.platform import Platform

log = logging.getLogger(__name__)
SENDER_STOP_GRACE = 10.0  # seconds the outbox sender gets to finish its sends in flight on shutdown
# Telegram's ~30 messages/s per bot counts the bot's replies to partners too: alerts leave 5/s of it to them.
ALERT_RATE = 25.0


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    platform: Platform
    jobs: JobRunner
    dispatcher: Dispatcher
    bot: Bot
    sender: OutboxSender

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        return self.platform.sessionmaker

    async def close(self) -> None:
        await self.bot.session.close()
        await self.engine.dispose()


async def open_database(settings: Settings) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.DATABASE_URL)
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
    vault = build_vault(settings)
    engine, sessionmaker = await open_database(settings)
    connectors = ConnectorFactory(settings.marketplace_urls(), transport_for=transport_for, clock=clock)
    platform = Platform(sessionmaker, vault, connectors)
    async with sessionmaker() as session:
        await admin_service.ensure_api_configs(session)
        await integrations.purge_stale_drafts(session)
        await schedule.ensure_all(session)
        await runs.close_abandoned(session)
        await session.commit()
    api_url = None if settings.TELEGRAM_API_URL == OFFICIAL_TELEGRAM_API else settings.TELEGRAM_API_URL
    bot = build_bot(token, api_url)
    bot.session.middleware(CommitBeforeReply())
    sender = OutboxSender(bot, sessionmaker, load_texts_core(), global_rate=ALERT_RATE)
    runner = JobRunner(platform, jobs.registry(), jobs.global_registry(), due_pushes=pushes.integrations_with_due,
                       after_job=sender.wake)
    dispatcher = build_dispatcher(
        platform=platform, jobs=runner, admin_ids=frozenset(settings.ADMIN_IDS),
        open_registration=settings.REGISTRATION is Registration.OPEN,
    )
    runtime = Runtime(settings, engine, platform, runner, dispatcher, bot, sender)
    # The background work (schedules, the outbox sender, the webhook server) runs with the bot; tests leave it
    # off and call the jobs directly.
    scheduler = build_scheduler(runner) if with_scheduler else None
    background: dict[str, object] = {}

    async def _on_startup(bot: Bot, dispatcher: Dispatcher) -> None:
        await set_commands(bot, dispatcher["i18n_middleware"].core)
        if scheduler is not None:
            scheduler.start()
            background["sender"] = asyncio.create_task(sender.run(), name="outbox-sender")
            background["web"] = await serve_web(runtime)

    async def _on_shutdown() -> None:
        # Bounded: no new work (timers, webhooks), then the jobs (they hold the database's write lock the sender
        # would wait on), then the sender.
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        if background.get("web") is not None:
            await background["web"].cleanup()
        await runner.stop()
        running = background.get("sender")
        if running is not None:
            try:
                await asyncio.wait_for(sender.stop(), SENDER_STOP_GRACE)
            except asyncio.TimeoutError:  # rows it had claimed are sent again after the restart, never lost
                log.warning("the outbox sender did not stop within %s s; cancelled", SENDER_STOP_GRACE)
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)

    dispatcher.startup.register(_on_startup)
    dispatcher.shutdown.register(_on_shutdown)
    return runtime
