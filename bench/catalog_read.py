"""Issue 3 benchmark: iterate 100,000 products from the sandbox with the connectors' async iterators.

    python -m bench.catalog_read [--products 100000] [--only ozon,uzum] [--speed yandex=20] [--timeout 300]

Per marketplace: the sandbox marketplaces run in their own process (catalog of `--products` products, rate
limits enforced, computed on demand: the sandbox never holds the catalog either), and a reader process does
nothing but `async for listing in client.iter_listings()` on one account, keeping only a count and a
checksum of the SKU numbers (each product exactly once). The reader's peak RSS is its own
`getrusage(RUSAGE_SELF).ru_maxrss`. In the same run a reader that imports and builds the same client but reads
nothing gives the RSS baseline, so the table shows what streaming 100,000 products adds.

Client and sandbox share one `ScaledClock(speed)` (same origin in both processes), so the published limits
keep their shape: time is reported in real seconds and in marketplace seconds (real x speed), next to the
floor the sandbox's limit allows for that many requests. Goal (issue 3): peak RSS < 200 MB.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from typing import Any

from bench.common import (SandboxProcess, emit, load_average, machine, machine_line, peak_rss_mb, run_worker,
                          table)

MARKETPLACES = ("uzum", "yandex", "wildberries", "ozon")
# Uzum 100 per page at 5 rps (1,000 requests: 200 s of marketplace time); Yandex 100 per page at 100 per minute
# (540 s); WB 100 per page at 100 per minute, burst 5 (597 s); Ozon 1,000 per page (+ one info request per page)
# at 50 rps (4 s). Uzum stays at x2: the Uzum sandbox forgives 0.05 s of arrival jitter in *marketplace* seconds,
# i.e. only 0.05 / speed real seconds under a ScaledClock, and at x5 a few requests of 1,000 land in a full window.
DEFAULT_SPEED = {"uzum": 2.0, "yandex": 20.0, "wildberries": 20.0, "ozon": 1.0}
GOAL_RSS_MB = 200.0
URL_KEYS = {"uzum": "UZUM_API_URL", "yandex": "YANDEX_API_URL", "wildberries": "WILDBERRIES_API_URL",
            "ozon": "OZON_API_URL"}


def client_for(marketplace: str, base_url: str, clock: Any, transport: Any = None):
    from connectors import build_client
    from connectors.base import AccountContext, Credentials, Marketplace
    from sandbox.marketplaces import SandboxState
    from sandbox.marketplaces import accounts as A

    accounts = SandboxState()
    if marketplace == "uzum":
        shop = accounts.uzum[A.UZUM_TOKEN_ONE_SHOP].shops[0].id
        credentials, account = Credentials(A.UZUM_TOKEN_ONE_SHOP), AccountContext(shop_id=str(shop))
    elif marketplace == "yandex":
        credentials = Credentials(A.YANDEX_API_KEY)
        account = AccountContext(shop_id=str(A.YANDEX_CAMPAIGN_IDS[0]), business_id=str(A.YANDEX_BUSINESS_ID))
    elif marketplace == "wildberries":
        warehouse = accounts.wildberries[A.WB_SELLER_ID].warehouses[0].id
        credentials, account = Credentials(A.WB_TOKEN), AccountContext(warehouse_id=str(warehouse))
    else:
        warehouse = accounts.ozon[A.OZON_CLIENT_ID].warehouses[0].warehouse_id
        credentials = Credentials(A.OZON_API_KEY, A.OZON_CLIENT_ID)
        account = AccountContext(warehouse_id=str(warehouse))
    return build_client(Marketplace(marketplace), credentials, base_url=base_url, transport=transport, clock=clock,
                        account=account, timeout=30.0)


# ------------------------------------------------------------------------------------------- reader
async def read(args: argparse.Namespace) -> dict[str, Any]:
    from bench.common import CountingTransport, cpu_seconds, shared_clock

    clock = shared_clock(args.speed, args.start)
    transport = CountingTransport()
    client = client_for(args.worker, args.base_url, clock, transport)
    count = total = squares = 0
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    try:
        if not args.idle:
            async for listing in client.iter_listings():
                number = int((listing.seller_sku or "SKU-0")[4:])
                count += 1
                total += number
                squares += number * number
    finally:
        await client.aclose()
    wall = time.perf_counter() - started
    return {"cpu_s": round(cpu_seconds() - cpu_before, 2), "count": count, "sum": total, "squares": squares,
            "wall_real_s": round(wall, 3),
            "requests": sum(transport.replies.values()), "throttled": transport.throttled(),
            "errors": transport.errors(), "peak_rss_mb": round(peak_rss_mb(), 1)}


# ------------------------------------------------------------------------------------------- parent
def floor_s(marketplace: str, requests: int) -> tuple[float, str]:
    """The floor (marketplace seconds) the sandbox's read limit allows for `requests` page reads."""
    from sandbox.marketplaces import ozon as SO, uzum as SU, wildberries as SW, yandex as SY

    if marketplace == "uzum":
        return max(0, math.ceil(requests / SU.RATE_LIMIT) - 1) * SU.RATE_PERIOD, \
            f"{SU.RATE_LIMIT}/{SU.RATE_PERIOD:g} s fixed window"
    if marketplace == "yandex":
        limit, period = SY.RESOURCE_LIMITS["getOfferMappings"], SY.RESOURCE_PERIODS["getOfferMappings"]
        return max(0, math.ceil(requests / limit) - 1) * period, f"getOfferMappings {limit}/{period:g} s fixed window"
    if marketplace == "wildberries":
        limit = SW.LIMITS["content"][SW.BASE]
        return max(0, requests - limit.burst) / limit.rate, \
            f"content {limit.limit}/{limit.period:g} s burst {limit.burst} bucket"
    return max(0, math.ceil(requests / SO.REQUESTS_PER_SECOND) - 1) * 1.0, f"{SO.REQUESTS_PER_SECOND}/1 s fixed window"


def measure(marketplace: str, args: argparse.Namespace, speed: float) -> dict[str, Any]:
    start = time.time()
    with SandboxProcess(catalog_size=args.products, speed=speed, start=start, enforce=True,
                        name=f"catalog-read-sandbox-{marketplace}") as sandbox:
        base = sandbox.env[URL_KEYS[marketplace]]
        common = ["--worker", marketplace, "--base-url", base, "--speed", repr(speed), "--start", repr(start)]
        idle = run_worker("bench.catalog_read", common + ["--idle"], timeout=60,
                          name=f"catalog-read-idle-{marketplace}")
        result = run_worker("bench.catalog_read", common, timeout=args.timeout, name=f"catalog-read-{marketplace}")
        final = sandbox.finish()
    n = args.products
    row: dict[str, Any] = {"marketplace": marketplace, "speed": speed, "idle_rss_mb": idle.get("peak_rss_mb"),
                           "sandbox_rss_mb": final.get("peak_rss_mb"), "sandbox_cpu_s": final.get("cpu_s")}
    if result.get("timeout") or result.get("failed"):
        row.update(status="timeout" if result.get("timeout") else "failed", detail=result, **{"pass": False})
        return row
    expected_sum, expected_squares = n * (n + 1) // 2, n * (n + 1) * (2 * n + 1) // 6
    complete = result["count"] == n and result["sum"] == expected_sum and result["squares"] == expected_squares
    floor, model = floor_s(marketplace, result["requests"])
    row.update(
        status="ok" if complete else "incomplete",
        products=result["count"],
        each_once=complete,
        requests=result["requests"],
        throttled=result["throttled"],
        errors=result["errors"],
        wall_real_s=result["wall_real_s"],
        reader_cpu_s=result["cpu_s"],
        wall_s=round(result["wall_real_s"] * speed, 1),
        floor_s=round(floor, 1),
        limit=model,
        products_per_real_s=round(result["count"] / result["wall_real_s"]) if result["wall_real_s"] else None,
        peak_rss_mb=result["peak_rss_mb"],
        added_rss_mb=round(result["peak_rss_mb"] - (idle.get("peak_rss_mb") or 0), 1),
    )
    row["pass"] = complete and result["peak_rss_mb"] < GOAL_RSS_MB
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.catalog_read", description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--only", default="", help="comma-separated marketplaces (default: all four)")
    parser.add_argument("--speed", default="", help="e.g. yandex=20,uzum=5 (defaults: %s)" % ", ".join(
        f"{k}={v:g}" for k, v in DEFAULT_SPEED.items()))
    parser.add_argument("--timeout", type=float, default=300.0, help="real seconds allowed per reader")
    # Reader process (internal)
    parser.add_argument("--worker", choices=MARKETPLACES, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--idle", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        args.speed = float(args.speed)
        print(json.dumps(asyncio.run(read(args))), flush=True)
        return

    speeds = dict(DEFAULT_SPEED)
    for part in filter(None, (p.strip() for p in args.speed.split(","))):
        name, _, value = part.partition("=")
        speeds[name] = float(value)
    only = args.only.split(",") if args.only else list(MARKETPLACES)
    rows = []
    load_start = load_average()
    for marketplace in only:
        row = measure(marketplace, args, speeds[marketplace])
        rows.append(row)
        print(f"  {marketplace}: {row.get('status')} {row.get('products', 0):,} products, "
              f"{row.get('wall_real_s')} s, peak RSS {row.get('peak_rss_mb')} MB", file=sys.stderr, flush=True)

    info = machine()
    load = {"start": load_start, "end": load_average()}
    print(f"Catalog read: {args.products:,} products per marketplace through iter_listings(), sandbox in its own "
          f"process with limits enforced")
    print(machine_line(info, load) + "\n")
    print(table(
        ["marketplace", "speed", "products", "each once", "requests", "throttled", "wall real s", "wall mp s",
         "floor mp s", "products/s", "reader CPU s", "sandbox CPU s", "peak RSS MB", "idle RSS MB", "added MB",
         "sandbox RSS MB", "pass"],
        [[r["marketplace"], f"x{r['speed']:g}", r.get("products"), r.get("each_once"), r.get("requests"),
          r.get("throttled"), r.get("wall_real_s"), r.get("wall_s"), r.get("floor_s"), r.get("products_per_real_s"),
          r.get("reader_cpu_s"), r.get("sandbox_cpu_s"), r.get("peak_rss_mb"), r.get("idle_rss_mb"),
          r.get("added_rss_mb"), r.get("sandbox_rss_mb"), r["pass"]]
         for r in rows]))
    print("\n" + "\n".join(f"  {r['marketplace']}: limit {r.get('limit', '-')}" for r in rows))
    for r in rows:
        if r.get("status") in ("timeout", "failed"):
            print(f"  {r['marketplace']}: {r['status']} - {r['detail']}")
    print(f"\nGoal: peak RSS of the reading process < {GOAL_RSS_MB:g} MB, every product read exactly once.")
    emit({"benchmark": "catalog_read", "products": args.products, "machine": info, "load_average": load,
          "results": rows,
          "goal": {"peak_rss_mb_below": GOAL_RSS_MB}, "pass": bool(rows) and all(r["pass"] for r in rows)})


if __name__ == "__main__":
    main()
