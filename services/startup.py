"""Start-up work that several replicas must not do at once: migrations and the housekeeping after them (default API
configs, schedules...), which insert rows a second replica starting at the same moment would insert too."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

# The advisory lock's key (any constant: one per application sharing the database).
STARTUP_LOCK = 0x5C0_0001


@asynccontextmanager
async def one_at_a_time(engine: AsyncEngine) -> AsyncIterator[None]:
    """On PostgreSQL, hold a session advisory lock for the block: the next replica starts after this one is done
    (it then finds the schema at head and the rows in place). SQLite serves one process: nothing to hold."""
    if engine.dialect.name != "postgresql":
        yield
        return
    async with engine.connect() as conn:
        await conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK})
        await conn.commit()
        try:
            yield
        finally:
            await conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK})
            await conn.commit()
