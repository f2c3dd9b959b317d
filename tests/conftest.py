"""Shared fixtures: databases (SQLite always, PostgreSQL when TEST_POSTGRES_URL is set) and the secret scan.

After the whole suite, every log line written and every database file the tests made are scanned for the
sandbox's test keys: finding one in plaintext fails the run.
"""
from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import pytest

from bot.log import RedactingFormatter

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])

# Everything the suite logs goes here (through the same redacting formatter the bot uses).
SCAN_DIR = Path(tempfile.mkdtemp(prefix="scx-test-"))
LOG_FILE = SCAN_DIR / "suite.log"


def pytest_configure(config):
    handler = logging.FileHandler(LOG_FILE, encoding="utf-8")
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for noisy in ("aiosqlite", "asyncio", "hpack", "openapi_core", "openapi_spec_validator", "jsonschema_path"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def test_secrets() -> list[str]:
    from sandbox.marketplaces import accounts

    return [v for k, v in vars(accounts).items() if k.isupper() and isinstance(v, str) and len(v) >= 20
            and any(word in k for word in ("TOKEN", "KEY"))]


test_secrets.__test__ = False  # not a test function, just a name pytest would otherwise collect


def pytest_sessionfinish(session, exitstatus):
    try:
        secrets = test_secrets()
    except Exception:  # sandbox not importable: the suite failed already
        return
    leaks = []
    for path in SCAN_DIR.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            leaks += [f"{path.name}: …{s[-6:]}" for s in secrets if s.encode() in data]
    if leaks:
        print("\nSECRET LEAK: test keys found in plaintext in logs or database files:\n  " + "\n  ".join(leaks))
        session.exitstatus = 1
    else:
        scanned = sum(1 for p in SCAN_DIR.rglob("*") if p.is_file())
        print(f"\nsecret scan: {len(secrets)} test keys, {scanned} log/database files, no plaintext found")


async def _reset_postgres(url: str) -> None:
    import sqlalchemy as sa

    from db.session import create_engine

    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(sa.text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def db_url(request) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tempfile.mkdtemp(dir=SCAN_DIR)}/test.sqlite3"
    await _reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
async def engine(db_url):
    from db.migrate import upgrade
    from db.session import create_engine

    engine = create_engine(db_url)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine):
    from db.session import create_sessionmaker

    return create_sessionmaker(engine)
