"""Issue 10 benchmark: a catalog sync of 100,000 products against the same run's read alone.

    python -m bench.catalog_sync [--products 100000] [--rounds 3] [--profile [PATH]] [--marketplace ozon]

Goal (issue 10): the first sync's wall time <= 1.3 x the read alone, the same for a re-sync (a second sync of the
same catalog), and the sync process's peak RSS < 200 MB.

Processes, so each figure is one process's own:
1. the sandbox marketplaces (catalog of `--products`, rate limits enforced, real-time clock unless `--speed`),
   serving every pass below; it counts the requests it answers;
2. per round, the read alone: the integration's connector, built as the job runner builds it
   (`services.integrations.client`), iterating every listing and storing nothing;
3. per round, the sync: a fresh SQLite file migrated to head with one partner and one active integration (keys
   encrypted with a `Vault`, as the bot stores them), then the job runner's catalog job,
   `JobRunner(platform, jobs.registry()).run(JobKind.CATALOG, id)` (services/catalog_sync.py through the real
   connector, run record, final transaction and all), timed end to end: first the first sync (every listing and
   product new), then the re-sync (every listing stored, nothing changed in the marketplace). The only addition is
   a timer around `catalog_sync._store` (one batch's database work) to split the wall time.

Each round's ratios compare its sync with its own read alone (same machine load); the result is the median of the
rounds' ratios. Requests are counted on each worker's httpx transport (`CountingTransport`) and by the sandbox.
`--profile` runs one round's sync under pyinstrument (or cProfile when pyinstrument is not installed).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (CountingTransport, SandboxProcess, cpu_seconds, emit, load_average, machine, machine_line,
                          peak_rss_mb,
                          run_worker, table)

GOAL_RATIO = 1.3
GOAL_RSS_MB = 200.0
URL_KEYS = {"uzum": "UZUM_API_URL", "yandex": "YANDEX_API_URL", "wildberries": "WILDBERRIES_API_URL",
            "ozon": "OZON_API_URL"}


# ------------------------------------------------------------------------------------------- workers
async def setup(args: argparse.Namespace) -> tuple[Any, Any, str, list[CountingTransport]]:
    """A fresh migrated SQLite file with one partner and one active integration of the sandbox account:
    (engine, Platform, integration id, the transports of the clients built so far)."""
    from cryptography.fernet import Fernet

    from bench.common import shared_clock
    from connectors.base import Marketplace
    from db.migrate import upgrade
    from db.models import JsonText, MarketplaceIntegration, Partner
    from db.session import create_engine, create_sessionmaker
    from db.vault import Vault
    from sandbox.marketplaces import SandboxState
    from sandbox.marketplaces import accounts as A
    from services.connections import ConnectorFactory
    from services.platform import Platform

    engine = create_engine(f"sqlite+aiosqlite:///{args.db}")
    await upgrade(engine)
    sessionmaker = create_sessionmaker(engine)
    vault = Vault([Fernet.generate_key().decode()])
    transports: list[CountingTransport] = []

    def counting(_marketplace: Marketplace) -> CountingTransport:
        transports.append(CountingTransport())
        return transports[-1]

    factory = ConnectorFactory(env_urls={Marketplace(args.marketplace): args.base_url}, transport_for=counting,
                               clock=shared_clock(args.speed, args.start))
    accounts = SandboxState()
    secret = business = None
    if args.marketplace == "ozon":
        key, secret = A.OZON_API_KEY, A.OZON_CLIENT_ID
        seller, warehouses = A.OZON_CLIENT_ID, [str(accounts.ozon[A.OZON_CLIENT_ID].warehouses[0].warehouse_id)]
    elif args.marketplace == "wildberries":
        key, seller = A.WB_TOKEN, A.WB_SELLER_ID
        warehouses = [str(accounts.wildberries[A.WB_SELLER_ID].warehouses[0].id)]
    elif args.marketplace == "yandex":
        key, seller, warehouses = A.YANDEX_API_KEY, str(A.YANDEX_CAMPAIGN_IDS[0]), []
        business = str(A.YANDEX_BUSINESS_ID)
    else:
        key, warehouses = A.UZUM_TOKEN_ONE_SHOP, []
        seller = str(accounts.uzum[A.UZUM_TOKEN_ONE_SHOP].shops[0].id)
    async with sessionmaker() as session:
        partner = Partner(telegram_id=777_000_001, name="Benchmark partner", language="en")
        session.add(partner)
        await session.flush()
        integration = MarketplaceIntegration(
            partner_id=partner.id, marketplace=args.marketplace, api_key=vault.encrypt(key),
            api_secret=vault.encrypt(secret) if secret else None, seller_id=seller, business_id=business,
            warehouse_ids=JsonText.dump(warehouses), status="active", active=1)
        session.add(integration)
        await session.commit()
        integration_id = integration.id
    return engine, Platform(sessionmaker, vault, factory), integration_id, transports


def _requests(transports: list[CountingTransport]) -> dict[str, Any]:
    replies: dict[str, int] = {}
    for transport in transports:
        for (method, path, status), n in transport.replies.items():
            key = f"{method} {path} {status}"
            replies[key] = replies.get(key, 0) + n
    return {"requests": sum(replies.values()), "replies": replies,
            "throttled": sum(t.throttled() for t in transports), "errors": sum(t.errors() for t in transports)}


async def read_worker(args: argparse.Namespace) -> dict[str, Any]:
    """The sync's read side alone: the client the job runner would open, every listing iterated and dropped."""
    from db.models import MarketplaceIntegration
    from services import integrations

    engine, platform, integration_id, transports = await setup(args)
    async with platform.sessionmaker() as session:
        client = await integrations.client(platform, session, await session.get(MarketplaceIntegration,
                                                                                integration_id))
    rss_before, cpu_before, started = peak_rss_mb(), cpu_seconds(), time.perf_counter()
    count = 0
    try:
        async for _ in client.iter_listings():
            count += 1
    finally:
        await client.aclose()
    wall = time.perf_counter() - started
    await engine.dispose()
    return {"count": count, "wall_s": round(wall, 3), "cpu_s": round(cpu_seconds() - cpu_before, 2),
            "rss_before_mb": round(rss_before, 1), "peak_rss_mb": round(peak_rss_mb(), 1), **_requests(transports)}


async def sync_worker(args: argparse.Namespace) -> dict[str, Any]:
    """The job runner's catalog job, twice on the same database: the first sync, then the re-sync."""
    import sqlite3

    from services import catalog_sync, jobs
    from services.jobs import JobKind
    from services.jobs.runner import JobRunner

    engine, platform, integration_id, transports = await setup(args)
    runner = JobRunner(platform, jobs.registry(), jobs.global_registry())
    timer = {"store_s": 0.0, "batches": 0}
    store = catalog_sync._store

    async def timed_store(*a: Any, **kw: Any) -> None:  # instrumentation only: the job's own _store
        started = time.perf_counter()
        try:
            await store(*a, **kw)
        finally:
            timer["store_s"] += time.perf_counter() - started
            timer["batches"] += 1

    catalog_sync._store = timed_store
    rss_before = peak_rss_mb()
    passes = {}
    for name in ("first", "resync"):
        timer.update(store_s=0.0, batches=0)
        done = len(transports)
        cpu_before, started = cpu_seconds(), time.perf_counter()
        outcome = await runner.run(JobKind.CATALOG, integration_id)
        wall = time.perf_counter() - started
        passes[name] = {"wall_s": round(wall, 3), "cpu_s": round(cpu_seconds() - cpu_before, 2),
                        "store_s": round(timer["store_s"], 3), "batches": timer["batches"],
                        "peak_rss_mb": round(peak_rss_mb(), 1),
                        "report": outcome.report.counts() if outcome.report else None,
                        "error": repr(outcome.error) if outcome.error else None, **_requests(transports[done:])}
    await engine.dispose()
    con = sqlite3.connect(args.db)
    rows = {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            for name in ("listings", "products", "stock_movements", "sync_runs")}
    runs = [status for (status,) in con.execute("SELECT status FROM sync_runs ORDER BY started_at")]
    con.close()
    return {**passes, "rows": rows, "runs": runs, "rss_before_mb": round(rss_before, 1)}


def run_sync_worker(args: argparse.Namespace) -> dict[str, Any]:
    if not args.profile:
        return asyncio.run(sync_worker(args))
    out = Path(args.profile)
    try:
        from pyinstrument import Profiler
    except ImportError:
        Profiler = None
    if Profiler is not None:
        profiler = Profiler(async_mode="disabled", interval=0.001)
        profiler.start()
        result = asyncio.run(sync_worker(args))
        profiler.stop()
        out.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
        result["profiler"] = "pyinstrument"
    else:
        import cProfile
        import io
        import pstats

        profile = cProfile.Profile()
        result = profile.runcall(lambda: asyncio.run(sync_worker(args)))
        stream = io.StringIO()
        stats = pstats.Stats(profile, stream=stream)
        stats.sort_stats("tottime").print_stats(50)
        stats.sort_stats("cumulative").print_stats(80)
        out.write_text(stream.getvalue())
        result["profiler"] = "cProfile"
    result["profile"] = str(out)
    return result


# ------------------------------------------------------------------------------------------- parent
def _round(args: argparse.Namespace, sandbox: SandboxProcess, workdir: Path, number: int, start: float,
           profile: Path | None) -> dict[str, Any]:
    common = ["--marketplace", args.marketplace, "--base-url", sandbox.env[URL_KEYS[args.marketplace]],
              "--speed", repr(args.speed), "--start", repr(start)]
    load = load_average()
    read = run_worker("bench.catalog_sync", ["--worker", "read", "--db", str(workdir / f"read{number}.sqlite3"),
                                             *common], timeout=args.timeout, name="catalog-sync-read")
    sync_args = ["--worker", "sync", "--db", str(workdir / f"sync{number}.sqlite3"), *common]
    if profile is not None:
        sync_args += ["--profile", str(profile)]
    sync = run_worker("bench.catalog_sync", sync_args, timeout=args.timeout, name="catalog-sync")
    for path in workdir.glob("*.sqlite3*"):
        path.unlink()
    result = {"round": number, "load_average": load, "read": read, "sync": sync}
    if any(r.get("timeout") or r.get("failed") for r in (read, sync)):
        result["failed"] = True
        return result
    result["first_ratio"] = round(sync["first"]["wall_s"] / read["wall_s"], 3)
    result["resync_ratio"] = round(sync["resync"]["wall_s"] / read["wall_s"], 3)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.catalog_sync", description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (read alone, first sync, re-sync); medians")
    parser.add_argument("--marketplace", default="ozon", choices=sorted(URL_KEYS),
                        help="ozon (default): 1,000 products per page, the only one whose limits let 100,000 "
                             "products through at database speed")
    parser.add_argument("--speed", type=float, default=1.0, help="ScaledClock speed of sandbox and connector")
    parser.add_argument("--timeout", type=float, default=900.0, help="real seconds allowed for one worker")
    parser.add_argument("--profile", nargs="?", const="auto", default=None,
                        help="profile the first round's sync (pyinstrument if installed, else cProfile); output path")
    parser.add_argument("--worker", choices=("sync", "read"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker == "sync":
        print(json.dumps(run_sync_worker(args)), flush=True)
        return
    if args.worker == "read":
        print(json.dumps(asyncio.run(read_worker(args))), flush=True)
        return

    workdir = Path(tempfile.mkdtemp(prefix="scx-bench-sync-"))
    profile = None
    if args.profile:
        profile = workdir / "profile.txt" if args.profile == "auto" else Path(args.profile).resolve()
    load_start, start = load_average(), time.time()
    rounds = []
    with SandboxProcess(catalog_size=args.products, speed=args.speed, start=start, enforce=True,
                        name="catalog-sync-sandbox") as sandbox:
        for number in range(1, args.rounds + 1):
            rounds.append(_round(args, sandbox, workdir, number, start, profile if number == 1 else None))
            if rounds[-1].get("failed"):
                break
        final = sandbox.finish()
    if profile is None or profile.parent != workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    info = machine()
    load = {"start": load_start, "end": load_average(), "rounds": [r["load_average"] for r in rounds]}
    print(f"Catalog sync: {args.products:,} {args.marketplace} products from the sandbox (own process, limits "
          f"enforced, clock x{args.speed:g}) into SQLite through the job runner's catalog job")
    print(machine_line(info, load) + "\n")
    failed = [r for r in rounds if r.get("failed")]
    if failed:
        print(f"A worker did not finish: {json.dumps(failed[-1])[:3000]}")
        emit({"benchmark": "catalog_sync", "products": args.products, "rounds": rounds, "pass": False})
        return

    def complete(r: dict[str, Any]) -> bool:
        s = r["sync"]
        return (r["read"]["count"] == args.products and s["rows"]["listings"] == args.products
                and s["first"]["error"] is None and s["resync"]["error"] is None and s["runs"] == ["ok", "ok"]
                and s["first"]["report"]["created_listings"] == args.products
                and s["resync"]["report"]["updated_listings"] == args.products)

    rows = []
    for r in rounds:
        read, first, again = r["read"], r["sync"]["first"], r["sync"]["resync"]
        rows.append([r["round"], r["load_average"], read["wall_s"], first["wall_s"], r["first_ratio"],
                     again["wall_s"], r["resync_ratio"], read["peak_rss_mb"], max(first["peak_rss_mb"],
                                                                                  again["peak_rss_mb"]),
                     f"{read['requests']} / {first['requests']} / {again['requests']}",
                     read["throttled"] + first["throttled"] + again["throttled"], complete(r)])
    print(table(["round", "load", "read alone s", "first sync s", "/ read", "re-sync s", "/ read", "read RSS MB",
                 "sync RSS MB", "requests read / first / re-sync", "throttled", "complete"], rows))

    def median(pick) -> float:
        return round(statistics.median(pick(r) for r in rounds), 3)

    first_ratio, resync_ratio = median(lambda r: r["first_ratio"]), median(lambda r: r["resync_ratio"])
    peak = max(max(r["sync"]["first"]["peak_rss_mb"], r["sync"]["resync"]["peak_rss_mb"]) for r in rounds)
    print(f"\nMedians of {len(rounds)} rounds: read alone {median(lambda r: r['read']['wall_s'])} s, first sync "
          f"{median(lambda r: r['sync']['first']['wall_s'])} s ({first_ratio} x the read), re-sync "
          f"{median(lambda r: r['sync']['resync']['wall_s'])} s ({resync_ratio} x); sync peak RSS {peak} MB (max)\n")
    detail = []
    for r in rounds:
        read = r["read"]
        detail.append([f"{r['round']}: read alone", read["wall_s"], None, read["cpu_s"], read["peak_rss_mb"]])
        for name in ("first", "resync"):
            p = r["sync"][name]
            detail.append([f"{r['round']}: {'first sync' if name == 'first' else 're-sync'}", p["wall_s"],
                           p["store_s"], p["cpu_s"], p["peak_rss_mb"]])
    print(table(["pass", "wall s", "in _store s (DB work, one batch at a time)", "process CPU s", "peak RSS MB"],
                detail))
    last = rounds[-1]["sync"]
    print(f"\nReports (last round): first {last['first']['report']}; re-sync {last['resync']['report']}")
    print(f"Rows in the synced database: {last['rows']}; sandbox: CPU {final.get('cpu_s')} s for every pass, "
          f"peak RSS {final.get('peak_rss_mb')} MB, {sum(n for *_, n in final.get('calls', []))} requests")
    if profile is not None:
        print(f"Profile ({rounds[0]['sync'].get('profiler')}, round 1's sync; its timings include the profiler's "
              f"overhead): {profile}")
    passed = (all(complete(r) for r in rounds) and first_ratio <= GOAL_RATIO and resync_ratio <= GOAL_RATIO
              and peak < GOAL_RSS_MB and not profile)
    print(f"\nGoal (issue 10): first sync and re-sync <= {GOAL_RATIO} x the read alone, peak RSS < {GOAL_RSS_MB:g} MB"
          + (" (a profiled run never passes: the profiler's overhead is in its times)" if profile else ""))
    emit({
        "benchmark": "catalog_sync", "products": args.products, "marketplace": args.marketplace, "speed": args.speed,
        "machine": info, "load_average": load, "rounds": len(rounds),
        "read_alone_s": median(lambda r: r["read"]["wall_s"]),
        "first_sync_s": median(lambda r: r["sync"]["first"]["wall_s"]),
        "resync_s": median(lambda r: r["sync"]["resync"]["wall_s"]),
        "first_ratio": first_ratio, "resync_ratio": resync_ratio, "peak_rss_mb": peak,
        "per_round": [{"load": r["load_average"], "read_s": r["read"]["wall_s"],
                       "first_s": r["sync"]["first"]["wall_s"], "resync_s": r["sync"]["resync"]["wall_s"],
                       "first_ratio": r["first_ratio"], "resync_ratio": r["resync_ratio"],
                       "store_s": [r["sync"]["first"]["store_s"], r["sync"]["resync"]["store_s"]],
                       "requests": [r["read"]["requests"], r["sync"]["first"]["requests"],
                                    r["sync"]["resync"]["requests"]]} for r in rounds],
        "sandbox": {"cpu_s": final.get("cpu_s"), "peak_rss_mb": final.get("peak_rss_mb")},
        "goal": {"first_ratio_max": GOAL_RATIO, "resync_ratio_max": GOAL_RATIO, "peak_rss_mb_below": GOAL_RSS_MB},
        "pass": passed,
    })


if __name__ == "__main__":
    main()
