"""python -m sandbox.demo (`make demo`) — the whole product in a browser, on this machine, with nothing to set up.

Starts, on loopback:
  * the four sandbox marketplaces and the sandbox Telegram server (in this process);
  * the bot, the unmodified product, as `make run` starts it: `python -m bot run` in its own process, its settings
    in the environment (SQLite and the generated encryption key in the demo folder, ADMIN_IDS = the demo admin,
    invite registration). It runs in the demo folder, so a `.env` of yours is not read;
  * the web chat on http://127.0.0.1:8000 (sandbox.webchat), a client of the Telegram sandbox's user side only;
  * a buyer who places an order on a random marketplace about every minute.

On the first start (an empty demo folder) the demo data is made the honest way, by acting as users in the chat:
the admin creates an invite, the demo partner opens it, connects all four marketplaces with the sandbox's test
credentials, syncs the products and has orders checked every minute. The marketplaces already hold three months of
orders (sandbox.marketplaces.orders.add_order_history), which the bot's first order poll records silently.
The marketplaces' state is saved in the demo folder, so a later start goes on where the last one stopped.
Ctrl-C stops all of it.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import itertools
import os
import pickle
import random
import re
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

from sandbox.__main__ import SANDBOX_BOT_TOKEN
from sandbox.marketplaces import MarketplaceSandbox, SandboxState, accounts
from sandbox.marketplaces.orders import add_order_history, random_order
from sandbox.telegram import SandboxUser, SentMessage, TelegramSandbox
from sandbox.webchat import DEFAULT_PORT, DEMO_ADMIN, DEMO_PARTNER, WebChat

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIR = ROOT / ".demo"
STATE_FILE = "marketplaces.pickle"
DB_FILE = "bot.sqlite3"
LOG_FILE = "bot.log"
BOT_USERNAME = "sellercloudx_demo_bot"  # what the sandbox Telegram calls the bot (invite links: t.me/<it>?start=)
BOT_NAME = "SellerCloudX"
ORDERS_EVERY = 60.0  # seconds between the buyer's orders, on average
HISTORY_DAYS = 90  # as far back as the bot's finance backfill reads
HISTORY_RETURNS = 0.05  # delivered orders the buyer sent back (refunds in the finance reports)
BOT_START_TIMEOUT = 90.0
BOT_STOP_TIMEOUT = 20.0
STEP_TIMEOUT = 30.0
# Settings the bot reads (bot/config.py): the demo sets its own, none may leak in from the caller's environment.
BOT_SETTINGS = {"BOT_TOKEN", "ADMIN_IDS", "DATABASE_URL", "ENCRYPTION_KEYS", "TELEGRAM_API_URL", "UZUM_API_URL",
                "YANDEX_API_URL", "OZON_API_URL", "WILDBERRIES_API_URL", "REGISTRATION", "LOG_LEVEL", "DATA_DIR",
                "WEB_HOST", "WEB_PORT", "WEBHOOK_ALLOWED_NETWORKS", "WEBHOOK_TRUST_FORWARDED", "REDIS_URL"}
# What the demo partner connects: (button, what is typed, shop / warehouse to pick). These are the shops
# random_order() places orders in (each account's first), so the buyer's orders reach the partner.
CONNECT = (
    ("Uzum Market", (accounts.UZUM_TOKEN,), "Toshkent Savdo"),
    ("Yandex Market", (accounts.YANDEX_API_KEY,), "Toshkent Savdo FBS"),
    ("Wildberries", (accounts.WB_TOKEN,), "Sandbox sklad Toshkent"),
    ("Ozon", (accounts.OZON_CLIENT_ID, accounts.OZON_API_KEY), "Sandbox FBS Moskva"),
)


class DemoError(Exception):
    """The demo cannot go on; the message says why (and what to do)."""


def say(text: str = "") -> None:
    """Progress in the terminal. A terminal that went away (Ctrl-C also ends a `| tee`) must not stop the stopping."""
    try:
        print(text, flush=True)
    except (BrokenPipeError, OSError):
        pass


# ---------------------------------------------------------------------------------------------- saved state

class _StatePickler(pickle.Pickler):
    """itertools.count (the order ids) pickles on every Python version as a fresh count from its next value."""

    def reducer_override(self, obj):
        if isinstance(obj, itertools.count):
            return itertools.count, (next(obj),)  # the value taken is skipped, a harmless gap in the ids
        return NotImplemented


def save_state(state: SandboxState, directory: Path) -> None:
    buffer = io.BytesIO()
    _StatePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(state)
    temporary = directory / (STATE_FILE + ".tmp")
    temporary.write_bytes(buffer.getvalue())
    temporary.replace(directory / STATE_FILE)


def load_state(directory: Path) -> SandboxState | None:
    try:
        state = pickle.loads((directory / STATE_FILE).read_bytes())
    except Exception:  # missing, or written by an older sandbox: the demo starts afresh
        return None
    return state if isinstance(state, SandboxState) else None


# ---------------------------------------------------------------------------------------------- chat steps

async def wait_for(user: SandboxUser, needle: str, timeout: float = STEP_TIMEOUT) -> SentMessage:
    """The next new or edited bot message whose text contains `needle`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen: list[str] = []
    while (remaining := deadline - loop.time()) > 0:
        try:
            message = await user.next_update(timeout=remaining)
        except AssertionError:
            break
        seen.append((message.text or message.caption or "")[:100])
        if needle in (message.text or message.caption or ""):
            return message
    raise DemoError(f"the bot did not answer {needle!r} within {timeout:.0f} s (it said: {seen[-3:]})")


async def press(user: SandboxUser, button: str, needle: str, timeout: float = STEP_TIMEOUT) -> SentMessage:
    try:
        await user.press(button)
    except AssertionError as error:
        raise DemoError(str(error)) from None
    return await wait_for(user, needle, timeout)


async def to_menu(user: SandboxUser) -> None:
    await user.send("/menu")
    await wait_for(user, "Main menu")


# ---------------------------------------------------------------------------------------------- the demo

def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the bot gets SIGTERM if the demo process dies without stopping it (e.g. kill -9)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Demo:
    def __init__(self, directory: Path = DEFAULT_DIR, *, port: int = DEFAULT_PORT, host: str = "127.0.0.1",
                 orders_every: float | None = ORDERS_EVERY, python: str = sys.executable, reset: bool = False,
                 seed: int | None = None) -> None:
        self.directory = Path(directory).resolve()
        self.port = port
        self.host = host
        self.orders_every = orders_every
        self.python = python
        self.reset = reset
        self.rng = random.Random(seed)
        self.telegram: TelegramSandbox | None = None
        self.marketplaces: MarketplaceSandbox | None = None
        self.webchat: WebChat | None = None
        self.bot: asyncio.subprocess.Process | None = None
        self.state: SandboxState | None = None
        self._tasks: list[asyncio.Task] = []
        self.ready = asyncio.Event()

    @property
    def url(self) -> str:
        return self.webchat.url if self.webchat else f"http://{self.host}:{self.port}"

    # -- the demo folder --

    def _prepare_directory(self) -> bool:
        """True when the demo data must be made (first start, --reset, or a folder left incomplete)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        has_db = (self.directory / DB_FILE).exists()
        self.state = None if self.reset else load_state(self.directory)
        if has_db and self.state is not None:
            return False
        if has_db or self.reset or any(self.directory.iterdir()):
            if not self.reset:
                say(f"  (the demo folder {self._shown(self.directory)} was incomplete: starting afresh)")
            for path in self.directory.iterdir():
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        self.state = SandboxState()
        add_order_history(self.state, days=HISTORY_DAYS, seed=self.rng.randrange(2**32), returns=HISTORY_RETURNS)
        return True

    @staticmethod
    def _shown(path: Path) -> str:
        try:
            return str(path.relative_to(Path.cwd())) + "/"
        except ValueError:
            return str(path) + "/"

    # -- the bot process --

    def bot_env(self) -> dict[str, str]:
        assert self.telegram and self.marketplaces
        env = {k: v for k, v in os.environ.items() if k not in BOT_SETTINGS}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        env.update(
            BOT_TOKEN=SANDBOX_BOT_TOKEN,
            TELEGRAM_API_URL=self.telegram.url,
            **self.marketplaces.env(),
            DATABASE_URL=f"sqlite+aiosqlite:///{self.directory / DB_FILE}",
            DATA_DIR=str(self.directory),  # no ENCRYPTION_KEYS: the bot generates its own key file here
            ADMIN_IDS=str(DEMO_ADMIN.user_id),
            REGISTRATION="invite",
            WEB_HOST="127.0.0.1",
            WEB_PORT=str(free_port()),
            LOG_LEVEL="INFO",
        )
        return env

    async def start_bot(self) -> None:
        log = open(self.directory / LOG_FILE, "ab")
        log.write(f"\n===== {time.strftime('%Y-%m-%d %H:%M:%S')} python -m bot run (sandbox.demo) =====\n".encode())
        log.flush()
        calls_before = self.telegram.calls["getUpdates"]  # type: ignore[union-attr]
        self.bot = await asyncio.create_subprocess_exec(
            self.python, "-m", "bot", "run", cwd=self.directory, env=self.bot_env(), stdin=asyncio.subprocess.DEVNULL,
            stdout=log, stderr=log, start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
        log.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BOT_START_TIMEOUT
        while self.telegram.calls["getUpdates"] <= calls_before:  # type: ignore[union-attr]
            if self.bot.returncode is not None:
                raise DemoError(f"the bot stopped at start (exit code {self.bot.returncode}):\n{self.log_tail()}")
            if loop.time() > deadline:
                raise DemoError(f"the bot did not start polling within {BOT_START_TIMEOUT:.0f} s:\n{self.log_tail()}")
            await asyncio.sleep(0.1)

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = (self.directory / LOG_FILE).read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join("    " + line for line in text.splitlines()[-lines:])

    async def stop_bot(self) -> None:
        if self.bot is None or self.bot.returncode is not None:
            return
        self.bot.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.bot.wait(), BOT_STOP_TIMEOUT)
        except asyncio.TimeoutError:
            say("  the bot did not stop in time: killed")
            self.bot.kill()
            await self.bot.wait()

    # -- the demo data, made by acting in the chat --

    async def seed(self) -> None:
        assert self.telegram
        admin = self.telegram.user(DEMO_ADMIN.user_id, first_name=DEMO_ADMIN.first_name, language_code="en")
        partner = self.telegram.user(DEMO_PARTNER.user_id, first_name=DEMO_PARTNER.first_name, language_code="en")
        await admin.send("/start")
        await wait_for(admin, "Main menu")
        await admin.send("/admin")
        await wait_for(admin, "Administration")
        invite = await press(admin, "Create invite", "Invite created")
        match = re.search(r"start=([A-Za-z0-9_-]+)", invite.text or "")
        if match is None:
            raise DemoError(f"no invite link in the admin's message: {invite.text!r}")
        say(f"  ✓ {DEMO_ADMIN.first_name} (admin) opened the bot and created an invite link")

        await partner.send(f"/start {match.group(1)}")
        await wait_for(partner, "Main menu")
        say(f"  ✓ {DEMO_PARTNER.first_name} (the demo partner) joined by the invite link")

        for marketplace, typed, pick in CONNECT:
            await to_menu(partner)
            await press(partner, "Connect a marketplace", "Which marketplace")
            await press(partner, marketplace, "Client ID" if marketplace == "Ozon" else "Send your")
            for number, text in enumerate(typed):
                await partner.send(text)
                if number < len(typed) - 1:
                    await wait_for(partner, "Step 2 of 2")
            await wait_for(partner, "Which")
            await press(partner, pick, "Connected!")
            say(f"  ✓ connected {marketplace} ({pick})")

        for marketplace, _, pick in CONNECT:
            await to_menu(partner)
            await press(partner, "Products", "")  # the list, or "your catalog is empty"
            await partner.press("Sync products")
            message = await partner.next_update(timeout=STEP_TIMEOUT)
            if "Which marketplace account" in (message.text or ""):
                await partner.press(marketplace)
            done = await wait_for(partner, "products synced", timeout=120)
            count = re.search(r"(\d+) products synced", done.text or "")
            say(f"  ✓ synced {count.group(1) if count else 'the'} products from {marketplace}")

        for marketplace, _, pick in CONNECT:
            await to_menu(partner)
            await press(partner, "My marketplaces", "Your marketplaces")
            await press(partner, marketplace, "Status")
            await press(partner, "Sync status", "Check for new orders every")
            await press(partner, "1 min", "every 1 min, next")  # the dashboard, edited with the new interval
        say("  ✓ new orders are checked every minute on all four")
        await to_menu(partner)

    async def reopen(self) -> None:
        """A later start: the bot kept its data, but the sandbox Telegram server's chats start empty. The partner
        and the admin open the bot again (/start), as after reinstalling Telegram, so their chats have a menu."""
        assert self.telegram
        for user in (DEMO_PARTNER, DEMO_ADMIN):
            chat = self.telegram.user(user.user_id, first_name=user.first_name, language_code=user.language_code)
            await chat.send("/start")
            try:
                await wait_for(chat, "Main menu")
            except DemoError as error:  # not fatal: the chat is there, the visitor can press START again
                say(f"  ! {user.first_name}'s /start got no menu: {error}")
        say(f"  ✓ {DEMO_PARTNER.first_name} and {DEMO_ADMIN.first_name} opened the bot again "
            "(chats start empty after a restart; the bot's data is kept)")

    # -- the buyer --

    async def place_orders(self) -> None:
        assert self.state is not None and self.orders_every
        names = {"uzum": "Uzum Market", "yandex": "Yandex Market", "wildberries": "Wildberries", "ozon": "Ozon"}
        while True:
            await asyncio.sleep(self.orders_every * self.rng.uniform(0.75, 1.25))
            order = random_order(self.state, self.rng)
            save_state(self.state, self.directory)
            units = sum(line.quantity for line in order.lines)
            say(f"  🛒 {time.strftime('%H:%M:%S')} a buyer ordered {units} item{'s' if units > 1 else ''} "
                f"on {names.get(order.marketplace, order.marketplace)} (order {order.id})")

    async def watch_bot(self, stop: asyncio.Event) -> None:
        assert self.bot
        await self.bot.wait()
        if not stop.is_set():
            say(f"\nThe bot stopped by itself (exit code {self.bot.returncode}):\n{self.log_tail()}")
            stop.set()

    # -- start / stop --

    async def start(self) -> None:
        started = time.monotonic()
        fresh = self._prepare_directory()
        assert self.state is not None
        say("SellerCloudX demo" + (" — first start: making the demo data (about a minute)" if fresh else ""))
        self.telegram = TelegramSandbox(host="127.0.0.1", bot_username=BOT_USERNAME, bot_name=BOT_NAME)
        self.marketplaces = MarketplaceSandbox(host="127.0.0.1", state=self.state)
        await self.telegram.start()
        await self.marketplaces.start()
        if fresh:
            save_state(self.state, self.directory)
        orders = len(self.state.orders.orders)
        say(f"  ✓ sandbox marketplaces ({orders} orders{' over the last 4 weeks' if fresh else ''}) at "
            f"{self.marketplaces.url}, sandbox Telegram at {self.telegram.url}")
        try:
            self.webchat = WebChat(self.telegram.url, users=[DEMO_PARTNER, DEMO_ADMIN], admin=DEMO_ADMIN,
                                   host=self.host, port=self.port)
            await self.webchat.start()
        except OSError as error:
            raise DemoError(f"cannot listen on {self.host}:{self.port} ({error.strerror}): is another demo running? "
                            f"Stop it, or use another port: make demo DEMO_ARGS='--port 8001'") from None
        if not fresh:  # the users opened the bot in an earlier run: the bot may message them at once
            for user in (DEMO_PARTNER, DEMO_ADMIN):
                self.telegram.user(user.user_id, first_name=user.first_name, language_code=user.language_code,
                                   started=True)
        await self.start_bot()
        say(f"  ✓ the bot is running: python -m bot run (log: {self._shown(self.directory)}{LOG_FILE})")
        if fresh:
            await self.seed()
        else:
            await self.reopen()
        if self.orders_every:
            self._tasks.append(asyncio.create_task(self.place_orders(), name="demo-buyer"))
        self.ready.set()
        say(f"\nReady in {time.monotonic() - started:.0f} s.  Open  {self.url}  in your browser.")
        say(f"Demo data: {self._shown(self.directory)} (delete it, or make demo DEMO_ARGS=--reset, to start over). "
            "Ctrl-C stops everything.\n")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.webchat:
            await self.webchat.stop()
        await self.stop_bot()
        if self.marketplaces:
            await self.marketplaces.stop()
        if self.telegram:
            await self.telegram.stop()
        if self.state is not None and (self.directory / DB_FILE).exists():
            save_state(self.state, self.directory)

    async def run(self) -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        code = 0
        try:
            starting = asyncio.create_task(self.start())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if starting.done():
                starting.result()  # raises DemoError
                self._tasks.append(asyncio.create_task(self.watch_bot(stop), name="demo-bot-watch"))
                await stop.wait()
            else:
                starting.cancel()
                await asyncio.gather(starting, return_exceptions=True)
            stopping.cancel()
        except DemoError as error:
            say(f"\nThe demo could not start: {error}")
            code = 1
        finally:
            say("Stopping…")
            # A second Ctrl-C while stopping: stop at once.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signal.SIGINT, lambda: self.bot and self.bot.returncode is None
                                        and self.bot.kill())
            await self.stop()
            say("The demo stopped." + (f" Its data stays in {self._shown(self.directory)}" if code == 0 else ""))
        return code


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="the web chat's port (default 8000)")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="the demo folder (default .demo)")
    parser.add_argument("--reset", action="store_true", help="forget the demo data and make it again")
    parser.add_argument("--orders-every", type=float, default=ORDERS_EVERY, metavar="SECONDS",
                        help="a buyer's order about every SECONDS (0: none); default 60")
    args = parser.parse_args(argv)
    demo = Demo(args.dir, port=args.port, reset=args.reset, orders_every=args.orders_every or None)
    sys.exit(asyncio.run(demo.run()))


if __name__ == "__main__":
    main()
