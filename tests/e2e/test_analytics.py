"""📊 Analytics end to end: a partner with orders on three marketplaces opens the report, switches period and
marketplace (the photo is edited in place), and the caption's numbers equal what the test sums itself from the
orders it created in the sandbox; the Excel export has the same totals; the daily summary arrives once at its time,
not again after a restart, and never to a partner without integrations."""
from __future__ import annotations

import io
import re
import time
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.analytics_texts import number
from db.models import MarketplaceIntegration, OrderLine, OutboxMessage, Partner, SyncRun
from sandbox.marketplaces.catalog import Lifecycle
from sandbox.marketplaces.orders import create_order
from services import analytics
from services.analytics import PeriodKind
from services.jobs import JobKind
from tests.e2e.conftest import connect, wait_for_text

TZ = ZoneInfo("Asia/Tashkent")
THREE = ("uzum", "yandex", "ozon")
SHOPS = {"uzum": "41002", "yandex": "21000002", "ozon": None}
CURRENCY = {"uzum": "UZS", "yandex": "RUB", "ozon": "RUB"}
CURRENCY_WORD = {"UZS": "UZS", "RUB": "₽"}  # as the English texts write them
PNG = b"\x89PNG\r\n\x1a\n"


class Texts:
    locale = "en"


def amount(value) -> str:
    return number(Texts, Decimal(value))


def place(orders, marketplace: str, lines, when: datetime, status: str = Lifecycle.NEW):
    """An order made in the sandbox, placed at `when` (as the order history of a shop that has been selling)."""
    order = create_order(orders.state, marketplace, lines, shop_id=SHOPS[marketplace])
    order.created_at = order.updated_at = when.timestamp()
    order.ship_by = when.timestamp() + 2 * 86400
    order.status = status
    return order


async def integrations(harness) -> dict[str, str]:
    async with harness.runtime.sessionmaker() as session:
        rows = await session.scalars(select(MarketplaceIntegration).where(MarketplaceIntegration.status == "active"))
        return {row.marketplace: row.id for row in rows}


def expected(orders, marketplaces=THREE) -> tuple[int, int, dict[str, int]]:
    """(orders, units, revenue per currency) of the sandbox orders, as a seller would add them up by hand."""
    count = units = 0
    revenue: dict[str, int] = defaultdict(int)
    for marketplace, order in orders:
        if marketplace not in marketplaces:
            continue
        count += 1
        if order.status == Lifecycle.CANCELLED:
            continue
        units += sum(line.quantity for line in order.lines)
        revenue[CURRENCY[marketplace]] += order.total
    return count, units, dict(revenue)


def caption_numbers(caption: str) -> tuple[int, int, dict[str, str]]:
    orders = int(re.search(r"Orders: ([\d,]+)", caption).group(1).replace(",", ""))
    units = int(re.search(r"Units sold: ([\d,]+)", caption).group(1).replace(",", ""))
    line = re.search(r"Revenue: (.+)", caption).group(1)
    revenue = {cur: m.group(1) for cur, word in CURRENCY_WORD.items()
               if (m := re.search(rf"([\d,.]+) {re.escape(word)} \(", line))}
    return orders, units, revenue


async def next_photo(user, timeout: float = 20.0):
    message = await user.next_update(timeout=timeout)
    while message.kind != "photo":
        message = await user.next_update(timeout=timeout)
    return message


async def test_report_switches_in_place_and_adds_up(harness):
    user = await harness.registered(9601)
    for marketplace in THREE:
        await connect(user, marketplace)
    now = datetime.now(TZ)
    today_noon = now.replace(hour=0, minute=5, second=0, microsecond=0)
    made = []
    for marketplace in THREE:
        made.append((marketplace, place(harness.marketplaces, marketplace, [(3, 2), (7, 1)], today_noon)))
        made.append((marketplace, place(harness.marketplaces, marketplace, [(5, 1)], today_noon - timedelta(days=2))))
        made.append((marketplace, place(harness.marketplaces, marketplace, [(9, 4)], today_noon - timedelta(days=3),
                                        Lifecycle.CANCELLED)))
    made.append(("uzum", place(harness.marketplaces, "uzum", [(1, 1)], today_noon - timedelta(days=12),
                               Lifecycle.DELIVERED)))
    ids = await integrations(harness)
    for marketplace in THREE:
        await harness.runtime.jobs.run(JobKind.ORDERS, ids[marketplace])
    async with harness.runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count(func.distinct(OrderLine.order_id)))) == len(made)

    await user.send("/menu")
    await wait_for_text(user, "Main menu")
    await user.press("📊 Analytics")
    report = await next_photo(user)
    assert report.document_bytes.startswith(PNG)
    week = [(m, o) for m, o in made if o.created_at >= (today_noon - timedelta(days=6)).timestamp()]
    count, units, revenue = expected(week)
    got = caption_numbers(report.caption)
    assert got[:2] == (count, units), report.caption
    assert got[2] == {cur: amount(v) for cur, v in revenue.items()}, report.caption
    assert "Uzum Market" in report.caption and "Ozon" in report.caption  # the split by marketplace

    # Today: the same message's photo and caption are replaced.
    await user.press("Today", message=report)
    edited = await user.next_update(timeout=20)
    assert edited.message_id == report.message_id and edited.edited and edited.kind == "photo"
    today = [(m, o) for m, o in made if o.created_at >= today_noon.replace(minute=0).timestamp()]
    count, units, revenue = expected(today)
    got = caption_numbers(edited.caption)
    assert got == (count, units, {cur: amount(v) for cur, v in revenue.items()}), edited.caption
    assert edited.document_bytes.startswith(PNG) and edited.document_bytes != report.document_bytes

    # The period already shown: nothing is redrawn.
    await user.press("✅ Today", message=edited)
    await user.wait_callback_answer()
    assert next(m for m in user.messages() if m.message_id == report.message_id).caption == edited.caption

    # One marketplace, 30 days: Ozon only (rubles only).
    current = next(m for m in user.messages() if m.message_id == report.message_id)
    await user.press("30 days", message=current)
    current = await user.next_update(timeout=20)
    await user.press("Ozon", message=current)
    ozon = await user.next_update(timeout=20)
    assert ozon.message_id == report.message_id
    count, units, revenue = expected(made, ("ozon",))
    assert caption_numbers(ozon.caption) == (count, units, {"RUB": amount(revenue["RUB"])}), ozon.caption
    assert "UZS" not in ozon.caption

    # The Excel export of all marketplaces, 30 days: the same totals as the sandbox's orders.
    await user.press("All marketplaces", message=ozon)
    current = await user.next_update(timeout=20)
    await user.press("📥 Excel", message=current)
    document = await user.next_update(timeout=20)
    while document.kind != "document":
        document = await user.next_update(timeout=20)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(document.document_bytes), read_only=True)
    orders_sheet, products_sheet = book.worksheets
    header, *rows = list(orders_sheet.iter_rows(values_only=True))
    col = {name: header.index(name) for name in ("Order", "State", "Quantity", "Line sum", "Currency")}
    count, units, revenue = expected(made)
    assert len({r[col["Order"]] for r in rows}) == count
    sold = [r for r in rows if r[col["State"]] != "cancelled"]
    assert sum(r[col["Quantity"]] for r in sold) == units
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for r in sold:
        sums[r[col["Currency"]]] += Decimal(str(r[col["Line sum"]]))
    assert sums == {cur: Decimal(v) for cur, v in revenue.items()}
    header, *rows = list(products_sheet.iter_rows(values_only=True))
    per_currency: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        per_currency[r[header.index("Currency")]] += Decimal(str(r[header.index("Revenue")]))
    assert per_currency == {cur: Decimal(v) for cur, v in revenue.items()}
    assert sum(r[header.index("Units sold")] for r in rows) == units

    # 💰 Profit, once Uzum's finance report was read: the service's figures, products without a cost price apart.
    await harness.runtime.jobs.run(JobKind.FINANCE, ids["uzum"])
    async with harness.runtime.sessionmaker() as session:
        partner = await session.scalar(select(Partner).where(Partner.telegram_id == 9601))
        figures = await analytics.profit(session, partner.id, analytics.period_of(PeriodKind.DAYS_30, now.date()))
    await user.press("💰 Profit", message=current)
    text = (await wait_for_text(user, "Profit", timeout=20)).text
    assert figures.sales, "the sandbox's Uzum books hold the delivered order"
    for currency, value in figures.sales.items():
        assert amount(value) in text, (currency, text)
    assert f"{len(figures.without_cost)} products have no cost price" in text and "Cost price" in text

    # 📋 Top 10 under the same report: by units, product 3 (two in each marketplace's order today) comes first, and
    # the cancelled order's product 9 is not counted.
    await user.press("📋 Top 10", message=current)
    top = await wait_for_text(user, "Top products", timeout=20)
    units = top.text.split("By units sold:")[1].strip().splitlines()
    assert units[0].startswith("1. ") and "000003" in units[0] and "6" in units[0], top.text
    assert "000009" not in top.text
    assert "📊 Back to the report" in top.button_texts(), top.button_texts()


async def test_a_typed_range_and_buttons_it_could_not_have(harness):
    user = await harness.registered(9602)
    await connect(user, "uzum")
    await user.send("/menu")
    await wait_for_text(user, "Main menu")
    await user.press("📊 Analytics")
    report = await next_photo(user)
    await user.press("📅 Custom dates", message=report)
    await wait_for_text(user, "Type the dates")
    await user.send("31.02.2026 - yesterday")
    bad = await wait_for_text(user, "could not read")
    assert "For example" in bad.text and "Back" in " ".join(bad.button_texts())
    await user.send("05.11.2026 - 01.11.2026")
    await wait_for_text(user, "after the second")
    await user.send("01.11.2026 - 15.11.2026")
    custom = await next_photo(user)
    assert "01.11.2026 – 15.11.2026" in custom.caption

    # A marketplace the partner never connected, an unknown period: refused, nothing changes.
    callback = await user.forge_callback("an:show:7d:ozon:d:", message_id=custom.message_id)
    answer = await user.wait_callback_answer(callback)
    assert "out of date" in answer["text"]
    callback = await user.forge_callback("an:show:99d::d:", message_id=custom.message_id)
    assert "out of date" in (await user.wait_callback_answer(callback))["text"]
    assert not next(m for m in user.messages() if m.message_id == custom.message_id).edited

    # 🔄 Update figures: the marketplace's finance report is read now.
    await user.press("🔄 Update figures", message=custom)
    assert "being read again" in (await user.wait_callback_answer())["text"]
    await harness.runtime.jobs.wait_idle()
    async with harness.runtime.sessionmaker() as session:
        runs = list(await session.scalars(select(SyncRun.status).where(SyncRun.kind == JobKind.FINANCE.value)))
    assert runs == ["ok"]


async def test_daily_summary_once_at_its_time_not_after_a_restart_never_without_integrations(harness):
    from bot.runtime import prepare
    from services import summaries

    seller = await harness.registered(9611)
    await connect(seller, "uzum")
    idle = await harness.registered(9612)  # registered, nothing connected

    # The seller picks 08:00 in the notification settings.
    await seller.send("/menu")
    await wait_for_text(seller, "Main menu")
    await seller.press("Notifications")
    settings = await wait_for_text(seller, "Summary: every day at 09:00")
    await seller.press("🗓 Daily summary", message=settings)
    await wait_for_text(seller, "yesterday's figures")
    await seller.press("08:00")
    await wait_for_text(seller, "every day at 08:00")

    today = datetime.now(TZ).date()
    yesterday = datetime.combine(today - timedelta(days=1), datetime.min.time(), TZ)
    made = [("uzum", place(harness.marketplaces, "uzum", [(3, 2), (4, 1)], yesterday + timedelta(hours=10))),
            ("uzum", place(harness.marketplaces, "uzum", [(6, 1)], yesterday + timedelta(hours=20))),
            ("uzum", place(harness.marketplaces, "uzum", [(8, 1)], yesterday + timedelta(hours=11),
                           Lifecycle.CANCELLED))]
    before = [("uzum", place(harness.marketplaces, "uzum", [(3, 1)], yesterday - timedelta(hours=5)))]
    ids = await integrations(harness)
    await harness.runtime.jobs.run(JobKind.ORDERS, ids["uzum"])

    at = datetime.combine(today, datetime.min.time(), TZ).timestamp() + 8 * 3600  # 08:00 the seller's time
    sessionmaker = harness.runtime.sessionmaker
    assert await summaries.queue_due(sessionmaker, at - 60) == 0  # 07:59: not yet
    assert await summaries.queue_due(sessionmaker, at + 20) == 1  # the seller only: idle has no integration
    assert await summaries.queue_due(sessionmaker, at + 80) == 0  # the next minute's run: already queued today
    await harness.runtime.sender.drain_once()
    summary = await next_photo(seller)
    assert summary.document_bytes.startswith(PNG)
    assert f"Yesterday, {yesterday:%d.%m.%Y}" in summary.caption
    count, units, revenue = expected(made)
    assert caption_numbers(summary.caption) == (count, units, {"UZS": amount(revenue["UZS"])}), summary.caption
    assert "Orders: 3 (▲ 200%)" in summary.caption  # against the day before's one order
    assert "📊 Open analytics" in summary.button_texts()

    # A restart (a new process on the same database): its timer finds nothing to send today.
    restarted = await prepare(harness.runtime.settings, with_scheduler=False)
    try:
        assert await summaries.queue_due(restarted.sessionmaker, at + 600) == 0
        assert await restarted.sender.drain_once() == 0
    finally:
        await restarted.close()
    assert len(harness.telegram.photos(seller.chat_id)) == 1
    assert not harness.telegram.photos(idle.chat_id)
    async with sessionmaker() as session:
        kinds = list(await session.scalars(select(OutboxMessage.kind).where(OutboxMessage.chat_id == idle.chat_id)))
    assert kinds == []

    # Forged summary settings: refused, nothing saved.
    callback = await seller.forge_callback("sm:time:61")
    assert "out of date" in (await seller.wait_callback_answer(callback))["text"]
    callback = await seller.forge_callback("sm:mode:hourly")
    assert "out of date" in (await seller.wait_callback_answer(callback))["text"]

    # The button under it opens yesterday's report.
    await seller.press("📊 Open analytics", message=summary)
    report = await next_photo(seller)
    assert caption_numbers(report.caption) == (count, units, {"UZS": amount(revenue["UZS"])})
