"""What several bot processes share through Redis (REDIS_URL): dialog state with per-chat ordering, and the lease
that lets exactly one of them poll Telegram at a time.

Without REDIS_URL nothing here is used: one process, MemoryStorage, polling as before.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
from contextlib import suppress

from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisEventIsolation, RedisStorage
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

log = logging.getLogger(__name__)

# A dialog idle this long is forgotten (Redis keeps no abandoned wizard forever; the draft it points at is
# purged at the next start, services.integrations.purge_stale_drafts).
STATE_TTL = 7 * 24 * 3600
# How long one chat's update may hold its lock: longer than any handler (a marketplace connection test with its
# retries), so an update is never handled beside the previous one of its chat; a killed holder frees it then.
CHAT_LOCK_SECONDS = 120
# The polling lease: its holder renews it every LEASE_RENEW seconds; if the holder dies, another replica takes
# over at most LEASE_SECONDS + LEASE_RETRY later.
LEASE_SECONDS = 5.0
LEASE_RENEW = 1.5
LEASE_RETRY = 1.0


def open_redis(url: str) -> Redis:
    # Short timeouts and two quick retries (redis-py's default backs off for seconds): a Redis that does not answer
    # must fail an update or /healthz, and send the rate limits to their in-process fallback, at once.
    return Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30,
                          retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), 2))


def build_storage(redis: Redis, prefix: str) -> tuple[BaseStorage, BaseEventIsolation]:
    """aiogram's RedisStorage: what the handlers keep is the ids and names in bot/states.py, never a secret (the
    connect wizard encrypts a key into a draft integration and keeps the draft's id). The isolation takes a
    per-chat lock in Redis, so one chat's updates are handled one after another whichever replica gets them."""
    keys = DefaultKeyBuilder(prefix=f"{prefix}:fsm", with_destiny=True)
    storage = RedisStorage(redis, key_builder=keys, state_ttl=STATE_TTL, data_ttl=STATE_TTL)
    # A waiting update looks at the lock every 10 ms (redis-py's default 100 ms would add that to every queued one).
    isolation = RedisEventIsolation(redis, key_builder=keys, lock_kwargs={"timeout": CHAT_LOCK_SECONDS, "sleep": 0.01})
    return storage, isolation


# Renews the lease only while it is still ours (a holder that stalled past the expiry must not extend another's).
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class Lease:
    """One named lease in Redis: at most one holder at a time, lost when not renewed for LEASE_SECONDS."""

    def __init__(self, redis: Redis, key: str, *, seconds: float = LEASE_SECONDS):
        self.redis = redis
        self.key = key
        self.seconds = seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"

    async def acquire(self) -> bool:
        return bool(await self.redis.set(self.key, self.owner, nx=True, px=int(self.seconds * 1000)))

    async def renew(self) -> bool:
        return bool(await self.redis.eval(_RENEW, 1, self.key, self.owner, int(self.seconds * 1000)))

    async def release(self) -> None:
        with suppress(Exception):  # it expires by itself anyway
            await self.redis.eval(_RELEASE, 1, self.key, self.owner)

    async def holder(self) -> str | None:
        value = await self.redis.get(self.key)
        return value.decode() if isinstance(value, bytes) else value

    async def hold(self, work, *, renew_every: float = LEASE_RENEW, retry_every: float = LEASE_RETRY,
                   stop: asyncio.Event) -> None:
        """Run `work()` (a coroutine function) while holding the lease, until `stop` is set: wait for the lease,
        run, renew; when a renewal fails (Redis gone, or we stalled and another took it) the work is cancelled
        and the wait starts again."""
        while not stop.is_set():
            try:
                acquired = await self.acquire()
            except Exception as exc:
                log.warning("lease %s: Redis did not answer (%s); retrying", self.key, exc)
                acquired = False
            if not acquired:
                await _sleep_or_stop(stop, retry_every)
                continue
            log.info("lease %s taken by %s", self.key, self.owner)
            task = asyncio.create_task(work(), name=f"lease-{self.key}")
            try:
                while not stop.is_set() and not task.done():
                    await asyncio.wait([task], timeout=renew_every)
                    if task.done() or stop.is_set():
                        break
                    try:
                        still = await self.renew()
                    except Exception as exc:
                        log.warning("lease %s: renewal failed (%s)", self.key, exc)
                        still = False
                    if not still:
                        log.warning("lease %s lost: stopping its work", self.key)
                        break
            finally:
                if not task.done():
                    task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await self.release()
            if task.done() and not task.cancelled() and task.exception() is not None:
                log.error("work under lease %s failed", self.key, exc_info=task.exception())
                await _sleep_or_stop(stop, retry_every)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
