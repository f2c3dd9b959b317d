"""Client-side pacing: stay under each marketplace's published rate limits instead of bouncing off them.

Model
-----
- `RateSpec(limit, period, burst=None, max_parallel=None, window=False)`: "`limit` units per `period`
  seconds". A unit is a request, or an item where the marketplace counts items (pass `cost`).
  It is a token bucket of capacity `burst` (default `limit`) refilling at `limit / period` per second;
  `window=True` adds "and never more than `limit` units in any `period`-long window" (a sliding log), for
  limits published as plain "N per period" whose counting algorithm is not documented (it may be a fixed
  window, like our own sandbox's, where a bucket's burst + refill would overshoot). `max_parallel` caps
  requests in flight; `RateSpec.parallel(n)` is a cap with no rate at all.
- `Limiter`: one bucket (+ optional window, + optional parallel cap) with a FIFO queue of waiters. Only the
  head of the queue sleeps, once per state change: no busy loop, fair, and exact under `FakeClock`.
- Server signals win over the local estimate:
  `penalize(until)`: the server said "not before `until`"; nobody acquires earlier, and the bucket restarts
  nearly empty at `until`.
  `observe_remaining(remaining, reset_at)`: the server's own count (WB `X-Ratelimit-Remaining`, Yandex
  `X-RateLimit-Resource-Remaining/-Until`). If it is lower than ours we take it; with a `reset_at`, it is a
  hard budget until that moment (fixed window). Requests we admitted after the observed one are subtracted
  (`ticket`), so parallel requests cannot overrun it.
- `IntervalGate(interval, limit=1)`: per item "the same key at most `limit` times per `interval`" (Ozon: the
  same product-warehouse pair at most once per 30 s; a product's price at most 10 times per hour).
- `Pace`: what one HTTP request passes before it is sent. `HttpCore.request(..., pace=pace)` does, on every
  attempt: gate claim -> tokens of each limiter (in the order given: put the slowest first) -> parallel slots
  -> gate stamp -> send -> feed `policy.remaining` headers to the limiters -> release the slots. A rate-limit
  reply penalizes the pace's rate limiters with the server's wait before the retry; a 4xx is charged
  `error_cost` when set (WB Marketplace counts a 4xx as 10 requests).
- Registry: `pacer_for(key, spec)` / `gate_for(key, interval, limit=)` return the same object for the same key
  in the whole process, so every client instance of one credential shares one budget, and different keys never
  wait on each other. Keys are tuples starting with the marketplace. Never put a secret into a key: use
  `credential_id(secret)`. Tests: `reset_pacers()` between tests; pass your FakeClock (`clock=`) so nothing
  sleeps for real.

The published numbers and the Pace each request takes live with each marketplace, in
`connectors/<marketplace>/limits.py`; this module knows no marketplace.

Guarantee (what the tests check; see `tests/unit/test_pacing.py`)
----------------------------------------------------------------
For a limiter with capacity b and rate r = limit/period, and acquisitions of cost <= b (times from its clock):
  for every closed interval [s, t]: sum of costs acquired in [s, t] <= b + r * (t - s);
  with `window=True`, additionally for every half-open [s, s + period): sum <= limit.
Penalties, observations and charges only ever remove capacity, so they keep both bounds. It is also tight:
a waiter is admitted at the first instant the bucket (and window) allows, plus TIME_EPSILON (1 us) so float
rounding can never place a request a hair before the server's boundary; a time the server gave (penalty,
Yandex reset) is honoured exactly, as HttpCore always did. That margin is carried over while
the bucket is below capacity; it is lost (and so adds up) only when a request is admitted on a just-full
bucket (burst 1) or at a window boundary: at most 1 us per request, 10 ms over 10,000 requests.
A cost above the capacity (or above `limit` in window mode) is admitted on a full bucket (an empty window)
and drives the bucket negative: later waiters pay for it proportionally instead of deadlocking.

Without `pace=` HttpCore sends at once. A caller that must not block (a chat handler) passes `max_wait=` to the
Pace: if the local queue is longer than that, RateLimited(retry_after=estimate) is raised before anything is sent
or consumed.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import math
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from connectors import metrics, shared_limits
from connectors.base import RateLimited
from connectors.clock import Clock, SystemClock

# Every wait ends this much after the exact boundary: float rounding of unix timestamps (~0.24 us at 2027)
# can then never put a request before the server's boundary. Costs at most this much per request.
TIME_EPSILON = 1e-6
# Two `reset_at`s this close (seconds) describe the same server window (HTTP dates have 1 s resolution).
RESET_TOLERANCE = 1.0

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0


# ------------------------------------------------------------------------------------------- spec
@dataclass(frozen=True)
class RateSpec:
    """`limit` units per `period` seconds; a token bucket of capacity `burst` (default `limit`).

    `limit=None` means no rate at all (only the `max_parallel` cap). `window=True` also keeps any
    `period`-long window at or below `limit` (see the module docstring for when to use it).
    """

    limit: int | None
    period: float = 1.0
    burst: int | None = None
    max_parallel: int | None = None
    window: bool = False

    def __post_init__(self) -> None:
        if self.limit is None:
            if not self.max_parallel:
                raise ValueError("RateSpec without a limit needs max_parallel")
        else:
            if self.limit <= 0 or self.period <= 0:
                raise ValueError("RateSpec limit and period must be positive")
            if self.burst is not None and self.burst <= 0:
                raise ValueError("RateSpec burst must be positive")
        if self.max_parallel is not None and self.max_parallel < 1:
            raise ValueError("RateSpec max_parallel must be >= 1")

    @classmethod
    def parallel(cls, n: int) -> RateSpec:
        """Only a cap on requests in flight (Yandex: per campaign / business)."""
        return cls(None, 1.0, max_parallel=n)

    @property
    def capacity(self) -> float:
        if self.limit is None:
            return math.inf
        return float(self.burst if self.burst is not None else self.limit)

    @property
    def rate(self) -> float | None:
        """Units per second, None without a rate."""
        return None if self.limit is None else self.limit / self.period


# Whether "N per period" limits with no documented algorithm also get the sliding-window guard (never more
# than N in any period). UNCONFIRMED how Ozon, Yandex and Uzum count; the guard is safe whether the server
# uses a token bucket (capacity >= N), a fixed window or a sliding window. Costs at most one period on a
# short run against a pure bucket server; set False here to pace them as plain buckets.
GUARD_UNDOCUMENTED_WINDOWS = True


def credential_id(secret: str) -> str:
    """A stable, non-reversible id of a credential, for registry keys (a key must never hold a secret)."""
    return hashlib.sha256(secret.strip().encode()).hexdigest()[:16]


# ----------------------------------------------------------------------------------------- limiter
_SEQ = itertools.count()


def _same_clock(a: Clock, b: Clock) -> bool:
    # Every HttpCore makes its own SystemClock(); they all tell the same time.
    return a is b or (type(a) is SystemClock and type(b) is SystemClock)


class Limiter:
    """One token bucket (+ optional sliding window, + optional parallel cap), FIFO, on an injectable clock."""

    def __init__(self, spec: RateSpec, *, clock: Clock | None = None, name: str = "", key: tuple | None = None):
        self.name = name
        self.key = key  # the registry key (marketplace first), for metrics and the shared budget
        self.clock: Clock = clock or SystemClock()
        self._seq = next(_SEQ)  # global order: parallel slots are always taken in this order (no deadlock)
        self.spec = spec
        self._reset_state()

    # -- configuration -----------------------------------------------------------------------------
    def _reset_state(self) -> None:
        self._tokens = self.spec.capacity if self.spec.limit is not None else 0.0
        self._stamp: float | None = None
        self._blocked_until = -math.inf
        self._srv_left: float | None = None
        self._srv_until: float | None = None
        self._window: deque[tuple[float, float]] = deque()
        self._window_sum = 0.0
        self._acquired = 0.0
        self._waiters: deque[list[Any]] = deque()  # [future, cost]
        self._slot_waiters: deque[asyncio.Future] = deque()
        self._in_flight = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    def reconfigure(self, spec: RateSpec) -> None:
        """Change the limit, keeping what was already spent."""
        if spec == self.spec:
            return
        had_rate = self.spec.limit is not None
        self.spec = spec
        if spec.limit is None:
            self._tokens = 0.0
        elif not had_rate:
            self._tokens = spec.capacity
        else:
            self._tokens = min(self._tokens, spec.capacity)

    def rebind(self, clock: Clock) -> None:
        """Move to another clock (tests: a new FakeClock). Times of the old clock mean nothing: start fresh."""
        self.clock = clock
        self._reset_state()

    def _check_loop(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            if self._loop is not None:
                # A new event loop (tests run one per test): the old loop's waiters and slots died with it.
                self._waiters.clear()
                self._slot_waiters.clear()
                self._in_flight = 0
            self._loop = loop
        return loop

    def _shared(self) -> shared_limits.SharedBudget | None:
        """The replicas' common budget, for a registry limiter with a rate on the real clock (a test's fake or
        scaled clock is its own world)."""
        budget = shared_limits.installed()
        if budget is None or self.key is None or self.spec.limit is None or type(self.clock) is not SystemClock:
            return None
        return budget

    # -- state ---------------------------------------------------------------------------------------
    @property
    def capacity(self) -> float:
        return self.spec.capacity

    @property
    def blocked_until(self) -> float:
        """The time before which nobody acquires (a server's penalty); -inf if none."""
        return self._blocked_until

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def _refill(self, now: float) -> None:
        # `_tokens` is the level at `_stamp`. After a penalty `_stamp` is the server's time (in the future):
        # nothing refills before it.
        rate = self.spec.rate
        if rate is None:
            return
        if self._stamp is None:
            self._stamp = now
        elif now > self._stamp:
            self._tokens = min(self.spec.capacity, self._tokens + (now - self._stamp) * rate)
            self._stamp = now

    def _bucket_wait(self, need: float, now: float) -> float:
        rate = self.spec.rate
        if rate is None or self._tokens >= need:
            return 0.0
        ahead = max(0.0, self._stamp - now) if self._stamp is not None else 0.0
        return ahead + (need - self._tokens) / rate

    def _prune_window(self, now: float) -> None:
        period = self.spec.period
        while self._window and self._window[0][0] + period <= now:
            self._window_sum -= self._window.popleft()[1]
        if not self._window:
            self._window_sum = 0.0

    def _window_wait(self, cost: float, now: float) -> float:
        self._prune_window(now)
        limit = self.spec.limit or 0
        if not self._window or self._window_sum + cost <= limit:
            return 0.0
        left = self._window_sum
        for stamp, spent in self._window:
            left -= spent
            if left + cost <= limit or left <= 0:
                return stamp + self.spec.period - now
        return 0.0  # pragma: no cover (the loop empties the window)

    def available(self) -> float:
        """What could be acquired right now (min of bucket, window room and the server's budget)."""
        now = self.clock.now()
        self._refill(now)
        values = [math.inf]
        if self.spec.limit is not None:
            values.append(self._tokens)
            if self.spec.window:
                self._prune_window(now)
                values.append(self.spec.limit - self._window_sum)
        if self._srv_until is not None and self._srv_until > now and self._srv_left is not None:
            values.append(self._srv_left)
        if self._blocked_until > now:
            values.append(0.0)
        return min(values)

    def _ready_in(self, cost: float, now: float) -> tuple[float, bool]:
        """(seconds until `cost` may be taken, whether that moment is a server's time rather than ours)."""
        self._refill(now)
        server = max(0.0, self._blocked_until - now)
        local = 0.0
        if self.spec.limit is not None:
            local = self._bucket_wait(min(cost, self.spec.capacity), now)
            if self.spec.window:
                local = max(local, self._window_wait(cost, now))
        if self._srv_until is not None:
            if self._srv_until <= now:
                self._srv_left = self._srv_until = None
            elif self._srv_left is not None and self._srv_left < cost:
                server = max(server, self._srv_until - now)
        return max(server, local), local <= server

    def _commit(self, cost: float, now: float) -> float:
        if self.spec.limit is not None:
            self._tokens -= cost
            if self.spec.window:
                self._window.append((now, cost))
                self._window_sum += cost
        if self._srv_until is not None and self._srv_left is not None and self._srv_until > now:
            self._srv_left -= cost
        self._acquired += cost
        return self._acquired

    # -- acquiring -----------------------------------------------------------------------------------
    async def _take_tokens(self, cost: float) -> float:
        if cost < 0:
            raise ValueError("cost must be >= 0")
        loop = self._check_loop()
        shared = self._shared()
        if not self._waiters and shared is None:
            now = self.clock.now()
            if self._ready_in(cost, now)[0] <= 0:
                return self._commit(cost, now)
        entry: list[Any] = [loop.create_future(), cost]
        self._waiters.append(entry)
        try:
            if self._waiters[0] is not entry:
                await entry[0]  # the previous head wakes us when it leaves
            while True:
                now = self.clock.now()
                wait, server_time = self._ready_in(cost, now)
                if wait <= 0 and shared is not None:
                    # Ours allows it; the replicas' common budget must too (the head asks; the queue waits behind).
                    wait = await shared.take(self.key, rate=self.spec.rate, capacity=self.spec.capacity, cost=cost,
                                             window=(self.spec.limit, self.spec.period) if self.spec.window else None)
                    server_time = False
                    if wait <= 0:
                        return self._commit(cost, self.clock.now())
                elif wait <= 0:
                    return self._commit(cost, now)
                # A server's time is honoured exactly; our own boundaries get the float-safety margin.
                await self.clock.sleep(wait if server_time else wait + TIME_EPSILON)
        finally:
            was_head = bool(self._waiters) and self._waiters[0] is entry
            with contextlib.suppress(ValueError):
                self._waiters.remove(entry)
            if was_head and self._waiters:
                head = self._waiters[0][0]
                if not head.done():
                    head.set_result(None)

    async def _enter_parallel(self) -> None:
        cap = self.spec.max_parallel
        if not cap:
            return
        loop = self._check_loop()
        if self._in_flight < cap and not self._slot_waiters:
            self._in_flight += 1
            return
        fut = loop.create_future()
        self._slot_waiters.append(fut)
        try:
            await fut  # a releasing request hands its slot over (in_flight unchanged)
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._release_parallel()  # we were handed a slot we will not use
            else:
                with contextlib.suppress(ValueError):
                    self._slot_waiters.remove(fut)
            raise

    def _release_parallel(self) -> None:
        if not self.spec.max_parallel:
            return
        while self._slot_waiters:
            fut = self._slot_waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return
        self._in_flight = max(0, self._in_flight - 1)

    async def acquire(self, cost: float = 1) -> float:
        """Wait (FIFO, on the clock) until `cost` units may go, take them, then a parallel slot if capped.

        Returns a ticket for `observe_remaining`. Call `release()` after the request when max_parallel is set.
        """
        ticket = await self._take_tokens(cost)
        await self._enter_parallel()
        return ticket

    def release(self) -> None:
        """Give back the parallel slot taken by `acquire` (no-op without max_parallel)."""
        self._release_parallel()

    @contextlib.asynccontextmanager
    async def slot(self, cost: float = 1) -> AsyncIterator[float]:
        """`async with limiter.slot(cost) as ticket:` send one request; the parallel slot is held inside."""
        ticket = await self.acquire(cost)
        try:
            yield ticket
        finally:
            self.release()

    def charge(self, cost: float) -> None:
        """Take `cost` more units without waiting (may go negative): e.g. WB counts a 4xx as 10 requests."""
        if cost <= 0:
            return
        now = self.clock.now()
        self._refill(now)
        self._commit(cost, now)

    def estimate_wait(self, cost: float = 1) -> float:
        """Roughly how long an `acquire(cost)` made now would wait, queue included."""
        now = self.clock.now()
        total = cost + sum(c for _, c in self._waiters)
        wait = self._ready_in(total if self.spec.limit is None else min(total, self.spec.capacity), now)[0]
        if self.spec.limit is not None and total > self.spec.capacity:
            wait = max(wait, self._bucket_wait(total, now))
        return wait

    # -- server signals --------------------------------------------------------------------------------
    def penalize(self, until: float, *, allow: float = 1.0) -> None:
        """The server said "not before `until`" (unix time): nobody acquires earlier (the wait ends exactly
        then), and at `until` the bucket holds at most `allow` units (the retried request's cost), refilling
        at the normal rate from there."""
        now = self.clock.now()
        if until <= now:
            return
        shared = self._shared()
        if shared is not None:  # every replica waits it out, not only the one that was told
            shared.penalize(self.key, until - now)
        self._refill(now)
        until = max(self._blocked_until, until)
        self._blocked_until = until
        rate = self.spec.rate
        if rate is not None:
            if self._stamp is None:
                self._stamp = now
            level = self._tokens
            if until > self._stamp:
                level = min(self.spec.capacity, level + (until - self._stamp) * rate)
            self._tokens = min(level, allow, self.spec.capacity)
            self._stamp = until

    def penalize_for(self, seconds: float, *, allow: float = 1.0) -> None:
        self.penalize(self.clock.now() + seconds, allow=allow)

    def observe_remaining(self, remaining: float, reset_at: float | None = None, *, ticket: float | None = None) -> None:
        """The server's own count of what is left (after the request that got `ticket`, if given).

        Lower than ours: we take it. With `reset_at` (a fixed window, Yandex) it is also a hard budget until
        then. Units admitted after `ticket` may not have been counted yet, so they are subtracted.
        """
        now = self.clock.now()
        self._refill(now)
        later = max(0.0, self._acquired - ticket) if ticket is not None else 0.0
        left = remaining - later
        if reset_at is None or reset_at <= now:
            if self.spec.limit is not None and left < self._tokens:
                self._tokens = left  # a continuous bucket on the server (WB): it refills at the rate
            return
        current = self._srv_until
        if current is None or current <= now or reset_at > current + RESET_TOLERANCE:
            self._srv_left, self._srv_until = left, reset_at  # a new server window
        elif reset_at >= current - RESET_TOLERANCE:
            self._srv_left = left if self._srv_left is None else min(self._srv_left, left)
            self._srv_until = max(current, reset_at)
        # else: a late reply from an older window; ignore it

    def __repr__(self) -> str:
        return f"Limiter({self.name or self.spec!r})"


# -------------------------------------------------------------------------------------- interval gate
class GateClaim:
    """Keys reserved in an IntervalGate until `commit()` (stamp them now, i.e. at send time) or `release()`."""

    def __init__(self, gate: IntervalGate, keys: tuple[Hashable, ...], fut: asyncio.Future):
        self.gate, self.keys, self._fut, self.done = gate, keys, fut, False

    def commit(self) -> None:
        self.gate._finish(self, stamp=True)

    def release(self) -> None:
        self.gate._finish(self, stamp=False)


class IntervalGate:
    """Each key at most `limit` times per `interval` seconds (Ozon: a product-warehouse pair once per 30 s).

    `await gate.wait(keys)` returns when every key may go and stamps them now. Inside HttpCore (Pace) the
    keys are claimed first and stamped at send time, so a wait for tokens cannot shorten the interval.
    """

    PRUNE_EVERY = 1024

    def __init__(self, interval: float, *, limit: int = 1, clock: Clock | None = None, name: str = "",
                 key: tuple | None = None):
        if interval <= 0 or limit < 1:
            raise ValueError("IntervalGate needs interval > 0 and limit >= 1")
        self.interval, self.limit, self.name, self.key = interval, limit, name, key
        self.clock: Clock = clock or SystemClock()
        self._reset_state()

    def _reset_state(self) -> None:
        self._times: dict[Hashable, deque[float]] = {}
        self._busy: dict[Hashable, asyncio.Future] = {}
        self._commits = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    def rebind(self, clock: Clock) -> None:
        self.clock = clock
        self._reset_state()

    def _ready_at(self, keys: Iterable[Hashable]) -> float:
        ready = -math.inf
        for key in keys:
            times = self._times.get(key)
            if times is not None and len(times) >= self.limit:
                ready = max(ready, times[0] + self.interval)
        return ready

    def estimate_wait(self, keys: Iterable[Hashable]) -> float:
        return max(0.0, self._ready_at(keys) - self.clock.now())

    async def claim(self, keys: Iterable[Hashable]) -> GateClaim:
        keys = tuple(dict.fromkeys(keys))
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._busy.clear()
            self._loop = loop
        while True:
            busy = next((self._busy[k] for k in keys if k in self._busy), None)
            if busy is not None:
                await asyncio.shield(busy)
                continue
            now = self.clock.now()
            ready = self._ready_at(keys)
            if ready > now:
                await self.clock.sleep(ready - now + TIME_EPSILON)
                continue
            shared = self._shared()
            if shared is not None:
                wait = await shared.gate_reserve(self.key, keys, self.interval)
                if wait > 0:  # another replica (or claim here) has one of these items within `interval`
                    await self.clock.sleep(wait + TIME_EPSILON)
                    continue
            fut = loop.create_future()
            for key in keys:
                self._busy[key] = fut
            return GateClaim(self, keys, fut)

    async def wait(self, keys: Iterable[Hashable]) -> None:
        (await self.claim(keys)).commit()

    def _shared(self) -> shared_limits.SharedBudget | None:
        """Items of a gate that allows one send per interval are shared by the replicas (the module docstring of
        connectors.shared_limits says why the others are not)."""
        budget = shared_limits.installed()
        if budget is None or self.key is None or self.limit != 1 or type(self.clock) is not SystemClock:
            return None
        return budget

    def _finish(self, claim: GateClaim, *, stamp: bool) -> None:
        if claim.done:
            return
        claim.done = True
        shared = self._shared()
        if shared is not None:
            if stamp:
                shared.gate_stamp(self.key, claim.keys, self.interval)
            else:
                shared.gate_release(self.key, claim.keys)
        now = self.clock.now()
        for key in claim.keys:
            if stamp:
                self._times.setdefault(key, deque(maxlen=self.limit)).append(now)
            if self._busy.get(key) is claim._fut:
                del self._busy[key]
        if not claim._fut.done():
            claim._fut.set_result(None)
        if stamp:
            self._commits += 1
            if self._commits % self.PRUNE_EVERY == 0:
                stale = [k for k, t in self._times.items() if t[-1] + self.interval <= now]
                for key in stale:
                    del self._times[key]


# ---------------------------------------------------------------------------------------------- pace
class Passage:
    """One attempt that went through a Pace: HttpCore reports the reply to it, then releases it."""

    def __init__(self, pace: Pace, tickets: dict[int, float], slots: list[Limiter]):
        self.pace, self.tickets, self._slots = pace, tickets, slots
        self._sent_at: float | None = time.perf_counter()

    def observe(self, remaining: float, reset_in: float | None) -> None:
        """Server count; `reset_in` seconds from now (converted on each limiter's own clock)."""
        for lim in self.pace.signals:
            reset_at = None if reset_in is None else lim.clock.now() + reset_in
            lim.observe_remaining(remaining, reset_at, ticket=self.tickets.get(id(lim)))

    def penalize(self, seconds: float) -> None:
        metrics.RATE_LIMITED.labels(self.pace.marketplace).inc()
        for lim in self.pace.signals:
            lim.penalize_for(seconds, allow=self.pace.cost_of(lim))

    def charge_error(self) -> None:
        if self.pace.error_cost is None:
            return
        for lim in self.pace.signals:
            lim.charge(self.pace.error_cost - self.pace.cost_of(lim))

    def release(self) -> None:
        slots, self._slots = self._slots, []
        for lim in reversed(slots):
            lim.release()
        if self._sent_at is not None:
            marketplace = self.pace.marketplace
            metrics.REQUESTS.labels(marketplace).inc()
            metrics.SECONDS.labels(marketplace).observe(time.perf_counter() - self._sent_at)
            self._sent_at = None


class Pace:
    """What one request passes before it is sent (see the module docstring).

    - limiters: `Limiter` (cost 1) or `(Limiter, cost)`; tokens are taken in this order: slowest first.
    - gate + keys: an IntervalGate and the items of this request (claimed first, stamped at send time).
    - signals: the limiters a server's rate-limit reply / remaining count applies to (default: every
      limiter in the pace that has a rate; a pure parallel cap is not penalized).
    - error_cost: what a 4xx reply costs in total (WB Marketplace: 10), None = only the request itself.
    - min_penalty: hold the signal limiters at least this long after a rate-limit reply (Uzum).
    - max_wait: raise RateLimited instead of queueing longer than this (None: queue, however long).
    """

    def __init__(
        self,
        *limiters: Limiter | tuple[Limiter, float],
        gate: IntervalGate | None = None,
        keys: Iterable[Hashable] = (),
        signals: Iterable[Limiter] | None = None,
        error_cost: float | None = None,
        min_penalty: float = 0.0,
        max_wait: float | None = None,
    ):
        parts: list[tuple[Limiter, float]] = []
        for item in limiters:
            lim, cost = (item, 1.0) if isinstance(item, Limiter) else (item[0], float(item[1]))
            parts.append((lim, cost))
        self.parts = tuple(parts)
        self.gate = gate
        self.keys = tuple(keys)
        self.signals = (
            tuple(signals) if signals is not None else tuple(lim for lim, _ in parts if lim.spec.limit is not None)
        )
        self.error_cost = error_cost
        self.min_penalty = min_penalty
        self.max_wait = max_wait

    @property
    def marketplace(self) -> str:
        keys = [lim.key for lim, _ in self.parts if lim.key] + ([self.gate.key] if self.gate is not None else [])
        return metrics.marketplace_of(keys[0] if keys else None)

    def cost_of(self, limiter: Limiter) -> float:
        return sum(cost for lim, cost in self.parts if lim is limiter) or 1.0

    def estimate_wait(self) -> float:
        waits = [lim.estimate_wait(cost) for lim, cost in self.parts]
        if self.gate is not None and self.keys:
            waits.append(self.gate.estimate_wait(self.keys))
        return max(waits, default=0.0)

    async def enter(self) -> Passage:
        """Wait for everything, in order: gate claim, tokens, parallel slots; then stamp the gate."""
        if self.max_wait is not None:
            estimate = self.estimate_wait()
            if estimate > self.max_wait:
                raise RateLimited(f"paced locally: next slot in {estimate:.1f}s", retry_after=estimate)
        claim = await self.gate.claim(self.keys) if self.gate is not None and self.keys else None
        slots: list[Limiter] = []
        try:
            tickets: dict[int, float] = {}
            for lim, cost in self.parts:
                tickets[id(lim)] = await lim._take_tokens(cost)
            capped = {id(lim): lim for lim, _ in self.parts if lim.spec.max_parallel}
            for lim in sorted(capped.values(), key=lambda item: item._seq):
                await lim._enter_parallel()
                slots.append(lim)
        except BaseException:
            for lim in reversed(slots):
                lim.release()
            if claim is not None:
                claim.release()
            raise
        if claim is not None:
            claim.commit()
        return Passage(self, tickets, slots)

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[Passage]:
        """`async with pace.hold():` for work that does not go through HttpCore."""
        passage = await self.enter()
        try:
            yield passage
        finally:
            passage.release()


# ------------------------------------------------------------------------------------------- registry
class Pacer:
    """Process-wide registry: one Limiter / IntervalGate per key, shared by every client instance."""

    def __init__(self) -> None:
        self._limiters: dict[tuple, Limiter] = {}
        self._gates: dict[tuple, IntervalGate] = {}
        self._lock = threading.Lock()

    def limiter(self, key: tuple, spec: RateSpec, *, clock: Clock | None = None) -> Limiter:
        with self._lock:
            lim = self._limiters.get(key)
            if lim is None:
                lim = Limiter(spec, clock=clock, name=repr(key), key=key)
                self._limiters[key] = lim
                return lim
        if clock is not None and not _same_clock(lim.clock, clock):
            lim.rebind(clock)
        lim.reconfigure(spec)
        return lim

    def gate(self, key: tuple, interval: float, *, limit: int = 1, clock: Clock | None = None) -> IntervalGate:
        with self._lock:
            gate = self._gates.get(key)
            if gate is None:
                gate = IntervalGate(interval, limit=limit, clock=clock, name=repr(key), key=key)
                self._gates[key] = gate
                return gate
        if clock is not None and not _same_clock(gate.clock, clock):
            gate.rebind(clock)
        return gate

    def reset(self) -> None:
        with self._lock:
            self._limiters.clear()
            self._gates.clear()


PACER = Pacer()


def pacer_for(key: tuple, spec: RateSpec, *, clock: Clock | None = None) -> Limiter:
    """The process-wide limiter for `key` (made with `spec`; a later different spec reconfigures it).

    A limiter keeps the clock it was made with. Passing a *different* clock object (any two SystemClocks
    count as the same) rebinds it and starts it fresh: that is for tests (a new FakeClock per test). In one
    process, give every client the same clock object, or pass none.
    """
    return PACER.limiter(key, spec, clock=clock)


def gate_for(key: tuple, interval: float, *, limit: int = 1, clock: Clock | None = None) -> IntervalGate:
    """The process-wide IntervalGate for `key`: each item at most `limit` times per `interval` seconds."""
    return PACER.gate(key, interval, limit=limit, clock=clock)


def reset_pacers() -> None:
    """Forget every limiter and gate (tests)."""
    PACER.reset()
