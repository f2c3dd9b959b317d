"""The web chat's server: static files (one page of vanilla JS and CSS, no build step, nothing from a CDN) and a
small JSON / server-sent-events API for that page.

It is only a chat *client*: every request goes over HTTP to the sandbox Telegram server's user side
(``/_sandbox/*`` routes of sandbox.telegram), exactly as a Telegram app talks to Telegram. It never touches the
bot, its database or the marketplaces; the bot cannot tell this client from the test suite's users.

API (all JSON unless said):
    GET  /api/config                        bot, demo users, credentials, steps
    GET  /api/chat?user=ID                  the chat now: messages, event cursor, command menu
    GET  /api/events?user=ID&after=SEQ      text/event-stream of new / edited / deleted messages, callback
                                            answers and chat actions (EventSource; resumes by Last-Event-ID)
    POST /api/send      {user, text}        send a text message (a reply-keyboard press is one too)
    POST /api/press     {user, message_id, row, column, text}   press an inline button
    POST /api/upload    multipart: user, file                  send a document
    GET  /api/file?user=ID&file_id=F[&inline=1]                a file shown in the chat
    POST /api/new-user  {start?, language_code?}               a fresh user who arrives by an invite link
"""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from sandbox.webchat import guide
from sandbox.webchat.guide import DemoUser

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
STATIC_FILES = {"app.js": "text/javascript", "app.css": "text/css", "icon.svg": "image/svg+xml"}
DEFAULT_PORT = 8000
EVENTS_POLL = 15.0  # seconds one long poll of the sandbox waits; an SSE comment keeps the stream alive between
UPLOAD_LIMIT = 20 * 1024 * 1024  # Telegram's limit for files a bot downloads
START_RE = re.compile(r"[?&]start=([A-Za-z0-9_-]{1,64})")
NEW_USER_BASE = 7_000_000_000  # new users' ids: this plus milliseconds, so every one is new to the bot
INVITE_TIMEOUT = 15.0


class WebChatError(Exception):
    """Something the page shows as an error toast."""


class WebChat:
    """The web chat app. `telegram_url`: the sandbox Telegram server. `admin`: the admin user whose invites let
    new users in (invite registration); without one, new users just press START (open registration)."""

    def __init__(self, telegram_url: str, *, users: list[DemoUser] | None = None, admin: DemoUser | None = None,
                 host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
        self.telegram_url = telegram_url.rstrip("/")
        self.host = host
        self.port = port
        standing = users if users is not None else [guide.DEMO_PARTNER, guide.DEMO_ADMIN]
        self.users: dict[int, DemoUser] = {u.user_id: u for u in standing}
        self.admin = admin if admin is not None else next((u for u in standing if u.role == "admin"), None)
        self._new_users = 0
        self._invite_lock = asyncio.Lock()
        self._http: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.app = self._build_app()

    # -- lifecycle --

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=UPLOAD_LIMIT + 1024 * 1024, middlewares=[self._errors])
        app.router.add_get("/", self._index)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get("/api/config", self._config)
        app.router.add_get("/api/chat", self._chat)
        app.router.add_get("/api/events", self._events)
        app.router.add_post("/api/send", self._send)
        app.router.add_post("/api/press", self._press)
        app.router.add_post("/api/upload", self._upload)
        app.router.add_get("/api/file", self._file)
        app.router.add_post("/api/new-user", self._new_user)
        app.on_startup.append(self._open_http)
        app.on_shutdown.append(self._on_shutdown)
        app.on_cleanup.append(self._close_http)
        return app

    async def _open_http(self, app: web.Application) -> None:
        self._http = aiohttp.ClientSession(self.telegram_url, timeout=aiohttp.ClientTimeout(total=EVENTS_POLL + 15))

    async def _on_shutdown(self, app: web.Application) -> None:
        self._closing = True

    async def _close_http(self, app: web.Application) -> None:
        if self._http is not None:
            await self._http.close()

    async def start(self) -> None:
        self._closing = False
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._closing = True
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- talking to the sandbox Telegram server's user side --

    async def _tg(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        assert self._http is not None
        try:
            async with self._http.request(method, path, **kwargs) as response:
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise WebChatError(f"the sandbox Telegram server is not answering ({type(error).__name__})") from None
        if not body.get("ok"):
            raise WebChatError(str(body.get("error") or body))
        return body

    def _user(self, value: Any) -> DemoUser:
        try:
            user = self.users.get(int(value))
        except (TypeError, ValueError):
            user = None
        if user is None:
            raise web.HTTPNotFound(text=json.dumps({"ok": False, "error": "unknown demo user"}),
                                   content_type="application/json")
        return user

    @staticmethod
    def _as_sender(user: DemoUser) -> dict[str, Any]:
        fields: dict[str, Any] = {"user_id": user.user_id, "first_name": user.first_name,
                                  "language_code": user.language_code}
        if user.username:
            fields["username"] = user.username
        return fields

    # -- the page --

    @web.middleware
    async def _errors(self, request: web.Request, handler):
        # Only this page may act as the demo's users: another site open in the same browser must not post here.
        origin = request.headers.get("Origin")
        if request.method == "POST" and origin and urlsplit(origin).netloc != request.host:
            return web.json_response({"ok": False, "error": "cross-origin request refused"}, status=403)
        try:
            return await handler(request)
        except WebChatError as error:
            return web.json_response({"ok": False, "error": str(error)}, status=502)

    async def _index(self, request: web.Request) -> web.Response:
        return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    async def _static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        return web.FileResponse(STATIC_DIR / name, headers={"Content-Type": STATIC_FILES[name],
                                                            "Cache-Control": "no-cache"})

    async def _config(self, request: web.Request) -> web.Response:
        try:
            bot = (await self._tg("GET", "/_sandbox/bot"))["bot"]
        except WebChatError:
            bot = {"first_name": "Sandbox Bot", "username": "sandbox_bot"}
        return web.json_response({
            "ok": True, "bot": bot, "users": [u.public() for u in self.users.values()],
            "credentials": guide.credentials(), "failures": guide.failures(), "steps": guide.steps(),
            "new_users": self.admin is not None,
        })

    async def _chat(self, request: web.Request) -> web.Response:
        user = self._user(request.query.get("user"))
        chat = await self._tg("GET", "/_sandbox/chat", params={"chat_id": user.user_id})
        commands = await self._tg("GET", "/_sandbox/commands",
                                  params={"chat_id": user.user_id, "language_code": user.language_code})
        return web.json_response({"ok": True, "user": user.public(), "messages": chat["messages"], "seq": chat["seq"],
                                  "bot": chat["bot"], "instance": chat.get("instance"),
                                  "commands": commands["commands"]})

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: each sandbox chat event as `id: <seq>` + `data: <json>`; `: ping` while quiet."""
        user = self._user(request.query.get("user"))
        try:
            after = int(request.headers.get("Last-Event-ID") or request.query.get("after") or 0)
        except ValueError:
            after = 0
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                               "X-Accel-Buffering": "no"})
        await response.prepare(request)
        instance = None
        try:
            await response.write(b"retry: 1500\n\n")
            while not self._closing:
                try:
                    wait = EVENTS_POLL if instance is not None else 0  # the first answer at once: hello
                    reply = await self._tg("GET", "/_sandbox/events",
                                           params={"chat_id": user.user_id, "after": after, "timeout": wait})
                except WebChatError:
                    await response.write(b"event: offline\ndata: {}\n\n")
                    await asyncio.sleep(1.5)
                    continue
                if reply.get("instance") != instance:  # first reply, or a restarted sandbox: the page re-reads the chat
                    instance = reply.get("instance")
                    await response.write(f"event: hello\ndata: {json.dumps({'instance': instance})}\n\n".encode())
                events = reply["events"]
                if not events:
                    await response.write(b": ping\n\n")
                for event in events:
                    after = event["seq"]
                    data = json.dumps(event, ensure_ascii=False)
                    await response.write(f"id: {after}\ndata: {data}\n\n".encode())
        except ConnectionResetError:  # the page went away
            pass
        return response

    async def _body(self, request: web.Request) -> dict[str, Any]:
        if request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(text='{"ok": false, "error": "JSON expected"}',
                                               content_type="application/json")
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text='{"ok": false, "error": "JSON object expected"}',
                                     content_type="application/json")
        return body

    async def _send(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user = self._user(body.get("user"))
        text = str(body.get("text") or "")
        if not text.strip():
            return web.json_response({"ok": False, "error": "empty message"}, status=400)
        reply = await self._tg("POST", "/_sandbox/send", json={**self._as_sender(user), "text": text})
        return web.json_response({"ok": True, "message_id": reply["message_id"]})

    async def _press(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user = self._user(body.get("user"))
        try:
            press = {"message_id": int(body["message_id"]), "row": int(body["row"]), "column": int(body["column"]),
                     "text": body.get("text")}
        except (KeyError, TypeError, ValueError):
            return web.json_response({"ok": False, "error": "message_id, row and column expected"}, status=400)
        reply = await self._tg("POST", "/_sandbox/press", json={**self._as_sender(user), **press})
        return web.json_response({"ok": True, "callback_id": reply["callback_id"]})

    async def _upload(self, request: web.Request) -> web.Response:
        fields: dict[str, Any] = {}
        reader = await request.multipart()
        async for part in reader:
            if part.name == "file":
                data = await part.read(decode=False)
                if len(data) > UPLOAD_LIMIT:
                    return web.json_response({"ok": False, "error": "the file is larger than 20 MB"}, status=413)
                fields["file"] = (part.filename or "file", bytes(data))
            elif part.name in ("user", "caption"):
                fields[part.name] = (await part.text()).strip()
        user = self._user(fields.get("user"))
        if "file" not in fields or not fields["file"][1]:
            return web.json_response({"ok": False, "error": "no file (or an empty one)"}, status=400)
        filename, data = fields["file"]
        payload = {**self._as_sender(user), "filename": Path(filename).name,
                   "data_base64": base64.b64encode(data).decode()}
        if fields.get("caption"):
            payload["caption"] = fields["caption"]
        reply = await self._tg("POST", "/_sandbox/send_document", json=payload)
        return web.json_response({"ok": True, "message_id": reply["message_id"]})

    async def _file(self, request: web.Request) -> web.StreamResponse:
        user = self._user(request.query.get("user"))
        assert self._http is not None
        params = {"chat_id": user.user_id, "file_id": request.query.get("file_id", "")}
        try:
            async with self._http.get("/_sandbox/file", params=params) as reply:
                data = await reply.read()
                status, content_type = reply.status, reply.content_type
                disposition = reply.headers.get("Content-Disposition", "attachment")
        except (aiohttp.ClientError, asyncio.TimeoutError):
            raise WebChatError("the sandbox Telegram server is not answering") from None
        if status != 200:
            return web.json_response({"ok": False, "error": "no such file in this chat"}, status=404)
        if request.query.get("inline"):
            disposition = disposition.replace("attachment", "inline", 1)
        return web.Response(body=data, content_type=content_type,
                            headers={"Content-Disposition": disposition, "Cache-Control": "private, max-age=3600"})

    async def _new_user(self, request: web.Request) -> web.Response:
        """A fresh Telegram user who opens the bot by an invite link. Without a `start` code, the admin makes
        one in the chat with the bot (/admin → Create invite), as a person would."""
        body = await self._body(request)
        start = str(body.get("start") or "").strip() or None
        if start is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", start):
            return web.json_response({"ok": False, "error": "not a deep-link parameter"}, status=400)
        if start is None and self.admin is not None:
            start = await self._invite_from_admin()
        self._new_users += 1
        language = str(body.get("language_code") or "en")
        if language not in ("en", "ru", "uz"):
            language = "en"
        user = DemoUser(NEW_USER_BASE + int(time.time() * 1000) % 10**9 + self._new_users, "Seller", "new",
                        f"New seller {self._new_users}", "came by an invite link" if start else "a new user",
                        language_code=language, start=start)
        self.users[user.user_id] = user
        return web.json_response({"ok": True, "user": user.public()})

    async def _invite_from_admin(self) -> str:
        assert self.admin is not None
        admin = self._as_sender(self.admin)
        async with self._invite_lock:
            seq = (await self._tg("GET", "/_sandbox/chat", params={"chat_id": self.admin.user_id}))["seq"]
            await self._tg("POST", "/_sandbox/send", json={**admin, "text": "/admin"})
            message, seq = await self._wait_message(self.admin.user_id, seq, lambda m: any(
                b["text"].startswith("✉") for row in m["inline_keyboard"] for b in row))
            row, column = next((r, c) for r, buttons in enumerate(message["inline_keyboard"])
                               for c, b in enumerate(buttons) if b["text"].startswith("✉"))
            await self._tg("POST", "/_sandbox/press", json={**admin, "message_id": message["message_id"],
                                                            "row": row, "column": column})
            message, _ = await self._wait_message(self.admin.user_id, seq,
                                                  lambda m: bool(START_RE.search(m.get("text") or "")))
            return START_RE.search(message["text"]).group(1)  # type: ignore[union-attr]

    async def _wait_message(self, chat_id: int, after: int, wanted) -> tuple[dict[str, Any], int]:
        """The next new or edited bot message in the chat that `wanted` accepts, and the cursor after it."""
        deadline = asyncio.get_running_loop().time() + INVITE_TIMEOUT
        while (remaining := deadline - asyncio.get_running_loop().time()) > 0:
            reply = await self._tg("GET", "/_sandbox/events",
                                   params={"chat_id": chat_id, "after": after, "timeout": min(remaining, 5)})
            for event in reply["events"]:
                after = event["seq"]
                message = event.get("message")
                if event["type"] in ("message", "edit") and message and message["from"] == "bot" and wanted(message):
                    return message, after
        raise WebChatError("the admin could not get an invite link from the bot in time")
