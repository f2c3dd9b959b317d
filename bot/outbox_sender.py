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
logged.

What is not Telegram lives elsewhere: the table (claims, outcomes) in services/outbox/store.py, the partner's mute and
quiet hours in services/outbox/policy.py, the texts in bot/alert_texts.py.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, LinkPreviewOptions

from bot import alert_texts, charts
from bot.analytics_texts import CAPTION_BUDGET, Chart
from bot.middlewares import ALERT_SEND
from bot.i18n import DEFAULT_LOCALE, Texts
from services.outbox import store
from services.outbox.policy import Prefs, prefs_of, quiet_until
from services.outbox.records import (
    Alert,
    AlertKind,
    Blocked,
    Failed,
    Outcome,
    Recipient,
    Released,
    Retry,
    Round,
    Sent,
)

log = logging.getLogger(__name__)

BACKOFF_FIRST = 5  # seconds before the first retry after a network/server error; doubles per attempt
BACKOFF_MAX = 3600
ROUND_SECONDS = 0.25  # one claim round covers about this much sending
CATCH_UP = 2  # tokens a late send may make up for (the send log still caps every window)
PICTURE_NAME = "summary.png"


@dataclass
class _Message:
    chat_id: int
    partner_id: str
    alerts: list[Alert]
    text: str
    markup: InlineKeyboardMarkup | None
    picture: Chart | None = None  # sent as a photo with `text` as its caption (drawn when sent)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(alert.id for alert in self.alerts)


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


def backoff(attempts: int) -> int:
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** max(0, attempts - 1))


class OutboxSender:
    """`run()` until `stop()`; `wake()` after writing rows; `drain_once()` sends what is due now (tests)."""

    def __init__(self, bot: Bot, sessionmaker, core, *, global_rate: float = 30.0, per_chat_interval: float = 1.0,
                 clock: Callable[[], float] | None = None, window: float = 1.0, retry_after_scale: float = 1.0,
                 concurrency: int = 32, safety: float = 0.0, poll_interval: float = 1.0, budget=None):
        """global_rate: messages per second overall; per_chat_interval: seconds between two messages to one
        chat; clock: unix time for due dates and quiet hours (pacing uses the monotonic clock); window: the
        period over which Telegram counts global_rate (at most global_rate x window messages in any window:
        1 s for Telegram, shorter for a time-scaled sandbox);
        retry_after_scale: seconds paused per second of a 429's retry_after (a time-scaled sandbox reports
        its own seconds); safety: a share of the limits to leave unused (the limits are
        kept exactly without it: see _Limiter);
        poll_interval: how often the outbox is looked at without wake() (rows written by other processes);
        budget: the bot token's budget shared with the replies to partners and the other replicas
        (bot.middlewares.TelegramBudget: `await budget.for_alert()` -> seconds to wait); None: global_rate alone."""
        self.bot = bot
        self.sessionmaker = sessionmaker
        self.core = core
        self.global_rate = global_rate
        self.per_chat_interval = per_chat_interval
        self.clock = clock or time.time
        self.retry_after_scale = retry_after_scale
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.budget = budget
        self.recovered_in_flight = 0
        self.stats: collections.Counter[str] = collections.Counter()

        self._limiter = _Limiter(global_rate, window, safety)
        self._chat_gap = per_chat_interval * (1.0 + safety)
        self._round = max(4, math.ceil(global_rate * ROUND_SECONDS))  # messages claimed per round
        self._low_water = self._round // 2
        self._fetch_rows = self._round * 2 + alert_texts.MAX_GROUP
        # What a kill can leave `sending` (rows recovered and sent again): the messages queued below the refill
        # mark and those in flight, each up to MAX_GROUP rows, plus one claim's rows not yet grouped.
        self.claimed_at_most = (self._low_water + concurrency) * alert_texts.MAX_GROUP + self._fetch_rows
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
            raise RuntimeError("the outbox sender is already running")
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
                    self._writes.put_nowait(Released(message.ids))
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
            count = await store.recover_in_flight(session)
            await session.commit()
        self._recovered = True
        if count:
            self.recovered_in_flight += count
            log.warning("outbox: %d rows were being sent when the last run stopped; sending them again", count)

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
            return not await store.due_count(session, self.clock())

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
                next_due = await store.next_due_at(session)
        except Exception:
            log.exception("outbox: reading the next due time failed")
            next_due = None
        if next_due is not None and next_due > self.clock():
            waits.append(next_due - self.clock())
        return max(0.001, min(waits))

    # ----------------------------------------------------------------------------------- claiming

    async def _fill(self, want: int) -> int:
        """One round: claim up to `want` messages. Returns how many rows it dealt with (0: nothing to do now)."""
        now = self.clock()
        mono = time.monotonic()
        self._ready_at = {chat: t for chat, t in self._ready_at.items() if t > mono}
        excluded = self._busy | set(self._ready_at)

        async with self.sessionmaker() as session:
            found = await store.fetch_due(session, now, self._fetch_rows, excluded)
            if not found:
                return 0
            by_chat: dict[int, list[Alert]] = {}
            recipients: dict[int, Recipient] = {}
            for alert, recipient in found:
                by_chat.setdefault(alert.chat_id, []).append(alert)
                recipients[alert.chat_id] = recipient

            decided = Round()
            messages: list[_Message] = []
            for chat_id, chat_alerts in by_chat.items():
                if len(messages) >= want:
                    break
                chat_alerts.sort(key=lambda a: (a.created_at, a.next_attempt_at))  # oldest first within the chat
                recipient = recipients[chat_id]
                prefs = _prefs(recipient)
                decided.muted += [a.id for a in chat_alerts if a.kind in prefs.muted]  # muted since they were queued
                live = [a for a in chat_alerts if a.kind not in prefs.muted]
                if not live:
                    continue
                until = quiet_until(recipient.timezone, prefs.quiet, now)
                if until is not None:
                    decided.held[recipient.partner_id] = until
                    continue
                head = live[0]
                group = [a for a in live if a.kind == AlertKind.NEW_ORDER][:alert_texts.MAX_GROUP] \
                    if head.kind == AlertKind.NEW_ORDER else [head]
                rendered, bad = self._render(group, recipient)
                decided.failed += bad
                if rendered is not None:
                    group, text, markup = rendered
                    messages.append(_Message(chat_id, recipient.partner_id, group, text, markup,
                                             self._picture(group, recipient)))
            decided.claim = [i for m in messages for i in m.ids]
            claimed = await store.settle(session, decided, now)
            await session.commit()

        self.stats["muted"] += len(decided.muted)
        self.stats["held"] += len(decided.held)
        self.stats["render_failed"] += len(decided.failed)
        for message in messages:
            if not set(message.ids) <= claimed:  # another sender took some of them: not ours to send
                log.warning("outbox: rows of chat %s were claimed elsewhere", message.chat_id)
                mine = tuple(i for i in message.ids if i in claimed)
                if mine:
                    self._writes.put_nowait(Released(mine))
                continue
            self._busy.add(message.chat_id)
            self._queue.append(message)
        if self._queue:
            self._queued.set()
        return len(messages) + len(decided.muted) + len(decided.held) + len(decided.failed)

    def _render(self, group: list[Alert], recipient: Recipient):
        """((alerts, text, markup) | None, [(alert id, error)]): a group with an alert that can't be rendered is sent
        without it; that alert is failed."""
        texts = Texts(self.core, recipient.language or DEFAULT_LOCALE)
        try:
            text, markup = alert_texts.render(group, texts, recipient)
            return (group, text, markup), []
        except Exception as exc:
            if len(group) == 1:
                log.exception("outbox %s (%s): can't render it; marked failed", group[0].id, group[0].kind)
                return None, [(group[0].id, f"render: {type(exc).__name__}: {exc}"[:500])]
        good, bad = [], []
        for row in group:
            rendered, errors = self._render([row], recipient)
            if rendered is not None:
                good.append(row)
            bad += errors
        if not good:
            return None, bad
        try:
            text, markup = alert_texts.render(good, texts, recipient)
            return (good, text, markup), bad
        except Exception:
            rendered, _ = self._render(good[:1], recipient)
            return rendered, bad

    def _picture(self, group: list[Alert], recipient: Recipient) -> Chart | None:
        try:
            return alert_texts.picture(group, Texts(self.core, recipient.language or DEFAULT_LOCALE), recipient)
        except Exception:  # the text still goes, without its chart
            log.exception("outbox %s: can't prepare its chart; sent as text", group[0].id)
            return None

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
                self._write(Released(message.ids))
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
                    if self.budget is not None:  # replies and other replicas draw on the same token
                        wait = await self.budget.for_alert()
                        now = time.monotonic()
                        if wait > 0:
                            await asyncio.sleep(wait)
                            continue
                    self._limiter.take(now)
                    return
            await asyncio.sleep(max(wait, 0.0))

    async def _send(self, message: _Message) -> None:
        ALERT_SEND.set(True)  # this task's own context: the budget was taken in _pace
        try:
            photo = await self._draw(message)
            if photo is not None:
                sent = await self.bot.send_photo(message.chat_id, BufferedInputFile(photo, PICTURE_NAME),
                                                 caption=message.text, reply_markup=message.markup, parse_mode="HTML")
            else:
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
            self._write(Released(message.ids, f"429: retry after {exc.retry_after}"))
        except TelegramForbiddenError as exc:
            self.stats["forbidden"] += 1
            log.info("telegram: partner %s blocked the bot (%s); marked unreachable", message.partner_id, exc.message)
            self._write(Blocked(message.partner_id, message.ids, f"403: {exc.message}"[:500]))
        except (TelegramBadRequest, TelegramNotFound, TelegramEntityTooLarge, TelegramMigrateToChat) as exc:
            self.stats["bad_request"] += 1
            log.error("telegram refused outbox rows %s: %s", message.ids, exc.message)
            self._write(Failed(message.ids, f"{type(exc).__name__}: {exc.message}"[:500]))
        except Exception as exc:  # network, 5xx, anything unexpected: try again later
            self.stats["errors"] += 1
            log.warning("telegram: sending to chat %s failed (%s: %s); retrying later",
                        message.chat_id, type(exc).__name__, exc)
            now = int(self.clock())
            attempts = max(a.attempts for a in message.alerts) + 1
            self._write(Retry(message.ids, attempts, now + backoff(attempts), f"{type(exc).__name__}: {exc}"[:500]))
        else:
            self.stats["messages"] += 1
            self.stats["rows"] += len(message.alerts)
            self._write(Sent(message.ids, sent.message_id, int(self.clock())))
        finally:
            self._limiter.answered_now()
            # the chat's next message: per_chat_interval after Telegram answered this one
            self._ready_at[message.chat_id] = time.monotonic() + self._chat_gap
            self._busy.discard(message.chat_id)
            self._slots.release()
            if not self._queue:
                self._wake.set()  # the feeder may be waiting for this chat

    async def _draw(self, message: _Message) -> bytes | None:
        """The message's chart as PNG, drawn in the chart threads (the loop keeps sending meanwhile); None: text only
        (no chart, or it could not be drawn, or the text is too long to be a caption)."""
        if message.picture is None or len(message.text) > CAPTION_BUDGET:
            return None
        try:
            return await charts.draw(message.picture.function, *message.picture.args)
        except Exception:
            log.exception("outbox %s: drawing its chart failed; sent as text", message.ids)
            return None

    def _write(self, outcome: Outcome) -> None:
        self._writes.put_nowait(outcome)

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

    async def _commit(self, conn, batch: list[Outcome]):
        engine = self.sessionmaker.kw["bind"]
        for attempt in range(3):
            try:
                if conn is None:
                    conn = await engine.connect()
                await store.record(conn, batch)
                await conn.commit()
                return conn
            except Exception:
                log.exception("outbox: recording %d outcomes failed (attempt %d)", len(batch), attempt + 1)
                conn = await _discard(conn)
                await asyncio.sleep(0.1 * 2 ** attempt)
        for outcome in batch:  # one by one, so one bad outcome does not lose the others
            try:
                async with engine.begin() as single:
                    await store.record(single, [outcome])
            except Exception:
                log.exception("outbox: could not record %s; its rows stay 'sending' until the next start", outcome)
        return conn


def _prefs(recipient: Recipient) -> Prefs:
    try:
        return prefs_of(recipient)
    except Exception:
        log.exception("partner %s: unreadable notification settings; defaults used", recipient.partner_id)
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
