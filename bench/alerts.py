"""Issue 5 benchmark: 10,000 alerts to 1,000 chats through the sandbox Telegram, its limits enforced.

    python -m bench.alerts [--alerts 10000] [--chats 1000] [--time-scale 0.2] [--concurrency 32]

The sandbox Telegram runs in its own process (as Telegram is another machine) and enforces Telegram's limits
with sliding windows: at most 30 messages in any second overall and 1 per second per chat, time-scaled —
with --time-scale 0.2 a Telegram second lasts 200 ms, so 10,000 messages at 30/s (333 Telegram seconds) take
about 70 real seconds. A 429's retry_after is in Telegram seconds.

The bot side is the real thing: a temporary SQLite database migrated to head, 1,000 partners, 10,000
`low_stock` rows written with services.outbox.store.enqueue (a kind that is not grouped, so 10,000 rows are 10,000
messages), rendered in English and sent by bot.outbox_sender.OutboxSender through aiogram, its limits scaled the same
way (global_rate = 30 / scale per real second counted over windows of `scale` seconds, per_chat_interval =
scale, retry_after_scale = scale).

Measured: the time from starting the notifier until Telegram has accepted the last message (in Telegram
seconds), so the achieved rate includes start-up, claiming and recording; the sandbox's own count of 429s
and of messages stored; the outbox rows' final states; CPU per message in both processes. Goal (issue 5):
achieved / limit >= 0.9 and 0 429s; also every row sent exactly once (the sandbox stored exactly as many
messages as there are rows).

Why 0.2 by default: a faster clock asks the bot process for 30 / scale messages per real second, and at
about 2-4 ms of CPU per message (aiogram's request and response models are most of it) a small machine
shared with other work cannot keep up at 0.05 (600/s) — the result then measures the machine, not the
sender. The sender also pays one round trip per window and place (see bot.outbox_sender._Limiter), which a
shorter window makes relatively larger.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.common import ServeProcess, emit, machine, peak_rss_mb, table

TOKEN = "123456:AAHsandboxTOKENforBENCHMARKS_01234"
GLOBAL_LIMIT = 30  # Telegram: messages per second overall
PER_CHAT_LIMIT = 1  # Telegram: messages per second to one chat
GOAL_RATIO = 0.9
DEFAULT_TIME_SCALE = 0.2
FIRST_CHAT = 10_000


# ------------------------------------------------------------------------------ the sandbox process

async def _serve(args: argparse.Namespace) -> None:
    from sandbox.telegram import TelegramSandbox

    sandbox = TelegramSandbox(global_rate=GLOBAL_LIMIT, per_chat_rate=PER_CHAT_LIMIT, time_scale=args.time_scale)
    for chat_id in range(FIRST_CHAT, FIRST_CHAT + args.chats):
        sandbox.user(chat_id, started=True)
    await sandbox.start()
    print(json.dumps({"url": sandbox.url}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes it
    per_chat = Counter(len(sandbox.messages(c)) for c in range(FIRST_CHAT, FIRST_CHAT + args.chats))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {"stats": sandbox.stats, "calls": dict(sandbox.calls), "per_chat": {str(k): v for k, v in per_chat.items()},
              "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1), "peak_rss_mb": round(peak_rss_mb(), 1)}
    await sandbox.stop()
    print(json.dumps(result), flush=True)


class TelegramProcess(ServeProcess):
    module = "bench.alerts"
    what = "the sandbox Telegram"
    finish_timeout = exit_timeout = 60.0

    def __init__(self, *, chats: int, time_scale: float):
        super().__init__(["serve", "--chats", str(chats), "--time-scale", repr(time_scale)], "alerts-telegram")


# ------------------------------------------------------------------------------------------ the run

async def _prepare(sessionmaker, alerts: int, chats: int) -> None:
    from db.models import Partner
    from services.outbox.records import AlertKind as Kind
    from services.outbox.store import enqueue

    async with sessionmaker() as session:
        partners = [Partner(telegram_id=FIRST_CHAT + n, name=f"Seller {n}", language="en") for n in range(chats)]
        session.add_all(partners)
        await session.flush()
        for n in range(alerts):
            partner = partners[n % chats]
            await enqueue(session, partner, Kind.LOW_STOCK, f"bench:low:{n}",
                          {"product_id": f"p{n}", "sku": f"SKU-{n:05d}", "name": f"Blue mug, 350 ml #{n}",
                           "stock": 2, "threshold": 3})
        await session.commit()


async def _prepare_summaries(sessionmaker, chats: int) -> tuple[int, float]:
    """`chats` partners, each with a connected marketplace and a few orders yesterday and the day before, all at the
    default summary time; their daily summaries queued by the real job (services.summaries.queue_due) at 09:00
    Tashkent. Returns (summaries queued, seconds the queueing took)."""
    from datetime import datetime, time as day_time, timedelta
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from db.bulk import insert_rows
    from db.models import MarketplaceIntegration, Order, OrderLine, Partner, new_ids
    from services import summaries

    tz = ZoneInfo("Asia/Tashkent")
    today = datetime.now(tz).date()
    nine = datetime.combine(today, day_time(9, 0, 30), tz).timestamp()
    marketplaces = ("uzum", "yandex", "wildberries", "ozon")
    currency = {"uzum": "UZS"}
    partner_ids, integration_ids = new_ids(chats), new_ids(chats)
    orders, lines = [], []
    for n, (partner_id, integration_id) in enumerate(zip(partner_ids, integration_ids)):
        mp = marketplaces[n % 4]
        for day_back, count in ((1, 3), (2, 2)):
            placed = int(datetime.combine(today - timedelta(days=day_back), day_time(12), tz).timestamp())
            for k in range(count):
                order_id = new_ids(1)[0]
                orders.append((order_id, integration_id, partner_id, f"{n}-{day_back}-{k}", "x", "done", "FBS",
                               placed, None, currency.get(mp, "RUB"), "[]", 0, 1, placed, placed))
                lines.append((new_ids(1)[0], order_id, partner_id, mp, f"SKU-{k}", "Blue mug, 350 ml", 1 + k,
                              Decimal(1500 + 100 * k), currency.get(mp, "RUB"), "done", placed))
    async with sessionmaker() as session:
        # Rows, not ORM objects: the setup's memory is not the sender's (the bench measures the sender's peak RSS).
        await insert_rows(session, Partner.__table__, ("id", "telegram_id", "name", "language", "timezone", "status",
                                                       "created_at", "updated_at"),
                          [(pid, FIRST_CHAT + n, f"Seller {n}", ("uz", "ru", "en")[n % 3], "Asia/Tashkent", "active",
                            0, 0) for n, pid in enumerate(partner_ids)])
        await insert_rows(session, MarketplaceIntegration.__table__,
                          ("id", "partner_id", "marketplace", "active", "created_at", "status", "failure_streak",
                           "failure_alerted", "updated_at", "seller_id"),
                          [(iid, pid, marketplaces[n % 4], 1, 0, "active", 0, 0, 0, str(n))
                           for n, (pid, iid) in enumerate(zip(partner_ids, integration_ids))])
        await insert_rows(session, Order.__table__, ("id", "integration_id", "partner_id", "external_id", "status",
                                                     "state", "scheme", "placed_at", "total", "currency", "items",
                                                     "baseline", "deducted", "first_seen_at", "updated_at"), orders)
        await insert_rows(session, OrderLine.__table__, ("id", "order_id", "partner_id", "marketplace", "sku", "name",
                                                         "quantity", "price", "currency", "state", "placed_at"), lines)
        await session.commit()
    started = time.monotonic()
    queued = await summaries.queue_due(sessionmaker, at=nine)
    return queued, time.monotonic() - started


async def _run(args: argparse.Namespace) -> dict:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram_i18n.cores import FluentRuntimeCore
    from sqlalchemy import func, select

    from bot.i18n import DEFAULT_LOCALE, LOCALES_DIR
    from bot.middlewares import TelegramBudget
    from bot.outbox_sender import OutboxSender
    from db.migrate import upgrade
    from db.models import OutboxMessage
    from db.session import create_engine, create_sessionmaker

    scale = args.time_scale
    workdir = Path(tempfile.mkdtemp(prefix="scx-bench-alerts-"))
    engine = create_engine(args.db_url or f"sqlite+aiosqlite:///{workdir}/bench.sqlite3")
    await upgrade(engine)
    sessionmaker = create_sessionmaker(engine)
    prepared = time.monotonic()
    queue_seconds = None
    if args.summaries:  # one daily summary (a chart photo and its caption) per partner
        args.alerts, queue_seconds = await _prepare_summaries(sessionmaker, args.chats)
    else:
        await _prepare(sessionmaker, args.alerts, args.chats)
    prepare_seconds = time.monotonic() - prepared
    core = FluentRuntimeCore(path=LOCALES_DIR / "{locale}", default_locale=DEFAULT_LOCALE, raise_key_error=True)
    await core.startup()

    with TelegramProcess(chats=args.chats, time_scale=scale) as telegram:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(telegram.url)))
        # As bot.runtime composes it: the token's budget (shared with the replies, none here) under the sender's
        # own window; time-scaled like everything else.
        budget = TelegramBudget.build(bot.id, rate=GLOBAL_LIMIT / scale, window=scale)
        bot.session.middleware(budget)
        notifier = OutboxSender(bot, sessionmaker, core, global_rate=GLOBAL_LIMIT / scale, window=scale,
                            per_chat_interval=scale / PER_CHAT_LIMIT, retry_after_scale=scale,
                            concurrency=args.concurrency, budget=budget)
        load_before = os.getloadavg()[0]
        cpu = time.process_time()
        started = time.monotonic()
        runner = asyncio.create_task(notifier.run())
        deadline = started + args.alerts / GLOBAL_LIMIT * scale * 3 + 30
        while notifier.stats["rows"] < args.alerts and time.monotonic() < deadline and not runner.done():
            await asyncio.sleep(0.005)
        finished = time.monotonic()
        cpu = time.process_time() - cpu
        load_after = os.getloadavg()[0]
        await notifier.stop()
        await runner
        await bot.session.close()
        sandbox = telegram.finish()

    async with sessionmaker() as session:
        states = dict((await session.execute(select(OutboxMessage.status, func.count())
                                             .group_by(OutboxMessage.status))).all())
    await engine.dispose()

    seconds = (finished - started) / scale  # Telegram seconds
    delivered = notifier.stats["rows"]
    rate = delivered / seconds if seconds else 0.0
    stored = sandbox["stats"]["sent"]
    result = {
        "benchmark": "alerts", "kind": "summary" if args.summaries else "low_stock",
        "summaries_queue_seconds": round(queue_seconds, 1) if queue_seconds is not None else None,
        "alerts": args.alerts, "chats": args.chats, "time_scale": scale,
        "limit_per_s": GLOBAL_LIMIT, "per_chat_limit_per_s": PER_CHAT_LIMIT,
        "delivered": delivered, "telegram_seconds": round(seconds, 2), "real_seconds": round(finished - started, 2),
        "achieved_per_s": round(rate, 2), "ratio": round(rate / GLOBAL_LIMIT, 3),
        "http_429": sandbox["stats"]["429"], "sandbox_messages": stored,
        "sandbox_errors": sandbox["stats"]["errors"], "per_chat_messages": sandbox["per_chat"],
        "outbox": states, "prepare_seconds": round(prepare_seconds, 1),
        "bot_cpu_ms_per_message": round(cpu * 1000 / max(1, delivered), 2),
        "sandbox_cpu_seconds": sandbox["cpu_seconds"],
        "load_average_1m": [round(load_before, 2), round(load_after, 2)],
        "bot_peak_rss_mb": round(peak_rss_mb(), 1), "machine": machine(),
    }
    result["goal"] = {"ratio_min": GOAL_RATIO, "http_429": 0, "each_row_sent_once": True}
    result["pass"] = bool(result["ratio"] >= GOAL_RATIO and result["http_429"] == 0 and stored == args.alerts
                          and states.get("sent") == args.alerts)
    return result


def _report(r: dict) -> None:
    print(f"# {r['alerts']:,} alerts to {r['chats']:,} chats; sandbox Telegram enforcing {r['limit_per_s']} msg/s "
          f"overall and {r['per_chat_limit_per_s']}/s per chat; time scale {r['time_scale']} "
          f"(1 Telegram second = {r['time_scale'] * 1000:.0f} ms)")
    print(table(["measure", "value", "goal"], [
        ["delivered (rows sent, outbox)", r["delivered"], r["alerts"]],
        ["messages stored by Telegram", r["sandbox_messages"], r["alerts"]],
        ["time, Telegram seconds", r["telegram_seconds"], round(r["alerts"] / r["limit_per_s"], 1)],
        ["time, real seconds", r["real_seconds"], None],
        ["achieved msg/s", r["achieved_per_s"], r["limit_per_s"]],
        ["achieved / limit", r["ratio"], f">= {GOAL_RATIO}"],
        ["429 received", r["http_429"], 0],
        ["other Telegram errors", r["sandbox_errors"], 0],
        ["outbox states", ", ".join(f"{k} {v:,}" for k, v in sorted(r["outbox"].items())), f"sent {r['alerts']:,}"],
        ["messages per chat (count: chats)", ", ".join(f"{k}: {v}" for k, v in sorted(r["per_chat_messages"].items())),
         None],
        ["pass", r["pass"], True],
    ]))
    m = r["machine"]
    print(f"# bot process: {r['bot_cpu_ms_per_message']} ms CPU per message (aiogram, rendering, database), peak RSS "
          f"{r['bot_peak_rss_mb']} MiB; sandbox Telegram process: {r['sandbox_cpu_seconds']} s CPU")
    print(f"# machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}; 1-minute load average before/after "
          f"the run: {r['load_average_1m'][0]} / {r['load_average_1m'][1]}; setup ({r['alerts']:,} rows): "
          f"{r['prepare_seconds']} s")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:  # internal: the sandbox Telegram process
        serve = argparse.ArgumentParser(prog="python -m bench.alerts serve")
        serve.add_argument("--chats", type=int, required=True)
        serve.add_argument("--time-scale", type=float, required=True)
        asyncio.run(_serve(serve.parse_args(argv[1:])))
        return
    parser = argparse.ArgumentParser(prog="python -m bench.alerts", description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=1_000)
    parser.add_argument("--time-scale", type=float, default=DEFAULT_TIME_SCALE,
                        help="real seconds per Telegram second")
    parser.add_argument("--concurrency", type=int, default=32, help="sends in flight at most")
    parser.add_argument("--db-url", default=None, help="default: a temporary SQLite database")
    parser.add_argument("--summaries", action="store_true",
                        help="one daily summary per chat (queued by the summaries job) instead of --alerts rows")
    args = parser.parse_args(argv)
    result = asyncio.run(_run(args))
    _report(result)
    emit(result)
    sys.exit(0 if result["pass"] else 1)


if __name__ == "__main__":
    main()
