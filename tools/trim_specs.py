#!/usr/bin/env python3
"""Trim the official marketplace specs to the operations the connectors call, into the repository's `specs/`.

    python tools/trim_specs.py [--source ../shared/specs] [--out specs]

`--source` holds the full copies (the layout of ../shared/specs, see its SOURCES.md); `--out` is rewritten:
its yandex/, ozon/ and wildberries/ folders are replaced, anything else in it (SOURCES.md, LICENSES.md) is left
alone.

What is kept, per spec file, is OPERATIONS below (plus WHOLE, copied as published). For each kept operation
the output has its path item (path-level servers and parameters included, the other methods dropped) and
everything it references, transitively:
- one-document specs (Ozon JSON, Wildberries YAML/JSON): the `#/components/<kind>/<name>` entries its
  `$ref`s name (a ref into a component, `#/components/schemas/X/properties/y`, keeps all of X), plus every
  security scheme; the other top-level keys are kept as they are, except `tags` / `x-tagGroups`, cut to the
  tags that kept operations use (tags are documentation: the Ozon swagger's tag texts alone are 0.47 MB);
- the split Yandex spec (openapi.yaml + one file per path item / component, relative refs): openapi.yaml
  with the kept paths, each kept path file (rewritten only when a method is dropped from it) and every file
  reachable from them by `$ref`, copied byte for byte.
So openapi-core validates a kept operation exactly as against the full copy.

Deterministic: the source order is kept, files are written in a fixed order with fixed formatting, no
dates or other run-dependent values are written; running it twice gives identical files. It fails (exit
1) if a listed operation is missing from the source.

Needs only the standard library and PyYAML.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "specs"
DEFAULT_OUT = ROOT / "specs"

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Folders of --out that this script owns (replaced on every run).
MANAGED = ("yandex", "ozon", "wildberries")

# Copied as published, every file (the Yandex webhook spec is 39 small files; bot/web.py serves it).
WHOLE: tuple[str, ...] = (
    "yandex/notification-api/openapi",
)

YANDEX = "yandex/partner-api/openapi/openapi.yaml"
OZON = "ozon/ozon-seller-api-swagger-en.json"
WB_RU = "wildberries/ru-yaml-2026-03-11"
WB_EN = "wildberries/en-json-2026-08-19"

# marketplace -> spec file (relative to --source) -> (METHOD, path template) kept.
# Recorded from a run of the whole suite (every operation tests.support.contract.find_operation resolved),
# checked against connectors/*/client.py and the sandbox routes, plus what the next issue (finance and
# analytics reports) will call.
# Documentation the unit tests read besides the kept operations, per one-document spec file: tags (the Ozon
# swagger publishes its push notification shapes as tag prose) and schemas (the posting statuses each
# connector's status table must cover).
DOCUMENTATION: dict[str, dict[str, tuple[str, ...]]] = {
    "ozon/ozon-seller-api-swagger-en.json": {
        "tags": ("push_start", "push_types", "service_response", "Environment", "Errors", "Process"),
        "schemas": ("v3FbsPosting", "v3FbsPostingDetail", "postingv3GetFbsPostingListRequestFilter",
                    "posting.v4.PostingFbsListResponse.Postings",
                    "posting.v4.PostingFbsUnfulfilledListResponse.Postings", "posting.v4.PostingFbsListRequest.Filter",
                    "posting.v3.PostingFboListResponse.Postings", "v2FboPosting", "v2FboPostingV2"),
    },
}

OPERATIONS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "yandex": {
        YANDEX: [
            # connection test: the key's campaigns, one campaign, the key's own info (sandbox getAuthTokenInfo)
            ("GET", "/v2/campaigns"),
            ("GET", "/v2/campaigns/{campaignId}"),
            ("POST", "/v2/auth/token"),
            ("POST", "/v2/businesses/{businessId}/settings"),
            ("POST", "/v2/businesses/{businessId}/warehouses"),
            # catalog: offer cards, stocks (read and write), prices (business and campaign level)
            ("POST", "/v2/businesses/{businessId}/offer-mappings"),
            ("POST", "/v2/campaigns/{campaignId}/offers/stocks"),
            ("PUT", "/v2/campaigns/{campaignId}/offers/stocks"),
            ("POST", "/v2/businesses/{businessId}/offer-prices/updates"),
            ("POST", "/v2/campaigns/{campaignId}/offer-prices/updates"),
            # orders: the business-level list (the GET campaign list is deprecated) and status changes
            ("POST", "/v1/businesses/{businessId}/orders"),
            ("PUT", "/v2/campaigns/{campaignId}/orders/{orderId}/status"),
            # sales reports: orders stats (sales), and per-SKU stats for the next issue's analytics
            ("POST", "/v2/campaigns/{campaignId}/stats/orders"),
            ("POST", "/v2/campaigns/{campaignId}/stats/skus"),
        ],
    },
    "ozon": {
        OZON: [
            # connection test: key roles, seller info, warehouses (/v1/warehouse/list is the outdated
            # one; a contract test shows the validator flags it, and it is resolved there)
            ("POST", "/v1/roles"),
            ("POST", "/v1/seller/info"),
            ("POST", "/v2/warehouse/list"),
            ("POST", "/v1/warehouse/list"),
            # catalog: product list, product info, stocks (read and write), prices
            ("POST", "/v3/product/list"),
            ("POST", "/v3/product/info/list"),
            ("POST", "/v4/product/info/stocks"),
            ("POST", "/v2/products/stocks"),
            ("POST", "/v1/product/import/prices"),
            # orders: FBS lists, one posting, ship, cancel; FBO list and one posting
            ("POST", "/v4/posting/fbs/unfulfilled/list"),
            ("POST", "/v4/posting/fbs/list"),
            ("POST", "/v3/posting/fbs/get"),
            ("POST", "/v4/posting/fbs/ship"),
            ("POST", "/v2/posting/fbs/cancel"),
            ("POST", "/v3/posting/fbo/list"),
            ("POST", "/v2/posting/fbo/get"),
            # sales and analytics (the connector's sales read; the next issue's analytics)
            ("POST", "/v1/analytics/data"),
            # finance, for the next issue: cash flow, transactions and their totals, the realization report
            ("POST", "/v1/finance/cash-flow-statement/list"),
            ("POST", "/v3/finance/transaction/list"),
            ("POST", "/v3/finance/transaction/totals"),
            ("POST", "/v1/finance/realization/posting"),
        ],
    },
    "wildberries": {
        # The ru YAMLs: what tests.support.contract validates against (full schemas).
        f"{WB_RU}/01-general.yaml": [
            # connection test: /ping (every category host answers it), seller info (common-api)
            ("GET", "/ping"),
            ("GET", "/api/v1/seller-info"),
        ],
        f"{WB_RU}/02-products.yaml": [
            # catalog: cards (content-api)
            ("POST", "/content/v2/get/cards/list"),
            # prices (discounts-prices-api): goods list, price upload and its task states
            ("GET", "/api/v2/list/goods/filter"),
            ("POST", "/api/v2/list/goods/filter"),
            ("POST", "/api/v2/upload/task"),
            ("GET", "/api/v2/history/tasks"),
            ("GET", "/api/v2/history/goods/task"),
            ("GET", "/api/v2/buffer/tasks"),
            # seller warehouses and their stocks (marketplace-api)
            ("GET", "/api/v3/warehouses"),
            ("POST", "/api/v3/stocks/{warehouseId}"),
            ("PUT", "/api/v3/stocks/{warehouseId}"),
        ],
        f"{WB_RU}/03-orders-fbs.yaml": [
            # FBS orders: new ones, the list, statuses, cancel
            ("GET", "/api/v3/orders/new"),
            ("GET", "/api/v3/orders"),
            ("POST", "/api/v3/orders/status"),
            ("PATCH", "/api/v3/orders/{orderId}/cancel"),
            # FBS supplies: create, list, one, add orders, hand over
            ("POST", "/api/v3/supplies"),
            ("GET", "/api/v3/supplies"),
            ("GET", "/api/v3/supplies/{supplyId}"),
            ("PATCH", "/api/marketplace/v3/supplies/{supplyId}/orders"),
            ("PATCH", "/api/v3/supplies/{supplyId}/deliver"),
        ],
        f"{WB_RU}/11-analytics.yaml": [
            # seller-analytics-api, for the next issue: the sales funnel per product (also keeps that host
            # in the spec index, which the contract tests check against WB_CATEGORY_HOSTS)
            ("POST", "/api/analytics/v3/sales-funnel/products"),
            ("POST", "/api/analytics/v3/sales-funnel/products/history"),
            ("POST", "/api/analytics/v3/sales-funnel/grouped/history"),
        ],
        f"{WB_RU}/12-reports.yaml": [
            # statistics-api: sales (the connector's sales read) and orders (next issue)
            ("GET", "/api/v1/supplier/sales"),
            ("GET", "/api/v1/supplier/orders"),
        ],
        f"{WB_RU}/13-finances.yaml": [
            # statistics-api, for the next issue: the realization report detail (not in the 2026-08-19
            # English docs any more, where /api/finance/v1/sales-reports/* replaces it)
            ("GET", "/api/v5/supplier/reportDetailByPeriod"),
        ],
        # The English JSONs (annotated with x-wb-rate-limits; deep schemas cut as "[MaxDepth]"): current paths
        # and limits of what the ru YAMLs of 2026-03-11 lack or may have changed. Not loaded by the tests yet.
        f"{WB_EN}/financial-reports-and-accounting.json": [
            # finance-api (host finance-api.wildberries.ru, category "finance"), for the next issue: sales reports
            ("POST", "/api/finance/v1/sales-reports/list"),
            ("POST", "/api/finance/v1/sales-reports/detailed"),
            ("POST", "/api/finance/v1/sales-reports/detailed/{reportId}"),
        ],
        f"{WB_EN}/reports.json": [
            # statistics-api: sales and orders, with their current limits
            ("GET", "/api/v1/supplier/sales"),
            ("GET", "/api/v1/supplier/orders"),
        ],
    },
}


def spec_files() -> list[str]:
    """Every spec file the trimmed copy holds an operation of (relative to --source / --out)."""
    return [file for files in OPERATIONS.values() for file in files]


def listed_operations() -> list[tuple[str, str, str, str]]:
    """(marketplace, file, METHOD, path) of every kept operation, in list order."""
    return [(mp, file, method, path) for mp, files in OPERATIONS.items()
            for file, ops in files.items() for method, path in ops]


# ------------------------------------------------------------------------------------- reading, writing
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_LOADER)


def dump(data: Any, suffix: str) -> str:
    """Fixed formatting: JSON indented by 2 (as the Ozon swagger is); YAML block style, source key order.

    The pure-Python dumper, not the C one, so the text does not depend on how PyYAML was built."""
    if suffix == ".json":
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        assert json.loads(text) == data
        return text
    text = yaml.dump(data, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=True, width=100_000,
                     default_flow_style=False)
    assert yaml.load(text, Loader=_LOADER) == data, "YAML round trip changed the data"
    return text


def walk_strings(node: Any, key: str | None = None):
    """(key, value) of every string in a tree; key is the dict key holding it (None in lists)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk_strings(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from walk_strings(v, None)
    elif isinstance(node, str):
        yield key, node


def kept_path_item(item: dict, methods: set[str], where: str) -> dict:
    """The path item with only `methods` (lower case) among its operations; other keys unchanged."""
    missing = methods - {k for k in item if k in HTTP_METHODS}
    if missing:
        raise LookupError(f"{where}: no {', '.join(sorted(m.upper() for m in missing))} in the source")
    return {k: v for k, v in item.items() if k not in HTTP_METHODS or k in methods}


def wanted_paths(ops: list[tuple[str, str]], paths: dict, where: str) -> dict[str, set[str]]:
    wanted: dict[str, set[str]] = {}
    for method, path in ops:
        if path not in paths:
            raise LookupError(f"{where}: path {path} is not in the source")
        wanted.setdefault(path, set()).add(method.lower())
    return wanted


def used_tags(paths: dict) -> set[str]:
    return {tag for item in paths.values() for k, op in item.items()
            if k in HTTP_METHODS and isinstance(op, dict) for tag in op.get("tags") or ()}


def trim_tags(document: dict, paths: dict, extra: tuple[str, ...] = ()) -> dict:
    tags = used_tags(paths) | set(extra)
    out = dict(document)
    if isinstance(document.get("tags"), list):
        out["tags"] = [t for t in document["tags"] if isinstance(t, dict) and t.get("name") in tags]
    if isinstance(document.get("x-tagGroups"), list):
        groups = [{**g, "tags": [t for t in g.get("tags") or () if t in tags]} for g in document["x-tagGroups"]]
        out["x-tagGroups"] = [g for g in groups if g["tags"]]
    return out


# ------------------------------------------------------------------------------- one-document specs
def trim_document(document: dict, ops: list[tuple[str, str]], where: str) -> dict:
    """An Ozon / Wildberries spec with only `ops` and the components they reach (plus DOCUMENTATION's)."""
    source_paths = document.get("paths") or {}
    wanted = wanted_paths(ops, source_paths, where)
    paths = {p: kept_path_item(item, wanted[p], f"{where} {p}") for p, item in source_paths.items() if p in wanted}

    components = document.get("components") or {}
    documentation = DOCUMENTATION.get(where, {})
    extra_schemas = [name for name in documentation.get("schemas", ()) if name in (components.get("schemas") or {})]
    if len(extra_schemas) != len(documentation.get("schemas", ())):
        raise LookupError(f"{where}: a DOCUMENTATION schema is not in the source")
    keep: dict[str, set[str]] = {"securitySchemes": set(components.get("securitySchemes") or {}),
                                 "schemas": set(extra_schemas)}
    todo = [paths] + [components["schemas"][name] for name in extra_schemas] + \
        [v for k, v in document.items() if k not in ("paths", "components")]
    while todo:
        node = todo.pop()
        for key, value in walk_strings(node):
            # $refs, and discriminator mappings (strings naming a component)
            if not value.startswith("#/"):
                continue
            if key != "$ref" and not value.startswith("#/components/"):
                continue
            parts = value[2:].split("/")
            if parts[0] != "components" or len(parts) < 3:
                raise ValueError(f"{where}: unsupported reference {value!r}")
            kind, name = parts[1], parts[2].replace("~1", "/").replace("~0", "~")
            if name not in (components.get(kind) or {}):
                raise LookupError(f"{where}: dangling reference {value!r}")
            if name not in keep.setdefault(kind, set()):
                keep[kind].add(name)
                todo.append(components[kind][name])

    out: dict[str, Any] = {}
    for key, value in trim_tags(document, paths, documentation.get("tags", ())).items():
        if key == "paths":
            out[key] = paths
        elif key == "components":
            out[key] = {kind: {n: v for n, v in entries.items() if n in keep.get(kind, ())}
                        for kind, entries in value.items()}
            out[key] = {kind: entries for kind, entries in out[key].items() if entries}
        else:
            out[key] = value
    return out


# --------------------------------------------------------------------------------- the split Yandex
def trim_split(root: Path, ops: list[tuple[str, str]], where: str) -> dict[Path, bytes]:
    """{relative path: content} of the trimmed split spec whose entry point is `root`."""
    base = root.parent
    entry = load(root)
    source_paths = entry.get("paths") or {}
    wanted = wanted_paths(ops, source_paths, where)
    files: dict[Path, bytes] = {}
    todo: list[tuple[Path, Any]] = []  # (file the node is in, node) whose refs are still to follow

    paths = {}
    for pattern, item in source_paths.items():
        if pattern not in wanted:
            continue
        paths[pattern] = item
        ref = item.get("$ref") if isinstance(item, dict) else None
        if ref is None:  # an inline path item: trimmed in openapi.yaml itself
            paths[pattern] = kept_path_item(item, wanted[pattern], f"{where} {pattern}")
            todo.append((root, paths[pattern]))
            continue
        file = (root.parent / ref.partition("#")[0]).resolve()
        if "#" in ref:
            raise ValueError(f"{where}: path {pattern} refers into a file ({ref}); not supported")
        data = load(file)
        kept = kept_path_item(data, wanted[pattern], f"{where} {pattern}")
        rel = file.relative_to(base.resolve())
        # the file as published when nothing is dropped from it; else the kept part
        files[rel] = file.read_bytes() if kept == data else dump(kept, file.suffix).encode("utf-8")
        todo.append((file, kept))

    document = {k: (paths if k == "paths" else v) for k, v in trim_tags(entry, paths).items()}
    files[Path(root.name)] = dump(document, root.suffix).encode("utf-8")
    todo += [(root, v) for k, v in document.items() if k != "paths"]

    while todo:
        here, node = todo.pop()
        for key, value in walk_strings(node):
            if key != "$ref" or value.startswith("#"):
                continue
            file = (here.parent / value.partition("#")[0]).resolve()
            rel = file.relative_to(base.resolve())
            if rel in files:
                continue
            if not file.is_file():
                raise LookupError(f"{where}: {here.name} refers to a missing file {value}")
            files[rel] = file.read_bytes()  # component files are copied whole, byte for byte
            todo.append((file, load(file)))
    return files


# ------------------------------------------------------------------------------------------ the run
def trim(source: Path, out: Path) -> list[tuple[str, int, int, int]]:
    """Writes the trimmed copies; returns (spec, kept operations, files, bytes) per spec."""
    outputs: dict[Path, bytes] = {}  # relative to out
    report = []
    for files in OPERATIONS.values():
        for name, ops in files.items():
            src = source / name
            if not src.is_file():
                raise FileNotFoundError(f"{src}: not found (is --source the full copies' folder?)")
            if name == YANDEX:
                written = {Path(name).parent / rel: data for rel, data in trim_split(src, ops, name).items()}
            else:
                data = dump(trim_document(load(src), ops, name), src.suffix).encode("utf-8")
                written = {Path(name): data}
            outputs.update(written)
            report.append((name, len(ops), len(written), sum(len(d) for d in written.values())))
    for folder in WHOLE:
        copied = {p.relative_to(source): p.read_bytes() for p in sorted((source / folder).rglob("*")) if p.is_file()}
        if not copied:
            raise FileNotFoundError(f"{source / folder}: no files")
        outputs.update(copied)
        report.append((folder + "/ (whole)", 0, len(copied), sum(len(d) for d in copied.values())))

    for folder in MANAGED:
        shutil.rmtree(out / folder, ignore_errors=True)
    for rel in sorted(outputs):
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(outputs[rel])
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help=f"folder of the full spec copies (default {DEFAULT_SOURCE})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    try:
        report = trim(args.source, args.out)
    except (LookupError, FileNotFoundError, ValueError) as exc:
        print(f"trim_specs: {exc}", file=sys.stderr)
        return 1
    width = max(len(name) for name, *_ in report)
    print(f"{'spec':<{width}}  operations  files      bytes")
    for name, ops, files, size in report:
        print(f"{name:<{width}}  {ops or '-':>10}  {files:>5}  {size:>9,}")
    total_files = sum(files for _, _, files, _ in report)
    total_bytes = sum(size for *_, size in report)
    print(f"{'total':<{width}}  {sum(ops for _, ops, _, _ in report):>10}  {total_files:>5}  {total_bytes:>9,}")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
