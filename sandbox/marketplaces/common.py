"""Pieces every sandbox marketplace shares: JSON replies, reading credentials, request counting,
injected faults and simple quotas.

Each marketplace module supplies a `Dialect`: how that API reads credentials and how its error,
server-error and rate-limit replies look. `sandbox_middleware` runs the same pipeline for all:
count the call → play an injected fault, if any → authenticate → handler → add the API's headers.
"""
from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping

import orjson
from aiohttp import web

MARKETPLACES = ("uzum", "yandex", "wildberries", "ozon")
FAULT_KINDS = ("5xx", "timeout", "rate_limit", "garbage")
# How long a "timeout" fault stalls before answering: longer than any client timeout in use.
DEFAULT_TIMEOUT_DELAY = 30.0
# How long an injected rate-limit reply tells the client to wait (where the API says so in
# headers: WB X-Ratelimit-Retry/-Reset, Yandex X-RateLimit-Resource-Until), so tests recover fast.
INJECTED_RATE_LIMIT_WAIT = 2
# A 200 whose JSON body is cut off mid-string.
GARBAGE_BODY = b'{"result": {"items": [{"id": 1, "name": "Toshk'


class Reply(Exception):
    """Raise anywhere in a request (auth check, handler) to answer at once with this response."""

    def __init__(self, response: web.Response):
        super().__init__(response.status)
        self.response = response


# orjson writes what json.dumps(ensure_ascii=False) writes (UTF-8, non-ASCII as is) several times faster: a
# page of 1,000 Ozon products is 1.4 MB. NON_STR_KEYS: int keys become strings, as json.dumps makes them; the
# PASSTHROUGH options refuse dataclasses and datetimes as json.dumps does, instead of serializing them.
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def dump_json(body: Any) -> bytes:
    """`body` as UTF-8 JSON bytes. What orjson refuses (e.g. integers beyond 64 bits) goes to json.dumps, which
    writes it or raises the TypeError it always did (a Decimal: neither writes one)."""
    try:
        return orjson.dumps(body, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(body, ensure_ascii=False).encode()


def json_response(
    body: Any,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    content_type: str = "application/json",
) -> web.Response:
    return web.Response(
        status=status,
        body=dump_json(body),
        content_type=content_type,
        headers=headers,
    )


def garbage_response() -> web.Response:
    return web.Response(status=200, body=GARBAGE_BODY, content_type="application/json")


def read_credential(request: web.Request, header: str, *, strip: tuple[str, ...] = ()) -> str | None:
    """The value of an auth header (None if absent or blank), without any prefix in `strip`."""
    value = request.headers.get(header, "").strip()
    for prefix in strip:
        if value[: len(prefix)].lower() == prefix.lower():
            value = value[len(prefix):].strip()
    return value or None


async def read_json_body(request: web.Request) -> Any:
    """The request's JSON body, or None if it has none. Raises ValueError on malformed JSON."""
    raw = await request.read()
    if not raw.strip():
        return None
    return json.loads(raw)


# --------------------------------------------------------------------------------------------
# Quotas
# --------------------------------------------------------------------------------------------
@dataclass
class Quota:
    """A fixed-window counter: at most `limit` requests per `period` seconds."""

    limit: int
    period: float
    window_start: float = 0.0
    used: int = 0

    def take(self, now: float) -> bool:
        """Count one request; False if the window was already full (the request is refused)."""
        if now >= self.window_start + self.period:
            self.window_start, self.used = now, 0
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    def resets_in(self, now: float) -> float:
        return max(self.window_start + self.period - now, 0.0)


class QuotaBook(dict):
    """Quotas by key (e.g. (account, resource)), created on first use."""

    def get_quota(self, key: Any, limit: int, period: float) -> Quota:
        if key not in self:
            self[key] = Quota(limit, period)
        return self[key]


# --------------------------------------------------------------------------------------------
# Faults and counting
# --------------------------------------------------------------------------------------------
@dataclass
class Fault:
    marketplace: str
    path: str | re.Pattern[str]
    kind: str
    remaining: int
    delay: float | None = None

    def matches(self, marketplace: str, path: str) -> bool:
        if marketplace != self.marketplace or self.remaining <= 0:
            return False
        if isinstance(self.path, re.Pattern):
            return self.path.fullmatch(path) is not None
        return self.path == path


class Controls:
    """What tests steer and observe: injected faults and the request counter.

    Paths are relative to the marketplace's mount point: "/v1/shops" (Uzum), "/v2/campaigns"
    (Yandex), "/v1/roles" (Ozon), and for Wildberries "/{category}{path}", e.g. "/content/ping"
    or "/marketplace/api/v3/warehouses" (the category stands for the WB host).
    """

    def __init__(self, timeout_delay: float = DEFAULT_TIMEOUT_DELAY):
        self.calls: Counter[tuple[str, str, str]] = Counter()
        self.faults: list[Fault] = []
        self.timeout_delay = timeout_delay
        self._closing: asyncio.Event | None = None

    def inject(
        self,
        marketplace: str,
        path: str | re.Pattern[str],
        kind: str,
        *,
        times: int = 1,
        delay: float | None = None,
    ) -> None:
        """Make the next `times` matching requests fail with `kind`.

        `path` is an exact relative path, or a regex (a compiled pattern, or a string starting
        with "^") that must match the whole path. `delay` overrides `timeout_delay` for "timeout".
        """
        if marketplace not in MARKETPLACES:
            raise ValueError(f"unknown marketplace {marketplace!r}; expected one of {MARKETPLACES}")
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if isinstance(path, str) and path.startswith("^"):
            path = re.compile(path)
        self.faults.append(Fault(marketplace, path, kind, times, delay))

    def clear_faults(self) -> None:
        self.faults.clear()

    def take_fault(self, marketplace: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(marketplace, path):
                fault.remaining -= 1
                return fault
        return None

    async def stall(self, seconds: float) -> None:
        """Sleep, but wake at once when the sandbox stops (so shutdown never waits on it)."""
        if self._closing is None:
            self._closing = asyncio.Event()
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except asyncio.TimeoutError:
            pass

    def close(self) -> None:
        """Wake every stalled request (the sandbox is stopping)."""
        if self._closing is None:
            self._closing = asyncio.Event()
        self._closing.set()

    def reopen(self) -> None:
        """Stalls last their full time again (the sandbox is starting)."""
        self._closing = None


CONTROLS = web.AppKey("sandbox_controls", Controls)
STATE = web.AppKey("sandbox_state", object)  # the SandboxState (see accounts.py)
ACCOUNT = web.RequestKey("sandbox_account", object)  # what Dialect.authenticate returned
QUOTA = web.RequestKey("sandbox_quota", Quota)  # the quota this request counted against


class Dialect:
    """How one marketplace speaks. Subclasses override what differs."""

    name = ""
    prefix = ""  # where the marketplace is mounted in the sandbox app

    def relative_path(self, request: web.Request) -> str:
        return request.path[len(self.prefix):] or "/"

    def authenticate(self, request: web.Request) -> Any:
        """The caller's account; raise Reply with the API's auth error if the credentials are bad."""
        raise NotImplementedError

    def error(self, request: web.Request, status: int, message: str) -> web.Response:
        """A generic error reply in this API's shape (unknown route, 5xx...)."""
        raise NotImplementedError

    def server_error(self, request: web.Request) -> web.Response:
        return self.error(request, 500, "Internal server error")

    def rate_limited(self, request: web.Request) -> web.Response:
        raise NotImplementedError

    def finish(self, request: web.Request, response: web.StreamResponse) -> None:
        """Add headers this API puts on every reply."""


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def sandbox_middleware(dialect: Dialect, controls: Controls) -> Callable:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = dialect.relative_path(request)
        controls.calls[(dialect.name, request.method, path)] += 1
        try:
            response = await _answer(request, handler, path)
        except Reply as reply:
            response = reply.response
        except web.HTTPException as exc:  # unknown route or method
            response = dialect.error(request, exc.status, exc.reason)
        dialect.finish(request, response)
        return response

    async def _answer(request: web.Request, handler: Handler, path: str) -> web.StreamResponse:
        fault = controls.take_fault(dialect.name, path)
        if fault is not None:
            if fault.kind == "timeout":
                await controls.stall(fault.delay if fault.delay is not None else controls.timeout_delay)
            elif fault.kind == "5xx":
                return dialect.server_error(request)
            elif fault.kind == "rate_limit":
                return dialect.rate_limited(request)
            elif fault.kind == "garbage":
                return garbage_response()
        request[ACCOUNT] = dialect.authenticate(request)
        return await handler(request)

    return middleware


def marketplace_app(
    dialect: Dialect, controls: Controls, state: Any, routes: list[web.RouteDef]
) -> web.Application:
    """A sub-application for one marketplace, with the shared pipeline in front of its routes."""
    app = web.Application(middlewares=[sandbox_middleware(dialect, controls)])
    app[STATE] = state
    app.add_routes(routes)
    return app
