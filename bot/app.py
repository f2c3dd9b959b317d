"""Builds the Dispatcher (no Bot needed, so tests and the demo wire it to any Bot API server) and the Bot."""
from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import BotCommand, ErrorEvent

from bot.handlers import (
    admin,
    analytics,
    broadcasts,
    connect,
    dashboard,
    fallback,
    marketplaces,
    orders,
    products,
    settings,
    start,
    sync,
)
from bot.i18n import build_i18n_middleware
from bot.inline_filters import run_filters_inline
from bot.middlewares import DbSessionMiddleware, LastSeenMiddleware, MetricsMiddleware
from services.jobs.runner import JobRunner
from services.platform import Platform

log = logging.getLogger(__name__)


def build_dispatcher(
    *,
    platform: Platform,
    jobs: JobRunner,
    admin_ids: frozenset[int],
    open_registration: bool,
    storage=None,
    events_isolation=None,
    partner_cache=None,
) -> Dispatcher:
    """Handlers receive `platform` (services that talk to a marketplace need it), `jobs` (start a sync, ask for a
    poll), `admin_ids` and `open_registration` besides the per-update `session`, `partner` and `i18n`."""
    # With several replicas (REDIS_URL): RedisStorage and a per-chat lock (bot/replicas.py); else in memory.
    dp = Dispatcher(storage=storage or MemoryStorage(), events_isolation=events_isolation)
    dp["platform"] = platform
    dp["jobs"] = jobs
    dp["admin_ids"] = frozenset(admin_ids)
    dp["open_registration"] = open_registration

    # Order matters: the metrics around everything, the session and partner, when they were last seen, then the
    # partner's language.
    dp.update.outer_middleware(MetricsMiddleware())
    dp.update.outer_middleware(DbSessionMiddleware(platform.sessionmaker, partner_cache))
    dp.update.outer_middleware(LastSeenMiddleware())
    build_i18n_middleware().setup(dp)

    # Feature routers (admin, connect, marketplaces) filter for a registered partner themselves; the fallback
    # router answers everything they leave.
    features = (start, admin, broadcasts, connect, marketplaces, products, sync, orders, settings, dashboard, analytics,
                fallback)
    dp.include_routers(*(feature.router() for feature in features))
    run_filters_inline(dp)  # every router's F / State filters in the event loop, not a thread each (bot/inline_filters.py)
    dp.errors.register(_on_error)
    return dp


async def _on_error(event: ErrorEvent, i18n=None) -> bool:
    """Nothing crashes the bot: log (redacted) and tell the partner, whose data was rolled back."""
    log.exception("error while handling update %s", event.update.update_id, exc_info=event.exception)
    update = event.update
    try:
        if i18n is None:
            return True
        text = i18n.get("error-internal")
        if update.callback_query:
            await update.callback_query.answer(text, show_alert=True)
        elif update.message:
            await update.message.answer(text)
    except Exception:  # the error reply itself failed (e.g. Telegram down): logged above already
        log.warning("could not tell the user about the error")
    return True


def build_bot(token: str, api_url: str | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url)) if api_url else AiohttpSession()
    return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


COMMANDS = {
    "start": "cmd-start",
    "help": "cmd-help",
    "menu": "cmd-menu",
    "cancel": "cmd-cancel",
}


async def set_commands(bot: Bot, i18n_core) -> None:
    """The command menu in each language."""
    for locale in ("uz", "ru", "en"):
        commands = [BotCommand(command=c, description=i18n_core.get(key, locale)) for c, key in COMMANDS.items()]
        await bot.set_my_commands(commands, language_code=locale)
    default = [BotCommand(command=c, description=i18n_core.get(key, "en")) for c, key in COMMANDS.items()]
    await bot.set_my_commands(default)
