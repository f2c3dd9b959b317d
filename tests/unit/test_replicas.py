"""bot/replicas.py: the polling lease (one holder; a dead holder's lease is taken over within seconds; a holder that
lost it stops its work) and the settings of several replicas. The lease tests need Redis (REDIS_URL)."""
from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest

from bot.config import Settings
from bot.replicas import Lease

REDIS_URL = os.environ.get("REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs Redis: set REDIS_URL (.ci/run does)")


@pytest.fixture
async def redis():
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


def lease_key() -> str:
    return f"scx-test-{uuid.uuid4().hex[:8]}:lease:polling"


@needs_redis
async def test_one_holder_and_a_dead_holders_lease_is_taken_over(redis):
    key = lease_key()
    dead, alive = Lease(redis, key, seconds=0.6), Lease(redis, key, seconds=0.6)
    assert await dead.acquire()  # ... and then the process is SIGKILLed: nobody renews or releases
    assert not await alive.acquire()
    worked = asyncio.Event()

    async def work() -> None:
        worked.set()
        await asyncio.Event().wait()

    stop = asyncio.Event()
    started = time.monotonic()
    holder = asyncio.create_task(alive.hold(work, renew_every=0.1, retry_every=0.1, stop=stop))
    await asyncio.wait_for(worked.wait(), 5)
    assert time.monotonic() - started < 1.5  # the lease's life + one retry
    assert await alive.holder() == alive.owner
    await asyncio.sleep(1.0)  # renewed meanwhile: still ours, the work still runs
    assert await alive.holder() == alive.owner and not holder.done()
    stop.set()
    await asyncio.wait_for(holder, 5)
    assert await alive.holder() is None  # released on a clean stop: the next replica takes over at once


@needs_redis
async def test_a_holder_that_lost_the_lease_stops_its_work(redis):
    key = lease_key()
    lease, other = Lease(redis, key, seconds=5), Lease(redis, key, seconds=5)
    cancelled = asyncio.Event()

    async def work() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()

    stop = asyncio.Event()
    holder = asyncio.create_task(lease.hold(work, renew_every=0.1, retry_every=0.1, stop=stop))
    await asyncio.sleep(0.2)
    await redis.delete(key)  # it stalled past its expiry and another replica took the lease
    assert await other.acquire()
    await asyncio.wait_for(cancelled.wait(), 3)
    assert await other.holder() == other.owner  # the stalled one never extends or frees the other's lease
    stop.set()
    await asyncio.wait_for(holder, 5)
    assert await other.holder() == other.owner
    await redis.delete(key)


def test_webhook_secret_is_shared_by_every_replica_and_only_the_allowed_characters():
    a = Settings(_env_file=None, BOT_TOKEN="1:abc", TELEGRAM_WEBHOOK_URL="https://bot.example.com/telegram/x")
    b = Settings(_env_file=None, BOT_TOKEN="1:abc", TELEGRAM_WEBHOOK_URL="https://bot.example.com/telegram/x")
    assert a.webhook_secret() == b.webhook_secret() and "abc" not in a.webhook_secret()
    assert a.webhook_path() == "/telegram/x"
    assert Settings(_env_file=None, BOT_TOKEN="1:abd").webhook_secret() != a.webhook_secret()
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET"):
        Settings(_env_file=None, TELEGRAM_WEBHOOK_SECRET="has space")
    with pytest.raises(ValueError, match="full URL"):
        Settings(_env_file=None, TELEGRAM_WEBHOOK_URL="bot.example.com/telegram")
    assert Settings(_env_file=None, REDIS_URL="", TELEGRAM_WEBHOOK_URL="").REDIS_URL is None
