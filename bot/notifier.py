"""The outbox sender: delivers `outbox` rows to partners within Telegram's limits, at least once.

Three tasks while it runs:

* the feeder claims due rows — `pending`, `next_attempt_at <= now`, partner active — in due order (oldest
  first within a chat), for chats with nothing queued or in flight and past their per-chat interval; it
  renders each chat's next message (its due new-order rows grouped into one, at most alerts.MAX_GROUP),
  holds the rows of partners in their quiet hours (next_attempt_at = the end of the quiet period), mutes
  kinds muted since they were queued, and marks the claimed rows `sending` in ONE commit per round (a round
  is about a quarter of a second of sending);
* the dispatcher starts each send as its own task (several in flight: the rate, not the round trip, bounds
  throughput) once three things allow it: the global limit (_Limiter: never more than Telegram allows in
  any window as Telegram counts, sends spread evenly), the chat's own interval (`per_chat_interval` after
  Telegram answered the chat's previous message), and the global pause after a 429;
* the writer records each send's outcome at once — `sent` with message_id and sent_at, or the retry/failure
  — on its own connection, group-committing whatever outcomes are waiting (one commit covers several sends
  at high rates; a single outcome is committed immediately).

At least once: a row is `sending` only between its claim and its outcome; rows found `sending` at start-up
(the process died meanwhile) go back to `pending` (`recovered_in_flight`) and are sent again — the only
duplicates possible are messages Telegram accepted in the instant before the process died.

Errors: 429 pauses ALL sending for retry_after and returns the rows to `pending`; 403 (the partner blocked
the bot) marks the partner `unreachable` and their pending rows `failed` (a /start makes them active again,
services/partners.py); another 4xx marks the rows `failed` with Telegram's text; network and server errors
return the rows to `pending` with a backoff (attempts + 1). A row that can't be rendered is `failed` and
logged. One sender per database: the claim is an UPDATE ... RETURNING, no SKIP LOCKED needed.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardMarkup, LinkPreviewOptions
from sqlalchemy import bindparam, case, func, select, update

from bot import alerts
from bot.i18n import DEFAULT_LOCALE, Texts
from db.models import OutboxMessage, Partner
from services.notifications import Kind, Prefs, prefs_of

log = logging.getLogger(__name__)

OUTBOX = OutboxMessage.__table__
BACKOFF_FIRST = 5  # seconds before the first retry after a network/server error; doubles per attempt
BACKOFF_MAX = 3600
ROUND_SECONDS = 0.25  # one claim round covers about this much sending
CATCH_UP = 2  # tokens a late send may make up for (the send log still caps every window)
DEFAULT_TIMEZONE = "Asia/Tashkent"
# outbox.error of a row found `sending` at start-up and sent again; kept once it is sent (and through later
# retries), so a duplicate a partner might see can be traced to a crash mid-send
RECOVERED = "recovered_in_flight"


@dataclass
class _Message:
    chat_id: int
    partner_id: str
    rows: list[tuple[str, int]]  # (outbox id, attempts)
    text: str
    markup: InlineKeyboardMarkup | None

    @property
    def ids(self) -> list[str]:
        return [row_id for row_id, _ in self.rows]


class _Limiter:
    """Telegram's global limit: at most `count` messages in any `window` seconds, as Telegram counts them — on
    its side, at some moment between our request and its answer. So a send holds one of `count` places from
    its start until `window` after its answer: however the network and the event loops delay things, no
    window on Telegram's side can hold `count + 1` sends (the price: one round trip per place and window,
    instead of a 429 on any jitter). Within that cap the sends are spread evenly — a token bucket in GCRA
    form, one token every window/count seconds, CATCH_UP tokens kept so that a late wake-up is made up for —
    so Telegram never sees a burst. `safety` stretches the window (0: exactly the limit)."""

    def __init__(self, rate: float, window: float, safety: float):
        self.count = max(1, int(rate * window + 1e-9))
        self.window = window * (1.0 + safety)
        self.interval = self.window / self.count
        self.tolerance = self.interval * min(CATCH_UP, self.count - 1)
        self.tat = 0.0  # when the bucket would be full again
        self.inflight = 0
        self.answered: collections.deque[float] = collections.deque()  # answer times within the last window
        self.freed = asyncio.Event()

    async def wait(self, now: float) -> float:
        """Seconds until the next send may start (<= 0: now); waits itself while every place is in flight."""
        while self.inflight >= self.count:
            self.freed.clear()
            await self.freed.wait()
            now = time.monotonic()
        while self.answered and self.answered[0] <= now - self.window:
            self.answered.popleft()
        wait = self.tat - self.tolerance - now
        if self.inflight + len(self.answered) >= self.count:
            wait = max(wait, self.answered[self.inflight + len(self.answered) - self.count] + self.window - now)
        return wait

    def take(self, now: float) -> None:
        self.tat = max(self.tat, now) + self.interval
        self.inflight += 1

    def answered_now(self) -> None:
        """The send's answer (or failure) arrived."""
        self.inflight -= 1
        self.answered.append(time.monotonic())
        self.freed.set()

    def hold(self, until: float) -> None:
        """After a pause nothing is caught up."""
        self.tat = max(self.tat, until)


def quiet_until(partner: Partner, quiet: tuple[int, int] | None, now: float) -> int | None:
    """If `now` is in the partner's quiet hours (from_hour..to_hour, their timezone, may span midnight): the
    unix time they end; else None. Equal hours mean no quiet hours."""
    if not quiet or quiet[0] == quiet[1]:
        return None
    start, end = quiet
    try:
        tz = ZoneInfo(partner.timezone or DEFAULT_TIMEZONE)
    except (ValueError, KeyError):
        tz = ZoneInfo(DEFAULT_TIMEZONE)
    local = datetime.fromtimestamp(now, timezone.utc).astimezone(tz)
    hour = local.hour
    inside = start <= hour < end if start < end else (hour >= start or hour < end)
    if not inside:
        return None
    naive = local.replace(tzinfo=None, hour=end, minute=0, second=0, microsecond=0)
    if naive <= local.replace(tzinfo=None):
        naive += timedelta(days=1)
    return int(naive.replace(tzinfo=tz).timestamp())


def backoff(attempts: int) -> int:
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** max(0, attempts - 1))


class Notifier:
    """`run()` until `stop()`; `wake()` after writing rows; `drain_once()` sends what is due now (tests)."""

    def __init__(self, bot: Bot, sessionmaker, core, *, global_rate: float = 30.0, per_chat_interval: float = 1.0,
                 clock: Callable[[], float] | None = None, window: float = 1.0, retry_after_scale: float = 1.0,
                 concurrency: int = 32, safety: float = 0.0, poll_interval: float = 1.0):
        """global_rate: messages per second overall; per_chat_interval: seconds between two messages to one
        chat; clock: unix time for due dates and quiet hours (pacing uses the monotonic clock); window: the
        period over which Telegram counts global_rate (at most global_rate x window messages in any window:
        1 s for Telegram, shorter for a time-scaled sandbox);
        retry_after_scale: seconds paused per second of a 429's retry_after (a time-scaled sandbox reports
        its own seconds); safety: a share of the limits to leave unused (the limits are
        kept exactly without it: see _Limiter);
        poll_interval: how often the outbox is looked at without wake() (rows written by other processes)."""
        self.bot = bot
        self.sessionmaker = sessionmaker
        self.core = core
        self.global_rate = global_rate
        self.per_chat_interval = per_chat_interval
        self.clock = clock or time.time
        self.retry_after_scale = retry_after_scale
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.recovered_in_flight = 0
        self.stats: collections.Counter[str] = collections.Counter()

        self._limiter = _Limiter(global_rate, window, safety)
        self._chat_gap = per_chat_interval * (1.0 + safety)
        self._round = max(4, math.ceil(global_rate * ROUND_SECONDS))  # messages claimed per round
        self._low_water = self._round // 2
        self._fetch_rows = self._round * 2 + alerts.MAX_GROUP
        self._queue: collections.deque[_Message] = collections.deque()  # claimed, waiting for their turn
        self._busy: set[int] = set()  # chats with a message queued or in flight
        self._ready_at: dict[int, float] = {}  # chat -> monotonic time its next message may go
        self._inflight: set[asyncio.Task] = set()
        self._paused_until = 0.0
        self._recovered = False
        self._serving = False
        self._stopping = False
        self._wake = asyncio.Event()  # new rows, or a chat got free
        self._queued = asyncio.Event()  # the dispatcher has work
        self._room = asyncio.Event()  # the queue fell below the low-water mark
        self._done = asyncio.Event()
        self._writes: asyncio.Queue | None = None
        self._slots: asyncio.Semaphore | None = None

    # ------------------------------------------------------------------------------------ public API

    def wake(self) -> None:
        """New rows were written: look at the outbox now instead of at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Send until stop()."""
        self._stopping = False
        await self._serve(until_idle=False)

    async def drain_once(self) -> int:
        """Send everything due now (waiting for per-chat spacing, the rate and 429 pauses as needed); the number of
        Telegram messages sent."""
        before = self.stats["messages"]
        self._stopping = False
        await self._serve(until_idle=True)
        return self.stats["messages"] - before

    async def stop(self) -> None:
        """Stop claiming, finish the sends in flight, give back what was claimed but not sent, record all."""
        self._stopping = True
        for event in (self._wake, self._queued, self._room):
            event.set()
        if self._serving:
            await self._done.wait()

    # ----------------------------------------------------------------------------------- the loop

    async def _serve(self, *, until_idle: bool) -> None:
        if self._serving:
            raise RuntimeError("the notifier is already running")
        self._serving = True
        self._done.clear()
        self._writes = asyncio.Queue()
        self._slots = asyncio.Semaphore(self.concurrency)
        writer = asyncio.create_task(self._writer(), name="outbox-writer")
        dispatcher = asyncio.create_task(self._dispatcher(), name="outbox-dispatcher")
        try:
            await self._feed(until_idle)
        finally:
            dispatcher.cancel()
            await asyncio.gather(dispatcher, return_exceptions=True)
            if self._inflight:
                await asyncio.gather(*list(self._inflight), return_exceptions=True)
            if self._queue:  # claimed, never handed to Telegram
                for message in self._queue:
                    self._busy.discard(message.chat_id)
                    self._writes.put_nowait(("release", message.ids, None))
                self._queue.clear()
            await self._writes.join()
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
            self._serving = False
            self._done.set()

    async def _recover(self) -> None:
        """Rows left `sending` by a process that died: back to pending (sent again: at least once)."""
        if self._recovered:
            return
        async with self.sessionmaker() as session:
            # Marked, so a duplicate a partner might see can be traced to a crash mid-send.
            result = await session.execute(update(OUTBOX).where(OUTBOX.c.status == "sending")
                                           .values(status="pending", error=RECOVERED))
            await session.commit()
        self._recovered = True
        if result.rowcount:
            self.recovered_in_flight += result.rowcount
            log.warning("outbox: %d rows were being sent when the last run stopped; sending them again",
                        result.rowcount)

    async def _feed(self, until_idle: bool) -> None:
        while not self._stopping:
            if not self._recovered:
                try:
                    await self._recover()
                except Exception:
                    if until_idle:
                        raise
                    log.exception("outbox: giving back the rows of the last run failed; trying again")
                    await _wait(self._wake, self.poll_interval)
                    continue
            if len(self._queue) > self._low_water:
                self._room.clear()
                await self._room.wait()
                continue
            self._wake.clear()
            try:
                progress = await self._fill(self._round - len(self._queue))
            except Exception:  # a database hiccup must not end the sender
                log.exception("outbox: claiming rows failed")
                await _wait(self._wake, self.poll_interval)
                continue
            if progress:
                continue
            if until_idle and await self._idle():
                return
            await _wait(self._wake, await self._sleep_time())

    async def _idle(self) -> bool:
        """drain_once: nothing queued, in flight, paused or due any more."""
        # _busy covers the queue, the message the dispatcher holds and the sends in flight
        if self._busy or self._queue or self._inflight or self._paused_until > time.monotonic():
            return False
        await self._writes.join()
        async with self.sessionmaker() as session:
            due = await session.scalar(self._due_filter(select(func.count()).select_from(OUTBOX), self.clock()))
        return not due

    async def _sleep_time(self) -> float:
        now = time.monotonic()
        waits = [self.poll_interval]
        if self._paused_until > now:
            waits.append(self._paused_until - now)
        cooling = [t for t in self._ready_at.values() if t > now]
        if cooling:
            waits.append(min(cooling) - now)
        try:
            async with self.sessionmaker() as session:
                stmt = select(func.min(OUTBOX.c.next_attempt_at)).select_from(
                    OUTBOX.join(Partner.__table__, Partner.__table__.c.id == OUTBOX.c.partner_id)).where(
                    OUTBOX.c.status == "pending", Partner.__table__.c.status == "active")
                next_due = await session.scalar(stmt)
        except Exception:
            log.exception("outbox: reading the next due time failed")
            next_due = None
        if next_due is not None and next_due > self.clock():
            waits.append(next_due - self.clock())
        return max(0.001, min(waits))

    def _due_filter(self, stmt, now: float):
        partners = Partner.__table__
        return stmt.join(partners, partners.c.id == OUTBOX.c.partner_id).where(
            OUTBOX.c.status == "pending", OUTBOX.c.next_attempt_at <= now, partners.c.status == "active")

    # ----------------------------------------------------------------------------------- claiming

    async def _fill(self, want: int) -> int:
        """One round: claim up to `want` messages. Returns how many rows it dealt with (0: nothing to do now)."""
        now = self.clock()
        mono = time.monotonic()
        self._ready_at = {chat: t for chat, t in self._ready_at.items() if t > mono}
        excluded = self._busy | set(self._ready_at)

        # Due order, straight off the (status, next_attempt_at) index: no sort of the whole backlog. Chats with a
        # message queued or in flight, or within their per-chat interval, are left for a later round.
        query = (select(OutboxMessage, Partner)
                 .join(Partner, Partner.id == OutboxMessage.partner_id)
                 .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
                        Partner.status == "active")
                 .order_by(OutboxMessage.next_attempt_at)
                 .limit(self._fetch_rows))
        if excluded:
            query = query.where(OutboxMessage.chat_id.not_in(excluded))

        async with self.sessionmaker() as session:
            found = (await session.execute(query)).all()
            if not found:
                return 0
            by_chat: dict[int, list[OutboxMessage]] = {}
            partners: dict[int, Partner] = {}
            for row, partner in found:
                by_chat.setdefault(row.chat_id, []).append(row)
                partners[row.chat_id] = partner

            messages: list[_Message] = []
            muted: list[str] = []
            held: dict[str, int] = {}
            failed: list[tuple[str, str]] = []
            for chat_id, rows in by_chat.items():
                if len(messages) >= want:
                    break
                rows.sort(key=lambda r: (r.created_at, r.next_attempt_at))  # oldest first within the chat
                partner = partners[chat_id]
                prefs = _prefs(partner)
                muted += [r.id for r in rows if r.kind in prefs.muted]  # muted since they were queued
                live = [r for r in rows if r.kind not in prefs.muted]
                if not live:
                    continue
                until = quiet_until(partner, prefs.quiet, now)
                if until is not None:
                    held[partner.id] = until
                    continue
                head = live[0]
                group = [r for r in live if r.kind == Kind.NEW_ORDER][:alerts.MAX_GROUP] \
                    if head.kind == Kind.NEW_ORDER else [head]
                rendered, bad = self._render(group, partner)
                failed += bad
                if rendered is not None:
                    group, text, markup = rendered
                    messages.append(_Message(chat_id, partner.id, [(r.id, r.attempts) for r in group], text, markup))

            if muted:
                await session.execute(update(OUTBOX).where(OUTBOX.c.id.in_(muted), OUTBOX.c.status == "pending")
                                      .values(status="muted"))
            for partner_id, until in held.items():
                await session.execute(update(OUTBOX).where(
                    OUTBOX.c.partner_id == partner_id, OUTBOX.c.status == "pending",
                    OUTBOX.c.next_attempt_at <= now).values(next_attempt_at=until))
            if failed:
                await session.execute(update(OUTBOX).where(OUTBOX.c.id == bindparam("b_id"))
                                      .values(status="failed", error=bindparam("b_error")),
                                      [{"b_id": i, "b_error": e} for i, e in failed])
            claimed: set[str] = set()
            ids = [i for m in messages for i in m.ids]
            if ids:
                result = await session.execute(update(OUTBOX).where(OUTBOX.c.id.in_(ids), OUTBOX.c.status == "pending")
                                               .values(status="sending").returning(OUTBOX.c.id))
                claimed = set(result.scalars())
            await session.commit()

        self.stats["muted"] += len(muted)
        self.stats["held"] += len(held)
        self.stats["render_failed"] += len(failed)
        for message in messages:
            if not set(message.ids) <= claimed:  # another sender took some of them: not ours to send
                log.warning("outbox: rows of chat %s were claimed elsewhere", message.chat_id)
                mine = [i for i in message.ids if i in claimed]
                if mine:
                    self._writes.put_nowait(("release", mine, None))
                continue
            self._busy.add(message.chat_id)
            self._queue.append(message)
        if self._queue:
            self._queued.set()
        return len(messages) + len(muted) + len(held) + len(failed)

    def _render(self, group: list[OutboxMessage], partner: Partner):
        """((rows, text, markup) | None, [(row id, error)]): a group with a row that can't be rendered is sent
        without it; that row is failed."""
        texts = Texts(self.core, partner.language or DEFAULT_LOCALE)
        try:
            text, markup = alerts.render(group, texts, partner)
            return (group, text, markup), []
        except Exception as exc:
            if len(group) == 1:
                log.exception("outbox %s (%s): can't render it; marked failed", group[0].id, group[0].kind)
                return None, [(group[0].id, f"render: {type(exc).__name__}: {exc}"[:500])]
        good, bad = [], []
        for row in group:
            rendered, errors = self._render([row], partner)
            if rendered is not None:
                good.append(row)
            bad += errors
        if not good:
            return None, bad
        try:
            text, markup = alerts.render(good, texts, partner)
            return (good, text, markup), bad
        except Exception:
            rendered, _ = self._render(good[:1], partner)
            return rendered, bad

    # ------------------------------------------------------------------------------------ sending

    async def _dispatcher(self) -> None:
        while True:
            while not self._queue:
                self._queued.clear()
                await self._queued.wait()
            message = self._queue.popleft()
            if len(self._queue) <= self._low_water:
                self._room.set()
            acquired = False
            try:
                await self._slots.acquire()
                acquired = True
                await self._pace(message.chat_id)
            except asyncio.CancelledError:  # stop(): given back as claimed-but-unsent
                if acquired:
                    self._slots.release()
                self._queue.appendleft(message)
                raise
            except Exception:  # a bug must not stop the sender: these rows go back, the next ones go on
                log.exception("outbox: dispatching to chat %s failed; its rows go back to pending", message.chat_id)
                if acquired:
                    self._slots.release()
                self._busy.discard(message.chat_id)
                self._write(("release", message.ids, None))
                await asyncio.sleep(0.1)
                continue
            task = asyncio.create_task(self._send(message))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _pace(self, chat_id: int) -> None:
        """Wait for the global pause, the global limit and the chat's own interval; the send is counted."""
        while True:
            now = time.monotonic()
            wait = max(self._paused_until - now, self._ready_at.get(chat_id, 0.0) - now)
            if wait <= 0:
                wait = await self._limiter.wait(now)
                now = time.monotonic()
                if wait <= 0 and self._paused_until <= now:
                    self._limiter.take(now)
                    return
            await asyncio.sleep(max(wait, 0.0))

    async def _send(self, message: _Message) -> None:
        try:
            sent = await self.bot.send_message(message.chat_id, message.text, reply_markup=message.markup,
                                               parse_mode="HTML",
                                               link_preview_options=LinkPreviewOptions(is_disabled=True))
        except TelegramRetryAfter as exc:
            pause = exc.retry_after * self.retry_after_scale
            until = time.monotonic() + pause
            self._paused_until = max(self._paused_until, until)
            self._limiter.hold(until)
            self.stats["retry_after"] += 1
            log.warning("telegram: 429, all sending paused for %s s", exc.retry_after)
            self._write(("release", message.ids, f"429: retry after {exc.retry_after}"))
        except TelegramForbiddenError as exc:
            self.stats["forbidden"] += 1
            log.info("telegram: partner %s blocked the bot (%s); marked unreachable", message.partner_id, exc.message)
            self._write(("forbidden", message.partner_id, message.ids, f"403: {exc.message}"[:500]))
        except (TelegramBadRequest, TelegramNotFound, TelegramEntityTooLarge, TelegramMigrateToChat) as exc:
            self.stats["bad_request"] += 1
            log.error("telegram refused outbox rows %s: %s", message.ids, exc.message)
            self._write(("failed", message.ids, f"{type(exc).__name__}: {exc.message}"[:500]))
        except Exception as exc:  # network, 5xx, anything unexpected: try again later
            self.stats["errors"] += 1
            log.warning("telegram: sending to chat %s failed (%s: %s); retrying later",
                        message.chat_id, type(exc).__name__, exc)
            now = int(self.clock())
            self._write(("retry", [(row_id, attempts + 1, now + backoff(attempts + 1))
                                   for row_id, attempts in message.rows], f"{type(exc).__name__}: {exc}"[:500]))
        else:
            self.stats["messages"] += 1
            self.stats["rows"] += len(message.rows)
            self._write(("sent", message.ids, sent.message_id, int(self.clock())))
        finally:
            self._limiter.answered_now()
            # the chat's next message: per_chat_interval after Telegram answered this one
            self._ready_at[message.chat_id] = time.monotonic() + self._chat_gap
            self._busy.discard(message.chat_id)
            self._slots.release()
            if not self._queue:
                self._wake.set()  # the feeder may be waiting for this chat

    def _write(self, op: tuple) -> None:
        self._writes.put_nowait(op)

    # ------------------------------------------------------------------------------------ recording

    async def _writer(self) -> None:
        """Outcomes, committed as they come: everything waiting goes in one transaction, on a connection kept
        open for the purpose (no pool round trips between a send and its record)."""
        conn = None
        try:
            while True:
                batch = [await self._writes.get()]
                while not self._writes.empty():
                    batch.append(self._writes.get_nowait())
                conn = await self._commit(conn, batch)
                for _ in batch:
                    self._writes.task_done()
        finally:
            if conn is not None:
                await asyncio.shield(conn.close())

    async def _commit(self, conn, batch: list[tuple]):
        engine = self.sessionmaker.kw["bind"]
        for attempt in range(3):
            try:
                if conn is None:
                    conn = await engine.connect()
                await self._apply(conn, batch)
                await conn.commit()
                return conn
            except Exception:
                log.exception("outbox: recording %d outcomes failed (attempt %d)", len(batch), attempt + 1)
                conn = await _discard(conn)
                await asyncio.sleep(0.1 * 2 ** attempt)
        for op in batch:  # one by one, so one bad outcome does not lose the others
            try:
                async with engine.begin() as single:
                    await self._apply(single, [op])
            except Exception:
                log.exception("outbox: could not record %s for rows %s; they stay 'sending' until the next start",
                              op[0], op[1] if op[0] != "forbidden" else op[2])
        return conn

    @staticmethod
    async def _apply(conn, batch: list[tuple]) -> None:
        sent = [{"b_id": i, "b_mid": op[2], "b_at": op[3]} for op in batch if op[0] == "sent" for i in op[1]]
        if sent:
            await conn.execute(update(OUTBOX).where(OUTBOX.c.id == bindparam("b_id")).values(
                status="sent", message_id=bindparam("b_mid"), sent_at=bindparam("b_at")), sent)
        failed = [{"b_id": i, "b_error": op[2]} for op in batch if op[0] == "failed" for i in op[1]]
        if failed:
            await conn.execute(update(OUTBOX).where(OUTBOX.c.id == bindparam("b_id")).values(
                status="failed", error=bindparam("b_error")), failed)
        retry = [{"b_id": i, "b_attempts": a, "b_next": n, "b_error": op[2]}
                 for op in batch if op[0] == "retry" for i, a, n in op[1]]
        if retry:
            await conn.execute(update(OUTBOX).where(OUTBOX.c.id == bindparam("b_id")).values(
                status="pending", attempts=bindparam("b_attempts"), next_attempt_at=bindparam("b_next"),
                error=_keep_recovered(bindparam("b_error"))), retry)
        for op in batch:
            if op[0] == "release":
                _, ids, error = op
                values = {"status": "pending"} if error is None else {"status": "pending",
                                                                      "error": _keep_recovered(error)}
                await conn.execute(update(OUTBOX).where(OUTBOX.c.id.in_(ids), OUTBOX.c.status == "sending")
                                   .values(**values))
            elif op[0] == "forbidden":
                _, partner_id, ids, error = op
                await conn.execute(update(Partner.__table__).where(Partner.__table__.c.id == partner_id)
                                      .values(status="unreachable"))
                await conn.execute(update(OUTBOX).where(
                    OUTBOX.c.partner_id == partner_id,
                    (OUTBOX.c.id.in_(ids)) | (OUTBOX.c.status == "pending")).values(status="failed", error=error))


def _keep_recovered(error):
    """The new error text, unless the row carries the crash marker (which stays)."""
    return case((OUTBOX.c.error == RECOVERED, OUTBOX.c.error), else_=error)


def _prefs(partner: Partner) -> Prefs:
    try:
        return prefs_of(partner)
    except Exception:
        log.exception("partner %s: unreadable notification settings; defaults used", partner.id)
        return Prefs()


async def _discard(conn):
    if conn is not None:
        try:
            await conn.close()
        except Exception:
            pass
    return None


async def _wait(event: asyncio.Event, timeout: float) -> None:
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except asyncio.TimeoutError:
        pass
