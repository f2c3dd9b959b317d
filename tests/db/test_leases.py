"""Jobs exactly once across replicas: several runners (each with its own engine, as separate processes would have) on
one database run each due job once; a job held by a replica that was SIGKILLed is taken up by another once its lease
lapses; a job asked for while another replica runs it runs once more there; a platform-wide job runs once per
period; a job whose lease lapsed under it and was taken over stops, and records nothing of its own. On PostgreSQL
(TEST_POSTGRES_URL) and SQLite."""
import asyncio
import collections
import os
import signal
import sys
import textwrap
import time
from pathlib import Path

from sqlalchemy import select, update

from db.models import JobLease, OutboxMessage, Partner, Schedule, SyncRun, now
from db.session import create_engine, create_sessionmaker
from services.jobs import GlobalJob, JobKind
from services.jobs.runner import LEASE_LOST, JobRunner
from services.jobs.runs import INTERRUPTED
from services.jobs.types import JobResult
from services.outbox.records import AlertKind
from services.outbox.store import enqueue
from tests.db.test_jobs_stop import Closable, seed
from tests.support.jobs import platform_with

ROOT = Path(__file__).resolve().parents[2]


class Replica:
    """One 'process': its own engine and runner, its name on the leases."""

    def __init__(self, url: str, name: str, jobs: dict, *, lease_seconds: int = 60, **kwargs):
        self.engine = create_engine(url)
        self.sessionmaker = create_sessionmaker(self.engine)
        self.runner = JobRunner(platform_with(self.sessionmaker, Closable()), jobs, holder=name,
                                lease_seconds=lease_seconds, **kwargs)

    async def close(self) -> None:
        await self.runner.stop(grace=1)
        await self.engine.dispose()


async def runs_of(sessionmaker, integration_id: str | None = None) -> list[SyncRun]:
    async with sessionmaker() as s:
        query = select(SyncRun).order_by(SyncRun.started_at)
        if integration_id:
            query = query.where(SyncRun.integration_id == integration_id)
        return list(await s.scalars(query))


async def test_two_replicas_run_each_due_job_once(db_url, sessionmaker):
    ids = await seed(sessionmaker, 30)
    polls = []

    def poller(name):
        async def poll(ctx):
            polls.append((ctx.integration_id, name))
            await asyncio.sleep(0.02)
            return JobResult()
        return poll

    replicas = [Replica(db_url, name, {JobKind.ORDERS: poller(name)}, max_concurrent=4) for name in ("A", "B")]
    try:
        deadline = time.monotonic() + 30
        while len(polls) < len(ids) and time.monotonic() < deadline:
            await asyncio.gather(*(r.runner.tick() for r in replicas))  # both look at the same moment
            await asyncio.sleep(0.01)
        for replica in replicas:
            await replica.runner.wait_idle()
        for _ in range(5):  # nothing is due any more: more ticks start nothing
            assert sum(await asyncio.gather(*(r.runner.tick() for r in replicas))) == 0
    finally:
        for replica in replicas:
            await replica.close()

    per_integration = collections.Counter(i for i, _ in polls)
    assert sorted(per_integration) == sorted(ids) and set(per_integration.values()) == {1}
    if db_url.startswith("postgresql"):  # SKIP LOCKED: replicas ticking together take different rows
        assert {name for _, name in polls} == {"A", "B"}
    recorded = await runs_of(sessionmaker)
    assert len(recorded) == len(ids) and {r.status for r in recorded} == {"ok"}
    async with sessionmaker() as s:
        assert all(row.next_run_at > now() for row in await s.scalars(select(Schedule).where(Schedule.kind == "orders")))
        assert all(lease.expires_at == 0 for lease in await s.scalars(select(JobLease)))  # all given back


DOOMED = textwrap.dedent("""
    import asyncio, os
    from db.session import create_engine, create_sessionmaker
    from services.jobs import JobKind
    from services.jobs.runner import JobRunner
    from tests.db.test_jobs_stop import Closable
    from tests.support.jobs import platform_with

    async def main():
        sessionmaker = create_sessionmaker(create_engine(os.environ["LEASE_TEST_DB"]))

        async def hang(ctx):
            print("running", ctx.integration_id, flush=True)
            await asyncio.Event().wait()

        runner = JobRunner(platform_with(sessionmaker, Closable()), {JobKind.ORDERS: hang}, holder="doomed",
                           lease_seconds=3)
        await runner.tick()
        await asyncio.Event().wait()

    asyncio.run(main())
""")


async def test_a_job_of_a_killed_replica_is_taken_up_once_its_lease_lapses(db_url, sessionmaker):
    [integration_id] = await seed(sessionmaker)
    doomed = await asyncio.create_subprocess_exec(
        sys.executable, "-c", DOOMED, cwd=ROOT, env={**os.environ, "LEASE_TEST_DB": db_url},
        stdout=asyncio.subprocess.PIPE)
    heir_polls = []

    async def poll(ctx):
        heir_polls.append(ctx.integration_id)
        return JobResult()

    heir = Replica(db_url, "heir", {JobKind.ORDERS: poll}, lease_seconds=3)
    try:
        line = await asyncio.wait_for(doomed.stdout.readline(), 30)
        assert line.decode().split() == ["running", integration_id]
        await asyncio.sleep(2)  # past a renewal: the doomed replica's lease is live
        assert await heir.runner.tick() == 0

        doomed.send_signal(signal.SIGKILL)
        await doomed.wait()
        killed = time.monotonic()
        while not heir_polls and time.monotonic() - killed < 15:
            await heir.runner.tick()
            await asyncio.sleep(0.2)
        taken_after = time.monotonic() - killed
        await heir.runner.wait_idle()
    finally:
        if doomed.returncode is None:
            doomed.kill()
            await doomed.wait()
        await heir.close()

    assert heir_polls == [integration_id]
    assert 0.5 < taken_after < 5  # not while the lease lived, soon after it lapsed
    first, second = await runs_of(sessionmaker, integration_id)
    assert (first.status, first.error) == ("failed", INTERRUPTED)  # the killed replica's run, closed by the heir
    assert second.status == "ok"


async def test_a_job_asked_for_while_another_replica_runs_it_runs_once_more_there(db_url, sessionmaker):
    [integration_id] = await seed(sessionmaker)
    release = asyncio.Event()
    polls = []

    async def slow(ctx):
        polls.append("A")
        if len(polls) == 1:
            await release.wait()
        return JobResult()

    async def never(ctx):  # B must not run it: A holds it
        polls.append("B")
        return JobResult()

    a = Replica(db_url, "A", {JobKind.ORDERS: slow})
    b = Replica(db_url, "B", {JobKind.ORDERS: never})
    try:
        assert await a.runner.tick() == 1
        while not polls:
            await asyncio.sleep(0.01)
        b.runner.request(JobKind.ORDERS, integration_id)  # a webhook reached replica B
        await b.runner.wait_idle()
        release.set()
        for _ in range(200):
            if len(polls) == 2 and not a.runner.is_running(JobKind.ORDERS, integration_id):
                break
            await asyncio.sleep(0.02)
        await a.runner.wait_idle()
    finally:
        await a.close()
        await b.close()
    assert polls == ["A", "A"]


async def test_a_platform_wide_job_runs_once_per_period_across_replicas(db_url, sessionmaker):
    ran = []

    def job(name):
        async def check(platform):
            ran.append(name)
            await asyncio.sleep(0.05)
        return check

    replicas = [Replica(db_url, name, {}, global_jobs={GlobalJob.KEY_EXPIRY: job(name)}) for name in "ABC"]
    try:
        await asyncio.gather(*(r.runner.run_global(GlobalJob.KEY_EXPIRY, "2026-12-03") for r in replicas))
        assert len(ran) == 1
        await asyncio.gather(*(r.runner.run_global(GlobalJob.KEY_EXPIRY, "2026-12-03") for r in replicas))
        assert len(ran) == 1  # done for that day, whoever asks
        await asyncio.gather(*(r.runner.run_global(GlobalJob.KEY_EXPIRY, "2026-12-04") for r in replicas))
        assert len(ran) == 2
        async with sessionmaker() as s:  # only the latest period's row is kept
            assert [row.subject for row in await s.scalars(select(JobLease))] == ["2026-12-04"]
    finally:
        for replica in replicas:
            await replica.close()


async def test_push_jobs_are_claimed_too(db_url, sessionmaker):
    """Two replicas' push cycles at the same moment push an integration's queue once: never two pushes of one
    integration at once, and a push that starts after another replica's push finds nothing left (as services.pushes
    reads its due listings itself)."""
    ids = await seed(sessionmaker, 5)
    pushes, waiting, at_once, overlaps = [], set(ids), set(), []

    def pusher(name):
        async def push(ctx):
            if ctx.integration_id in at_once:
                overlaps.append(ctx.integration_id)
            if ctx.integration_id not in waiting:
                return JobResult(skipped="nothing_due")
            at_once.add(ctx.integration_id)
            pushes.append(ctx.integration_id)
            await asyncio.sleep(0.05)
            waiting.discard(ctx.integration_id)
            at_once.discard(ctx.integration_id)
            return JobResult()
        return push

    async def due(session, kind, debounce):
        return ids if kind == JobKind.STOCK_PUSH else []

    replicas = [Replica(db_url, name, {JobKind.STOCK_PUSH: pusher(name)}, due_pushes=due) for name in "AB"]
    try:
        await asyncio.gather(*(r.runner.run_due_pushes(debounce=0) for r in replicas))
    finally:
        for replica in replicas:
            await replica.close()
    assert sorted(pushes) == sorted(ids) and not overlaps


async def _lapse_and_take_over(db_url, integration_id: str, b_polls: list) -> None:
    """A's lease lapses (as if A had stalled for a whole lease); replica B claims the job and runs it at once."""
    engine = create_engine(db_url)
    async with engine.begin() as conn:
        await conn.execute(update(JobLease).where(JobLease.subject == integration_id).values(expires_at=0))
    await engine.dispose()

    async def poll(ctx):
        b_polls.append(ctx.integration_id)
        return JobResult(finish=_alert("B"))

    heir = Replica(db_url, "B", {JobKind.ORDERS: poll})
    try:
        assert await heir.runner.tick() == 1
        await heir.runner.wait_idle()
    finally:
        await heir.close()


def _alert(name: str):
    """A job's result the partner would see: one new-order alert, queued in the run's final transaction."""
    async def finish(session, integration):
        partner = await session.get(Partner, integration.partner_id)
        await enqueue(session, partner, AlertKind.NEW_ORDER, f"order:{integration.id}:{name}", {"order_id": name})
    return finish


async def _after_take_over(sessionmaker, integration_id: str):
    runs = await runs_of(sessionmaker, integration_id)
    async with sessionmaker() as s:
        alerts = [row.dedupe_key for row in await s.scalars(select(OutboxMessage))]
        plan = await s.get(Schedule, (integration_id, "orders"))
        lease = await s.scalar(select(JobLease).where(JobLease.subject == integration_id))
    return runs, alerts, plan, lease


async def test_a_job_whose_lease_was_taken_over_stops_and_records_nothing(db_url, sessionmaker):
    [integration_id] = await seed(sessionmaker)
    started, stopped = asyncio.Event(), []

    async def stalled(ctx):
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            stopped.append(ctx.integration_id)
            raise
        return JobResult(finish=_alert("A"))

    a = Replica(db_url, "A", {JobKind.ORDERS: stalled}, lease_seconds=3)  # renewed every second
    b_polls = []
    try:
        job = a.runner.start(JobKind.ORDERS, integration_id)
        await asyncio.wait_for(started.wait(), 10)
        await _lapse_and_take_over(db_url, integration_id, b_polls)
        outcome = await asyncio.wait_for(job, 10)  # A's next renewal finds the lease gone: its job is cancelled
    finally:
        await a.close()

    assert b_polls == [integration_id] and stopped == [integration_id]
    assert outcome.skipped == LEASE_LOST
    runs, alerts, plan, lease = await _after_take_over(sessionmaker, integration_id)
    assert [(r.status, r.error) for r in runs] == [("failed", INTERRUPTED), ("ok", None)]
    assert alerts == [f"order:{integration_id}:B"]  # one alert: B's
    assert plan.next_run_at >= now() + 250  # as B's run left it (A's stop did not make it due again in 30 s)
    assert (lease.holder, lease.expires_at) == ("B", 0)


async def test_a_job_that_ends_after_its_lease_was_taken_over_does_not_record_its_result(db_url, sessionmaker):
    [integration_id] = await seed(sessionmaker)
    started, go = asyncio.Event(), asyncio.Event()

    async def slow(ctx):
        started.set()
        await go.wait()
        return JobResult(finish=_alert("A"))

    a = Replica(db_url, "A", {JobKind.ORDERS: slow})  # a minute's lease: no renewal before it ends
    b_polls = []
    try:
        job = a.runner.start(JobKind.ORDERS, integration_id)
        await asyncio.wait_for(started.wait(), 10)
        await _lapse_and_take_over(db_url, integration_id, b_polls)
        go.set()  # A's job ends with a result: its final transaction finds the lease is B's
        outcome = await asyncio.wait_for(job, 10)
    finally:
        await a.close()

    assert b_polls == [integration_id] and outcome.skipped == LEASE_LOST
    runs, alerts, plan, lease = await _after_take_over(sessionmaker, integration_id)
    assert [(r.status, r.error) for r in runs] == [("failed", INTERRUPTED), ("ok", None)]
    assert alerts == [f"order:{integration_id}:B"]  # A's alert was rolled back with its run
    assert plan.next_run_at >= now() + 250
    assert (lease.holder, lease.expires_at) == ("B", 0)
