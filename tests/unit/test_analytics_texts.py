"""What the partner reads on the analytics screen and in the summary: numbers grouped their language's way, money per
currency with its local name and never added across currencies, Δ % against the previous period, captions within
Telegram's 1024 characters, and charts that are real PNGs sized for a phone."""
from __future__ import annotations

import struct
from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot import analytics_texts as at
from bot import sales_charts
from bot.alert_texts import picture, render
from bot.i18n import Texts, load_texts_core
from services import summaries
from services.analytics import Period, PeriodKind, ProductFigure, Profit, ProductProfit, Report, Totals
from services.outbox.records import Alert, AlertKind, Recipient

CORE = load_texts_core()
PNG = b"\x89PNG\r\n\x1a\n"


def texts(locale: str) -> Texts:
    return Texts(CORE, locale)


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG)
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("locale, expected", [
    ("en", "1,249,990 UZS"), ("ru", "1\u00a0249\u00a0990 сум"), ("uz", "1\u00a0249\u00a0990 so'm")])
def test_money_in_each_language(locale, expected):
    assert at.money(texts(locale), Decimal("1249990"), "UZS") == expected


def test_decimals_only_where_there_are_any_and_rubles():
    assert at.money(texts("en"), Decimal("1249.5"), "RUB") == "1,249.50 ₽"
    assert at.money(texts("ru"), Decimal("1249.5"), "RUB") == "1\u00a0249,50 ₽"
    assert at.money(texts("en"), Decimal("7"), "KZT") == "7 KZT"  # a currency without a local name: its code


def test_currencies_are_never_added():
    shown = at.moneys(texts("en"), {"UZS": Decimal(1_200_000), "RUB": Decimal(35_400)})
    assert shown == "35,400 ₽ · 1,200,000 UZS"


@pytest.mark.parametrize("now, before, expected", [
    (120, 100, "▲ 20%"), (95, 100, "▼ 5.0%"), (100, 100, "= 0%"), (5, 0, "—"), (0, 0, "—"),
    (Decimal("250.5"), Decimal(100), "▲ 151%")])
def test_delta_against_the_previous_period(now, before, expected):
    assert at.delta(texts("en"), now, before) == expected


def test_delta_uses_the_languages_decimal_comma():
    assert at.delta(texts("ru"), 95, 100) == "▼ 5,0%"


def _report(marketplace=None, products: int = 3) -> Report:
    period = Period(date(2026, 11, 1), date(2026, 11, 7), PeriodKind.DAYS_7)
    now = Totals(orders=40, cancelled=4, returned=2, units=55, revenue={"UZS": Decimal(12_500_000), "RUB": Decimal(81_000)},
                 paid_orders={"UZS": 20, "RUB": 16})
    before = Totals(orders=32, cancelled=2, returned=0, units=50, revenue={"UZS": Decimal(10_000_000)},
                    paid_orders={"UZS": 30})
    figures = [ProductFigure(f"SKU-{n}", "Кроссовки oʻgʻil bolalar uchun " * 3, 10 - n, {"UZS": Decimal(100_000 * n)})
               for n in range(products)]
    daily = {period.first + timedelta(days=n): {"uzum": (3, {"UZS": Decimal(1_000_000)}),
                                                 "ozon": (2, {"RUB": Decimal(11_000)})} for n in range(7)}
    return Report(period, marketplace, now, before,
                  {"uzum": {"UZS": Decimal(12_500_000)}, "ozon": {"RUB": Decimal(50_000)},
                   "yandex": {"RUB": Decimal(31_000)}},
                  {"UZS": figures}, figures, daily)


@pytest.mark.parametrize("locale", ["en", "ru", "uz"])
def test_caption_has_the_key_numbers_within_telegrams_limit(locale):
    caption = at.caption(texts(locale), _report())
    assert len(caption) <= at.CAPTION_LIMIT
    grouped = "12,500,000" if locale == "en" else "12\u00a0500\u00a0000"
    assert grouped in caption and "▲ 25%" in caption  # revenue, orders 40 against 32
    assert "(62%)" in caption and "(38%)" in caption  # Ozon and Yandex of the rubles; Uzum alone in sums
    assert "Ozon" in caption


def test_top_and_profit_texts_fit_a_message_whatever_the_catalog():
    t = texts("en")
    assert len(at.top_text(t, _report(products=10))) < 4096
    items = [ProductProfit(f"S{n}", "A long product name " * 4, "UZS", 3, Decimal(90_000), Decimal(9_000),
                           Decimal(20_000)) for n in range(300)]
    bare = [ProductProfit(f"N{n}", "No cost", "RUB", 1, Decimal(500), Decimal(50), None) for n in range(40)]
    profit = Profit(items, bare, {"UZS": Decimal(27_000_000), "RUB": Decimal(20_000)},
                    {"UZS": Decimal(2_700_000)}, {"UZS": Decimal(100_000)}, {"UZS": Decimal(6_200_000)},
                    {"RUB": Decimal(20_000)})
    text = at.profit_text(t, profit, _report().period, None)
    assert len(text) < 4096
    assert "40 products have no cost price" in text and "cost price" in text.split("\n")[-1].lower()
    assert "…and" in text  # the products that did not fit are counted, not dropped silently


def test_charts_are_phone_sized_pngs():
    t = texts("ru")
    report = _report()
    for view in at.ChartView.ALL:
        chart = at.chart_for(t, report, view)
        width, height = png_size(chart.function(*chart.args))
        assert width == 1080 and 700 <= height <= 1700, (view, width, height)
    empty = at.daily_chart(t, {date(2026, 11, 1): {}})
    assert png_size(empty.function(*empty.args))[0] == 1080


def test_daily_chart_draws_a_panel_per_currency():
    chart = at.daily_chart(texts("en"), _report().daily)
    days, panels, _ = chart.args
    assert len(days) == 7 and [p.title for p in panels] == ["Orders", "Revenue, ₽", "Revenue, UZS"]
    assert [s.key for s in panels[1].stacks] == ["ozon"] and [s.key for s in panels[2].stacks] == ["uzum"]
    assert len(sales_charts._thin([str(n) for n in range(31)])) == 31


def test_summary_alert_renders_as_a_caption_with_a_chart():
    report = _report()
    payload = {"mode": "daily", "first": "2026-11-07", "last": "2026-11-07",
               "now": summaries.totals_to_data(report.totals), "before": summaries.totals_to_data(report.before),
               "by_marketplace": {"uzum": {"UZS": "12500000"}}, "daily": summaries.daily_to_data(report.daily),
               "running_out": [{"sku": "A", "name": "<Alpha>", "stock": 2, "days": 1.4},
                               {"sku": "B", "name": "Beta", "stock": 0, "days": 0}],
               "running_out_count": 9,
               "failing": [{"integration_id": "i", "marketplace": "ozon", "shop": "Shop", "streak": 4}],
               "expiring": [{"integration_id": "j", "marketplace": "wildberries", "shop": "WB", "days": 3}]}
    alert = Alert("1", "p", 1, AlertKind.SUMMARY, payload, 0, 0, 0)
    recipient = Recipient("p", 1, "en", "Asia/Tashkent", None)
    text, markup = render([alert], texts("en"), recipient)
    assert len(text) <= at.CAPTION_LIMIT
    assert "Yesterday, 07.11.2026" in text and "&lt;Alpha&gt;: 2 left" in text and "Beta: out of stock" in text
    assert "…and 7 more" in text and "Ozon · Shop: sync failing (4 times" in text and "expires in 3 days" in text
    assert markup.inline_keyboard[0][0].callback_data == "an:open:yesterday::d:"
    chart = picture([alert], texts("en"), recipient)
    assert png_size(chart.function(*chart.args))[0] == 1080
    assert picture([Alert("2", "p", 1, AlertKind.LOW_STOCK, {}, 0, 0, 0)], texts("en"), recipient) is None
