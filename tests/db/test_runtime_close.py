"""Closing the runtime leaves nothing behind: the marketplaces' shared connection pools are closed (the marketplace
sees our kept-alive connection end) and the chart process is gone."""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import tempfile

from aiohttp import web
from cryptography.fernet import Fernet

from bot import charts
from bot.config import Settings
from bot.runtime import prepare
from connectors.http import HttpCore
from connectors.uzum.errors import UZUM_POLICY
from tests.conftest import SCAN_DIR


async def test_close_closes_the_shared_pools_and_the_chart_process(db_url):
    connections: list[asyncio.Transport] = []

    async def handler(request: web.Request) -> web.Response:
        connections.append(request.transport)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/v1/x", handler)
    server = web.AppRunner(app)
    await server.setup()
    site = web.TCPSite(server, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    settings = Settings(_env_file=None, BOT_TOKEN="123456789:CloseTestTokenForTheRuntime_abcdefghij",
                        DATABASE_URL=db_url, ENCRYPTION_KEYS=Fernet.generate_key().decode(),
                        TELEGRAM_API_URL="http://127.0.0.1:9", DATA_DIR=tempfile.mkdtemp(dir=SCAN_DIR),
                        REDIS_URL=None, TELEGRAM_WEBHOOK_URL=None)
    try:
        runtime = await prepare(settings, with_scheduler=False)
        http = HttpCore(policy=UZUM_POLICY, base_url=base)  # a poll's client, over the host's shared pool
        assert await http.request_json("GET", "/v1/x") == {"ok": True}
        await http.aclose()  # the client is done; the pool keeps the connection for the next poll
        assert not connections[0].is_closing()
        worker = await charts.draw(os.getpid)  # a chart was drawn: the chart process is running
        assert worker in {child.pid for child in multiprocessing.active_children()}

        await runtime.close()

        for _ in range(100):
            if connections[0].is_closing():
                break
            await asyncio.sleep(0.01)
        assert connections[0].is_closing()  # the marketplace sees our connection end
        assert worker not in {child.pid for child in multiprocessing.active_children()}
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            pass
        else:
            raise AssertionError(f"the chart process {worker} outlived the bot")
    finally:
        await server.cleanup()
