"""Issue 12 benchmark: updates per second through the project's whole dispatcher vs a bare aiogram Dispatcher.

    python -m bench.dispatch [--updates 2000] [--partners 100] [--postgres URL] [--redis URL]

The project's side is what `python -m bot` runs: bot.runtime.prepare (migrations, middlewares: metrics, the DB
session and partner, i18n; FSM storage and the per-chat lock; every router), fed one update at a time with
`Dispatcher.feed_update`. The bare side is an aiogram Dispatcher with one handler per screen that answers the
same way (one message or one edit), on the same FSM storage and event isolation. Both Bots have their session
replaced by one that answers every method at once without network, so what is measured is the dispatcher: the
Bot's request models are built and the replies validated on both sides alike. The bot token's send budget
(30 messages/s, bot.middlewares.TelegramBudget) is left out: it is Telegram's limit, not the dispatcher's cost.

Screens (100 registered partners, in turn, so no chat waits on its own lock):
- /start of a known partner (reads: the partner, their language; abandons no flow);
- a menu button (the main menu: an edit of the message the button was on);
- an FSM text step that writes (Notifications -> low-stock threshold: the number is stored, the state cleared;
  the state is set before each update, outside the timing).

Backends: SQLite (a temporary file, MemoryStorage) always; PostgreSQL + Redis (RedisStorage, RedisEventIsolation)
with --postgres/--redis (default: TEST_POSTGRES_URL and REDIS_URL). The PostgreSQL database is emptied first.

Goal (issue 12): >= 0.5x bare for the screens that only read, >= 0.25x for the writing step, p99 < 5 ms for all.
Prints a table, then one JSON line with "pass".
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from bench.common import emit, load_average, machine, table

TOKEN = "123456789:BENCHtokenForTheDispatcherBenchmark_ab"
FIRST_USER = 700_000
READ_GOAL = 0.5
WRITE_GOAL = 0.25
P99_GOAL_MS = 5.0
WARMUP = 200


# ------------------------------------------------------------------------------------ the offline Bot
def offline_session():
    """A Bot session that answers every method at once: a Message for what sends or edits one, True else."""
    from aiogram.client.session.base import BaseSession
    from aiogram.types import Chat, Message, User

    me = User(id=int(TOKEN.split(":")[0]), is_bot=True, first_name="Bench", username="bench_bot")
    ids = itertools.count(1)

    class OfflineSession(BaseSession):
        async def make_request(self, bot, method, timeout=None):
            returning = method.__returning__
            if returning is Message or "Message" in str(returning):
                chat_id = getattr(method, "chat_id", None) or 1
                return Message(message_id=next(ids), date=datetime.now(timezone.utc),
                               chat=Chat(id=int(chat_id), type="private"), from_user=me,
                               text=getattr(method, "text", None) or "", reply_markup=getattr(method, "reply_markup",
                                                                                               None))
            if returning is User:
                return me
            return True

        async def close(self) -> None:
            pass

        async def stream_content(self, *args, **kwargs):  # pragma: no cover (no files here)
            raise NotImplementedError

    return OfflineSession()


# ----------------------------------------------------------------------------------------- updates
def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"Partner {user_id}", "language_code": "en"}


def message_update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    message = {"message_id": update_id, "date": int(time.time()), "chat": {"id": user_id, "type": "private"},
               "from": _user(user_id), "text": text}
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": message}


def callback_update(update_id: int, user_id: int, data: str) -> dict[str, Any]:
    return {"update_id": update_id, "callback_query": {
        "id": str(10_000_000 + update_id), "from": _user(user_id), "chat_instance": str(user_id), "data": data,
        "message": {"message_id": 1, "date": int(time.time()), "chat": {"id": user_id, "type": "private"},
                    "from": {"id": int(TOKEN.split(":")[0]), "is_bot": True, "first_name": "Bench"},
                    "text": "Main menu"}}}


# ---------------------------------------------------------------------------------------- the sides
async def project_side(db_url: str, redis_url: str | None, workdir: str):
    from cryptography.fernet import Fernet

    from bot.config import Settings
    from bot.middlewares import CommitBeforeReply
    from bot.runtime import prepare

    settings = Settings(_env_file=None, BOT_TOKEN=TOKEN, DATABASE_URL=db_url, ENCRYPTION_KEYS=Fernet.generate_key()
                        .decode(), DATA_DIR=workdir, REGISTRATION="open", REDIS_URL=redis_url,
                        REDIS_KEY_PREFIX=f"scx-bench-{uuid.uuid4().hex[:8]}", WEB_PORT=0)
    runtime = await prepare(settings, with_scheduler=False)
    await runtime.bot.session.close()
    runtime.bot.session = offline_session()
    runtime.bot.session.middleware(CommitBeforeReply())  # part of the dispatcher's contract; the budget is not
    await runtime.dispatcher.emit_startup(bot=runtime.bot, dispatcher=runtime.dispatcher, bots=[runtime.bot],
                                          **runtime.dispatcher.workflow_data)
    return runtime


def bare_dispatcher(storage=None, isolation=None):
    from aiogram import Dispatcher, F
    from aiogram.filters import CommandStart, StateFilter
    from aiogram.fsm.state import State, StatesGroup

    class Flow(StatesGroup):
        value = State()

    dp = Dispatcher(storage=storage, events_isolation=isolation) if storage is not None else Dispatcher()

    @dp.message(CommandStart())
    async def start(message):
        await message.answer("Welcome back")

    @dp.callback_query(F.data == "m:main")
    async def menu(query):
        await query.answer()
        await query.message.edit_text("Main menu")

    @dp.message(StateFilter(Flow.value), F.text)
    async def value(message, state):
        await state.set_state(None)
        await message.answer("Saved")

    return dp, Flow.value


async def seed_partners(runtime, count: int) -> list[int]:
    from db.models import Partner

    users = [FIRST_USER + i for i in range(count)]
    async with runtime.sessionmaker() as session:
        for user_id in users:
            session.add(Partner(telegram_id=user_id, name=f"Partner {user_id}", language="en"))
        await session.commit()
    return users


# ------------------------------------------------------------------------------------------ running
async def measure(dp, bot, make_update, users: list[int], count: int, before=None) -> dict[str, float]:
    """Feed `count` updates one at a time (after WARMUP unmeasured); updates/s of the handling time and p50/p99."""
    from aiogram.types import Update

    ids = itertools.count(1)
    timings = []
    for n in range(WARMUP + count):
        user_id = users[n % len(users)]
        update = Update.model_validate(make_update(next(ids), user_id), context={"bot": bot})
        if before is not None:
            await before(user_id)
        started = time.perf_counter()
        await dp.feed_update(bot, update)
        if n >= WARMUP:
            timings.append(time.perf_counter() - started)
    timings.sort()
    total = sum(timings)
    return {"per_s": round(len(timings) / total, 1), "p50_ms": round(statistics.median(timings) * 1000, 3),
            "p99_ms": round(timings[int(len(timings) * 0.99) - 1] * 1000, 3)}


async def run_backend(name: str, db_url: str, redis_url: str | None, args) -> list[dict[str, Any]]:
    from aiogram import Bot
    from aiogram.client.default import DefaultBotProperties
    from aiogram.fsm.storage.base import StorageKey

    from bot.replicas import build_storage, open_redis
    from bot.states import SettingsFlow

    workdir = tempfile.mkdtemp(prefix="scx-bench-dispatch-")
    runtime = await project_side(db_url, redis_url, workdir)
    users = await seed_partners(runtime, args.partners)
    project_dp, project_bot = runtime.dispatcher, runtime.bot

    bare_redis = open_redis(redis_url) if redis_url else None
    storage, isolation = build_storage(bare_redis, f"scx-bench-bare-{uuid.uuid4().hex[:8]}") if bare_redis \
        else (None, None)
    bare_dp, bare_state = bare_dispatcher(storage, isolation)
    bare_bot = Bot(TOKEN, session=offline_session(), default=DefaultBotProperties(parse_mode="HTML"))

    def setter(dp, bot, state):
        async def before(user_id: int) -> None:
            key = StorageKey(bot_id=bot.id, chat_id=user_id, user_id=user_id)
            await dp.storage.set_state(key, state)
        return before

    screens = [
        ("/start (known partner)", "read", lambda i, u: message_update(i, u, "/start"), None, None),
        ("menu button", "read", lambda i, u: callback_update(i, u, "m:main"), None, None),
        ("FSM text step (writes)", "write", lambda i, u: message_update(i, u, str(i % 50 + 1)),
         SettingsFlow.low_stock, bare_state),
    ]
    rows = []
    for screen, kind, make_update, project_state, bare_flow_state in screens:
        gc.collect()
        bare = await measure(bare_dp, bare_bot, make_update, users, args.updates,
                             setter(bare_dp, bare_bot, bare_flow_state) if bare_flow_state else None)
        gc.collect()
        project = await measure(project_dp, project_bot, make_update, users, args.updates,
                                setter(project_dp, project_bot, project_state) if project_state else None)
        ratio = project["per_s"] / bare["per_s"]
        goal = READ_GOAL if kind == "read" else WRITE_GOAL
        rows.append({"backend": name, "screen": screen, "kind": kind, "project": project, "bare": bare,
                     "ratio": round(ratio, 3), "ratio_goal": goal,
                     "pass": ratio >= goal and project["p99_ms"] < P99_GOAL_MS})

    await runtime.dispatcher.emit_shutdown(bot=project_bot, dispatcher=project_dp, bots=[project_bot],
                                           **project_dp.workflow_data)
    await runtime.close()
    await bare_dp.storage.close()
    if bare_redis is not None:
        await _drop_prefix(bare_redis, "scx-bench-")
        await bare_redis.aclose()
    return rows


async def _drop_prefix(redis, prefix: str) -> None:
    async for key in redis.scan_iter(match=f"{prefix}*"):
        await redis.delete(key)


async def _reset_postgres(url: str) -> None:
    import sqlalchemy as sa

    from db.session import create_engine

    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(sa.text("CREATE SCHEMA public"))
    await engine.dispose()


async def main_async(args) -> dict[str, Any]:
    import logging

    logging.disable(logging.WARNING)  # the per-update debug/info lines would be most of the time measured
    rows = await run_backend("sqlite", f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='scx-bench-')}/bench.sqlite3",
                             None, args)
    if args.postgres and args.redis:
        await _reset_postgres(args.postgres)
        rows += await run_backend("postgres+redis", args.postgres, args.redis, args)
    return {"benchmark": "dispatch", "updates": args.updates, "partners": args.partners, "rows": rows,
            "goal": {"read_ratio_min": READ_GOAL, "write_ratio_min": WRITE_GOAL, "p99_ms_max": P99_GOAL_MS},
            "postgres_and_redis": bool(args.postgres and args.redis), "load_average_1m": load_average(),
            "machine": machine(), "pass": all(row["pass"] for row in rows)}


def report(result: dict[str, Any]) -> None:
    print(f"# {result['updates']} updates per screen and side, one at a time, {result['partners']} partners in turn; "
          f"load average {result['load_average_1m']}")
    # The bare side's p99 is printed too: on a loaded machine it shows how much of the project's p99 is the machine.
    print(table(["backend", "screen", "project/s", "bare/s", "ratio", "goal", "p50 ms", "p99 ms", "bare p99 ms",
                 "pass"],
                [[r["backend"], r["screen"], r["project"]["per_s"], r["bare"]["per_s"], r["ratio"],
                  f">= {r['ratio_goal']}", r["project"]["p50_ms"], r["project"]["p99_ms"], r["bare"]["p99_ms"],
                  r["pass"]]
                 for r in result["rows"]]))
    if not result["postgres_and_redis"]:
        print("(PostgreSQL + Redis not measured: pass --postgres and --redis, or set TEST_POSTGRES_URL and REDIS_URL)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--partners", type=int, default=100)
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL"))
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL"))
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    report(result)
    emit(result)


if __name__ == "__main__":
    main()
