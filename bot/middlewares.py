"""Middlewares: one DB session per update (committed when the handler succeeds) and the partner; and
"commit before you tell the user": pending changes are committed before any message goes to Telegram."""
from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.partners import get_by_telegram_id


class MetricsMiddleware(BaseMiddleware):
    """Counts each update and how long it took (bot/metrics.py), outermost so the session's time counts too."""

    async def __call__(self, handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        from bot.metrics import UPDATE_SECONDS, UPDATES

        kind = getattr(event, "event_type", None) or "unknown"
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await handler(event, data)
            outcome = "handled" if result is not UNHANDLED else "unhandled"
            return result
        finally:
            UPDATES.labels(kind, outcome).inc()
            UPDATE_SECONDS.labels(kind).observe(time.perf_counter() - started)


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]):
        self.sessionmaker = sessionmaker

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self.sessionmaker() as session:
            token = _update_session.set(session)
            data["session"] = session
            user: User | None = data.get("event_from_user")
            data["partner"] = await get_by_telegram_id(session, user.id) if user else None
            try:
                result = await handler(event, data)
                await session.commit()
                return result
            finally:
                _update_session.reset(token)


# The DB session of the update being handled (each update runs in its own task, so its own context).
_update_session: ContextVar[AsyncSession | None] = ContextVar("update_session", default=None)


class CommitBeforeReply(BaseRequestMiddleware):
    """Updates are handled concurrently: a partner can press a button of a reply before the handler that sent
    it has returned. Committing first means what the partner sees is already in the database (a draft the
    next step loads, a registration the next update checks)."""

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]):
        session = _update_session.get()
        if session is not None and session.in_transaction():
            await session.commit()
        return await make_request(bot, method)
