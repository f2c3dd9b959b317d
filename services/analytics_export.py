"""The analytics report as files: the period's orders line by line (with each line's sum and the order's total), and
one row per product and currency (units and revenue from the orders; fees, cost and profit from the marketplaces'
finance figures and the cost price; days of stock cover). An .xlsx with both sheets, or two CSV files.

Money stays per currency: every sum has its currency in the row, and no row adds two currencies. The units and
revenue of the product sheet are the orders' (not cancelled), so they add up to the report's totals.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import OrderState
from db.models import Order, OrderLine
from services import analytics, spreadsheets
from services.analytics import Period

CHUNK = 2000  # order lines read at a time

ORDER_COLUMNS = ("placed", "marketplace", "order", "state", "sku", "name", "quantity", "price", "line_sum",
                 "order_total", "currency")
PRODUCT_COLUMNS = ("sku", "name", "currency", "units", "revenue", "fees", "cost_price", "cost", "profit", "margin",
                   "stock", "days_of_cover")
HEADERS = {
    "en": {"placed": "Placed", "marketplace": "Marketplace", "order": "Order", "state": "State", "sku": "SKU",
           "name": "Name", "quantity": "Quantity", "price": "Price", "line_sum": "Line sum",
           "order_total": "Order total", "currency": "Currency", "units": "Units sold", "revenue": "Revenue",
           "fees": "Marketplace fees", "cost_price": "Cost price", "cost": "Cost of goods", "profit": "Gross profit",
           "margin": "Margin, %", "stock": "Stock", "days_of_cover": "Days of cover"},
    "ru": {"placed": "Дата заказа", "marketplace": "Маркетплейс", "order": "Заказ", "state": "Статус",
           "sku": "Артикул", "name": "Название", "quantity": "Кол-во", "price": "Цена", "line_sum": "Сумма строки",
           "order_total": "Сумма заказа", "currency": "Валюта", "units": "Продано, шт.", "revenue": "Выручка",
           "fees": "Комиссии и услуги", "cost_price": "Себестоимость", "cost": "Себестоимость продаж",
           "profit": "Валовая прибыль", "margin": "Маржа, %", "stock": "Остаток", "days_of_cover": "Хватит на дней"},
    "uz": {"placed": "Buyurtma sanasi", "marketplace": "Marketpleys", "order": "Buyurtma", "state": "Holati",
           "sku": "Artikul", "name": "Nomi", "quantity": "Soni", "price": "Narx", "line_sum": "Qator summasi",
           "order_total": "Buyurtma summasi", "currency": "Valyuta", "units": "Sotildi, dona", "revenue": "Tushum",
           "fees": "Komissiya va xizmatlar", "cost_price": "Tannarx", "cost": "Sotilgan tovar tannarxi",
           "profit": "Yalpi foyda", "margin": "Marja, %", "stock": "Qoldiq", "days_of_cover": "Necha kunga yetadi"},
}
SHEET_TITLES = {"en": ("Orders", "Products"), "ru": ("Заказы", "Товары"), "uz": ("Buyurtmalar", "Tovarlar")}


def _language(language: str | None) -> str:
    return language if language in HEADERS else "en"


def headers(columns: tuple[str, ...], language: str | None) -> list[str]:
    texts = HEADERS[_language(language)]
    return [texts[c] for c in columns]


async def order_rows(session: AsyncSession, partner_id: str, period: Period, tz: ZoneInfo,
                     marketplace: str | None = None) -> list[list]:
    """Every order line of the period (cancelled ones too, their state says so), oldest first."""
    start, end = period.bounds(tz)
    cond = [OrderLine.partner_id == partner_id, OrderLine.placed_at >= start, OrderLine.placed_at < end]
    if marketplace:
        cond.append(OrderLine.marketplace == marketplace)
    rows: list[list] = []
    after: tuple[int, str] | None = None
    while True:
        # keyset pages over (placed_at, line id): each page one indexed range read, however long the period
        query = (select(OrderLine.placed_at, OrderLine.id, OrderLine.marketplace, Order.external_id, OrderLine.state,
                        OrderLine.sku, OrderLine.name, OrderLine.quantity, OrderLine.price, Order.total,
                        OrderLine.currency)
                 .join(Order, Order.id == OrderLine.order_id).where(*cond)
                 .order_by(OrderLine.placed_at, OrderLine.id).limit(CHUNK))
        if after is not None:
            query = query.where(or_(OrderLine.placed_at > after[0],
                                    and_(OrderLine.placed_at == after[0], OrderLine.id > after[1])))
        page = list(await session.execute(query))
        for r in page:
            line_sum = r.price * (r.quantity or 0) if r.price is not None else None
            rows.append([datetime.fromtimestamp(r.placed_at, tz).strftime("%Y-%m-%d %H:%M"), r.marketplace,
                         r.external_id, r.state, r.sku, r.name, r.quantity, r.price, line_sum, r.total, r.currency])
        if len(page) < CHUNK:
            return rows
        after = (page[-1].placed_at, page[-1].id)


async def product_rows(session: AsyncSession, partner_id: str, period: Period, tz: ZoneInfo,
                       marketplace: str | None = None) -> list[list]:
    """Per product and currency: the orders' units and revenue, and the finance figures' fees, cost and profit."""
    start, end = period.bounds(tz)
    cond = [OrderLine.partner_id == partner_id, OrderLine.placed_at >= start, OrderLine.placed_at < end,
            OrderLine.state != OrderState.CANCELLED.value]
    if marketplace:
        cond.append(OrderLine.marketplace == marketplace)
    sold = {(sku or "", cur or ""): (name, int(units or 0), Decimal(revenue or 0))
            for sku, cur, name, units, revenue in await session.execute(
                select(OrderLine.sku, OrderLine.currency, func.max(OrderLine.name), func.sum(OrderLine.quantity),
                       func.sum(func.coalesce(OrderLine.price, 0) * OrderLine.quantity))
                .where(*cond).group_by(OrderLine.sku, OrderLine.currency))}
    figures = await analytics.profit(session, partner_id, period, marketplace)
    finance = {(p.sku, p.currency): p for p in figures.products + figures.without_cost}
    covers = {c.sku: c for c in (await analytics.covers(session, partner_id, time.time())).values()}
    rows = []
    for sku, cur in sorted(set(sold) | set(finance)):
        name, units, revenue = sold.get((sku, cur), ("", 0, Decimal(0)))
        item = finance.get((sku, cur))
        cover = covers.get(sku)
        rows.append([sku, (item.name if item and item.name else name) or (cover.name if cover else ""), cur, units,
                     revenue, item.fees if item else None, item.cost_price if item else None,
                     item.cost if item else None, item.profit if item else None,
                     round(item.margin, 1) if item and item.margin is not None else None,
                     cover.stock if cover else None,
                     round(cover.days_left, 1) if cover and cover.days_left is not None else None])
    return rows


async def build(session: AsyncSession, partner_id: str, period: Period, tz: ZoneInfo, marketplace: str | None,
                form: str, language: str | None) -> list[tuple[str, bytes]]:
    """(file name, bytes) of the export: one .xlsx with both sheets, or two .csv files. Encoded off the event loop."""
    orders = await order_rows(session, partner_id, period, tz, marketplace)
    products = await product_rows(session, partner_id, period, tz, marketplace)
    stem = f"sellercloudx-{period.first:%Y%m%d}-{period.last:%Y%m%d}" + (f"-{marketplace}" if marketplace else "")
    order_headers, product_headers = headers(ORDER_COLUMNS, language), headers(PRODUCT_COLUMNS, language)
    if form == "xlsx":
        titles = SHEET_TITLES[_language(language)]
        data = await asyncio.to_thread(spreadsheets.to_xlsx_sheets, [(titles[0], order_headers, iter(orders)),
                                                                     (titles[1], product_headers, iter(products))])
        return [(f"{stem}.xlsx", data)]
    # product names come from the marketplaces: a "=..." one must not run as a formula when the CSV is opened
    order_csv = await asyncio.to_thread(spreadsheets.to_csv, order_headers, _plain(orders),
                                        {ORDER_COLUMNS.index("name")})
    product_csv = await asyncio.to_thread(spreadsheets.to_csv, product_headers, _plain(products),
                                          {PRODUCT_COLUMNS.index("name")})
    return [(f"{stem}-orders.csv", order_csv), (f"{stem}-products.csv", product_csv)]


def _plain(rows: list[list]) -> Iterator[list]:
    """CSV has no cell types: margins and cover days as numbers with a decimal point."""
    for row in rows:
        yield [format(v, "f") if isinstance(v, float) else v for v in row]
