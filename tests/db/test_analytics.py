"""The analytics service over our own tables (SQLite and PostgreSQL): the report of a period against the one before,
money never added across currencies, days in the partner's time zone; finance lines stored once however often they
are read; profit from the marketplaces' figures and cost prices; stock cover."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from connectors.base import Currency, FinanceEntry, MoneyKind
from db.models import FinanceRecord, MarketplaceIntegration, Order, OrderLine, Partner, Product, new_id
from services import analytics, finance
from services.analytics import BadRange, Period, PeriodKind, parse_range, period_of

TZ = ZoneInfo("Asia/Tashkent")
TODAY = date(2026, 11, 20)


def at(day: date, hour: int = 12) -> int:
    return int(datetime.combine(day, time(hour), TZ).timestamp())


async def seed(s):
    me, other = Partner(telegram_id=1, language="en"), Partner(telegram_id=2, language="en")
    s.add_all([me, other])
    await s.flush()
    uzum = MarketplaceIntegration(partner_id=me.id, marketplace="uzum", status="active", active=1, seller_id="1")
    ozon = MarketplaceIntegration(partner_id=me.id, marketplace="ozon", status="active", active=1, seller_id="2")
    theirs = MarketplaceIntegration(partner_id=other.id, marketplace="ozon", status="active", active=1, seller_id="3")
    s.add_all([uzum, ozon, theirs])
    await s.flush()
    return me, other, uzum, ozon, theirs


def order(s, integration, number, placed_at, lines, *, state="done", currency):
    row = Order(id=new_id(), integration_id=integration.id, partner_id=integration.partner_id,
                external_id=str(number), status="x", state=state, placed_at=placed_at, currency=currency, items="[]")
    s.add(row)
    for sku, quantity, price in lines:
        s.add(OrderLine(order_id=row.id, partner_id=integration.partner_id, marketplace=integration.marketplace,
                        sku=sku, name=f"Product {sku}", quantity=quantity, price=Decimal(price), currency=currency,
                        state=state, placed_at=placed_at))


async def test_report_against_the_previous_period_per_currency(sessionmaker):
    async with sessionmaker() as s:
        me, other, uzum, ozon, theirs = await seed(s)
        week = period_of(PeriodKind.DAYS_7, TODAY)
        order(s, uzum, 1, at(TODAY), [("A", 2, "10000"), ("B", 1, "5000")], currency="UZS")
        order(s, uzum, 2, at(TODAY - timedelta(days=3)), [("A", 1, "10000")], currency="UZS")
        order(s, uzum, 3, at(TODAY - timedelta(days=3)), [("A", 5, "10000")], currency="UZS", state="cancelled")
        order(s, ozon, 4, at(TODAY - timedelta(days=6), 0), [("A", 1, "300.50")], currency="RUB")
        # 23:30 in Tashkent the day before the week starts: outside it, though still the first day in UTC+3
        order(s, ozon, 5, int(datetime.combine(week.first, time(), TZ).timestamp()) - 1800, [("B", 9, "100")],
              currency="RUB")
        order(s, ozon, 6, at(TODAY - timedelta(days=10)), [("C", 4, "50")], currency="RUB")  # the week before
        order(s, theirs, 7, at(TODAY), [("A", 100, "1")], currency="RUB")
        await s.commit()
        me_id = me.id

    async with sessionmaker() as s:
        report = await analytics.report(s, me_id, week, TZ)
        t = report.totals
        assert (t.orders, t.cancelled, t.units) == (4, 1, 5)
        assert t.revenue == {"UZS": Decimal("35000"), "RUB": Decimal("300.50")}
        assert t.average_order == {"UZS": Decimal("17500.00"), "RUB": Decimal("300.50")}
        assert t.cancel_share == 0.25
        assert report.before.orders == 2 and report.before.revenue == {"RUB": Decimal("1100")}
        assert report.by_marketplace == {"uzum": {"UZS": Decimal("35000")}, "ozon": {"RUB": Decimal("300.50")}}
        assert [p.sku for p in report.top_revenue["UZS"]] == ["A", "B"]
        assert report.top_revenue["RUB"][0].revenue == {"RUB": Decimal("300.50"), "UZS": Decimal("30000")}
        assert [(p.sku, p.units) for p in report.top_units] == [("A", 4), ("B", 1)]
        assert report.daily[TODAY]["uzum"] == (1, {"UZS": Decimal("25000")})
        assert report.daily[week.first]["ozon"][0] == 1 and len(report.daily) == 7

        only_ozon = await analytics.report(s, me_id, week, TZ, marketplace="ozon")
        assert only_ozon.totals.revenue == {"RUB": Decimal("300.50")} and only_ozon.totals.orders == 1
        assert analytics.change(only_ozon.totals.orders, only_ozon.before.orders) == -50.0


async def test_finance_lines_are_stored_once_and_corrections_replace_them(sessionmaker):
    async with sessionmaker() as s:
        me, other, uzum, ozon, theirs = await seed(s)
        await s.commit()
        day = TODAY - timedelta(days=1)
        first = [FinanceEntry(day, MoneyKind.SALE, Decimal("1000"), Currency.RUB, "t1:sale", "A", "9", 2),
                 FinanceEntry(day, MoneyKind.COMMISSION, Decimal("170"), Currency.RUB, "t1:commission", "A", "9")]
        assert await finance.save(s, ozon, first) == (2, 0)
        await s.commit()
        again = [*first[:1], FinanceEntry(day, MoneyKind.COMMISSION, Decimal("150"), Currency.RUB, "t1:commission",
                                          "A", "9"),
                 FinanceEntry(day, MoneyKind.STORAGE, Decimal("130"), Currency.RUB, "s1:storage")]
        assert await finance.save(s, ozon, again) == (1, 1)
        await s.commit()
        rows = dict((await s.execute(select(FinanceRecord.key, FinanceRecord.amount))).all())
        assert rows == {"t1:sale": Decimal("1000"), "t1:commission": Decimal("150"), "s1:storage": Decimal("130")}


def test_finance_reads_90_days_first_then_revises_the_last_days():
    assert finance.period_to_read(None, TODAY) == (TODAY - timedelta(days=89), TODAY)
    assert finance.period_to_read("2026-11-19", TODAY) == (date(2026, 11, 16), TODAY)
    assert finance.period_to_read("garbage", TODAY) == (TODAY - timedelta(days=89), TODAY)


async def test_profit_from_finance_figures_and_cost_prices(sessionmaker):
    async with sessionmaker() as s:
        me, other, uzum, ozon, theirs = await seed(s)
        s.add_all([Product(partner_id=me.id, sku="A", name="Alpha", cost_price=Decimal("200")),
                   Product(partner_id=me.id, sku="B", name="Beta")])
        await s.commit()
        d = TODAY - timedelta(days=2)
        entries = [
            FinanceEntry(d, MoneyKind.SALE, Decimal("3000"), Currency.RUB, "1:sale", "A", "1", 3),
            FinanceEntry(d, MoneyKind.COMMISSION, Decimal("510"), Currency.RUB, "1:commission", "A", "1"),
            FinanceEntry(d, MoneyKind.LOGISTICS, Decimal("225"), Currency.RUB, "1:logistics", "A", "1"),
            FinanceEntry(d, MoneyKind.RETURN, Decimal("1000"), Currency.RUB, "1:return", "A", "1", 1),
            FinanceEntry(d, MoneyKind.COMPENSATION, Decimal("35"), Currency.RUB, "1:comp", "A", "1"),
            FinanceEntry(d, MoneyKind.SALE, Decimal("800"), Currency.RUB, "2:sale", "B", "2", 1),
            FinanceEntry(d, MoneyKind.STORAGE, Decimal("130"), Currency.RUB, "st:storage"),
            FinanceEntry(d, MoneyKind.PAYOUT, Decimal("9999"), Currency.RUB, "p:payout"),
            FinanceEntry(TODAY - timedelta(days=40), MoneyKind.SALE, Decimal("5"), Currency.RUB, "old:sale", "A", "0", 1),
        ]
        await finance.save(s, ozon, entries)
        await finance.save(s, theirs, [FinanceEntry(d, MoneyKind.SALE, Decimal("7"), Currency.RUB, "x", "A", "7", 1)])
        await s.commit()
        me_id = me.id

    async with sessionmaker() as s:
        result = await analytics.profit(s, me_id, period_of(PeriodKind.DAYS_30, TODAY))
        [alpha] = result.products
        assert (alpha.units, alpha.sales, alpha.fees) == (2, Decimal("2000"), Decimal("700"))
        assert alpha.cost == Decimal("400") and alpha.profit == Decimal("900") and alpha.margin == 45.0
        [beta] = result.without_cost
        assert beta.sku == "B" and beta.profit is None  # no cost price: never zero cost
        assert result.other_fees == {"RUB": Decimal("130")}
        assert result.profit == {"RUB": Decimal("770")}  # Alpha's 900 less storage; Beta left out
        assert result.revenue_without_cost == {"RUB": Decimal("800")}
        assert result.sales == {"RUB": Decimal("2800")} and result.fees == {"RUB": Decimal("830")}


async def test_stock_cover_from_the_last_14_and_30_days(sessionmaker):
    async with sessionmaker() as s:
        me, other, uzum, ozon, theirs = await seed(s)
        fast = Product(partner_id=me.id, sku="A", name="Alpha", stock=20)
        slow = Product(partner_id=me.id, sku="B", name="Beta", stock=30)
        idle = Product(partner_id=me.id, sku="C", name="Gamma", stock=5)
        s.add_all([fast, slow, idle])
        now = at(TODAY)
        order(s, uzum, 1, now - 86400, [("A", 14, "1")], currency="UZS")  # 1 a day over 14 days
        order(s, uzum, 2, now - 86400, [("A", 50, "1")], currency="UZS", state="cancelled")
        order(s, uzum, 3, now - 20 * 86400, [("B", 15, "1")], currency="UZS")  # only in the 30-day window
        await s.commit()
        ids = fast.id, slow.id, idle.id
        me_id = me.id

    async with sessionmaker() as s:
        cover = await analytics.covers(s, me_id, now)
        assert cover[ids[0]].days_left == pytest.approx(20.0)
        assert cover[ids[1]].per_day == {14: 0.0, 30: 0.5} and cover[ids[1]].days_left == pytest.approx(60.0)
        assert cover[ids[2]].days_left is None


def test_periods_and_typed_ranges():
    assert period_of(PeriodKind.LAST_MONTH, TODAY) == Period(date(2026, 10, 1), date(2026, 10, 31),
                                                             PeriodKind.LAST_MONTH)
    assert period_of(PeriodKind.THIS_MONTH, TODAY).days == 20
    assert Period(date(2026, 11, 1), date(2026, 11, 10)).previous() == Period(date(2026, 10, 22),
                                                                              date(2026, 10, 31))
    assert parse_range("01.11.2026 - 15.11.2026", TODAY) == Period(date(2026, 11, 1), date(2026, 11, 15))
    assert parse_range("2026-11-03", TODAY) == Period(date(2026, 11, 3), date(2026, 11, 3))
    assert parse_range("1.11.2026–5.11.2026", TODAY).days == 5
    for text, reason in (("yesterday", "format"), ("15.11.2026 - 01.11.2026", "order"),
                         ("01.11.2026 - 25.11.2026", "future"), ("01.01.2024 - 01.11.2026", "too_long"),
                         ("31.02.2026", "format")):
        with pytest.raises(BadRange) as caught:
            parse_range(text, TODAY)
        assert caught.value.reason == reason, text
