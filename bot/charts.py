"""Charts as PNG pictures, drawn off the event loop.

Every chart is a plain function of plain data (numbers, labels already in the partner's language) that returns PNG
bytes; `draw()` runs it in a worker process, so the bot keeps answering other partners while matplotlib works: a
chart costs hundreds of milliseconds of CPU, and in a thread it would hold the GIL the event loop needs (measured by
bench/analytics.py part b: p99 of the loop's lateness 52 ms with threads). One worker leaves the other core to the
bot. The figures are Figure objects, never pyplot, sized for a phone: 1080 px wide, large fonts. DejaVu Sans
(bundled with matplotlib) has the Cyrillic and Uzbek Latin glyphs (oʻ, gʻ, sh) the labels need.
"""
from __future__ import annotations

import asyncio
import functools
import io
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH_IN, HEIGHT_IN, DPI = 7.2, 5.4, 150  # 1080 x 810 px: sharp on a phone, ~60-120 KB
FONT = "DejaVu Sans"
# One colour per marketplace, the same on every chart (their brand colours, softened for contrast).
COLOURS = {"uzum": "#7B2FF7", "yandex": "#FFB800", "wildberries": "#CB11AB", "ozon": "#005BFF"}
FALLBACK_COLOURS = ("#2E7D32", "#C62828", "#6D4C41", "#00838F", "#5E35B1")
WORKERS = 1
_pool: ProcessPoolExecutor | None = None


def _executor() -> ProcessPoolExecutor:
    """The chart process, started on first use ("spawn": a fork of a process with threads and an event loop is not
    safe)."""
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_warm)
    return _pool


def _warm() -> None:
    """In the worker: load the font and the renderer once, so the first chart is not slower than the rest."""
    png(new_figure(1, 1))


def colour(key: str, index: int = 0) -> str:
    return COLOURS.get(key, FALLBACK_COLOURS[index % len(FALLBACK_COLOURS)])


def new_figure(width: float = WIDTH_IN, height: float = HEIGHT_IN) -> Figure:
    # matplotlib is imported where charts are drawn (the chart process), not by every module that names a chart:
    # it would add ~70 MB to the bot process.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    figure.set_facecolor("white")
    return figure


def style(axes, *, title: str | None = None, xlabel: str | None = None, ylabel: str | None = None) -> None:
    """Phone-readable text and a quiet grid on one axes."""
    if title:
        axes.set_title(title, fontsize=15, fontfamily=FONT, fontweight="bold", loc="left")
    if xlabel:
        axes.set_xlabel(xlabel, fontsize=12, fontfamily=FONT)
    if ylabel:
        axes.set_ylabel(ylabel, fontsize=12, fontfamily=FONT)
    axes.tick_params(labelsize=11)
    for label in axes.get_xticklabels() + axes.get_yticklabels():
        label.set_fontfamily(FONT)
    axes.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def compact(value: float) -> str:
    """Axis numbers a phone can show: 1.2M, 35k, 900."""
    magnitude = abs(value)
    if magnitude >= 1_000_000_000:
        return f"{value / 1_000_000_000:.1f}B".replace(".0B", "B")
    if magnitude >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if magnitude >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:,.0f}".replace(",", " ")


async def draw(chart: Callable[..., bytes], *args: Any, **kwargs: Any) -> bytes:
    """Run a chart function (module-level, its arguments picklable) in the chart process; the event loop stays free
    meanwhile. A worker that died (killed, out of memory) is replaced once."""
    global _pool
    loop = asyncio.get_running_loop()
    job = functools.partial(chart, *args, **kwargs)
    try:
        return await loop.run_in_executor(_executor(), job)
    except BrokenProcessPool:
        _pool = None
        return await loop.run_in_executor(_executor(), job)


def shutdown(*, wait: bool = False) -> None:
    """Stop the chart process (at the bot's shutdown: `Runtime.close`). `wait` joins it, which blocks: call it so
    from a thread, not on the event loop."""
    global _pool
    if _pool is not None:
        pool, _pool = _pool, None
        pool.shutdown(wait=wait, cancel_futures=True)
