"""A run's end, written with its lease's release (one statement on PostgreSQL): the run record, the schedule moved on
with the job's own columns (the orders poll's cursor), the lease given back; an integration that has no schedule row
yet gets one. On PostgreSQL (TEST_POSTGRES_URL) and SQLite."""
from sqlalchemy import delete, select

from db.models import JobLease, Schedule, now
from services.jobs import JobKind
from services.jobs.types import JobResult
from tests.db.test_jobs_stop import runner, seed
from tests.db.test_leases import runs_of


async def test_a_run_records_its_end_moves_its_schedule_with_its_cursor_and_gives_its_lease_back(sessionmaker):
    [with_row, without_row] = await seed(sessionmaker, 2)
    async with sessionmaker() as s:  # an integration made before schedules existed
        await s.execute(delete(Schedule).where(Schedule.integration_id == without_row))
        await s.commit()
    seen = []

    async def poll(ctx):
        seen.append((ctx.integration_id, ctx.plan))
        return JobResult(schedule={"cursor": f"after-{ctx.integration_id}", "baseline_done": 1})

    jobs = runner(sessionmaker, poll)
    try:
        for integration_id in (with_row, without_row):
            outcome = await jobs.run(JobKind.ORDERS, integration_id)
            assert outcome.error is None and outcome.skipped is None
    finally:
        await jobs.stop()

    assert seen[0][1] is not None and seen[0][1].cursor is None  # read with the integration: no cursor yet
    assert seen[1] == (without_row, None)  # no row: none to hand the job (orders.poll then reads it itself)
    async with sessionmaker() as s:
        plans = {row.integration_id: row for row in await s.scalars(select(Schedule).where(Schedule.kind == "orders"))}
        leases = list(await s.scalars(select(JobLease)))
    for integration_id in (with_row, without_row):
        [run] = await runs_of(sessionmaker, integration_id)
        assert run.status == "ok" and run.finished_at is not None
        plan = plans[integration_id]
        assert (plan.cursor, plan.baseline_done) == (f"after-{integration_id}", 1)
        assert plan.next_run_at >= now() + plan.interval_seconds - 5 and plan.last_ok_at is not None
    assert len(leases) == 2 and all(lease.expires_at == 0 for lease in leases)
