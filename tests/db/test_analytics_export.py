"""The analytics export: the period's order lines with their sums, and per product the orders' units and revenue with
the finance figures' fees, cost and profit and the days of cover — the same numbers in .xlsx and .csv, another
partner's rows never in it, currencies never in one row."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from db.models import FinanceRecord, MarketplaceIntegration, Order, OrderLine, Partner, Product
from services import analytics_export
from services.analytics import Period

TZ = ZoneInfo("Asia/Tashkent")
DAY = date.today()


async def _shop(sessionmaker) -> str:
    placed = int(datetime.combine(DAY, datetime.min.time(), TZ).timestamp()) + 3600
    async with sessionmaker() as s:
        me, other = Partner(telegram_id=71, language="ru"), Partner(telegram_id=72)
        s.add_all([me, other])
        await s.flush()
        for partner in (me, other):
            uzum = MarketplaceIntegration(partner_id=partner.id, marketplace="uzum", status="active", seller_id="1")
            ozon = MarketplaceIntegration(partner_id=partner.id, marketplace="ozon", status="active", seller_id="2")
            s.add_all([uzum, ozon])
            await s.flush()
            for n, (integration, currency, sku, quantity, price, state) in enumerate([
                    (uzum, "UZS", "A", 2, "50000", "new"), (uzum, "UZS", "=B", 1, "20000", "cancelled"),
                    (ozon, "RUB", "A", 3, "700.50", "done")]):
                order = Order(integration_id=integration.id, partner_id=partner.id, external_id=f"N{n}", status="x",
                              state=state, placed_at=placed + n, total=Decimal(price) * quantity, currency=currency,
                              items="[]")
                s.add(order)
                await s.flush()
                s.add(OrderLine(order_id=order.id, partner_id=partner.id, marketplace=integration.marketplace,
                                sku=sku, name="Товар A" if sku == "A" else '=HYPERLINK("x")', quantity=quantity,
                                price=Decimal(price),
                                currency=currency, state=state, placed_at=placed + n))
            for kind, amount, sku in (("sale", "100000", "A"), ("commission", "12000", "A"), ("storage", "3000", None)):
                s.add(FinanceRecord(integration_id=uzum.id, partner_id=partner.id, marketplace="uzum",
                                    day=DAY.isoformat(), kind=kind, amount=Decimal(amount), currency="UZS",
                                    key=f"{kind}-{sku}", sku=sku, quantity=2 if kind == "sale" else None))
            s.add_all([Product(partner_id=partner.id, sku="A", name="Товар A", stock=10, cost_price=Decimal(30000)),
                       Product(partner_id=partner.id, sku="B", name="Товар B", stock=0)])
        await s.commit()
        return me.id


async def test_xlsx_and_csv_carry_the_same_figures(sessionmaker):
    me = await _shop(sessionmaker)
    period = Period(DAY, DAY)
    async with sessionmaker() as s:
        [(name, data)] = await analytics_export.build(s, me, period, TZ, None, "xlsx", "ru")
        csv_files = await analytics_export.build(s, me, period, TZ, None, "csv", "ru")
    assert name.endswith(".xlsx")
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert [ws.title for ws in book.worksheets] == ["Заказы", "Товары"]
    orders = list(book.worksheets[0].iter_rows(values_only=True))
    assert orders[0][:4] == ("Дата заказа", "Маркетплейс", "Заказ", "Статус")
    assert [(r[2], r[3], r[8], r[10]) for r in orders[1:]] == [
        ("N0", "new", 100000, "UZS"), ("N1", "cancelled", 20000, "UZS"), ("N2", "done", 2101.5, "RUB")]
    products = {(r[0], r[2]): r for r in list(book.worksheets[1].iter_rows(values_only=True))[1:]}
    uzum_a = products[("A", "UZS")]
    # units 2 and revenue 100,000 from the orders; fees 12,000, cost 2 x 30,000, profit 100,000 - 12,000 - 60,000
    assert uzum_a[3:10] == (2, 100000, 12000, 30000, 60000, 28000, 28.0)
    assert uzum_a[10] == 10 and uzum_a[11] is not None  # stock and days of cover
    assert products[("A", "RUB")][3:5] == (3, 2101.5) and products[("A", "RUB")][5] is None  # no finance lines
    assert ("=B", "UZS") not in products  # only cancelled: nothing sold
    assert orders[2][5] == '=HYPERLINK("x")'  # an .xlsx text cell, never a formula

    (orders_name, orders_csv), (products_name, products_csv) = csv_files
    assert orders_name.endswith("-orders.csv") and products_name.endswith("-products.csv")
    rows = list(csv.reader(io.StringIO(orders_csv.decode("utf-8-sig"))))
    assert [r[8] for r in rows[1:]] == ["100000.00", "20000.00", "2101.50"]
    assert rows[2][5] == "'=HYPERLINK(\"x\")"  # CSV: the apostrophe keeps it text
    rows = {(r[0], r[2]): r for r in list(csv.reader(io.StringIO(products_csv.decode("utf-8-sig"))))[1:]}
    assert [Decimal(v) for v in rows[("A", "UZS")][3:10]] == [2, 100000, 12000, 30000, 60000, 28000, Decimal("28.0")]
