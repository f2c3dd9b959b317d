"""Local stand-ins for the four marketplace seller APIs, served by one aiohttp app on loopback.

    async with MarketplaceSandbox() as sandbox:
        settings_env = sandbox.env()        # base URLs for the bot
        sandbox.inject("ozon", "/v1/roles", "5xx")
        ...
        assert sandbox.calls[("ozon", "POST", "/v1/roles")] == 2

Mount points: Uzum /uzum, Yandex /yandex, Ozon /ozon, Wildberries /wb/{category} (one "host"
per category: content, marketplace, discounts-prices, statistics, seller-analytics, common…).
Test credentials: sandbox.marketplaces.accounts.
"""
from __future__ import annotations

import collections
import ipaddress
import re

from aiohttp import web

from sandbox.marketplaces.accounts import SandboxState
from sandbox.marketplaces.common import CONTROLS, FAULT_KINDS, MARKETPLACES, Controls
from sandbox.marketplaces.ozon import build_ozon_app
from sandbox.marketplaces.uzum import build_uzum_app
from sandbox.marketplaces.wildberries import build_wildberries_app
from sandbox.marketplaces.yandex import build_yandex_app

__all__ = ["FAULT_KINDS", "MARKETPLACES", "MarketplaceSandbox", "SandboxState", "build_app", "controls_of"]


def build_app(state: SandboxState | None = None) -> web.Application:
    """The aiohttp app serving all four marketplaces; its Controls are `controls_of(app)`."""
    state = state if state is not None else SandboxState()
    controls = Controls()
    app = web.Application()
    app[CONTROLS] = controls
    app[STATE_KEY] = state
    app.add_subapp("/uzum", build_uzum_app(state, controls))
    app.add_subapp("/yandex", build_yandex_app(state, controls))
    app.add_subapp("/ozon", build_ozon_app(state, controls))
    app.add_subapp("/wb", build_wildberries_app(state, controls))
    app.router.add_post("/_sandbox/orders", _control_create_orders)
    app.on_shutdown.append(_wake_stalled_requests)
    return app


async def _control_create_orders(request: web.Request) -> web.Response:
    """POST /_sandbox/orders {"marketplace": "ozon", "lines": [[index, quantity], ...], "count": 1,
    "account": optional, "shop_id": optional}: new orders, as buyers would place them."""
    from sandbox.marketplaces.orders import create_order

    try:
        body = await request.json()
        state = request.app[STATE_KEY]
        created = [create_order(state, body["marketplace"], [tuple(line) for line in body.get("lines", [[1, 1]])],
                                account=body.get("account"), shop_id=body.get("shop_id"))
                   for _ in range(int(body.get("count", 1)))]
    except (KeyError, ValueError, TypeError) as error:
        return web.json_response({"ok": False, "error": str(error)}, status=400)
    return web.json_response({"ok": True, "orders": [o.id for o in created]})


STATE_KEY = web.AppKey("sandbox_marketplaces_state", SandboxState)


def controls_of(app: web.Application) -> Controls:
    return app[CONTROLS]


async def _wake_stalled_requests(app: web.Application) -> None:
    app[CONTROLS].close()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class MarketplaceSandbox:
    """Runs build_app() on a loopback port. Use `async with`, or start()/stop()."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, state: SandboxState | None = None):
        if not _is_loopback(host):
            raise ValueError(f"the sandbox listens on loopback only, not {host!r}")
        self.host = host
        self.port = port
        self.state = state if state is not None else SandboxState()
        self.app = build_app(self.state)
        self.controls = controls_of(self.app)
        self.calls: collections.Counter[tuple[str, str, str]] = self.controls.calls
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    @property
    def timeout_delay(self) -> float:
        """Seconds a "timeout" fault stalls before answering (default common.DEFAULT_TIMEOUT_DELAY)."""
        return self.controls.timeout_delay

    @timeout_delay.setter
    def timeout_delay(self, seconds: float) -> None:
        self.controls.timeout_delay = seconds

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the sandbox is not started")
        return self._url

    async def start(self) -> None:
        self.controls.reopen()
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]
        self._url = f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            self.controls.close()
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "MarketplaceSandbox":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def env(self) -> dict[str, str]:
        return {
            "UZUM_API_URL": self.url + "/uzum",
            "YANDEX_API_URL": self.url + "/yandex",
            "OZON_API_URL": self.url + "/ozon",
            "WILDBERRIES_API_URL": self.url + "/wb/{category}",
        }

    def inject(
        self,
        marketplace: str,
        path: str | re.Pattern[str],
        kind: str,
        *,
        times: int = 1,
        delay: float | None = None,
    ) -> None:
        """Make the next `times` requests to `path` fail with `kind` (see Controls.inject).

        kind: "5xx" | "timeout" (stall `delay` or `timeout_delay` seconds, then answer) |
        "rate_limit" (the marketplace's real rate-limit reply) | "garbage" (200, malformed body).
        """
        self.controls.inject(marketplace, path, kind, times=times, delay=delay)

    def clear_faults(self) -> None:
        self.controls.clear_faults()

    def __repr__(self) -> str:
        return f"MarketplaceSandbox({self._url or 'not started'})"

