"""Middlewares: one DB session per update (committed when the handler succeeds) and the partner; "commit before
you tell the user": pending changes are committed before any message goes to Telegram; the bot token's send
budget shared by replies and alerts (and by every replica, through Redis); the update metrics."""
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

from connectors.shared_limits import Bucket, SharedBudget
from services.partner_cache import has_work
from services.partners import KNOWN_PARTNERS, get_by_telegram_id, mark_seen

LAST_SEEN_EVERY = 300  # seconds: last_seen_at is "active lately", not a clock
LAST_SEEN_MEMORY = 100_000  # partners remembered before the memory of writes is dropped

# Telegram: "no more than about 30 messages per second" per bot (Bot API FAQ), counted on Telegram's side.
TELEGRAM_RATE = 30.0
# Counted on Telegram's side, at an instant between our request and its answer: a window this much longer than a
# second keeps network jitter from putting 31 sends into one of Telegram's seconds (the rate: 30 / 1.05 = 28.6/s).
TELEGRAM_WINDOW_SAFETY = 0.05
# UNCONFIRMED which methods Telegram counts: new messages surely; edits, callback answers and chat actions are
# not counted here (they are not messages, and a partner's screen must not wait behind a burst of alerts).
COUNTED_METHODS = frozenset({"SendMessage", "SendDocument", "SendPhoto", "SendMediaGroup", "SendVideo", "SendAudio",
                             "SendVoice", "SendAnimation", "SendSticker", "SendLocation", "SendContact",
                             "CopyMessage", "ForwardMessage"})
# Replies may run this many sends ahead of the steady rate; alerts only take what is left (one send ahead, to make
# up for a late wake-up), so a partner's answer never queues behind the outbox.
REPLY_BURST = 3
ALERT_BURST = 2

# Set by the outbox sender around its own sends: they draw on the budget through it, not here again.
ALERT_SEND: ContextVar[bool] = ContextVar("alert_send", default=False)


class MetricsMiddleware(BaseMiddleware):
    """Counts each update and how long it took (bot/metrics.py), outermost so the session's time counts too."""

    def __init__(self) -> None:
        # The labelled children, looked up once: `labels()` takes a lock and builds a key on every call.
        self._counted: dict[tuple[str, str], Any] = {}
        self._timed: dict[str, Any] = {}

    async def __call__(self, handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        kind = getattr(event, "event_type", None) or "unknown"
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await handler(event, data)
            outcome = "handled" if result is not UNHANDLED else "unhandled"
            return result
        finally:
            elapsed = time.perf_counter() - started
            counter = self._counted.get((kind, outcome))
            if counter is None:
                from bot.metrics import UPDATES

                counter = self._counted[(kind, outcome)] = UPDATES.labels(kind, outcome)
            timer = self._timed.get(kind)
            if timer is None:
                from bot.metrics import UPDATE_SECONDS

                timer = self._timed[kind] = UPDATE_SECONDS.labels(kind)
            counter.inc()
            timer.observe(elapsed)


class DbSessionMiddleware(BaseMiddleware):
    """The update's session and partner. With a PartnerCache the partner usually comes without a query, and an
    update that reads nothing else opens no transaction at all (nothing to commit)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], partners=None):
        self.sessionmaker = sessionmaker
        self.partners = partners  # services.partner_cache.PartnerCache, or None: a query per update

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        session = self.sessionmaker()
        token = _update_session.set(session)
        try:
            data["session"] = session
            user: User | None = data.get("event_from_user")
            partner = None
            if user is not None:
                if self.partners is not None:
                    partner = await self.partners.get(session, user.id)
                else:
                    partner = await get_by_telegram_id(session, user.id)
                # Handlers looking the same partner up again (/start's registration) find it here, not by a query.
                session.info[KNOWN_PARTNERS] = {user.id: partner} if partner is not None else {}
            data["partner"] = partner
            result = await handler(event, data)
            if has_work(session):
                await session.commit()
            return result
        finally:
            _update_session.reset(token)
            if session.in_transaction():
                # A connection to give back (the handler failed, or left a transaction open): closed as
                # `async with` closes it, in a task of its own that a cancellation cannot cut short.
                async with session:
                    pass
            else:
                # No connection (most updates, now that the partner is cached): closing only forgets the
                # objects, with no I/O to wait for, so the plain Session's close does it without the greenlet
                # AsyncSession.close spends on it (a twelfth of a cached /start).
                session.sync_session.close()


# The DB session of the update being handled (each update runs in its own task, so its own context).
_update_session: ContextVar[AsyncSession | None] = ContextVar("update_session", default=None)


class CommitBeforeReply(BaseRequestMiddleware):
    """Updates are handled concurrently: a partner can press a button of a reply before the handler that sent
    it has returned. Committing first means what the partner sees is already in the database (a draft the
    next step loads, a registration the next update checks)."""

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]):
        session = _update_session.get()
        if session is not None and has_work(session):
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
class TelegramBudget(BaseRequestMiddleware):
    """The bot token's messages per second, for replies (this middleware, on the Bot's session) and alerts
    (`for_alert`, asked by the outbox sender) together: alerts use all of it while nobody chats, replies go first
    when someone does. With Redis the budget is one for every replica; without, this process's."""

    def __init__(self, bucket: Bucket):
        self.bucket = bucket

    @classmethod
    def build(cls, bot_id: int, *, shared: SharedBudget | None = None, rate: float = TELEGRAM_RATE,
              window: float = 1.0) -> TelegramBudget:
        """`window`: the length of Telegram's second (shorter for a time-scaled sandbox)."""
        period = window * (1.0 + TELEGRAM_WINDOW_SAFETY)
        limit = max(1, int(rate * window + 1e-9))
        return cls(Bucket(("telegram", bot_id), rate=limit / period, limit=limit, period=period, shared=shared))

    async def for_alert(self) -> float:
        """0.0: an alert may go now (counted); else seconds to wait."""
        return await self.bucket.take(ALERT_BURST)

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]):
        if type(method).__name__ in COUNTED_METHODS and not ALERT_SEND.get():
            await self.bucket.wait(REPLY_BURST)
        return await make_request(bot, method)
