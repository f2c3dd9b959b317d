"""Rate limits shared by every replica, through Redis: one budget per limiter key for all processes together.

connectors.pacing keeps its in-process limiters (the FIFO queue, the server's signals, the parallel caps); when a
SharedBudget is installed (`install`, done by bot.runtime with REDIS_URL), a limiter on the real clock also takes
its units from Redis before it admits a request, so N replicas together send no more than the published limit.

One Lua script does the counting, atomically and on Redis's own clock (TIME), so replicas' clocks need not agree:
- a token bucket in GCRA form (the "theoretical arrival time" of the next unit): capacity and refill as the spec;
- with `window`: also a sliding log of the last period (a sorted set, costs summed incrementally), never more than
  `limit` units in any period;
- a "blocked until" set by a server's rate-limit reply (penalize): every replica waits it out.
It answers 0 (taken) or the seconds to wait; nothing is taken when it says wait.

IntervalGate items (Ozon: the same product-warehouse pair once per 30 s) with limit 1 are shared too: a key per
item, set for the interval from the moment a request may send it (`gate_reserve`), set again when it is sent
(`gate_stamp`), deleted when it is not (`gate_release`). Gates with a limit above 1 (Ozon's 10 prices per product
per hour), the parallel caps (Yandex) and a server's remaining count stay per process: the job leases run one
integration's job on one replica at a time, so those are not shared by two replicas at once.

Keys: `<prefix>:rl:<limiter key>`; limiter keys never hold a secret (connectors.pacing.credential_id).
"""
from __future__ import annotations

import asyncio
import collections
import itertools
import logging
import os
import time
from typing import Any

log = logging.getLogger(__name__)

# Redis admits a request at one moment, the marketplace counts it when it arrives: in between, the replica's event
# loop may stall (three replicas on a loaded machine put 6 requests into one of the Uzum sandbox's 5-per-second
# windows). The shared sliding window is this much longer than the published period (about 1/7 of a 1-s limit,
# nothing of a minute's).
WINDOW_MARGIN = 0.15
# A Redis that does not answer must not stop the marketplaces' work: the process falls back to its own limits
# (which alone keep one replica within them) and tries Redis again after this many seconds.
FALLBACK_SECONDS = 5.0

_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local blocked = tonumber(redis.call('GET', KEYS[3]) or '0')
if blocked > now then return tostring(blocked - now) end
local interval, capacity, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local limit, period, member = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local tat = 0
if interval > 0 then
  tat = tonumber(redis.call('GET', KEYS[1]) or '0')
  if tat < now then tat = now end
  -- a cost above the capacity is admitted on a full bucket (and drives it negative), as the local limiter does
  local need = math.min(cost, capacity)
  local allow_at = tat + need * interval - capacity * interval
  if allow_at > now then return tostring(allow_at - now) end
end
if limit > 0 then
  local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - period)
  local used = tonumber(redis.call('GET', KEYS[4]) or '0')
  for _, m in ipairs(old) do used = used - tonumber(string.match(m, ':([^:]+)$')) end
  if #old > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - period) end
  if used < 0.000001 then used = 0 end
  if used > 0 and used + cost > limit then
    local entries = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
    local left = used
    for i = 1, #entries, 2 do
      left = left - tonumber(string.match(entries[i], ':([^:]+)$'))
      if left + cost <= limit or left <= 0 then
        redis.call('SET', KEYS[4], tostring(used), 'PX', math.ceil(period * 1000) + 1000)
        return tostring(tonumber(entries[i + 1]) + period - now)
      end
    end
  end
  redis.call('ZADD', KEYS[2], now, member .. ':' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[2], math.ceil(period * 1000) + 1000)
  redis.call('SET', KEYS[4], tostring(used + cost), 'PX', math.ceil(period * 1000) + 1000)
end
if interval > 0 then
  local new_tat = tat + cost * interval
  redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1000)
end
return '0'
"""

_PENALIZE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > current then
  redis.call('SET', KEYS[1], tostring(until_), 'PX', math.ceil(tonumber(ARGV[1]) * 1000) + 1000)
end
return 1
"""

# Every item free: all reserved for `ARGV[1]` ms (0 answered); else the ms until the last of them is free.
_GATE_RESERVE = """
local wait = 0
for i, key in ipairs(KEYS) do
  local left = redis.call('PTTL', key)
  if left > wait then wait = left end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do redis.call('SET', key, ARGV[2], 'PX', ARGV[1]) end
return 0
"""


class SharedBudget:
    """The Redis side of the shared limits (see the module docstring)."""

    def __init__(self, redis: Any, prefix: str):
        self.redis = redis
        self.prefix = prefix
        self._take = redis.register_script(_TAKE)
        self._penalize = redis.register_script(_PENALIZE)
        self._gate_reserve = redis.register_script(_GATE_RESERVE)
        self._seq = itertools.count()
        self._owner = os.urandom(6).hex()
        self._down_until = 0.0
        self._tasks: set[asyncio.Task] = set()

    def _key(self, key: tuple, part: str) -> str:
        return f"{self.prefix}:rl:{'|'.join(str(getattr(k, 'value', k)) for k in key)}:{part}"

    def available(self) -> bool:
        return asyncio.get_running_loop().time() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        self._down_until = asyncio.get_running_loop().time() + FALLBACK_SECONDS
        log.warning("shared rate limits: Redis did not answer (%s: %s); own limits only for %s s",
                    type(exc).__name__, exc, FALLBACK_SECONDS)

    async def take(self, key: tuple, *, rate: float | None, capacity: float, cost: float,
                   window: tuple[float, float] | None, margin: float = WINDOW_MARGIN) -> float:
        """Take `cost` units of `key`'s budget: 0.0 when taken, else the seconds to wait before asking again
        (nothing taken). rate: units per second (None: no bucket); window: (limit, period) or None; margin: seconds
        added to the window's period (a caller whose period has its own safety passes 0)."""
        if not self.available():
            return 0.0
        interval = 1.0 / rate if rate else 0.0
        limit, period = (window[0], window[1] + margin) if window else (0, 0)
        member = f"{self._owner}{next(self._seq)}"
        try:
            answer = await self._take(
                keys=[self._key(key, "tat"), self._key(key, "log"), self._key(key, "blocked"), self._key(key, "used")],
                args=[repr(interval), repr(capacity), repr(float(cost)), repr(float(limit)), repr(float(period)),
                      member])
        except Exception as exc:
            self._failed(exc)
            return 0.0
        return max(0.0, float(answer))

    def penalize(self, key: tuple, seconds: float) -> None:
        """A server said "not before `seconds` from now": every replica waits (sent in the background)."""
        if seconds <= 0 or not self.available():
            return
        self._background(self._penalize(keys=[self._key(key, "blocked")], args=[repr(float(seconds))]))

    async def gate_reserve(self, key: tuple, items: tuple, interval: float) -> float:
        """Reserve every item for `interval` s if none is taken: 0.0; else the seconds until all are free."""
        if not items or not self.available():
            return 0.0
        try:
            wait_ms = await self._gate_reserve(keys=[self._key(key, f"item:{item}") for item in items],
                                               args=[max(1, int(interval * 1000)), self._owner])
        except Exception as exc:
            self._failed(exc)
            return 0.0
        return int(wait_ms) / 1000.0

    def gate_stamp(self, key: tuple, items: tuple, interval: float) -> None:
        """The items were sent now: the interval runs from here (on every replica)."""
        if items and self.available():
            keys = [self._key(key, f"item:{item}") for item in items]
            self._background(self._set_all(keys, int(interval * 1000)))

    def gate_release(self, key: tuple, items: tuple) -> None:
        """Reserved but not sent: free the items again."""
        if items and self.available():
            self._background(self.redis.delete(*(self._key(key, f"item:{item}") for item in items)))

    async def _set_all(self, keys: list[str], px: int) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(key, self._owner, px=max(1, px))
            await pipe.execute()

    def _background(self, coro) -> None:
        async def run() -> None:
            try:
                await coro
            except Exception as exc:
                self._failed(exc)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


_INSTALLED: SharedBudget | None = None


def install(budget: SharedBudget | None) -> None:
    """Share every real-clock limiter of this process through `budget` (None: in-process limits only)."""
    global _INSTALLED
    _INSTALLED = budget


def installed() -> SharedBudget | None:
    return _INSTALLED


class Bucket:
    """One budget that several kinds of work draw on, with priorities: a token bucket (`rate` per second) under a
    sliding window (never more than `limit` in any `period`), kept in Redis when `shared` is given (every replica
    together), else here. `take(capacity)`: a caller with a smaller capacity is admitted only while the bucket
    has room above what the larger ones may still take, so the larger (replies to partners) go first and the
    smaller (alerts) use everything they leave. The bot's Telegram budget (bot/middlewares.py) is one."""

    def __init__(self, key: tuple, *, rate: float, limit: int, period: float, shared: SharedBudget | None = None):
        self.key, self.rate, self.limit, self.period, self.shared = key, rate, limit, period, shared
        self._tat = 0.0
        self._log: collections.deque[float] = collections.deque()

    async def take(self, capacity: float) -> float:
        """0.0: one unit taken; else the seconds to wait before asking again."""
        if self.shared is not None and self.shared.available():
            return await self.shared.take(self.key, rate=self.rate, capacity=capacity, cost=1.0,
                                          window=(self.limit, self.period), margin=0.0)
        now = time.monotonic()
        interval = 1.0 / self.rate
        tat = max(self._tat, now)
        allow_at = tat + interval - capacity * interval
        if allow_at > now:
            return allow_at - now
        while self._log and self._log[0] <= now - self.period:
            self._log.popleft()
        if len(self._log) >= self.limit:
            return self._log[0] + self.period - now
        self._log.append(now)
        self._tat = tat + interval
        return 0.0

    async def wait(self, capacity: float) -> None:
        while (pause := await self.take(capacity)) > 0:
            await asyncio.sleep(pause)
