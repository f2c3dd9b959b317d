"""The partner of a Telegram update (bot.middlewares.DbSessionMiddleware) without a database query when nothing
changed: what nearly every update reads (the partner, and with it their language) and hardly any changes.

A cached partner is a row as it was loaded; each update gets a fresh Partner object made from it and attached to
the update's session as if just loaded (no query), so a handler that changes it writes an UPDATE as always.

Invalidation: every statement that writes the partners table, from any session or connection of this process's
engine (the ORM's flushes, the outbox's Core updates), marks its connection; when that connection commits, the
cache's generation moves on and every entry made before is void. With Redis the generation and the entries live
there (`<prefix>:partners:*`): a change on one replica voids the entries of all. An entry also expires after
ENTRY_TTL seconds, so a change made outside the bot (SQL by hand) is seen within that time.

An entry is stored with the generation read BEFORE its row was loaded: a change committed meanwhile has moved the
generation on, so a row older than a change is never taken for current.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session, make_transient_to_detached

from db.models import Partner

log = logging.getLogger(__name__)

ENTRY_TTL = 300  # seconds
_WRITES = ("UPDATE PARTNERS", "DELETE FROM PARTNERS", "INSERT INTO PARTNERS")
_CHANGED = "scx_partners_changed"
_COLUMNS = [column.key for column in inspect(Partner).column_attrs]


class PartnerCache:
    def __init__(self, engine: AsyncEngine, *, redis: Any = None, prefix: str = "scx"):
        self.redis = redis
        self._gen_key = f"{prefix}:partners:gen"
        self._entry_prefix = f"{prefix}:partners:tg:"
        self._generation = 0
        self._entries: dict[int, tuple[int, float, dict]] = {}  # without Redis: telegram id -> (gen, expiry, row)
        self._bumping = 0  # generation bumps on their way to Redis: until they land, this process reads the database
        self._tasks: set[asyncio.Task] = set()
        self.stats = {"hits": 0, "misses": 0, "invalidations": 0}
        sync_engine = engine.sync_engine
        event.listen(sync_engine, "after_cursor_execute", self._after_execute)
        event.listen(sync_engine, "commit", self._after_commit)
        event.listen(sync_engine, "rollback", self._after_rollback)

    # ---------------------------------------------------------------------------- engine events (sync)
    def _after_execute(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip()[:24].upper().startswith(_WRITES):
            conn.info[_CHANGED] = True

    def _after_commit(self, conn) -> None:
        if conn.info.pop(_CHANGED, False):
            self.invalidate()

    def _after_rollback(self, conn) -> None:
        conn.info.pop(_CHANGED, None)

    def invalidate(self) -> None:
        """Every entry made before now is void (here at once; on the other replicas once Redis has the news)."""
        self.stats["invalidations"] += 1
        self._generation += 1
        self._entries.clear()
        if self.redis is not None:
            try:
                task = asyncio.get_running_loop().create_task(self._bump())
            except RuntimeError:  # no loop (a synchronous migration): nothing is cached then either
                return
            self._bumping += 1
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _bump(self) -> None:
        try:
            await self.redis.incr(self._gen_key)
        except Exception as exc:  # the entries still expire within ENTRY_TTL
            log.warning("partner cache: Redis did not take the invalidation (%s: %s)", type(exc).__name__, exc)
        finally:
            self._bumping -= 1

    # ----------------------------------------------------------------------------------------- lookups
    async def get(self, session: AsyncSession, telegram_id: int) -> Partner | None:
        if self._bumping:  # a change committed here is not in Redis yet: neither trust nor store an entry
            return await self._load(session, telegram_id, None)
        generation, row = await self._lookup(telegram_id)
        if row is not None:
            self.stats["hits"] += 1
            partner = Partner(**row)
            make_transient_to_detached(partner)  # as if loaded: no pending changes, no INSERT
            session.add(partner)
            return partner
        return await self._load(session, telegram_id, generation)

    async def _load(self, session: AsyncSession, telegram_id: int, generation: int | None) -> Partner | None:
        self.stats["misses"] += 1
        partner = await session.scalar(select(Partner).where(Partner.telegram_id == telegram_id))
        if partner is not None and generation is not None:
            await self._store(telegram_id, generation, {key: getattr(partner, key) for key in _COLUMNS})
        return partner

    async def _lookup(self, telegram_id: int) -> tuple[int | None, dict | None]:
        if self.redis is None:
            entry = self._entries.get(telegram_id)
            if entry is not None and entry[0] == self._generation and entry[1] > time.monotonic():
                return self._generation, entry[2]
            return self._generation, None
        try:
            generation, raw = await self.redis.mget(self._gen_key, f"{self._entry_prefix}{telegram_id}")
        except Exception as exc:
            log.warning("partner cache: Redis did not answer (%s); reading the database", type(exc).__name__)
            return None, None
        generation = int(generation or 0)
        if raw:
            entry = json.loads(raw)
            if entry.get("gen") == generation:
                return generation, entry["row"]
        return generation, None

    async def _store(self, telegram_id: int, generation: int, row: dict) -> None:
        if self.redis is None:
            if generation == self._generation:
                self._entries[telegram_id] = (generation, time.monotonic() + ENTRY_TTL, row)
            return
        try:
            await self.redis.set(f"{self._entry_prefix}{telegram_id}", json.dumps({"gen": generation, "row": row}),
                                 ex=ENTRY_TTL)
        except Exception:
            pass  # only a miss more next time


# session.info key: the session began a transaction on a database connection (it read or wrote something).
_BEGAN = "scx_began"


@event.listens_for(Session, "after_begin")
def _began(session, transaction, connection) -> None:
    session.info[_BEGAN] = True


@event.listens_for(Session, "after_transaction_end")
def _ended(session, transaction) -> None:
    # Only the end of the outermost transaction clears the mark: a savepoint's end (after_commit fires for it too)
    # leaves the update's writes in the outer one, still to be committed — a stock typed in chat was lost that way.
    if transaction.parent is None:
        session.info.pop(_BEGAN, None)


def has_work(session: AsyncSession) -> bool:
    """A database transaction to end, or changes to write. Attaching the cached partner opens none, and setting an
    attribute to the value it had (the language middleware does on every update) is no change."""
    if session.info.get(_BEGAN) or session.new or session.deleted:
        return True
    return any(session.is_modified(instance) for instance in session.dirty)
