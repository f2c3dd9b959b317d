"""Client-side pacing (connectors.pacing) and its use by HttpCore. Fake time only: nothing sleeps for real.

Two clocks:
- `FakeClock` (connectors.http): `sleep` advances time at once. Enough for one request stream at a time.
- `VirtualClock` (below): a discrete-event clock; `sleep` parks the task and `run()` moves time to the next
  wake-up only when every task is blocked, so concurrent tasks really overlap in (virtual) time.

The invariant checked by the property tests (stated in connectors/pacing.py): for capacity b, rate r and
acquisitions of cost <= b, every closed interval [s, t] holds at most b + r*(t - s) units; with window=True
every half-open [s, s + period) holds at most `limit`. And the limiter is tight: each acquisition happens at
the first instant a FIFO reference model allows (plus TIME_EPSILON).
"""
from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import heapq
import itertools
import math

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import BadResponse, RateLimited
from connectors.clock import FakeClock
from connectors.http import HttpCore
from connectors.ozon.limits import OZON_SAME_PAIR_INTERVAL, OZON_STOCKS, ozon_gate, ozon_pace
from connectors.pacing import (
    TIME_EPSILON,
    IntervalGate,
    Limiter,
    Pace,
    RateSpec,
    credential_id,
    pacer_for,
    reset_pacers,
)
from connectors.uzum.limits import UZUM_429_PENALTY, uzum_pace
from connectors.wildberries.limits import WB_LIMITS, WB_MARKETPLACE_4XX_COST, wb_pace, wb_remaining, wb_spec, wb_tier
from connectors.yandex.limits import YANDEX_MAX_PARALLEL, YANDEX_PARALLEL, YANDEX_RESOURCE_LIMITS, yandex_pace, yandex_remaining
from connectors.ozon.errors import OZON_POLICY
from connectors.uzum.errors import UZUM_POLICY
from connectors.wildberries.errors import WB_POLICY
from connectors.yandex.errors import YANDEX_POLICY
from tests.support import FakeApi, reply

BASE = "https://api.test"
KEY = "SECRET-key-0123456789abcdef"
TICK = 1e-4  # timing tolerance in fake seconds: 0.1 ms (the limiter's margin is TIME_EPSILON = 1 us per wait at most)
WB_PACED = dataclasses.replace(WB_POLICY, remaining=wb_remaining)
YANDEX_PACED = dataclasses.replace(YANDEX_POLICY, remaining=yandex_remaining)


@pytest.fixture(autouse=True)
def _fresh_registry():
    reset_pacers()
    yield
    reset_pacers()


class VirtualClock:
    """Discrete-event time: `sleep` parks the task; `run` jumps to the next wake-up when all tasks are blocked."""

    def __init__(self, start: float = 1_800_000_000.0):
        self.current = start
        self.sleeps: list[float] = []
        self._timers: list[tuple[float, int, asyncio.Future]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self.current

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.current + seconds, next(self._seq), fut))
        await fut

    @staticmethod
    async def _settle() -> None:
        loop = asyncio.get_running_loop()
        ready = getattr(loop, "_ready", None)
        for _ in range(100_000):
            await asyncio.sleep(0)
            if ready is not None and not ready:
                return
        if ready is not None:
            raise AssertionError("the tasks never went idle")

    async def run(self, *coros):
        tasks = [asyncio.ensure_future(c) for c in coros]
        while True:
            await self._settle()
            if all(t.done() for t in tasks):
                return [t.result() for t in tasks]
            while self._timers and self._timers[0][2].done():
                heapq.heappop(self._timers)
            if not self._timers:
                raise AssertionError("deadlock: tasks are waiting but nobody sleeps")
            self.current = max(self.current, self._timers[0][0])
            while self._timers and self._timers[0][0] <= self.current:
                fut = heapq.heappop(self._timers)[2]
                if not fut.done():
                    fut.set_result(None)


def rfc822(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


def make_core(api: FakeApi, policy, clock) -> HttpCore:
    return HttpCore(policy=policy, base_url=BASE, auth_headers={"Authorization": KEY}, transport=api.transport,
                    clock=clock)


# --------------------------------------------------------------------------------------- bucket
@pytest.mark.parametrize("limit, period, burst, n", [(10, 1.0, 5, 50), (300, 60.0, 20, 120), (4, 3600.0, 1, 9),
                                                     (100, 60.0, None, 250)])
async def test_bucket_accuracy_sequential(limit, period, burst, n):
    clock = FakeClock()
    lim = Limiter(RateSpec(limit, period, burst=burst), clock=clock)
    t0 = clock.now()
    for _ in range(n):
        await lim.acquire()
    b = burst if burst is not None else limit
    assert clock.now() - t0 == pytest.approx((n - b) / limit * period, abs=TICK)
    assert len(clock.sleeps) == n - b  # one sleep per request beyond the burst: no busy loop


async def test_concurrent_waiters_are_fifo_exact_and_only_the_head_sleeps():
    clock = VirtualClock()
    lim = Limiter(RateSpec(10, 1.0, burst=3), clock=clock)
    t0 = clock.now()
    order: list[tuple[int, float]] = []

    async def one(i: int):
        await lim.acquire()
        order.append((i, clock.now() - t0))

    await clock.run(*(one(i) for i in range(20)))
    assert [i for i, _ in order] == list(range(20))
    for k, (_, at) in enumerate(order):
        assert at == pytest.approx(max(0, k - 2) * 0.1, abs=TICK)
    assert len(clock.sleeps) == 17  # 20 - burst: one sleep per admitted waiter


async def test_fake_clock_with_concurrent_waiters_is_exact():
    clock = FakeClock()
    lim = Limiter(RateSpec(5, 1.0, burst=1), clock=clock)
    t0 = clock.now()
    await asyncio.gather(*(lim.acquire() for _ in range(11)))
    assert clock.now() - t0 == pytest.approx(2.0, abs=TICK)


async def test_window_mode_never_more_than_limit_per_period():
    clock = FakeClock()
    lim = Limiter(RateSpec(10, 1.0, window=True), clock=clock)
    t0 = clock.now()
    times = []
    for _ in range(25):
        await lim.acquire()
        times.append(clock.now() - t0)
    assert times[:10] == [0.0] * 10
    assert times[10] == pytest.approx(1.0, abs=TICK) and times[19] == pytest.approx(1.0, abs=TICK)
    assert times[24] == pytest.approx(2.0, abs=TICK)


async def test_window_plus_small_burst_costs_nothing_over_a_long_run():
    # WB-like 300/min burst 20 with the window guard: same long-run time as the plain bucket.
    clock_a, clock_b = FakeClock(), FakeClock()
    plain = Limiter(RateSpec(300, 60.0, burst=20), clock=clock_a)
    guarded = Limiter(RateSpec(300, 60.0, burst=20, window=True), clock=clock_b)
    for _ in range(1000):
        await plain.acquire()
        await guarded.acquire()
    assert clock_a.current - 1_800_000_000.0 == pytest.approx(196.0, abs=TICK)
    assert clock_b.current - 1_800_000_000.0 == pytest.approx(196.0, abs=0.2 + TICK)


async def test_item_cost_batches_against_100k_per_minute():
    clock = FakeClock()
    lim = Limiter(YANDEX_RESOURCE_LIMITS["updateStocks"], clock=clock)
    t0 = clock.now()
    times = []
    for _ in range(120):  # 240,000 SKUs in 2,000-SKU requests
        await lim.acquire(2_000)
        times.append(clock.now() - t0)
    assert times[49] == 0.0  # 100,000 SKUs at once
    assert times[50] == pytest.approx(60.0, abs=TICK)  # window mode: the next 100,000 a minute later
    assert times[-1] == pytest.approx(120.0, abs=TICK)

    clock = FakeClock()
    bucket = Limiter(RateSpec(100_000, 60.0), clock=clock)
    t0 = clock.now()
    for _ in range(60):
        await bucket.acquire(2_000)
    assert clock.now() - t0 == pytest.approx((60 * 2_000 - 100_000) / 100_000 * 60, abs=TICK)  # 12 s


async def test_cost_above_capacity_does_not_deadlock_and_is_repaid():
    clock = FakeClock()
    lim = Limiter(RateSpec(10, 1.0, burst=5), clock=clock)
    t0 = clock.now()
    await lim.acquire(12)  # full bucket: admitted, bucket at -7
    assert clock.now() == t0
    await lim.acquire(1)
    assert clock.now() - t0 == pytest.approx(0.8, abs=TICK)
    await lim.acquire(12)  # waits for a full bucket again (5 tokens: 0.5 s)
    assert clock.now() - t0 == pytest.approx(1.3, abs=TICK)

    clock = FakeClock()
    window = Limiter(RateSpec(3, 1.0, window=True), clock=clock)
    await window.acquire(5)  # empty window, full bucket: admitted; bucket at -2
    await window.acquire(5)  # window empty after 1 s, bucket full again after 5/3 s
    assert clock.now() - 1_800_000_000.0 == pytest.approx(5 / 3, abs=TICK)


# -------------------------------------------------------------------------------------- parallel
async def test_parallel_cap_is_never_exceeded():
    clock = VirtualClock()
    lim = Limiter(RateSpec(100, 1.0, max_parallel=3), clock=clock)
    in_flight = peak = 0
    t0 = clock.now()

    async def request():
        nonlocal in_flight, peak
        async with lim.slot():
            in_flight += 1
            peak = max(peak, in_flight)
            await clock.sleep(1.0)
            in_flight -= 1

    await clock.run(*(request() for _ in range(10)))
    assert peak == 3 and in_flight == 0 and lim.in_flight == 0
    assert clock.now() - t0 == pytest.approx(4.0, abs=TICK)  # ceil(10 / 3) rounds of 1 s


async def test_parallel_slot_is_handed_over_after_cancellation():
    lim = Limiter(RateSpec.parallel(1), clock=VirtualClock())
    await lim.acquire()
    waiter = asyncio.ensure_future(lim.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    lim.release()
    assert lim.in_flight == 0
    await asyncio.wait_for(lim.acquire(), 1)  # nothing leaked
    assert lim.in_flight == 1


# ---------------------------------------------------------------------------------- server signals
async def test_penalize_delays_everyone_until_the_time():
    clock = VirtualClock()
    lim = Limiter(RateSpec(100, 1.0), clock=clock)
    t0 = clock.now()
    lim.penalize(t0 + 10)
    times = []

    async def one():
        await lim.acquire()
        times.append(clock.now() - t0)

    await clock.run(*(one() for _ in range(5)))
    assert all(t >= 10.0 for t in times)
    # At the server's time the bucket restarts with one unit, then refills at the rate (100/s).
    assert times == pytest.approx([10.0, 10.01, 10.02, 10.03, 10.04], abs=TICK)


async def test_penalty_also_holds_a_head_that_is_already_sleeping():
    clock = VirtualClock()
    lim = Limiter(RateSpec(1, 1.0, burst=1), clock=clock)
    t0 = clock.now()
    await lim.acquire()
    at = []

    async def waiter():
        await lim.acquire()
        at.append(clock.now() - t0)

    async def server_says_wait():
        await clock.sleep(0.5)
        lim.penalize(t0 + 5)

    await clock.run(waiter(), server_says_wait())
    assert at == [pytest.approx(5.0, abs=TICK)]


async def test_observe_remaining_lowers_the_estimate_wb_style():
    clock = FakeClock()
    lim = Limiter(WB_LIMITS[("marketplace", "standard")], clock=clock)  # 300/min, burst 20
    assert lim.available() == 20
    lim.observe_remaining(2)
    assert lim.available() == 2
    lim.observe_remaining(50)  # higher than ours: ignored
    assert lim.available() == 2
    t0 = clock.now()
    await lim.acquire()
    await lim.acquire()
    await lim.acquire()
    assert clock.now() - t0 == pytest.approx(0.2, abs=TICK)  # one interval (60/300 s) for the third


async def test_observe_remaining_with_reset_is_a_budget_until_reset_yandex_style():
    clock = FakeClock()
    lim = Limiter(RateSpec(1_000, 3600.0), clock=clock)
    t0 = clock.now()
    lim.observe_remaining(0, t0 + 30)
    assert lim.available() == 0
    await lim.acquire()
    assert clock.now() - t0 == pytest.approx(30.0, abs=TICK)
    assert lim.available() == 999  # after the reset our bucket governs again


async def test_observe_remaining_subtracts_requests_admitted_after_the_observed_one():
    clock = FakeClock()
    lim = Limiter(RateSpec(100, 60.0), clock=clock)
    t0 = clock.now()
    first = await lim.acquire()
    await lim.acquire()  # in flight, not yet seen by the server's count in the first reply
    lim.observe_remaining(2, t0 + 60, ticket=first)
    assert lim.available() == 1
    await lim.acquire()
    await lim.acquire()
    assert clock.now() - t0 == pytest.approx(60.0, abs=TICK)


# ---------------------------------------------------------------------------------- interval gate
async def test_interval_gate_same_key_at_most_once_per_interval():
    clock = FakeClock()
    gate = IntervalGate(OZON_SAME_PAIR_INTERVAL, clock=clock)
    t0 = clock.now()
    await gate.wait([("p1", "w1"), ("p2", "w1")])
    await gate.wait([("p3", "w1")])  # other keys: no wait
    assert clock.now() == t0
    await gate.wait([("p2", "w1"), ("p4", "w1")])
    assert clock.now() - t0 == pytest.approx(30.0, abs=TICK)


async def test_interval_gate_with_limit_and_concurrent_claims():
    clock = VirtualClock()
    gate = IntervalGate(3600.0, limit=10, clock=clock)
    t0 = clock.now()
    at = []

    async def price_update():
        await gate.wait(["product-1"])
        at.append(clock.now() - t0)

    await clock.run(*(price_update() for _ in range(12)))
    assert at[:10] == [0.0] * 10
    assert at[10:] == [pytest.approx(3600.0, abs=TICK)] * 2


# ------------------------------------------------------------------------------ registry and keys
async def test_registry_returns_the_same_limiter_per_key_and_independent_ones_otherwise():
    a1 = pacer_for(("ozon", "111", "stocks"), OZON_STOCKS)
    a2 = pacer_for(("ozon", "111", "stocks"), OZON_STOCKS)
    b = pacer_for(("ozon", "222", "stocks"), OZON_STOCKS)
    assert a1 is a2 and a1 is not b
    assert a1.spec == OZON_STOCKS
    assert ozon_gate("111", "stock_pairs") is ozon_gate("111", "stock_pairs")
    reset_pacers()
    assert pacer_for(("ozon", "111", "stocks"), OZON_STOCKS) is not a1


async def test_a_slow_account_never_delays_another():
    clock = VirtualClock()
    slow = wb_pace("prices", "base", "seller-A", clock=clock).parts[0][0]  # 4/h, burst 1
    fast = wb_pace("prices", "base", "seller-B", clock=clock).parts[0][0]
    t0 = clock.now()
    done: dict[str, list[float]] = {"slow": [], "fast": []}

    async def use(lim, name, n):
        for _ in range(n):
            await lim.acquire()
            done[name].append(clock.now() - t0)

    await clock.run(use(slow, "slow", 3), use(fast, "fast", 1))
    assert done["fast"] == [0.0]
    assert done["slow"] == pytest.approx([0.0, 900.0, 1800.0], abs=TICK)  # queued, not failed


def test_published_limits_resolve_from_keys():
    assert wb_spec("prices", "base") == RateSpec(4, 3600.0, burst=1)
    assert wb_spec("prices", "standard") == RateSpec(10, 6.0, burst=5)
    assert wb_spec("marketplace", "test").limit == 1
    assert wb_tier("base", has_secret=True) == "standard" and wb_tier("personal") == "standard"
    assert YANDEX_PARALLEL.max_parallel == YANDEX_MAX_PARALLEL == 2
    assert YANDEX_RESOURCE_LIMITS["getOfferMappings"].limit == 100
    assert ozon_pace("1").parts[-1][0].spec.limit == 50
    assert uzum_pace("x").parts[0][0].spec.limit == 5
    assert credential_id(KEY) == credential_id(KEY + "\n") and KEY not in credential_id(KEY)


async def test_a_new_fake_clock_rebinds_the_shared_limiter():
    first = ozon_pace("1", "analytics", clock=FakeClock()).parts[0][0]
    await first.acquire()
    clock = FakeClock()
    again = ozon_pace("1", "analytics", clock=clock).parts[0][0]
    assert again is first and again.clock is clock
    await again.acquire()  # fresh state on the new clock: no wait carried over from the other clock
    assert clock.sleeps == []


# ----------------------------------------------------------------------------- HttpCore integration
async def test_wb_429_penalizes_the_limiter_and_the_retry_waits_the_server_time():
    clock = FakeClock()
    sent: list[float] = []

    def stamp(response):
        def handler(request):
            sent.append(clock.now())
            return response
        return handler

    limited = reply(429, {"title": "too many requests"}, headers={"X-Ratelimit-Retry": "5"})
    api = FakeApi().add("PUT", f"{BASE}/api/v3/stocks/7", stamp(limited), stamp(reply(204)))
    http = make_core(api, WB_PACED, clock)
    pace = wb_pace("marketplace", "personal", "seller-1", clock=clock)
    lim = pace.parts[0][0]
    t0 = clock.now()
    await http.request("PUT", "/api/v3/stocks/7", json_body={"stocks": []}, pace=pace)
    assert lim.blocked_until == t0 + 5
    assert clock.sleeps == [pytest.approx(5.0, abs=TICK)]
    assert sent == [t0, pytest.approx(t0 + 5, abs=TICK)]
    # Another client instance of the same credential shares the limiter (and its penalty).
    assert wb_pace("marketplace", "personal", "seller-1", clock=clock).parts[0][0] is lim


async def test_yandex_420_until_penalizes_the_resource_and_retry_waits():
    clock = FakeClock()
    t0 = clock.now()
    limited = reply(420, {"status": "ERROR", "errors": [{"code": "LIMIT", "message": "Hit rate limit"}]},
                    headers={"X-RateLimit-Resource-Until": rfc822(t0 + 7), "X-RateLimit-Resource-Remaining": "0"})
    ok = reply(200, {"result": {}}, headers={"X-RateLimit-Resource-Until": rfc822(t0 + 3600),
                                             "X-RateLimit-Resource-Remaining": "98"})
    api = FakeApi().add("POST", f"{BASE}/v2/businesses/5/offer-mappings", limited, ok)
    http = make_core(api, YANDEX_PACED, clock)
    pace = yandex_pace("business:5", "getOfferMappings", clock=clock)
    resource = pace.parts[0][0]
    await http.request("POST", "/v2/businesses/5/offer-mappings", json_body={}, pace=pace)
    assert clock.sleeps == [pytest.approx(7.0, abs=TICK)]
    assert resource.blocked_until == t0 + 7
    # The parallel cap is not penalized. After a penalty our bucket restarts nearly empty (conservative:
    # signals only ever remove capacity), even though the server's next reply says 98 are left.
    assert pace.parts[1][0].blocked_until == -math.inf
    assert resource.available() < 1


async def test_long_server_wait_still_raises_but_later_calls_queue_behind_the_penalty():
    clock = FakeClock()
    limited = reply(429, {"title": "too many requests"}, headers={"X-Ratelimit-Retry": "60"})
    api = FakeApi().add("GET", f"{BASE}/api/v3/warehouses", limited, reply(200, []))
    http = make_core(api, WB_PACED, clock)
    t0 = clock.now()
    with pytest.raises(RateLimited) as err:
        await http.request("GET", "/api/v3/warehouses", pace=wb_pace("marketplace", "service", "svc", clock=clock))
    assert err.value.retry_after == 60.0 and clock.sleeps == []
    await http.request("GET", "/api/v3/warehouses", pace=wb_pace("marketplace", "service", "svc", clock=clock))
    assert clock.now() - t0 == pytest.approx(60.0, abs=TICK)


async def test_remaining_headers_feed_the_limiter():
    clock = FakeClock()
    api = FakeApi().add("GET", f"{BASE}/api/v3/warehouses", reply(200, [], headers={"X-Ratelimit-Remaining": "0"}),
                        reply(200, [], headers={"X-Ratelimit-Remaining": "19"}))
    http = make_core(api, WB_PACED, clock)
    t0 = clock.now()
    for _ in range(2):
        await http.request("GET", "/api/v3/warehouses", pace=wb_pace("marketplace", "personal", "s", clock=clock))
    assert clock.now() - t0 == pytest.approx(0.2, abs=TICK)  # the server said 0 left: one interval

    clock = FakeClock()
    t0 = clock.now()
    api = FakeApi().add("PUT", f"{BASE}/v2/campaigns/9/offers/stocks", reply(200, {"status": "OK"}, headers={
        "X-RateLimit-Resource-Remaining": "0", "X-RateLimit-Resource-Until": rfc822(t0 + 30)}))
    http = make_core(api, YANDEX_PACED, clock)
    for _ in range(2):
        await http.request("PUT", "/v2/campaigns/9/offers/stocks", json_body={"skus": []},
                           pace=yandex_pace("campaign:9", "updateStocks", cost=2_000, clock=clock))
    assert clock.now() - t0 == pytest.approx(30.0, abs=TICK)


async def test_without_pace_nothing_changes():
    clock = FakeClock()
    limited = reply(429, {"title": "too many requests"}, headers={"X-Ratelimit-Retry": "7"})
    api = FakeApi().add("GET", f"{BASE}/ping", limited, reply(200, {"Status": "OK"}))
    http = make_core(api, WB_PACED, clock)
    await http.request("GET", "/ping")
    assert clock.sleeps == [7.0]


async def test_parallel_cap_through_http_core():
    clock = VirtualClock()
    in_flight = peak = 0

    async def slow_server(request):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await clock.sleep(0.5)
        in_flight -= 1
        return reply(200, {"result": {}})

    http = HttpCore(policy=YANDEX_PACED, base_url=BASE, auth_headers={"Api-Key": KEY},
                    transport=httpx.MockTransport(slow_server), clock=clock)

    async def call(i):
        resource = "getCampaign" if i % 2 else "getOfferMappings"  # two resources, one campaign cap
        await http.request("GET", "/v2/campaigns/1", pace=yandex_pace("campaign:1", resource, clock=clock))

    t0 = clock.now()
    await clock.run(*(call(i) for i in range(8)))
    assert peak == YANDEX_MAX_PARALLEL
    assert clock.now() - t0 == pytest.approx(2.0, abs=TICK)
    await http.aclose()


async def test_max_wait_raises_before_sending_instead_of_queueing():
    clock = FakeClock()
    api = FakeApi().add("POST", f"{BASE}/api/v2/upload/task", reply(200, {"data": {"id": 1}}))
    http = make_core(api, WB_PACED, clock)
    await http.request("POST", "/api/v2/upload/task", json_body={"data": []},
                       pace=wb_pace("prices", "base", "s", clock=clock, max_wait=60))
    with pytest.raises(RateLimited) as err:
        await http.request("POST", "/api/v2/upload/task", json_body={"data": []},
                           pace=wb_pace("prices", "base", "s", clock=clock, max_wait=60))
    assert err.value.retry_after == pytest.approx(900.0, abs=1e-3)
    assert len(api.requests) == 1 and clock.sleeps == []
    # Without max_wait it queues: 4 price tasks per hour means the next one 15 minutes later.
    await http.request("POST", "/api/v2/upload/task", json_body={"data": []},
                       pace=wb_pace("prices", "base", "s", clock=clock))
    assert clock.sleeps == [pytest.approx(900.0, abs=TICK)] and len(api.requests) == 2


async def test_wb_marketplace_4xx_counts_as_ten_requests():
    clock = FakeClock()
    api = FakeApi().add("PUT", f"{BASE}/api/v3/stocks/1", reply(409, {"code": "Conflict", "message": "x"}))
    http = make_core(api, WB_PACED, clock)
    pace = wb_pace("marketplace", "personal", "s", clock=clock)
    with pytest.raises(BadResponse):
        await http.request("PUT", "/api/v3/stocks/1", json_body={"stocks": []}, pace=pace)
    assert pace.parts[0][0].available() == pytest.approx(20 - WB_MARKETPLACE_4XX_COST)


async def test_uzum_429_holds_the_token_at_least_the_named_penalty():
    clock = FakeClock()
    api = FakeApi().add("GET", f"{BASE}/v1/shops", reply(429, {"errors": [{"message": "Too many"}]}), reply(200, []))
    http = make_core(api, UZUM_POLICY, clock)
    t0 = clock.now()
    await http.request("GET", "/v1/shops", pace=uzum_pace(credential_id(KEY), clock=clock))
    assert clock.now() - t0 == pytest.approx(UZUM_429_PENALTY, abs=TICK)


async def test_ozon_same_pair_is_stamped_at_send_time():
    clock = FakeClock()
    sent: list[float] = []

    def handler(request):
        sent.append(clock.now())
        return reply(200, {"result": []})

    api = FakeApi().add("POST", f"{BASE}/v2/products/stocks", handler)
    http = make_core(api, OZON_POLICY, clock)
    t0 = clock.now()
    for pairs in ([("1", "w")], [("2", "w")], [("1", "w"), ("3", "w")]):
        await http.request("POST", "/v2/products/stocks", json_body={"stocks": []},
                           pace=ozon_pace("42", "stocks", pairs=pairs, clock=clock))
    assert sent == [t0, t0, pytest.approx(t0 + OZON_SAME_PAIR_INTERVAL, abs=TICK)]


# --------------------------------------------------------------- benchmark-shaped: 0 throttled replies
class StrictOzon:
    """A fake Ozon that throttles anything over 80/min (sliding window), 50/s, or a pair within 30 s."""

    def __init__(self, clock):
        self.clock, self.sent, self.throttled, self.last_pair = clock, [], 0, {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        import json

        now = self.clock.now()
        pairs = [(s["product_id"], s["warehouse_id"]) for s in json.loads(request.content)["stocks"]]
        recent = [t for t in self.sent if t > now - 60.0]
        second = [t for t in self.sent if t > now - 1.0]
        if len(recent) >= 80 or len(second) >= 50 or any(now - self.last_pair.get(p, -1e18) < 30.0 for p in pairs):
            self.throttled += 1
            return reply(429, {"code": 8, "message": "You have reached request rate limit per second"})
        self.sent.append(now)
        self.last_pair.update((p, now) for p in pairs)
        return reply(200, {"result": [{"product_id": p, "updated": True} for p, _ in pairs]})


async def test_ten_thousand_ozon_stock_changes_at_the_floor_with_zero_throttles():
    clock = FakeClock()
    server = StrictOzon(clock)
    http = HttpCore(policy=OZON_POLICY, base_url=BASE, auth_headers={"Api-Key": KEY},
                    transport=httpx.MockTransport(server), clock=clock)
    changes = [(f"p{i}", "w1") for i in range(10_000)]
    t0 = clock.now()
    for start in range(0, len(changes), 100):
        batch = changes[start:start + 100]
        body = {"stocks": [{"product_id": p, "warehouse_id": w, "stock": 1} for p, w in batch]}
        await http.request("POST", "/v2/products/stocks", json_body=body,
                           pace=ozon_pace("42", "stocks", pairs=batch, clock=clock))
    # Floor for 100 requests at <= 80 per minute: 80 now, 20 a minute later.
    assert server.throttled == 0 and len(server.sent) == 100
    assert clock.now() - t0 == pytest.approx(60.0, abs=TICK)
    await http.aclose()


# ------------------------------------------------------------------------------ property: invariant
def reference_times(spec: RateSpec, arrivals: list[tuple[float, float]]) -> list[float]:
    """FIFO reference: each arrival goes at the first instant the bucket (and window) allow."""
    b, r, limit, period = spec.capacity, spec.rate, spec.limit, spec.period
    tokens, stamp, last = b, None, -math.inf
    window: list[tuple[float, float]] = []
    out = []
    for arrival, cost in arrivals:
        t = max(arrival, last)
        while True:
            level = b if stamp is None else min(b, tokens + (t - stamp) * r)
            wait = max(0.0, (min(cost, b) - level) / r)
            if spec.window:
                live = [(s, c) for s, c in window if s + period > t]
                total = sum(c for _, c in live)
                if live and total + cost > limit:
                    for s, c in live:
                        total -= c
                        if total + cost <= limit or total <= 0:
                            wait = max(wait, s + period - t)
                            break
            if wait <= 1e-9:  # float rounding; the limiter itself uses TIME_EPSILON
                break
            t += wait
        level = b if stamp is None else min(b, tokens + (t - stamp) * r)
        tokens, stamp, last = level - cost, t, t
        window.append((t, cost))
        out.append(t)
    return out


def check_invariants(spec: RateSpec, got: list[tuple[float, float]]) -> None:
    b, r = spec.capacity, spec.rate
    got = sorted(got)
    for i in range(len(got)):
        total = 0.0
        for j in range(i, len(got)):
            total += got[j][1]
            assert total <= b + r * (got[j][0] - got[i][0]) + 1e-6, "bucket bound broken"
        if spec.window:
            in_window = sum(c for t, c in got if got[i][0] <= t < got[i][0] + spec.period)
            assert in_window <= spec.limit + 1e-9, "window bound broken"


specs = st.builds(
    lambda limit, period, burst_frac, window: RateSpec(limit, period, burst=max(1, round(limit * burst_frac)),
                                                       window=window),
    st.integers(1, 20), st.sampled_from([0.5, 1.0, 6.0, 60.0]), st.floats(0.05, 1.0), st.booleans(),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs, data=st.data())
def test_property_random_arrivals_respect_the_bound_and_match_the_reference(spec, data):
    n = data.draw(st.integers(1, 25))
    gaps = data.draw(st.lists(st.sampled_from([0.0, 0.0, 0.01, 0.1, 0.37, 1.0, 5.0]), min_size=n, max_size=n))
    costs = data.draw(st.lists(st.integers(1, int(spec.capacity)), min_size=n, max_size=n))
    offsets = list(itertools.accumulate(gaps))

    async def scenario():
        clock = VirtualClock()
        lim = Limiter(spec, clock=clock)
        t0 = clock.now()
        got: list[tuple[float, float]] = []

        async def arrive(offset, cost):
            await clock.sleep(offset)
            await lim.acquire(cost)
            got.append((clock.now() - t0, cost))

        await clock.run(*(arrive(o, c) for o, c in zip(offsets, costs)))
        return got

    got = asyncio.run(scenario())
    check_invariants(spec, got)
    expected = reference_times(spec, list(zip(offsets, costs)))
    assert sorted(t for t, _ in got) == pytest.approx(sorted(expected), abs=1e-4)  # tight: no needless slack


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs, data=st.data())
def test_property_server_signals_only_remove_capacity(spec, data):
    n = data.draw(st.integers(1, 20))
    offsets = sorted(data.draw(st.lists(st.floats(0, 10), min_size=n, max_size=n)))
    penalties = data.draw(st.lists(st.tuples(st.floats(0, 10), st.floats(0.1, 5)), max_size=3))
    observed = data.draw(st.lists(st.tuples(st.floats(0, 10), st.integers(0, 3), st.booleans()), max_size=3))

    async def scenario():
        clock = VirtualClock()
        lim = Limiter(spec, clock=clock)
        t0 = clock.now()
        got: list[tuple[float, float]] = []

        async def arrive(offset):
            await clock.sleep(offset)
            await lim.acquire()
            got.append((clock.now() - t0, 1.0))

        async def penalty(at, length):
            await clock.sleep(at)
            lim.penalize(clock.now() + length)

        async def observe(at, left, with_reset):
            await clock.sleep(at)
            lim.observe_remaining(left, clock.now() + 2.0 if with_reset else None)

        await clock.run(*(arrive(o) for o in offsets), *(penalty(a, d) for a, d in penalties),
                        *(observe(a, left, w) for a, left, w in observed))
        return got

    got = asyncio.run(scenario())
    check_invariants(spec, got)
    for at, length in penalties:
        # (an acquisition at the very instant the penalty arrives may have come first)
        assert not any(at + 1e-6 < t < at + length - 1e-6 for t, _ in got), "acquired inside a penalty"
