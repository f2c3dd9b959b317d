"""The daily summary for many partners: who is due (their time in their time zone, daily or Mondays, off, no
integration), once a day whatever runs it, figures equal to the one-partner analytics service, and a bounded number
of queries however many partners."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select

from db.models import MarketplaceIntegration, Order, OrderLine, OutboxMessage, Partner, Product
from services import analytics, summaries
from services.analytics import Period
from services.outbox.policy import Prefs, SummaryMode

TASHKENT, MOSCOW = ZoneInfo("Asia/Tashkent"), ZoneInfo("Europe/Moscow")
MONDAY = datetime(2026, 11, 30, 9, 0, 20, tzinfo=TASHKENT)  # a Monday, 09:00 in Tashkent (07:00 in Moscow)
PARTNERS = 1200


def _prefs(mode: SummaryMode = SummaryMode.DAILY, at: int = 9 * 60, runs_out_days: int = 7) -> str:
    return Prefs(summary=mode, summary_at=at, runs_out_days=runs_out_days).to_json()


async def _world(sessionmaker) -> dict[str, list[str]]:
    """PARTNERS partners in Tashkent, due at 09:00, each with an Uzum integration, orders yesterday and the day
    before and a product running out; plus the ones that must get nothing."""
    groups: dict[str, list[str]] = {"due": [], "none": []}
    yesterday = datetime(2026, 11, 29, 12, 0, tzinfo=TASHKENT).timestamp()
    async with sessionmaker() as s:
        partners = []
        for n in range(PARTNERS):
            partners.append(Partner(telegram_id=10_000 + n, language=("en", "ru", "uz")[n % 3],
                                    notification_prefs=_prefs()))
        quiet = [Partner(telegram_id=1, notification_prefs=_prefs(SummaryMode.OFF)),
                 Partner(telegram_id=2, notification_prefs=_prefs(at=10 * 60)),
                 Partner(telegram_id=3, timezone="Europe/Moscow", notification_prefs=_prefs()),  # 07:00 there
                 Partner(telegram_id=4, notification_prefs=_prefs()),  # no integration
                 Partner(telegram_id=5, notification_prefs=_prefs(), status="unreachable")]
        s.add_all(partners + quiet)
        await s.flush()
        weekly = Partner(telegram_id=6, notification_prefs=_prefs(SummaryMode.WEEKLY))
        s.add(weekly)
        await s.flush()
        for partner in partners + [weekly] + [q for q in quiet if q.telegram_id != 4]:
            integration = MarketplaceIntegration(partner_id=partner.id, marketplace="uzum", status="active", active=1,
                                                 seller_id=str(partner.telegram_id))
            s.add(integration)
            await s.flush()
            for k, (placed, state, quantity) in enumerate([(yesterday, "new", 2), (yesterday + 60, "cancelled", 1),
                                                           (yesterday - 86400, "done", 1)]):
                order = Order(integration_id=integration.id, partner_id=partner.id, external_id=f"{k}",
                              status="x", state=state, placed_at=int(placed), total=Decimal(1000 * quantity),
                              currency="UZS", items="[]")
                s.add(order)
                await s.flush()
                s.add(OrderLine(order_id=order.id, partner_id=partner.id, marketplace="uzum", sku="A", name="Alpha",
                                quantity=quantity, price=Decimal(1000), currency="UZS", state=state,
                                placed_at=int(placed)))
            s.add(Product(partner_id=partner.id, sku="A", name="Alpha", stock=1))
        await s.commit()
        groups["due"] = [p.id for p in partners] + [weekly.id]
        groups["none"] = [q.id for q in quiet]
    return groups


async def test_many_partners_few_queries_once_a_day(sessionmaker, engine):
    groups = await _world(sessionmaker)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine.sync_engine, "before_cursor_execute", listener)
    try:
        queued = await summaries.queue_due(sessionmaker, MONDAY.timestamp())
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listener)
    assert queued == PARTNERS + 1
    # one query for who is due, 2 for the keys already queued, then per batch of up to 500 partners of one time zone
    # and period (3 daily batches, 1 weekly) 9 reads and one insert: 43, whether 1,200 or 10,000 partners
    assert len(statements) <= 1 + 2 + 4 * (9 + 1), len(statements)

    async with sessionmaker() as s:
        rows = {r.partner_id: r for r in await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "summary"))}
    assert set(rows) == set(groups["due"])
    assert not set(rows) & set(groups["none"])
    sample = rows[groups["due"][7]]
    assert sample.dedupe_key == f"summary:{sample.partner_id}:2026-11-30"
    payload = json.loads(sample.payload)
    assert (payload["first"], payload["last"]) == ("2026-11-29", "2026-11-29")

    # The same figures as the one-partner service (the analytics screen) for that day and the day before.
    day = Period(datetime(2026, 11, 29).date(), datetime(2026, 11, 29).date())
    async with sessionmaker() as s:
        alone = await analytics.totals(s, sample.partner_id, day, TASHKENT)
        alone_before = await analytics.totals(s, sample.partner_id, day.previous(), TASHKENT)
        alone_daily = await analytics.daily(s, sample.partner_id, Period(day.last - timedelta(days=6), day.last),
                                            TASHKENT)
    assert summaries.totals_from_data(payload["now"]) == alone
    assert summaries.totals_from_data(payload["before"]) == alone_before
    assert summaries.daily_from_data(payload["daily"]) == alone_daily
    assert alone.orders == 2 and alone.cancelled == 1 and alone.revenue == {"UZS": Decimal(2000)}
    # Alpha: 1 left, 3 sold in 14 days → ~4.7 days: within the 7-day horizon
    assert payload["running_out"] == [{"sku": "A", "name": "Alpha", "stock": 1, "days": 4.7}]

    weekly = json.loads(rows[groups["due"][-1]].payload)
    assert (weekly["mode"], weekly["first"], weekly["last"]) == ("weekly", "2026-11-23", "2026-11-29")

    # Every later minute of the day, a restart, another replica: nothing more.
    assert await summaries.queue_due(sessionmaker, MONDAY.timestamp() + 60) == 0
    # 11:00 in Tashkent: the one who chose 10:00, and the Moscow partner's 09:00; nobody a second time
    assert await summaries.queue_due(sessionmaker, MONDAY.timestamp() + 2 * 3600) == 2
    assert await summaries.queue_due(sessionmaker, MONDAY.timestamp() + 2 * 3600 + 60) == 0
    async with sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == PARTNERS + 3


def test_due_at_the_partners_minute_in_their_zone():
    at = MONDAY.timestamp()
    assert summaries.due_now(SummaryMode.DAILY, 9 * 60, TASHKENT, at)[0] == Period(
        datetime(2026, 11, 29).date(), datetime(2026, 11, 29).date())
    assert summaries.due_now(SummaryMode.DAILY, 9 * 60, TASHKENT, at - 60) is None  # 08:59
    assert summaries.due_now(SummaryMode.DAILY, 9 * 60, MOSCOW, at) is None  # 07:00 in Moscow
    assert summaries.due_now(SummaryMode.DAILY, 7 * 60, MOSCOW, at) is not None
    assert summaries.due_now(SummaryMode.OFF, 9 * 60, TASHKENT, at) is None
    tuesday = at + 86400
    assert summaries.due_now(SummaryMode.WEEKLY, 9 * 60, TASHKENT, tuesday) is None
    assert summaries.due_now(SummaryMode.DAILY, 9 * 60, TASHKENT, at + summaries.CATCH_UP_SECONDS) is None
    assert summaries.due_now(SummaryMode.DAILY, 9 * 60, TASHKENT, at + summaries.CATCH_UP_SECONDS - 60) is not None
