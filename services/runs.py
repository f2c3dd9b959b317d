"""sync_runs: every sync, push and poll is a row, so a job that silently stopped is visible."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import ConnectorError
from db.models import JsonText, SyncRun, now


async def start_run(session: AsyncSession, integration_id: str, kind: str) -> SyncRun:
    run = SyncRun(integration_id=integration_id, kind=kind, started_at=now())
    session.add(run)
    await session.flush()
    return run


async def finish_run(session: AsyncSession, run_id: str, *, counts: dict, error: ConnectorError | None = None,
                     partial: bool = False) -> SyncRun:
    run = await session.get(SyncRun, run_id)
    run.finished_at = now()
    run.counts = JsonText.dump(counts)
    if error is not None:
        run.status = "failed"
        run.error = error.cause.value
        run.error_detail = (error.detail or "")[:300] or None
    else:
        run.status = "partial" if partial else "ok"
    return run


async def last_runs(session: AsyncSession, integration_id: str, kind: str | None = None, limit: int = 5) -> list[SyncRun]:
    query = select(SyncRun).where(SyncRun.integration_id == integration_id)
    if kind:
        query = query.where(SyncRun.kind == kind)
    return list(await session.scalars(query.order_by(SyncRun.started_at.desc(), SyncRun.id).limit(limit)))
