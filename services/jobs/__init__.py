"""Background jobs: the runner (runner.py), what a job is (types.py), the schedules table (schedule.py), the
run records (runs.py) and the timers (timers.py). The job functions live with their domain (services/orders.py,
services/catalog_sync.py, services/pushes.py); `registry()` names them."""
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
    from services import notifications

    return {GlobalJob.KEY_EXPIRY: notifications.check_key_expiry}
