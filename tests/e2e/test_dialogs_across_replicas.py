"""Dialogs on Redis (REDIS_URL): a wizard survives a restart of the bot and continues on another replica, no
secret ever reaches Redis, and Telegram webhook mode serves the updates (refusing requests without the secret).

Two bot runtimes in this process on one database stand for two replicas; `stop` + a new runtime for a restart.
Skipped without REDIS_URL (.ci/run sets it)."""
from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import uuid
from contextlib import asynccontextmanager

import aiohttp
import pytest
from cryptography.fernet import Fernet

from bot.config import Settings
from bot.runtime import prepare, serve
from sandbox.marketplaces import MarketplaceSandbox, accounts
from sandbox.telegram import TelegramSandbox
from tests.conftest import SCAN_DIR, test_secrets
from tests.e2e.conftest import ADMIN_ID, BOT_TOKEN, press_and_wait, wait_for_text

REDIS_URL = os.environ.get("REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs Redis: set REDIS_URL (.ci/run does)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Replicas:
    """Bot runtimes sharing one database and one Redis key prefix, started and stopped one by one."""

    def __init__(self, telegram: TelegramSandbox, marketplaces: MarketplaceSandbox, *, webhook: bool):
        self.telegram, self.marketplaces, self.webhook = telegram, marketplaces, webhook
        self.workdir = tempfile.mkdtemp(dir=SCAN_DIR)
        self.prefix = f"scx-test-{uuid.uuid4().hex[:8]}"
        self.key = Fernet.generate_key().decode()
        self.running: dict[int, tuple] = {}  # web port -> (runtime, serving task, stop event)

    def settings(self, port: int) -> Settings:
        extra = {"TELEGRAM_WEBHOOK_URL": "http://127.0.0.1:1/telegram"} if self.webhook else {}
        return Settings(_env_file=None, BOT_TOKEN=BOT_TOKEN, ADMIN_IDS=str(ADMIN_ID),
                        DATABASE_URL=f"sqlite+aiosqlite:///{self.workdir}/bot.sqlite3", ENCRYPTION_KEYS=self.key,
                        TELEGRAM_API_URL=self.telegram.url, DATA_DIR=self.workdir, REDIS_URL=REDIS_URL,
                        REDIS_KEY_PREFIX=self.prefix, WEB_HOST="127.0.0.1", WEB_PORT=port,
                        WEBHOOK_ALLOWED_NETWORKS="127.0.0.1/32", **extra, **self.marketplaces.env())

    async def start(self) -> int:
        port = free_port()
        runtime = await prepare(self.settings(port), with_scheduler=False)
        stop = asyncio.Event()
        task = asyncio.create_task(serve(runtime, polling_timeout=1, handle_signals=False, stop=stop))
        self.running[port] = (runtime, task, stop)
        if self.webhook:  # the "load balancer": every running replica, in turn
            await _until(lambda: runtime.web is not None)
            self.telegram.route_webhook([f"http://127.0.0.1:{p}/telegram" for p in self.running])
        return port

    async def stop(self, port: int) -> None:
        runtime, task, stop = self.running.pop(port)
        if self.webhook:
            self.telegram.route_webhook([f"http://127.0.0.1:{p}/telegram" for p in self.running])
        stop.set()
        await asyncio.wait_for(task, 20)
        await runtime.close()

    async def close(self) -> None:
        for port in list(self.running):
            await self.stop(port)

    async def redis_values(self) -> list[bytes]:
        from redis.asyncio import Redis

        redis = Redis.from_url(REDIS_URL)
        try:
            values = []
            async for key in redis.scan_iter(match=f"{self.prefix}:*"):
                values.append(key)
                if (await redis.type(key)) == b"string":
                    values.append(await redis.get(key) or b"")
            return values
        finally:
            await redis.aclose()

    async def cleanup_redis(self) -> None:
        from redis.asyncio import Redis

        redis = Redis.from_url(REDIS_URL)
        try:
            async for key in redis.scan_iter(match=f"{self.prefix}:*"):
                await redis.delete(key)
        finally:
            await redis.aclose()


async def _until(predicate, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


@asynccontextmanager
async def replicas(*, webhook: bool):
    telegram, marketplaces = TelegramSandbox(), MarketplaceSandbox()
    await telegram.start()
    await marketplaces.start()
    group = Replicas(telegram, marketplaces, webhook=webhook)
    try:
        yield group
    finally:
        await group.close()
        await group.cleanup_redis()
        await marketplaces.stop()
        await telegram.stop()


async def test_a_wizard_survives_a_restart_and_no_secret_enters_redis():
    async with replicas(webhook=False) as group:
        first = await group.start()
        user = group.telegram.user(ADMIN_ID, first_name="Operator")
        await user.send("/start")
        await wait_for_text(user, "Main menu", timeout=20)
        await press_and_wait(user, "Connect", "Which marketplace")
        await press_and_wait(user, "Ozon", "Client ID")
        await user.send(accounts.OZON_CLIENT_ID)
        await wait_for_text(user, "Step 2 of 2")

        await group.stop(first)  # a deploy: the process goes, the half-finished wizard stays in Redis
        await group.start()
        await user.send(accounts.OZON_API_KEY)
        await wait_for_text(user, "Which warehouse", timeout=20)
        values = b"\n".join(await group.redis_values())  # the wizard holds a tested key now: only its draft's id
        await press_and_wait(user, "Sandbox rFBS Kazan", "Connected!", timeout=15)
        values += b"\n" + b"\n".join(await group.redis_values())
        assert b":fsm:" in values  # the dialog really was in Redis
        leaked = [secret[-6:] for secret in test_secrets() if secret.encode() in values]
        assert not leaked, f"secrets in Redis: {leaked}"


async def test_webhook_mode_a_wizard_moves_between_replicas():
    async with replicas(webhook=True) as group:
        ports = [await group.start(), await group.start()]
        user = group.telegram.user(ADMIN_ID, first_name="Operator")
        await user.send("/start")
        await wait_for_text(user, "Main menu", timeout=20)
        info = group.telegram.webhook
        assert info["url"] == "http://127.0.0.1:1/telegram" and "message" in info["allowed_updates"]
        await press_and_wait(user, "Connect", "Which marketplace")
        await press_and_wait(user, "Ozon", "Client ID")
        await user.send(accounts.OZON_CLIENT_ID)
        await wait_for_text(user, "Step 2 of 2")
        await user.send(accounts.OZON_API_KEY)
        await wait_for_text(user, "Which warehouse", timeout=20)
        await press_and_wait(user, "Sandbox rFBS Kazan", "Connected!", timeout=15)
        delivered = {key: n for key, n in group.telegram.webhook_stats.items() if key.startswith("delivered")}
        assert len(delivered) == 2, delivered  # the steps were handled by both replicas

        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{ports[0]}/telegram"
            update = {"update_id": 999999, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"},
                                                      "from": {"id": 5, "is_bot": False, "first_name": "X"},
                                                      "text": "/start"}}
            async with http.post(url, json=update) as response:
                assert response.status == 401
            async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}) as response:
                assert response.status == 401
            async with http.get(f"http://127.0.0.1:{ports[1]}/healthz") as response:
                body = await response.json()
                assert response.status == 200 and body["database"] == "ok" and body["redis"] == "ok"
            async with http.get(f"http://127.0.0.1:{ports[1]}/metrics") as response:
                text = await response.text()
                assert 'scx_updates_total{outcome="handled",type="message"}' in text
                assert "scx_update_seconds_bucket" in text and "scx_outbox_backlog" in text
