"""The daily summary's chart, drawn with Pillow instead of matplotlib.

Thousands of summaries go out at 09:00, at up to 30 messages a second, and each carries a chart: at matplotlib's
~300 ms of CPU per chart the sender could not keep that pace on two cores (bench/analytics.py part c). The summary's
chart is simple — orders per day of the last week, stacked by marketplace — so it is drawn here directly: about
10 ms. Same colours and font as bot/charts.py (DejaVu Sans, bundled with matplotlib: Cyrillic and Uzbek Latin).
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot.charts import colour

WIDTH, HEIGHT = 1080, 600
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 80, 30, 130, 70
BACKGROUND, INK, GRID, MUTED = "#FFFFFF", "#222222", "#E6E6E6", "#777777"


@lru_cache(maxsize=8)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    import matplotlib

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name), size)


def _nice_top(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1.0
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10


def summary(days: Sequence[str], stacks: Sequence, title: str, empty: str) -> bytes:
    """Bars per day stacked by marketplace; `stacks`: objects with key, label and values (one per day), as
    bot.sales_charts.Stack."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN_LEFT - 40, 24), title, font=_font(34, bold=True), fill=INK)
    # legend under the title
    x = MARGIN_LEFT - 40
    for index, stack in enumerate(stacks if len(stacks) > 1 else ()):
        draw.rectangle((x, 84, x + 22, 106), fill=colour(stack.key, index))
        draw.text((x + 30, 80), stack.label, font=_font(24), fill=INK)
        x += 30 + int(draw.textlength(stack.label, font=_font(24))) + 34
    totals = [sum(float(stack.values[n]) for stack in stacks) for n in range(len(days))]
    top = _nice_top(max(totals, default=0))
    plot_left, plot_right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    plot_top, plot_bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    height = plot_bottom - plot_top
    for fraction in (0, 0.5, 1):
        y = plot_bottom - fraction * height
        draw.line((plot_left, y, plot_right, y), fill=GRID, width=2)
        label = f"{top * fraction:,.0f}".replace(",", " ")
        draw.text((plot_left - 12, y), label, font=_font(22), fill=MUTED, anchor="rm")
    slot = (plot_right - plot_left) / max(1, len(days))
    for n, day in enumerate(days):
        left = plot_left + n * slot + slot * 0.15
        right = plot_left + (n + 1) * slot - slot * 0.15
        base = plot_bottom
        for index, stack in enumerate(stacks):
            value = float(stack.values[n])
            if value <= 0:
                continue
            bar = value / top * height
            draw.rectangle((left, base - bar, right, base), fill=colour(stack.key, index))
            base -= bar
        if totals[n]:
            draw.text(((left + right) / 2, base - 6), f"{totals[n]:,.0f}".replace(",", " "), font=_font(22),
                      fill=INK, anchor="mb")
        draw.text(((left + right) / 2, plot_bottom + 12), day, font=_font(24), fill=INK, anchor="mt")
    if not any(totals):
        draw.text(((plot_left + plot_right) / 2, (plot_top + plot_bottom) / 2), empty, font=_font(28), fill=MUTED,
                  anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
