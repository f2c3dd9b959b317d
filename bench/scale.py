"""Issue 12 benchmark: one order-poll round of 1,000 integrations on PostgreSQL, by 1 and by 3 bot processes.

    python -m bench.scale [--integrations 1000] [--tokens 10] [--processes 1,3] [--speed 1] [--db URL] [--redis URL]

The sandbox marketplaces run in their own process with rate limits enforced, and `--tokens` Uzum seller tokens made
for the run, each with integrations/tokens shops (Uzum: 5 requests per second per token, the sandbox's enforced
model; one token per seller with many shops is how Uzum sellers work). Every shop has `--orders` new orders, so
every poll reads one page of each of its two lists (`orders_since`: the recent window and the orders waiting for
the seller): the minimum is 2 requests per integration and round.

For each process count: a fresh database (migrated; 1,000 active Uzum integrations across 100 partners, keys
encrypted with the vault, every order schedule due now), then N worker processes, each composed the way `python -m
bot run` composes its jobs (services.jobs.registry(), JobRunner with its lease holder, the APScheduler timers of
services/jobs/runner.py, the connectors' factory), all started at one moment; the round ends when every
integration's poll is recorded. With `--redis` (default: REDIS_URL) every worker installs the shared rate limits
(connectors.shared_limits, as bot/runtime.py does with REDIS_URL, under a prefix of its own for the round), so the
processes together keep each token's limit; at speed 1 the workers use the real clock, which is what the shared
limits apply to (a scaled clock is its own world: per-process limits only). Reported:

- polls recorded: integrations with a finished orders run (goal: all), duplicates: runs beyond one per integration
  (goal 0), failed runs;
- wall: real seconds from the start to the last poll recorded, against the rate-limit floor: each token's requests
  R in the sandbox's fixed window of 5 per second take at least (ceil(R / 5) - 1) s; the tokens are independent,
  so the floor is the largest (goal: wall <= 1.2 x floor);
- requests: what the sandbox answered for the order lists, against 2 per integration; throttled (429) replies;
- CPU per poll: the workers' CPU seconds during the round / polls (goal <= 15 ms); peak RSS per worker (< 400 MB).

The last stdout line is one JSON object with the figures, the goals and "pass".
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from bench.common import REPO, cpu_seconds, emit, last_json_line, load_average, log_file, machine, peak_rss_mb, table

DEFAULT_DB = "postgresql+asyncpg://postgres@127.0.0.1:5432/scx_bench_scale"
PARTNERS = 100
SHOP_BASE = 60_000_000  # shop ids of the run's tokens (clear of the sandbox's own accounts)
TOKEN_PREFIX = "SBX-UZUM-TOKEN-SCALE-BENCH-"
UZUM_PER_SECOND = 5  # sandbox.marketplaces.uzum.RATE_LIMIT per RATE_PERIOD (1 s), checked at start
REQUESTS_PER_POLL = 2  # orders_since: the recent window and the waiting orders, one page each
GOAL_RATIO = 1.2
GOAL_CPU_MS = 15.0
GOAL_RSS_MB = 400.0
ROUND_TIMEOUT = 600.0


def tokens(count: int) -> list[str]:
    return [f"{TOKEN_PREFIX}{n:04d}-7f3a" for n in range(count)]


def shops_of(token_index: int, per_token: int) -> list[int]:
    return [SHOP_BASE + token_index * 10_000 + s for s in range(per_token)]


# ------------------------------------------------------------------------------------------ sandbox
async def serve_sandbox(args: argparse.Namespace) -> None:
    """The sandbox marketplaces with the run's Uzum tokens and orders; serves until stdin closes."""
    from bench.common import shared_clock
    from sandbox.marketplaces import MarketplaceSandbox, SandboxState
    from sandbox.marketplaces.accounts import UzumSeller, UzumShop
    from sandbox.marketplaces.catalog import OrderLine

    clock = shared_clock(args.speed, args.start)
    state = SandboxState(catalog_size=20, enforce_rate_limits=True, clock=clock.now)
    state.orders.clock = clock.now
    per_token = args.integrations // args.tokens
    for index, token in enumerate(tokens(args.tokens)):
        shops = shops_of(index, per_token)
        state.uzum[token] = UzumSeller([UzumShop(shop, f"Bench shop {shop}") for shop in shops])
        for shop in shops:
            for n in range(args.orders):
                state.orders.create("uzum", token, [OrderLine(n % 20, 1, 50_000)], shop_id=str(shop))
    sandbox = MarketplaceSandbox(state=state)
    await sandbox.start()
    print(json.dumps({"url": sandbox.url, "env": sandbox.env()}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    calls = [[m, method, path, n] for (m, method, path), n in sorted(sandbox.calls.items())]
    await sandbox.stop()
    print(json.dumps({"calls": calls, "peak_rss_mb": round(peak_rss_mb(), 1), "cpu_s": round(cpu_seconds(), 2)}),
          flush=True)


# ---------------------------------------------------------------------------------------- database
async def prepare_database(url: str, integrations: int, token_count: int, key: str) -> None:
    import sqlalchemy as sa

    from db.migrate import upgrade
    from db.models import MarketplaceIntegration, Partner, Schedule, now
    from db.session import create_engine, create_sessionmaker
    from db.vault import Vault
    from services.jobs.schedule import DEFAULT_INTERVALS
    from services.jobs.types import JobKind

    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(sa.text("CREATE SCHEMA public"))
    await upgrade(engine)
    vault = Vault([key])
    per_token = integrations // token_count
    stamp = now()
    async with create_sessionmaker(engine)() as session:
        partners = [Partner(telegram_id=800_000 + n, name=f"Bench {n}", language="en") for n in range(PARTNERS)]
        session.add_all(partners)
        await session.flush()
        keys = {token: vault.encrypt(token) for token in tokens(token_count)}
        rows, n = [], 0
        # Interleaved by token, as sellers sign up: due order says nothing about which token a run needs.
        for shop_index in range(per_token):
            for token_index, token in enumerate(tokens(token_count)):
                shop = shops_of(token_index, per_token)[shop_index]
                rows.append(MarketplaceIntegration(
                    partner_id=partners[n % PARTNERS].id, marketplace="uzum", api_key=keys[token],
                    seller_id=str(shop), shop_name=f"Bench shop {shop}", status="active", active=1))
                n += 1
        session.add_all(rows)
        await session.flush()
        for row in rows:
            for kind, interval in DEFAULT_INTERVALS.items():
                due = stamp - 1 if kind == JobKind.ORDERS else stamp + interval
                session.add(Schedule(integration_id=row.id, kind=kind.value, interval_seconds=interval,
                                     next_run_at=due))
        await session.commit()
    await engine.dispose()


async def round_figures(url: str) -> dict[str, Any]:
    import sqlalchemy as sa

    from db.session import create_engine

    engine = create_engine(url)
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.text(
            "SELECT integration_id, status, started_at FROM sync_runs WHERE kind = 'orders'"))).all()
        orders = await conn.scalar(sa.text("SELECT count(*) FROM orders"))
    await engine.dispose()
    per_integration = Counter(r.integration_id for r in rows)
    return {"runs": len(rows), "polled": len(per_integration),
            "duplicates": sum(n - 1 for n in per_integration.values()),
            "failed": sum(1 for r in rows if r.status != "ok"), "orders": orders}


# ------------------------------------------------------------------------------------------ workers
class RequestLog(logging.Handler):
    """Counts the connectors' requests by outcome (connectors.http logs one line per request)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.outcomes: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "connectors.http" and len(record.args or ()) >= 5:
            self.outcomes[str(record.args[3])] += 1


async def worker(args: argparse.Namespace) -> None:
    """One bot process's jobs: ready, wait for "go" on stdin, run the timers until every poll is recorded."""
    import sqlalchemy as sa

    import connectors
    from bench.common import shared_clock
    from connectors.base import Marketplace
    from db.session import create_engine, create_sessionmaker
    from db.vault import Vault
    from services import jobs
    from services.connections import ConnectorFactory
    from services.jobs.runner import JobRunner
    from services.jobs.runner import build_scheduler
    from services.platform import Platform

    requests = RequestLog()
    http_log = logging.getLogger("connectors.http")
    http_log.addHandler(requests)
    http_log.setLevel(logging.DEBUG)
    http_log.propagate = False  # counted, not written: a log line per request is not what a bot pays
    env = json.loads(args.env)
    urls = {Marketplace.UZUM: env["UZUM_API_URL"], Marketplace.YANDEX: env["YANDEX_API_URL"],
            Marketplace.WILDBERRIES: env["WILDBERRIES_API_URL"], Marketplace.OZON: env["OZON_API_URL"]}
    engine = create_engine(args.db)
    sessionmaker = create_sessionmaker(engine)
    redis = None
    if args.redis:
        from redis.asyncio import Redis

        from connectors import shared_limits

        # bot/replicas.py's open_redis without importing the bot (aiogram's 130 MB are not the jobs' to count).
        redis = Redis.from_url(args.redis, socket_timeout=5, socket_connect_timeout=2)
        shared_limits.install(shared_limits.SharedBudget(redis, args.redis_prefix))
    # At speed 1 the sandbox's clock is the real one: the connectors get the real clock too (None), the one the
    # shared limits count on.
    clock = None if args.speed == 1 else shared_clock(args.speed, args.start)
    platform = Platform(sessionmaker, Vault([os.environ["SCALE_BENCH_KEY"]]), ConnectorFactory(urls, clock=clock))
    runner = JobRunner(platform, jobs.registry(), jobs.global_registry(), holder=f"bench-worker-{args.index}")
    ran = Counter()
    original = runner._run

    async def counted(kind, integration_id, options):
        outcome = await original(kind, integration_id, options)
        ran["skipped" if outcome.skipped else "ran"] += 1
        return outcome

    runner._run = counted  # what this worker ran (the database has the round's truth)
    async with engine.connect() as conn:  # connect once before the clock starts, as a running bot has
        await conn.execute(sa.text("SELECT 1"))
    connectors.profiles()  # the marketplace packages, imported by a running bot's first screens or jobs
    print(json.dumps({"ready": True}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    profiler = None
    if os.environ.get("SCALE_BENCH_PROFILE"):  # a file: the round's cProfile stats, to see where CPU goes
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU time: waits on the network cost nothing
        profiler.enable()
    cpu0, started = cpu_seconds(), time.time()
    scheduler = build_scheduler(runner)
    scheduler.start()
    await runner.tick()  # the first tick at once, not one interval after the start
    finished = None
    while time.time() - started < ROUND_TIMEOUT:
        await asyncio.sleep(0.05)
        if runner._running:  # a poll of ours is not recorded yet: the round is not over (and no query to pay for)
            continue
        async with engine.connect() as conn:
            done = await conn.scalar(sa.text(
                "SELECT count(DISTINCT integration_id) FROM sync_runs WHERE kind = 'orders' AND status <> 'running'"))
        if done >= args.integrations:
            finished = time.time()
            break
    scheduler.shutdown(wait=False)
    await runner.wait_idle()
    cpu = cpu_seconds() - cpu0
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(f"{os.environ['SCALE_BENCH_PROFILE']}.{args.index}")
    await runner.stop()
    await engine.dispose()
    if redis is not None:
        await redis.aclose()
    emit({"index": args.index, "started": started, "finished": finished, "cpu_s": round(cpu, 3),
          "ran": ran["ran"], "skipped": ran["skipped"], "requests": dict(requests.outcomes),
          "peak_rss_mb": round(peak_rss_mb(), 1)})


# ---------------------------------------------------------------------------------------------- run
def start(args: list[str], name: str) -> tuple[subprocess.Popen, Any]:
    err = open(log_file(name), "w")
    proc = subprocess.Popen([sys.executable, "-m", "bench.scale", *args], cwd=REPO, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=err, text=True, env={**os.environ})
    return proc, err


def one_round(opts: argparse.Namespace, processes: int, key: str) -> dict[str, Any]:
    speed, origin = opts.speed, time.time()
    common = ["--speed", repr(speed), "--start", repr(origin)]
    shared = ["--redis", opts.redis, "--redis-prefix", f"scx-bench-scale-{int(origin * 1000)}"] if opts.redis else []
    sandbox, sandbox_err = start(["sandbox", "--integrations", str(opts.integrations), "--tokens", str(opts.tokens),
                                  "--orders", str(opts.orders), *common], "scale-sandbox")
    try:
        info = json.loads(sandbox.stdout.readline())
        asyncio.run(prepare_database(opts.db, opts.integrations, opts.tokens, key))
        os.environ["SCALE_BENCH_KEY"] = key
        workers = [start(["worker", "--index", str(i), "--db", opts.db, "--env", json.dumps(info["env"]),
                          "--integrations", str(opts.integrations), *shared, *common], f"scale-worker-{i}")
                   for i in range(processes)]
        for proc, _ in workers:
            assert json.loads(proc.stdout.readline()).get("ready"), "a worker did not start"
        go = time.time()
        for proc, _ in workers:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = []
        for proc, err in workers:
            out, _ = proc.communicate(timeout=ROUND_TIMEOUT + 60)
            err.close()
            results.append(last_json_line(out) or {"failed": True, "returncode": proc.returncode})
        figures = asyncio.run(round_figures(opts.db))
    finally:
        out, _ = sandbox.communicate(timeout=60)
        sandbox_err.close()
    served = last_json_line(out) or {}
    order_calls = sum(n for m, method, path, n in served.get("calls", []) if m == "uzum" and "orders" in path)
    outcomes = Counter()
    for result in results:
        outcomes.update(result.get("requests", {}))
    throttled = outcomes.get("429", 0)
    finished = [r.get("finished") for r in results]
    wall = (max(finished) - go) if all(finished) else None
    per_token = opts.integrations // opts.tokens * REQUESTS_PER_POLL
    floor = (math.ceil(per_token / UZUM_PER_SECOND) - 1) / speed
    cpu = sum(r.get("cpu_s", 0) for r in results)
    polls = max(1, figures["polled"])
    row = {
        "processes": processes, "polled": figures["polled"], "duplicates": figures["duplicates"],
        "failed": figures["failed"], "orders": figures["orders"], "wall_s": round(wall, 2) if wall else None,
        "floor_s": round(floor, 2), "ratio": round(wall / floor, 3) if wall and floor else None,
        "requests": order_calls, "minimum": opts.integrations * REQUESTS_PER_POLL, "throttled": throttled,
        "cpu_ms_per_poll": round(cpu / polls * 1000, 2), "peak_rss_mb": max(r.get("peak_rss_mb", 0) for r in results),
        "ran_per_worker": [r.get("ran") for r in results], "sandbox_cpu_s": served.get("cpu_s"),
    }
    row["pass"] = bool(row["polled"] == opts.integrations and row["duplicates"] == 0 and row["failed"] == 0
                       and row["ratio"] is not None and row["ratio"] <= GOAL_RATIO
                       and row["requests"] == row["minimum"] and throttled == 0
                       and row["cpu_ms_per_poll"] <= GOAL_CPU_MS and row["peak_rss_mb"] < GOAL_RSS_MB)
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale")
    sub = parser.add_subparsers(dest="command")
    for name in ("sandbox", "worker"):
        p = sub.add_parser(name)
        p.add_argument("--speed", type=float, required=True)
        p.add_argument("--start", type=float, required=True)
        p.add_argument("--integrations", type=int, default=1000)
        if name == "sandbox":
            p.add_argument("--tokens", type=int, required=True)
            p.add_argument("--orders", type=int, required=True)
        else:
            p.add_argument("--index", type=int, required=True)
            p.add_argument("--db", required=True)
            p.add_argument("--env", required=True)
            p.add_argument("--redis")
            p.add_argument("--redis-prefix", default="scx-bench-scale")
    parser.add_argument("--integrations", type=int, default=1000)
    parser.add_argument("--tokens", type=int, default=10)
    parser.add_argument("--orders", type=int, default=2, help="new orders per shop (one page: < 50)")
    parser.add_argument("--processes", default="1,3")
    parser.add_argument("--speed", type=float, default=1.0, help="marketplace seconds per real second")
    parser.add_argument("--db", default=os.environ.get("SCALE_BENCH_DB", DEFAULT_DB))
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL"),
                        help="the shared rate limits' Redis (default REDIS_URL; none: per-process limits)")
    opts = parser.parse_args(argv)
    if opts.command == "sandbox":
        asyncio.run(serve_sandbox(opts))
        return
    if opts.command == "worker":
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        asyncio.run(worker(opts))
        return

    from cryptography.fernet import Fernet

    from sandbox.marketplaces import uzum

    assert (uzum.RATE_LIMIT, uzum.RATE_PERIOD) == (UZUM_PER_SECOND, 1.0), "the sandbox's Uzum limit changed"
    ensure_database(opts.db)
    key = Fernet.generate_key().decode()
    rows = [one_round(opts, int(n), key) for n in opts.processes.split(",")]
    print(f"bench.scale: one order-poll round, {opts.integrations} Uzum integrations on {opts.tokens} tokens "
          f"(5 req/s each, enforced), PostgreSQL, shared limits {'through Redis' if opts.redis else 'off'}, "
          f"speed x{opts.speed:g}, load {load_average()}")
    print(table(["processes", "polled", "dupl.", "failed", "wall s", "floor s", "wall/floor", "requests", "minimum",
                 "429s", "CPU ms/poll", "peak RSS MB", "polls per process", "pass"],
                [[r["processes"], r["polled"], r["duplicates"], r["failed"], r["wall_s"], r["floor_s"], r["ratio"],
                  r["requests"], r["minimum"], r["throttled"], r["cpu_ms_per_poll"], r["peak_rss_mb"],
                  "/".join(str(n) for n in r["ran_per_worker"]), r["pass"]] for r in rows]))
    emit({"bench": "scale", "integrations": opts.integrations, "tokens": opts.tokens, "speed": opts.speed,
          "shared_limits": bool(opts.redis),
          "rounds": rows, "machine": machine(), "load": load_average(),
          "goal": {"polled": opts.integrations, "duplicates": 0, "wall_over_floor_max": GOAL_RATIO,
                   "requests": "2 per integration", "throttled": 0, "cpu_ms_per_poll_max": GOAL_CPU_MS,
                   "peak_rss_mb_below": GOAL_RSS_MB},
          "pass": all(r["pass"] for r in rows)})


def ensure_database(url: str) -> None:
    """Create the benchmark's database if it does not exist (it is dropped and rebuilt every round)."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from db.session import create_engine

    parsed = make_url(url)

    async def create() -> None:
        engine = create_engine(parsed.set(database="postgres").render_as_string(hide_password=False))
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            exists = await conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                       {"n": parsed.database})
            if not exists:
                await conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
        await engine.dispose()

    asyncio.run(create())


if __name__ == "__main__":
    main()
