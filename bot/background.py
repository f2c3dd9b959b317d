"""Background tasks started by handlers (a catalog sync with its progress message): kept referenced so they
are not garbage-collected mid-run, and their failures logged instead of lost."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine

log = logging.getLogger(__name__)
_tasks: set[asyncio.Task] = set()


def spawn(coro: Coroutine, *, name: str) -> asyncio.Task:
    task = asyncio.create_task(coro, name=name)
    _tasks.add(task)
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Task) -> None:
    _tasks.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("background task %s failed", task.get_name(), exc_info=task.exception())


async def wait_all(timeout: float = 30) -> None:
    """For tests and shutdown: let running background work finish."""
    if _tasks:
        await asyncio.wait(list(_tasks), timeout=timeout)
