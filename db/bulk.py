"""Bulk inserts of plain rows: one statement compiled per dialect, no ORM objects.

The catalog sync writes up to three rows per product read (listing, product, ledger row); building ORM objects
or per-row parameter dicts for them cost more than SQLite's own work. Rows here are tuples in the order of
`columns`; every column a caller leaves out must be nullable without a Python-side default (the model's
`default=` is not applied on this path, so callers pass such values themselves).

On SQLite the rows go in multi-row statements (`INSERT ... VALUES (...), (...), ...`), not executemany. The
sqlite3 module releases the GIL around every step and must take it back afterwards; aiosqlite runs it in a
thread, so while the event loop is busy (parsing the next catalog page) each row of an executemany waited up to
the interpreter's 5 ms switch interval for the GIL: 1,000 rows took seconds instead of milliseconds. One
statement per ~1,700 rows hands the GIL over once. PostgreSQL (asyncpg) has no such thread: executemany there.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

_Prepared = tuple[str, list[int] | None, list[tuple[int, Callable[[Any], Any]]]]
_prepared: dict[tuple[str, str, tuple[str, ...]], _Prepared] = {}
SQLITE_MAX_PARAMS = 32766  # SQLITE_MAX_VARIABLE_NUMBER's default since SQLite 3.32


def _prepare(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> _Prepared:
    """(SQL in the dialect's paramstyle, how to reorder a row into placeholder order or None, the type
    conversions the dialect needs, e.g. Decimal -> float on SQLite, by position)."""
    key = (dialect.name, table.name, columns)
    if key not in _prepared:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
        positions = list(compiled.positiontup or ())
        if sorted(positions) != sorted(columns):
            raise ValueError(f"{table.name}: cannot map columns {columns} to placeholders {positions}")
        order = [columns.index(name) for name in positions]
        _prepared[key] = (str(compiled), None if order == list(range(len(order))) else order,
                          _processors(dialect, table, positions))
    return _prepared[key]


async def insert_rows(session: AsyncSession, table: Table, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """INSERT every row (a tuple in `columns` order) in the session's transaction."""
    if not rows:
        return
    connection = await session.connection()
    sql, order, processors = _prepare(connection.dialect, table, tuple(columns))
    if order is not None:
        rows = [tuple(row[i] for i in order) for row in rows]
    rows = _converted(rows, processors)
    if connection.dialect.name != "sqlite":
        await connection.exec_driver_sql(sql, list(rows))
        return
    head, _, placeholders = sql.rpartition(" VALUES ")
    per_statement = max(1, SQLITE_MAX_PARAMS // len(columns))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        await connection.exec_driver_sql(f"{head} VALUES {', '.join([placeholders] * len(chunk))}",
                                         tuple(itertools.chain.from_iterable(chunk)))


def _processors(dialect: Dialect, table: Table, names: Sequence[str]) -> list[tuple[int, Callable[[Any], Any]]]:
    """(position, conversion) for the columns whose values the dialect's driver cannot take as they are."""
    found = []
    for at, name in enumerate(names):
        processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            found.append((at, processor))
    return found


def _converted(rows: Sequence[Sequence], processors: list[tuple[int, Callable[[Any], Any]]]) -> Sequence[Sequence]:
    if not processors:
        return rows
    converted = []
    for row in rows:
        values = list(row)
        for at, processor in processors:
            if values[at] is not None:
                values[at] = processor(values[at])
        converted.append(tuple(values))
    return converted


FILL = "fill"  # set the new value only where the row holds NULL
UNLESS_NULL = "unless_null"  # a NULL new value keeps what the row holds


async def update_rows(session: AsyncSession, table: Table, key: str, columns: Sequence[str], rows: Sequence[Sequence],
                      *, merge: dict[str, str] | None = None) -> None:
    """UPDATE rows by their `key` column; each row is a tuple (key value, then `columns` in order). `merge` names
    columns whose new value combines with the current one (FILL, UNLESS_NULL), so a value another writer set
    meanwhile is not overwritten with a stale one. SQLite: one `WITH v(...) AS (VALUES ...) UPDATE ... FROM v`
    statement per ~1,700 rows (see the module's note on the GIL); elsewhere the driver's executemany."""
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
    rows = _converted(rows, _processors(dialect, table, names))
    assignments = []
    for name in columns:
        if merge.get(name) == FILL:
            assignments.append(f"{name} = COALESCE({table.name}.{name}, v.{name})")
        elif merge.get(name) == UNLESS_NULL:
            assignments.append(f"{name} = COALESCE(v.{name}, {table.name}.{name})")
        else:
            assignments.append(f"{name} = v.{name}")
    placeholders = "(" + ", ".join("?" * len(names)) + ")"
    per_statement = max(1, SQLITE_MAX_PARAMS // len(names))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        await connection.exec_driver_sql(
            f"WITH v({', '.join(names)}) AS (VALUES {', '.join([placeholders] * len(chunk))}) "
            f"UPDATE {table.name} SET {', '.join(assignments)} FROM v WHERE {table.name}.{key} = v.{key}",
            tuple(itertools.chain.from_iterable(chunk)))
