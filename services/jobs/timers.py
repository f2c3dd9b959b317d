"""The clock side of the jobs: APScheduler 3 (AsyncIOScheduler, in-memory job store) only says "look now". What is
due, the cursors and the last runs live in our own tables (schedules, the listings' push queue, outbox, job_leases),
so a restart only re-creates these timers, and every replica may run the same timers: each run is claimed first
(services/jobs/leases.py)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from services.jobs.runner import JobRunner
from services.jobs.types import AlreadyRunning, GlobalJob


PUSH_EVERY = 5  # seconds between looks at the push queue
TICK_EVERY = 1  # seconds between looks at the schedules table
GLOBAL_EVERY = 60  # seconds between looks at whether a platform-wide job's period is due
EXPIRY_CHECK_HOUR_UTC = 4  # 09:00 in Tashkent

# A platform-wide job's period at a moment: a name (the lease's subject), or None before the job is due in it.
Period = Callable[[dt.datetime], str | None]


def daily(hour_utc: int) -> Period:
    """Once a day, from `hour_utc` on (a replica down at that hour leaves it to another, or runs it when back)."""
    return lambda at: at.date().isoformat() if at.hour >= hour_utc else None


def weekly(weekday: int, hour_utc: int) -> Period:
    """Once an ISO week, from `weekday` (Monday 0) at `hour_utc` on."""
    def period(at: dt.datetime) -> str | None:
        year, week, _ = at.isocalendar()
        return f"{year}-W{week:02d}" if (at.weekday(), at.hour) >= (weekday, hour_utc) else None
    return period


PERIODS: dict[GlobalJob, Period] = {GlobalJob.KEY_EXPIRY: daily(EXPIRY_CHECK_HOUR_UTC)}


async def run_due_globals(runner: JobRunner, at: dt.datetime | None = None) -> None:
    """Every platform-wide job whose period has come and that no replica ran in it yet."""
    at = at or dt.datetime.now(dt.timezone.utc)
    for kind, period_of in PERIODS.items():
        period = period_of(at)
        if period is None or kind not in runner.global_jobs:
            continue
        try:
            await runner.run_global(kind, period)
        except AlreadyRunning:
            pass


def build_scheduler(runner: JobRunner) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(runner.run_due_pushes, "interval", seconds=PUSH_EVERY, id="push_due", max_instances=1,
                      coalesce=True)
    scheduler.add_job(runner.tick, "interval", seconds=TICK_EVERY, id="schedules", max_instances=1, coalesce=True)
    scheduler.add_job(run_due_globals, "interval", args=[runner], seconds=GLOBAL_EVERY, id="global_jobs",
                      max_instances=1, coalesce=True)
    return scheduler
