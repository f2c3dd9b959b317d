"""A sandbox Telegram Bot API server for tests, benchmarks and the offline demo.

aiogram talks to it exactly as to api.telegram.org
(``AiohttpSession(api=TelegramAPIServer.from_base(sandbox.url))``), so the whole loop is real: HTTP,
long polling, aiogram's own response validation and error mapping. The test plays the user through
:class:`SandboxUser` (in-process) or the small ``/_sandbox/*`` HTTP control API (bot in another process).

A chat app's side of the same API (what sandbox.webchat uses): ``/_sandbox/chat`` (the chat as an app shows it:
both sides' messages in their current state, text with its entities, files, keyboards), ``/_sandbox/events``
(long polling for what happens next: new, edited and deleted messages, callback answers, chat actions),
``/_sandbox/press`` with ``row``/``column`` (the button where the app shows it), ``/_sandbox/send_document``,
``/_sandbox/file`` (a file shown in that chat), ``/_sandbox/commands`` (the command menu by Telegram's scope
rules) and ``/_sandbox/bot``.

What it gets right, because aiogram or a real bot would break on it otherwise:

* form POSTs whose complex fields (``reply_markup``, ``entities``) are JSON strings; JSON bodies and
  multipart uploads (``attach://`` references) too;
* ``getUpdates`` keeps updates until an ``offset`` confirms them and long-polls for ``timeout`` seconds;
* every sent or edited message comes back as a full ``Message`` with ``from`` = the bot;
* Telegram's error envelope ``{"ok": false, "error_code": N, "description": ..., "parameters": ...}``
  and Telegram's validations (text length, callback_data size, HTML parsing, "message is not modified",
  only existing messages can be edited or deleted, only chats whose user wrote to the bot);
* fault injection (429 with ``retry_after``, 403 blocked, any status) and optional rate limits;
* webhooks: after ``setWebhook`` updates are POSTed to the URL with ``X-Telegram-Bot-Api-Secret-Token``, a chat's
  next update only after the previous one was answered, several chats at once (up to ``max_connections``), a
  failed delivery retried with a growing pause (``getWebhookInfo`` shows the last error). Behind one URL there may
  be several receivers (``route_webhook``: a load balancer's round robin), so consecutive updates of one chat go to
  different processes. Deliveries go to loopback addresses only.

Listens on loopback only: it accepts any well-formed token and is not meant to be reachable.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import copy
import html as html_lib
import itertools
import json
import math
import mimetypes
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web

# --- Telegram's limits and error texts (https://core.telegram.org/bots/api) -----------------------

TEXT_LIMIT = 4096  # sendMessage/editMessageText: 1-4096 characters after entities parsing
CAPTION_LIMIT = 1024  # media captions: 0-1024 characters after entities parsing
CALLBACK_DATA_LIMIT = 64  # callback_data: 1-64 bytes
CALLBACK_ANSWER_LIMIT = 200  # answerCallbackQuery text: 0-200 characters
KEYBOARD_BUTTON_LIMIT = 100  # Telegram rejects bigger inline keyboards
UPDATES_LIMIT = 100  # getUpdates returns at most 100 updates

TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]{20,}")
LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
BLOCKED = "Forbidden: bot was blocked by the user"
CHAT_NOT_FOUND = "Bad Request: chat not found"
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
GET_UPDATES_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
# Webhook delivery: a POST may take this long (Telegram waits for the bot's answer; UNCONFIRMED how long exactly);
# a failed one is retried after WEBHOOK_RETRY_FIRST s, doubling up to WEBHOOK_RETRY_MAX (simulated seconds).
# Telegram gives up "after a reasonable amount of attempts"; the sandbox keeps trying while the webhook is set, so a
# test never loses an update to a receiver that was down for a while.
WEBHOOK_TIMEOUT = 60.0
WEBHOOK_RETRY_FIRST = 0.1
WEBHOOK_RETRY_MAX = 2.0
WEBHOOK_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)

# Descriptions used when a test injects a status without saying what Telegram would have written.
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected fault",
    401: "Unauthorized",
    403: BLOCKED,
    404: "Not Found",
    409: GET_UPDATES_CONFLICT,
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

# Button fields that give an inline button something to do; a button needs exactly one.
INLINE_BUTTON_KINDS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")


class ApiError(Exception):
    """A Bot API error, rendered as Telegram's envelope with the same HTTP status."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


# --- HTML parse mode ---------------------------------------------------------------------------------
# A small re-implementation of Telegram's (tdlib's) strict HTML parser: only its tags, every tag
# closed in order, only its entities. Real Telegram rejects the whole message on any of these, so a
# bot that forgets to escape user input must fail here too.

HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
NAMED_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_RE = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_HTML_ATTR_RE = re.compile(r"""([A-Za-z][A-Za-z0-9_-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")


class HtmlParseError(ValueError):
    """The text is not HTML that Telegram can parse; the message is Telegram's wording."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of Telegram's entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2


def _decode_html_entity(body: str) -> str | None:
    if body.startswith(("#x", "#X")):
        code = int(body[2:], 16)
    elif body.startswith("#"):
        code = int(body[1:])
    else:
        return NAMED_HTML_ENTITIES.get(body)
    if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
        return chr(code)
    return None


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML into (visible text, message entities).

    Raises :class:`HtmlParseError` where Telegram answers "can't parse entities". Offsets in the
    error are UTF-8 byte offsets, as Telegram reports them.
    """
    parts: list[str] = []
    pos16 = 0  # UTF-16 length of the visible text so far
    stack: list[dict[str, Any]] = []  # open tags
    entities: list[dict[str, Any]] = []

    def byte_offset(index: int) -> int:
        return len(source[:index].encode())

    def emit(text: str) -> None:
        nonlocal pos16
        parts.append(text)
        pos16 += utf16_len(text)

    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char == "&":
            match = _HTML_ENTITY_RE.match(source, i)
            if match is None:
                emit("&")  # a lone "&" is literal text for Telegram
                i += 1
                continue
            value = _decode_html_entity(match.group(1))
            if value is None:
                raise HtmlParseError(f'Unsupported HTML entity "{match.group(0)}" at byte offset {byte_offset(i)}')
            emit(value)
            i = match.end()
            continue
        if char != "<":
            end = n
            for stop in ("<", "&"):
                found = source.find(stop, i)
                if found != -1:
                    end = min(end, found)
            emit(source[i:end])
            i = end
            continue

        begin = i
        if source.startswith("</", i):  # end tag
            close = source.find(">", i)
            if close == -1:
                raise HtmlParseError(f"Unclosed end tag at byte offset {byte_offset(begin)}")
            name = source[i + 2 : close].strip().lower()
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at byte offset {byte_offset(begin)}")
            top = stack.pop()
            if name != top["tag"]:
                raise HtmlParseError(
                    f'Unmatched end tag at byte offset {byte_offset(begin)}, expected "</{top["tag"]}>", '
                    f'found "</{name}>"'
                )
            entity = top["entity"]
            if entity is not None and pos16 > entity["offset"]:  # Telegram drops empty entities
                entity["length"] = pos16 - entity["offset"]
                entities.append(entity)
            i = close + 1
            continue

        # start tag: name up to whitespace or ">", then attributes
        j = i + 1
        while j < n and not source[j].isspace() and source[j] != ">":
            j += 1
        if j >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
        name = source[i + 1 : j].lower()
        if name not in HTML_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {byte_offset(begin)}')
        attrs: dict[str, str] = {}
        while True:
            while j < n and source[j].isspace():
                j += 1
            if j >= n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            if source[j] == ">":
                j += 1
                break
            match = _HTML_ATTR_RE.match(source, j)
            if match is None:
                raise HtmlParseError(f"Expected equal sign in declaration of an attribute at byte offset {byte_offset(j)}")
            value = next((g for g in match.groups()[1:] if g is not None), "")
            attrs[match.group(1).lower()] = html_lib.unescape(value)
            j = match.end()

        entity: dict[str, Any] | None = {"type": HTML_TAGS[name], "offset": pos16}
        if name == "a":
            if attrs.get("href"):
                entity["url"] = attrs["href"]
            else:
                entity = None  # Telegram shows an <a> without href as plain text
        elif name == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlParseError('Tag "span" must have class "tg-spoiler"')
        elif name == "tg-emoji":
            if not attrs.get("emoji-id"):
                raise HtmlParseError('Custom emoji entity must contain a tag "emoji-id"')
            entity["custom_emoji_id"] = attrs["emoji-id"]
        elif name == "blockquote" and "expandable" in attrs:
            entity["type"] = "expandable_blockquote"
        elif name == "code" and stack and stack[-1]["tag"] == "pre" and attrs.get("class", "").startswith("language-"):
            # <pre><code class="language-x"> is one pre entity with a language, as in Telegram
            parent = stack[-1]["entity"]
            if parent is not None:
                parent["language"] = attrs["class"][len("language-") :]
            entity = None
        stack.append({"tag": name, "entity": entity})
        i = j

    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]["tag"]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(parts), entities


# --- What the test reads -----------------------------------------------------------------------------


@dataclass
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None


def find_button(rows: list[list[Button]], text: str) -> Button:
    """Exact visible text first, else a unique substring match; a clear AssertionError otherwise."""
    flat = [button for row in rows for button in row]
    exact = [b for b in flat if b.text == text]
    if exact:
        return exact[0]
    partial = [b for b in flat if text in b.text]
    if len(partial) == 1:
        return partial[0]
    available = [b.text for b in flat]
    if partial:
        raise AssertionError(f"button {text!r} is ambiguous: {[b.text for b in partial]}; available: {available}")
    raise AssertionError(f"no button {text!r}; available buttons: {available}")


def _photo_size(file_info: dict[str, Any], data: bytes | None) -> dict[str, Any]:
    """A PhotoSize: a PNG's own dimensions (read from its header), else a placeholder size."""
    width = height = 320
    if data and data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return {**file_info, "width": width, "height": height}


@dataclass
class SentMessage:
    """A message the bot sent, in its current state (after edits and deletion)."""

    message_id: int
    chat_id: int
    text: str | None = None  # visible text (HTML tags stripped, entities decoded)
    html: str | None = None  # raw HTML as sent, when parse_mode was HTML (of the caption for media)
    buttons: list[list[Button]] = field(default_factory=list)  # inline keyboard rows
    reply_keyboard: list[list[str]] | None = None  # a reply keyboard attached to this message
    deleted: bool = False
    edited: bool = False
    date: int = 0
    document_bytes: bytes | None = None  # file content for documents and photos
    filename: str | None = None
    caption: str | None = None
    # Beyond the brief: what is needed to render the Bot API Message again after edits.
    kind: str = "text"  # text | document | photo
    entities: list[dict[str, Any]] = field(default_factory=list, repr=False)
    caption_entities: list[dict[str, Any]] = field(default_factory=list, repr=False)
    markup: dict[str, Any] | None = field(default=None, repr=False)  # reply_markup as sent
    media: dict[str, Any] | None = field(default=None, repr=False)  # {"document": ...} / {"photo": [...]}
    edit_date: int | None = field(default=None, repr=False)
    sender: dict[str, Any] = field(default_factory=dict, repr=False)  # the bot user

    def button(self, text: str) -> Button:
        return find_button(self.buttons, text)

    def button_texts(self) -> list[str]:
        return [b.text for row in self.buttons for b in row]

    def inline_markup(self) -> dict[str, Any] | None:
        """The inline keyboard as Telegram echoes it in Message.reply_markup (never reply keyboards)."""
        if self.markup and self.markup.get("inline_keyboard"):
            return {"inline_keyboard": self.markup["inline_keyboard"]}
        return None

    def summary(self) -> str:
        flags = "".join(f" [{f}]" for f in ("deleted", "edited") if getattr(self, f))
        shown = self.text if self.text is not None else f"<{self.kind} {self.filename!r}> {self.caption or ''}"
        buttons = f" buttons={self.button_texts()}" if self.buttons else ""
        return f"#{self.message_id}{flags} {shown[:120]!r}{buttons}"


def _apply_markup(msg: SentMessage, markup: dict[str, Any] | None) -> None:
    msg.markup = markup
    msg.buttons = [
        [Button(text=b["text"], callback_data=b.get("callback_data"), url=b.get("url")) for b in row]
        for row in (markup or {}).get("inline_keyboard", [])
    ]
    keyboard = (markup or {}).get("keyboard")
    msg.reply_keyboard = (
        [[b if isinstance(b, str) else b["text"] for b in row] for row in keyboard] if keyboard else None
    )


class _Signal:
    """Wakes every waiter on each change; waiters re-check their own condition.

    The event is swapped rather than cleared, so a waiter never misses a change that happens between
    its check and its wait.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            event = self._event
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except asyncio.TimeoutError:
                pass
        return True

    async def next(self, timeout: float) -> None:
        """Until the next change, or `timeout` seconds."""
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            pass


@dataclass
class _Chat:
    """A private chat between the bot and one user."""

    chat_id: int
    user: SandboxUser
    started: bool = False  # the user wrote to the bot: only then may the bot message them
    messages: dict[int, SentMessage] = field(default_factory=dict)  # the bot's messages, in order
    user_messages: dict[int, dict[str, Any]] = field(default_factory=dict)  # the user's, raw
    deleted: list[int] = field(default_factory=list)  # ids deleted by the bot, in order
    events: list[tuple[str, int]] = field(default_factory=list)  # ("new" | "edit", message_id)
    # What a chat client shows, in order: (seq, kind, message_id, extra). Kinds: "message" (new, from the bot
    # or the user), "edit", "delete", "callback_answer", "action" (sendChatAction). seq is server-wide.
    timeline: list[tuple[int, str, int | None, dict[str, Any]]] = field(default_factory=list)

    def render(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.chat_id, "type": "private", "first_name": self.user.first_name}
        if self.user.username:
            chat["username"] = self.user.username
        return chat


@dataclass
class _Fault:
    method: str  # lower-case method name
    status: int
    retry_after: int | None
    times: int | None  # None = until clear_faults()
    chat_id: int | None
    description: str | None


_UNSET: Any = object()


class SandboxUser:
    """A Telegram user in a private chat with the bot, driven by the test."""

    def __init__(
        self,
        server: TelegramSandbox,
        user_id: int,
        *,
        first_name: str = "Test",
        username: str | None = None,
        language_code: str | None = "en",
    ) -> None:
        self.server = server
        self.user_id = user_id
        self.chat_id = user_id  # private chat id == user id, as in Telegram
        self.first_name = first_name
        self.username = username
        self.language_code = language_code
        self._cursor = 0  # position in the chat's event log already returned by next_message/next_update
        self._last_callback_id: str | None = None

    def render(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def _chat(self) -> _Chat:
        return self.server._chat_of(self)

    # -- acting as the user --

    async def send(self, text: str) -> int:
        """Queue a text message from the user; returns its message_id."""
        return self.server._user_message(self, text)

    async def send_document(self, filename: str, data: bytes, *, caption: str | None = None) -> int:
        """Send a file (as a document); returns its message_id."""
        return self.server._user_document(self, filename, data, caption)

    async def press(self, text: str, *, message: SentMessage | None = None) -> str | None:
        """Press the button with this visible text.

        Looks in `message` (its current state) or in the latest message with an inline keyboard and
        sends a callback query; returns its id. Failing that, a button of the active reply keyboard is
        pressed by sending its text as a message (returns None).
        """
        chat = self._chat
        if message is not None:
            target = chat.messages.get(message.message_id)
            if target is None or target.deleted:
                raise AssertionError(f"message #{message.message_id} is not in chat {self.chat_id} (deleted?)")
            button = target.button(text)
        else:
            target = next((m for m in reversed(chat.messages.values()) if m.buttons and not m.deleted), None)
            try:
                button = find_button(target.buttons if target else [], text)
            except AssertionError as inline_error:
                keyboard = self._active_reply_keyboard()
                if keyboard:
                    try:
                        reply_button = find_button([[Button(t) for t in row] for row in keyboard], text)
                    except AssertionError:
                        pass
                    else:
                        await self.send(reply_button.text)
                        return None
                where = f"latest inline keyboard (message #{target.message_id})" if target else "no inline keyboard"
                raise AssertionError(
                    f"user {self.user_id}: cannot press {text!r}: {where}: {inline_error}; "
                    f"reply keyboard: {keyboard}; recent messages: {self._recent()}"
                ) from None
        if button.callback_data is None:
            raise AssertionError(f"button {button.text!r} has no callback_data (url={button.url!r})")
        return self.server._user_callback(self, target, button.callback_data)

    async def forge_callback(self, data: str, *, message_id: int | None = None) -> str:
        """Send a callback query with arbitrary data (as a tampered client could); returns its id.

        It is attached to `message_id` (any id; an unknown one arrives as an inaccessible message) or
        to the latest message the bot sent in this chat.
        """
        chat = self._chat
        if message_id is None:
            target: SentMessage | int | None = next(
                (m for m in reversed(chat.messages.values()) if not m.deleted), None
            )
        else:
            target = chat.messages.get(message_id, message_id)
        return self.server._user_callback(self, target, data)

    # -- reading what the bot did --

    async def next_message(self, timeout: float = 5.0) -> SentMessage:
        """The next new message from the bot to this chat not yet returned (edits are skipped)."""
        return await self._next({"new"}, timeout, "new message")

    async def next_update(self, timeout: float = 5.0) -> SentMessage:
        """The next new message or edit in this chat, as the message's current state."""
        return await self._next({"new", "edit"}, timeout, "new message or edit")

    async def _next(self, kinds: set[str], timeout: float, what: str) -> SentMessage:
        chat = self._chat
        found: list[int] = []

        def advance() -> bool:
            # Consumes events up to the first wanted one, so each event is returned at most once.
            while self._cursor < len(chat.events):
                kind, message_id = chat.events[self._cursor]
                self._cursor += 1
                if kind in kinds:
                    found.append(message_id)
                    return True
            return False

        if not await self.server._changed.wait_for(advance, timeout):
            raise AssertionError(
                f"user {self.user_id}: no {what} from the bot within {timeout}s; the chat has: {self._recent()}"
            )
        return copy.deepcopy(chat.messages[found[0]])

    def callback_answer(self, callback_id: str) -> dict[str, Any] | None:
        return self.server.callback_answer(callback_id)

    def last_callback_answer(self) -> dict[str, Any] | None:
        """What answerCallbackQuery said to this user's latest callback (None if not answered yet)."""
        return self.server.callback_answer(self._last_callback_id) if self._last_callback_id else None

    async def wait_callback_answer(self, callback_id: str | None = None, timeout: float = 5.0) -> dict[str, Any]:
        """Wait until the bot answers the callback (default: this user's latest)."""
        callback_id = callback_id or self._last_callback_id
        if callback_id is None:
            raise AssertionError(f"user {self.user_id} sent no callback query")
        if not await self.server._changed.wait_for(lambda: self.callback_answer(callback_id) is not None, timeout):
            raise AssertionError(f"callback {callback_id} was not answered within {timeout}s")
        return self.callback_answer(callback_id)  # type: ignore[return-value]

    def last_message(self) -> SentMessage | None:
        """The latest message from the bot that is still there."""
        live = [m for m in self.messages() if not m.deleted]
        return live[-1] if live else None

    def messages(self) -> list[SentMessage]:
        return self.server.messages(self.chat_id)

    def deleted_messages(self) -> list[int]:
        return list(self._chat.deleted)

    def _active_reply_keyboard(self) -> list[list[str]] | None:
        for msg in reversed(self._chat.messages.values()):
            if msg.markup and "keyboard" in msg.markup:
                return msg.reply_keyboard
            if msg.markup and msg.markup.get("remove_keyboard"):
                return None
        return None

    def _recent(self, count: int = 8) -> list[str]:
        return [m.summary() for m in list(self._chat.messages.values())[-count:]] or ["(nothing)"]


# --- The server ----------------------------------------------------------------------------------


def _int_param(params: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise bad_request(f"{name} is empty")
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {name} specified") from None


def _json_param(params: dict[str, Any], name: str, error: str | None = None) -> Any:
    """Complex fields arrive as JSON strings in forms and as objects in JSON bodies."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return value  # already decoded: the request had a JSON body
    try:
        return json.loads(value)
    except ValueError:
        raise bad_request(error or f"can't parse {name} JSON object") from None


def _bool_param(params: dict[str, Any], name: str) -> bool:
    value = params.get(name)
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))


class TelegramSandbox:
    """The sandbox Bot API server. One instance plays Telegram for any number of users."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "sandbox_bot",
        bot_name: str = "Sandbox Bot",
        global_rate: int | None = None,
        per_chat_rate: int | None = None,
        time_scale: float = 1.0,
    ) -> None:
        if host not in LOOPBACK_HOSTS:
            raise ValueError(f"the sandbox accepts any token, so it listens on loopback only, not {host!r}")
        self.host = host
        self.port = port
        self.bot_username = bot_username
        self.bot_name = bot_name  # the bot's first_name, as getMe and every Message.from show it
        # Rate limits, off by default: at most N sends per (simulated) second overall / per chat.
        # time_scale = real seconds per simulated second (0.1 makes a test of the limits 10x faster);
        # retry_after is reported in simulated seconds.
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        self.time_scale = time_scale

        self.calls: collections.Counter[str] = collections.Counter()
        self.stats: dict[str, int] = {"429": 0, "rate_limited": 0, "injected": 0, "errors": 0, "sent": 0}
        self.webhook: dict[str, Any] | None = None
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}

        self._message_ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(4_000_000_000_001)  # Telegram's ids are long numbers
        self._file_ids = itertools.count(1)
        self._seq = itertools.count(1)  # the chat timelines' event numbers (server-wide, increasing)
        self._last_bot: dict[str, Any] | None = None  # the bot user of the latest Bot API call
        # Tells chat clients that a server they reconnect to is a new one (empty chats, cursors from 0).
        self.instance = f"{time.time_ns():x}"
        self._updates: list[dict[str, Any]] = []  # unconfirmed updates, in order
        self._allowed_updates: list[str] | None = None
        self._poll_generation: collections.Counter[str] = collections.Counter()  # per token
        self._updates_signal = _Signal()  # a new update, a new poll, or shutdown
        self._changed = _Signal()  # the bot sent/edited/deleted something or answered a callback
        self._closing = False
        self._users: dict[int, SandboxUser] = {}
        self._chats: dict[int, _Chat] = {}
        self._blocked: set[int] = set()
        self._faults: list[_Fault] = []
        self._callbacks: dict[str, dict[str, Any]] = {}
        self._files: dict[str, tuple[bytes | None, str | None]] = {}
        self._global_sends: collections.deque[float] = collections.deque()
        self._chat_sends: dict[int, collections.deque[float]] = {}
        self._runner: web.AppRunner | None = None
        self.webhook_stats: collections.Counter[str] = collections.Counter()  # delivered / failed, per target URL
        self._webhook_targets: list[str] = []  # route_webhook: the receivers behind the webhook's URL
        self._webhook_turn = itertools.count()
        self._webhook_task: asyncio.Task | None = None
        self._webhook_http: Any = None  # aiohttp.ClientSession while delivering
        self._webhook_error: tuple[int, str] | None = None  # (unix time, text) of the last failed delivery
        self._delivering: dict[int, asyncio.Task] = {}  # update_id -> its POST in flight
        self._retry_at: dict[int, float] = {}  # update_id -> monotonic time of its next attempt
        self._attempts: collections.Counter[int] = collections.Counter()

        self._methods: dict[str, tuple[str, Callable[..., Any]]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "logOut": self._ok,
                "close": self._ok,
                "sendMessage": self._send_message,
                "sendPhoto": self._send_photo,
                "sendDocument": self._send_document,
                "editMessageText": self._edit_message_text,
                "editMessageCaption": self._edit_message_caption,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "editMessageMedia": self._edit_message_media,
                "deleteMessage": self._delete_message,
                "deleteMessages": self._delete_messages,
                "answerCallbackQuery": self._answer_callback_query,
                "sendChatAction": self._send_chat_action,
                "getChat": self._get_chat,
                "getFile": self._get_file,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "setChatMenuButton": self._set_chat_menu_button,
                "getChatMenuButton": self._get_chat_menu_button,
                "setMyName": self._ok,
                "setMyDescription": self._ok,
                "setMyShortDescription": self._ok,
            }.items()
        }
        self.app = self._build_app()

    # -- lifecycle --

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=50 * 1024 * 1024)  # documents up to Telegram's 50 MB
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_post("/_sandbox/send", self._control_send)
        app.router.add_post("/_sandbox/press", self._control_press)
        app.router.add_post("/_sandbox/callback", self._control_callback)
        app.router.add_get("/_sandbox/messages", self._control_messages)
        app.router.add_post("/_sandbox/inject", self._control_inject)
        app.router.add_post("/_sandbox/block", self._control_block)
        app.router.add_post("/_sandbox/unblock", self._control_block)
        app.router.add_get("/_sandbox/callback_answer", self._control_callback_answer)
        app.router.add_get("/_sandbox/stats", self._control_stats)
        # The chat client's side (sandbox.webchat): what a Telegram app shows and lets the user do.
        app.router.add_get("/_sandbox/chat", self._control_chat)
        app.router.add_get("/_sandbox/events", self._control_events)
        app.router.add_post("/_sandbox/send_document", self._control_send_document)
        app.router.add_get("/_sandbox/file", self._control_file)
        app.router.add_get("/_sandbox/commands", self._control_commands)
        app.router.add_get("/_sandbox/bot", self._control_bot)
        return app

    async def start(self) -> None:
        self._closing = False
        # A short shutdown timeout: long polls are woken on stop, nothing else takes long.
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._closing = True
        await self._stop_delivering()
        self._updates_signal.fire()  # pending getUpdates return [] at once
        self._changed.fire()  # and so do pending /_sandbox/events
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TelegramSandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # -- test-side API --

    def user(
        self,
        user_id: int,
        *,
        first_name: str = _UNSET,  # default "Test"
        username: str | None = _UNSET,  # default None
        language_code: str | None = _UNSET,  # default "en"
        started: bool = False,
    ) -> SandboxUser:
        """The user with this id (the same object on every call; given fields are updated).

        started=True marks the chat as one the user already opened (e.g. in an earlier run), so the
        bot may message them before they write anything.
        """
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = SandboxUser(self, user_id)
        if first_name is not _UNSET:
            user.first_name = first_name
        if username is not _UNSET:
            user.username = username
        if language_code is not _UNSET:
            user.language_code = language_code
        if started:
            self._chat_of(user).started = True
        return user

    def inject(
        self,
        method: str,
        status: int,
        *,
        retry_after: int | None = None,
        times: int | None = 1,
        chat_id: int | None = None,
        description: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` (only for `chat_id`, if given) fail with `status`.

        times=None fails every call until clear_faults().
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        self._faults.append(_Fault(method.lower(), status, retry_after, times, chat_id, description))

    def route_webhook(self, urls: list[str]) -> None:
        """The receivers behind the webhook's URL (a load balancer in front of several bot processes): each delivery
        goes to the next of them in turn. Empty: to the URL setWebhook gave."""
        self._webhook_targets = list(urls)

    def clear_faults(self) -> None:
        self._faults.clear()

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: every send to the chat gets 403 until unblock()."""
        self._blocked.add(int(chat_id))

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(int(chat_id))

    def messages(self, chat_id: int) -> list[SentMessage]:
        """Everything the bot sent to the chat, in order, in its current state (copies)."""
        chat = self._chats.get(int(chat_id))
        return [copy.deepcopy(m) for m in chat.messages.values()] if chat else []

    def documents(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.messages(chat_id) if m.kind == "document"]

    def photos(self, chat_id: int) -> list[SentMessage]:
        """The bot's photos in the chat (their PNG/JPEG bytes in document_bytes, the caption's visible text)."""
        return [m for m in self.messages(chat_id) if m.kind == "photo"]

    def callback_answer(self, callback_id: str) -> dict[str, Any] | None:
        record = self._callbacks.get(str(callback_id))
        return dict(record["answer"]) if record and record["answer"] is not None else None

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot."""
        return copy.deepcopy(self._updates)

    # -- a chat client's view (sandbox.webchat): what a Telegram app shows in one private chat --

    def chat_snapshot(self, chat_id: int) -> dict[str, Any]:
        """The chat as an app shows it now: every message still there (the bot's and the user's, in order,
        in their current state) and `seq`, the cursor to ask chat_events() for what happens next."""
        chat = self._chats.get(int(chat_id))
        if chat is None:
            return {"messages": [], "seq": 0, "instance": self.instance}
        ids = sorted(set(chat.messages) | set(chat.user_messages))
        views = [self._view(chat, message_id) for message_id in ids]
        return {"messages": [v for v in views if v is not None and not v["deleted"]],
                "seq": chat.timeline[-1][0] if chat.timeline else 0, "instance": self.instance}

    def chat_events(self, chat_id: int, after: int = 0) -> list[dict[str, Any]]:
        """What happened in the chat after the event numbered `after`, oldest first. A new or edited
        message comes in its current state (so an edit read late shows the latest text)."""
        chat = self._chats.get(int(chat_id))
        if chat is None:
            return []
        events = []
        for seq, kind, message_id, extra in reversed(chat.timeline):
            if seq <= after:
                break
            event: dict[str, Any] = {"seq": seq, "type": kind}
            if kind in ("message", "edit"):
                event["message"] = self._view(chat, message_id)  # type: ignore[arg-type]
            elif message_id is not None:
                event["message_id"] = message_id
            event.update(extra)
            events.append(event)
        events.reverse()
        return events

    async def wait_chat_events(self, chat_id: int, after: int = 0, timeout: float = 25.0) -> list[dict[str, Any]]:
        """chat_events(), waiting up to `timeout` seconds for at least one (long polling)."""
        found: list[dict[str, Any]] = []

        def ready() -> bool:
            found[:] = self.chat_events(chat_id, after)
            return bool(found) or self._closing

        await self._changed.wait_for(ready, timeout)
        return found

    def commands_for(self, chat_id: int, language_code: str | None) -> list[dict[str, str]]:
        """The command menu a private chat shows: Telegram's scope order (this chat, all private chats,
        default), each with the user's language first, then without a language."""
        scopes = [{"type": "chat", "chat_id": int(chat_id)}, {"type": "all_private_chats"}, {"type": "default"}]
        for scope in scopes:
            for language in dict.fromkeys((language_code or "", "")):
                found = self.commands.get((json.dumps(scope, sort_keys=True), language))
                if found is not None:
                    return copy.deepcopy(found)
        return []

    def chat_file(self, chat_id: int, file_id: str) -> tuple[bytes, str | None] | None:
        """A file attached to a message of this chat (a document or photo of the bot, an upload of the
        user): (content, filename). Files of other chats are not reachable through it."""
        chat = self._chats.get(int(chat_id))
        if chat is None or file_id not in self._files:
            return None
        attached = {info["file_id"] for m in chat.messages.values() if m.media and not m.deleted
                    for info in ([m.media["document"]] if "document" in m.media else m.media.get("photo", []))}
        attached |= {m["document"]["file_id"] for i, m in chat.user_messages.items()
                     if "document" in m and i not in chat.deleted}
        data, filename = self._files[file_id]
        if file_id not in attached or data is None:
            return None
        return data, filename

    @property
    def bot_info(self) -> dict[str, Any]:
        """The bot as a chat header shows it (its id is known once the bot made a call)."""
        bot = self._last_bot or {"first_name": self.bot_name, "username": self.bot_username}
        return {"id": bot.get("id"), "first_name": bot["first_name"], "username": bot["username"]}

    def _note(self, chat: _Chat, kind: str, message_id: int | None, **extra: Any) -> None:
        chat.timeline.append((next(self._seq), kind, message_id, extra))
        self._changed.fire()

    def _view(self, chat: _Chat, message_id: int) -> dict[str, Any] | None:
        """One message as a chat client needs it: visible text with its entities, the file, keyboards."""
        msg = chat.messages.get(message_id)
        if msg is not None:
            view: dict[str, Any] = {
                "message_id": msg.message_id, "from": "bot", "date": msg.date, "edit_date": msg.edit_date,
                "kind": msg.kind, "text": msg.text, "entities": msg.entities, "caption": msg.caption,
                "caption_entities": msg.caption_entities, "deleted": msg.deleted, "file": None,
                "inline_keyboard": [], "reply_markup": None,
            }
            if msg.media:
                info = msg.media["document"] if "document" in msg.media else msg.media["photo"][-1]
                data, filename = self._files.get(info["file_id"], (None, None))
                view["file"] = {"file_id": info["file_id"], "file_name": info.get("file_name") or filename,
                                "mime_type": info.get("mime_type") or (mimetypes.guess_type(filename or "")[0]),
                                "file_size": info.get("file_size"), "available": data is not None}
            for row in (msg.markup or {}).get("inline_keyboard") or []:
                view["inline_keyboard"].append([
                    {"text": b["text"], "type": next((k for k in INLINE_BUTTON_KINDS if k in b), "callback_data"),
                     **({"url": b["url"]} if "url" in b else {}),
                     **({"copy_text": b["copy_text"].get("text", "")} if isinstance(b.get("copy_text"), dict) else {})}
                    for b in row])
            markup = msg.markup or {}
            if "keyboard" in markup:
                view["reply_markup"] = {
                    "keyboard": msg.reply_keyboard or [],
                    **{k: markup[k] for k in ("resize_keyboard", "one_time_keyboard", "is_persistent",
                                              "input_field_placeholder") if k in markup}}
            elif markup.get("remove_keyboard"):
                view["reply_markup"] = {"remove_keyboard": True}
            elif markup.get("force_reply"):
                view["reply_markup"] = {"force_reply": True, **({"input_field_placeholder": markup[
                    "input_field_placeholder"]} if "input_field_placeholder" in markup else {})}
            return view
        raw = chat.user_messages.get(message_id)
        if raw is None:
            return None
        view = {"message_id": message_id, "from": "user", "date": raw["date"], "edit_date": None,
                "kind": "document" if "document" in raw else "text", "text": raw.get("text"),
                "entities": raw.get("entities", []), "caption": raw.get("caption"), "caption_entities": [],
                "deleted": message_id in chat.deleted, "file": None, "inline_keyboard": [], "reply_markup": None}
        if "document" in raw:
            doc = raw["document"]
            view["file"] = {"file_id": doc["file_id"], "file_name": doc.get("file_name"),
                            "mime_type": doc.get("mime_type"), "file_size": doc.get("file_size"), "available": True}
        return view

    # -- internals shared by the user API and the HTTP handlers --

    def _chat_of(self, user: SandboxUser) -> _Chat:
        chat = self._chats.get(user.chat_id)
        if chat is None:
            chat = self._chats[user.chat_id] = _Chat(user.chat_id, user)
        return chat

    def _enqueue(self, payload: dict[str, Any]) -> None:
        self._updates.append({"update_id": next(self._update_ids), **payload})
        self._updates_signal.fire()

    def _user_message(self, user: SandboxUser, text: str) -> int:
        if not text or not text.strip():
            raise ValueError("Telegram never delivers an empty text message")
        if len(text) > TEXT_LIMIT:
            raise ValueError(f"Telegram clients split text longer than {TEXT_LIMIT} characters")
        chat = self._chat_of(user)
        chat.started = True
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat.render(),
            "from": user.render(),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        chat.user_messages[message["message_id"]] = message
        self._note(chat, "message", message["message_id"])
        self._enqueue({"message": message})
        return message["message_id"]

    def _user_document(self, user: SandboxUser, filename: str, data: bytes, caption: str | None = None) -> int:
        """The user sends a file: stored like an upload, so getFile and the /file/ download serve it."""
        chat = self._chat_of(user)
        chat.started = True
        file_id = f"SBXUSR{next(self._file_ids):08d}"
        self._files[file_id] = (data, filename)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat.render(),
            "from": user.render(),
            "document": {"file_id": file_id, "file_unique_id": f"U{file_id}", "file_name": filename,
                         "mime_type": mimetypes.guess_type(filename)[0] or "application/octet-stream",
                         "file_size": len(data)},
        }
        if caption:
            message["caption"] = caption
        chat.user_messages[message["message_id"]] = message
        self._note(chat, "message", message["message_id"])
        self._enqueue({"message": message})
        return message["message_id"]

    def _user_callback(self, user: SandboxUser, target: SentMessage | int | None, data: str) -> str:
        chat = self._chat_of(user)
        chat.started = True
        callback_id = str(next(self._callback_ids))
        query: dict[str, Any] = {
            "id": callback_id,
            "from": user.render(),
            "chat_instance": str(7_000_000_000_000 + chat.chat_id),  # stable per chat, like Telegram's
            "data": data,
        }
        if isinstance(target, SentMessage):
            query["message"] = self._render(target)
        elif isinstance(target, int):
            # Telegram sends an InaccessibleMessage (date 0) for messages the bot can't see any more
            query["message"] = {"chat": chat.render(), "message_id": target, "date": 0}
        message_id = target.message_id if isinstance(target, SentMessage) else target
        self._callbacks[callback_id] = {"chat_id": chat.chat_id, "data": data, "message_id": message_id, "answer": None}
        user._last_callback_id = callback_id
        self._enqueue({"callback_query": query})
        return callback_id

    def _render(self, msg: SentMessage) -> dict[str, Any]:
        """The Bot API Message object for a bot message."""
        chat = self._chats[msg.chat_id]
        result: dict[str, Any] = {
            "message_id": msg.message_id,
            "date": msg.date,
            "chat": chat.render(),
            "from": msg.sender,
        }
        if msg.edit_date:
            result["edit_date"] = msg.edit_date
        if msg.text is not None:
            result["text"] = msg.text
            if msg.entities:
                result["entities"] = msg.entities
        if msg.media:
            result.update(msg.media)
        if msg.caption is not None:
            result["caption"] = msg.caption
            if msg.caption_entities:
                result["caption_entities"] = msg.caption_entities
        inline = msg.inline_markup()
        if inline:
            result["reply_markup"] = inline
        return result

    def _bot_user(self, token: str) -> dict[str, Any]:
        return {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _known_chat(self, params: dict[str, Any]) -> _Chat:
        """The chat named by chat_id, if its user ever wrote to the bot (Telegram's rule for bots)."""
        value = params.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        try:
            chat = self._chats.get(int(value))
        except (TypeError, ValueError):
            chat = None  # "@channelusername": no channels in the sandbox
        if chat is None or not chat.started:
            raise ApiError(400, CHAT_NOT_FOUND)
        return chat

    def _sendable_chat(self, params: dict[str, Any]) -> _Chat:
        chat = self._known_chat(params)
        if chat.chat_id in self._blocked:
            raise ApiError(403, BLOCKED)
        return chat

    def _check_fault(self, method: str, params: dict[str, Any]) -> None:
        for fault in self._faults:
            if fault.method != method.lower():
                continue
            if fault.chat_id is not None and str(params.get("chat_id")) != str(fault.chat_id):
                continue
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
            self.stats["injected"] += 1
            description = fault.description or DEFAULT_DESCRIPTIONS.get(fault.status, f"Error {fault.status}")
            if fault.status == 429:
                description = fault.description or f"Too Many Requests: retry after {fault.retry_after}"
            raise ApiError(fault.status, description, retry_after=fault.retry_after)

    def _take_send_slot(self, chat_id: int) -> None:
        """Enforce the optional rate limits with a sliding one-(simulated-)second window."""
        if not (self.global_rate or self.per_chat_rate):
            return
        now = time.monotonic()
        window = self.time_scale  # one simulated second, in real seconds
        chat_sends = self._chat_sends.setdefault(chat_id, collections.deque())
        waits = []
        for sends, rate in ((self._global_sends, self.global_rate), (chat_sends, self.per_chat_rate)):
            while sends and sends[0] <= now - window:
                sends.popleft()
            if rate and len(sends) >= rate:
                waits.append(sends[-rate] + window - now)  # when the oldest send in the window expires
        if waits:
            self.stats["rate_limited"] += 1
            raise too_many_requests(max(1, math.ceil(max(waits) / self.time_scale)))
        self._global_sends.append(now)
        chat_sends.append(now)

    def _format(self, params: dict[str, Any], name: str, limit: int, *, required: bool) -> tuple[str | None, list[dict[str, Any]], str | None]:
        """Parse text/caption per parse_mode: (visible text, entities, raw HTML or None)."""
        raw = params.get(name)
        if raw is None or raw == "":
            if required:
                raise bad_request("message text is empty")
            return None, [], None
        raw = str(raw)
        entities_field = "entities" if name == "text" else f"{name}_entities"
        if str(params.get("parse_mode") or "").lower() == "html":
            try:
                visible, entities = parse_html(raw)
            except HtmlParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
            html = raw
        else:
            # MarkdownV2 is not parsed: its text is stored as sent (a known gap of the sandbox).
            visible, entities, html = raw, _json_param(params, entities_field) or [], None
        if not visible.strip():
            if required:
                raise bad_request("message text is empty")
            return None, [], None
        if len(visible) > limit:
            raise bad_request("message is too long" if name == "text" else "message caption is too long")
        return visible, entities, html

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """Validate reply_markup as Telegram does; returns it as a dict (or None)."""
        markup = _json_param(params, "reply_markup", "can't parse reply keyboard markup JSON object")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request("can't parse inline keyboard button: field \"inline_keyboard\" must be an Array of Arrays")
            if sum(len(row) for row in rows) > KEYBOARD_BUTTON_LIMIT:
                raise bad_request("reply markup is too long")
            for row in rows:
                for button in row:
                    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                        raise bad_request("can't parse inline keyboard button: Field \"text\" must be of type String")
                    if not button["text"]:
                        raise bad_request("BUTTON_TEXT_INVALID")
                    kinds = [k for k in INLINE_BUTTON_KINDS if k in button]
                    if not kinds:
                        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
                    if "callback_data" in button:
                        size = len(str(button["callback_data"]).encode())
                        if not 1 <= size <= CALLBACK_DATA_LIMIT:
                            raise bad_request("BUTTON_DATA_INVALID")
                    if "url" in button and not re.match(r"(https?|tg)://\S+$", str(button["url"])):
                        raise bad_request("BUTTON_URL_INVALID")
        elif "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request("can't parse reply keyboard markup JSON object")
            for row in rows:
                for button in row:
                    text = button if isinstance(button, str) else (button or {}).get("text")
                    if not text:
                        raise bad_request("can't parse keyboard button: Field \"text\" must be of type String")
        elif not (markup.get("remove_keyboard") or markup.get("force_reply")):
            raise bad_request("can't parse reply keyboard markup JSON object")
        return markup

    def _store(self, chat: _Chat, bot: dict[str, Any], **fields: Any) -> SentMessage:
        markup = fields.pop("markup", None)
        msg = SentMessage(
            message_id=next(self._message_ids),
            chat_id=chat.chat_id,
            date=int(time.time()),
            # Message.from carries the plain User fields, not getMe's bot capabilities
            sender={k: bot[k] for k in ("id", "is_bot", "first_name", "username")},
            **fields,
        )
        _apply_markup(msg, markup)
        chat.messages[msg.message_id] = msg
        chat.events.append(("new", msg.message_id))
        self._note(chat, "message", msg.message_id)
        self.stats["sent"] += 1
        self._changed.fire()
        return msg

    def _target(self, chat: _Chat, params: dict[str, Any]) -> SentMessage:
        """The bot message an edit refers to."""
        if params.get("inline_message_id"):
            raise bad_request("message to edit not found")  # inline messages: not in the sandbox
        message_id = _int_param(params, "message_id")
        msg = chat.messages.get(message_id)  # type: ignore[arg-type]
        if msg is None or msg.deleted:
            if message_id in chat.user_messages and message_id not in chat.deleted:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return msg

    def _mark_edited(self, chat: _Chat, msg: SentMessage) -> dict[str, Any]:
        msg.edited = True
        msg.edit_date = int(time.time())
        chat.events.append(("edit", msg.message_id))
        self._note(chat, "edit", msg.message_id)
        return self._render(msg)

    def _delete(self, chat: _Chat, message_id: int) -> bool:
        if message_id in chat.deleted:
            return False
        msg = chat.messages.get(message_id)
        if msg is not None:
            msg.deleted = True
        elif message_id not in chat.user_messages:
            return False
        chat.deleted.append(message_id)
        self._note(chat, "delete", message_id)
        return True

    def _read_file(self, params: dict[str, Any], name: str) -> tuple[str, bytes | None, str | None]:
        """An uploaded file (multipart, possibly via attach://), a known file_id or a URL."""
        value = params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if value is None or value == "":
            raise bad_request(f"there is no {name} in the request")
        if isinstance(value, web.FileField):
            data, filename = value.file.read(), value.filename
        elif isinstance(value, str) and value in self._files:
            return value, *self._files[value]
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            data, filename = None, value.rstrip("/").rsplit("/", 1)[-1] or None
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if data is not None and not data:
            raise bad_request("file must be non-empty")
        file_id = f"SBX{name[:3].upper()}{next(self._file_ids):08d}"
        self._files[file_id] = (data, filename)
        return file_id, data, filename

    # -- HTTP: Bot API --

    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not TOKEN_RE.fullmatch(token):
            return web.json_response(ApiError(401, "Unauthorized").envelope(), status=401)
        known = self._methods.get(request.match_info["method"].lower())
        name = known[0] if known else request.match_info["method"]
        self.calls[name] += 1
        try:
            if known is None:
                raise ApiError(404, "Not Found: method not found")
            params = await self._read_params(request)
            self._check_fault(name, params)
            self._last_bot = self._bot_user(token)
            result = await known[1](params, self._last_bot, token)
        except ApiError as exc:
            self.stats["errors"] += 1
            if exc.status == 429:
                self.stats["429"] += 1
            return web.json_response(exc.envelope(), status=exc.status)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    async def _read_params(request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad_request("can't parse JSON encoded request") from None
                if isinstance(body, dict):
                    params.update(body)
            else:  # urlencoded or multipart; files arrive as web.FileField
                params.update(await request.post())
        return params

    async def _handle_file(self, request: web.Request) -> web.Response:
        if not TOKEN_RE.fullmatch(request.match_info["token"]):
            return web.Response(status=401)
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        data, _ = self._files.get(file_id, (None, None))
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data)

    # -- Bot API methods: (params, bot user, token) -> result --

    async def _ok(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> dict[str, Any]:
        return bot

    async def _get_updates(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> list[dict[str, Any]]:
        if self.webhook:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = _int_param(params, "offset", required=False)
        limit = min(max(_int_param(params, "limit", required=False) or UPDATES_LIMIT, 1), UPDATES_LIMIT)
        timeout = max(_int_param(params, "timeout", required=False) or 0, 0)
        allowed = _json_param(params, "allowed_updates")
        if allowed is not None:
            self._allowed_updates = list(allowed) or None  # [] means "all", as in Telegram

        # Confirm: updates before offset are forgotten; a negative offset keeps the last -offset.
        if offset is not None and offset < 0:
            self._updates = self._updates[offset:]
        elif offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

        # Only one getUpdates may wait per bot: a newer one ends the older with 409, as Telegram does.
        self._poll_generation[token] += 1
        generation = self._poll_generation[token]
        self._updates_signal.fire()

        def ready() -> bool:
            return self._closing or generation != self._poll_generation[token] or bool(self._deliverable())

        await self._updates_signal.wait_for(ready, timeout)
        if generation != self._poll_generation[token] and not self._closing:
            raise ApiError(409, GET_UPDATES_CONFLICT)
        return copy.deepcopy(self._deliverable()[:limit])

    def _deliverable(self) -> list[dict[str, Any]]:
        if self._allowed_updates:
            # Telegram never delivers update types the bot did not ask for: drop them.
            allowed = set(self._allowed_updates)
            self._updates = [u for u in self._updates if allowed & u.keys()]
        return self._updates

    async def _set_webhook(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> bool:
        url = params.get("url") or ""
        if not url:
            await self._stop_delivering()
            self.webhook = None
            return True
        if not re.match(r"https?://[^/]+", url):
            raise bad_request("bad webhook: invalid webhook URL specified")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad_request("secret token contains unallowed characters")
        allowed = _json_param(params, "allowed_updates")
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": min(max(_int_param(params, "max_connections", required=False) or 40, 1), 100),
            "allowed_updates": allowed,
            "token": token,
        }
        if allowed is not None:
            self._allowed_updates = list(allowed) or None
        if _bool_param(params, "drop_pending_updates"):
            self._updates.clear()
        self._webhook_error = None
        self._start_delivering()
        return True

    async def _delete_webhook(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> bool:
        await self._stop_delivering()
        self.webhook = None
        if _bool_param(params, "drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
            if self.webhook["allowed_updates"]:
                info["allowed_updates"] = self.webhook["allowed_updates"]
            if self._webhook_error is not None:
                info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    # -- webhook delivery --

    def _start_delivering(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver_loop(), name="sandbox-webhook")
        self._updates_signal.fire()

    async def _stop_delivering(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    @staticmethod
    def _update_chat(update: dict[str, Any]) -> int | None:
        """The chat an update belongs to (Telegram keeps each chat's updates in order)."""
        for value in update.values():
            if isinstance(value, dict):
                chat = value.get("chat") or (value.get("message") or {}).get("chat")
                if chat:
                    return chat.get("id")
                if value.get("from"):
                    return value["from"].get("id")
        return None

    def _webhook_target(self) -> str:
        if self._webhook_targets:
            return self._webhook_targets[next(self._webhook_turn) % len(self._webhook_targets)]
        return self.webhook["url"]

    async def _deliver_loop(self) -> None:
        import aiohttp

        self._webhook_http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT))
        try:
            while self.webhook is not None:
                now = time.monotonic()
                busy_chats = {chat for chat in (self._update_chat(u) for u in self._updates
                                                if u["update_id"] in self._delivering) if chat is not None}
                blocked = set(busy_chats)
                next_retry = math.inf
                for update in self._deliverable():
                    if len(self._delivering) >= self.webhook["max_connections"]:
                        break
                    chat = self._update_chat(update)
                    uid = update["update_id"]
                    if uid in self._delivering or chat in blocked:
                        blocked.add(chat)
                        continue
                    retry = self._retry_at.get(uid, 0.0)
                    if retry > now:  # a chat waits for its failed update: order is kept
                        next_retry = min(next_retry, retry)
                        blocked.add(chat)
                        continue
                    blocked.add(chat)
                    task = asyncio.create_task(self._deliver(update), name=f"sandbox-webhook-{uid}")
                    self._delivering[uid] = task
                    task.add_done_callback(lambda _, uid=uid: (self._delivering.pop(uid, None),
                                                               self._updates_signal.fire()))
                wait = min(1.0, max(0.0, next_retry - time.monotonic())) if next_retry < math.inf else 1.0
                await self._updates_signal.next(wait)
        finally:
            for task in list(self._delivering.values()):
                task.cancel()
            await asyncio.gather(*self._delivering.values(), return_exceptions=True)
            self._delivering.clear()
            await self._webhook_http.close()
            self._webhook_http = None

    async def _deliver(self, update: dict[str, Any]) -> None:
        from urllib.parse import urlsplit

        uid = update["update_id"]
        url = self._webhook_target()
        headers = {}
        if self.webhook.get("secret_token"):
            headers[WEBHOOK_SECRET_HEADER] = self.webhook["secret_token"]
        error = None
        if urlsplit(url).hostname not in LOOPBACK_HOSTS:
            error = "the sandbox delivers webhooks to loopback addresses only"
        else:
            try:
                async with self._webhook_http.post(url, json=update, headers=headers) as response:
                    await response.read()
                    if not 200 <= response.status < 300:
                        error = f"Wrong response from the webhook: {response.status} {response.reason}"
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # refused, reset, timed out: Telegram's words for these differ; ours say which
                error = f"Connection failed: {type(exc).__name__}: {exc}"[:200]
        if error is None:
            self.webhook_stats[f"delivered {url}"] += 1
            self._updates = [u for u in self._updates if u["update_id"] != uid]
            self._retry_at.pop(uid, None)
            self._attempts.pop(uid, None)
            return
        self.webhook_stats[f"failed {url}"] += 1
        self._webhook_error = (int(time.time()), error)
        self._attempts[uid] += 1
        pause = min(WEBHOOK_RETRY_MAX, WEBHOOK_RETRY_FIRST * 2 ** (self._attempts[uid] - 1)) * self.time_scale
        self._retry_at[uid] = time.monotonic() + pause

    async def _send_message(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> dict[str, Any]:
        chat = self._sendable_chat(params)
        text, entities, html = self._format(params, "text", TEXT_LIMIT, required=True)
        markup = self._markup(params)
        self._take_send_slot(chat.chat_id)
        msg = self._store(chat, bot, text=text, html=html, entities=entities, markup=markup)
        return self._render(msg)

    async def _send_media(self, params: dict[str, Any], bot: dict[str, Any], kind: str) -> dict[str, Any]:
        chat = self._sendable_chat(params)
        file_id, data, filename = self._read_file(params, kind)
        caption, caption_entities, html = self._format(params, "caption", CAPTION_LIMIT, required=False)
        markup = self._markup(params)
        self._take_send_slot(chat.chat_id)
        file_info: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"U{file_id}"}
        if data is not None:
            file_info["file_size"] = len(data)
        if kind == "document":
            if filename:
                file_info["file_name"] = filename
                file_info["mime_type"] = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            media: dict[str, Any] = {"document": file_info}
        else:
            media = {"photo": [_photo_size(file_info, data)]}
        msg = self._store(
            chat,
            bot,
            kind=kind,
            html=html,
            caption=caption,
            caption_entities=caption_entities,
            document_bytes=data,
            filename=filename,
            media=media,
            markup=markup,
        )
        return self._render(msg)

    async def _send_photo(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> dict[str, Any]:
        return await self._send_media(params, bot, "photo")

    async def _send_document(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> dict[str, Any]:
        return await self._send_media(params, bot, "document")

    async def _edit_message_text(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> dict[str, Any]:
        chat = self._sendable_chat(params)
        msg = self._target(chat, params)
        if msg.text is None:
            raise bad_request("there is no text in the message to edit")
        text, entities, html = self._format(params, "text", TEXT_LIMIT, required=True)
        markup = self._markup(params)  # omitted reply_markup removes the inline keyboard, as in Telegram
        new_inline = markup if markup and markup.get("inline_keyboard") else None
        if text == msg.text and entities == msg.entities and new_inline == msg.inline_markup():
            raise ApiError(400, NOT_MODIFIED)
        msg.text, msg.entities, msg.html = text, entities, html
        _apply_markup(msg, new_inline)
        return self._mark_edited(chat, msg)

    async def _edit_message_caption(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> dict[str, Any]:
        chat = self._sendable_chat(params)
        msg = self._target(chat, params)
        if msg.media is None:
            raise bad_request("there is no caption in the message to edit")
        caption, entities, html = self._format(params, "caption", CAPTION_LIMIT, required=False)
        markup = self._markup(params)
        new_inline = markup if markup and markup.get("inline_keyboard") else None
        if caption == msg.caption and entities == msg.caption_entities and new_inline == msg.inline_markup():
            raise ApiError(400, NOT_MODIFIED)
        msg.caption, msg.caption_entities, msg.html = caption, entities, html
        _apply_markup(msg, new_inline)
        return self._mark_edited(chat, msg)

    async def _edit_message_media(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> dict[str, Any]:
        """A photo or document replaced (an upload arrives as a multipart part that `media.media` names with
        attach://<part>), with the caption and parse_mode inside `media`, as Telegram takes them."""
        chat = self._sendable_chat(params)
        msg = self._target(chat, params)
        media = _json_param(params, "media", "can't parse InputMedia: media isn't valid JSON")
        if not isinstance(media, dict) or media.get("type") not in ("photo", "document"):
            raise bad_request("can't parse InputMedia: unsupported media type")
        if msg.media is None:
            raise bad_request("there is no media in the message to edit")
        kind = media["type"]
        file_id, data, filename = self._read_file({**params, "media": media.get("media")}, "media")
        caption, caption_entities, html = self._format(
            {"caption": media.get("caption"), "parse_mode": media.get("parse_mode"),
             "caption_entities": media.get("caption_entities")}, "caption", CAPTION_LIMIT, required=False)
        markup = self._markup(params)
        new_inline = markup if markup and markup.get("inline_keyboard") else None
        file_info: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"U{file_id}"}
        if data is not None:
            file_info["file_size"] = len(data)
        if kind == "document":
            if filename:
                file_info["file_name"] = filename
                file_info["mime_type"] = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            msg.media = {"document": file_info}
        else:
            msg.media = {"photo": [_photo_size(file_info, data)]}
        msg.kind, msg.document_bytes, msg.filename = kind, data, filename
        msg.caption, msg.caption_entities, msg.html = caption, caption_entities, html
        _apply_markup(msg, new_inline)
        return self._mark_edited(chat, msg)

    async def _edit_message_reply_markup(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> dict[str, Any]:
        chat = self._sendable_chat(params)
        msg = self._target(chat, params)
        markup = self._markup(params)
        new_inline = markup if markup and markup.get("inline_keyboard") else None
        if new_inline == msg.inline_markup():
            raise ApiError(400, NOT_MODIFIED)
        _apply_markup(msg, new_inline)
        return self._mark_edited(chat, msg)

    async def _delete_message(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> bool:
        chat = self._known_chat(params)
        if not self._delete(chat, _int_param(params, "message_id")):  # type: ignore[arg-type]
            raise bad_request("message to delete not found")
        return True

    async def _delete_messages(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> bool:
        chat = self._known_chat(params)
        ids = _json_param(params, "message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must be a non-empty list of at most 100 identifiers")
        for message_id in ids:  # messages that can't be found are skipped, as in Telegram
            self._delete(chat, int(message_id))
        return True

    async def _answer_callback_query(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> bool:
        record = self._callbacks.get(str(params.get("callback_query_id")))
        if record is None or record["answer"] is not None:  # unknown, or answered already
            raise ApiError(400, QUERY_INVALID)
        text = params.get("text") or None
        if text and len(text) > CALLBACK_ANSWER_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        record["answer"] = {
            "text": text,
            "show_alert": _bool_param(params, "show_alert"),
            "url": params.get("url") or None,
            "cache_time": _int_param(params, "cache_time", required=False),
        }
        chat = self._chats.get(record["chat_id"])
        if chat is not None:
            self._note(chat, "callback_answer", record["message_id"] if isinstance(record["message_id"], int) else None,
                       callback_id=str(params.get("callback_query_id")), **record["answer"])
        self._changed.fire()
        return True

    async def _send_chat_action(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> bool:
        chat = self._sendable_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._note(chat, "action", None, action=params["action"])
        return True

    async def _get_chat(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> dict[str, Any]:
        chat = self._known_chat(params)
        return {
            **chat.render(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _get_file(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> dict[str, Any]:
        file_id = str(params.get("file_id") or "")
        if file_id not in self._files:
            raise bad_request("invalid file_id")
        data, _ = self._files[file_id]
        result: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"U{file_id}", "file_path": f"files/{file_id}"}
        if data is not None:
            result["file_size"] = len(data)
        return result

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = _json_param(params, "scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    async def _set_my_commands(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> bool:
        commands = _json_param(params, "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be a list of at most 100 commands")
        for command in commands:
            if not BOT_COMMAND_RE.fullmatch(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _get_my_commands(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> list[dict[str, str]]:
        return self.commands.get(self._commands_key(params), [])

    async def _delete_my_commands(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    async def _set_chat_menu_button(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> bool:
        chat_id = _int_param(params, "chat_id", required=False)
        self.menu_buttons[chat_id] = _json_param(params, "menu_button") or {"type": "default"}
        return True

    async def _get_chat_menu_button(self, params: dict[str, Any], bot: dict[str, Any], token: str) -> dict[str, Any]:
        chat_id = _int_param(params, "chat_id", required=False)
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "default"}

    # -- HTTP: test-side control API (for a bot running in another process) --

    @staticmethod
    async def _control_body(request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text='{"ok": false, "error": "JSON object body expected"}', content_type="application/json")
        return body

    @staticmethod
    def _control_error(error: Exception) -> web.Response:
        return web.json_response({"ok": False, "error": str(error)}, status=400)

    def _control_user(self, body: dict[str, Any]) -> SandboxUser:
        fields = {k: body[k] for k in ("first_name", "username", "language_code") if k in body}
        return self.user(int(body["user_id"]), **fields)

    async def _control_send(self, request: web.Request) -> web.Response:
        body = await self._control_body(request)
        try:
            message_id = await self._control_user(body).send(str(body["text"]))
        except (KeyError, ValueError) as exc:
            return self._control_error(exc)
        return web.json_response({"ok": True, "message_id": message_id})

    async def _control_press(self, request: web.Request) -> web.Response:
        body = await self._control_body(request)
        user = self._control_user(body)
        if body.get("row") is not None:  # a chat client pressing the button it shows at (row, column)
            try:
                callback_id = self._press_at(user, int(body["message_id"]), int(body["row"]), int(body["column"]),
                                             body.get("text"))
            except (AssertionError, KeyError, TypeError, ValueError) as exc:
                return self._control_error(exc)
            return web.json_response({"ok": True, "callback_id": callback_id})
        message = None
        if body.get("message_id") is not None:
            message = SentMessage(message_id=int(body["message_id"]), chat_id=user.chat_id)
        try:
            callback_id = await user.press(str(body["text"]), message=message)
        except (AssertionError, KeyError) as exc:
            return self._control_error(exc)
        return web.json_response({"ok": True, "callback_id": callback_id})

    def _press_at(self, user: SandboxUser, message_id: int, row: int, column: int, text: str | None) -> str:
        """Press the inline button at (row, column) of a message, as an app does. If the message is gone, or
        the button there now has another text (the message was edited), nothing is sent: AssertionError."""
        chat = self._chat_of(user)
        target = chat.messages.get(message_id)
        if target is None or target.deleted:
            raise AssertionError(f"message #{message_id} is not in chat {user.chat_id} (deleted?)")
        try:
            button = target.buttons[row][column]
        except IndexError:
            raise AssertionError(f"message #{message_id} has no button at row {row}, column {column}") from None
        if text is not None and button.text != text:
            raise AssertionError(f"the button at row {row}, column {column} is now {button.text!r}, not {text!r}")
        if button.callback_data is None:
            raise AssertionError(f"button {button.text!r} has no callback_data (url={button.url!r})")
        return self._user_callback(user, target, button.callback_data)

    async def _control_callback(self, request: web.Request) -> web.Response:
        body = await self._control_body(request)
        user = self._control_user(body)
        message_id = body.get("message_id")
        callback_id = await user.forge_callback(str(body["data"]), message_id=int(message_id) if message_id is not None else None)
        return web.json_response({"ok": True, "callback_id": callback_id})

    async def _control_messages(self, request: web.Request) -> web.Response:
        try:
            chat_id = int(request.query["chat_id"])
        except (KeyError, ValueError) as exc:
            return self._control_error(exc)
        messages = []
        for msg in self.messages(chat_id):
            item = {k: v for k, v in vars(msg).items() if k not in ("document_bytes", "buttons", "sender")}
            item["buttons"] = [[vars(b) for b in row] for row in msg.buttons]
            item["document_base64"] = base64.b64encode(msg.document_bytes).decode() if msg.document_bytes else None
            messages.append(item)
        chat = self._chats.get(chat_id)
        return web.json_response({"ok": True, "messages": messages, "deleted": list(chat.deleted) if chat else []})

    async def _control_inject(self, request: web.Request) -> web.Response:
        body = await self._control_body(request)
        try:
            self.inject(
                str(body["method"]),
                int(body["status"]),
                retry_after=body.get("retry_after"),
                times=body.get("times", 1),
                chat_id=body.get("chat_id"),
                description=body.get("description"),
            )
        except (KeyError, ValueError) as exc:
            return self._control_error(exc)
        return web.json_response({"ok": True})

    async def _control_block(self, request: web.Request) -> web.Response:
        body = await self._control_body(request)
        (self.block if request.path.endswith("/block") else self.unblock)(int(body["chat_id"]))
        return web.json_response({"ok": True})

    async def _control_callback_answer(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "answer": self.callback_answer(request.query.get("callback_id", ""))})

    async def _control_stats(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "calls": dict(self.calls), "stats": self.stats})

    @staticmethod
    def _chat_id_param(request: web.Request) -> int:
        try:
            return int(request.query["chat_id"])
        except (KeyError, ValueError):
            raise web.HTTPBadRequest(text='{"ok": false, "error": "chat_id (a number) expected"}',
                                     content_type="application/json") from None

    async def _control_chat(self, request: web.Request) -> web.Response:
        """GET /_sandbox/chat?chat_id=N: the chat as an app shows it (chat_snapshot) and the bot."""
        snapshot = self.chat_snapshot(self._chat_id_param(request))
        return web.json_response({"ok": True, **snapshot, "bot": self.bot_info})

    async def _control_events(self, request: web.Request) -> web.Response:
        """GET /_sandbox/events?chat_id=N&after=SEQ&timeout=S: long polling for the chat's next events."""
        chat_id = self._chat_id_param(request)
        try:
            after = int(request.query.get("after", 0))
            timeout = min(max(float(request.query.get("timeout", 0)), 0.0), 60.0)
        except ValueError as exc:
            return self._control_error(exc)
        events = await self.wait_chat_events(chat_id, after, timeout)
        return web.json_response({"ok": True, "events": events, "seq": events[-1]["seq"] if events else after,
                                  "instance": self.instance})

    async def _control_send_document(self, request: web.Request) -> web.Response:
        """POST /_sandbox/send_document {"user_id", "filename", "data_base64", "caption"?}: the user sends a file."""
        body = await self._control_body(request)
        try:
            data = base64.b64decode(str(body["data_base64"]), validate=True)
            filename = str(body["filename"]).strip()
            if not data or not filename:
                raise ValueError("a file needs a name and some content")
            message_id = await self._control_user(body).send_document(filename, data, caption=body.get("caption"))
        except (KeyError, ValueError) as exc:
            return self._control_error(exc)
        return web.json_response({"ok": True, "message_id": message_id})

    async def _control_file(self, request: web.Request) -> web.Response:
        """GET /_sandbox/file?chat_id=N&file_id=F: a file shown in that chat, as the app downloads it."""
        found = self.chat_file(self._chat_id_param(request), request.query.get("file_id", ""))
        if found is None:
            return web.json_response({"ok": False, "error": "no such file in this chat"}, status=404)
        data, filename = found
        headers = {}
        if filename:
            from urllib.parse import quote

            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        return web.Response(body=data, headers=headers,
                            content_type=mimetypes.guess_type(filename or "")[0] or "application/octet-stream")

    async def _control_commands(self, request: web.Request) -> web.Response:
        """GET /_sandbox/commands?chat_id=N&language_code=xx: the command menu that chat shows."""
        commands = self.commands_for(self._chat_id_param(request), request.query.get("language_code"))
        return web.json_response({"ok": True, "commands": commands})

    async def _control_bot(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "bot": self.bot_info})


async def _serve(host: str, port: int) -> None:
    sandbox = TelegramSandbox(host=host, port=port)
    await sandbox.start()
    print(f"sandbox Telegram Bot API at {sandbox.url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sandbox.stop()


if __name__ == "__main__":  # python -m sandbox.telegram --port 8081
    parser = argparse.ArgumentParser(description="Run the sandbox Telegram Bot API server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    try:
        asyncio.run(_serve(args.host, args.port))
    except KeyboardInterrupt:
        pass
