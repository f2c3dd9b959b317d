"""Issue 4 benchmark: sync 100,000 products from the sandbox into SQLite with CatalogSync.

    python -m bench.catalog_sync [--products 100000] [--marketplace ozon] [--profile [PATH]] [--resync]

Processes, so each figure is one process's own:
1. the sandbox marketplaces (catalog of `--products` products, rate limits enforced, real-time clock unless
   `--speed` says otherwise), serving the two runs below;
2. the read side alone: the same integration's connector (`IntegrationService.client`) iterating every listing
   and storing nothing: what the fetch costs by itself, and the bound of what overlapping could give;
3. the sync: a fresh SQLite file migrated to head, one partner and one active integration (keys encrypted with
   a `Vault`, as the bot stores them), then `CatalogSync(sessionmaker, IntegrationService(...)).run(id)` timed
   end to end; its peak RSS is `ru_maxrss` of this process. A subclass only adds timers around `_store` (one
   batch's DB work) and `_after_full_pass`, so the wall time splits into fetch (waiting on the connector's
   iterator: HTTP + parsing) and DB writes. `--resync` also times a second run over the same catalog;
4. the baseline: the same listing rows, read back from the synced database, inserted with the standard
   library's `sqlite3` `executemany` into a fresh database migrated the same way (same schema, indexes,
   foreign keys, WAL, with the partner, integration and products rows copied in first, untimed). Variants:
   one transaction per 1,000 rows (CatalogSync's batch size) and one transaction for everything; the goal is
   measured against the faster of the two. Two more insert every row the sync wrote (products, stock
   movements, listings; a transaction per 1,000 listings, or one), for the supplementary "*" ratio.

Rows counted: `listings` rows (one per product read). The sync also writes one `products` row per listing (a
fresh database: every listing creates its product) and a `stock_movements` row for each product with stock;
those are shown too but are not in the rate. Goal (issue 4): sync listings/s >= 0.5 x raw insert rows/s, and
the sync process's peak RSS < 200 MB. `--profile` runs the sync under pyinstrument (or cProfile when
pyinstrument is not installed) and writes where the time goes (its timings include the profiler's overhead).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (SandboxProcess, cpu_seconds, emit, load_average, machine, machine_line, peak_rss_mb,
                          run_worker, table)

GOAL_RATIO = 0.5
GOAL_RSS_MB = 200.0
URL_KEYS = {"uzum": "UZUM_API_URL", "yandex": "YANDEX_API_URL", "wildberries": "WILDBERRIES_API_URL",
            "ozon": "OZON_API_URL"}
RAW_BATCH = 1000  # = services.catalog.BATCH


# ------------------------------------------------------------------------------------------ sync worker
async def migrate(path: Path) -> None:
    from db.migrate import upgrade
    from db.session import create_engine

    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def setup(args: argparse.Namespace) -> tuple[Any, Any, Any, str]:
    """A fresh migrated SQLite file with one partner and one active integration of the sandbox account:
    (engine, sessionmaker, IntegrationService, integration id)."""
    from cryptography.fernet import Fernet

    from bench.common import shared_clock
    from connectors.base import Marketplace
    from db.models import JsonText, MarketplaceIntegration, Partner
    from db.session import create_engine, create_sessionmaker
    from db.vault import Vault
    from sandbox.marketplaces import SandboxState
    from sandbox.marketplaces import accounts as A
    from services.connections import ConnectorFactory
    from services.integrations import IntegrationService

    db = Path(args.db)
    await migrate(db)
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    sessionmaker = create_sessionmaker(engine)
    vault = Vault([Fernet.generate_key().decode()])
    clock = shared_clock(args.speed, args.start)
    factory = ConnectorFactory(env_urls={Marketplace(args.marketplace): args.base_url}, clock=clock)
    integrations = IntegrationService(vault, factory)

    accounts = SandboxState()
    if args.marketplace == "ozon":
        key, secret = A.OZON_API_KEY, A.OZON_CLIENT_ID
        seller, warehouses = A.OZON_CLIENT_ID, [str(accounts.ozon[A.OZON_CLIENT_ID].warehouses[0].warehouse_id)]
        business = None
    elif args.marketplace == "wildberries":
        key, secret, seller, business = A.WB_TOKEN, None, A.WB_SELLER_ID, None
        warehouses = [str(accounts.wildberries[A.WB_SELLER_ID].warehouses[0].id)]
    elif args.marketplace == "yandex":
        key, secret, seller, warehouses = A.YANDEX_API_KEY, None, str(A.YANDEX_CAMPAIGN_IDS[0]), []
        business = str(A.YANDEX_BUSINESS_ID)
    else:
        key, secret, warehouses, business = A.UZUM_TOKEN_ONE_SHOP, None, [], None
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
    return engine, sessionmaker, integrations, integration_id


async def fetch_worker(args: argparse.Namespace) -> dict[str, Any]:
    """The sync's read side alone: the same integration's client (IntegrationService.client), every listing
    iterated and dropped, nothing written."""
    from db.models import MarketplaceIntegration

    engine, sessionmaker, integrations, integration_id = await setup(args)
    async with sessionmaker() as session:
        client = await integrations.client(session, await session.get(MarketplaceIntegration, integration_id))
    rss_before = peak_rss_mb()
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    count = 0
    try:
        async for _ in client.iter_listings():
            count += 1
    finally:
        await client.aclose()
    wall = time.perf_counter() - started
    await engine.dispose()
    return {"count": count, "wall_s": round(wall, 3), "cpu_s": round(cpu_seconds() - cpu_before, 2),
            "rss_before_mb": round(rss_before, 1), "peak_rss_mb": round(peak_rss_mb(), 1)}


async def sync_worker(args: argparse.Namespace) -> dict[str, Any]:
    from services.catalog import CatalogSync

    db = Path(args.db)
    engine, sessionmaker, integrations, integration_id = await setup(args)

    timers = {"store_s": 0.0, "store_batches": 0, "after_full_pass_s": 0.0}

    class TimedSync(CatalogSync):
        """CatalogSync with timers around its DB work; nothing else changes."""

        async def _store(self, *a: Any, **kw: Any) -> None:
            started = time.perf_counter()
            try:
                await super()._store(*a, **kw)
            finally:
                timers["store_s"] += time.perf_counter() - started
                timers["store_batches"] += 1

        async def _after_full_pass(self, *a: Any, **kw: Any) -> None:
            started = time.perf_counter()
            try:
                await super()._after_full_pass(*a, **kw)
            finally:
                timers["after_full_pass_s"] += time.perf_counter() - started

    sync = TimedSync(sessionmaker, integrations)
    rss_before = peak_rss_mb()
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    report = await sync.run(integration_id)
    wall = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_before
    first = dict(timers)
    peak_first = peak_rss_mb()
    again = None
    if args.resync:  # the steady state: the same catalog once more, every listing already stored
        timers.update(store_s=0.0, store_batches=0, after_full_pass_s=0.0)
        cpu_before, started = cpu_seconds(), time.perf_counter()
        second = await sync.run(integration_id)
        again = {"wall_s": round(time.perf_counter() - started, 3), "cpu_s": round(cpu_seconds() - cpu_before, 2),
                 "store_s": round(timers["store_s"], 3), "after_full_pass_s": round(timers["after_full_pass_s"], 3),
                 "peak_rss_mb": round(peak_rss_mb(), 1), "report": second.counts(),
                 "error": repr(second.error) if second.error else None}
    await engine.dispose()

    con = sqlite3.connect(db)
    counts = {table_: con.execute(f"SELECT count(*) FROM {table_}").fetchone()[0]
              for table_ in ("listings", "products", "stock_movements", "sync_runs")}
    con.close()
    return {
        "wall_s": round(wall, 3), "cpu_s": round(cpu, 2), "peak_rss_mb": round(peak_first, 1),
        "rss_before_mb": round(rss_before, 1),
        "rows": counts, "report": report.counts(), "error": repr(report.error) if report.error else None,
        "store_s": round(first["store_s"], 3), "store_batches": first["store_batches"],
        "after_full_pass_s": round(first["after_full_pass_s"], 3), "resync": again,
    }


def run_sync_worker(args: argparse.Namespace) -> dict[str, Any]:
    if not args.profile:
        return asyncio.run(sync_worker(args))
    out = Path(args.profile)
    try:
        from pyinstrument import Profiler
    except ImportError:
        Profiler = None
    if Profiler is not None:
        profiler = Profiler(async_mode="enabled", interval=0.002)
        profiler.start()
        result = asyncio.run(sync_worker(args))
        profiler.stop()
        out.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
        out.with_name(out.name + ".full").write_text(profiler.output_text(unicode=False, color=False, show_all=True))
        result["profiler"] = "pyinstrument"
    else:
        import cProfile
        import io
        import pstats

        profile = cProfile.Profile()
        result = profile.runcall(lambda: asyncio.run(sync_worker(args)))
        stream = io.StringIO()
        stats = pstats.Stats(profile, stream=stream)
        stats.sort_stats("tottime").print_stats(40)
        stats.sort_stats("cumulative").print_stats(60)
        out.write_text(stream.getvalue())
        result["profiler"] = "cProfile"
    result["profile"] = str(out)
    return result


# ------------------------------------------------------------------------------------------ raw worker
def _fresh_copy(target: Path, source: Path, tables: tuple[str, ...]) -> sqlite3.Connection:
    """A new database migrated to head, with the app's connection pragmas and `tables` copied from `source`."""
    for leftover in target.parent.glob(target.name + "*"):
        leftover.unlink()
    asyncio.run(migrate(target))
    dst = sqlite3.connect(target, timeout=30)
    from db.session import SQLITE_PRAGMAS

    for pragma in SQLITE_PRAGMAS:
        dst.execute(pragma)  # what db.session.create_engine sets on every connection
    dst.execute("ATTACH DATABASE ? AS src", (str(source),))
    for name in tables:
        dst.execute(f"INSERT INTO main.{name} SELECT * FROM src.{name}")
    dst.commit()
    dst.execute("DETACH DATABASE src")
    return dst


def _read_rows(con: sqlite3.Connection, name: str) -> tuple[list[str], list[tuple], str]:
    columns = [row[1] for row in con.execute(f"PRAGMA table_info({name})")]
    rows = con.execute(f"SELECT {', '.join(columns)} FROM {name} ORDER BY rowid").fetchall()
    sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    return columns, rows, sql


def raw_worker(args: argparse.Namespace) -> dict[str, Any]:
    """executemany of the synced rows into fresh databases; only the inserts and commits are timed. Each
    variant runs `--raw-repeats` times on a new database and keeps its fastest time (the strictest baseline)."""
    source = Path(args.db)
    src = sqlite3.connect(source)
    columns, listings, insert_listings = _read_rows(src, "listings")
    _, products, insert_products = _read_rows(src, "products")
    movement_columns, movements, insert_movements = _read_rows(src, "stock_movements")
    src.close()
    # Movements grouped with their product's batch, so "all rows" commits what one CatalogSync batch commits.
    by_product: dict[str, list[tuple]] = {}
    product_at = movement_columns.index("product_id")
    for row in movements:
        by_product.setdefault(row[product_at], []).append(row)
    results: dict[str, Any] = {"rows": len(listings), "columns": len(columns)}
    target = Path(args.target)
    for variant in ("batched", "single", "all_rows", "all_rows_single"):
        best = None
        for _ in range(args.raw_repeats):
            every_row = variant.startswith("all_rows")
            tables = ("partners", "marketplace_integrations") + (() if every_row else ("products",))
            dst = _fresh_copy(target.with_suffix(f".{variant}.sqlite3"), source, tables)
            started = time.perf_counter()
            if variant == "batched":
                for start in range(0, len(listings), RAW_BATCH):
                    dst.executemany(insert_listings, listings[start:start + RAW_BATCH])
                    dst.commit()
            elif variant == "single":
                dst.executemany(insert_listings, listings)
                dst.commit()
            else:  # every row the sync wrote: products, their movements, listings; a transaction per 1,000 or one
                step = RAW_BATCH if variant == "all_rows" else len(listings)
                for start in range(0, len(listings), step):
                    batch = products[start:start + step]
                    dst.executemany(insert_products, batch)
                    dst.executemany(insert_movements, [m for p in batch for m in by_product.get(p[0], ())])
                    dst.executemany(insert_listings, listings[start:start + step])
                    dst.commit()
            elapsed = time.perf_counter() - started
            inserted = sum(dst.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                           for name in (("listings", "products", "stock_movements")
                                        if every_row else ("listings",)))
            dst.close()
            if best is None or elapsed < best[0]:
                best = (elapsed, inserted)
        elapsed, inserted = best
        results[variant] = {"seconds": round(elapsed, 3), "inserted": inserted,
                            "rows_per_s": round(inserted / elapsed) if elapsed else None}
    for leftover in target.parent.glob(target.name + ".*"):
        leftover.unlink()
    return results


# ------------------------------------------------------------------------------------------- parent
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.catalog_sync", description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--marketplace", default="ozon", choices=sorted(URL_KEYS),
                        help="ozon (default): 1,000 products per page, the only one whose limits let 100,000 "
                             "products through at database speed")
    parser.add_argument("--speed", type=float, default=1.0, help="ScaledClock speed of sandbox and connector")
    parser.add_argument("--timeout", type=float, default=900.0, help="real seconds allowed for the sync")
    parser.add_argument("--profile", nargs="?", const="auto", default=None,
                        help="profile the sync (pyinstrument if installed, else cProfile); optional output path")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite files (path printed)")
    parser.add_argument("--resync", action="store_true",
                        help="also time a second sync of the same catalog (every listing exists: the update path)")
    # workers (internal)
    parser.add_argument("--worker", choices=("sync", "fetch", "raw"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--raw-repeats", type=int, default=2, help="runs of each raw insert variant (fastest kept)")
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker == "sync":
        print(json.dumps(run_sync_worker(args)), flush=True)
        return
    if args.worker == "fetch":
        print(json.dumps(asyncio.run(fetch_worker(args))), flush=True)
        return
    if args.worker == "raw":
        print(json.dumps(raw_worker(args)), flush=True)
        return

    workdir = Path(tempfile.mkdtemp(prefix="scx-bench-sync-"))
    db = workdir / "sync.sqlite3"
    profile_path = None
    if args.profile:
        profile_path = workdir / "profile.txt" if args.profile == "auto" else Path(args.profile).resolve()
    load_start = load_average()
    start = time.time()
    with SandboxProcess(catalog_size=args.products, speed=args.speed, start=start, enforce=True,
                        name="catalog-sync-sandbox") as sandbox:
        common = ["--marketplace", args.marketplace, "--base-url", sandbox.env[URL_KEYS[args.marketplace]],
                  "--speed", repr(args.speed), "--start", repr(start)]
        fetch = run_worker("bench.catalog_sync", ["--worker", "fetch", "--db", str(workdir / "fetch.sqlite3"), *common],
                           timeout=args.timeout, name="catalog-sync-fetch")
        worker_args = ["--worker", "sync", "--db", str(db), *common] + (["--resync"] if args.resync else [])
        if profile_path:
            worker_args += ["--profile", str(profile_path)]
        sync = run_worker("bench.catalog_sync", worker_args, timeout=args.timeout, name="catalog-sync")
        final = sandbox.finish()
    if sync.get("timeout") or sync.get("failed"):
        print(f"The sync did not finish: {sync}")
        emit({"benchmark": "catalog_sync", "products": args.products, "sync": sync, "pass": False})
        return
    raw = run_worker("bench.catalog_sync", ["--worker", "raw", "--db", str(db), "--target", str(workdir / "raw"),
                                            "--raw-repeats", str(args.raw_repeats)],
                     timeout=900, name="catalog-sync-raw")
    if raw.get("timeout") or raw.get("failed"):
        print(f"The raw insert baseline did not finish: {raw}")
        emit({"benchmark": "catalog_sync", "products": args.products, "raw": raw, "pass": False})
        return

    listings = sync["rows"]["listings"]
    written = listings + sync["rows"]["products"] + sync["rows"]["stock_movements"]
    sync_rate = listings / sync["wall_s"]
    raw_rate = max(raw["batched"]["rows_per_s"], raw["single"]["rows_per_s"])
    ratio = sync_rate / raw_rate
    all_rows_rate = max(raw["all_rows"]["rows_per_s"], raw["all_rows_single"]["rows_per_s"])
    all_rows_ratio = written / sync["wall_s"] / all_rows_rate
    fetch_s = sync["wall_s"] - sync["store_s"] - sync["after_full_pass_s"]
    complete = listings == args.products and sync["error"] is None
    passed = complete and ratio >= GOAL_RATIO and sync["peak_rss_mb"] < GOAL_RSS_MB
    fetch_ok = not (fetch.get("timeout") or fetch.get("failed"))
    fetch_rate = fetch["count"] / fetch["wall_s"] if fetch_ok and fetch["wall_s"] else None
    # If reading the next page overlapped the DB work of the last one, the sync could take no less than the
    # longer of the two (and no less than the read alone): an upper bound of what overlapping alone can give.
    overlap_s = max(sync["store_s"] + sync["after_full_pass_s"], fetch["wall_s"] if fetch_ok else fetch_s)

    info = machine()
    load = {"start": load_start, "end": load_average()}
    print(f"Catalog sync: {args.products:,} {args.marketplace} products from the sandbox (own process, limits "
          f"enforced, clock x{args.speed:g}) into SQLite with CatalogSync")
    print(machine_line(info, load) + "\n")
    rows = [
        ["CatalogSync.run: listings rows", listings, sync["wall_s"], round(sync_rate), f"{ratio:.3f}"],
        ["  every row it wrote (listings + products + movements)", written, sync["wall_s"],
         round(written / sync["wall_s"]), ""],
        [f"raw executemany of the listings rows, commit per {RAW_BATCH:,}", raw["batched"]["inserted"],
         raw["batched"]["seconds"], raw["batched"]["rows_per_s"], ""],
        ["raw executemany of the listings rows, one transaction", raw["single"]["inserted"],
         raw["single"]["seconds"], raw["single"]["rows_per_s"], ""],
        [f"raw executemany of every row the sync wrote, commit per {RAW_BATCH:,} listings",
         raw["all_rows"]["inserted"], raw["all_rows"]["seconds"], raw["all_rows"]["rows_per_s"], ""],
        ["raw executemany of every row the sync wrote, one transaction", raw["all_rows_single"]["inserted"],
         raw["all_rows_single"]["seconds"], raw["all_rows_single"]["rows_per_s"], f"{all_rows_ratio:.3f}*"],
    ]
    if fetch_ok:
        rows.append(["read side alone (iter_listings, nothing stored)", fetch["count"], fetch["wall_s"],
                     round(fetch_rate), f"{fetch_rate / raw_rate:.3f}"])
    rows.append(["bound if fetch and DB writes overlapped fully", listings, round(overlap_s, 1),
                 round(listings / overlap_s), f"{listings / overlap_s / raw_rate:.3f}"])
    print(table(["what", "rows", "seconds", "rows/s", "vs raw"], rows))
    print(f"(vs raw = listings rows/s over the faster raw listings insert, {raw_rate:,} rows/s; * = every row the "
          f"sync wrote per second over the faster raw insert of those same rows, {all_rows_rate:,} rows/s. The read "
          f"side alone bounds any sync: it stores nothing)\n")
    print(table(["where the sync's wall time went", "seconds", "share"], [
        ["fetch: waiting on iter_listings (HTTP + parsing)", round(fetch_s, 2), f"{fetch_s / sync['wall_s']:.0%}"],
        [f"DB: _store, {sync['store_batches']} batches", sync["store_s"], f"{sync['store_s'] / sync['wall_s']:.0%}"],
        ["DB: _after_full_pass (gone, duplicates)", sync["after_full_pass_s"],
         f"{sync['after_full_pass_s'] / sync['wall_s']:.0%}"],
        ["sync process CPU (both threads)", sync["cpu_s"], f"{sync['cpu_s'] / sync['wall_s']:.0%}"],
        ["read-alone process CPU", fetch.get("cpu_s"), ""],
        ["sandbox process CPU (both runs)", final.get("cpu_s"), ""],
    ]))
    print()
    print(table(["process", "peak RSS MB", "before the run MB"], [
        ["sync", sync["peak_rss_mb"], sync["rss_before_mb"]],
        ["read side alone", fetch.get("peak_rss_mb"), fetch.get("rss_before_mb")],
        ["sandbox", final.get("peak_rss_mb"), None]]))
    again = sync.get("resync")
    if again:
        print(f"\nSecond sync of the same catalog (every listing already stored; not part of the goal): "
              f"{again['wall_s']:.1f} s = {listings / again['wall_s']:,.0f} listings/s, "
              f"_store {again['store_s']:.1f} s, "
              f"CPU {again['cpu_s']:.1f} s, peak RSS {again['peak_rss_mb']} MB, report {again['report']}")
    print(f"\nRows in the synced database: {sync['rows']}; report: {sync['report']}")
    if sync.get("profile"):
        print(f"Profile ({sync['profiler']}; its timings and RSS include the profiler's overhead): {sync['profile']}")
    if args.keep:
        print(f"Databases kept in {workdir}")
    else:
        for path in workdir.glob("*.sqlite3*"):
            path.unlink()
    print(f"\nGoal: sync >= {GOAL_RATIO} x raw insert rate (listings rows), peak RSS < {GOAL_RSS_MB:g} MB.")
    emit({
        "benchmark": "catalog_sync", "products": args.products, "marketplace": args.marketplace,
        "speed": args.speed, "machine": info, "load_average": load,
        "sync": {"listings": listings, "rows": sync["rows"], "wall_s": sync["wall_s"], "rows_per_s": round(sync_rate),
                 "fetch_s": round(fetch_s, 3), "store_s": sync["store_s"],
                 "after_full_pass_s": sync["after_full_pass_s"], "cpu_s": sync["cpu_s"],
                 "peak_rss_mb": sync["peak_rss_mb"], "rss_before_mb": sync["rss_before_mb"],
                 "error": sync["error"], "profiled": bool(sync.get("profile"))},
        "resync": sync.get("resync"),
        "raw": raw,
        "all_rows_ratio": round(all_rows_ratio, 4),
        "read_alone": fetch if fetch_ok else {"failed": True},
        "overlap_bound": {"seconds": round(overlap_s, 3), "rows_per_s": round(listings / overlap_s),
                          "ratio": round(listings / overlap_s / raw_rate, 4)},
        "sandbox": {"peak_rss_mb": final.get("peak_rss_mb"), "cpu_s": final.get("cpu_s")},
        "ratio": round(ratio, 4),
        "goal": {"ratio_min": GOAL_RATIO, "peak_rss_mb_below": GOAL_RSS_MB},
        "pass": passed,
    })


if __name__ == "__main__":
    main()
