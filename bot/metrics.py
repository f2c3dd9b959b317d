"""Prometheus metrics (GET /metrics on the web server, bot/web.py).

Two kinds:
- this process's own, counted as things happen (prometheus-client's default registry): updates handled and their
  latency (bot/middlewares.py), marketplace requests, their latency and rate-limit replies (connectors/metrics.py);
- read when scraped: the outbox sender's messages sent / blocked / failed (this process), and from the database,
  shared by every replica, the outbox backlog and the job runs by kind, marketplace and outcome. A dashboard sums
  the first kind over replicas and takes any one replica's value of the database's.
"""
from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import connectors.metrics  # noqa: F401  (registers the marketplace request metrics)
from services import observability

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Handlers answer in milliseconds; a marketplace connection test takes seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

UPDATES = Counter("scx_updates_total", "Telegram updates handled by this process", ["type", "outcome"])
UPDATE_SECONDS = Histogram("scx_update_seconds", "Time to handle one Telegram update", ["type"],
                           buckets=LATENCY_BUCKETS)

# What the outbox sender counts (OutboxSender.stats) -> the metric's outcome label.
SENDER_OUTCOMES = {"messages": "sent", "forbidden": "blocked", "bad_request": "failed", "errors": "retried",
                   "retry_after": "rate_limited"}


class _Snapshot:
    """The values read at scrape time, as a collector of a one-scrape registry."""

    def __init__(self, families):
        self.families = families

    def collect(self):
        return self.families


async def _database_families(sessionmaker: async_sessionmaker[AsyncSession]) -> list:
    backlog = GaugeMetricFamily("scx_outbox_backlog", "Outbox messages not yet sent (all replicas)",
                                labels=["status"])
    due = GaugeMetricFamily("scx_outbox_due", "Pending outbox messages due now (all replicas)")
    runs = GaugeMetricFamily("scx_job_runs", "Job runs recorded, by kind, marketplace and outcome (all replicas)",
                             labels=["kind", "marketplace", "status"])
    async with sessionmaker() as session:
        by_status, due_now = await observability.outbox_backlog(session, time.time())
        for status in observability.UNSENT:
            backlog.add_metric([status], by_status.get(status, 0))
        due.add_metric([], due_now)
        for kind, marketplace, status, count in await observability.job_runs(session):
            runs.add_metric([kind, marketplace, status], count)
    return [backlog, due, runs]


def _sender_family(sender) -> CounterMetricFamily:
    family = CounterMetricFamily("scx_outbox_messages", "Outbox sends by this process, by outcome",
                                 labels=["outcome"])
    stats = getattr(sender, "stats", {}) if sender is not None else {}
    for key, outcome in SENDER_OUTCOMES.items():
        family.add_metric([outcome], stats.get(key, 0))
    return family


async def render(sessionmaker: async_sessionmaker[AsyncSession] | None, sender=None) -> bytes:
    """The text exposition: this process's metrics, then what is read now."""
    from prometheus_client import REGISTRY

    families = [_sender_family(sender)]
    if sessionmaker is not None:
        families += await _database_families(sessionmaker)
    snapshot = CollectorRegistry()
    snapshot.register(_Snapshot(families))
    return generate_latest(REGISTRY) + generate_latest(snapshot)
