"""Job leases: before any replica runs a job it claims the job's row in `job_leases`, so a job runs in one process at
a time across every process on the database.

A lease is (kind, subject) -> holder until expires_at. Claiming is one atomic upsert that only takes a row whose
lease lapsed (or that the claimer already holds), so two replicas asking at once cannot both win, on PostgreSQL as on
SQLite. The holder renews its leases while the jobs run (`renew`), and releases each one in the run's final transaction
(the one that moves the schedule on), never before it, so no other replica can find the job still due and
unclaimed; a claim re-reads the schedule after taking the lease, so a read that predates another replica's finished
run does not run it again. A process that dies stops renewing: its leases lapse after LEASE_SECONDS and
another replica takes the job up.

Picking due scheduled runs (`claim_due`) reads the schedules with `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL:
replicas ticking at the same moment take disjoint rows instead of queueing on each other's locks; the upsert in the
same transaction is what makes the claim stick.

Platform-wide jobs (the daily key-expiry check, report jobs) are leased per period: the subject is the period
("2026-12-03"); a run that succeeded keeps its lease for good (DONE), so no replica runs it again in that period.
"""
from __future__ import annotations

import functools
import os
import secrets
import socket
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Update, and_, bindparam, delete, exists, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import RUNNABLE, JobLease, MarketplaceIntegration, Schedule, now
from services.jobs import runs

# How long a claim holds without renewal: a job of a process that died is taken up this long after its last renewal.
LEASE_SECONDS = 60
# expires_at of a platform-wide job's period that ran: never claimable again.
DONE = 2**31 - 1
# A failed platform-wide run: another try in the same period after this many seconds.
GLOBAL_RETRY = 600


def _default_holder() -> str:
    # Host and pid say which process it was (logs, the table); the random part tells a restarted pid apart.
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


HOLDER = _default_holder()  # this process, unless a runner is given another name (tests play several replicas)

TABLE = JobLease.__table__


def _insert(session: AsyncSession):
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


async def acquire(session: AsyncSession, holder: str, keys: Sequence[tuple[str, str]],
                  ttl: int = LEASE_SECONDS) -> set[tuple[str, str]]:
    """Claim the (kind, subject) leases that are free, lapsed or already ours (a period that ran is nobody's);
    returns the ones claimed. The caller commits."""
    if not keys:
        return set()
    stamp = now()
    insert = _insert(session)(TABLE).values([{"kind": k, "subject": s, "holder": holder, "expires_at": stamp + ttl,
                                               "again": 0} for k, s in keys])
    statement = insert.on_conflict_do_update(
        index_elements=["kind", "subject"],
        set_={"holder": insert.excluded.holder, "expires_at": insert.excluded.expires_at, "again": 0},
        where=(TABLE.c.expires_at <= stamp) | ((TABLE.c.holder == holder) & (TABLE.c.expires_at != DONE)),
    ).returning(TABLE.c.kind, TABLE.c.subject)
    return {(k, s) for k, s in await session.execute(statement)}


async def ask_again(session: AsyncSession, kind: str, subject: str) -> None:
    """The job is held elsewhere and was asked for again: its holder runs it once more when it is done (the run under
    way may have read the marketplace before whatever prompted this)."""
    await session.execute(update(TABLE).where(TABLE.c.kind == kind, TABLE.c.subject == subject,
                                              TABLE.c.expires_at > now()).values(again=1))


async def release(session: AsyncSession, holder: str, kind: str, subject: str, *, until: int = 0) -> bool | None:
    """Give the lease up (or keep it `until` a time: DONE for a period that ran); True if it was asked for again
    meanwhile, None if `holder` no longer holds it (it lapsed and another replica claimed it: a run's last
    transaction must then not commit). The caller commits."""
    result = await session.execute(
        update(TABLE).where(TABLE.c.kind == kind, TABLE.c.subject == subject, TABLE.c.holder == holder)
        .values(expires_at=until).returning(TABLE.c.again))  # `again` stays: RETURNING reads the new row
    row = result.first()
    return None if row is None else bool(row[0])


async def release_after(session: AsyncSession, holder: str, kind: str, subject: str,
                        statements: Sequence[tuple[Update, dict[str, Any]]]) -> tuple[bool | None, list[int]]:
    """A run's last writes (`statements`: UPDATEs with bound parameters, and their values) and the lease given back,
    in that order: release()'s answer and each statement's row count (none when the lease is not the holder's: the
    caller rolls back). On PostgreSQL one round trip: the UPDATEs go as data-modifying WITH parts of the release (a
    job run's end was three). The caller commits."""
    if not statements or session.bind.dialect.name != "postgresql":
        counts = [(await session.execute(statement, values)).rowcount for statement, values in statements]
        return await release(session, holder, kind, subject), counts
    params = {"lease_kind": kind, "lease_subject": subject, "lease_holder": holder}
    for _, values in statements:
        params.update(values)
    row = (await session.execute(_released_after(tuple(s for s, _ in statements)), params)).first()
    return (None, []) if row is None else (bool(row[0]), list(row[1:]))


@functools.lru_cache(maxsize=32)
def _released_after(statements: tuple[Update, ...]) -> Update:
    # Built once per combination of the callers' (built once) statements: see services/jobs/runs.py _START.
    parts = [statement.returning(*statement.table.primary_key.columns).cte(f"part_{n}")
             for n, statement in enumerate(statements)]
    query = (update(TABLE).where(TABLE.c.kind == bindparam("lease_kind"), TABLE.c.subject == bindparam("lease_subject"),
                                 TABLE.c.holder == bindparam("lease_holder"))
             .values(expires_at=0)
             .returning(TABLE.c.again, *(select(func.count()).select_from(part).scalar_subquery() for part in parts)))
    for part in parts:
        query = query.add_cte(part)
    return query


async def finish_period(session: AsyncSession, holder: str, kind: str, period: str) -> None:
    """A platform-wide job ran in `period`: nobody runs it again in it; the rows of its earlier periods go (a job run
    every 30 s would otherwise leave a row per run). The caller commits."""
    await release(session, holder, kind, period, until=DONE)
    await session.execute(delete(TABLE).where(TABLE.c.kind == kind, TABLE.c.subject != period,
                                              TABLE.c.expires_at == DONE))


async def renew(session: AsyncSession, holder: str, keys: Iterable[tuple[str, str]],
                ttl: int = LEASE_SECONDS) -> set[tuple[str, str]]:
    """Extend the holder's live leases among `keys`; returns the ones it still holds (a lease that lapsed and was
    taken over is not among them). The caller commits."""
    keys = list(keys)
    if not keys:
        return set()
    stamp = now()
    result = await session.execute(
        update(TABLE).where(TABLE.c.holder == holder, TABLE.c.expires_at > stamp,
                            tuple_(TABLE.c.kind, TABLE.c.subject).in_(keys))
        .values(expires_at=stamp + ttl).returning(TABLE.c.kind, TABLE.c.subject))
    return {(k, s) for k, s in result}


async def claim_due(session: AsyncSession, holder: str, limit: int, *, skip: Iterable[tuple[str, str]] = (),
                    ttl: int = LEASE_SECONDS) -> list[tuple[str, str]]:
    """Claim up to `limit` scheduled runs that are due and held by nobody, the longest overdue first; returns
    (integration id, kind) of each. `skip`: (kind, integration id) this process is running already. Runs still
    marked running of a job just claimed belong to a process that died (its lease lapsed): closed as interrupted.
    The caller commits (that ends the row locks; the leases stay)."""
    skip = set(skip)
    if limit <= 0:
        return []
    stamp = now()
    query = (select(Schedule.integration_id, Schedule.kind)
             .join(MarketplaceIntegration, MarketplaceIntegration.id == Schedule.integration_id)
             .where(Schedule.next_run_at <= stamp, MarketplaceIntegration.status.in_(RUNNABLE),
                    ~lease_live(Schedule.kind, Schedule.integration_id, stamp))
             .order_by(Schedule.next_run_at)
             .limit(limit + len(skip))
             .with_for_update(of=Schedule, skip_locked=True))  # SQLite has no such clause: one writer anyway
    due = [(i, k) for i, k in await session.execute(query) if (k, i) not in skip][:limit]
    claimed = await acquire(session, holder, [(k, i) for i, k in due], ttl)
    if claimed:
        # The read above may predate another replica's finished run of the same job (it gave the lease back with
        # the schedule moved on, after we read): what is no longer due is given back, not run twice. Read after the
        # claim, so it sees that run's commit (SQLite: our write transaction; PostgreSQL: a new statement).
        pairs = [(i, k) for k, i in claimed]
        still = {(i, k) for i, k in await session.execute(
            select(Schedule.integration_id, Schedule.kind)
            .where(tuple_(Schedule.integration_id, Schedule.kind).in_(pairs), Schedule.next_run_at <= stamp))}
        late = [(k, i) for i, k in pairs if (i, k) not in still]
        if late:
            await session.execute(update(TABLE).where(TABLE.c.holder == holder,
                                                      tuple_(TABLE.c.kind, TABLE.c.subject).in_(late))
                                  .values(expires_at=0))
        claimed -= set(late)
    taken = [(i, k) for i, k in due if (k, i) in claimed]
    await runs.interrupt_running(session, taken)
    return taken


def lease_live(kind_column, subject_column, stamp: int):
    """SQL: a live lease exists for that (kind, subject)."""
    return exists().where(and_(TABLE.c.kind == kind_column, TABLE.c.subject == subject_column,
                               TABLE.c.expires_at > stamp))


async def forget_all(session: AsyncSession) -> None:
    """SQLite is one process: at its start-up every lease left is the last run's, and is void."""
    await session.execute(update(TABLE).where(TABLE.c.expires_at != DONE).values(expires_at=0, again=0))
