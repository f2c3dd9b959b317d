"""Synchronous filters run inline. aiogram 3.31 runs every filter that is not a coroutine function in a worker thread
(`CallableObject.call` -> `asyncio.to_thread`): `F.text`, `F.data == ...`, a `State` used as a filter. Each is a
thread hop and a wait for the GIL; a text message in a flow state went through about fourteen of them before
reaching its handler (cProfile of bench.dispatch's FSM step: 28 `to_thread` calls per update). These filters only
compare attributes of the update, so they run here as coroutines, in the event loop, with the same result."""
from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.fsm.state import State


def _inline(callback):
    async def run(*args: Any, **kwargs: Any) -> Any:
        return callback(*args, **kwargs)

    return run


def run_filters_inline(router: Router) -> Router:
    """Every magic filter and State filter of `router` and the routers below it, run without a thread."""
    for each in router.chain_tail:
        for observer in each.observers.values():
            handlers = [observer.handlers, [getattr(observer, "_handler", None)]]  # _handler: the router's filters
            for handler in (h for group in handlers for h in group if h is not None):
                for event_filter in handler.filters or ():
                    if not event_filter.awaitable and (event_filter.magic is not None
                                                       or isinstance(event_filter.callback, State)):
                        event_filter.callback = _inline(event_filter.callback)
                        event_filter.awaitable = True
    return router
