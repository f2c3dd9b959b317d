"""Middlewares: one DB session per update (committed when the handler succeeds) and the partner; and
"commit before you tell the user": pending changes are committed before any message goes to Telegram."""
from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.partners import get_by_telegram_id, mark_seen

LAST_SEEN_EVERY = 300  # seconds: last_seen_at is "active lately", not a clock
LAST_SEEN_MEMORY = 100_000  # partners remembered before the memory of writes is dropped


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


class LastSeenMiddleware(BaseMiddleware):
    """Partner.last_seen_at (the admins' "active in 1 / 7 / 30 days"): written at most once per `every` seconds per
    partner, so most updates cost no write. What was written is remembered here as well as read from the partner,
    so a partner object cached across updates does not make every update write again. The write goes with the
    update's own transaction (after DbSessionMiddleware, which must be registered first)."""

    def __init__(self, every: int = LAST_SEEN_EVERY, clock: Callable[[], float] = time.time):
        self.every = every
        self.clock = clock
        self._written: dict[str, int] = {}  # partner id -> last_seen_at written by this process

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        partner = data.get("partner")
        session: AsyncSession | None = data.get("session")
        if partner is not None and session is not None:
            stamp = int(self.clock())
            if stamp - max(partner.last_seen_at or 0, self._written.get(partner.id, 0)) >= self.every:
                if len(self._written) > LAST_SEEN_MEMORY:  # an old entry only saves a write, never loses one
                    self._written.clear()
                self._written[partner.id] = stamp
                await mark_seen(session, partner.id, stamp)
        return await handler(event, data)
