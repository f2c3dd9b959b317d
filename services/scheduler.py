"""Background jobs on APScheduler 3 (AsyncIOScheduler, in-memory job store). The durable state — what is due,
cursors, last runs — lives in our own tables (schedules, listings' push queue, outbox), so a restart only
re-creates the timers. Each integration's job runs in its own task: a slow or failing marketplace never
holds up the others, and one integration never runs the same kind of job twice at once."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import alerts, schedules
from services.catalog import AlreadyRunning, CatalogSync
from services.orders import OrderService
from services.push import Pusher, integrations_with_due, reconcile

log = logging.getLogger(__name__)

PUSH_EVERY = 5  # seconds between looks at the push queue
TICK_EVERY = 1  # seconds between looks at the schedules table
EXPIRY_CHECK_HOUR_UTC = 4  # 09:00 in Tashkent
STOP_GRACE = 5.0  # seconds running jobs get to finish on shutdown before they are cancelled


class Jobs:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], pusher: Pusher, orders: OrderService,
                 catalog_sync: CatalogSync):
        self.sessionmaker = sessionmaker
        self.pusher = pusher
        self.orders = orders
        self.catalog_sync = catalog_sync
        self._running: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task] = set()
        self._stopped = False
        # Called after each orders poll: the outbox sender looks at new alerts at once instead of at its next
        # check (the runtime sets it to the notifier's wake).
        self.after_orders: Callable[[], object] | None = None

    # ---- the push queue ----

    async def push_due(self, *, debounce: int | None = None) -> None:
        """One push cycle: stock then prices, for every integration with due listings, concurrently."""
        if self._stopped:
            return
        self._track(asyncio.current_task())
        async with self.sessionmaker() as session:
            stock = await integrations_with_due(session, "stock_push")
            prices = await integrations_with_due(session, "price_push")
        await asyncio.gather(*(self._guarded(i, "push", self._push(i, i in stock, i in prices, debounce))
                               for i in set(stock) | set(prices)))

    async def _push(self, integration_id: str, stock: bool, prices: bool, debounce: int | None) -> None:
        kwargs = {} if debounce is None else {"debounce": debounce}
        if stock:
            await self.pusher.push_stock(integration_id, **kwargs)
        if prices:
            await self.pusher.push_prices(integration_id, **kwargs)

    # ---- per-integration schedules ----

    async def tick(self) -> None:
        """Start every due job that is not already running, each in its own task."""
        if self._stopped:
            return
        async with self.sessionmaker() as session:
            due = await schedules.due(session)
        for integration_id, kind in due:
            if (integration_id, kind) not in self._running and not self._stopped:
                self._track(asyncio.create_task(self._guarded(integration_id, kind,
                                                              self.run_job(integration_id, kind))))

    def _track(self, task: asyncio.Task | None) -> None:
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def run_job(self, integration_id: str, kind: str) -> None:
        """Run one job now (tests call this directly) and schedule its next run."""
        try:
            if kind == "orders":
                await self.orders.poll(integration_id)
                if self.after_orders is not None:
                    self.after_orders()
            elif kind == "catalog":
                try:
                    await self.catalog_sync.run(integration_id)
                except AlreadyRunning:
                    pass
            elif kind == "reconcile":
                await reconcile(self.pusher, integration_id)
        finally:
            async with self.sessionmaker() as session:
                await schedules.finished(session, integration_id, kind)
                await session.commit()

    async def _guarded(self, integration_id: str, kind: str, work) -> None:
        key = (integration_id, kind)
        if key in self._running:
            work.close()
            return
        self._running.add(key)
        try:
            await work
        except Exception:  # one integration's failure must not stop the others' jobs
            log.exception("%s job failed for integration %s", kind, integration_id)
        finally:
            self._running.discard(key)

    async def check_key_expiry(self) -> int:
        async with self.sessionmaker() as session:
            queued = await alerts.expiring_keys(session)
            await session.commit()
        return queued

    async def wait_idle(self, timeout: float = 30) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Start nothing new; give running jobs `grace` seconds, then cancel them. A cancelled job's transaction
        rolls back (orders, ledger rows, alerts and the cursor are written together), so its work is simply
        done again by the next run; a stop never waits on a slow marketplace or a locked database for long."""
        self._stopped = True
        current = asyncio.current_task()
        running = [task for task in self._tasks if task is not current]
        if not running:
            return
        _, pending = await asyncio.wait(running, timeout=grace)
        for task in pending:
            task.cancel()
        if pending:  # a job's cleanup (recording its run) may itself wait on the database: bounded too
            await asyncio.wait(pending, timeout=grace)


def build_scheduler(jobs: Jobs) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(jobs.push_due, "interval", seconds=PUSH_EVERY, id="push_due", max_instances=1, coalesce=True)
    scheduler.add_job(jobs.tick, "interval", seconds=TICK_EVERY, id="schedules", max_instances=1, coalesce=True)
    scheduler.add_job(jobs.check_key_expiry, "cron", hour=EXPIRY_CHECK_HOUR_UTC, id="key_expiry", coalesce=True)
    return scheduler
