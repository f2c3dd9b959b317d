"""Browser tests: Playwright (Python) drives a real headless Chromium against the demo — `make demo`'s own stack
(sandbox.demo.Demo: sandbox marketplaces and Telegram, the bot as a `python -m bot run` process, the web chat),
started once per module.

The browser is the OS's Chromium (Debian's `chromium` package; `.ci/run` installs it when it is missing), never a
download: `playwright install` is not used. Without a browser these tests fail when CI or SCX_REQUIRE_BROWSER is set,
and are skipped with the reason otherwise.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
import pytest_asyncio

from tests.conftest import SCAN_DIR

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
DESKTOP = {"width": 1280, "height": 820}
PHONE = {"width": 390, "height": 844}


def browser_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("SCX_REQUIRE_BROWSER"))


def find_chromium() -> str | None:
    candidates = [os.environ.get("SCX_CHROMIUM"), *CHROMIUM_PATHS, shutil.which("chromium")]
    return next((path for path in candidates if path and os.access(path, os.X_OK)), None)


def no_browser(reason: str):
    if browser_required():
        pytest.fail(f"{reason} (CI / SCX_REQUIRE_BROWSER is set, so the browser tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser():
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        no_browser("playwright is not installed (it is in requirements.lock: run `make test`)")
    executable = find_chromium()
    if executable is None:
        no_browser("no Chromium found (apt-get install chromium, or set SCX_CHROMIUM=/path/to/chrome)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(browser):
    """`make demo`'s stack on free ports, its data in a folder the suite's secret scan reads (bot log, database)."""
    from sandbox.demo import STATE_FILE, Demo

    directory = Path(tempfile.mkdtemp(dir=SCAN_DIR, prefix="demo-"))
    demo = Demo(directory, port=0, orders_every=None, seed=7)
    try:
        await demo.start()
        yield demo
    finally:
        await demo.stop()
        # The marketplaces' saved state holds the sandbox's test keys as account names, by design: not a leak
        # of the bot's, and not for the secret scan.
        (directory / STATE_FILE).unlink(missing_ok=True)
