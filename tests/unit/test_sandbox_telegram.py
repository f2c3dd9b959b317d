"""The sandbox Telegram server, proven against aiogram's real polling loop and its error mapping."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from typing import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import Command
from aiogram.methods import GetUpdates
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from sandbox.telegram import HtmlParseError, TelegramSandbox, parse_html

TOKEN = "123456:AAHsandboxTOKENforTESTS_0123456789"


@pytest.fixture
async def tg() -> AsyncIterator[TelegramSandbox]:
    sandbox = TelegramSandbox()
    await sandbox.start()
    yield sandbox
    await sandbox.stop()


class LoopbackSession(AiohttpSession):
    """aiogram's session without the 0.25 s pause on close that only TLS connections need."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def make_bot(sandbox: TelegramSandbox, token: str = TOKEN) -> Bot:
    session = LoopbackSession(api=TelegramAPIServer.from_base(sandbox.url))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


@pytest.fixture
async def bot(tg: TelegramSandbox) -> AsyncIterator[Bot]:
    bot = make_bot(tg)
    yield bot
    await bot.session.close()


async def eventually(predicate, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


@asynccontextmanager
async def polling(dp: Dispatcher, bot: Bot, tg: TelegramSandbox) -> AsyncIterator[None]:
    """Run the real aiogram polling loop against the sandbox for the duration of the block."""
    before = tg.calls["getUpdates"]
    task = asyncio.create_task(
        dp.start_polling(bot, polling_timeout=1, handle_signals=False, close_bot_session=False)
    )
    await eventually(lambda: tg.calls["getUpdates"] > before or task.done())
    try:
        yield
    finally:
        if not task.done():
            await dp.stop_polling()
        await task


def build_dispatcher() -> Dispatcher:
    """A tiny bot with each interaction the sandbox must support."""
    router = Router()

    @router.message(Command("start"))
    async def start(message: Message) -> None:
        keyboard = InlineKeyboardBuilder()
        keyboard.button(text="Test connection", callback_data="test:1")
        keyboard.button(text="Docs", url="https://example.com/docs")
        await message.answer("Hello, <b>partner</b>!", reply_markup=keyboard.as_markup())

    @router.message(Command("secret"))
    async def secret(message: Message) -> None:
        await message.delete()  # the bot deletes a message holding a secret as soon as it reads it
        await message.answer("Key received")

    @router.message(Command("lang"))
    async def lang(message: Message) -> None:
        await message.answer(f"lang={message.from_user.language_code}")

    @router.message(Command("menu"))
    async def menu(message: Message) -> None:
        keyboard = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Orders")]], resize_keyboard=True)
        await message.answer("Menu", reply_markup=keyboard)

    @router.message(Command("doc"))
    async def doc(message: Message) -> None:
        await message.answer_document(BufferedInputFile(b"sku;qty\nA-1;5\n", filename="stock.csv"), caption="Stock <i>export</i>")

    @router.message(F.text == "Orders")
    async def orders(message: Message) -> None:
        await message.answer("No orders yet")

    @router.callback_query(F.data == "test:1")
    async def test_connection(callback: CallbackQuery) -> None:
        await callback.message.edit_text("Connection <b>OK</b> ✅")
        await callback.answer("Done", show_alert=True)

    @router.callback_query()
    async def any_callback(callback: CallbackQuery) -> None:
        kind = "inaccessible" if isinstance(callback.message, InaccessibleMessage) else "message"
        await callback.answer(f"got {callback.data} on {kind}")

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.html_text}")

    dp = Dispatcher()
    dp.include_router(router)
    return dp


# --- the real polling loop ---------------------------------------------------------------------------


async def test_polling_loop_round_trip(tg: TelegramSandbox, bot: Bot) -> None:
    dp = build_dispatcher()
    user = tg.user(1001, first_name="Aziza", language_code="uz")
    async with polling(dp, bot, tg):
        # a command, answered with HTML and an inline keyboard
        await user.send("/start")
        hello = await user.next_message()
        assert hello.text == "Hello, partner!"
        assert hello.html == "Hello, <b>partner</b>!"
        assert hello.entities == [{"type": "bold", "offset": 7, "length": 7}]
        assert hello.button("Test connection").callback_data == "test:1"
        assert hello.button("Docs").url == "https://example.com/docs"

        # pressing a button: the callback edits the message (keyboard removed) and answers
        callback_id = await user.press("Test")  # substring match
        edited = await user.next_update()
        assert (edited.message_id, edited.text, edited.edited, edited.buttons) == (
            hello.message_id,
            "Connection OK ✅",
            True,
            [],
        )
        assert await user.wait_callback_answer(callback_id) == {
            "text": "Done",
            "show_alert": True,
            "url": None,
            "cache_time": None,
        }
        assert user.last_callback_answer()["text"] == "Done"

        # the user's language reaches the bot; user text round-trips through HTML escaping
        await user.send("/lang")
        assert (await user.next_message()).text == "lang=uz"
        await user.send("a < b & <i>c</i>")
        assert (await user.next_message()).text == "echo: a < b & <i>c</i>"

        # the bot may delete the user's own message
        secret_id = await user.send("/secret sk-live-123")
        assert (await user.next_message()).text == "Key received"
        assert user.deleted_messages() == [secret_id]

        # a reply keyboard button is pressed by sending its text
        await user.send("/menu")
        menu = await user.next_message()
        assert menu.reply_keyboard == [["Orders"]]
        assert await user.press("Orders") is None
        assert (await user.next_message()).text == "No orders yet"

        # documents keep their bytes and file name
        await user.send("/doc")
        doc = await user.next_message()
        assert (doc.kind, doc.filename, doc.caption, doc.html) == ("document", "stock.csv", "Stock export", "Stock <i>export</i>")
        assert tg.documents(user.chat_id)[0].document_bytes == b"sku;qty\nA-1;5\n"

        # a forged callback reaches the bot; an unknown message id arrives as an inaccessible message
        forged = await user.forge_callback("order:someone-else", message_id=999_999)
        assert (await user.wait_callback_answer(forged))["text"] == "got order:someone-else on inaccessible"
        forged = await user.forge_callback("x")
        assert (await user.wait_callback_answer(forged))["text"] == "got x on message"

    assert tg.calls["getMe"] >= 1
    assert tg.calls["sendMessage"] == 6
    assert tg.calls["answerCallbackQuery"] == 3
    assert user.last_message().kind == "document"
    assert [m.text for m in tg.messages(user.chat_id)][:2] == ["Connection OK ✅", "lang=uz"]


async def test_polling_does_not_spin_and_stops_fast(tg: TelegramSandbox, bot: Bot) -> None:
    dp = build_dispatcher()
    started = time.monotonic()
    async with polling(dp, bot, tg):
        await asyncio.sleep(2.0)
    # polling_timeout=1: about one getUpdates a second, not a busy loop
    assert 2 <= tg.calls["getUpdates"] <= 4
    assert time.monotonic() - started < 3.5


async def test_updates_survive_a_restart_until_confirmed(tg: TelegramSandbox, bot: Bot) -> None:
    user = tg.user(1002)
    await user.send("/start")
    # a bot that fetched but crashed before confirming sees the update again
    first = await bot(GetUpdates(timeout=0))
    again = await bot(GetUpdates(timeout=0))
    assert [u.update_id for u in first] == [u.update_id for u in again] and len(first) == 1
    assert first[0].message.text == "/start"
    assert first[0].message.from_user.language_code == "en"
    assert first[0].message.entities[0].type == "bot_command"
    # confirming with offset drops it
    assert await bot(GetUpdates(offset=first[0].update_id + 1, timeout=0)) == []
    assert tg.pending_updates() == []


async def test_get_updates_long_poll(tg: TelegramSandbox, bot: Bot) -> None:
    user = tg.user(1003)
    started = time.monotonic()
    assert await bot(GetUpdates(timeout=1)) == []
    assert 0.9 <= time.monotonic() - started < 1.5

    # an update arriving during the wait is returned at once
    async def later() -> None:
        await asyncio.sleep(0.2)
        await user.send("hello")

    started = time.monotonic()
    sender = asyncio.create_task(later())
    updates = await bot(GetUpdates(timeout=5))
    await sender
    assert time.monotonic() - started < 1.0
    assert [u.message.text for u in updates] == ["hello"]

    # limit
    for i in range(3):
        await user.send(f"m{i}")
    updates = await bot(GetUpdates(offset=updates[0].update_id + 1, limit=2, timeout=0))
    assert [u.message.text for u in updates] == ["m0", "m1"]


async def test_newer_get_updates_terminates_the_older(tg: TelegramSandbox, bot: Bot) -> None:
    older = asyncio.create_task(bot(GetUpdates(timeout=3)))
    await eventually(lambda: tg.calls["getUpdates"] == 1)
    assert await bot(GetUpdates(timeout=0)) == []
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await older


async def test_webhook_blocks_get_updates(tg: TelegramSandbox, bot: Bot) -> None:
    await bot.set_webhook("https://example.com/tg", secret_token="s3cret")
    assert (await bot.get_webhook_info()).url == "https://example.com/tg"
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot(GetUpdates(timeout=0))
    await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""
    assert await bot(GetUpdates(timeout=0)) == []


@asynccontextmanager
async def receivers(count: int, *, fail_first: int = 0, delay: float = 0.0):
    """`count` webhook receivers on loopback: each records (receiver, secret header, update) and answers 200 (the
    first `fail_first` requests overall get a 502)."""
    from aiohttp import web

    got: list[tuple[int, str | None, dict]] = []
    failures = {"left": fail_first}
    runners, urls = [], []
    for index in range(count):
        async def handle(request: web.Request, index=index) -> web.Response:
            if failures["left"] > 0:
                failures["left"] -= 1
                return web.Response(status=502)
            body = await request.json()
            await asyncio.sleep(delay)
            got.append((index, request.headers.get("X-Telegram-Bot-Api-Secret-Token"), body))
            return web.json_response({})

        app = web.Application()
        app.router.add_post("/tg", handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        urls.append(f"http://127.0.0.1:{runner.addresses[0][1]}/tg")
    try:
        yield urls, got
    finally:
        for runner in runners:
            await runner.cleanup()


async def test_webhook_delivers_updates_by_post_with_the_secret(tg: TelegramSandbox, bot: Bot) -> None:
    async with receivers(1) as (urls, got):
        await bot.set_webhook(urls[0], secret_token="s3cret-Token_1", allowed_updates=["message"])
        user = tg.user(42)
        await user.send("hello")
        await eventually(lambda: len(got) == 1)
        _, secret, update = got[0]
        assert secret == "s3cret-Token_1" and update["message"]["text"] == "hello"
        info = await bot.get_webhook_info()
        assert info.url == urls[0] and info.pending_update_count == 0 and info.allowed_updates == ["message"]


async def test_webhook_retries_a_failed_delivery_and_reports_the_error(tg: TelegramSandbox, bot: Bot) -> None:
    async with receivers(1, fail_first=2) as (urls, got):
        await bot.set_webhook(urls[0], secret_token="s")
        await tg.user(42).send("once")
        await eventually(lambda: len(got) == 1)
        info = await bot.get_webhook_info()
        assert "502" in info.last_error_message and info.pending_update_count == 0
        await asyncio.sleep(0.3)
        assert [u["message"]["text"] for _, _, u in got] == ["once"]  # delivered once, after two failures


async def test_webhook_keeps_each_chats_order_across_receivers(tg: TelegramSandbox, bot: Bot) -> None:
    """Behind one URL (a load balancer's round robin), one chat's updates go to different receivers, yet each only
    after the previous one was answered; other chats are delivered meanwhile."""
    async with receivers(3, delay=0.02) as (urls, got):
        tg.route_webhook(urls)
        await bot.set_webhook("http://127.0.0.1:1/behind-the-proxy", secret_token="s")
        alice, bob = tg.user(1), tg.user(2)
        for i in range(6):
            await alice.send(f"a{i}")
            await bob.send(f"b{i}")
        await eventually(lambda: len(got) == 12)
        texts = [u["message"]["text"] for _, _, u in got]
        assert [t for t in texts if t[0] == "a"] == [f"a{i}" for i in range(6)]
        assert [t for t in texts if t[0] == "b"] == [f"b{i}" for i in range(6)]
        assert {receiver for receiver, _, u in got if u["message"]["text"][0] == "a"} == {0, 1, 2}


async def test_webhook_never_delivers_off_loopback(tg: TelegramSandbox, bot: Bot) -> None:
    await bot.set_webhook("https://example.com/tg", secret_token="s")
    await tg.user(42).send("stays here")
    await eventually(lambda: tg.webhook_stats["failed https://example.com/tg"] >= 1)
    info = await bot.get_webhook_info()
    assert "loopback" in info.last_error_message and info.pending_update_count == 1
    await bot.delete_webhook()
    assert [u.message.text for u in await bot(GetUpdates(timeout=0))] == ["stays here"]


# --- Telegram's validations, raised by aiogram as Telegram's own errors ---------------------------------


async def test_get_me_and_token(tg: TelegramSandbox, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "sandbox_bot")
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{tg.url}/bot123:short/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        async with http.post(f"{tg.url}/bot{TOKEN}/noSuchMethod") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        # JSON bodies work as well as forms
        async with http.post(f"{tg.url}/bot{TOKEN}/sendMessage", json={"chat_id": 1, "text": "x"}) as resp:
            assert (await resp.json())["description"] == "Bad Request: chat not found"


async def test_text_limits(tg: TelegramSandbox, bot: Bot) -> None:
    tg.user(7, started=True)
    assert (await bot.send_message(7, "x" * 4096)).text == "x" * 4096
    # the limit counts visible text: tags and entities don't count
    assert len((await bot.send_message(7, "<b>" + "&amp;" * 4096 + "</b>")).text) == 4096
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(7, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(7, "  \n ")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(7, "<b></b>")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_document(7, BufferedInputFile(b"x", "a.txt"), caption="c" * 1025)


async def test_callback_data_limits(tg: TelegramSandbox, bot: Bot) -> None:
    tg.user(7, started=True)

    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Go", callback_data=data)]])

    sent = await bot.send_message(7, "ok", reply_markup=keyboard("d" * 64))
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "d" * 64
    for bad in ("d" * 65, "я" * 33, ""):  # 65 bytes, 66 bytes in UTF-8, empty
        with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            await bot.send_message(7, "no", reply_markup=keyboard(bad))


BAD_HTML = [
    ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
    ("<br>", 'Unsupported start tag "br"'),
    ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
    ("a < b", 'Unsupported start tag "" at byte offset 2'),
    ("x</b>", "Unexpected end tag"),
    ("R&foo;D", 'Unsupported HTML entity "&foo;"'),
    ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
]


async def test_bad_html_is_rejected(tg: TelegramSandbox, bot: Bot) -> None:
    tg.user(7, started=True)
    for text, error in BAD_HTML:  # one loop, not parametrize: each bot teardown costs aiogram's 0.25 s
        with pytest.raises(TelegramBadRequest, match="can't parse entities") as raised:
            await bot.send_message(7, text)
        assert error in raised.value.message, text
    assert tg.messages(7) == []
    # without parse_mode the same text is plain
    assert (await bot.send_message(7, "a < b", parse_mode=None)).text == "a < b"


def test_parse_html_entities_and_offsets() -> None:
    text, entities = parse_html(
        '😀 <b>bold <i>both</i></b> <a href="https://x.uz/?a=1&amp;b=2">link</a> &lt;&#39;&#x41;&gt; R&D '
        '<tg-spoiler>s</tg-spoiler> <pre><code class="language-python">x = 1</code></pre>'
    )
    assert text == "😀 bold both link <'A> R&D s x = 1"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 9},  # the emoji is 2 UTF-16 units
        {"type": "italic", "offset": 8, "length": 4},
        {"type": "text_link", "offset": 13, "length": 4, "url": "https://x.uz/?a=1&b=2"},
        {"type": "spoiler", "offset": 27, "length": 1},
        {"type": "pre", "offset": 29, "length": 5, "language": "python"},
    ]
    with pytest.raises(HtmlParseError):
        parse_html("<b>")


async def test_edit_and_delete_rules(tg: TelegramSandbox, bot: Bot) -> None:
    tg.user(7, started=True)
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]])
    sent = await bot.send_message(7, "Same <b>text</b>", reply_markup=keyboard)

    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new message content"):
        await bot.edit_message_text("Same <b>text</b>", chat_id=7, message_id=sent.message_id, reply_markup=keyboard)
    # same text, no markup: the keyboard goes, so the message is modified
    edited = await bot.edit_message_text("Same <b>text</b>", chat_id=7, message_id=sent.message_id)
    assert edited.reply_markup is None and edited.edit_date
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=7, message_id=sent.message_id)
    await bot.edit_message_reply_markup(chat_id=7, message_id=sent.message_id, reply_markup=keyboard)
    assert tg.messages(7)[0].button("A").callback_data == "a"

    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("new", chat_id=7, message_id=424242)
    assert await bot.delete_message(7, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(7, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("new", chat_id=7, message_id=sent.message_id)
    assert tg.messages(7)[0].deleted
    assert tg.user(7).deleted_messages() == [sent.message_id]

    # deleteMessages skips ids that can't be found
    others = [(await bot.send_message(7, f"m{i}")).message_id for i in range(2)]
    assert await bot.delete_messages(7, [*others, 999_999])
    assert tg.user(7).deleted_messages() == [sent.message_id, *others]


async def test_unknown_chat(tg: TelegramSandbox, bot: Bot) -> None:
    tg.user(8)  # exists, but never wrote to the bot
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(8, "hi")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(9, "hi")
    await tg.user(8).send("/start")
    assert (await bot.send_message(8, "hi")).chat.id == 8


# --- faults and limits ---------------------------------------------------------------------------------


async def test_injected_faults(tg: TelegramSandbox, bot: Bot) -> None:
    tg.user(7, started=True)
    tg.user(8, started=True)

    tg.inject("sendMessage", 429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(7, "x")
    assert raised.value.retry_after == 3
    assert "retry after 3" in raised.value.message
    assert (await bot.send_message(7, "x")).text == "x"  # times=1: the next call succeeds

    tg.inject("sendMessage", 403, times=2, chat_id=8)
    assert (await bot.send_message(7, "other chat")).text == "other chat"
    for _ in range(2):
        with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
            await bot.send_message(8, "x")
    await bot.send_message(8, "x")

    tg.inject("getMe", 502)
    with pytest.raises(TelegramServerError):
        await bot.get_me()

    tg.block(8)
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(8, "x")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_chat_action(8, "typing")
    tg.unblock(8)
    await bot.send_message(8, "x")

    assert tg.stats["429"] == 1 and tg.stats["injected"] == 4
    assert tg.calls["sendMessage"] == 8  # failed calls count too


async def test_rate_limits(bot: Bot) -> None:
    # the bot fixture's sandbox is not used: this one enforces limits, 20x faster than real time
    async with TelegramSandbox(per_chat_rate=1, global_rate=3, time_scale=0.05) as tg:
        limited = make_bot(tg)
        try:
            for chat_id in (1, 2, 3, 4):
                tg.user(chat_id, started=True)
            await limited.send_message(1, "a")
            with pytest.raises(TelegramRetryAfter) as raised:
                await limited.send_message(1, "b")  # 2 messages in one second to one chat
            assert raised.value.retry_after == 1
            await limited.send_message(2, "a")
            await limited.send_message(3, "a")
            with pytest.raises(TelegramRetryAfter):
                await limited.send_message(4, "a")  # 4 messages in one second overall
            await asyncio.sleep(0.06)
            await limited.send_message(1, "b")
            assert tg.stats["rate_limited"] == 2 and tg.stats["429"] == 2
        finally:
            await limited.session.close()


# --- the user API's failures are clear ---------------------------------------------------------------


async def test_user_api_failures_explain_themselves(tg: TelegramSandbox, bot: Bot) -> None:
    user = tg.user(7, started=True)
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Uzum", callback_data="mp:uzum"), InlineKeyboardButton(text="Uzum Market", callback_data="x")]]
    )
    await bot.send_message(7, "Pick one", reply_markup=keyboard)
    with pytest.raises(AssertionError, match=r"no button 'Ozon'; available buttons: \['Uzum', 'Uzum Market'\]"):
        await user.press("Ozon")
    with pytest.raises(AssertionError, match="ambiguous"):
        tg.messages(7)[0].button("zum")
    assert tg.messages(7)[0].button("Uzum").callback_data == "mp:uzum"  # exact wins

    assert (await user.next_message()).text == "Pick one"
    with pytest.raises(AssertionError, match=r"no new message .* the chat has: \[\"#\d+ 'Pick one'"):
        await user.next_message(timeout=0.1)
    with pytest.raises(ValueError):
        await user.send("")


async def test_other_methods(tg: TelegramSandbox, bot: Bot) -> None:
    tg.user(7, first_name="Bek", username="bek", started=True)
    await bot.set_my_commands([BotCommand(command="start", description="Start")], language_code="uz")
    assert [c.command for c in await bot.get_my_commands(language_code="uz")] == ["start"]
    assert await bot.get_my_commands() == []
    await bot.delete_my_commands(language_code="uz")
    assert await bot.get_my_commands(language_code="uz") == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad-Command", description="x")])

    assert await bot.set_chat_menu_button()
    assert await bot.send_chat_action(7, "typing")
    chat = await bot.get_chat(7)
    assert (chat.id, chat.type, chat.first_name, chat.username) == (7, "private", "Bek", "bek")

    photo = await bot.send_photo(7, BufferedInputFile(b"\x89PNG...", "chart.png"), caption="Sales")
    file = await bot.get_file(photo.photo[-1].file_id)
    assert (await bot.download_file(file.file_path)).read() == b"\x89PNG..."
    assert tg.messages(7)[-1].kind == "photo"

    assert await bot.log_out() and await bot.close()


async def test_control_http_api(tg: TelegramSandbox, bot: Bot) -> None:
    async with aiohttp.ClientSession(base_url=tg.url) as http:
        async with http.post("/_sandbox/send", json={"user_id": 55, "text": "/start", "language_code": "ru"}) as resp:
            assert (await resp.json())["ok"]
        updates = await bot(GetUpdates(timeout=0))
        assert updates[0].message.from_user.language_code == "ru"

        keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Sync", callback_data="sync")]])
        await bot.send_message(55, "Hi", reply_markup=keyboard)
        async with http.get("/_sandbox/messages", params={"chat_id": "55"}) as resp:
            body = await resp.json()
        assert body["messages"][0]["text"] == "Hi"
        assert body["messages"][0]["buttons"] == [[{"text": "Sync", "callback_data": "sync", "url": None}]]

        async with http.post("/_sandbox/press", json={"user_id": 55, "text": "Sync"}) as resp:
            callback_id = (await resp.json())["callback_id"]
        async with http.post("/_sandbox/press", json={"user_id": 55, "text": "Nope"}) as resp:
            assert resp.status == 400 and "Sync" in (await resp.json())["error"]
        updates = await bot(GetUpdates(offset=updates[-1].update_id + 1, timeout=0))
        assert updates[0].callback_query.id == callback_id and updates[0].callback_query.data == "sync"
        await bot.answer_callback_query(callback_id, text="ok")
        with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
            await bot.answer_callback_query(callback_id, text="twice")
        async with http.get("/_sandbox/callback_answer", params={"callback_id": callback_id}) as resp:
            assert (await resp.json())["answer"]["text"] == "ok"

        async with http.post("/_sandbox/inject", json={"method": "sendMessage", "status": 429, "retry_after": 2}) as resp:
            assert (await resp.json())["ok"]
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(55, "x")
        async with http.get("/_sandbox/stats") as resp:
            assert (await resp.json())["stats"]["429"] == 1
