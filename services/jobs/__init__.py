"""Background jobs: the runner and its timers (runner.py), what a job is (types.py), the schedules table
(schedule.py), the run records (runs.py), the leases (leases.py). The job functions live with their domain
(services/orders.py, services/catalog_sync.py, services/pushes.py, services/finance.py ...); `registry()` names them."""
from __future__ import annotations

from services.jobs.types import AlreadyRunning, GlobalJob, JobKind

__all__ = ["AlreadyRunning", "GlobalJob", "JobKind", "registry", "global_registry"]


def registry() -> dict:
    """Every per-integration job kind and its function."""
    from services import catalog_sync, finance, orders, pushes

    return {JobKind.ORDERS: orders.poll, JobKind.CATALOG: catalog_sync.sync, JobKind.STOCK_PUSH: pushes.push_stock,
            JobKind.PRICE_PUSH: pushes.push_prices, JobKind.RECONCILE: pushes.reconcile,
            JobKind.FINANCE: finance.fetch}


def global_registry() -> dict:
    from services import broadcasts, notifications, summaries

    return {GlobalJob.KEY_EXPIRY: notifications.check_key_expiry,
            GlobalJob.STOCK_COVER: notifications.check_stock_cover,
            GlobalJob.BROADCAST_REPORTS: broadcasts.check_reports,
            GlobalJob.SUMMARIES: summaries.run}
