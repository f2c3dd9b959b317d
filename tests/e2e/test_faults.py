"""Marketplace faults: with a fifth of the replies failing, orders still converge (each stored and deducted
once); a failure streak is reported once, with one recovery message when it ends."""
from __future__ import annotations

import random
import re

from sqlalchemy import func, select

from services.jobs import JobKind
from db.models import MarketplaceIntegration, Order, OutboxMessage, StockMovement
from sandbox.marketplaces.orders import create_order
from tests.e2e.conftest import connect, sync_products, wait_for_text

FAULTS = ("5xx", "timeout", "rate_limit", "garbage")


async def count(harness, model, *where) -> int:
    async with harness.runtime.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def test_orders_converge_with_20_percent_faults_and_failures_alert_once_per_streak(harness):
    user = await harness.registered(960)
    await connect(user, "ozon")
    await sync_products(user, "Ozon")
    async with harness.runtime.sessionmaker() as session:
        integration_id = await session.scalar(select(MarketplaceIntegration.id))
    jobs = harness.runtime.jobs
    await jobs.run(JobKind.ORDERS, integration_id)  # the silent baseline
    harness.marketplaces.controls.timeout_delay = 0.3  # a "timeout" stalls past a short client timeout

    rng = random.Random(5)
    placed = [create_order(harness.marketplaces.state, "ozon", [(rng.randint(1, 40), 1)]).id for _ in range(30)]
    for _ in range(25):  # a fifth of the order-list calls fail, in every way a marketplace fails
        if rng.random() < 0.2:
            harness.marketplaces.inject("ozon", re.compile(r"/v\d/posting/.*"), rng.choice(FAULTS), times=3)
        await jobs.run(JobKind.ORDERS, integration_id)
        harness.marketplaces.clear_faults()
    await jobs.run(JobKind.ORDERS, integration_id)
    assert await count(harness, Order, Order.baseline == 0) == len(placed)
    assert await count(harness, StockMovement, StockMovement.reason == "order") == len(placed)
    assert await count(harness, OutboxMessage, OutboxMessage.kind == "new_order") == len(placed)

    # The marketplace goes down for a while: many failed polls, one alert; then one recovery message.
    harness.marketplaces.inject("ozon", re.compile(r"/v\d/posting/.*"), "5xx", times=1000)
    for _ in range(4):
        await jobs.run(JobKind.ORDERS, integration_id)
    assert await count(harness, OutboxMessage, OutboxMessage.kind == "sync_failed") == 1
    harness.marketplaces.clear_faults()
    await jobs.run(JobKind.ORDERS, integration_id)
    await jobs.run(JobKind.ORDERS, integration_id)
    assert await count(harness, OutboxMessage, OutboxMessage.kind == "recovered") == 1
    await harness.runtime.sender.drain_once()
    failed = await wait_for_text(user, "stopped working")
    assert "not answering" in failed.text and any("Retry" in b for b in failed.button_texts())
    await wait_for_text(user, "works again")
