"""The partner of a Telegram update (bot.middlewares.DbSessionMiddleware) without a database query when nothing
changed: what nearly every update reads (the partner, and with it their language) and hardly any changes.

A cached partner is a row as it was loaded; each update gets a fresh Partner object made from it and attached to
the update's session as if just loaded (no query), so a handler that changes it writes an UPDATE as always.

Invalidation: every statement that writes the partners table, from any session or connection of this process's
engine (the ORM's flushes, the outbox's Core updates), marks its connection; when that connection commits, what
it wrote is void. A statement that names its rows by primary key (`WHERE partners.id = ?`: the ORM's flushes of a
partner, `mark_seen`) voids only those partners' entries (their version moves on); any other write (an INSERT, a
bulk UPDATE, raw SQL) moves the cache's generation on, which voids every entry. With Redis the generation, the
versions and the entries live there (`<prefix>:partners:*`): a change on one replica voids the entries of all. An
entry also expires after ENTRY_TTL seconds, so a change made outside the bot (SQL by hand) is seen within that
time.

An entry is stored with the generation and its partner's version read BEFORE its row was loaded: a change
committed meanwhile has moved one of them on, so a row older than a change is never taken for current. A commit
whose only writes to a partner were the ORM's flushes of the object this cache served (a setting saved) stores
that object, as committed, as their new entry, if the version moved by this change alone; else the next update
reads the row again.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from typing import Any

from sqlalchemy import Delete, Update, event, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, BooleanClauseList

from db.models import Partner

log = logging.getLogger(__name__)

ENTRY_TTL = 300  # seconds
_WRITES = ("UPDATE PARTNERS", "DELETE FROM PARTNERS", "INSERT INTO PARTNERS")
_CHANGED = "scx_partners_changed"  # connection.info: True (rows unknown) or {partner id: written from its object}
_FLUSHED = "scx_partners_flushed"  # connection.info: {partner id: the Partner object the ORM flushed}
# KEYS: the partner's version, the generation, the partner's entry. ARGV: the generation and version the row was
# served with, the row as committed (JSON), the entry's TTL. The version moves on; the row becomes the entry only if
# that was this change alone (nobody else moved the version or the generation since it was served).
_BUMP_AND_STORE = """
local version = redis.call('INCR', KEYS[1])
local generation = tonumber(redis.call('GET', KEYS[2]) or '0')
if generation == tonumber(ARGV[1]) and version == tonumber(ARGV[2]) + 1 then
    redis.call('SET', KEYS[3], '{"gen": ' .. generation .. ', "ver": ' .. version .. ', "row": ' .. ARGV[3] .. '}',
               'EX', ARGV[4])
end
return version
"""
_MAPPER = inspect(Partner)
_COLUMNS = [column.key for column in _MAPPER.column_attrs]
_TABLE = Partner.__table__
_KNOWN_IDS = 100_000  # partner id -> telegram id remembered; past that forgotten (a write then voids everything)


def _rows_written(context) -> set[str] | None:
    """The partner ids an UPDATE / DELETE names by primary key alone, or None: rows not known (void everything)."""
    statement = getattr(context.compiled, "statement", None) if context is not None else None
    if not isinstance(statement, (Update, Delete)) or statement.table is not _TABLE:
        return None
    where = statement.whereclause
    if isinstance(where, BooleanClauseList) and where.operator is operators.and_ and len(where.clauses) == 1:
        where = where.clauses[0]  # the ORM's flush: and_(partners.id = :partners_id)
    if not (isinstance(where, BinaryExpression) and where.operator is operators.eq
            and where.left is _TABLE.c.id and isinstance(where.right, BindParameter)):
        return None
    name = context.compiled.bind_names.get(where.right)  # an anonymous parameter's key is not its name
    try:
        return {params[name] for params in context.compiled_parameters}
    except (KeyError, TypeError):
        return None


def _as_loaded(session: AsyncSession, row: dict) -> Partner:
    """A Partner attached to the session as if the query had just returned `row`: its attributes are the loaded
    values (no history, so no pending change and no INSERT). Filling the instance's dict is what the ORM's own
    loading does; constructing with Partner(**row) and then un-dirtying it was a seventh of a menu update."""
    partner = _MAPPER.class_manager.new_instance()
    partner.__dict__.update(row)
    instance_state(partner).key = _MAPPER.identity_key_from_primary_key((row["id"],))
    session.add(partner)
    return partner


class PartnerCache:
    def __init__(self, engine: AsyncEngine, *, redis: Any = None, prefix: str = "scx"):
        self.redis = redis
        self._gen_key = f"{prefix}:partners:gen"
        self._entry_prefix = f"{prefix}:partners:tg:"
        self._version_prefix = f"{prefix}:partners:ver:"
        self._generation = 0
        # Without Redis: telegram id -> (gen, version, expiry, row), and telegram id -> version.
        self._entries: dict[int, tuple[int, int, float, dict]] = {}
        self._versions: dict[int, int] = {}
        self._telegram_ids: dict[str, int] = {}  # partner id -> telegram id, of the rows this process served
        # The Partner objects this cache handed out -> the stamp of the row each was made from.
        self._served: weakref.WeakKeyDictionary[Partner, tuple[int, int]] = weakref.WeakKeyDictionary()
        self._engine = engine.sync_engine
        self._bumping = 0  # generation bumps on their way to Redis: until they land, this process reads the database
        self._tasks: set[asyncio.Task] = set()
        self.stats = {"hits": 0, "misses": 0, "invalidations": 0}
        sync_engine = engine.sync_engine
        event.listen(sync_engine, "after_cursor_execute", self._after_execute)
        event.listen(sync_engine, "commit", self._after_commit)
        event.listen(sync_engine, "rollback", self._after_rollback)
        event.listen(Partner, "after_update", self._flushed)

    # ---------------------------------------------------------------------------- engine events (sync)
    def _after_execute(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip()[:24].upper().startswith(_WRITES):
            changed = conn.info.get(_CHANGED)
            if changed is True:
                return
            rows = _rows_written(context)
            if rows is None:
                conn.info[_CHANGED] = True
                return
            # An UPDATE the ORM flushed from a Partner object leaves that object equal to the row it wrote.
            flushed = (statement.lstrip()[:6].upper() == "UPDATE"
                       and context.execution_options.get("compiled_cache") is _MAPPER._compiled_cache)
            changed = conn.info.setdefault(_CHANGED, {})
            for partner_id in rows:
                changed[partner_id] = changed.get(partner_id, True) and flushed

    def _flushed(self, mapper, connection, target) -> None:
        if connection.engine is self._engine:
            connection.info.setdefault(_FLUSHED, {})[target.id] = target

    def _after_commit(self, conn) -> None:
        changed = conn.info.pop(_CHANGED, None)
        flushed = conn.info.pop(_FLUSHED, {})
        if changed is True:
            self.invalidate()
        elif changed:
            self.invalidate_rows(set(changed), self._written_rows(changed, flushed))

    def _written_rows(self, changed: dict[str, bool], flushed: dict[str, Partner]) -> list[tuple[tuple[int, int], dict]]:
        """The rows of the partners this commit wrote only from their objects, which this cache served: such an
        object is the row as committed, unless someone else changed it since it was served (the stamp says)."""
        rows = []
        for partner_id, flushed_only in changed.items():
            partner = flushed.get(partner_id) if flushed_only else None
            stamp = self._served.get(partner) if partner is not None else None
            if stamp is None:
                continue
            values = partner.__dict__
            if all(key in values for key in _COLUMNS):  # nothing expired
                rows.append((stamp, {key: values[key] for key in _COLUMNS}))
        return rows

    def _after_rollback(self, conn) -> None:
        conn.info.pop(_CHANGED, None)
        conn.info.pop(_FLUSHED, None)

    def invalidate(self) -> None:
        """Every entry made before now is void (here at once; on the other replicas once Redis has the news)."""
        self.stats["invalidations"] += 1
        self._generation += 1
        self._entries.clear()
        self._send_bump([self._gen_key])

    def invalidate_rows(self, partner_ids: set[str], written: list[tuple[tuple[int, int], dict]] = ()) -> None:
        """The entries of these partners are void; a partner this process never served voids everything (its
        telegram id, the entry's key, is not known here). `written`: (stamp when served, row as committed) of
        those whose committed row is known: it becomes their entry if nobody else changed them in between (their
        version moved on by this change alone), so the partner who just saved a setting is not read again."""
        telegram_ids = [self._telegram_ids.get(partner_id) for partner_id in partner_ids]
        if None in telegram_ids:
            self.invalidate()
            return
        self.stats["invalidations"] += 1
        if self.redis is None:
            for telegram_id in telegram_ids:
                self._versions[telegram_id] = self._versions.get(telegram_id, 0) + 1
                self._entries.pop(telegram_id, None)
            for (generation, version), row in written:
                telegram_id = row["telegram_id"]
                stamp = (generation, version + 1)
                if stamp == (self._generation, self._versions.get(telegram_id, 0)):
                    self._entries[telegram_id] = (*stamp, time.monotonic() + ENTRY_TTL, row)
            return
        self._send_bump([f"{self._version_prefix}{telegram_id}" for telegram_id in telegram_ids], written)

    def _send_bump(self, keys: list[str], written: list[tuple[tuple[int, int], dict]] = ()) -> None:
        if self.redis is None:
            return
        try:
            task = asyncio.get_running_loop().create_task(self._bump(keys, written))
        except RuntimeError:  # no loop (a synchronous migration): nothing is cached then either
            return
        self._bumping += 1
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _bump(self, keys: list[str], written: list[tuple[tuple[int, int], dict]] = ()) -> None:
        try:
            rows = {f"{self._version_prefix}{row['telegram_id']}": (stamp, row) for stamp, row in written}
            async with self.redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    if key in rows:  # the version moves on and, in the same round trip, the row may become the entry
                        (generation, version), row = rows[key]
                        pipe.eval(_BUMP_AND_STORE, 3, key, self._gen_key, f"{self._entry_prefix}{row['telegram_id']}",
                                  generation, version, json.dumps(row), ENTRY_TTL)
                    else:
                        pipe.incr(key)
                await pipe.execute()
        except Exception as exc:  # the entries still expire within ENTRY_TTL
            log.warning("partner cache: Redis did not take the invalidation (%s: %s)", type(exc).__name__, exc)
        finally:
            self._bumping -= 1

    # ----------------------------------------------------------------------------------------- lookups
    async def get(self, session: AsyncSession, telegram_id: int) -> Partner | None:
        if self._bumping:  # a change committed here is not in Redis yet: neither trust nor store an entry
            return await self._load(session, telegram_id, None)
        stamp, row = await self._lookup(telegram_id)
        if row is not None:
            self.stats["hits"] += 1
            self._remember(row)
            partner = _as_loaded(session, row)
            self._served[partner] = stamp
            return partner
        return await self._load(session, telegram_id, stamp)

    async def _load(self, session: AsyncSession, telegram_id: int,
                    stamp: tuple[int, int] | None) -> Partner | None:
        self.stats["misses"] += 1
        partner = await session.scalar(select(Partner).where(Partner.telegram_id == telegram_id))
        if partner is not None:
            row = {key: getattr(partner, key) for key in _COLUMNS}
            self._remember(row)
            if stamp is not None:
                self._served[partner] = stamp
                await self._store(telegram_id, stamp, row)
        return partner

    def _remember(self, row: dict) -> None:
        if len(self._telegram_ids) > _KNOWN_IDS:  # forgetting only makes a later write void everything
            self._telegram_ids.clear()
        self._telegram_ids[row["id"]] = row["telegram_id"]

    async def _lookup(self, telegram_id: int) -> tuple[tuple[int, int] | None, dict | None]:
        """((generation, version) as of now, the entry's row if it is current)."""
        if self.redis is None:
            stamp = (self._generation, self._versions.get(telegram_id, 0))
            entry = self._entries.get(telegram_id)
            if entry is not None and entry[:2] == stamp and entry[2] > time.monotonic():
                return stamp, entry[3]
            return stamp, None
        try:
            generation, version, raw = await self.redis.mget(self._gen_key, f"{self._version_prefix}{telegram_id}",
                                                             f"{self._entry_prefix}{telegram_id}")
        except Exception as exc:
            log.warning("partner cache: Redis did not answer (%s); reading the database", type(exc).__name__)
            return None, None
        stamp = (int(generation or 0), int(version or 0))
        if raw:
            entry = json.loads(raw)
            if entry.get("gen") == stamp[0] and entry.get("ver") == stamp[1]:
                return stamp, entry["row"]
        return stamp, None

    async def _store(self, telegram_id: int, stamp: tuple[int, int], row: dict) -> None:
        if self.redis is None:
            if stamp == (self._generation, self._versions.get(telegram_id, 0)):
                self._entries[telegram_id] = (*stamp, time.monotonic() + ENTRY_TTL, row)
            return
        try:
            await self.redis.set(f"{self._entry_prefix}{telegram_id}",
                                 json.dumps({"gen": stamp[0], "ver": stamp[1], "row": row}), ex=ENTRY_TTL)
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
