"""What a job is to the runner: a kind, a small function, and what it hands back.

A job function gets a JobContext (the integration it runs for, a ready client, the platform, options) and returns a
JobResult. Everything around it — claiming, the run record, the failure streak and its alerts, the next run — is the
runner's (services/jobs/runner.py), written once for every kind.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import ConnectorError, Marketplace, MarketplaceClient
from db.models import MarketplaceIntegration
from services.platform import Platform


class JobKind(StrEnum):
    """Per-integration jobs; the value is sync_runs.kind and schedules.kind."""

    ORDERS = "orders"
    CATALOG = "catalog"
    RECONCILE = "reconcile"
    STOCK_PUSH = "stock_push"
    PRICE_PUSH = "price_push"
    FINANCE = "finance"  # the marketplace's finance report (services/finance.py)


class GlobalJob(StrEnum):
    """Jobs that run for the whole platform, not one integration."""

    KEY_EXPIRY = "key_expiry"
    STOCK_COVER = "stock_cover"  # the "runs out in N days" alerts (services/notifications.py)
    BROADCAST_REPORTS = "broadcast_reports"  # the delivery count of settled broadcasts to their admins
    SUMMARIES = "summaries"  # the partners' daily / weekly summaries due this minute (services/summaries.py)


class AlreadyRunning(Exception):
    """This job of this integration is running (started by the schedule, a webhook or the chat)."""


class Report(Protocol):
    def counts(self) -> dict: ...


@dataclass(frozen=True)
class Plan:
    """A scheduled job's row as its run began (read with the integration, in the run's first query): the orders
    poll's durable cursor and whether its baseline was taken."""

    cursor: str | None = None
    baseline_done: bool = False


@dataclass
class JobContext:
    platform: Platform
    integration_id: str
    partner_id: str
    marketplace: Marketplace
    settings: dict  # the integration's own settings (stock rules, drift policy)
    client: MarketplaceClient
    run_id: str
    started_at: int
    options: dict[str, Any] = field(default_factory=dict)  # what the caller passed (debounce, progress)
    plan: Plan | None = None  # a scheduled kind's schedule row (None: the job reads it itself)


# Written in the runner's final transaction, together with the run record and the failure streak: a job's results
# and the cursor that says they were read land together or not at all.
Finish = Callable[[AsyncSession, MarketplaceIntegration], Awaitable[None]]


@dataclass
class JobResult:
    report: Report | None = None
    finish: Finish | None = None
    # A marketplace failure the job handled itself (what it did before it stays written): the run is failed and counts
    # toward the streak, and `finish` still runs.
    error: ConnectorError | None = None
    partial: bool = False  # some items were refused: the run is "partial"
    skipped: str | None = None  # nothing to do: no run is recorded
    # Columns of the job's schedule row (the orders poll's cursor) written by the same statement that moves the
    # schedule on, in the final transaction: only if the run is recorded as the job handed it back.
    schedule: dict[str, Any] | None = None


JobFunction = Callable[[JobContext], Awaitable[JobResult]]


@dataclass(frozen=True)
class Outcome:
    """What a run came to (for the caller: the chat shows the catalog sync's report)."""

    kind: str
    integration_id: str
    report: Any = None
    error: ConnectorError | None = None
    skipped: str | None = None
