"""The demo's parts without a browser: the marketplaces' order history, the saved sandbox state, the demo folder and
the bot's environment (sandbox.demo), and the web chat's API (sandbox.webchat) against a real sandbox Telegram
server with a tiny aiogram bot behind it."""
from __future__ import annotations

import collections
import json
from typing import AsyncIterator

import aiohttp
import pytest
from aiogram import Dispatcher, F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from sandbox import demo as demo_module
from sandbox.demo import Demo, load_state, save_state
from sandbox.marketplaces import SandboxState, accounts
from sandbox.marketplaces.catalog import Lifecycle
from sandbox.marketplaces.orders import DEFAULT_ACCOUNTS, add_order_history, random_order
from sandbox.marketplaces.wildberries import wb_book
from sandbox.telegram import TelegramSandbox
from sandbox.webchat import DemoUser, WebChat
from tests.unit.test_sandbox_telegram import make_bot, polling

DAY = 86400


# ---------------------------------------------------------------------------------------------- order history

def test_order_history_covers_four_weeks_of_every_default_account():
    assert SandboxState().orders.orders == {}  # the default sandbox (the tests') has none
    state = SandboxState()
    now = 1_800_000_000.0
    made = add_order_history(state, days=28, seed=3, now=now)
    assert made and len(made) == len(state.orders.orders)
    by_marketplace = collections.defaultdict(list)
    for order in made:
        by_marketplace[order.marketplace].append(order)
        assert order.account == DEFAULT_ACCOUNTS[order.marketplace]
        assert now - 28 * DAY <= order.created_at <= now - 600  # nothing from the last minutes, nothing ahead
        assert order.created_at <= order.updated_at <= now and order.ship_by == order.created_at + 2 * DAY
    assert set(by_marketplace) == {"uzum", "yandex", "wildberries", "ozon"}
    for orders in by_marketplace.values():
        days = {int((now - o.created_at) // DAY) for o in orders}
        assert len(days) >= 24  # orders on (nearly) every day
    old = [o for o in made if now - o.created_at > 7 * DAY]
    assert sum(o.status == Lifecycle.DELIVERED for o in old) > 0.7 * len(old)
    assert any(o.status == Lifecycle.CANCELLED for o in old)
    recent = [o for o in made if now - o.created_at < DAY]
    assert all(o.status != Lifecycle.DELIVERED for o in recent)
    # The shops random_order() uses: Uzum's first shop, Yandex's first campaign, WB's and Ozon's first warehouse.
    shops = {(o.marketplace, o.shop_id) for o in made}
    assert shops == {("uzum", "41001"), ("yandex", str(accounts.YANDEX_CAMPAIGN_IDS[0])),
                     ("wildberries", "1001001"), ("ozon", "22000000000001")}
    # Same seed, same history.
    again = add_order_history(SandboxState(), days=28, seed=3, now=now)
    assert [(o.marketplace, o.created_at, o.status) for o in again] == [(o.marketplace, o.created_at, o.status)
                                                                       for o in made]


def test_order_history_returns_come_only_from_orders_delivered_long_ago():
    now = 1_800_000_000.0
    made = add_order_history(SandboxState(), days=90, seed=4, now=now, returns=0.2)
    returned = [o for o in made if o.status == Lifecycle.RETURNED]
    old_sold = [o for o in made if now - o.created_at >= 6 * DAY and o.status in (Lifecycle.DELIVERED,
                                                                                     Lifecycle.RETURNED)]
    assert 0.1 * len(old_sold) < len(returned) < 0.3 * len(old_sold)
    assert all(now - o.created_at >= 6 * DAY and o.updated_at <= now for o in returned)
    assert not any(o.status == Lifecycle.RETURNED for o in add_order_history(SandboxState(), days=90, seed=4,
                                                                               now=now))


# ---------------------------------------------------------------------------------------------- saved state

def test_saved_state_comes_back_and_order_ids_go_on(tmp_path):
    state = SandboxState()
    add_order_history(state, days=3, seed=1)
    state.catalog("ozon", accounts.OZON_CLIENT_ID).set_stock(5, 77, "22000000000001")
    wb_book(state).next_supply = 1_000_042
    save_state(state, tmp_path)
    highest, saved = max(state.orders.orders), set(state.orders.orders)
    after_save = random_order(state)  # the live counter still works after saving
    assert after_save.id > highest
    made_after = set(state.orders.orders) - saved  # a Wildberries order of 2 units is 2 assembly tasks

    loaded = load_state(tmp_path)
    assert loaded is not None
    assert set(loaded.orders.orders) == saved and after_save.id in made_after
    assert loaded.catalog("ozon", accounts.OZON_CLIENT_ID).get_stock(5, "22000000000001") == 77
    assert wb_book(loaded).next_supply == 1_000_042
    fresh = random_order(loaded)
    assert fresh.id > highest and fresh.id not in state.orders.orders  # never an id the bot already stored

    (tmp_path / demo_module.STATE_FILE).write_bytes(b"not a pickle")
    assert load_state(tmp_path) is None


def test_demo_folder_fresh_kept_or_started_again(tmp_path, capsys):
    folder = tmp_path / "demo"
    assert Demo(folder)._prepare_directory() is True  # empty: the data is made
    first = Demo(folder)
    first._prepare_directory()
    save_state(first.state, folder)
    (folder / demo_module.DB_FILE).write_bytes(b"db")
    assert Demo(folder)._prepare_directory() is False  # database and state: go on
    assert Demo(folder, reset=True)._prepare_directory() is True
    assert list(folder.iterdir()) == []  # --reset forgot everything
    (folder / demo_module.DB_FILE).write_bytes(b"db")  # a database without the marketplaces' state
    assert Demo(folder)._prepare_directory() is True
    assert not (folder / demo_module.DB_FILE).exists()
    assert "incomplete" in capsys.readouterr().out


def test_the_bot_gets_the_demo_settings_and_none_of_the_callers(tmp_path, monkeypatch):
    for name, value in {"ENCRYPTION_KEYS": "a-real-key", "BOT_TOKEN": "1:real", "DATABASE_URL": "postgresql://x",
                        "OZON_API_URL": "https://api-seller.ozon.ru", "REGISTRATION": "open", "HOME": "/home/me"}.items():
        monkeypatch.setenv(name, value)

    class Url:
        url = "http://127.0.0.1:9"

        @staticmethod
        def env():
            return {"OZON_API_URL": "http://127.0.0.1:9/ozon"}

    demo = Demo(tmp_path)
    demo.telegram = demo.marketplaces = Url()  # type: ignore[assignment]
    env = demo.bot_env()
    assert "ENCRYPTION_KEYS" not in env  # the bot makes its own key in DATA_DIR
    assert env["DATA_DIR"] == str(tmp_path.resolve()) and env["DATABASE_URL"].endswith(f"{tmp_path.name}/bot.sqlite3")
    assert env["BOT_TOKEN"] == demo_module.SANDBOX_BOT_TOKEN and env["TELEGRAM_API_URL"] == "http://127.0.0.1:9"
    assert env["OZON_API_URL"] == "http://127.0.0.1:9/ozon" and env["REGISTRATION"] == "invite"
    assert env["ADMIN_IDS"] == str(demo_module.DEMO_ADMIN.user_id) and env["WEB_HOST"] == "127.0.0.1"
    assert env["HOME"] == "/home/me" and str(demo_module.ROOT) in env["PYTHONPATH"]


# ---------------------------------------------------------------------------------------------- the web chat API

ADMIN = DemoUser(1001, "Aziz", "admin", "Admin")
PARTNER = DemoUser(2001, "Dilnoza", "partner", "Demo partner")


def tiny_bot() -> Dispatcher:
    """Just enough of a bot: an admin menu that makes invites, a product list, a document, callback answers."""
    router = Router()

    @router.message(Command("admin"))
    async def admin(message: Message) -> None:
        await message.answer("🛠 <b>Administration</b>", reply_markup=InlineKeyboardMarkup(inline_keyboard=[
            [InlineKeyboardButton(text="👥 Partners", callback_data="partners"),
             InlineKeyboardButton(text="✉️ Create invite", callback_data="invite")]]))

    @router.callback_query(F.data == "invite")
    async def invite(query: CallbackQuery) -> None:
        await query.answer()
        await query.message.edit_text("✉️ <b>Invite created</b>\nhttps://t.me/shop_bot?start=INV123")

    @router.callback_query(F.data == "partners")
    async def partners(query: CallbackQuery) -> None:
        await query.answer("2 partners", show_alert=True)

    @router.message(F.document)
    async def document(message: Message) -> None:
        await message.answer_document(BufferedInputFile(b"SKU,Stock\n", "report.csv"), caption="checked")

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


@pytest.fixture
async def stack() -> AsyncIterator[tuple[TelegramSandbox, WebChat, aiohttp.ClientSession]]:
    tg = TelegramSandbox(bot_username="shop_bot")
    await tg.start()
    bot = make_bot(tg)
    chat = WebChat(tg.url, users=[PARTNER, ADMIN], admin=ADMIN, port=0)
    await chat.start()
    try:
        async with polling(tiny_bot(), bot, tg):
            async with aiohttp.ClientSession(chat.url) as http:
                yield tg, chat, http
    finally:
        await chat.stop()
        await bot.session.close()
        await tg.stop()


async def next_events(http: aiohttp.ClientSession, user: int, after: int, count: int) -> list[dict]:
    """Read the page's event stream until `count` chat events arrived."""
    events: list[dict] = []
    async with http.get("/api/events", params={"user": str(user), "after": str(after)}) as reply:
        assert reply.content_type == "text/event-stream"
        kind = None
        async for raw in reply.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                if kind is None:
                    events.append(json.loads(line[6:]))
                kind = None
                if len(events) >= count:
                    return events
    return events


async def test_the_page_config_and_a_round_trip(stack):
    tg, chat, http = stack
    async with http.get("/api/config") as reply:
        config = await reply.json()
    assert config["bot"]["username"] == "shop_bot" and config["new_users"] is True
    assert [u["role"] for u in config["users"]] == ["partner", "admin"]
    values = [f["value"] for c in config["credentials"] for f in c["fields"]]
    assert values == [accounts.UZUM_TOKEN, accounts.YANDEX_API_KEY, accounts.WB_TOKEN, accounts.OZON_CLIENT_ID,
                      accounts.OZON_API_KEY]
    assert [s["title"] for s in config["steps"]][:5] == ["Connect Uzum", "Sync products", "Change a stock",
                                                         "See an order arrive", "Open Analytics"]
    async with http.get("/") as reply:
        page = await reply.text()
    assert "/static/app.js" in page and "http" not in page  # every asset is served here, nothing from elsewhere
    for name in ("app.js", "app.css", "icon.svg"):
        async with http.get(f"/static/{name}") as reply:
            assert reply.status == 200
    async with http.get("/static/../server.py") as reply:
        assert reply.status == 404

    cursor = (await (await http.get("/api/chat", params={"user": "2001"})).json())["seq"]
    async with http.post("/api/send", json={"user": 2001, "text": "hello"}) as reply:
        assert (await reply.json())["ok"]
    events = await next_events(http, 2001, cursor, 2)
    assert [(e["type"], e["message"]["from"], e["message"]["text"]) for e in events] == [
        ("message", "user", "hello"), ("message", "bot", "echo: hello")]
    async with http.post("/api/send", json={"user": 999, "text": "hi"}) as reply:
        assert reply.status == 404  # not a demo user
    # Another site open in the same browser cannot make the demo's users act.
    async with http.post("/api/send", json={"user": 2001, "text": "hi"}, headers={"Origin": "https://evil.example"}) as reply:
        assert reply.status == 403
    async with http.post("/api/send", data='{"user": 2001, "text": "hi"}', headers={"Content-Type": "text/plain"}) as reply:
        assert reply.status == 415


async def test_press_upload_download_and_alerts(stack):
    tg, chat, http = stack
    await (await http.post("/api/send", json={"user": 1001, "text": "/admin"})).json()
    events = await next_events(http, 1001, 0, 2)
    menu = events[1]["message"]
    assert menu["inline_keyboard"][0][0]["text"] == "👥 Partners"
    pressed = await (await http.post("/api/press", json={"user": 1001, "message_id": menu["message_id"],
                                                         "row": 0, "column": 0, "text": "👥 Partners"})).json()
    answer = (await next_events(http, 1001, events[-1]["seq"], 1))[0]
    assert answer == {**answer, "type": "callback_answer", "callback_id": pressed["callback_id"], "text": "2 partners",
                      "show_alert": True}

    form = aiohttp.FormData()
    form.add_field("user", "2001")
    form.add_field("file", b"SKU,Stock\nSKU-000002,5\n", filename="stock.csv", content_type="text/csv")
    cursor = (await (await http.get("/api/chat", params={"user": "2001"})).json())["seq"]
    assert (await (await http.post("/api/upload", data=form)).json())["ok"]
    upload, report = await next_events(http, 2001, cursor, 2)
    assert upload["message"]["file"]["file_name"] == "stock.csv"
    assert report["message"]["caption"] == "checked"
    file_id = report["message"]["file"]["file_id"]
    async with http.get("/api/file", params={"user": "2001", "file_id": file_id}) as reply:
        assert await reply.read() == b"SKU,Stock\n"
        assert reply.headers["Content-Disposition"].startswith("attachment")
    async with http.get("/api/file", params={"user": "1001", "file_id": file_id}) as reply:
        assert reply.status == 404  # the admin's chat does not have that file


async def test_a_new_user_arrives_by_the_admins_invite(stack):
    tg, chat, http = stack
    reply = await (await http.post("/api/new-user", json={})).json()
    user = reply["user"]
    assert user["role"] == "new" and user["start"] == "INV123"  # the admin pressed "Create invite" in the chat
    assert user["user_id"] not in (1001, 2001)
    admin_texts = [m["text"] for m in (await (await http.get("/api/chat", params={"user": "1001"})).json())["messages"]]
    assert admin_texts[0] == "/admin" and "Invite created" in admin_texts[1]
    second = (await (await http.post("/api/new-user", json={"start": "FROMLINK"})).json())["user"]
    assert second["start"] == "FROMLINK" and second["user_id"] != user["user_id"]
    assert (await http.post("/api/new-user", json={"start": "bad code!"})).status == 400
    # The new user's chat is empty until START; START sends /start <code>.
    assert (await (await http.get("/api/chat", params={"user": str(user["user_id"])})).json())["messages"] == []
    await (await http.post("/api/send", json={"user": user["user_id"], "text": "/start INV123"})).json()
    events = await next_events(http, user["user_id"], 0, 2)
    assert events[1]["message"]["text"] == "echo: /start INV123"
