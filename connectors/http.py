"""The one HTTP core every marketplace client uses.

What lives here (and nowhere else):
- an httpx.AsyncClient with timeouts; credentials only ever travel in headers;
- bounded retries with exponential backoff + jitter on 5xx, connect errors and timeouts;
- rate-limit replies: each marketplace says "slow down" differently, so the client passes a small
  `ErrorPolicy` (see the client modules) that turns a reply into a wait; short waits are slept here,
  long ones become `RateLimited(retry_after=...)`. The server's own number always wins over an estimate;
- optional client-side pacing: `request(..., pace=Pace)` waits for the limiters of `connectors.pacing`
  before each attempt, penalizes them when the server says "slow down" and feeds them the server's own
  remaining count (`ErrorPolicy.remaining`). Without `pace` nothing changes;
- mapping of final failures to the typed errors of `connectors.base`;
- redaction: logs carry method, path, status and duration only, and every text that could reach a log
  or an exception passes through `redact()` first;
- shared connection pools per marketplace host (`shared_transport`; one, plus one per 10 clients open at once):
  every client of that host reuses its SSL context and keep-alive connections; a client of its own costs ~45 ms of CPU to build (the SSL context), one over the
  shared pool 0.03 ms. Each client keeps its own httpx.AsyncClient (headers, cookies, timeouts): accounts share
  connections, never state.

Time is injectable (`clock.now()` / `await clock.sleep()`) so tests never sleep for real.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import functools
import json
import logging
import math
import random
import threading
import time
import urllib.parse
import urllib.request
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Required, TypedDict, TypeVar

import httpx
import pydantic

from connectors.base import (
    AuthError,
    BadResponse,
    ConnectorError,
    KeyExpired,
    Marketplace,
    MarketplaceUnavailable,
    PermissionDenied,
    RateLimited,
    Warning,
)
from connectors.clock import Clock, SystemClock
from connectors.pacing import Pace

log = logging.getLogger("connectors.http")

# Retry budget: one request is tried at most this many times (first try included).
MAX_ATTEMPTS = 3
# Exponential backoff: base * 2**(attempt-1), capped, then jittered (see `backoff_delay`).
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
# A rate-limit wait up to this long is slept inside the call; a longer one is handed back to the caller
# as RateLimited(retry_after) so a scheduler can come back later instead of blocking a chat handler.
MAX_INLINE_WAIT = 10.0
# How much marketplace text we keep in an error (`ConnectorError.detail`): enough to explain, never a body.
DETAIL_LIMIT = 200


# ----------------------------------------------------------------------------------------- redaction
REDACTED = "***"
# Secrets shorter than this are not redacted by substring (it would shred ordinary words).
_MIN_SECRET_LEN = 6
_known_secrets: set[str] = set()
_known_lock = threading.Lock()


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Replace every occurrence of each secret (and of every key a live client registered) with ***."""
    if not text:
        return text
    with _known_lock:
        candidates = set(_known_secrets)
    candidates.update(s for s in secrets if s)
    # Longest first, so a secret that contains another is removed whole.
    for secret in sorted(candidates, key=len, reverse=True):
        if len(secret) >= _MIN_SECRET_LEN and secret in text:
            text = text.replace(secret, REDACTED)
    return text


def register_secret(secret: str | None) -> None:
    """Make `redact()` know a key even where the caller does not pass it (the bot's log formatter uses it)."""
    if secret and len(secret) >= _MIN_SECRET_LEN:
        with _known_lock:
            _known_secrets.add(secret)


# ------------------------------------------------------------------------------------ error policies
@dataclass(frozen=True)
class Reply:
    """What a policy sees of a failed reply: status, headers and the parsed body (None if not JSON)."""

    status: int
    headers: httpx.Headers
    body: Any
    text: str


@dataclass(frozen=True)
class RateLimitSignal:
    """The reply is a rate-limit answer. `retry_after` is seconds to wait, None if nobody said."""

    retry_after: float | None = None


@dataclass(frozen=True)
class ErrorPolicy:
    """How one marketplace says "slow down" and "no", as three small functions.

    - rate_limit(reply, now) -> RateLimitSignal | None
    - message(reply) -> short human text from the marketplace's error envelope, or None
    - classify(reply, message) -> a ConnectorError subclass when the marketplace's text decides the type
      (e.g. Ozon "Api-key is deactivated" -> KeyExpired), or None to use the status-based default.
    - remaining(reply, now) -> (remaining, reset_at unix time | None) from the headers of any reply, or None
      (optional; used only for paced requests; on a 2xx the reply's body is None). Ready-made:
      `connectors.wildberries.limits.wb_remaining`, `connectors.yandex.limits.yandex_remaining`.
    """

    marketplace: Marketplace
    rate_limit: Callable[[Reply, float], RateLimitSignal | None]
    message: Callable[[Reply], str | None]
    classify: Callable[[Reply, str], type[ConnectorError] | None] = lambda reply, message: None
    remaining: Callable[[Reply, float], tuple[float, float | None] | None] | None = None


def seconds_header(reply: Reply, name: str) -> float | None:
    """A header holding a number of seconds (WB `X-Ratelimit-Retry`, standard `Retry-After`)."""
    raw = reply.headers.get(name)
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        # Retry-After may also be an HTTP date.
        return None
    return max(0.0, value)


def header_number(raw: str | None) -> float | None:
    """A header holding a count (WB `X-Ratelimit-Remaining`); None if absent or not a finite number."""
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def http_date_header(reply: Reply, name: str, now: float) -> float | None:
    """A header holding an RFC 822 / HTTP date (Yandex `X-RateLimit-Resource-Until`) -> seconds from now."""
    raw = reply.headers.get(name)
    if not raw:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # RFC 822 without a zone: the spec says GMT
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return max(0.0, moment.timestamp() - now)


def retry_after_header(reply: Reply, now: float) -> float | None:
    """Standard `Retry-After`: seconds or an HTTP date."""
    seconds = seconds_header(reply, "Retry-After")
    return seconds if seconds is not None else http_date_header(reply, "Retry-After", now)


def error_code(body: Any) -> str | None:
    """The error code of an error reply in the shapes the marketplaces use: {"code"}, {"error": {"code" | "type"}},
    {"errors": [{"code"}]}, problem+json {"title"} (a number is a code too)."""
    if not isinstance(body, dict):
        return None
    nested = body.get("error") if isinstance(body.get("error"), dict) else {}
    errors = body.get("errors") if isinstance(body.get("errors"), list) else []
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    for value in (body.get("code"), body.get("errorCode"), nested.get("code"), nested.get("type"), first.get("code"),
                  body.get("title")):
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, (int, str)) and str(value).strip():
            return str(value).strip()
    return None


def first_text(*candidates: Any) -> str | None:
    """The first non-empty string among candidates (for tolerant error-envelope parsing)."""
    for value in candidates:
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


# ------------------------------------------------------------------------------------------- backoff
def backoff_delay(attempt: int, rng: random.Random | None = None) -> float:
    """Equal-jitter exponential backoff: half fixed, half random, so retries from many clients spread."""
    base = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
    return base / 2 + (rng or random).random() * base / 2


# ------------------------------------------------------------------------------------- shared pools
# Per pool: more connections than the job runner runs jobs at once, so a poll round never waits for a connection.
SHARED_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=50, keepalive_expiry=5.0)
# Clients at once per pool. httpcore's pool (1.0.x) looks at every connection it holds on every request it assigns
# and every response it closes (a socket poll each), and for each idle one counts them all again: with the ~25
# connections a poll round's 40 jobs open to one host, that bookkeeping was a third of the connector's CPU
# (bench/scale.py's profile: 2.5 of 7.5 s). A host gets another pool for every CLIENTS_PER_POOL clients open at
# once, each client keeping its pool for its life (a job's requests reuse their connection), the first pool
# preferred (a quiet bot keeps one pool and its warm connections). Idle connections are kept 5 s: a round's opening
# burst does not leave them to be looked at for the rest of it.
CLIENTS_PER_POOL = 10
# Pools belong to the event loop that made them (their connections do): one set per running loop.
_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _HostPools]] = weakref.WeakKeyDictionary()


class _HostPools:
    """One host's pools and how many open clients each has."""

    def __init__(self, proxy: str | None):
        self.proxy = proxy
        self.pools: list[httpx.AsyncHTTPTransport] = []
        self.clients: list[int] = []

    def borrow(self) -> _Borrowed:
        index = next((i for i, n in enumerate(self.clients) if n < CLIENTS_PER_POOL), len(self.pools))
        if index == len(self.pools):
            self.pools.append(httpx.AsyncHTTPTransport(limits=SHARED_LIMITS, proxy=self.proxy))
            self.clients.append(0)
        self.clients[index] += 1
        return _Borrowed(self, index)


class _Borrowed(httpx.AsyncBaseTransport):
    """A client's handle on a shared pool: closing the client leaves the pool to the others."""

    def __init__(self, host: _HostPools, index: int):
        self.host, self.index = host, index
        self.pool = host.pools[index]
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.pool.handle_async_request(request)

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self.host.clients[self.index] -= 1


def shared_transport(base_url: str) -> httpx.AsyncBaseTransport | None:
    """A handle on one of the running loop's pools for `base_url`'s host (made on first use, honouring the *_PROXY /
    NO_PROXY environment as httpx would); None outside a running loop (the client then makes its own)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    parts = urllib.parse.urlsplit(base_url)
    host = f"{parts.scheme}://{parts.netloc}"
    pools = _pools.setdefault(loop, {})
    found = pools.get(host)
    if found is None:
        proxies = urllib.request.getproxies_environment()
        proxy = None
        if parts.hostname and not urllib.request.proxy_bypass_environment(parts.hostname):
            proxy = proxies.get(parts.scheme) or proxies.get("all")
        found = pools[host] = _HostPools(proxy)
    return found.borrow()


async def close_shared_transports() -> None:
    """At shutdown: close this loop's pools (their idle connections)."""
    hosts = _pools.pop(asyncio.get_running_loop(), {})
    for host in hosts.values():
        for pool in host.pools:
            await pool.aclose()


# ---------------------------------------------------------------------------------------------- core
_STATUS_DEFAULTS: dict[int, type[ConnectorError]] = {
    401: AuthError,
    402: PermissionDenied,  # WB: the Catalog service balance is empty
    403: PermissionDenied,
}

T = TypeVar("T")


@functools.lru_cache(maxsize=256)
def _adapter(type_: Any) -> pydantic.TypeAdapter:
    return pydantic.TypeAdapter(type_)


def parse_model(type_: type[T] | Any, data: Any, what: str) -> T:
    """Validate marketplace JSON with a pydantic model (or any type); a shape we cannot read is BadResponse."""
    try:
        return _adapter(type_).validate_python(data)
    except pydantic.ValidationError as exc:
        # Field locations only, never values: values could echo anything the server sent.
        where = ", ".join(".".join(str(p) for p in err["loc"]) or "<root>" for err in exc.errors()[:3])
        raise BadResponse(f"{what}: unexpected reply shape ({where})") from None


def parse_model_json(type_: type[T] | Any, raw: bytes | str, what: str, *, status: int | None = None) -> T:
    """`parse_model` straight from a reply's bytes (`HttpCore.request(...).content`): pydantic-core parses and
    validates in one pass in Rust, no Python objects in between, so it pays off for big pages; the type should
    hold no Python validators (they would force Python objects again). A body that is not JSON, or a shape we
    cannot read, is BadResponse, as with `request_json` + `parse_model`."""
    try:
        return _adapter(type_).validate_json(raw)
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        if errors and errors[0]["type"] == "json_invalid":
            raise BadResponse(f"{what}: reply is not JSON", status=status) from None
        # Field locations only, never values: values could echo anything the server sent.
        where = ", ".join(".".join(str(p) for p in err["loc"]) or "<root>" for err in errors[:3])
        raise BadResponse(f"{what}: unexpected reply shape ({where})") from None


class Connection(TypedDict, total=False):
    """Where and how a client reaches its marketplace: the keywords `connectors.build_client()` gives every client
    and the client hands on to its HttpCore (`HttpCore(policy=..., auth_headers=..., **connection)`), so the four
    constructors do not each spell them out."""

    base_url: Required[str]
    transport: httpx.AsyncBaseTransport | None  # tests' (the contract validator); None: the host's shared pool
    clock: Clock | None
    timeout: float


class HttpCore:
    """One httpx.AsyncClient plus the retry / rate-limit / error-mapping rules.

    `auth_headers` hold the credentials; they are sent as headers on every request and registered for
    redaction. Clients may swap them (Uzum tries two auth schemes) with `set_auth_headers`.
    """

    def __init__(
        self,
        *,
        policy: ErrorPolicy,
        base_url: str = "",
        auth_headers: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str | None] = (),
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        timeout: float = 15.0,
        max_attempts: int = MAX_ATTEMPTS,
        max_inline_wait: float = MAX_INLINE_WAIT,
        rng: random.Random | None = None,
    ):
        self.policy = policy
        self.base_url = base_url.rstrip("/")
        self.clock: Clock = clock or SystemClock()
        self.max_attempts = max(1, max_attempts)
        self.max_inline_wait = max_inline_wait
        self._rng = rng or random.Random()
        self._secrets: set[str] = {s for s in secrets if s}
        self._auth_headers: dict[str, str] = {}
        self.set_auth_headers(auth_headers or {})
        shared = transport is None and (transport := shared_transport(self.base_url)) is not None
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            headers={"Accept": "application/json", **(headers or {})},
            follow_redirects=False,  # a redirect would carry the key to another host
            trust_env=not shared,  # the shared pool applied the environment's proxies already
        )

    # -- credentials -------------------------------------------------------------------------------
    def set_auth_headers(self, auth_headers: Mapping[str, str]) -> None:
        # Pasted keys often carry a trailing space or newline; a header cannot.
        self._auth_headers = {name: value.strip() for name, value in auth_headers.items()}
        for value in self._auth_headers.values():
            self._secrets.add(value)
            register_secret(value)
        for secret in self._secrets:
            register_secret(secret)

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- requests ----------------------------------------------------------------------------------
    async def request(
        self,
        method: str,
        path: str,
        *,
        base_url: str | None = None,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        idempotent: bool = True,
        pace: Pace | None = None,
    ) -> httpx.Response:
        """Send with retries; return a 2xx response or raise a typed ConnectorError.

        `idempotent=False` (a write that must not happen twice) retries only after rate-limit replies,
        which the server did not act on; a timeout or 5xx may have been applied, so it is reported.

        `pace` (connectors.pacing): every attempt first waits for its limiters (and holds its parallel
        slots until the reply is read); a rate-limit reply penalizes them with the server's wait, so the
        retry and every other request on the same credential wait it out; the policy's `remaining` hook
        feeds them the server's count. `Pace(max_wait=...)` may raise RateLimited before sending.
        """
        url = (base_url if base_url is not None else self.base_url).rstrip("/") + path
        kwargs: dict[str, Any] = {"params": params, "headers": self._auth_headers}
        if json_body is not None:
            kwargs["json"] = json_body
        last_error: ConnectorError | None = None

        for attempt in range(1, self.max_attempts + 1):
            is_last = attempt == self.max_attempts
            if last_error is not None and not idempotent:
                raise last_error
            passage = await pace.enter() if pace is not None else None
            wall = time.monotonic()
            try:
                try:
                    response = await self._client.request(method, url, **kwargs)
                except httpx.TimeoutException as exc:
                    self._log(method, path, "timeout", wall)
                    last_error = MarketplaceUnavailable(f"{self.policy.marketplace} timed out ({type(exc).__name__})")
                except httpx.TransportError as exc:
                    # Connect errors, resets, protocol errors: the marketplace (or the path to it) is down.
                    self._log(method, path, "network error", wall)
                    last_error = MarketplaceUnavailable(
                        f"{self.policy.marketplace} unreachable ({type(exc).__name__})"
                    )
                else:
                    self._log(method, path, response.status_code, wall)
                    if passage is not None:
                        self._observe_remaining(passage, response)
                    if response.is_success:
                        return response
                    reply = self._reply(response)
                    now = self.clock.now()
                    signal = self.policy.rate_limit(reply, now)
                    if signal is None and response.status_code == 429:
                        # Any marketplace: a bare 429 is a rate limit even if the policy does not know it.
                        signal = RateLimitSignal(retry_after_header(reply, now))
                    if signal is not None:
                        # The server's number wins; without one we fall back to our own backoff estimate.
                        wait = signal.retry_after if signal.retry_after is not None else backoff_delay(attempt, self._rng)
                        paced = passage is not None and bool(passage.pace.signals)
                        if paced:
                            # Everyone on this credential waits it out; the retry waits in pace.enter().
                            wait = max(wait, passage.pace.min_penalty)
                            passage.penalize(wait)
                        if is_last or wait > self.max_inline_wait:
                            raise RateLimited(
                                f"{self.policy.marketplace} rate limit, retry after {wait:.1f}s",
                                retry_after=wait,
                                status=response.status_code,
                                detail=self._detail(reply),
                            )
                        if not paced:
                            await self.clock.sleep(wait)
                        continue
                    if response.status_code >= 500:
                        last_error = MarketplaceUnavailable(
                            f"{self.policy.marketplace} answered {response.status_code}",
                            status=response.status_code,
                            detail=self._detail(reply),
                        )
                    else:
                        if passage is not None:
                            passage.charge_error()
                        raise self._error(reply)
            finally:
                if passage is not None:
                    passage.release()
            if not is_last and idempotent:
                await self.clock.sleep(backoff_delay(attempt, self._rng))
        assert last_error is not None
        raise last_error

    async def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """`request()` and parse the JSON body; an unparsable body is a BadResponse."""
        response = await self.request(method, path, **kwargs)
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BadResponse(
                f"{self.policy.marketplace} {method} {path}: reply is not JSON", status=response.status_code
            ) from None

    # -- helpers -----------------------------------------------------------------------------------
    def _observe_remaining(self, passage: Any, response: httpx.Response) -> None:
        """Feed the server's remaining count (policy.remaining) to the pace's limiters."""
        hook = self.policy.remaining
        if hook is None:
            return
        now = self.clock.now()
        try:
            seen = hook(Reply(response.status_code, response.headers, None, ""), now)
        except Exception:  # a hook must never turn a reply into a crash
            seen = None
        if seen is not None:
            remaining, reset_at = seen
            passage.observe(remaining, None if reset_at is None else reset_at - now)

    def _reply(self, response: httpx.Response) -> Reply:
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        return Reply(response.status_code, response.headers, body, response.text[:2000])

    def _detail(self, reply: Reply) -> str | None:
        try:
            message = self.policy.message(reply)
        except Exception:  # a policy must never turn an error reply into a crash
            message = None
        if not message:
            return None
        return self.redact(" ".join(message.split()))[:DETAIL_LIMIT]

    def _error(self, reply: Reply) -> ConnectorError:
        detail = self._detail(reply)
        cls = self.policy.classify(reply, detail or "") or _STATUS_DEFAULTS.get(reply.status, BadResponse)
        text = f"{self.policy.marketplace} answered {reply.status}"
        if detail:
            text += f": {detail}"
        error = cls(text, status=reply.status, detail=detail)
        error.body = reply.body
        code = error_code(reply.body)
        error.code = self.redact(code)[:80] if code else None
        return error

    def _log(self, method: str, path: str, outcome: int | str, wall_started: float) -> None:
        # Method, path (no query string), status and duration only: never headers, never bodies.
        ok = isinstance(outcome, int) and outcome < 400
        log.log(
            logging.DEBUG if ok else logging.INFO,
            "%s %s %s -> %s in %.0f ms",
            self.policy.marketplace,
            method,
            self.redact(path),
            outcome,
            (time.monotonic() - wall_started) * 1000,
        )


# ------------------------------------------------------------------------------ shared key checks
# A key that stops working within this many days gets Warning.KEY_EXPIRES_SOON.
EXPIRES_SOON_DAYS = 14


def check_key_expiry(marketplace: Marketplace, expires_at: float | None, now: float) -> list[Warning]:
    """KeyExpired if the key is already dead; a KEY_EXPIRES_SOON warning if it dies within 14 days."""
    if expires_at is None:
        return []
    if expires_at <= now:
        raise KeyExpired(f"{marketplace} key expired", detail="key expired")
    if expires_at - now < EXPIRES_SOON_DAYS * 86400:
        return [Warning.KEY_EXPIRES_SOON]
    return []


# ------------------------------------------------------------------------------ shared webhook reading
def shop_id_of(value: Any) -> str | None:
    """The shop a webhook names (Ozon's seller_id, Yandex's campaignId), as sent: an integer (the specs' int64)
    or its decimal string; positive. Compared with the integration's stored id, so one spelling: no sign, no
    leading zeros."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return str(int(value))
    return None
