"""The clock side of the jobs: APScheduler 3 (AsyncIOScheduler, in-memory job store) only says "look now". What is
due, the cursors and the last runs live in our own tables (schedules, the listings' push queue, outbox), so a restart
only re-creates these timers."""
from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from services.jobs.runner import JobRunner
from services.jobs.types import GlobalJob

PUSH_EVERY = 5  # seconds between looks at the push queue
TICK_EVERY = 1  # seconds between looks at the schedules table
EXPIRY_CHECK_HOUR_UTC = 4  # 09:00 in Tashkent
COVER_CHECK_EVERY = 3600  # seconds: stock cover moves with orders and with time, and a day's notice is the point
BROADCAST_REPORTS_EVERY = 30  # seconds between looks for broadcasts whose copies are all settled
SUMMARIES_EVERY = 60  # seconds: a summary is due at the partner's minute (its dedupe key keeps it to one a day)


def build_scheduler(runner: JobRunner) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(runner.run_due_pushes, "interval", seconds=PUSH_EVERY, id="push_due", max_instances=1,
                      coalesce=True)
    scheduler.add_job(runner.tick, "interval", seconds=TICK_EVERY, id="schedules", max_instances=1, coalesce=True)
    scheduler.add_job(runner.run_global, "cron", args=[GlobalJob.KEY_EXPIRY], hour=EXPIRY_CHECK_HOUR_UTC,
                      id="key_expiry", coalesce=True)
    scheduler.add_job(runner.run_global, "interval", args=[GlobalJob.STOCK_COVER], seconds=COVER_CHECK_EVERY,
                      id="stock_cover", max_instances=1, coalesce=True)
    scheduler.add_job(runner.run_global, "interval", args=[GlobalJob.BROADCAST_REPORTS],
                      seconds=BROADCAST_REPORTS_EVERY, id="broadcast_reports", max_instances=1, coalesce=True)
    scheduler.add_job(runner.run_global, "interval", args=[GlobalJob.SUMMARIES], seconds=SUMMARIES_EVERY,
                      id="summaries", max_instances=1, coalesce=True)
    return scheduler
