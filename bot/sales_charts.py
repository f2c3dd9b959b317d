"""The sales charts: plain functions of plain data (numbers, and labels already in the partner's language) that
return PNG bytes, drawn with bot/charts.py's phone-sized figures. Call them through `bot.charts.draw` so they run
off the event loop.

Money is never added across currencies: a revenue panel is drawn per currency, each stacked by marketplace (a
marketplace sells in one currency, so within a currency the stack is a true sum); order counts need no currency and
share one panel.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.charts import HEIGHT_IN, WIDTH_IN, colour, compact, new_figure, png, style

# The legend sits above the bars, level with the title on the right: it never hides a bar.
_LEGEND = {"fontsize": 10, "frameon": False, "loc": "lower right", "bbox_to_anchor": (1.0, 1.0), "borderaxespad": 0.2}
MAX_DAY_LABELS = 10  # x-axis labels a phone can show without overlapping
NAME_CHARS = 28  # a product name on the top chart


@dataclass(frozen=True)
class Stack:
    """One marketplace's bars: its key (for the colour), its label, a value per day."""

    key: str
    label: str
    values: Sequence[float]


@dataclass(frozen=True)
class Panel:
    title: str
    stacks: Sequence[Stack]
    money: bool = False  # axis numbers as compact amounts


def _thin(labels: Sequence[str]) -> list[str]:
    """Every n-th day label so at most MAX_DAY_LABELS show (a 31-day month stays legible)."""
    step = max(1, -(-len(labels) // MAX_DAY_LABELS))
    return [label if n % step == 0 else "" for n, label in enumerate(labels)]


def daily(days: Sequence[str], panels: Sequence[Panel], empty: str) -> bytes:
    """Bars per day stacked by marketplace, one panel each (orders, then revenue per currency)."""
    panels = [p for p in panels if p.stacks] or [Panel(panels[0].title if panels else "", [])]
    figure = new_figure(WIDTH_IN, HEIGHT_IN if len(panels) <= 2 else HEIGHT_IN * len(panels) / 2)
    axes_list = figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    positions = list(range(len(days)))
    for axes, panel in zip(axes_list, panels):
        bottom = [0.0] * len(days)
        for index, stack in enumerate(panel.stacks):
            values = [float(v) for v in stack.values]
            axes.bar(positions, values, bottom=bottom, color=colour(stack.key, index), label=stack.label, width=0.75)
            bottom = [b + v for b, v in zip(bottom, values)]
        style(axes, title=panel.title)
        if panel.money:
            axes.yaxis.set_major_formatter(lambda value, _: compact(value))
        if not any(bottom):
            axes.text(0.5, 0.5, empty, transform=axes.transAxes, ha="center", va="center", fontsize=13,
                      color="#777777")
        if len(panel.stacks) > 1:
            axes.legend(**_LEGEND, ncols=min(4, len(panel.stacks)))
    axes_list[-1].set_xticks(positions, _thin(days), rotation=0 if len(days) <= 7 else 45)
    for axes in axes_list:
        style(axes)  # the tick labels set last get the font too
    return png(figure)


@dataclass(frozen=True)
class Share:
    title: str
    slices: Sequence[tuple[str, str, float]]  # (marketplace key, label, value)


def share(parts: Sequence[Share], empty: str) -> bytes:
    """One donut per measure (orders, revenue in each currency): each marketplace's share of it."""
    parts = [p for p in parts if any(v > 0 for _, _, v in p.slices)]
    figure = new_figure()
    if not parts:
        axes = figure.subplots()
        axes.axis("off")
        axes.text(0.5, 0.5, empty, ha="center", va="center", fontsize=14, color="#777777")
        return png(figure)
    axes_list = figure.subplots(1, len(parts), squeeze=False)[0]
    for axes, part in zip(axes_list, parts):
        slices = [(k, label, v) for k, label, v in part.slices if v > 0]
        total = sum(v for _, _, v in slices)
        axes.pie([v for _, _, v in slices], colors=[colour(k, i) for i, (k, _, _) in enumerate(slices)],
                 labels=[f"{label}\n{v / total:.0%}" for _, label, v in slices], startangle=90, counterclock=False,
                 wedgeprops={"width": 0.42, "edgecolor": "white"}, textprops={"fontsize": 11})
        axes.set_title(part.title, fontsize=13, fontweight="bold")
        axes.set_aspect("equal")
    return png(figure)


def top(items: Sequence[tuple[str, float]], title: str, empty: str) -> bytes:
    """Horizontal bars, the best first: (product name, value)."""
    figure = new_figure()
    axes = figure.subplots()
    if not items:
        axes.axis("off")
        axes.text(0.5, 0.5, empty, ha="center", va="center", fontsize=14, color="#777777")
        return png(figure)
    names = [name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…" for name, _ in items][::-1]
    values = [float(value) for _, value in items][::-1]
    axes.barh(range(len(values)), values, color=colour("", 0))
    axes.set_yticks(range(len(values)), names)
    for position, value in enumerate(values):
        axes.text(value, position, " " + compact(value), va="center", fontsize=10)
    axes.xaxis.set_major_formatter(lambda value, _: compact(value))
    style(axes, title=title)
    axes.grid(axis="x", alpha=0.3)
    axes.grid(axis="y", visible=False)
    return png(figure)

