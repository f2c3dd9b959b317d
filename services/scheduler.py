"""Background jobs on APScheduler 3 (AsyncIOScheduler, in-memory job store): the durable state — what is due,
cursors, last runs — lives in our own tables, so a restart only re-creates the timers."""
from __future__ import annotations

import asyncio
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.push import Pusher, integrations_with_due

log = logging.getLogger(__name__)

PUSH_EVERY = 5  # seconds between looks at the push queue


class Jobs:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], pusher: Pusher):
        self.sessionmaker = sessionmaker
        self.pusher = pusher
        self._pushing: set[str] = set()

    async def push_due(self, *, debounce: int | None = None) -> None:
        """One push cycle: stock then prices, every integration with due listings, concurrently — a slow or
        failing marketplace never holds up the others; one push per integration at a time."""
        async with self.sessionmaker() as session:
            stock = await integrations_with_due(session, "stock_push")
            prices = await integrations_with_due(session, "price_push")
        await asyncio.gather(*(self._push_one(i, i in stock, i in prices, debounce) for i in set(stock) | set(prices)))

    async def _push_one(self, integration_id: str, stock: bool, prices: bool, debounce: int | None) -> None:
        if integration_id in self._pushing:
            return
        self._pushing.add(integration_id)
        try:
            kwargs = {} if debounce is None else {"debounce": debounce}
            if stock:
                await self.pusher.push_stock(integration_id, **kwargs)
            if prices:
                await self.pusher.push_prices(integration_id, **kwargs)
        except Exception:  # one integration's bug must not stop the cycle for the others
            log.exception("push failed for integration %s", integration_id)
        finally:
            self._pushing.discard(integration_id)


def build_scheduler(jobs: Jobs) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(jobs.push_due, "interval", seconds=PUSH_EVERY, id="push_due", max_instances=1, coalesce=True)
    return scheduler
