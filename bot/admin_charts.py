"""The admins' platform chart: orders a day over the last month, stacked by marketplace, and how many partners were
active lately. A plain function of plain data (labels already in the admin's language), drawn by bot.charts.draw
off the event loop."""
from __future__ import annotations

from dataclasses import dataclass

from bot import charts


@dataclass(frozen=True)
class PlatformChart:
    title: str  # "Orders a day"
    days: list[str]  # day labels, oldest first ("03.11")
    orders: dict[str, list[int]]  # marketplace -> orders on each day; drawn in this order
    names: dict[str, str]  # marketplace -> its name as shown
    active_title: str  # "Active partners"
    active: list[tuple[str, int]]  # (label, count): "1 day" .. "all"


TICK_EVERY = 5  # a day label every 5 days stays legible on a phone


def platform_chart(data: PlatformChart) -> bytes:
    from matplotlib.ticker import MaxNLocator  # in the chart process only (bot/charts.py)

    figure = charts.new_figure(height=charts.HEIGHT_IN * 1.35)
    top, bottom = figure.subplots(2, 1, height_ratios=(2.2, 1))

    positions = list(range(len(data.days)))
    base = [0] * len(data.days)
    for index, (marketplace, counts) in enumerate(data.orders.items()):
        top.bar(positions, counts, bottom=base, color=charts.colour(marketplace, index),
                label=data.names.get(marketplace, marketplace), width=0.8)
        base = [b + c for b, c in zip(base, counts)]
    top.set_xticks(positions[::TICK_EVERY], [data.days[i] for i in positions[::TICK_EVERY]])
    top.yaxis.set_major_locator(MaxNLocator(integer=True))  # orders are whole: no "2.5" on a quiet month
    top.yaxis.set_major_formatter(lambda value, _: charts.compact(value))
    if data.orders:
        top.legend(fontsize=10, frameon=False, loc="upper left", prop={"family": charts.FONT, "size": 10})
    charts.style(top, title=data.title)

    labels = [label for label, _ in data.active]
    values = [value for _, value in data.active]
    bars = bottom.barh(labels, values, color="#2E7D32")
    bottom.invert_yaxis()  # the shortest window on top
    bottom.bar_label(bars, labels=[charts.compact(v) for v in values], padding=4, fontsize=11,
                     fontfamily=charts.FONT)
    bottom.set_xlim(0, max(values + [1]) * 1.15)
    charts.style(bottom, title=data.active_title)
    bottom.grid(axis="y", alpha=0)
    bottom.grid(axis="x", alpha=0.3)
    return charts.png(figure)
