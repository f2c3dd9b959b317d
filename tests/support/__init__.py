"""Test helpers shared by the suites: a scripted fake marketplace API and WB token factory.

The contract validator lives in `tests.support.contract`.
"""
from __future__ import annotations

import base64
import json
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

import httpx

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def reply(status: int = 200, body: Any = None, *, headers: dict[str, str] | None = None,
          content_type: str = "application/json", text: str | None = None) -> httpx.Response:
    """An httpx.Response with a JSON (or raw text) body."""
    h = {"Content-Type": content_type, **(headers or {})}
    if text is not None:
        return httpx.Response(status, headers=h, content=text.encode())
    return httpx.Response(status, headers=h, content=b"" if body is None else json.dumps(body).encode())


class FakeApi:
    """Replies scripted per (method, URL without query); records every request it sees.

    `add(method, url, r1, r2, ...)` queues replies; the last one repeats. A reply may be an
    httpx.Response, an exception to raise (e.g. httpx.ConnectTimeout) or a function of the request.
    """

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], deque[Reply]] = defaultdict(deque)
        self.requests: list[httpx.Request] = []

    def add(self, method: str, url: str, *replies: Reply) -> FakeApi:
        self._routes[(method.upper(), url.rstrip("/"))].extend(replies)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, str(request.url.copy_with(query=None)).rstrip("/"))
        queue = self._routes.get(key)
        if not queue:
            return reply(404, {"message": f"no fake route for {key}"})
        item = queue.popleft() if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        if callable(item) and not isinstance(item, httpx.Response):
            return item(request)
        # A Response object can be consumed once; hand out a fresh copy each time.
        return httpx.Response(item.status_code, headers=item.headers, content=item.content)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]


def _b64(data: dict | str) -> str:
    raw = data.encode() if isinstance(data, str) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def make_jwt(payload: dict, header: dict | None = None) -> str:
    """An unsigned-looking JWT (WB tokens are only decoded locally; WB itself checks signatures)."""
    return f"{_b64(header or {'alg': 'ES256', 'kid': '20250217v1', 'typ': 'JWT'})}.{_b64(payload)}.c2lnbmF0dXJl"


def wb_mask(*positions: int) -> int:
    """The `s` claim with these bit positions set (1 << position, see connectors.wildberries.wb_scope_bit)."""
    mask = 0
    for position in positions:
        mask |= 1 << position
    return mask


def make_wb_token(*, acc: int = 1, s: int | None = None, exp: int = 1_900_000_000,
                  sid: str = "e6ac6604-1d21-415c-905d-3dc0c4a8f2be", **extra: Any) -> str:
    """A WB token with the claims of a real one (ent, exp, id, iid, oid, s, sid, t, uid)."""
    payload = {
        "acc": acc, "ent": 1, "exp": exp, "id": "01960b9e-c8e6-7105-b560-e156c089d0d6", "iid": 50109270,
        "oid": 677632, "s": wb_mask(1, 2, 3, 4, 5) if s is None else s, "sid": sid, "t": acc == 2,
        "uid": 50109270, **extra,
    }
    if acc == 3:
        payload.setdefault("for", "self")
    return make_jwt(payload)
