"""Stock cover: the days a product's stock lasts at the pace of its recent sales (order lines of the last 14 days,
else 30), and the "runs out in N days" alert — once per product per streak, again after the streak ends, kept (not
sent) when the partner muted it, read in the same few queries however many partners there are."""
from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import event, func, select, update

from db.models import JsonText, MarketplaceIntegration, Order, OrderLine, OutboxMessage, Partner, Product, now
from services import analytics, partners
from services.notifications import check_stock_cover
from services.outbox.records import AlertKind

DAY = 86400


async def seller(s, telegram_id: int, *, connected: bool = True) -> Partner:
    partner = Partner(telegram_id=telegram_id, language="en")
    s.add(partner)
    await s.flush()
    if connected:
        s.add(MarketplaceIntegration(partner_id=partner.id, marketplace="uzum", status="active", active=1,
                                     seller_id=str(telegram_id)))
    await s.flush()
    return partner


async def product(s, partner: Partner, sku: str, stock: int) -> Product:
    item = Product(partner_id=partner.id, sku=sku, name=f"Name {sku}", stock=stock)
    s.add(item)
    await s.flush()
    return item


async def sold(s, partner: Partner, sku: str, quantity: int, days_ago: float, *, state: str = "new",
               at: int) -> None:
    placed = int(at - days_ago * DAY)
    order = Order(integration_id=(await s.scalar(select(MarketplaceIntegration.id).where(
        MarketplaceIntegration.partner_id == partner.id))), partner_id=partner.id,
        external_id=f"{sku}-{quantity}-{days_ago}-{state}", status="x", state=state, placed_at=placed, items="[]")
    s.add(order)
    await s.flush()
    s.add(OrderLine(order_id=order.id, partner_id=partner.id, marketplace="uzum", sku=sku, name=sku,
                    quantity=quantity, state=state, placed_at=placed))
    await s.flush()


async def test_days_of_cover_from_order_lines(sessionmaker):
    at = now()
    async with sessionmaker() as s:
        me, other = await seller(s, 1), await seller(s, 2)
        fast = await product(s, me, "FAST", 20)  # 14 units in 14 days: 1 a day, 20 days
        slow = await product(s, me, "SLOW", 10)  # nothing in 14 days, 6 in 30: 0.2 a day, 50 days
        idle = await product(s, me, "IDLE", 7)  # only sold 40 days ago, and cancelled lines: nothing lately
        for days_ago in range(1, 8):
            await sold(s, me, "FAST", 2, days_ago, at=at)
        await sold(s, me, "FAST", 50, 2, state="cancelled", at=at)  # cancelled: not sold
        await sold(s, me, "SLOW", 6, 20, at=at)
        await sold(s, me, "IDLE", 9, 40, at=at)
        await sold(s, me, "IDLE", 3, 1, state="cancelled", at=at)
        await sold(s, other, "SLOW", 100, 1, at=at)  # another partner's SKU of the same name
        await s.commit()
        ids = fast.id, slow.id, idle.id

    async with sessionmaker() as s:
        covers = await analytics.covers(s, me.id, at)
        assert covers[ids[0]].per_day == {14: 1.0, 30: 14 / 30} and covers[ids[0]].days_left == 20
        assert covers[ids[1]].per_day[14] == 0 and round(covers[ids[1]].days_left, 6) == 50
        assert covers[ids[2]].days_left is None
        page = await analytics.covers(s, me.id, at, [ids[1]])  # one page of the list
        assert list(page) == [ids[1]] and page[ids[1]].days_left == covers[ids[1]].days_left


def platform(sessionmaker):
    return SimpleNamespace(sessionmaker=sessionmaker)


async def alerts(sessionmaker, status: str | None = None) -> list[OutboxMessage]:
    async with sessionmaker() as s:
        query = select(OutboxMessage).where(OutboxMessage.kind == AlertKind.RUNS_OUT.value)
        if status:
            query = query.where(OutboxMessage.status == status)
        return list(await s.scalars(query.order_by(OutboxMessage.created_at, OutboxMessage.dedupe_key)))


async def test_runs_out_alert_once_per_streak_then_again(sessionmaker):
    at = now() - 10 * DAY
    async with sessionmaker() as s:
        me = await seller(s, 10)
        offline = await seller(s, 11, connected=False)  # no marketplace: no alerts
        low = await product(s, me, "LOW", 5)  # 1 a day: 5 days left, within the default 7
        plenty = await product(s, me, "PLENTY", 100)
        empty = await product(s, me, "EMPTY", 0)  # out already: the low-stock alert said so
        await product(s, offline, "LOW", 1)
        for sku in ("LOW", "PLENTY", "EMPTY"):
            await sold(s, me, sku, 14, 3, at=at)
        await s.commit()
        low_id, plenty_id = low.id, plenty.id

    assert await check_stock_cover(platform(sessionmaker), at) == 1
    assert await check_stock_cover(platform(sessionmaker), at + 3600) == 0  # the next hour: the same streak
    (first,) = await alerts(sessionmaker)
    payload = JsonText.load(first.payload, {})
    assert (payload["sku"], payload["stock"], payload["days"], payload["horizon"]) == ("LOW", 5, 5, 7)
    assert payload["product_id"] == low_id and first.status == "pending" and first.dedupe_key == f"cover:{low_id}:{at}"

    # Restocked: the streak ends, quietly.
    async with sessionmaker() as s:
        await s.execute(update(Product).where(Product.id == low_id).values(stock=60))
        await s.commit()
    assert await check_stock_cover(platform(sessionmaker), at + 2 * 3600) == 0
    async with sessionmaker() as s:
        assert (await s.get(Product, low_id)).cover_alerted_at is None
    # Selling down again: a new streak, a new alert.
    async with sessionmaker() as s:
        await s.execute(update(Product).where(Product.id == low_id).values(stock=4))
        await s.commit()
    assert await check_stock_cover(platform(sessionmaker), at + 3 * 3600) == 1
    assert [a.dedupe_key for a in await alerts(sessionmaker)] == [f"cover:{low_id}:{at}",
                                                                  f"cover:{low_id}:{at + 3 * 3600}"]
    # A shorter horizon: 4 days left is not within 3; the streak ends.
    async with sessionmaker() as s:
        partner = await s.get(Partner, me.id)
        partners.set_runs_out_days(s, partner, 3)
        await s.commit()
    assert await check_stock_cover(platform(sessionmaker), at + 4 * 3600) == 0
    async with sessionmaker() as s:
        assert (await s.get(Product, low_id)).cover_alerted_at is None
        assert (await s.get(Product, plenty_id)).cover_alerted_at is None
    # Nothing sold for 30 days: no cover, no alert, however little is left.
    assert await check_stock_cover(platform(sessionmaker), at + 40 * DAY) == 0
    assert len(await alerts(sessionmaker)) == 2


async def test_a_muted_runs_out_alert_is_kept_not_sent(sessionmaker):
    at = now()
    async with sessionmaker() as s:
        me = await seller(s, 20)
        partners.toggle_alert(s, me, AlertKind.RUNS_OUT)
        await product(s, me, "LOW", 2)
        await sold(s, me, "LOW", 28, 1, at=at)
        await s.commit()
    assert await check_stock_cover(platform(sessionmaker), at) == 1
    assert [a.status for a in await alerts(sessionmaker)] == ["muted"]
    assert await check_stock_cover(platform(sessionmaker), at + 60) == 0  # still one per streak


async def test_the_check_reads_many_partners_in_the_same_few_queries(engine, sessionmaker, monkeypatch):
    from services import notifications

    at = now()
    async with sessionmaker() as s:
        for n in range(30):
            partner = await seller(s, 100 + n)
            for sku in ("A", "B", "C"):
                await product(s, partner, sku, 3)
                await sold(s, partner, sku, 14, 2, at=at)
        await s.commit()
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement.split()[0].upper())

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        monkeypatch.setattr(notifications, "COVER_PARTNERS_PER_BATCH", 1000)
        assert await check_stock_cover(platform(sessionmaker), at) == 90
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    selects = statements.count("SELECT")
    # the partners, their covers, the empty next batch — not a query per partner or product (an INSERT per alert)
    assert selects <= 4, statements
    async with sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Product).where(Product.cover_alerted_at.is_not(None))) == 90
