"""Contract checks: every connector request and every reply against the official specs.

Use it as the transport of any connector in a test:

    transport = SpecValidatingTransport(Marketplace.OZON, inner=httpx.MockTransport(handler))
    client = build_client(Marketplace.OZON, creds, transport=transport)
    ...
    assert transport.calls == [("POST", "/v1/roles", 200), ...]

Each request is checked for (1) an OUTDATED endpoint (MARKETPLACES.md, "Outdated endpoints to avoid"),
(2) the marketplace's auth headers (openapi-core skips some schemes, e.g. Yandex's Api-Key), (3) the
spec: path + method exist, not deprecated, parameters and body valid, no body where the spec has none.
Each reply is validated against the documented response for its status. Uzum has no spec: its calls
are checked against UZUM_ENDPOINTS, the table of MARKETPLACES.md §1.2.

`strict=True` raises AssertionError at the first bad call (the connector sees it, the test fails);
`strict=False` collects messages in `.violations`.

Specs are parsed once per process (module-level caches); openapi-core resolves the Yandex split
$refs lazily from a file:// base URI, so only the files a test touches are read.
"""
from __future__ import annotations

import copy
import functools
import json
import os
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import yaml
from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.deserializing.media_types.util import json_loads
from openapi_core.templating.responses.exceptions import ResponseNotFound
from werkzeug.datastructures import Headers, ImmutableMultiDict

from connectors import default_base_url
from connectors.base import Marketplace

# The repository's trimmed copies (tools/trim_specs.py, specs/SOURCES.md); SCX_SPECS_DIR may point at the full
# copies instead (same layout).
SPECS_DIR = Path(os.environ.get("SCX_SPECS_DIR") or Path(__file__).resolve().parents[2] / "specs")
YANDEX_SPEC = SPECS_DIR / "yandex" / "partner-api" / "openapi" / "openapi.yaml"
OZON_SPEC = SPECS_DIR / "ozon" / "ozon-seller-api-swagger-en.json"
WB_SPEC_DIR = SPECS_DIR / "wildberries" / "ru-yaml-2026-03-11"  # full schemas (the en-json cuts them)
# The en JSONs, for the paths the ru YAMLs lack (finance-api's sales reports): their schemas cut off as
# "[MaxDepth]" accept anything (only what the spec still holds is checked).
WB_EN_SPEC_DIR = SPECS_DIR / "wildberries" / "en-json-2026-08-19"

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# All requests are validated as if sent to this host; the real base URL is stripped first.
_SPEC_HOST = "http://contract.local"


# ------------------------------------------------------------------------------ outdated endpoints
@dataclass(frozen=True)
class OutdatedEndpoint:
    marketplace: Marketplace
    method: str | None  # None = any method
    path: str  # regex, searched in the path after the base URL and in the URL's full path
    use_instead: str
    host: str | None = None  # regex on the URL's host (WB's retired hosts)


# From MARKETPLACES.md: "Outdated endpoints to avoid" of each marketplace (plus deprecations it lists).
OUTDATED_ENDPOINTS: tuple[OutdatedEndpoint, ...] = (
    # Uzum §1.5: the original note's /api/seller/* paths (with Bearer) are all wrong.
    OutdatedEndpoint(Marketplace.UZUM, None, r"^/api/seller/(products|orders|stock|analytics|profile)\b",
                     "…/api/seller-openapi + /v1/product/shop/{shopId}, /v2/fbs/orders, /v2/fbs/sku/stocks, "
                     "/v1/finance/orders, /v1/shops"),
    # Yandex §2.5 / §2.2
    OutdatedEndpoint(Marketplace.YANDEX, None, r"/campaigns/[^/]+/offer-mapping-entries",
                     "POST /v2/businesses/{businessId}/offer-mappings (removed 12 Mar 2026)"),
    OutdatedEndpoint(Marketplace.YANDEX, None, r"^/(campaigns|businesses)(/|$)",
                     "a version prefix: /v1/… or /v2/… (unversioned calls are being switched off)"),
    OutdatedEndpoint(Marketplace.YANDEX, "GET", r"^/v2/campaigns/[^/]+/orders/?$",
                     "POST /v1/businesses/{businessId}/orders (GET list deprecated 17 Dec 2025)"),
    OutdatedEndpoint(Marketplace.YANDEX, "GET", r"^/v2/businesses/[^/]+/warehouses/?$",
                     "POST /v2/businesses/{businessId}/warehouses"),
    # Wildberries §3.6
    OutdatedEndpoint(Marketplace.WILDBERRIES, None, r"", "per-category hosts (§3.1)",
                     host=r"^(openapi|suppliers-api)\.wildberries\.ru$"),
    OutdatedEndpoint(Marketplace.WILDBERRIES, None, r"^/content/v1/cards/list",
                     "POST content-api…/content/v2/get/cards/list"),
    OutdatedEndpoint(Marketplace.WILDBERRIES, None, r"^/public/api/v1/info",
                     "GET discounts-prices-api…/api/v2/list/goods/filter"),
    OutdatedEndpoint(Marketplace.WILDBERRIES, "PATCH", r"^/api/v3/supplies/[^/]+/orders/[^/]+$",
                     "PATCH /api/marketplace/v3/supplies/{supplyId}/orders"),
    # Ozon §4.5
    OutdatedEndpoint(Marketplace.OZON, None, r"^/v2/product/list$", "POST /v3/product/list"),
    OutdatedEndpoint(Marketplace.OZON, None, r"^/v3/posting/fbs/list$", "POST /v4/posting/fbs/list"),
    OutdatedEndpoint(Marketplace.OZON, None, r"^/v3/posting/fbs/unfulfilled/list$",
                     "POST /v4/posting/fbs/unfulfilled/list"),
    OutdatedEndpoint(Marketplace.OZON, None, r"^/v2/posting/fbo/list$", "POST /v3/posting/fbo/list"),
    OutdatedEndpoint(Marketplace.OZON, None, r"^/v1/product/import$", "POST /v3/product/import"),
    OutdatedEndpoint(Marketplace.OZON, None, r"^/v1/product/info/stocks$", "POST /v4/product/info/stocks"),
    OutdatedEndpoint(Marketplace.OZON, None, r"^/v1/warehouse/list$", "POST /v2/warehouse/list"),
)


def outdated_endpoint(marketplace: Marketplace, method: str, url: httpx.URL, path: str | None = None) -> str | None:
    """A message if this request hits an outdated endpoint, else None."""
    for rule in OUTDATED_ENDPOINTS:
        if rule.marketplace != marketplace or (rule.method and rule.method != method.upper()):
            continue
        if rule.host and not re.search(rule.host, url.host):
            continue
        candidates = [p for p in (path, url.path) if p is not None]
        if any(re.search(rule.path, p) for p in candidates):
            return f"outdated endpoint {method} {path or url.path}: use {rule.use_instead}"
    return None


def _outdated_body(marketplace: Marketplace, method: str, path: str, body: Any) -> str | None:
    # WB §3.6: stock items keyed by `sku` (barcode) were switched off on 9 Feb 2026; `chrtId` now.
    if marketplace == Marketplace.WILDBERRIES and re.match(r"^/api/v3/stocks/[^/]+$", path) and method == "PUT":
        stocks = body.get("stocks") if isinstance(body, dict) else None
        if isinstance(stocks, list) and any(isinstance(s, dict) and "sku" in s for s in stocks):
            return "outdated WB stock body: items keyed by `sku`; use `chrtId`"
    return None


# ----------------------------------------------------------------------------------- Uzum table
# MARKETPLACES.md §1.2 (UNCONFIRMED, third-party code): the only Uzum calls a connector may make.
UZUM_ENDPOINTS: tuple[tuple[str, str], ...] = (
    ("GET", r"^/v1/shops$"),
    ("GET", r"^/v1/product/shop/[^/]+$"),
    ("GET", r"^/v2/(fbs|dbs)/sku/stocks$"),
    ("POST", r"^/v2/(fbs|dbs)/sku/stocks$"),
    ("POST", r"^/v1/product/[^/]+/sendPriceData$"),
    ("GET", r"^/v2/fbs/orders$"),
    ("GET", r"^/v2/fbs/orders/count$"),
    ("GET", r"^/v1/fbs/order/return-reasons$"),
    ("GET", r"^/v1/fbs/order/[^/]+$"),
    ("POST", r"^/v1/fbs/order/[^/]+/(confirm|cancel)$"),
    ("GET", r"^/v1/fbs/order/[^/]+/labels/print$"),
    ("GET", r"^/v1/finance/(orders|expenses)$"),
    ("GET", r"^/v1/shop/[^/]+/invoice(/products)?$"),
    ("GET", r"^/v1/(invoice|return)$"),
    ("GET", r"^/v1/shop/[^/]+/return(/[^/]+)?$"),
)


def _uzum_problem(method: str, path: str) -> str | None:
    if any(m == method.upper() and re.match(rx, path) for m, rx in UZUM_ENDPOINTS):
        return None
    return f"uzum: {method} {path} is not in the known endpoint table (MARKETPLACES.md §1.2)"


# ------------------------------------------------------------------------------------ spec loading
_CONFIG = Config(
    spec_validator_cls=None,  # the official files are not perfectly valid OpenAPI; we validate traffic
    extra_media_type_deserializers={"application/problem+json": json_loads},  # WB auth / limit errors
)


def _app(data: dict, base_uri: str = "") -> OpenAPI:
    # Servers become "/" so a request to any host matches once its base URL is stripped.
    data = {**data, "servers": [{"url": "/"}]}
    return OpenAPI.from_dict(data, config=_CONFIG, base_uri=base_uri)


# Known deviations of the official spec files, handled here and nowhere else (each with a test in the suite
# of its marketplace): the Yandex spec is split over 1,000 files that openapi-core would re-read for every
# reference of every item, so it is bundled into one document (same schemas); the Ozon swagger writes
# format *hints* as JSON-schema `pattern`s (" YYYY-MM-DDThh:mm:ssZ" on posting-list dates, " +7(XXX)..."
# on phones) that no real value matches, so exactly those patterns are dropped.
def bundle_yandex_spec(root: Path) -> dict:
    """The split spec as one document: each file (or file fragment) a $ref names is copied once under
    `x-bundle` and the $ref points there, so references resolve in memory. The schemas are unchanged."""
    loader = _LOADER
    bundle: dict[str, Any] = {}

    @functools.cache
    def load(path: Path) -> Any:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)

    def walk(node: Any, here: Path) -> Any:
        if isinstance(node, list):
            return [walk(item, here) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if not isinstance(ref, str) or ref.startswith("#"):  # the split files hold no internal refs
            return {key: walk(value, here) for key, value in node.items()}
        file, _, fragment = ref.partition("#")
        target = (here.parent / file).resolve()
        key = f"{target.relative_to(root.parent.resolve())}#{fragment}"
        if key not in bundle:
            bundle[key] = {}  # claimed first: recursive schemas (RegionDTO.parent) point back at themselves
            value = load(target)
            for part in filter(None, fragment.split("/")):
                value = value[part]
            bundle[key] = walk(value, target)
        return {"$ref": "#/x-bundle/" + key.replace("~", "~0").replace("/", "~1")}

    document = walk(load(root.resolve()), root.resolve())
    return {**document, "x-bundle": bundle}


def is_format_hint(pattern: object) -> bool:
    return isinstance(pattern, str) and ("YYYY" in pattern or "XXX" in pattern)


def without_format_hints(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: without_format_hints(v) for k, v in node.items() if not (k == "pattern" and is_format_hint(v))}
    if isinstance(node, list):
        return [without_format_hints(v) for v in node]
    return node


def yandex_split_spec() -> OpenAPI:
    """The spec as published (split files, resolved lazily): only to show the bundle changes no verdict."""
    data = yaml.load(YANDEX_SPEC.read_text(encoding="utf-8"), Loader=_LOADER)
    return _app(data, base_uri=YANDEX_SPEC.as_uri())


@functools.cache
def yandex_spec() -> OpenAPI:
    return _app(bundle_yandex_spec(YANDEX_SPEC))


def ozon_raw_spec() -> dict:
    return json.loads(OZON_SPEC.read_text(encoding="utf-8"))


@functools.cache
def ozon_spec() -> OpenAPI:
    return _app(without_format_hints(ozon_raw_spec()))


# Host names of WB categories: `https://<category>-api.wildberries.ru` (and -api-sandbox).
_WB_HOST = re.compile(r"^https://(?P<category>[a-z0-9-]+?)-api(?:-sandbox)?\.wildberries\.ru/?$")


def _without_servers(item: dict) -> dict:
    item = {k: v for k, v in item.items() if k != "servers"}
    for key, op in list(item.items()):
        if isinstance(op, dict) and "servers" in op:
            item[key] = {k: v for k, v in op.items() if k != "servers"}
    return item


@functools.cache
def wb_specs() -> dict[str, list[OpenAPI]]:
    """Category host -> the spec documents holding its paths (each WB file has path-level servers).

    `/ping` is documented once (on common-api) but every category host answers it, so it is indexed
    under the key "*".
    """
    by_category: dict[str, list[OpenAPI]] = {}
    in_ru: set[tuple[str, str]] = set()
    for file in sorted(WB_SPEC_DIR.glob("*.yaml")):
        data = yaml.load(file.read_text(encoding="utf-8"), Loader=_LOADER)
        grouped: dict[str, dict[str, dict]] = {}
        for path, item in (data.get("paths") or {}).items():
            servers = item.get("servers") or data.get("servers") or []
            for server in servers:
                match = _WB_HOST.match(server.get("url", ""))
                if match:
                    category = "*" if path == "/ping" else match["category"]
                    grouped.setdefault(category, {})[path] = _without_servers(item)
        for category, paths in grouped.items():
            by_category.setdefault(category, []).append(_app({**data, "paths": paths}))
            in_ru |= {(category, path) for path in paths}
    for file in sorted(WB_EN_SPEC_DIR.glob("*.json")):
        data = _uncut(json.loads(file.read_text(encoding="utf-8")))
        grouped = {}
        for path, item in (data.get("paths") or {}).items():
            for server in item.get("servers") or data.get("servers") or []:
                match = _WB_HOST.match(server.get("url", ""))
                if match and (match["category"], path) not in in_ru:
                    grouped.setdefault(match["category"], {})[path] = _without_servers(item)
        for category, paths in grouped.items():
            by_category.setdefault(category, []).append(_app({**data, "paths": paths}))
    return by_category


def _uncut(node: Any) -> Any:
    """The en JSON with each schema cut off as "[MaxDepth]" made an empty (any-value) schema."""
    if isinstance(node, dict):
        return {key: {} if value == "[MaxDepth]" else _uncut(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_uncut(value) for value in node]
    return node


def _candidates(marketplace: Marketplace, path: str, category: str | None) -> list[OpenAPI]:
    if marketplace == Marketplace.YANDEX:
        return [yandex_spec()]
    if marketplace == Marketplace.OZON:
        return [ozon_spec()]
    if marketplace == Marketplace.WILDBERRIES:
        specs = wb_specs()
        if path == "/ping":
            return specs.get("*", [])
        return specs.get(category or "", [])
    return []


@dataclass(frozen=True)
class _Found:
    app: OpenAPI
    operation: SchemaPath
    path_item: SchemaPath
    pattern: str  # the spec's path template, e.g. /v2/campaigns/{campaignId}
    variables: dict[str, str]


@functools.cache
def _routes(app: OpenAPI) -> list[tuple[re.Pattern[str], str, list[str]]]:
    """Exact matchers for the spec's path templates, concrete paths first.

    openapi-core's own finder matches by suffix (`/x/v2/campaigns` would match `/v2/campaigns`), which
    would hide a wrong base URL; here a path matches a template only as a whole.
    """
    routes = []
    for pattern in (app.spec / "paths").str_keys():
        names = re.findall(r"\{([^}]+)\}", pattern)
        literal = re.split(r"\{[^}]+\}", pattern)
        regex = "([^/]+)".join(re.escape(part) for part in literal)
        routes.append((re.compile(f"^{regex}$"), pattern, names))
    routes.sort(key=lambda route: len(route[2]))
    return routes


def find_operation(marketplace: Marketplace, method: str, path: str, category: str | None = None) -> _Found:
    """The spec operation for (method, path); LookupError with a readable reason if there is none."""
    for app in _candidates(marketplace, path, category):
        for regex, pattern, names in _routes(app):
            match = regex.match(path)
            if not match:
                continue
            item = app.spec / "paths" / pattern
            if method.lower() not in item.str_keys():
                continue
            return _Found(app, item / method.lower(), item, pattern, dict(zip(names, match.groups())))
    where = f" on host {category!r}" if category else ""
    raise LookupError(f"{marketplace}: {method.upper()} {path}{where} is not in the official spec")


# -------------------------------------------------------------------------------- openapi adapters
class _Request:
    """openapi-core's Request protocol (with the path already matched: `path_pattern` + variables)."""

    def __init__(self, method: str, found: _Found, query: Iterable[tuple[str, str]] = (), headers: Any = (),
                 body: bytes | None = None, content_type: str = ""):
        self.host_url = _SPEC_HOST
        self.path = found.pattern.format(**found.variables)
        self.path_pattern = found.pattern
        self.method = method.lower()
        self.body = body or None
        self.content_type = content_type
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(query)),
            header=Headers(list(headers)),
            cookie=ImmutableMultiDict(),
            path=found.variables,
        )


class _Response:
    def __init__(self, status: int, headers: Iterable[tuple[str, str]], body: bytes | None):
        self.status_code = status
        self.headers = Headers(list(headers))
        self.content_type = self.headers.get("content-type", "")
        self.data = body


def _describe(exc: BaseException) -> str:
    """openapi-core errors carry the useful part (the schema errors) somewhere in their cause chain."""
    parts = [f"{type(exc).__name__}: {exc}".rstrip(": ")[:160]]
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for err in getattr(current, "schema_errors", ()) or ():
            where = "/".join(str(p) for p in err.absolute_path)
            parts.append(f"{where or '<root>'}: {err.message}"[:300])
        current = current.__cause__ or current.__context__
    return "; ".join(parts)


# Replies whose status the spec does not document but which are not our contract violation.
# 5xx: any server can fail; the connectors' retry/mapping is tested with them.
# Ozon 429: UNCONFIRMED rate-limit status (MARKETPLACES.md §4.3); the spec documents texts only.
TOLERATED_UNDOCUMENTED: dict[Marketplace, frozenset[int]] = {
    Marketplace.OZON: frozenset({429}),
}


def _tolerated(marketplace: Marketplace, status: int) -> bool:
    return status >= 500 or status in TOLERATED_UNDOCUMENTED.get(marketplace, frozenset())


def _response_problems(found: _Found, marketplace: Marketplace, method: str, path: str, status: int,
                       headers: Iterable[tuple[str, str]], body: bytes | None) -> list[str]:
    request = _Request(method, found)
    try:
        found.app.validate_response(request, _Response(status, headers, body))
    except ResponseNotFound:
        if _tolerated(marketplace, status):
            return []
        return [f"{marketplace}: {method.upper()} {path} -> {status}: status not documented in the spec"]
    except Exception as exc:  # openapi-core raises one error class per problem kind
        if isinstance(exc.__cause__, ResponseNotFound) and _tolerated(marketplace, status):
            return []
        return [f"{marketplace}: {method.upper()} {path} -> {status}: reply violates the spec: {_describe(exc)}"]
    return []


def validate_spec_response(marketplace: Marketplace | str, method: str, path: str, status: int,
                           headers: dict[str, str] | Iterable[tuple[str, str]] | None = None,
                           body: Any = None, *, category: str | None = None) -> list[str]:
    """Check one reply (e.g. from the sandbox) against the official spec. Returns problems; [] = valid.

    `path` is the spec path with real values (`/v2/campaigns/123`); for Wildberries pass `category` (the
    host's name before `-api`, e.g. "marketplace"). `body`: bytes, str, or any JSON-able value.
    """
    marketplace = Marketplace(marketplace)
    if marketplace == Marketplace.UZUM:
        problem = _uzum_problem(method, path)
        return [problem] if problem else []
    header_items = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        if not any(k.lower() == "content-type" for k, _ in header_items):
            header_items.append(("Content-Type", "application/json"))
    raw = body.encode() if isinstance(body, str) else body
    try:
        found = find_operation(marketplace, method, path, category)
    except LookupError as exc:
        return [str(exc)]
    return _response_problems(found, marketplace, method, path, status, header_items, raw)


# ------------------------------------------------------------------------------------ spec examples
# Where an official example contradicts its own schema, the correction lives here, with the reason.
# Tests show both: the raw example fails the schema, the fixed one passes.
SPEC_EXAMPLE_FIXES: dict[tuple[Marketplace, str, str, int], Callable[[Any], Any]] = {
    # Ozon swagger: v2WarehouseListV2Response.has_next is `boolean`, the example says "string".
    (Marketplace.OZON, "POST", "/v2/warehouse/list", 200): lambda ex: {**ex, "has_next": False},
    # Ozon swagger: /v1/seller/info's example uses display texts where the schema has enums
    # (tax_system "OSNO (General Taxation System)", rating status "Active", value_type "Quantitative",
    # subscription type "Professional"). The enum values are what a parser must accept.
    (Marketplace.OZON, "POST", "/v1/seller/info", 200): lambda ex: {
        **ex,
        "company": {**ex["company"], "tax_system": "OSNO"},
        "ratings": [{**r, "status": "OK", "value_type": "INDEX"} for r in ex["ratings"]],
        "subscription": {**ex["subscription"], "type": "PREMIUM"},
    },
}


def _read(node: SchemaPath) -> Any:
    with node.open() as value:
        return copy.deepcopy(value)


def synthesize(schema: SchemaPath, depth: int = 0) -> Any:
    """A value for `schema` built from its `example`s, enums and types (for specs without examples)."""
    keys = set(schema.str_keys())
    if "example" in keys:
        return _read(schema / "example")
    if depth > 10:
        return None
    if "allOf" in keys:
        merged: dict = {}
        for part in _items(schema / "allOf"):
            value = synthesize(part, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    for key in ("oneOf", "anyOf"):
        if key in keys:
            return synthesize(_items(schema / key)[0], depth + 1)
    if "enum" in keys:
        return _read(schema / "enum")[0]
    kind = _read(schema / "type") if "type" in keys else ("object" if "properties" in keys else None)
    if kind == "object":
        props = schema / "properties"
        return {name: synthesize(prop, depth + 1) for name, prop in props.str_items()} if "properties" in keys else {}
    if kind == "array":
        return [synthesize(schema / "items", depth + 1)] if "items" in keys else []
    if kind == "integer":
        return _read(schema / "minimum") if "minimum" in keys else 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "string":
        fmt = _read(schema / "format") if "format" in keys else None
        return {"date-time": "2026-01-15T10:00:00Z", "date": "2026-01-15", "uuid": "0b1e6a3c-9c1f-4c52-8a11-1f0c1d2e3f40"}.get(fmt, "string")
    return None


def _items(node: SchemaPath) -> list[SchemaPath]:
    count = len(_read(node))
    return [node / index for index in range(count)]


def spec_example(marketplace: Marketplace | str, method: str, path: str, status: int = 200, *,
                 category: str | None = None, fixed: bool = True) -> Any:
    """The official example of a reply (media `example`/`examples`, else synthesized from the schema)."""
    marketplace = Marketplace(marketplace)
    found = find_operation(marketplace, method, path, category)
    responses = found.operation / "responses"
    response = responses / str(status) if str(status) in responses.str_keys() else responses / "default"
    content = response / "content"
    media_type = next(mt for mt in content.str_keys() if "json" in mt)
    media = content / media_type
    keys = media.str_keys()
    if "example" in keys:
        value = _read(media / "example")
    elif "examples" in keys:
        first = next(iter((media / "examples").str_keys()))
        value = _read(media / "examples" / first / "value")
    else:
        value = synthesize(media / "schema")
    fix = SPEC_EXAMPLE_FIXES.get((marketplace, method.upper(), found.pattern, status))
    return fix(value) if fixed and fix else value


# ------------------------------------------------------------------------------------- auth checks
def _auth_problems(marketplace: Marketplace, request: httpx.Request) -> list[str]:
    h = request.headers
    problems: list[str] = []

    def need(name: str) -> str:
        value = h.get(name, "")
        if not value.strip():
            problems.append(f"{marketplace}: missing auth header {name}")
        return value

    if marketplace == Marketplace.UZUM:
        value = need("Authorization")
        if value.startswith("OAuth"):
            problems.append("uzum: Authorization must be the raw token (or Bearer fallback), not OAuth")
        secrets = [value.removeprefix("Bearer ")]
    elif marketplace == Marketplace.YANDEX:
        value = need("Api-Key")
        if value.startswith(("Bearer ", "OAuth")):
            problems.append("yandex: Api-Key must be sent as issued, without a prefix")
        if h.get("Authorization", "").startswith("OAuth"):
            problems.append("yandex: outdated `Authorization: OAuth` header")
        secrets = [value]
    elif marketplace == Marketplace.WILDBERRIES:
        value = need("Authorization")
        if value.startswith("Bearer "):
            problems.append("wildberries: Authorization must be the JWT without a prefix")
        if "x-api-key" in h:
            problems.append("wildberries: outdated x-api-key header; use Authorization")
        secrets = [value]
    else:
        secrets = [need("Client-Id"), need("Api-Key")]
    # Keys only in headers: never in the URL (checked raw and percent-decoded).
    url = str(request.url) + " " + unquote(str(request.url))
    for secret in secrets:
        if len(secret) >= 6 and secret in url:
            problems.append(f"{marketplace}: a credential appears in the URL")
    return problems


# -------------------------------------------------------------------------------------- transport
@dataclass(frozen=True)
class CallRecord:
    method: str
    path: str  # after the base URL, as in the spec
    status: int  # 0 when no reply came (timeout, connection error)
    category: str | None  # Wildberries host category
    url: str


def _base_pattern(base_url: str) -> re.Pattern[str]:
    escaped = re.escape(base_url.rstrip("/"))
    escaped = escaped.replace(re.escape("{category}"), r"(?P<category>[a-z0-9-]+?)")
    return re.compile(f"^{escaped}(?P<path>/.*)?$")


class SpecValidatingTransport(httpx.AsyncBaseTransport):
    """Wraps a real transport and checks every call against the marketplace's official contract.

    `base_url` (a WB template may hold `{category}`) is stripped from each URL to get the spec path;
    a request outside it is a violation. Without `base_url`, production URLs are recognised and any
    other URL (a sandbox behind some prefix) is mapped by the longest path suffix the contract knows,
    with the WB category taken from the segment before it (`…/wb/marketplace/api/v3/warehouses`).
    """

    def __init__(self, marketplace: Marketplace | str, inner: httpx.AsyncBaseTransport | None = None,
                 strict: bool = True, *, base_url: str | None = None, check_auth: bool = True):
        self.marketplace = Marketplace(marketplace)
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.strict = strict
        self.check_auth = check_auth
        self.base_url = base_url
        self._base = _base_pattern(base_url or default_base_url(self.marketplace))
        self.violations: list[str] = []
        self.records: list[CallRecord] = []

    async def aclose(self) -> None:
        await self.inner.aclose()

    @property
    def calls(self) -> list[tuple[str, str, int]]:
        return [(r.method, r.path, r.status) for r in self.records]

    def _report(self, problems: list[str]) -> None:
        if not problems:
            return
        self.violations.extend(problems)
        if self.strict:
            raise AssertionError("contract violation:\n  " + "\n  ".join(problems))

    def _locate(self, method: str, url: httpx.URL, bare: str) -> tuple[str, str | None] | None:
        """(spec path, WB category) of a URL, or None when it cannot be mapped."""
        match = self._base.match(bare)
        if match:
            return match["path"] or "/", match.groupdict().get("category")
        if self.base_url is not None:
            return None
        wb = self.marketplace == Marketplace.WILDBERRIES
        host = _WB_HOST.match(f"{url.scheme}://{url.host}") if wb else None
        segments = url.path.strip("/").split("/")
        for start in range(len(segments)):
            path = "/" + "/".join(segments[start:])
            category = host["category"] if host else (segments[start - 1] if wb and start else None)
            if self._known(method, path, category) or outdated_endpoint(self.marketplace, method, url, path):
                return path, category
        return None

    def _known(self, method: str, path: str, category: str | None) -> bool:
        if self.marketplace == Marketplace.UZUM:
            return _uzum_problem(method, path) is None
        try:
            find_operation(self.marketplace, method, path, category)
        except LookupError:
            return False
        return True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        method = request.method
        url = request.url
        bare = f"{url.scheme}://{url.netloc.decode('ascii')}{url.path}"
        located = self._locate(method, url, bare)
        path, category = located if located else (url.path, None)

        problems: list[str] = []
        outdated = outdated_endpoint(self.marketplace, method, url, path if located else None)
        if outdated:
            problems.append(f"{self.marketplace}: {outdated}")
        if located is None:
            where = f"outside the base URL {self.base_url}" if self.base_url else "not mappable to the spec"
            problems.append(f"{self.marketplace}: request {where}: {method} {bare}")
        if self.check_auth:
            problems += _auth_problems(self.marketplace, request)

        found: _Found | None = None
        if located and not outdated:
            more, found = self._request_problems(method, path, category, request)
            problems += more
        self._report(problems)

        try:
            response = await self.inner.handle_async_request(request)
        except Exception:
            self.records.append(CallRecord(method, path, 0, category, bare))
            raise
        data = await response.aread()
        self.records.append(CallRecord(method, path, response.status_code, category, bare))
        if found is not None:
            self._report(_response_problems(found, self.marketplace, method, path, response.status_code,
                                            response.headers.multi_items(), data))
        return response

    def _request_problems(self, method: str, path: str, category: str | None,
                          request: httpx.Request) -> tuple[list[str], _Found | None]:
        """Problems of one request, and the spec operation it maps to (None for Uzum / unknown paths)."""
        where = f"{self.marketplace}: {method} {path}"
        body = request.content  # connectors send in-memory bodies, so this never blocks
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        problem = _outdated_body(self.marketplace, method, path, parsed)
        problems = [f"{self.marketplace}: {problem}"] if problem else []

        if self.marketplace == Marketplace.UZUM:
            uzum = _uzum_problem(method, path)
            return problems + ([uzum] if uzum else []), None
        try:
            found = find_operation(self.marketplace, method, path, category)
        except LookupError as exc:
            return problems + [str(exc)], None

        operation_keys = found.operation.str_keys()
        if "deprecated" in operation_keys and _read(found.operation / "deprecated") is True:
            problems.append(f"{where}: the operation is deprecated in the spec")
        if body and "requestBody" not in operation_keys:
            problems.append(f"{where}: sends a body, the spec defines none")
        query_names = {k for k, _ in request.url.params.multi_items()}
        for params in (found.path_item / "parameters", found.operation / "parameters"):
            if not params.exists():
                continue
            for param in _items(params):
                keys = param.str_keys()
                if "deprecated" in keys and _read(param / "deprecated") is True \
                        and _read(param / "in") == "query" and _read(param / "name") in query_names:
                    problems.append(f"{where}: uses deprecated parameter {_read(param / 'name')!r}")

        oa_request = _Request(
            method, found,
            query=request.url.params.multi_items(),
            headers=request.headers.multi_items(),
            body=body or None,
            content_type=request.headers.get("content-type", ""),
        )
        try:
            with warnings.catch_warnings():
                # openapi-core cannot check Yandex's OAuth alternative; _auth_problems checks auth headers.
                warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)
                found.app.validate_request(oa_request)
        except Exception as exc:
            problems.append(f"{where}: request violates the spec: {_describe(exc)}")
        return problems, found
