"""sync_runs: every sync, push and poll is a row, so a job that silently stopped is visible."""
from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Update, bindparam, delete, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import ConnectorError
from db.models import JsonText, SyncRun, new_id, now

# sync_runs.error of a run cut short by a shutdown or a crash (not the marketplace's fault: no failure streak).
INTERRUPTED = "interrupted"
RUNS = SyncRun.__table__


# The statements every job run sends are built once, with bound parameters: building and keying a statement cost
# more of a poll's CPU than sending it (bench/scale.py: ~0.5 ms per run's end against ~0.3 ms to send it).
_START = insert(RUNS).values(id=bindparam("run_id"), integration_id=bindparam("run_integration"),
                             kind=bindparam("run_kind"), started_at=bindparam("run_started"), status="running")


async def start_run(session: AsyncSession, integration_id: str, kind: str) -> tuple[str, int]:
    """A `running` row for a run that begins: (its id, its start). One INSERT, no ORM object (once per job)."""
    run_id, started_at = new_id(), now()
    await session.execute(_START, {"run_id": run_id, "run_integration": integration_id, "run_kind": str(kind),
                                   "run_started": started_at})
    return run_id, started_at


async def finish_run(session: AsyncSession, run_id: str, *, counts: dict, error: ConnectorError | None = None,
                     partial: bool = False) -> None:
    """The run's outcome, in one UPDATE (no read first: it runs once per job). Nothing if the run is gone (its
    integration was deleted meanwhile)."""
    await session.execute(*finish_statement(run_id, counts=counts, error=error, partial=partial))


def finish_statement(run_id: str, *, counts: dict, error: ConnectorError | None = None,
                     partial: bool = False) -> tuple[Update, dict[str, Any]]:
    """finish_run's UPDATE and its parameters, for the runner to send with the run's other last writes
    (leases.release_after)."""
    values = {"finished_at": now(), "counts": JsonText.dump(counts)}
    if error is not None:
        values.update(status="failed", error=error.cause.value, error_detail=(error.detail or "")[:300] or None)
    else:
        values["status"] = "partial" if partial else "ok"
    return _finish(tuple(values)), {"run_id": run_id, **{f"run_{name}": value for name, value in values.items()}}


@functools.lru_cache(maxsize=8)
def _finish(columns: tuple[str, ...]) -> Update:
    return update(RUNS).where(RUNS.c.id == bindparam("run_id")).values(
        {name: bindparam(f"run_{name}") for name in columns})


async def interrupted(session: AsyncSession, run_id: str) -> None:
    await session.execute(update(SyncRun).where(SyncRun.id == run_id, SyncRun.status == "running")
                          .values(status="failed", error=INTERRUPTED, finished_at=now()))


async def forget(session: AsyncSession, run_id: str) -> None:
    """A run that found nothing to do leaves no row."""
    await session.execute(delete(SyncRun).where(SyncRun.id == run_id))


async def close_abandoned(session: AsyncSession, older_than: int | None = None) -> int:
    """Runs left 'running' by a process that died (started before `older_than`, default: now): marked interrupted at
    start-up. On SQLite (one process) that is every such run, and the last run's leases are void; on PostgreSQL the
    runs whose job another replica holds a live lease on are left alone: they are running there."""
    from services.jobs import leases

    cutoff = now() + 1 if older_than is None else older_than
    query = update(SyncRun).where(SyncRun.status == "running", SyncRun.started_at < cutoff)
    if session.bind.dialect.name == "sqlite":
        await leases.forget_all(session)
    else:
        query = query.where(~leases.lease_live(SyncRun.kind, SyncRun.integration_id, now()))
    result = await session.execute(query.values(status="failed", error=INTERRUPTED, finished_at=now()))
    return result.rowcount or 0


async def interrupt_running(session: AsyncSession, jobs: Sequence[tuple[str, str]]) -> None:
    """Runs still marked running of these (integration id, kind) jobs: interrupted (their process died; the caller
    has just claimed the job)."""
    if jobs:
        await session.execute(update(SyncRun).where(SyncRun.status == "running",
                                                    tuple_(SyncRun.integration_id, SyncRun.kind).in_(list(jobs)))
                              .values(status="failed", error=INTERRUPTED, finished_at=now()))


async def last_runs(session: AsyncSession, integration_id: str, kind: str | None = None, limit: int = 5) -> list[SyncRun]:
    query = select(SyncRun).where(SyncRun.integration_id == integration_id)
    if kind:
        query = query.where(SyncRun.kind == kind)
    return list(await session.scalars(query.order_by(SyncRun.started_at.desc(), SyncRun.id).limit(limit)))
