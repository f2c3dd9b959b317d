"""The bot as operators run it: `python -m bot` in its own process, against the sandbox.

A user connects all four marketplaces through the real process (polling, migrations at start, a generated
encryption key); the CLI commands `migrate` and `rotate-keys` work on what it stored; without BOT_TOKEN
the bot says in one line what to set.
"""
from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import stat
import sys
import tempfile
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from sandbox.marketplaces import MarketplaceSandbox, accounts
from sandbox.telegram import TelegramSandbox
from tests.conftest import SCAN_DIR
from tests.e2e.conftest import BOT_TOKEN, press_and_wait, wait_for_text

ROOT = Path(__file__).resolve().parents[2]
ADMIN = 424242


def bot_env(workdir: str, **extra: str) -> dict[str, str]:
    # Redis and webhook mode only where a test asks (tests/e2e/test_replicas.py): CI's REDIS_URL is for those.
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_URL") and k not in (
        "BOT_TOKEN", "ADMIN_IDS", "DATABASE_URL", "ENCRYPTION_KEYS", "REGISTRATION", "REDIS_URL",
        "TELEGRAM_WEBHOOK_URL", "REDIS_KEY_PREFIX")}
    env.update(PYTHONPATH=str(ROOT), DATA_DIR=workdir, LOG_LEVEL="DEBUG",
               DATABASE_URL=f"sqlite+aiosqlite:///{workdir}/bot.sqlite3")
    env.update(extra)
    return env


async def run_cli(workdir: str, *args: str, **env: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=workdir, env=bot_env(workdir, **env),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode()


async def test_without_bot_token_one_clear_line():
    workdir = tempfile.mkdtemp(dir=SCAN_DIR)
    code, out = await run_cli(workdir, "run")
    assert code == 2
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines == ["BOT_TOKEN is not set: put BOT_TOKEN=<token from @BotFather> in .env or the environment "
                     "(see .env.example), or try `make demo`: the whole bot in a browser, nothing to set up."]


@pytest.fixture
async def sandboxes():
    telegram, marketplaces = TelegramSandbox(), MarketplaceSandbox()
    await telegram.start()
    await marketplaces.start()
    yield telegram, marketplaces
    await marketplaces.stop()
    await telegram.stop()


async def test_bot_process_serves_a_user_who_connects_all_four(sandboxes):
    telegram, marketplaces = sandboxes
    workdir = tempfile.mkdtemp(dir=SCAN_DIR)
    log_path = Path(workdir) / "bot-process.log"
    env = bot_env(workdir, BOT_TOKEN=BOT_TOKEN, TELEGRAM_API_URL=telegram.url, ADMIN_IDS=str(ADMIN),
                  **marketplaces.env())
    with open(log_path, "wb") as log:
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=workdir, env=env,
                                                       stdout=log, stderr=log)
    try:
        user = telegram.user(ADMIN, first_name="Operator")
        await user.send("/start")
        await wait_for_text(user, "Main menu", timeout=30)  # includes start-up and migrations

        async def connect(marketplace: str, *typed: str, pick: str | None = None) -> None:
            await press_and_wait(user, "Connect", "Which marketplace")
            await press_and_wait(user, marketplace, "Send your" if marketplace != "Ozon" else "Client ID")
            for text in typed:
                await user.send(text)
            if pick:
                await wait_for_text(user, "Which", timeout=15)
                await user.press(pick)
            await wait_for_text(user, "Connected!", timeout=15)

        await connect("Uzum Market", accounts.UZUM_TOKEN, pick="Toshkent Savdo")
        await connect("Yandex Market", accounts.YANDEX_API_KEY, pick="Toshkent Savdo FBS")
        await connect("Wildberries", accounts.WB_TOKEN, pick="Sandbox sklad Toshkent")
        await press_and_wait(user, "Connect another", "Which marketplace")
        await press_and_wait(user, "Ozon", "Client ID")
        await user.send(accounts.OZON_CLIENT_ID)
        await wait_for_text(user, "Step 2 of 2")
        await user.send(accounts.OZON_API_KEY)
        await wait_for_text(user, "Which warehouse", timeout=15)
        await press_and_wait(user, "Sandbox rFBS Kazan", "Connected!")
        await press_and_wait(user, "Main menu", "Main menu")
        await press_and_wait(user, "My marketplaces", "Your marketplaces (4)")
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 20)
    assert code == 0, log_path.read_text()[-2000:]

    # No ENCRYPTION_KEYS: a key was generated, private, and the stored keys are ciphertext.
    key_file = Path(workdir) / "encryption.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    db = sqlite3.connect(Path(workdir) / "bot.sqlite3")
    stored = db.execute("select api_key from marketplace_integrations").fetchall()
    db.close()
    assert len(stored) == 4 and all(row[0].startswith("gAAAA") for row in stored)

    # rotate-keys: a new first key re-encrypts everything; the old key can then be dropped.
    old_key = key_file.read_text().strip()
    new_key = Fernet.generate_key().decode()
    code, out = await run_cli(workdir, "rotate-keys", ENCRYPTION_KEYS=f"{new_key},{old_key}")
    assert code == 0 and "Re-encrypted 5 stored credentials" in out, out  # 4 keys + Ozon's Client-Id
    db = sqlite3.connect(Path(workdir) / "bot.sqlite3")
    rows = db.execute("select api_key from marketplace_integrations").fetchall()
    db.close()
    assert {Fernet(new_key.encode()).decrypt(row[0].encode()).decode() for row in rows} >= {
        accounts.UZUM_TOKEN, accounts.OZON_API_KEY}
    code, out = await run_cli(workdir, "migrate", ENCRYPTION_KEYS=new_key)
    assert code == 0 and "up to date" in out
