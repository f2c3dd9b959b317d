"""connectors/shared_limits.py: limits that hold for several replicas together. Each "replica" here is its own
in-process limiter (its own registry), all drawing on one Redis budget, as separate processes do. Without Redis the
Telegram budget is this process's (the last tests). Redis tests need REDIS_URL (.ci/run sets it)."""
from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest

from bot.middlewares import ALERT_SEND, TelegramBudget
from connectors import shared_limits
from connectors.pacing import Pacer, RateSpec
from connectors.shared_limits import SharedBudget

REDIS_URL = os.environ.get("REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs Redis: set REDIS_URL (.ci/run does)")
JITTER = 0.03  # seconds between Redis admitting a unit and this test's event loop noting it, on a loaded machine


@pytest.fixture
async def budget():
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    prefix = f"scx-test-{uuid.uuid4().hex[:8]}"
    shared = SharedBudget(redis, prefix)
    shared_limits.install(shared)
    yield shared
    shared_limits.install(None)
    async for key in redis.scan_iter(match=f"{prefix}:*"):
        await redis.delete(key)
    await redis.aclose()


def most_in_any_window(times: list[float], period: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + period) for i, start in enumerate(times))


@needs_redis
async def test_three_replicas_together_keep_one_published_limit(budget):
    """Ozon's 'N per period' for one Client-Id, pushed by three replicas at once: never more than N in any period
    across all of them, and the budget is used (not three times slower either)."""
    spec = RateSpec(10, 0.5, window=True)
    replicas = [Pacer().limiter(("ozon", "c-1", "stocks"), spec) for _ in range(3)]
    sent: list[float] = []

    async def push(limiter) -> None:
        for _ in range(10):
            await limiter.acquire()
            sent.append(time.monotonic())

    started = time.monotonic()
    await asyncio.gather(*(push(limiter) for limiter in replicas))
    # Redis counts on its clock; these stamps are taken after each answer came back to a busy event loop
    assert most_in_any_window(sent, 0.5 - JITTER) <= 10
    assert time.monotonic() - started < 2.5  # 30 units at 10 per 0.5 s: about 1 s after the first burst of 10


@needs_redis
async def test_a_rate_limit_reply_to_one_replica_holds_every_replica(budget):
    spec = RateSpec(100, 1.0)
    told, other = (Pacer().limiter(("wildberries", "c-2", "marketplace"), spec) for _ in range(2))
    await told.acquire()
    told.penalize_for(0.4)
    await asyncio.sleep(0.05)  # the penalty goes to Redis in the background
    started = time.monotonic()
    await other.acquire()
    assert time.monotonic() - started >= 0.3


@needs_redis
async def test_the_same_item_is_sent_once_per_interval_by_all_replicas(budget):
    """Ozon: one product-warehouse pair's stock at most once per 30 s (here 0.4 s), whichever replica sends it."""
    gates = [Pacer().gate(("ozon", "c-3", "stock_pairs"), 0.4) for _ in range(2)]
    await gates[0].wait([("sku-1", "wh-1")])
    started = time.monotonic()
    await gates[1].wait([("sku-2", "wh-1")])  # another pair: at once
    assert time.monotonic() - started < 0.1
    await gates[1].wait([("sku-1", "wh-1")])
    assert time.monotonic() - started >= 0.35


async def test_without_redis_answering_each_replica_keeps_its_own_limits():
    from bot.replicas import open_redis

    dead = open_redis("redis://127.0.0.1:1/0")  # nothing listens there; the bot's own client settings
    budget = SharedBudget(dead, "scx-test")
    shared_limits.install(budget)
    try:
        limiter = Pacer().limiter(("uzum", "c-4", "orders"), RateSpec(5, 1.0))
        started = time.monotonic()
        for _ in range(5):
            await limiter.acquire()
        assert time.monotonic() - started < 3  # one failed ask, then the local bucket (full: no wait)
        assert not budget.available()
    finally:
        shared_limits.install(None)
        await dead.aclose()


async def _alert_rate(budget: TelegramBudget, seconds: float) -> int:
    sent = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pause = await budget.for_alert()
        if pause > 0:
            await asyncio.sleep(pause)
            continue
        sent += 1
    return sent


async def test_alerts_use_the_whole_token_budget_while_nobody_chats():
    budget = TelegramBudget.build(1, rate=60, window=0.5)  # Telegram's 30/s, time-scaled 2x
    sent = await _alert_rate(budget, 1.0)
    assert 0.9 * 60 <= sent <= 60 + 1


async def test_replies_go_first_and_alerts_take_the_rest():
    budget = TelegramBudget.build(1, rate=60, window=0.5)
    replies: list[float] = []

    class Method:  # what aiogram's session hands a request middleware
        pass

    Method.__name__ = "SendMessage"

    async def reply(_bot, _method):
        replies.append(time.monotonic())

    async def chat() -> None:
        for _ in range(10):
            started = time.monotonic()
            await budget(reply, None, Method())
            # a partner's answer never queues behind the alerts (at most one send's interval, ~17 ms here)
            assert time.monotonic() - started < 0.05
            await asyncio.sleep(0.08)

    alerts, _ = await asyncio.gather(_alert_rate(budget, 1.0), chat())
    assert len(replies) == 10 and alerts + len(replies) <= 60 + 3
    assert alerts + len(replies) >= 0.9 * 60


async def test_the_outbox_sends_are_not_counted_twice():
    budget = TelegramBudget.build(1, rate=30)
    seen = []

    class SendMessage:
        pass

    async def send(_bot, _method):
        seen.append(1)

    ALERT_SEND.set(True)
    try:
        for _ in range(40):  # more than a second's budget, at once: the sender took their places already
            await asyncio.wait_for(budget(send, None, SendMessage()), 0.5)
    finally:
        ALERT_SEND.set(False)
    assert len(seen) == 40
