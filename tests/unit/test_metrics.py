"""bot/metrics.py and connectors/metrics.py: what /metrics shows an operator."""
from __future__ import annotations

from types import SimpleNamespace

from prometheus_client import REGISTRY

from bot import metrics
from connectors.pacing import Pace, Pacer, RateSpec


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_every_paced_marketplace_request_is_counted_with_its_latency_and_429s():
    limiter = Pacer().limiter(("ozon", "c-metrics", "global"), RateSpec(50, 1.0))
    before = sample("scx_marketplace_requests_total", marketplace="ozon")
    seconds_before = sample("scx_marketplace_request_seconds_count", marketplace="ozon")
    limited_before = sample("scx_marketplace_rate_limited_total", marketplace="ozon")
    pace = Pace(limiter)
    for _ in range(3):
        passage = await pace.enter()
        passage.release()
    passage = await pace.enter()
    passage.penalize(0.01)  # the marketplace answered 429
    passage.release()
    assert sample("scx_marketplace_requests_total", marketplace="ozon") == before + 4
    assert sample("scx_marketplace_request_seconds_count", marketplace="ozon") == seconds_before + 4
    assert sample("scx_marketplace_rate_limited_total", marketplace="ozon") == limited_before + 1


async def test_the_page_has_the_outbox_sends_and_what_the_database_says(sessionmaker):
    sender = SimpleNamespace(stats={"messages": 7, "forbidden": 1, "bad_request": 2})
    text = (await metrics.render(sessionmaker, sender)).decode()
    assert 'scx_outbox_messages_total{outcome="sent"} 7.0' in text
    assert 'scx_outbox_messages_total{outcome="blocked"} 1.0' in text
    assert 'scx_outbox_messages_total{outcome="failed"} 2.0' in text
    assert 'scx_outbox_backlog{status="pending"} 0.0' in text and "scx_outbox_due 0.0" in text
    assert "# TYPE scx_update_seconds histogram" in text and "# TYPE scx_job_runs gauge" in text
