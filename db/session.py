"""Engine and session factory. The same code serves SQLite (default) and PostgreSQL."""
from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

# aiosqlite runs SQLite in a thread that must take the GIL back after every statement. With CPython's default 5 ms
# switch interval a busy event loop (parsing a 1.4 MB catalog page, rendering a reply) made each statement wait up
# to 5 ms for it: a 100,000-product sync spent ~2 s just waiting. 1 ms keeps that thread responsive for a
# switching cost too small to measure.
SQLITE_SWITCH_INTERVAL = 0.001
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON",
                  "PRAGMA busy_timeout=30000")


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        if sys.getswitchinterval() > SQLITE_SWITCH_INTERVAL:
            sys.setswitchinterval(SQLITE_SWITCH_INTERVAL)
        # The pool's rollback-on-return is done by _reset below, only when SQLite has a transaction open.
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30}, pool_reset_on_return=None)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # WAL lets readers work while a writer commits; foreign keys are off by default in SQLite.
            # synchronous=NORMAL is WAL's recommended pairing: a commit no longer waits for an fsync (the WAL is
            # synced at checkpoints), so the bot's many small transactions stay cheap. A killed process loses
            # nothing; only a power cut can undo the last commits, never corrupt the file.
            cursor = dbapi_conn.cursor()
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(pragma)
            cursor.close()

        @event.listens_for(engine.sync_engine, "reset")
        def _reset(dbapi_conn, record, reset_state):
            # SQLAlchemy rolls back every connection it gets back, even one whose transaction was just committed;
            # through aiosqlite that is a hop to its thread and back on every commit (a tenth of a one-row write's
            # time). SQLite knows whether a transaction is open: without one the rollback would do nothing.
            if not reset_state.asyncio_safe:  # as the pool's own reset: a connection collected by gc is left alone
                return
            try:
                if not record.driver_connection.in_transaction:
                    return
            except Exception:  # a closed or broken connection: let the rollback find out
                pass
            dbapi_conn.rollback()

        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
