"""Shutdown is bounded: running jobs get a grace period, then are cancelled (their transaction rolls back), and a
stopped scheduler starts nothing new."""
import asyncio

from sqlalchemy import select

from db.models import MarketplaceIntegration, Partner, Schedule
from services import schedules
from services.scheduler import Jobs


class HangingOrders:
    """A marketplace that never answers the orders poll."""

    def __init__(self):
        self.polls = 0
        self.cancelled = 0

    async def poll(self, integration_id: str) -> None:
        self.polls += 1
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise


async def test_stop_cancels_hanging_jobs_and_starts_nothing_new(sessionmaker):
    async with sessionmaker() as s:
        partner = Partner(telegram_id=7, language="en")
        s.add(partner)
        await s.flush()
        s.add(MarketplaceIntegration(partner_id=partner.id, marketplace="ozon", status="active", active=1,
                                     seller_id="1"))
        await s.flush()
        await schedules.ensure_all(s)
        await s.commit()
    orders = HangingOrders()
    jobs = Jobs(sessionmaker, pusher=None, orders=orders, catalog_sync=None)
    await jobs.tick()
    for _ in range(100):
        if orders.polls:
            break
        await asyncio.sleep(0.01)
    assert orders.polls == 1

    await jobs.stop(grace=0.1)
    assert orders.cancelled == 1 and not jobs._tasks
    async with sessionmaker() as s:  # the cancelled run was still recorded, so its next run is scheduled
        schedule = await s.scalar(select(Schedule).where(Schedule.kind == "orders"))
        assert schedule.last_run_at is not None

    async with sessionmaker() as s:
        for schedule in await s.scalars(select(Schedule)):
            schedule.next_run_at = 0  # due again
        await s.commit()
    await jobs.tick()
    await asyncio.sleep(0.05)
    assert orders.polls == 1 and not jobs._tasks
