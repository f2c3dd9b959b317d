"""Ozon sales analytics: ordered units and revenue per SKU and day.

Call: /v1/analytics/data (date_from, date_to, metrics revenue + ordered_units, dimensions sku + day, limit
<= 1000 rows, offset), paced at 1 request per minute per account (connectors.ozon.limits.OZON_ANALYTICS).
Without a Premium subscription only the last 3 months and some metrics are available; ANALYTICS_METRICS are
the ones every seller may ask for. Finance reads (/v3/finance/transaction/list, /v1/finance/realization/
posting) are not used yet.

Functions here take the OzonClient as `client` (connectors.ozon.client; not imported here).
"""
from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from typing import Any

from connectors.base import BadResponse, SalesRow
from connectors.ozon import limits
from connectors.ozon.models import OzonAnalyticsReply, OzonAnalyticsRow, decimal_or_none

log = logging.getLogger("connectors.ozon")

# Metrics every seller may ask for (the others need a Premium subscription), and how the rows are cut.
ANALYTICS_METRICS = ("revenue", "ordered_units")
ANALYTICS_DIMENSIONS = ("sku", "day")
CENT = Decimal("0.01")


async def sales(client: Any, date_from: date, date_to: date) -> list[SalesRow]:
    """Ordered units and revenue per SKU and day (/v1/analytics/data, paced at 1 request per minute,
    1000 rows per page). `sku` is the offer_id where Ozon's SKU can be mapped to one, else the Ozon SKU."""
    rows: list[OzonAnalyticsRow] = []
    offset = 0
    for _ in range(limits.MAX_ANALYTICS_PAGES):
        body = {
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            "metrics": list(ANALYTICS_METRICS),
            "dimension": list(ANALYTICS_DIMENSIONS),
            "filters": [],
            "limit": limits.ANALYTICS_PAGE_LIMIT,
            "offset": offset,
        }
        reply = await client.post("/v1/analytics/data", body, OzonAnalyticsReply, pace=client.pace("analytics"))
        rows.extend(reply.result.data)
        if len(reply.result.data) < limits.ANALYTICS_PAGE_LIMIT:
            break
        offset += len(reply.result.data)
    else:
        raise BadResponse("ozon /v1/analytics/data: too many pages")

    totals: dict[tuple[date, str], list[Decimal]] = {}
    for row in rows:
        if len(row.dimensions) < 2:
            continue
        sku, day_text = row.dimensions[0].id, row.dimensions[1].id
        try:
            day = date.fromisoformat(day_text.strip()[:10])
        except ValueError:
            log.warning("ozon analytics: unreadable day %r", day_text[:20])
            continue
        revenue = decimal_or_none(row.metrics[0] if row.metrics else None) or Decimal(0)
        units = decimal_or_none(row.metrics[1] if len(row.metrics) > 1 else None) or Decimal(0)
        entry = totals.setdefault((day, sku), [Decimal(0), Decimal(0)])
        entry[0] += revenue
        entry[1] += units
    totals = {key: value for key, value in totals.items() if any(value)}  # rows of nothing sold
    offers = await client.offers_for(sku for _, sku in totals)
    return [
        SalesRow(day=day, sku=offers.get(sku, sku), quantity=int(units), revenue=revenue.quantize(CENT))
        for (day, sku), (revenue, units) in sorted(totals.items())
    ]
