"""The admins' platform chart: a phone-sized PNG, drawn in the chart threads, with or without data."""
import struct

from bot import charts
from bot.admin_charts import PlatformChart, platform_chart


def size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", png[16:24])


def chart(orders: dict) -> PlatformChart:
    return PlatformChart(title="Заказы в день", days=[f"{d:02d}.11" for d in range(1, 31)], orders=orders,
                         names={"uzum": "Uzum Market", "ozon": "Ozon"}, active_title="Faol hamkorlar",
                         active=[("1 kun", 3), ("7 kun", 10), ("30 kun", 12), ("jami", 20)])


async def test_platform_chart_is_a_phone_sized_png_drawn_off_the_loop():
    png = await charts.draw(platform_chart, chart({"uzum": list(range(30)), "ozon": [3] * 30}))
    width, height = size(png)
    assert width == 1080 and height > 1000
    assert len(png) < 300_000


def test_an_empty_platform_still_draws():
    empty = PlatformChart(title="Orders a day", days=["01.11"] * 30, orders={}, names={}, active_title="Active",
                          active=[("1 day", 0), ("all", 0)])
    assert size(platform_chart(empty))[0] == 1080
