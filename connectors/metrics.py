"""Marketplace request metrics (exported by the bot's /metrics, bot/metrics.py). Counted where every paced request
passes (connectors/pacing.py: Pace.enter / Passage.release / Passage.penalize), so no connector counts by itself."""
from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter("scx_marketplace_requests_total", "Requests sent to a marketplace (each attempt)",
                   ["marketplace"])
SECONDS = Histogram("scx_marketplace_request_seconds", "A marketplace request, from its send to its reply",
                    ["marketplace"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
RATE_LIMITED = Counter("scx_marketplace_rate_limited_total", "Rate-limit replies (429) from a marketplace",
                       ["marketplace"])


def marketplace_of(key: tuple | None) -> str:
    """Registry keys start with the marketplace (connectors/pacing.py)."""
    if not key:
        return "unknown"
    first = key[0]
    return str(getattr(first, "value", first))
