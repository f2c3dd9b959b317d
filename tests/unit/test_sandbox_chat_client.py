"""The sandbox Telegram server's chat-client side (what sandbox.webchat uses), driven over HTTP like the web chat:
the chat as an app shows it, the event stream of new / edited / deleted messages, callback answers and chat actions,
pressing a button where the app shows it, sending and downloading files, the command menu by Telegram's scope rules.
The bot side is a real aiogram Bot against the same server."""
from __future__ import annotations

import asyncio
import base64
from typing import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from sandbox.telegram import TelegramSandbox
from tests.unit.test_sandbox_telegram import make_bot

USER = {"user_id": 5001, "first_name": "Dilnoza", "language_code": "ru"}


@pytest.fixture
async def tg() -> AsyncIterator[TelegramSandbox]:
    sandbox = TelegramSandbox(bot_username="shop_bot", bot_name="Shop")
    await sandbox.start()
    yield sandbox
    await sandbox.stop()


@pytest.fixture
async def bot(tg: TelegramSandbox) -> AsyncIterator[Bot]:
    bot = make_bot(tg)
    yield bot
    await bot.session.close()


@pytest.fixture
async def http(tg: TelegramSandbox) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(tg.url) as session:
        yield session


async def get(http: aiohttp.ClientSession, path: str, **params) -> dict:
    async with http.get(path, params={k: str(v) for k, v in params.items()}) as reply:
        return await reply.json()


async def post(http: aiohttp.ClientSession, path: str, body: dict) -> dict:
    async with http.post(path, json=body) as reply:
        return await reply.json()


async def test_timeline_shows_both_sides_edits_deletes_answers_and_actions(tg, bot, http):
    chat = await get(http, "/_sandbox/chat", chat_id=5001)
    assert chat == {"ok": True, "messages": [], "seq": 0, "instance": tg.instance,
                    "bot": {"id": None, "first_name": "Shop", "username": "shop_bot"}}
    sent = await post(http, "/_sandbox/send", {**USER, "text": "/start"})
    keyboard = InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text="Connect", callback_data="c:1"), InlineKeyboardButton(text="Site", url="https://x.uz")],
    ])
    message = await bot.send_message(5001, "Hello, <b>Dilnoza</b> &amp; <tg-spoiler>you</tg-spoiler>",
                                     reply_markup=keyboard)
    await bot.send_chat_action(5001, "typing")

    chat = await get(http, "/_sandbox/chat", chat_id=5001)
    assert [(m["from"], m["message_id"]) for m in chat["messages"]] == [("user", sent["message_id"]),
                                                                        ("bot", message.message_id)]
    view = chat["messages"][1]
    assert view["text"] == "Hello, Dilnoza & you"  # visible text; formatting as entities, never as HTML
    assert {(e["type"], e["offset"], e["length"]) for e in view["entities"]} == {("bold", 7, 7), ("spoiler", 17, 3)}
    assert view["inline_keyboard"] == [[{"text": "Connect", "type": "callback_data"},
                                        {"text": "Site", "type": "url", "url": "https://x.uz"}]]
    assert chat["messages"][0]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert chat["bot"]["id"] == bot.id  # known once the bot called the server

    events = (await get(http, "/_sandbox/events", chat_id=5001, after=0))["events"]
    assert [e["type"] for e in events] == ["message", "message", "action"]
    assert events[2]["action"] == "typing"
    cursor = chat["seq"]
    assert cursor == events[-1]["seq"]

    # Press the button where the app shows it; the bot edits the message and answers with an alert.
    pressed = await post(http, "/_sandbox/press", {**USER, "message_id": message.message_id, "row": 0, "column": 0,
                                                   "text": "Connect"})
    await bot.edit_message_text("Connected ✅", chat_id=5001, message_id=message.message_id)
    await bot.answer_callback_query(pressed["callback_id"], "Saved", show_alert=True)
    await bot.delete_message(5001, sent["message_id"])

    reply = await get(http, "/_sandbox/events", chat_id=5001, after=cursor)
    kinds = [e["type"] for e in reply["events"]]
    assert kinds == ["edit", "callback_answer", "delete"]
    edit, answer, delete = reply["events"]
    assert edit["message"]["text"] == "Connected ✅" and edit["message"]["edit_date"]
    assert edit["message"]["inline_keyboard"] == []  # an edit without reply_markup drops the keyboard
    assert answer["callback_id"] == pressed["callback_id"] and answer["text"] == "Saved" and answer["show_alert"]
    assert delete["message_id"] == sent["message_id"]
    assert reply["seq"] == delete["seq"]
    chat = await get(http, "/_sandbox/chat", chat_id=5001)
    assert [m["message_id"] for m in chat["messages"]] == [message.message_id]  # the deleted one is gone


async def test_events_long_poll_waits_for_the_next_event(tg, bot, http):
    await post(http, "/_sandbox/send", {**USER, "text": "hi"})
    cursor = (await get(http, "/_sandbox/chat", chat_id=5001))["seq"]
    waiting = asyncio.create_task(get(http, "/_sandbox/events", chat_id=5001, after=cursor, timeout=10))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    await bot.send_message(5001, "an order arrived")
    reply = await asyncio.wait_for(waiting, 5)
    assert [e["message"]["text"] for e in reply["events"]] == ["an order arrived"]
    # Nothing new: an empty answer after the timeout, the cursor unchanged.
    quiet = await get(http, "/_sandbox/events", chat_id=5001, after=reply["seq"], timeout=0.2)
    assert quiet["events"] == [] and quiet["seq"] == reply["seq"]


async def test_pressing_a_stale_position_sends_nothing(tg, bot, http):
    await post(http, "/_sandbox/send", {**USER, "text": "/start"})
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Pause", callback_data="p")]])
    message = await bot.send_message(5001, "Card", reply_markup=keyboard)
    updates_before = len(tg.pending_updates())
    await bot.edit_message_text("Card", chat_id=5001, message_id=message.message_id, reply_markup=InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Resume", callback_data="r")]]))
    stale = await post(http, "/_sandbox/press", {**USER, "message_id": message.message_id, "row": 0, "column": 0,
                                                 "text": "Pause"})
    assert not stale["ok"] and "now 'Resume'" in stale["error"]
    missing = await post(http, "/_sandbox/press", {**USER, "message_id": message.message_id, "row": 3, "column": 0})
    assert not missing["ok"]
    assert len(tg.pending_updates()) == updates_before  # no callback query reached the bot
    ok = await post(http, "/_sandbox/press", {**USER, "message_id": message.message_id, "row": 0, "column": 0})
    assert ok["ok"]
    assert tg.pending_updates()[-1]["callback_query"]["data"] == "r"


async def test_files_both_ways_only_within_the_chat(tg, bot, http):
    sent = await post(http, "/_sandbox/send_document", {**USER, "filename": "stock.csv",
                                                        "data_base64": base64.b64encode(b"SKU,Stock\nA,1\n").decode()})
    assert sent["ok"]
    update = tg.pending_updates()[-1]["message"]
    assert update["document"]["file_name"] == "stock.csv" and update["from"]["first_name"] == "Dilnoza"
    # The bot reads the upload the usual way (getFile + download)...
    downloaded = await bot.download(update["document"]["file_id"])
    assert downloaded.read() == b"SKU,Stock\nA,1\n"
    # ... and sends a document and a photo back.
    document = await bot.send_document(5001, BufferedInputFile(b"SKU,Name\n", "export.csv"), caption="<b>Catalog</b>")
    photo = await bot.send_photo(5001, BufferedInputFile(b"\x89PNG fake", "chart.png"))
    chat = await get(http, "/_sandbox/chat", chat_id=5001)
    views = {m["message_id"]: m for m in chat["messages"]}
    doc_view = views[document.message_id]
    assert doc_view["kind"] == "document" and doc_view["caption"] == "Catalog"
    assert doc_view["file"]["file_name"] == "export.csv" and doc_view["file"]["available"]
    assert views[photo.message_id]["kind"] == "photo"
    assert views[sent["message_id"]]["file"]["file_name"] == "stock.csv"

    async with http.get("/_sandbox/file", params={"chat_id": "5001", "file_id": doc_view["file"]["file_id"]}) as reply:
        assert reply.status == 200 and await reply.read() == b"SKU,Name\n"
        assert reply.headers["Content-Disposition"] == "attachment; filename*=UTF-8''export.csv"
        assert reply.content_type == "text/csv"
    # Another chat cannot fetch it, nor an unknown id.
    await post(http, "/_sandbox/send", {"user_id": 5002, "text": "hi"})
    async with http.get("/_sandbox/file", params={"chat_id": "5002", "file_id": doc_view["file"]["file_id"]}) as reply:
        assert reply.status == 404
    async with http.get("/_sandbox/file", params={"chat_id": "5001", "file_id": "nope"}) as reply:
        assert reply.status == 404
    bad = await post(http, "/_sandbox/send_document", {**USER, "filename": "x.csv", "data_base64": "%%%"})
    assert not bad["ok"]


async def test_command_menu_follows_scope_and_language(tg, bot, http):
    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    await bot.set_my_commands([BotCommand(command="start", description="Начать")], language_code="ru")
    assert (await get(http, "/_sandbox/commands", chat_id=5001, language_code="ru"))["commands"] == [
        {"command": "start", "description": "Начать"}]
    assert (await get(http, "/_sandbox/commands", chat_id=5001, language_code="uz"))["commands"] == [
        {"command": "start", "description": "Start"}]
    await bot.set_my_commands([BotCommand(command="help", description="Help")], scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands([BotCommand(command="admin", description="Admin")], scope=BotCommandScopeChat(chat_id=5001))
    assert (await get(http, "/_sandbox/commands", chat_id=5001, language_code="ru"))["commands"][0]["command"] == "admin"
    assert (await get(http, "/_sandbox/commands", chat_id=5002, language_code="ru"))["commands"][0]["command"] == "help"


async def test_reply_keyboards_and_removal_are_in_the_view(tg, bot, http):
    await post(http, "/_sandbox/send", {**USER, "text": "/menu"})
    keyboard = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Orders"), KeyboardButton(text="Stock")]],
                                   resize_keyboard=True, one_time_keyboard=True, input_field_placeholder="Choose")
    first = await bot.send_message(5001, "Menu", reply_markup=keyboard)
    second = await bot.send_message(5001, "Done", reply_markup=ReplyKeyboardRemove())
    views = {m["message_id"]: m for m in (await get(http, "/_sandbox/chat", chat_id=5001))["messages"]}
    assert views[first.message_id]["reply_markup"] == {"keyboard": [["Orders", "Stock"]], "resize_keyboard": True,
                                                       "one_time_keyboard": True, "input_field_placeholder": "Choose"}
    assert views[second.message_id]["reply_markup"] == {"remove_keyboard": True}


async def test_a_stopping_server_ends_pending_event_polls(http):
    sandbox = TelegramSandbox()
    await sandbox.start()
    async with aiohttp.ClientSession(sandbox.url) as session:
        waiting = asyncio.create_task(get(session, "/_sandbox/events", chat_id=1, timeout=30))
        await asyncio.sleep(0.2)
        stopping = asyncio.create_task(sandbox.stop())
        reply = await asyncio.wait_for(waiting, 5)
        await stopping
    assert reply["events"] == []
