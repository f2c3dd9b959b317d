"""The one job runner: every kind of job (orders poll, catalog sync, stock and price push, reconciliation, the
platform-wide checks) is a small function given to it, and this is the only place that knows what is running.

For a per-integration job it: claims it (one run of a kind per integration at a time, whoever asks: the schedule,
a webhook, the chat), loads the integration (paused or deleted ones are skipped), opens a client, records a
`sync_runs` row, runs the function, and in one final transaction writes what the function hands back together with
the run's outcome, the integration's failure streak (and its once-per-streak alert or recovery) and the next run:
after the interval, or soon after a failure. A job that fails for any reason — the marketplace, a bug, the database
itself — is a failed run that counts toward the streak and is retried soon. At most `max_concurrent` jobs run at
once, so a thousand due integrations never exhaust the database's connection pool.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import ConnectorError, ErrorCause, Marketplace
from db.models import MarketplaceIntegration
from services import integrations
from services.jobs import runs, schedule
from services.jobs.types import (
    AlreadyRunning,
    GlobalJob,
    JobContext,
    JobFunction,
    JobKind,
    JobResult,
    Outcome,
)
from services.platform import Platform

log = logging.getLogger(__name__)

MAX_CONCURRENT = 10  # jobs at once: under the pool's 15 connections, leaving room for the chat
STOP_GRACE = 5.0  # seconds running jobs get on shutdown before they are cancelled
FINISH_ATTEMPTS = 3  # the final transaction is tried this often (a database hiccup) before the run is given up

GlobalFunction = Callable[[Platform], Awaitable[Any]]
DuePushes = Callable[[AsyncSession, JobKind, int | None], Awaitable[list[str]]]


class JobFailed(ConnectorError):
    """Not the marketplace: our code or our database failed during the job."""

    cause = ErrorCause.INTERNAL


class JobRunner:
    def __init__(self, platform: Platform, jobs: Mapping[JobKind, JobFunction],
                 global_jobs: Mapping[GlobalJob, GlobalFunction] | None = None, *,
                 due_pushes: DuePushes | None = None, max_concurrent: int = MAX_CONCURRENT,
                 after_job: Callable[[], object] | None = None):
        """due_pushes: which integrations have listings waiting for a push (services.pushes.integrations_with_due);
        after_job: called after every run (the outbox sender's wake: an alert the job queued goes out at once)."""
        self.platform = platform
        self.jobs = dict(jobs)
        self.due_pushes = due_pushes
        self.global_jobs = dict(global_jobs or {})
        self.max_concurrent = max_concurrent
        self.after_job = after_job
        self._slots = asyncio.Semaphore(max_concurrent)
        self._running: set[tuple[str, str]] = set()  # (kind, integration id or "")
        self._again: set[tuple[str, str]] = set()  # asked for once more while running
        self._tasks: set[asyncio.Task] = set()
        self._stopped = False

    # ------------------------------------------------------------------------------------------ asking

    def is_running(self, kind: str, integration_id: str = "") -> bool:
        return (kind, integration_id) in self._running

    async def run(self, kind: JobKind, integration_id: str, **options: Any) -> Outcome:
        """Run one job now, in the caller's task (tests call this directly). Raises AlreadyRunning."""
        key = self._reserve(kind, integration_id)
        return await self._execute(key, options)

    def start(self, kind: JobKind, integration_id: str, *,
              on_done: Callable[[Outcome], Awaitable[None]] | None = None, **options: Any) -> asyncio.Task:
        """Run one job in the background; raises AlreadyRunning at once. `on_done` gets the outcome (the chat shows
        the catalog sync's summary) inside the same tracked task, so a shutdown waits for it too."""
        key = self._reserve(kind, integration_id)

        async def body() -> Outcome:
            outcome = await self._execute(key, options)
            if on_done is not None:
                await on_done(outcome)
            return outcome

        return self._track(asyncio.create_task(body(), name=f"job-{kind}-{integration_id}"))

    def request(self, kind: JobKind, integration_id: str) -> None:
        """Soon: now if it is not running, else once more right after the running one (which may have read the
        marketplace before whatever prompted this request). Bursts coalesce into at most one more run."""
        if self._stopped:
            return
        if self.is_running(kind, integration_id):
            self._again.add((kind, integration_id))
            return
        self.start(kind, integration_id)

    async def run_global(self, kind: GlobalJob) -> Any:
        """A platform-wide job (one at a time); its failure is logged and retried at its next time."""
        key = self._reserve(kind, "")
        try:
            async with self._slots:
                return await self.global_jobs[kind](self.platform)
        except Exception:
            log.exception("%s job failed", kind)
            return None
        finally:
            self._running.discard(key)

    # ----------------------------------------------------------------------------------------- timers

    async def tick(self) -> int:
        """Start the scheduled runs that are due, as many as there is room for; the rest stay due. Returns how many
        were started."""
        if self._stopped:
            return 0
        room = self.max_concurrent - len(self._running)
        if room <= 0:
            return 0
        async with self.platform.sessionmaker() as session:
            due = await schedule.due(session, limit=room + len(self._running))
        started = 0
        for integration_id, kind in due:
            if started >= room or self._stopped:
                break
            if not self.is_running(kind, integration_id):
                self.start(JobKind(kind), integration_id)
                started += 1
        return started

    async def run_due_pushes(self, *, debounce: int | None = None) -> None:
        """One push cycle: a stock and a price push for every integration with listings waiting; returns when they
        are done (the scheduler calls this every few seconds; tests call it directly, `debounce=0`: push now)."""
        if self._stopped or self.due_pushes is None:
            return
        async with self.platform.sessionmaker() as session:
            due = {kind: await self.due_pushes(session, kind, debounce) for kind in (JobKind.STOCK_PUSH, JobKind.PRICE_PUSH)}
        tasks = [self.start(kind, integration_id, debounce=debounce) for kind, ids in due.items()
                 for integration_id in ids if not self.is_running(kind, integration_id) and not self._stopped]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # -------------------------------------------------------------------------------------- lifecycle

    async def wait_idle(self, timeout: float = 30) -> None:
        """Until every job running now (and any it asked for) has finished."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tasks and loop.time() < deadline:
            await asyncio.wait(list(self._tasks), timeout=deadline - loop.time())

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Start nothing new; give running jobs (scheduled or started from the chat) `grace` seconds, then cancel
        them. A cancelled job's transaction rolls back and its run is marked interrupted: the next run redoes it."""
        self._stopped = True
        self._again.clear()
        current = asyncio.current_task()
        running = [task for task in self._tasks if task is not current]
        if not running:
            return
        _, pending = await asyncio.wait(running, timeout=grace)
        for task in pending:
            task.cancel()
        if pending:  # recording the interruption may itself wait on the database: bounded too
            await asyncio.wait(pending, timeout=grace)

    # --------------------------------------------------------------------------------------- internals

    def _reserve(self, kind: str, integration_id: str) -> tuple[str, str]:
        # No await between the check and the add: two callers can never both reserve the same job.
        key = (str(kind), integration_id)
        if key in self._running:
            raise AlreadyRunning(f"{kind} {integration_id}")
        if self._stopped:
            raise AlreadyRunning(f"{kind} {integration_id}: the runner is stopping")
        self._running.add(key)
        return key

    def _track(self, task: asyncio.Task) -> asyncio.Task:
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("job task %s failed", task.get_name(), exc_info=task.exception())

    async def _execute(self, key: tuple[str, str], options: dict) -> Outcome:
        kind, integration_id = JobKind(key[0]), key[1]
        try:
            async with self._slots:
                return await self._run(kind, integration_id, options)
        finally:
            self._running.discard(key)
            if self.after_job is not None:
                try:
                    self.after_job()
                except Exception:
                    log.exception("after-job callback failed")
            if key in self._again and not self._stopped:
                self._again.discard(key)
                self.start(kind, integration_id)

    async def _run(self, kind: JobKind, integration_id: str, options: dict) -> Outcome:
        try:
            async with self.platform.sessionmaker() as session:
                integration = await session.get(MarketplaceIntegration, integration_id)
                if integration is None or integration.status not in integrations.RUNNABLE:
                    return Outcome(kind, integration_id, skipped="inactive")
                client = await integrations.client(self.platform, session, integration)
                run = await runs.start_run(session, integration_id, kind)
                context = JobContext(self.platform, integration_id, integration.partner_id,
                                     Marketplace(integration.marketplace), integrations.settings_of(integration),
                                     client, run.id, run.started_at, options)
                await session.commit()
        except Exception as exc:  # the run could not even start (the database): record it if we can, retry soon
            log.exception("%s job for integration %s could not start", kind, integration_id)
            return await self._failed_to_start(kind, integration_id, exc)
        try:
            result = await self.jobs[kind](context)
        except ConnectorError as error:
            result = JobResult(error=error)
        except asyncio.CancelledError:
            await asyncio.shield(self._interrupted(kind, integration_id, run.id))
            raise
        except Exception as exc:
            log.exception("%s job failed for integration %s", kind, integration_id)
            result = JobResult(error=JobFailed(f"{type(exc).__name__}"))
        finally:
            await client.aclose()
        try:
            return await self._finish(kind, integration_id, run.id, result)
        except asyncio.CancelledError:
            await asyncio.shield(self._interrupted(kind, integration_id, run.id))
            raise

    async def _finish(self, kind: JobKind, integration_id: str, run_id: str, result: JobResult) -> Outcome:
        error: ConnectorError | None = None
        for attempt in range(1, FINISH_ATTEMPTS + 1):
            try:
                async with self.platform.sessionmaker() as session:
                    integration = await session.get(MarketplaceIntegration, integration_id)
                    if integration is None:  # deleted while it ran (its runs went with it)
                        return Outcome(kind, integration_id, result.report, result.error, skipped="deleted")
                    if result.skipped:
                        await runs.forget(session, run_id)
                    else:
                        if result.finish is not None:
                            await result.finish(session, integration)
                        error = result.error
                        if error is None:
                            await integrations.job_succeeded(session, integration)
                        else:
                            await integrations.job_failed(session, integration, error, kind)
                        counts = result.report.counts() if result.report is not None else {}
                        await runs.finish_run(session, run_id, counts=counts, error=error, partial=result.partial)
                    if kind in schedule.SCHEDULED:
                        await schedule.finished(session, integration_id, kind, ok=error is None,
                                                failure_streak=integration.failure_streak)
                    await session.commit()
                return Outcome(kind, integration_id, result.report, error, result.skipped)
            except Exception as exc:
                # The job's own writes (or the database) failed: they are rolled back; what is left to record is a
                # failed run, tried again on a fresh session.
                log.exception("%s job for integration %s: recording the run failed (attempt %d)", kind,
                              integration_id, attempt)
                result = JobResult(report=result.report, error=JobFailed(type(exc).__name__))
                await asyncio.sleep(0.05 * 2 ** attempt)
        return Outcome(kind, integration_id, result.report, result.error)

    async def _failed_to_start(self, kind: JobKind, integration_id: str, exc: Exception) -> Outcome:
        error = JobFailed(type(exc).__name__)
        try:
            async with self.platform.sessionmaker() as session:
                integration = await session.get(MarketplaceIntegration, integration_id)
                if integration is not None:
                    run = await runs.start_run(session, integration_id, kind)
                    await integrations.job_failed(session, integration, error, kind)
                    await runs.finish_run(session, run.id, counts={}, error=error)
                    if kind in schedule.SCHEDULED:
                        await schedule.finished(session, integration_id, kind, ok=False,
                                                failure_streak=integration.failure_streak)
                    await session.commit()
        except Exception:  # the database is down: the run stays due, the next tick tries again
            log.exception("%s job for integration %s: could not record the failure either", kind, integration_id)
        return Outcome(kind, integration_id, error=error)

    async def _interrupted(self, kind: JobKind, integration_id: str, run_id: str) -> None:
        """A shutdown cut the run short: not the integration's failure; it runs again soon."""
        try:
            async with self.platform.sessionmaker() as session:
                await runs.interrupted(session, run_id)
                if kind in schedule.SCHEDULED:
                    await schedule.finished(session, integration_id, kind, ok=False)
                await session.commit()
        except Exception:
            log.exception("%s job for integration %s: could not record the interruption", kind, integration_id)

