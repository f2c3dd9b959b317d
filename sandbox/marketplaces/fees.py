"""What the sandbox marketplaces charge their sellers: one deterministic fee model over their own order book, which
each stand-in's finance and statistics endpoints report in its own API's shapes. Tests check a connector's figures
(and the bot's profit) against these functions: the sandbox's own books.

The figures are per order line once an order is delivered (the sale, its commission and delivery) or returned
(the refund and the return delivery), plus a daily storage charge per account. Rates differ per marketplace, as
they do in life; the numbers are round so a reader can check a report by hand.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from sandbox.marketplaces.catalog import Lifecycle, OrderLine, SandboxOrder

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Rates:
    commission: Decimal  # share of the line's price x quantity
    logistics_per_unit: Decimal  # delivery to the buyer, per unit
    return_logistics_per_unit: Decimal  # bringing a returned unit back
    storage_per_day: Decimal  # per account, every day


RATES: dict[str, Rates] = {
    "uzum": Rates(Decimal("0.15"), Decimal("200"), Decimal("200"), Decimal("1000")),  # sums (catalog prices: 1,000..10,000)
    "yandex": Rates(Decimal("0.12"), Decimal("90"), Decimal("60"), Decimal("150")),  # roubles
    "wildberries": Rates(Decimal("0.19"), Decimal("65"), Decimal("50"), Decimal("120")),
    "ozon": Rates(Decimal("0.17"), Decimal("75"), Decimal("55"), Decimal("130")),
}

# Order statuses whose money has moved: a delivered order is a sale, a returned one a sale and its refund.
SOLD = frozenset({Lifecycle.DELIVERED, Lifecycle.RETURNED})


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineFigures:
    """One order line's money as the marketplace books it."""

    revenue: Decimal  # price x quantity (what the buyer paid)
    commission: Decimal
    logistics: Decimal
    refund: Decimal = Decimal(0)  # returned: the revenue given back
    return_logistics: Decimal = Decimal(0)

    @property
    def fees(self) -> Decimal:
        return self.commission + self.logistics + self.return_logistics

    @property
    def payout(self) -> Decimal:
        return self.revenue - self.refund - self.fees


def line_figures(marketplace: str, order: SandboxOrder, line: OrderLine) -> LineFigures | None:
    """The line's figures once its order is delivered or returned; None while no money has moved."""
    if order.status not in SOLD:
        return None
    rates = RATES[marketplace]
    revenue = money(Decimal(line.price) * line.quantity)
    figures = LineFigures(revenue=revenue, commission=money(revenue * rates.commission),
                          logistics=money(rates.logistics_per_unit * line.quantity))
    if order.status == Lifecycle.RETURNED:
        figures = LineFigures(figures.revenue, figures.commission, figures.logistics, refund=revenue,
                              return_logistics=money(rates.return_logistics_per_unit * line.quantity))
    return figures


def booked_on(order: SandboxOrder, tz: timezone = timezone.utc) -> date:
    """The day a delivered / returned order's money is booked: the day of its last change (delivery, return)."""
    return datetime.fromtimestamp(order.updated_at or order.created_at, tz).date()


def storage_days(first: date, last: date):
    """Every day storage is charged for, first..last (both included)."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def storage_fee(marketplace: str) -> Decimal:
    return RATES[marketplace].storage_per_day
