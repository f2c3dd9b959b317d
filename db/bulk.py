"""Bulk reads and writes of plain rows: no ORM objects, one statement per chunk of rows.

The catalog sync reads and writes up to three rows per product (listing, product, ledger row); ORM objects or
per-row parameter dicts for them cost more than the database's own work. Rows here are tuples in the order of
`columns`; every column a caller leaves out must be nullable without a Python-side default (the model's
`default=` is not applied on this path, so callers pass such values themselves).

SQLite: multi-row statements (`INSERT ... VALUES (...), (...), ...`), never executemany, sent straight to the
aiosqlite connection of the session's transaction. Two costs of the usual path, both measured:
- The sqlite3 module releases the GIL around every step and must take it back afterwards; aiosqlite runs it in
  a thread, so while the event loop is busy (parsing the next catalog page) each row of an executemany waited
  up to the interpreter's switch interval for the GIL: 1,000 rows took seconds instead of milliseconds. One
  statement per ~1,700 rows hands the GIL over once.
- SQLAlchemy's aiosqlite adapter makes 3-4 trips to aiosqlite's thread per statement (cursor, execute, fetch,
  close), each one a thread wake-up that waits for a core on a busy machine; the driver's own `execute` /
  `execute_fetchall` is one trip. The statements stay in the session's transaction (the same connection).
PostgreSQL (asyncpg) has neither problem: SQLAlchemy Core with executemany there.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, union, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

_Processors = list[tuple[int, Callable[[Any], Any]]]
_inserts: dict[tuple[str, str, tuple[str, ...]], tuple[str, list[int] | None, _Processors]] = {}
SQLITE_MAX_PARAMS = 32766  # SQLITE_MAX_VARIABLE_NUMBER's default since SQLite 3.32
MAX_IN = 5000  # values per IN (...): under SQLite's 32,766 and PostgreSQL's 32,767 bound parameters


def _prepare_insert(dialect: Dialect, table: Table, columns: tuple[str, ...]):
    """(SQL in the dialect's paramstyle, how to reorder a row into placeholder order or None, the type
    conversions the dialect needs, e.g. Decimal -> float on SQLite, by position)."""
    key = (dialect.name, table.name, columns)
    if key not in _inserts:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
        positions = list(compiled.positiontup or ())
        if sorted(positions) != sorted(columns):
            raise ValueError(f"{table.name}: cannot map columns {columns} to placeholders {positions}")
        order = [columns.index(name) for name in positions]
        _inserts[key] = (str(compiled), None if order == list(range(len(order))) else order,
                         _processors(dialect, table, positions))
    return _inserts[key]


def _processors(dialect: Dialect, table: Table, names: Sequence[str], *, result: bool = False) -> _Processors:
    """(position, conversion) for the columns whose values the driver cannot take (bind) or give (result) as
    the model's type."""
    found = []
    for at, name in enumerate(names):
        impl = table.c[name].type.dialect_impl(dialect)
        processor = impl.result_processor(dialect, None) if result else impl.bind_processor(dialect)
        if processor is not None:
            found.append((at, processor))
    return found


async def _driver(connection: AsyncConnection):
    """The aiosqlite connection under the session's transaction (see the module's note)."""
    return (await connection.get_raw_connection()).driver_connection


def _flat(rows: Sequence[Sequence], width: int, processors: _Processors) -> list:
    """The rows' values in one list (a multi-row statement's parameters), converted column by column."""
    flat = list(itertools.chain.from_iterable(rows))
    for at, processor in processors:
        flat[at::width] = list(map(processor, flat[at::width]))
    return flat


def _sqlite_chunks(rows: Sequence[Sequence], width: int):
    """The rows in chunks of as many as one statement's parameters allow."""
    per = max(1, SQLITE_MAX_PARAMS // width)
    for start in range(0, len(rows), per):
        yield rows[start:start + per]


async def insert_rows(session: AsyncSession, table: Table, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """INSERT every row (a tuple in `columns` order) in the session's transaction."""
    if not rows:
        return
    connection = await session.connection()
    sql, order, processors = _prepare_insert(connection.dialect, table, tuple(columns))
    if order is not None:
        rows = [tuple(row[i] for i in order) for row in rows]
    if connection.dialect.name != "sqlite":
        await connection.exec_driver_sql(sql, list(_converted(rows, processors)))
        return
    head, _, placeholders = sql.rpartition(" VALUES ")
    driver, width = await _driver(connection), len(columns)
    for chunk in _sqlite_chunks(rows, width):
        await driver.execute(f"{head} VALUES {', '.join([placeholders] * len(chunk))}",
                             _flat(chunk, width, processors))


def _converted(rows: Sequence[Sequence], processors: _Processors) -> Sequence[tuple]:
    """The rows with the processors' columns converted, column by column (SQLAlchemy's processors take None)."""
    if not processors or not rows:
        return rows
    columns = list(zip(*rows))
    for at, processor in processors:
        columns[at] = map(processor, columns[at])
    return list(zip(*columns))


async def select_rows(session: AsyncSession, table: Table, columns: Sequence[str], equal: Mapping[str, Any],
                      any_in: Mapping[str, Sequence[Any]]) -> list[tuple]:
    """The `columns` (as plain tuples, values of the model's types) of the rows whose `equal` columns hold those
    values and whose value in one of `any_in`'s columns is one of the listed ones: one `SELECT ... WHERE
    column IN (...)` per column, joined by UNION (with OR, SQLite scans the rows `equal` selects instead of
    using each column's index; UNION drops a row found by two columns), MAX_IN values a statement. A row found
    in two statements (more than MAX_IN values in all) comes back twice."""
    lists = [(name, list(values)) for name, values in any_in.items() if values]
    if not lists:
        return []
    connection = await session.connection()
    dialect = connection.dialect
    found: list[tuple] = []
    for chunk in _in_chunks(lists):
        if dialect.name != "sqlite":
            c = table.c
            statement = union(*(select(*(c[name] for name in columns)).where(
                *(c[column] == value for column, value in equal.items()), c[name].in_(values))
                for name, values in chunk))
            found.extend(tuple(row) for row in await connection.execute(statement))
            continue
        head = f"SELECT {', '.join(columns)} FROM {table.name} WHERE " + \
            "".join(f"{column} = ? AND " for column in equal)
        sql = " UNION ".join(f"{head}{name} IN ({', '.join('?' * len(values))})" for name, values in chunk)
        parameters = list(itertools.chain.from_iterable((*equal.values(), *values) for _, values in chunk))
        rows = await (await _driver(connection)).execute_fetchall(sql, parameters)
        processors = _processors(dialect, table, columns, result=True)
        found.extend(_converted(rows, processors) if processors else rows)
    return found


def _in_chunks(lists: list[tuple[str, list]]):
    """[(column, values)] cut so that no chunk holds more than MAX_IN values in all."""
    chunk, room = [], MAX_IN
    for name, values in lists:
        start = 0
        while start < len(values):
            take = values[start:start + room]
            chunk.append((name, take))
            start += len(take)
            room -= len(take)
            if room == 0:
                yield chunk
                chunk, room = [], MAX_IN
    if chunk:
        yield chunk


async def set_where_in(session: AsyncSession, table: Table, values: Mapping[str, Any], key: str,
                       keys: Sequence[Any]) -> None:
    """UPDATE table SET `values` (the same for every row) WHERE `key` IN `keys`, MAX_IN keys a statement."""
    if not keys:
        return
    connection = await session.connection()
    dialect = connection.dialect
    for start in range(0, len(keys), MAX_IN):
        chunk = list(keys[start:start + MAX_IN])
        if dialect.name != "sqlite":
            await connection.execute(update(table).where(table.c[key].in_(chunk)).values(values))
            continue
        converted = _converted([tuple(values.values())], _processors(dialect, table, list(values)))[0]
        await (await _driver(connection)).execute(
            f"UPDATE {table.name} SET {', '.join(f'{name} = ?' for name in values)} "
            f"WHERE {key} IN ({', '.join('?' * len(chunk))})", [*converted, *chunk])


FILL = "fill"  # set the new value only where the row holds NULL
UNLESS_NULL = "unless_null"  # a NULL new value keeps what the row holds


async def update_rows(session: AsyncSession, table: Table, key: str, columns: Sequence[str], rows: Sequence[Sequence],
                      *, merge: dict[str, str] | None = None) -> None:
    """UPDATE rows by their `key` column; each row is a tuple (key value, then `columns` in order). `merge` names
    columns whose new value combines with the current one (FILL, UNLESS_NULL), so a value another writer set
    meanwhile is not overwritten with a stale one. SQLite: one `WITH v(...) AS (VALUES ...) UPDATE ... FROM v`
    statement per ~1,700 rows (see the module's note); elsewhere the driver's executemany."""
    if not rows:
        return
    merge = merge or {}
    connection = await session.connection()
    dialect = connection.dialect
    if dialect.name != "sqlite":
        c = table.c
        new = {name: bindparam(f"new_{name}", type_=c[name].type) for name in columns}
        statement = update(table).where(c[key] == bindparam("row_key", type_=c[key].type)).values({
            name: func.coalesce(c[name], new[name]) if merge.get(name) == FILL
            else func.coalesce(new[name], c[name]) if merge.get(name) == UNLESS_NULL else new[name]
            for name in columns})
        await connection.execute(statement, [{"row_key": row[0], **{f"new_{n}": v for n, v in zip(columns, row[1:])}}
                                             for row in rows])
        return
    names = [key, *columns]
    processors = _processors(dialect, table, names)
    assignments = []
    for name in columns:
        if merge.get(name) == FILL:
            assignments.append(f"{name} = COALESCE({table.name}.{name}, v.{name})")
        elif merge.get(name) == UNLESS_NULL:
            assignments.append(f"{name} = COALESCE(v.{name}, {table.name}.{name})")
        else:
            assignments.append(f"{name} = v.{name}")
    placeholders = "(" + ", ".join("?" * len(names)) + ")"
    driver, width = await _driver(connection), len(names)
    for chunk in _sqlite_chunks(rows, width):
        await driver.execute(
            f"WITH v({', '.join(names)}) AS (VALUES {', '.join([placeholders] * len(chunk))}) "
            f"UPDATE {table.name} SET {', '.join(assignments)} FROM v WHERE {table.name}.{key} = v.{key}",
            _flat(chunk, width, processors))
