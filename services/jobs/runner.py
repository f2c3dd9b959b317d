"""The one job runner: every kind of job (orders poll, catalog sync, stock and price push, reconciliation, the
platform-wide checks) is a small function given to it, and this is the only place that knows what is running.

For a per-integration job it: claims it (one run of a kind per integration at a time, whoever asks: the schedule,
a webhook, the chat), loads the integration (paused or deleted ones are skipped), opens a client, records a
`sync_runs` row, runs the function, and in one final transaction writes what the function hands back together with
the run's outcome, the integration's failure streak (and its once-per-streak alert or recovery) and the next run:
after the interval, or soon after a failure. A job that fails for any reason — the marketplace, a bug, the database
itself — is a failed run that counts toward the streak and is retried soon. At most `max_concurrent` jobs run at
once (see MAX_CONCURRENT), so a thousand due integrations never exhaust the database's connection pool, and a
finished job makes room for the next due one at once.

Across replicas every run is claimed first with a lease in the database (services/jobs/leases.py): whichever process
claims it runs it, the others skip it (a job asked for while another replica runs it is run once more by that
replica when it is done, as within one process); a job of a process that died is taken up once its lease lapses.
A job whose lease lapsed under it (its process stalled for a whole lease) is cancelled as soon as a renewal finds
that out, and its final transaction only commits while the lease is still this replica's: the replica that took
the job over is the one that records it.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import ConnectorError, ErrorCause, Marketplace
from db.models import MarketplaceIntegration
from services import integrations
from services.jobs import leases, runs, schedule
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

HELD_ELSEWHERE = "held_elsewhere"  # Outcome.skipped: another replica holds the job's lease
LEASE_LOST = "lease_lost"  # Outcome.skipped: the lease lapsed while the job ran; nothing of the run was recorded

# Jobs at once. A job holds a database connection only for its short steps (start, each batch it stores, the final
# transaction) and waits on the marketplace the rest of the time (a poll: ~90% of it), so 40 jobs keep a few
# connections busy on average; fewer leave the marketplaces' limits unused (bench/scale.py, 1,000 polls on a loaded
# machine: 170 s with 10 at once, 119 s with 40). Their bursts do go past the pool's 5 kept connections (db/session.py:
# SQLAlchemy's default pool_size; the 10 of max_overflow are closed when given back): a poll round opens ~150 new
# connections, ~1 ms of CPU per poll (docs/benchmarks.md, "Several processes").
MAX_CONCURRENT = 40
REFILL_SHARE = 8  # a finished job starts the next due ones once this share of the slots is free
STOP_GRACE = 5.0  # seconds running jobs get on shutdown before they are cancelled
FINISH_ATTEMPTS = 3  # the final transaction is tried this often (a database hiccup) before the run is given up

GlobalFunction = Callable[[Platform], Awaitable[Any]]
DuePushes = Callable[[AsyncSession, JobKind, int | None], Awaitable[list[str]]]


class JobFailed(ConnectorError):
    """Not the marketplace: our code or our database failed during the job."""

    cause = ErrorCause.INTERNAL


class LeaseLost(Exception):
    """This replica no longer holds the job's lease: what the job did must not be recorded (rolled back)."""


class JobRunner:
    def __init__(self, platform: Platform, jobs: Mapping[JobKind, JobFunction],
                 global_jobs: Mapping[GlobalJob, GlobalFunction] | None = None, *,
                 due_pushes: DuePushes | None = None, max_concurrent: int = MAX_CONCURRENT,
                 after_job: Callable[[], object] | None = None, holder: str = leases.HOLDER,
                 lease_seconds: int = leases.LEASE_SECONDS):
        """due_pushes: which integrations have listings waiting for a push (services.pushes.integrations_with_due);
        after_job: called after every run (the outbox sender's wake: an alert the job queued goes out at once);
        holder: this replica's name on the leases it takes (one per process; tests play several); lease_seconds: how
        long a claim outlives a process that died (renewed every third of it while its job runs)."""
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
        self.holder = holder
        self.lease_seconds = lease_seconds
        self._held: set[tuple[str, str]] = set()  # leases this runner holds: (kind, subject)
        self._asked: set[tuple[str, str]] = set()  # given back, and another replica had asked for the job meanwhile
        self._lost: set[tuple[str, str]] = set()  # leases that lapsed under a running job: it stops, records nothing
        self._jobs: dict[tuple[str, str], asyncio.Task] = {}  # the task running each held lease's job
        self._cut: set[asyncio.Task] = set()  # jobs the renewal cancelled because their lease was lost
        self._renewer: asyncio.Task | None = None
        self._more_due = False  # the last tick filled every slot: more may be due than it could start
        self._refill: asyncio.Task | None = None
        self._ticking = asyncio.Lock()  # one tick at a time (the scheduler's and a refill)
        self._refill_room = max(1, max_concurrent // REFILL_SHARE)

    # ------------------------------------------------------------------------------------------ asking

    def is_running(self, kind: str, integration_id: str = "") -> bool:
        return (kind, integration_id) in self._running

    async def run(self, kind: JobKind, integration_id: str, **options: Any) -> Outcome:
        """Run one job now, in the caller's task (tests call this directly). Raises AlreadyRunning (here or on another
        replica)."""
        key = self._reserve(kind, integration_id)
        outcome = await self._execute(key, options)
        if outcome.skipped == HELD_ELSEWHERE:
            raise AlreadyRunning(f"{kind} {integration_id}: on another replica")
        return outcome

    def start(self, kind: JobKind, integration_id: str, *,
              on_done: Callable[[Outcome], Awaitable[None]] | None = None, _claimed: bool = False,
              _again_if_held: bool = False, **options: Any) -> asyncio.Task:
        """Run one job in the background; raises AlreadyRunning at once if it runs here (held by another replica: the
        outcome is skipped, HELD_ELSEWHERE). `on_done` gets the outcome (the chat shows the catalog sync's summary)
        inside the same tracked task, so a shutdown waits for it too."""
        key = self._reserve(kind, integration_id)

        async def body() -> Outcome:
            outcome = await self._execute(key, options, claimed=_claimed, again_if_held=_again_if_held)
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
        self.start(kind, integration_id, _again_if_held=True)

    async def run_global(self, kind: GlobalJob, period: str | None = None) -> Any:
        """A platform-wide job (one at a time); its failure is logged and retried at its next time. With a `period`
        (the timers pass the day or week it is for) it runs once in that period across all replicas: claimed first,
        skipped (None) if another replica runs it or already ran it; a failed run may be tried again in the same
        period after leases.GLOBAL_RETRY seconds."""
        key = self._reserve(kind, "")
        lease = (str(kind), period) if period is not None else None
        ok = False
        try:
            if lease is not None and not await self._claim(lease):
                return None
            async with self._slots, self._owning(lease):
                result = await self.global_jobs[kind](self.platform)
            ok = True
            return result
        except LeaseLost:
            log.warning("%s job for %s stopped: its lease lapsed under it", kind, period)
            return None
        except Exception:
            log.exception("%s job failed", kind)
            return None
        finally:
            self._running.discard(key)
            self._lost.discard(lease)
            if lease is not None and lease in self._held:
                if ok:
                    await self._finish_period(lease)
                else:
                    await self._release(lease, until=leases.now() + leases.GLOBAL_RETRY)

    # ----------------------------------------------------------------------------------------- timers

    async def tick(self) -> int:
        """Start the scheduled runs that are due, as many as there is room for; the rest stay due. Returns how many
        were started."""
        if self._stopped:
            return 0
        async with self._ticking:
            room = self.max_concurrent - len(self._running)
            if room <= 0:
                return 0
            async with self.platform.sessionmaker() as session:
                claimed = await leases.claim_due(session, self.holder, room, skip=self._running,
                                                 ttl=self.lease_seconds)
                await session.commit()
            self._more_due = len(claimed) == room
            self._held.update((kind, integration_id) for integration_id, kind in claimed)
            self._lost.difference_update((kind, integration_id) for integration_id, kind in claimed)
            started = 0
            for integration_id, kind in claimed:
                if self.is_running(kind, integration_id):  # asked for from the chat meanwhile: that run has it
                    continue
                if self._stopped:
                    await self._release((kind, integration_id))
                    continue
                self.start(JobKind(kind), integration_id, _claimed=True)
                started += 1
        if started:
            self._keep_renewing()
        return started

    async def _tick_quietly(self) -> None:
        try:
            await self.tick()
        except Exception:  # the database: the scheduler's next tick tries again
            log.exception("starting the next due runs failed")

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
        if self._renewer is not None:  # jobs get seconds, leases last a minute; what is still held then lapses
            self._renewer.cancel()
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

    async def _execute(self, key: tuple[str, str], options: dict, *, claimed: bool = False,
                       again_if_held: bool = False) -> Outcome:
        kind, integration_id = JobKind(key[0]), key[1]
        try:
            async with self._slots:
                if not claimed and not await self._claim(key, again_if_held=again_if_held):
                    return Outcome(kind, integration_id, skipped=HELD_ELSEWHERE)
                try:
                    async with self._owning(key):
                        return await self._run(kind, integration_id, options)
                except LeaseLost:
                    log.warning("%s job for integration %s stopped: its lease lapsed under it and another replica "
                                "may run it; nothing of this run was recorded", kind, integration_id)
                    return Outcome(kind, integration_id, skipped=LEASE_LOST)
                finally:
                    if key in self._held:  # the run's last transaction could not give it back (see _commit_releasing)
                        if await asyncio.shield(self._release(key)):
                            self._asked.add(key)
        finally:
            asked_again = key in self._asked
            self._asked.discard(key)
            self._lost.discard(key)
            self._running.discard(key)
            if self.after_job is not None:
                try:
                    self.after_job()
                except Exception:
                    log.exception("after-job callback failed")
            if (key in self._again or asked_again) and not self._stopped:
                self._again.discard(key)
                self.start(kind, integration_id, _again_if_held=True)
            elif (self._more_due and not self._stopped and (self._refill is None or self._refill.done())
                  and self.max_concurrent - len(self._running) >= self._refill_room):
                # Slots came free while runs are waiting: the next ones start now, not at the next tick (a poll round
                # of a thousand integrations keeps the slots busy), a few at a time (one claim for several runs).
                self._refill = self._track(asyncio.create_task(self._tick_quietly(), name="job-refill"))

    # -------------------------------------------------------------------------------------------- leases

    @contextlib.asynccontextmanager
    async def _owning(self, lease: tuple[str, str] | None):
        """The body runs as the holder of `lease`: a renewal that finds the lease lost cancels it, and that
        cancellation comes out as LeaseLost (a shutdown's cancellation stays a cancellation)."""
        if lease is None:
            yield
            return
        task = asyncio.current_task()
        self._jobs[lease] = task
        try:
            yield
        except asyncio.CancelledError:
            if task in self._cut:
                self._cut.discard(task)
                if task.uncancel() == 0:  # nobody else (a shutdown) cancelled it too
                    raise LeaseLost(lease) from None
            raise
        finally:
            self._cut.discard(task)
            if self._jobs.get(lease) is task:
                del self._jobs[lease]

    async def _claim(self, lease: tuple[str, str], *, again_if_held: bool = False) -> bool:
        """Claim one job's lease; False if another replica holds it (then, if asked, it runs it once more when done).
        A database that does not answer counts as held elsewhere: the job stays due and is claimed later."""
        try:
            async with self.platform.sessionmaker() as session:
                got = bool(await leases.acquire(session, self.holder, [lease], ttl=self.lease_seconds))
                if got and lease[0] in set(JobKind):
                    await runs.interrupt_running(session, [(lease[1], lease[0])])
                elif not got and again_if_held:
                    await leases.ask_again(session, *lease)
                await session.commit()
        except Exception:
            log.exception("claiming %s %s failed", *lease)
            return False
        if got:
            self._held.add(lease)
            self._lost.discard(lease)
            self._keep_renewing()
        return got

    async def _commit_releasing(self, session: AsyncSession, key: tuple[str, str]) -> None:
        """Commit a run's last transaction with its lease given back in it: the schedule moves on and the job is free
        in one step, so no replica finds it due and unclaimed (and no extra round trip). A lease no longer ours
        raises LeaseLost instead (the caller's session rolls back): the replica that took the job over records it."""
        await self._release_after(session, key, [])
        await self._commit(session, key)

    async def _release_after(self, session: AsyncSession, key: tuple[str, str], statements: list) -> list[int]:
        """The run's last UPDATEs and the lease given back (one statement on PostgreSQL); their row counts. The
        caller commits (`_commit`)."""
        if key in self._lost:
            raise LeaseLost(key)
        if key not in self._held:
            return [(await session.execute(*statement)).rowcount for statement in statements]
        again, counts = await leases.release_after(session, self.holder, *key, statements)
        if again is None:
            self._lost_lease(key)
            raise LeaseLost(key)
        if again:
            self._asked.add(key)
        return counts

    async def _commit(self, session: AsyncSession, key: tuple[str, str]) -> None:
        await session.commit()
        self._held.discard(key)

    def _lost_lease(self, key: tuple[str, str]) -> None:
        self._held.discard(key)
        self._lost.add(key)

    async def _finish_period(self, lease: tuple[str, str]) -> None:
        self._held.discard(lease)
        try:
            async with self.platform.sessionmaker() as session:
                await leases.finish_period(session, self.holder, *lease)
                await session.commit()
        except Exception:  # the lease lapses, and another replica may run the job again in this period
            log.exception("recording %s %s as done failed", *lease)

    async def _release(self, lease: tuple[str, str], until: int = 0) -> bool:
        """Give a lease up; True if another replica asked for the job meanwhile. A release that fails leaves the lease
        to lapse (the job is only delayed by that)."""
        self._held.discard(lease)
        try:
            async with self.platform.sessionmaker() as session:
                again = await leases.release(session, self.holder, *lease, until=until)
                await session.commit()
                return again
        except Exception:
            log.exception("releasing %s %s failed; it lapses by itself", *lease)
            return False

    def _keep_renewing(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.create_task(self._renew(), name="job-leases")

    async def _renew(self) -> None:
        """While this runner holds leases: renew them all, one statement every third of a lease."""
        while self._held:
            await asyncio.sleep(self.lease_seconds / 3)
            held = set(self._held)
            if not held:
                return
            try:
                async with self.platform.sessionmaker() as session:
                    kept = await leases.renew(session, self.holder, held, ttl=self.lease_seconds)
                    await session.commit()
            except Exception:
                log.exception("renewing %d job leases failed; trying again", len(held))
                continue
            lost = (held - kept) & self._held
            if lost:  # lapsed (this process stalled for a whole lease) and maybe taken over: their jobs stop
                log.warning("job leases lapsed, their jobs stop: %s", sorted(lost))
                for key in lost:
                    self._lost_lease(key)
                    task = self._jobs.get(key)
                    if task is not None:
                        self._cut.add(task)
                        task.cancel()

    async def _run(self, kind: JobKind, integration_id: str, options: dict) -> Outcome:
        try:
            async with self.platform.sessionmaker() as session:
                # One query for the integration and its schedule row, one INSERT for the run record, one commit.
                integration, plan = await schedule.integration_with_plan(session, integration_id, kind)
                if integration is None or integration.status not in integrations.RUNNABLE:
                    await self._commit_releasing(session, (kind, integration_id))
                    return Outcome(kind, integration_id, skipped="inactive")
                client = await integrations.client(self.platform, session, integration)
                run_id, started_at = await runs.start_run(session, integration_id, kind)
                context = JobContext(self.platform, integration_id, integration.partner_id,
                                     Marketplace(integration.marketplace), integrations.settings_of(integration),
                                     client, run_id, started_at, options, plan)
                await session.commit()
        except (LeaseLost, asyncio.CancelledError):
            raise
        except Exception as exc:  # the run could not even start (the database): record it if we can, retry soon
            log.exception("%s job for integration %s could not start", kind, integration_id)
            return await self._failed_to_start(kind, integration_id, exc)
        try:
            result = await self.jobs[kind](context)
        except ConnectorError as error:
            result = JobResult(error=error)
        except asyncio.CancelledError:
            await asyncio.shield(self._interrupted(kind, integration_id, run_id))
            raise
        except Exception as exc:
            log.exception("%s job failed for integration %s", kind, integration_id)
            result = JobResult(error=JobFailed(f"{type(exc).__name__}"))
        finally:
            await client.aclose()
        try:
            return await self._finish(kind, integration_id, run_id, result)
        except (asyncio.CancelledError, LeaseLost):
            await asyncio.shield(self._interrupted(kind, integration_id, run_id))
            raise

    async def _finish(self, kind: JobKind, integration_id: str, run_id: str, result: JobResult) -> Outcome:
        error: ConnectorError | None = None
        for attempt in range(1, FINISH_ATTEMPTS + 1):
            try:
                async with self.platform.sessionmaker() as session:
                    integration = await session.get(MarketplaceIntegration, integration_id)
                    if integration is None:  # deleted while it ran (its runs went with it)
                        return Outcome(kind, integration_id, result.report, result.error, skipped="deleted")
                    last = []  # the run's record and the schedule's move: sent with the lease's release
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
                        last.append(runs.finish_statement(run_id, counts=counts, error=error, partial=result.partial))
                    if kind in schedule.SCHEDULED:
                        last.append(schedule.finished_statement(
                            integration_id, kind, ok=error is None, failure_streak=integration.failure_streak,
                            values=None if result.skipped else result.schedule))
                    changed = await self._release_after(session, (kind, integration_id), last)
                    if kind in schedule.SCHEDULED and changed[-1] == 0:
                        await schedule.create_then(session, integration_id, kind, last[-1])
                    await self._commit(session, (kind, integration_id))
                return Outcome(kind, integration_id, result.report, error, result.skipped)
            except LeaseLost:
                raise
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
                    run_id, _ = await runs.start_run(session, integration_id, kind)
                    await integrations.job_failed(session, integration, error, kind)
                    await runs.finish_run(session, run_id, counts={}, error=error)
                    if kind in schedule.SCHEDULED:
                        await schedule.finished(session, integration_id, kind, ok=False,
                                                failure_streak=integration.failure_streak)
                    await self._commit_releasing(session, (kind, integration_id))
        except LeaseLost:
            raise
        except Exception:  # the database is down: the run stays due, the next tick tries again
            log.exception("%s job for integration %s: could not record the failure either", kind, integration_id)
        return Outcome(kind, integration_id, error=error)

    async def _interrupted(self, kind: JobKind, integration_id: str, run_id: str) -> None:
        """A shutdown cut the run short: not the integration's failure; it runs again soon. A run whose lease was
        lost is only closed: its schedule and lease are the new holder's."""
        try:
            async with self.platform.sessionmaker() as session:
                await runs.interrupted(session, run_id)
                if (kind, integration_id) in self._lost:
                    await session.commit()
                    return
                if kind in schedule.SCHEDULED:
                    await schedule.finished(session, integration_id, kind, ok=False)
                await self._commit_releasing(session, (kind, integration_id))
        except LeaseLost:  # found out just now: the new holder's run has it
            pass
        except Exception:
            log.exception("%s job for integration %s: could not record the interruption", kind, integration_id)


# ------------------------------------------------------------------------------------------------------ timers
# The clock side: APScheduler 3 (AsyncIOScheduler, in-memory job store) only says "look now". What is due, the
# cursors and the last runs live in our own tables (schedules, the listings' push queue, outbox, job_leases), so a
# restart only re-creates these timers, and every replica may run the same timers: each run is claimed first
# (services/jobs/leases.py).


PUSH_EVERY = 5  # seconds between looks at the push queue
TICK_EVERY = 1  # seconds between looks at the schedules table
GLOBAL_EVERY = 10  # seconds between looks at whether a platform-wide job's period is due
EXPIRY_CHECK_HOUR_UTC = 4  # 09:00 in Tashkent
COVER_CHECK_EVERY = 3600  # seconds: stock cover moves with orders and with time, and a day's notice is the point
BROADCAST_REPORTS_EVERY = 30  # seconds between looks for broadcasts whose copies are all settled
SUMMARIES_EVERY = 60  # seconds: a summary is due at the partner's minute (its dedupe key keeps it to one a day)

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


def every(seconds: int) -> Period:
    """Once in every slot of `seconds` (counted from the epoch, so every replica names the same slot)."""
    return lambda at: f"every-{seconds}-{int(at.timestamp()) // seconds}"


PERIODS: dict[GlobalJob, Period] = {
    GlobalJob.KEY_EXPIRY: daily(EXPIRY_CHECK_HOUR_UTC),
    GlobalJob.STOCK_COVER: every(COVER_CHECK_EVERY),
    GlobalJob.BROADCAST_REPORTS: every(BROADCAST_REPORTS_EVERY),
    GlobalJob.SUMMARIES: every(SUMMARIES_EVERY),
}


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
