"""The job runner: shutdown is bounded (running jobs get a grace period, then are cancelled, their run marked
interrupted and their next run scheduled), a stopped runner starts nothing new, any failure — the marketplace's, a
bug, the database's — is a failed run that counts toward the streak and is retried soon, and at most
`max_concurrent` jobs run at once."""
import asyncio

from sqlalchemy import select

from connectors.base import MarketplaceUnavailable
from db.models import MarketplaceIntegration, Partner, Schedule, SyncRun, now
from services.jobs import JobKind, schedule
from services.jobs.runner import JobRunner
from services.jobs.types import JobResult
from tests.support.jobs import platform_with


class Closable:
    async def aclose(self):
        pass


async def seed(sessionmaker, count: int = 1) -> list[str]:
    async with sessionmaker() as s:
        partner = Partner(telegram_id=7, language="en")
        s.add(partner)
        await s.flush()
        rows = [MarketplaceIntegration(partner_id=partner.id, marketplace="ozon", status="active", active=1,
                                       seller_id=str(n), api_key="k") for n in range(count)]
        s.add_all(rows)
        await s.flush()
        await schedule.ensure_all(s)
        await s.commit()
        return [row.id for row in rows]


def runner(sessionmaker, orders, **kwargs) -> JobRunner:
    return JobRunner(platform_with(sessionmaker, Closable()), {JobKind.ORDERS: orders}, **kwargs)


async def test_stop_cancels_hanging_jobs_and_starts_nothing_new(sessionmaker):
    await seed(sessionmaker)
    polls, cancelled = [], []

    async def hanging(ctx):
        polls.append(ctx.integration_id)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(ctx.integration_id)
            raise

    jobs = runner(sessionmaker, hanging)
    await jobs.tick()
    for _ in range(100):
        if polls:
            break
        await asyncio.sleep(0.01)
    assert len(polls) == 1

    await jobs.stop(grace=0.1)
    assert len(cancelled) == 1 and not jobs.is_running(JobKind.ORDERS, polls[0])
    async with sessionmaker() as s:  # the cancelled run was recorded as interrupted, and its next run is scheduled
        plan = await s.scalar(select(Schedule).where(Schedule.kind == "orders"))
        assert plan.last_run_at is not None and plan.next_run_at <= now() + schedule.RETRY_FIRST
        run = await s.scalar(select(SyncRun))
        assert (run.status, run.error) == ("failed", "interrupted")
        assert (await s.scalar(select(MarketplaceIntegration))).failure_streak == 0  # not the marketplace's fault

    async with sessionmaker() as s:
        for plan in await s.scalars(select(Schedule)):
            plan.next_run_at = 0  # due again
        await s.commit()
    assert await jobs.tick() == 0
    await asyncio.sleep(0.05)
    assert len(polls) == 1


async def test_any_failure_is_a_failed_run_in_the_streak_and_retried_soon(sessionmaker):
    ids = await seed(sessionmaker, 2)
    failures = {ids[0]: MarketplaceUnavailable("ozon answered 503", status=503), ids[1]: RuntimeError("a bug")}

    async def failing(ctx):
        raise failures[ctx.integration_id]

    jobs = runner(sessionmaker, failing)
    for integration_id in ids:
        await jobs.run(JobKind.ORDERS, integration_id)
    async with sessionmaker() as s:
        for integration_id, cause in zip(ids, ("unavailable", "internal")):
            run = await s.scalar(select(SyncRun).where(SyncRun.integration_id == integration_id))
            assert (run.status, run.error) == ("failed", cause)
            integration = await s.get(MarketplaceIntegration, integration_id)
            assert (integration.failure_streak, integration.status) == (1, "error")
            plan = await s.get(Schedule, (integration_id, "orders"))
            assert plan.next_run_at <= now() + schedule.RETRY_FIRST  # not the 5-minute interval


async def test_a_failing_final_write_is_a_failed_run_not_a_lost_one(sessionmaker):
    [integration_id] = await seed(sessionmaker)

    async def poll(ctx):
        async def store(session, integration):
            raise ConnectionError("the database went away")
        return JobResult(finish=store)

    outcome = await runner(sessionmaker, poll).run(JobKind.ORDERS, integration_id)
    assert outcome.error is not None and outcome.error.cause.value == "internal"
    async with sessionmaker() as s:
        run = await s.scalar(select(SyncRun))
        assert (run.status, run.error) == ("failed", "internal")
        assert (await s.get(MarketplaceIntegration, integration_id)).failure_streak == 1


async def test_at_most_max_concurrent_jobs_run_and_the_rest_stay_due(sessionmaker):
    ids = await seed(sessionmaker, 12)
    running, peak, release = set(), [0], asyncio.Event()

    async def slow(ctx):
        running.add(ctx.integration_id)
        peak[0] = max(peak[0], len(running))
        await release.wait()
        running.discard(ctx.integration_id)
        return JobResult()

    jobs = runner(sessionmaker, slow, max_concurrent=4)
    assert await jobs.tick() == 4
    for _ in range(500):  # until the four have started (a loaded machine is slow to get there)
        if len(running) == 4:
            break
        await asyncio.sleep(0.01)
    assert await jobs.tick() == 0  # full: the others stay due
    release.set()
    await jobs.wait_idle(5)
    while await jobs.tick():
        await jobs.wait_idle(5)
    assert peak[0] == 4
    async with sessionmaker() as s:
        runs = list(await s.scalars(select(SyncRun)))
        assert len(runs) == len(ids) and {r.status for r in runs} == {"ok"}
