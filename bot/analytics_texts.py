"""The words and numbers of the analytics screen and the daily summary, in the partner's language: money per
currency (never added across currencies) with the language's grouping and currency name, Δ % against the previous
period, and the charts' plain data (bot/sales_charts.py) with their labels.

`texts` is anything with `.get(key, **kwargs)` and `.locale`: a handler's I18nContext or bot.i18n.Texts.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from aiogram_i18n.exceptions import KeyNotFoundError

from bot import sales_charts
from bot import summary_chart as week_chart
from bot.formatting import esc
from connectors.base import Marketplace
from services.analytics import Money, Period, PeriodKind, Profit, Report, Totals, change

CAPTION_LIMIT = 1024  # Telegram's limit for a photo's caption (visible characters)
CAPTION_BUDGET = 1000  # measured on the raw HTML (always >= the visible text)
TEXT_BUDGET = 3900  # a text message, under Telegram's 4096
MARKETPLACES = tuple(m.value for m in Marketplace)
TOP_SHOWN = 10
NAME_SHOWN = 40  # a product name in a list

# Grouping and decimal marks per language: English 1,249,990.50; Russian and Uzbek 1 249 990,50 (a no-break space,
# so a sum never wraps inside a number).
_MARKS = {"en": (",", "."), "ru": ("\u00a0", ","), "uz": ("\u00a0", ",")}


def _locale(texts) -> str:
    return getattr(texts, "locale", None) or "en"


def number(texts, value: Decimal | int | float, places: int | None = None) -> str:
    """A number in the partner's language: grouped thousands; decimals only where there are any (or `places`)."""
    group, point = _MARKS.get(_locale(texts), _MARKS["en"])
    value = Decimal(str(value))
    if places is None:
        places = 0 if value == value.to_integral_value() else 2
    value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{value:,.{places}f}"
    return text.replace(",", "\x00").replace(".", point).replace("\x00", group)


def currency_name(texts, currency: str) -> str:
    """so'm / сум / UZS, ₽ ...: the currency as the partner's language writes it; an unknown one as its code."""
    try:
        return texts.get(f"analytics-currency-{currency.lower()}")
    except KeyNotFoundError:
        return esc(currency)


def money(texts, value, currency: str) -> str:
    return f"{number(texts, value)} {currency_name(texts, currency)}"


def moneys(texts, amounts: Mapping[str, Decimal]) -> str:
    """Sums in several currencies side by side, never added: "1 200 000 so'm · 35 400 ₽"."""
    shown = [money(texts, amount, currency) for currency, amount in sorted(amounts.items())]
    return " · ".join(shown) if shown else "0"


def delta(texts, now, before) -> str:
    """▲ 12% / ▼ 3,5% / = 0% against the previous period; "—" when there is nothing to compare with."""
    value = change(now, before)
    if value is None:
        return "—"
    if abs(value) < 0.05:
        return "= 0%"
    arrow = "▲" if value > 0 else "▼"
    return f"{arrow} {number(texts, abs(value), 0 if abs(value) >= 10 else 1)}%"


def share(texts, part: int, whole: int) -> str:
    return f"{number(texts, Decimal(part) * 100 / whole, 0 if part * 10 >= whole else 1)}%" if whole else "—"


def period_code(period: Period) -> str:
    """A period as bot.callbacks.AnalyticsCb carries it: a PeriodKind value, or a typed range YYYYMMDD-YYYYMMDD."""
    if period.kind != PeriodKind.CUSTOM:
        return period.kind.value
    return f"{period.first:%Y%m%d}-{period.last:%Y%m%d}"


def day(value: date) -> str:
    return value.strftime("%d.%m.%Y")


def period_name(texts, period: Period) -> str:
    names = {PeriodKind.TODAY: "analytics-period-today", PeriodKind.YESTERDAY: "analytics-period-yesterday",
             PeriodKind.DAYS_7: "analytics-period-7d", PeriodKind.DAYS_30: "analytics-period-30d",
             PeriodKind.THIS_MONTH: "analytics-period-month", PeriodKind.LAST_MONTH: "analytics-period-last_month"}
    dates = day(period.first) if period.first == period.last else f"{day(period.first)} – {day(period.last)}"
    if period.kind in names:
        return f"{texts.get(names[period.kind])} ({dates})"
    return dates


def marketplace_name(texts, marketplace: str | None) -> str:
    if not marketplace:
        return texts.get("analytics-mp-all")
    return texts.get(f"mp-{marketplace}") if marketplace in MARKETPLACES else esc(marketplace)


# ------------------------------------------------------------------------------------------------ figures

def _money_delta(texts, now: Money, before: Money) -> str:
    if not now and not before:
        return "0"
    parts = [f"{money(texts, now.get(cur, 0), cur)} ({delta(texts, now.get(cur, 0), before.get(cur, 0))})"
             for cur in sorted(set(now) | set(before))]
    return " · ".join(parts)


def totals_lines(texts, now: Totals, before: Totals) -> list[str]:
    """The key numbers with their Δ % against the previous period (the caption's core, the summary's too)."""
    return [
        texts.get("analytics-orders", count=number(texts, now.orders), change=delta(texts, now.orders, before.orders)),
        texts.get("analytics-units", count=number(texts, now.units), change=delta(texts, now.units, before.units)),
        texts.get("analytics-revenue", amount=_money_delta(texts, now.revenue, before.revenue)),
        texts.get("analytics-average", amount=_money_delta(texts, now.average_order, before.average_order)),
        texts.get("analytics-cancelled", count=number(texts, now.cancelled), share=share(texts, now.cancelled, now.orders),
                  change=delta(texts, now.cancelled, before.cancelled)),
        texts.get("analytics-returned", count=number(texts, now.returned), share=share(texts, now.returned, now.orders),
                  change=delta(texts, now.returned, before.returned)),
    ]


def split_lines(texts, by_marketplace: Mapping[str, Money]) -> list[str]:
    """Revenue per marketplace, with its share of its currency's total (shares never mix currencies)."""
    if len(by_marketplace) < 2:
        return []
    per_currency: dict[str, Decimal] = {}
    for amounts in by_marketplace.values():
        for cur, amount in amounts.items():
            per_currency[cur] = per_currency.get(cur, Decimal(0)) + amount
    lines = [texts.get("analytics-split-title")]
    for mp in sorted(by_marketplace, key=lambda m: MARKETPLACES.index(m) if m in MARKETPLACES else 99):
        parts = []
        for cur, amount in sorted(by_marketplace[mp].items()):
            whole = per_currency.get(cur) or Decimal(0)
            part = f" ({number(texts, amount * 100 / whole, 0)}%)" if whole and len(_sellers(by_marketplace, cur)) > 1 else ""
            parts.append(money(texts, amount, cur) + part)
        lines.append(f"• {marketplace_name(texts, mp)}: {' · '.join(parts)}")
    return lines


def _sellers(by_marketplace: Mapping[str, Money], currency: str) -> list[str]:
    return [mp for mp, amounts in by_marketplace.items() if amounts.get(currency)]


def _fit(lines: Sequence[str], budget: int, more: Callable[[int], str] | None = None) -> str:
    """Join lines while they fit the budget; the rest summarised by `more(count)`."""
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        left = len(lines) - index - 1
        reserve = len(more(left)) + 1 if (more and left) else 0
        if used + len(line) + 1 + reserve > budget:
            if more:
                kept.append(more(len(lines) - index))
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def caption(texts, report: Report) -> str:
    """The photo's caption: period, marketplace, the key numbers and the split by marketplace, within 1024."""
    head = [texts.get("analytics-title", period=period_name(texts, report.period),
                      marketplace=marketplace_name(texts, report.marketplace))]
    body = totals_lines(texts, report.totals, report.before)
    if report.marketplace is None:
        body += split_lines(texts, report.by_marketplace)
    if not report.totals.orders and not report.before.orders:
        body = [texts.get("analytics-no-orders")]
    lines = head + [""] + body + ["", texts.get("analytics-compared", period=period_name(texts, report.period.previous()))]
    return _fit(lines, CAPTION_BUDGET)


def top_text(texts, report: Report) -> str:
    """The top 10 products by revenue (per currency) and by units, as a text message."""
    lines = [texts.get("analytics-top-title", period=period_name(texts, report.period),
                       marketplace=marketplace_name(texts, report.marketplace))]
    for cur, items in sorted(report.top_revenue.items()):
        lines += ["", texts.get("analytics-top-revenue", currency=currency_name(texts, cur))]
        lines += [f"{n}. {_name(p.name, p.sku)} — {money(texts, p.revenue[cur], cur)}"
                  for n, p in enumerate(items[:TOP_SHOWN], 1)]
    if report.top_units:
        lines += ["", texts.get("analytics-top-units")]
        lines += [f"{n}. {_name(p.name, p.sku)} — {texts.get('analytics-units-short', count=number(texts, p.units))}"
                  for n, p in enumerate(report.top_units[:TOP_SHOWN], 1)]
    else:
        lines += ["", texts.get("analytics-no-orders")]
    return _fit(lines, TEXT_BUDGET)


def _name(name: str | None, sku: str | None) -> str:
    shown = (name or sku or "—").strip()
    shown = shown if len(shown) <= NAME_SHOWN else shown[: NAME_SHOWN - 1] + "…"
    return f"{esc(shown)} (<code>{esc((sku or '—')[:40])}</code>)"


def profit_text(texts, profit: Profit, period: Period, marketplace: str | None) -> str:
    """Gross profit per product with a cost price and in total, per currency; products without one listed apart."""
    lines = [texts.get("analytics-profit-title", period=period_name(texts, period),
                       marketplace=marketplace_name(texts, marketplace))]
    if not profit.products and not profit.without_cost and not profit.fees:
        return "\n".join(lines + ["", texts.get("analytics-profit-none")])
    for cur in sorted(set(profit.sales) | set(profit.fees)):
        margin = profit.margin.get(cur)
        lines += ["", texts.get("analytics-profit-total", currency=currency_name(texts, cur),
                                sales=money(texts, profit.sales.get(cur, 0), cur),
                                fees=money(texts, profit.fees.get(cur, 0), cur),
                                profit=money(texts, profit.profit.get(cur, 0), cur),
                                margin=f"{number(texts, margin, 1)}%" if margin is not None else "—")]
        if profit.other_fees.get(cur):
            lines.append(texts.get("analytics-profit-other-fees", amount=money(texts, profit.other_fees[cur], cur)))
        if profit.revenue_without_cost.get(cur):
            lines.append(texts.get("analytics-profit-left-out",
                                   amount=money(texts, profit.revenue_without_cost[cur], cur)))
    product_lines = []
    for item in profit.products:
        product_lines.append("• " + texts.get(
            "analytics-profit-line", name=_name(item.name, item.sku), units=number(texts, item.units),
            sales=money(texts, item.sales, item.currency), fees=money(texts, item.fees, item.currency),
            cost=money(texts, item.cost or 0, item.currency), profit=money(texts, item.profit or 0, item.currency),
            margin=f"{number(texts, item.margin, 1)}%" if item.margin is not None else "—"))
    if product_lines:
        lines += ["", texts.get("analytics-profit-products")] + product_lines
    tail = []
    if profit.without_cost:
        tail = ["", texts.get("analytics-profit-no-cost", count=len(profit.without_cost))]
        tail += [f"• {_name(item.name, item.sku)} — {money(texts, item.sales, item.currency)}"
                 for item in profit.without_cost[:TOP_SHOWN]]
        if len(profit.without_cost) > TOP_SHOWN:
            tail.append(texts.get("analytics-more", count=len(profit.without_cost) - TOP_SHOWN))
        tail.append(texts.get("analytics-profit-cost-hint"))
    more = lambda count: texts.get("analytics-more", count=count)  # noqa: E731
    tail_text = "\n".join(tail)
    return _fit(lines, TEXT_BUDGET - len(tail_text), more) + ("\n" + tail_text if tail_text else "")


# ------------------------------------------------------------------------------------------------ charts

@dataclass(frozen=True)
class Chart:
    """A chart to draw off the loop: `bot.charts.draw(chart.function, *chart.args)`."""

    function: Callable[..., bytes]
    args: tuple[Any, ...]


class ChartView:
    DAILY = "d"
    SHARE = "s"
    TOP = "t"
    ALL = ("d", "s", "t")


def _short_day(value: date) -> str:
    return value.strftime("%d.%m")


def _order_of(mp: str) -> int:
    return MARKETPLACES.index(mp) if mp in MARKETPLACES else len(MARKETPLACES)


def daily_chart(texts, daily: Mapping[date, Mapping[str, tuple[int, Money]]]) -> Chart:
    """Orders per day stacked by marketplace, then revenue per day in each currency (stacked by marketplace)."""
    days = sorted(daily)
    marketplaces = sorted({mp for per in daily.values() for mp in per}, key=_order_of)
    currencies = sorted({cur for per in daily.values() for _, amounts in per.values() for cur in amounts})
    label = lambda mp: marketplace_name(texts, mp)  # noqa: E731
    orders = sales_charts.Panel(texts.get("analytics-chart-orders"), [
        sales_charts.Stack(mp, label(mp), [daily[d].get(mp, (0, {}))[0] for d in days]) for mp in marketplaces])
    panels = [orders]
    for cur in currencies:
        stacks = [sales_charts.Stack(mp, label(mp), [float(daily[d].get(mp, (0, {}))[1].get(cur, 0)) for d in days])
                  for mp in marketplaces]
        stacks = [s for s in stacks if any(s.values)]
        panels.append(sales_charts.Panel(texts.get("analytics-chart-revenue", currency=currency_name(texts, cur)),
                                         stacks, money=True))
    return Chart(sales_charts.daily, ([_short_day(d) for d in days], panels, texts.get("analytics-chart-empty")))


def summary_chart(texts, daily: Mapping[date, Mapping[str, tuple[int, Money]]]) -> Chart:
    """The summary's picture: orders per day of the last week by marketplace (the caption carries the money), drawn
    with Pillow (bot/summary_chart.py: thousands go out at 09:00)."""
    days = sorted(daily)
    marketplaces = sorted({mp for per in daily.values() for mp in per}, key=_order_of)
    stacks = [sales_charts.Stack(mp, marketplace_name(texts, mp), [daily[d].get(mp, (0, {}))[0] for d in days])
              for mp in marketplaces]
    return Chart(week_chart.summary, ([_short_day(d) for d in days], stacks, texts.get("analytics-chart-orders"),
                                        texts.get("analytics-chart-empty")))


def share_chart(texts, report: Report) -> Chart:
    """Each marketplace's share of the orders and of the revenue in each currency."""
    orders: dict[str, int] = {}
    for per in report.daily.values():
        for mp, (count, _) in per.items():
            orders[mp] = orders.get(mp, 0) + count
    parts = [sales_charts.Share(texts.get("analytics-chart-orders"),
                                [(mp, marketplace_name(texts, mp), orders[mp]) for mp in sorted(orders, key=_order_of)])]
    currencies = sorted({cur for amounts in report.by_marketplace.values() for cur in amounts})
    for cur in currencies:
        sellers = _sellers(report.by_marketplace, cur)
        if len(sellers) > 1:
            parts.append(sales_charts.Share(
                texts.get("analytics-chart-revenue", currency=currency_name(texts, cur)),
                [(mp, marketplace_name(texts, mp), float(report.by_marketplace[mp][cur]))
                 for mp in sorted(sellers, key=_order_of)]))
    return Chart(sales_charts.share, (parts, texts.get("analytics-chart-empty")))


def top_chart(texts, report: Report) -> Chart:
    """The top products by units sold (units need no currency, so one chart ranks every marketplace's sales)."""
    items = [((p.name or p.sku or "—"), p.units) for p in report.top_units[:TOP_SHOWN]]
    return Chart(sales_charts.top, (items, texts.get("analytics-chart-top"), texts.get("analytics-chart-empty")))


def chart_for(texts, report: Report, view: str) -> Chart:
    if view == ChartView.SHARE:
        return share_chart(texts, report)
    if view == ChartView.TOP:
        return top_chart(texts, report)
    return daily_chart(texts, report.daily)
