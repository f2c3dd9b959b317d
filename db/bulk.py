"""Bulk inserts of plain rows: one statement compiled per dialect, the driver's executemany, no ORM objects.

The catalog sync writes up to three rows per product read (listing, product, ledger row); building ORM objects
or per-row parameter dicts for them cost more than SQLite's own work. Rows here are tuples in the order of
`columns`; every column a caller leaves out must be nullable without a Python-side default (the model's
`default=` is not applied on this path, so callers pass such values themselves).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

_Prepared = tuple[str, list[int] | None, list[tuple[int, Callable[[Any], Any]]]]
_prepared: dict[tuple[str, str, tuple[str, ...]], _Prepared] = {}


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
        processors = []
        for at, name in enumerate(positions):
            processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors.append((at, processor))
        _prepared[key] = (str(compiled), None if order == list(range(len(order))) else order, processors)
    return _prepared[key]


async def insert_rows(session: AsyncSession, table: Table, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """INSERT every row (a tuple in `columns` order) in the session's transaction."""
    if not rows:
        return
    connection = await session.connection()
    sql, order, processors = _prepare(connection.dialect, table, tuple(columns))
    if order is not None:
        rows = [tuple(row[i] for i in order) for row in rows]
    if processors:
        converted = []
        for row in rows:
            values = list(row)
            for at, processor in processors:
                if values[at] is not None:
                    values[at] = processor(values[at])
            converted.append(values)
        rows = converted
    await connection.exec_driver_sql(sql, [tuple(row) for row in rows] if processors else list(rows))
