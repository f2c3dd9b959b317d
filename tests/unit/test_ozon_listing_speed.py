"""OzonClient.iter_listings() on its fast path: catalog pages validated from the reply bytes into plain rows,
read one page ahead of the caller, and the bounded id caches.

- The rows keep the models' tolerance: an explicit `null` where the schema says object / array / string reads as
  absent, and the Listings are the ones the pydantic models (`OzonProductRef`, `OzonProductInfo`) give: a
  reference built from the models is compared with the fast path on replies with nulls sprinkled at random.
- A reply we cannot read is still BadResponse, naming field locations only.
- Read-ahead: page k+1 is in flight while the caller holds page k (never more than one page of listings
  ahead), errors come in order, and a caller that stops early leaves no task, coroutine or warning behind.

Requests go through `SpecValidatingTransport` (strict unless the reply breaks the schema on purpose).
"""
from __future__ import annotations

import asyncio
import copy
import gc
import json
import random
import warnings
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connectors import build_client, default_base_url
from connectors.http import parse_model_json
from connectors.ozon import catalog as oz_catalog, limits as oz_limits, models as oz_models
from connectors.base import AccountContext, BadResponse, Credentials, ItemOutcome, Listing, Marketplace, StockUpdate
from connectors.clock import FakeClock
from connectors.pacing import reset_pacers
from tests.support import FakeApi, reply
from tests.support.contract import SpecValidatingTransport

M = Marketplace
OZ = default_base_url(M.OZON)
KEY = "7c6b5a49-ozon-fast-read-test-key-0987654321"
CLIENT_ID = "654321"
NOW = 1_800_000_000.0


@pytest.fixture(autouse=True)
def fresh_pacers():
    reset_pacers()
    yield
    reset_pacers()


# ------------------------------------------------------------------------------------------ helpers
def url(path: str) -> str:
    return OZ + path


def client(inner: httpx.AsyncBaseTransport, *, strict: bool = True):
    transport = SpecValidatingTransport(M.OZON, inner, strict=strict)
    c = build_client(M.OZON, Credentials(KEY, CLIENT_ID), transport=transport, clock=FakeClock(NOW),
                     account=AccountContext())  # no account warehouse: both seller stock types, no warehouse list
    return c, transport


def ref(i: int, **extra: Any) -> dict:
    return {"product_id": 1000 + i, "offer_id": f"OF-{i}", "has_fbo_stocks": False, "has_fbs_stocks": True,
            "archived": False, "is_discounted": False, "quants": [], **extra}


def info(i: int, **extra: Any) -> dict:
    return {"id": 1000 + i, "offer_id": f"OF-{i}", "sku": 9000 + i, "name": f"Product {i}",
            "barcodes": [f"46000000{i:05d}", ""], "price": "1299.99", "old_price": "1499.00", "min_price": "",
            "currency_code": "RUB", "is_archived": False, "is_autoarchived": False,
            "statuses": {"status": "PRICE_SENT", "status_name": "Ready", "moderate_status": "approved",
                         "validation_status": "success"},
            "stocks": {"has_stock": True, "stocks": [
                {"present": 10, "reserved": 3, "sku": 9000 + i, "source": "fbs"},
                {"present": 2, "reserved": 5, "sku": 9000 + i, "source": "rfbs"},
                {"present": 50, "reserved": 0, "sku": 9000 + i, "source": "fbo"}]},
            "images": [], "model_info": {"count": 1, "model_id": 1}, **extra}


def product_list(items: list[dict], last_id: str = "") -> httpx.Response:
    return reply(200, {"result": {"items": items, "last_id": last_id, "total": len(items)}})


def catalog(api: FakeApi, pages: list[list[int]]) -> FakeApi:
    """A catalog of pages of the given product numbers: /v3/product/list pages it by last_id ("cursor-N", empty on
    the last page) and answers a filter by offer_id; /v3/product/info/list answers the product_ids or SKUs asked."""
    def product_list_reply(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["filter"].get("offer_id"):
            return product_list([ref(int(o.split("-")[1])) for o in body["filter"]["offer_id"]])
        n = int(body["last_id"].split("-")[1]) if body["last_id"] else 0
        return product_list([ref(i) for i in pages[n]], f"cursor-{n + 1}" if n + 1 < len(pages) else "")

    def info_reply(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        numbers = [int(p) - 1000 for p in body.get("product_id", [])] + [int(s) - 9000 for s in body.get("sku", [])]
        return reply(200, {"items": [info(i) for i in numbers]})

    api.add("POST", url("/v3/product/list"), product_list_reply)
    api.add("POST", url("/v3/product/info/list"), info_reply)
    return api


def paths(transport: SpecValidatingTransport) -> list[str]:
    return [call[1] for call in transport.calls]


async def until(condition: Any, timeout: float = 10.0) -> None:
    """Let the event loop run until `condition()` holds, then a little more (so a request that should not be
    sent would have been)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.001)
    await asyncio.sleep(0.02)


class HeldTransport(httpx.AsyncBaseTransport):
    """Answers through `inner`, but a request whose path is in `hold` waits for `release` (or is cancelled)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, hold: set[str]):
        self.inner, self.hold = inner, hold
        self.release = asyncio.Event()
        self.waiting = 0
        self.cancelled = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path in self.hold and not self.release.is_set():
            self.waiting += 1
            try:
                await self.release.wait()
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        return await self.inner.handle_async_request(request)


# --------------------------------------------------------------------- the models' listing, for reference
# The tolerant pydantic models the connector parsed catalog pages with before its row types (connectors.ozon.models
# `ProductRefRow`, `ProductInfoRow`): kept here as the reference the rows must agree with.
class OzonProductRef(oz_models.OzonModel):
    """One item of /v3/product/list."""

    product_id: int
    offer_id: str = ""
    archived: bool = False
    has_fbo_stocks: bool | None = None
    has_fbs_stocks: bool | None = None


class OzonProductListResult(oz_models.OzonModel):
    items: list[OzonProductRef] = []
    last_id: str = ""
    total: int | None = None


class OzonProductListPage(oz_models.OzonModel):
    result: OzonProductListResult = OzonProductListResult()


class OzonProductStatuses(oz_models.OzonModel):
    status: str | None = None
    status_name: str | None = None
    moderate_status: str | None = None
    validation_status: str | None = None


class OzonProductStock(oz_models.OzonModel):
    present: int = 0
    reserved: int = 0
    sku: int | None = None
    source: str | None = None


class OzonProductStocks(oz_models.OzonModel):
    has_stock: bool | None = None
    stocks: list[OzonProductStock] = []


class OzonProductInfo(oz_models.OzonModel):
    """One item of /v3/product/info/list (what a Listing needs)."""

    id: int
    offer_id: str = ""
    sku: int | None = None
    name: str = ""
    barcodes: list[str] = []
    price: str | None = None
    old_price: str | None = None
    min_price: str | None = None
    currency_code: str | None = None
    is_archived: bool = False
    is_autoarchived: bool = False
    statuses: OzonProductStatuses | None = None
    stocks: OzonProductStocks | None = None


class OzonProductInfoList(oz_models.OzonModel):
    items: list[OzonProductInfo] = []


def reference_listing(ref_model: OzonProductRef, info_model: OzonProductInfo | None,
                      types: frozenset[str]) -> Listing:
    """What iter_listings gave before the fast path, from the tolerant pydantic models (kept as the reference)."""
    offer = (info_model.offer_id if info_model else "") or ref_model.offer_id
    archived = ref_model.archived or bool(info_model and (info_model.is_archived or info_model.is_autoarchived))
    status = "archived" if archived else ((info_model.statuses.status or "").lower() or None
                                          if info_model and info_model.statuses else None)
    stock = fbo = None
    if info_model and info_model.stocks and info_model.stocks.stocks:
        own = [s for s in info_model.stocks.stocks if (s.source or "").lower() in types]
        stock = sum(max(s.present - s.reserved, 0) for s in own)
        fbo = sum(s.present for s in info_model.stocks.stocks if (s.source or "").lower() == "fbo")
    extra = {"sku": info_model.sku if info_model else None, "old_price": info_model.old_price if info_model else None,
             "min_price": info_model.min_price if info_model else None, "fbo_stock": fbo}
    return Listing(
        marketplace=M.OZON, external_id=str(ref_model.product_id), seller_sku=offer or None,
        name=(info_model.name if info_model and info_model.name else offer),
        barcodes=tuple(b for b in (info_model.barcodes if info_model else []) if b), status=status,
        price=oz_models.decimal_or_none(info_model.price) if info_model else None,
        # an ISO code, never None: Ozon's default (RUB) when the reply does not say
        currency=(info_model.currency_code if info_model and info_model.currency_code else "RUB"), stock=stock,
        stock_ids=(offer,) if offer else (), price_id=offer or None,
        extra={k: v for k, v in extra.items() if v not in (None, "")},
    )


def sprinkle_nulls(node: Any, rng: random.Random, keep: frozenset[str] = frozenset({"id", "product_id"})) -> Any:
    """A copy of a reply item with some values (at any depth, never the ids) set to null or left out."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            roll = rng.random()
            if key in keep or roll > 0.4:
                out[key] = sprinkle_nulls(value, rng, keep)
            elif roll > 0.15:
                out[key] = None
            # else: left out
        return out
    if isinstance(node, list):
        return [sprinkle_nulls(item, rng, keep) for item in node]
    return node


# =================================================================================== nulls and shapes
async def test_explicit_nulls_in_non_nullable_places_read_as_absent():
    refs = [ref(1, offer_id=None, archived=None, has_fbo_stocks=None, quants=None),
            ref(2, archived=None),
            ref(3, offer_id=None, archived=None)]
    infos = [
        info(1, name=None, barcodes=None, price=None, old_price=None, min_price=None, currency_code=None, sku=None,
             is_archived=None, is_autoarchived=None, statuses=None, stocks={"has_stock": None, "stocks": None},
             images=None, model_info=None),
        info(2, offer_id=None, name="", statuses={"status": None, "status_name": None},
             stocks={"stocks": [{"present": 5, "reserved": None, "sku": None, "source": "FBS"},
                                {"present": None, "reserved": None, "source": None},
                                {"present": 7, "reserved": None, "source": "fbo"}]}),
        # product 3: the info reply leaves it out
    ]
    api = FakeApi().add("POST", url("/v3/product/list"),
                        reply(200, {"result": {"items": refs, "last_id": None, "total": None}}))
    api.add("POST", url("/v3/product/info/list"), reply(200, {"items": infos}))
    c, transport = client(api.transport, strict=False)  # the nulls break the schema on purpose
    async with c:
        listings = [listing async for listing in c.iter_listings()]
    assert transport.violations  # the transport did see (and validate) both replies
    assert paths(transport) == ["/v3/product/list", "/v3/product/info/list"]
    assert listings == [
        # currency_code null / product left out of the details: Ozon's default currency, RUB
        Listing(M.OZON, "1001", "OF-1", "OF-1", (), None, None, "RUB", None, ("OF-1",), "OF-1", {}),
        Listing(M.OZON, "1002", "OF-2", "OF-2", ("4600000000002",), None, Decimal("1299.99"), "RUB", 5,
                ("OF-2",), "OF-2", {"sku": 9002, "old_price": "1499.00", "fbo_stock": 7}),
        Listing(M.OZON, "1003", None, "", (), None, None, "RUB", None, (), None, {}),
    ]
    # a page of nulls: result null, then items null, then last_id null -> no listings, no error
    for body in ({"result": None}, {"result": {"items": None, "last_id": None}}, {}):
        api = FakeApi().add("POST", url("/v3/product/list"), reply(200, body))
        c, transport = client(api.transport, strict=False)
        async with c:
            assert [listing async for listing in c.iter_listings()] == []
        assert paths(transport) == ["/v3/product/list"]


@pytest.mark.parametrize("seed", range(8))
async def test_the_fast_rows_give_the_listings_of_the_tolerant_models(seed):
    rng = random.Random(seed)
    types = oz_models.OZON_SELLER_STOCK_TYPES if seed % 2 else frozenset({"rfbs"})
    refs = [sprinkle_nulls(ref(i, archived=(i % 7 == 0)), rng) for i in range(1, 41)]
    infos = [sprinkle_nulls(info(i, is_autoarchived=(i % 5 == 0)), rng) for i in range(1, 41) if i % 9]
    list_body = {"result": {"items": refs, "last_id": "", "total": 40}}
    info_body = {"items": infos}

    models = OzonProductListPage.model_validate(copy.deepcopy(list_body)).result.items
    details = {i.id: i for i in OzonProductInfoList.model_validate(copy.deepcopy(info_body)).items}
    expected = [reference_listing(r, details.get(r.product_id), types) for r in models]

    rows = parse_model_json(oz_models.ProductRefPage, json.dumps(list_body).encode(), "list")["result"]["items"]
    info_rows = parse_model_json(oz_models.ProductInfoPage, json.dumps(info_body).encode(), "info")["items"]
    by_id = {row["id"]: row for row in info_rows}
    assert [oz_catalog.listing_of(M.OZON, r, by_id.get(r["product_id"]), types) for r in rows] == expected


@pytest.mark.parametrize("path, body, where", [
    ("/v3/product/info/list", {"items": [{"id": None, "offer_id": "OF-1"}]}, "items.0.id"),
    ("/v3/product/info/list", {"items": [{"id": 1001, "stocks": {"stocks": "secret-value"}}]}, "items.0.stocks.stocks"),
    ("/v3/product/info/list", {"items": [None]}, "items.0"),
    ("/v3/product/list", {"result": {"items": [{"offer_id": "OF-1"}]}}, "result.items.0.product_id"),
    ("/v3/product/list", {"result": {"items": [{"product_id": 1001, "offer_id": ["secret-value"]}]}},
     "result.items.0.offer_id"),
    ("/v3/product/list", ["secret-value"], "<root>"),
])
async def test_a_reply_we_cannot_read_is_a_bad_response_naming_places_not_values(path, body, where):
    api = FakeApi().add("POST", url(path), reply(200, body))
    if path != "/v3/product/list":
        api.add("POST", url("/v3/product/list"), product_list([ref(1)]))
    c, _ = client(api.transport, strict=False)
    async with c:
        with pytest.raises(BadResponse) as err:
            [listing async for listing in c.iter_listings()]
    assert f"ozon {path}: unexpected reply shape" in str(err.value) and where in str(err.value)
    assert "secret-value" not in str(err.value) and err.value.__cause__ is None


async def test_a_reply_that_is_not_json_is_a_bad_response():
    api = FakeApi().add("POST", url("/v3/product/list"), product_list([ref(1)]))
    api.add("POST", url("/v3/product/info/list"), reply(200, text='{"items": [{"id": 1001, "offer_id": "secret'))
    c, _ = client(api.transport, strict=False)
    async with c:
        with pytest.raises(BadResponse, match="info/list: reply is not JSON") as err:
            [listing async for listing in c.iter_listings()]
    assert err.value.status == 200 and "secret" not in str(err.value)


# ========================================================================================= read-ahead
async def test_the_next_page_is_read_while_the_caller_holds_this_one(monkeypatch):
    monkeypatch.setattr(oz_limits, "PRODUCT_PAGE_LIMIT", 2)
    api = catalog(FakeApi(), [[1, 2], [3, 4], [5, 6], [7]])
    c, transport = client(api.transport)
    async with c:
        stream = c.iter_listings()
        first = await stream.__anext__()
        # the caller "works" on page 1; the prefetch runs meanwhile
        await until(lambda: paths(transport).count("/v3/product/info/list") == 2)
        # page 2 read in full (list, then details), page 3's list overlapping page 2's details; no further
        assert sorted(paths(transport)) == sorted(["/v3/product/list"] * 3 + ["/v3/product/info/list"] * 2)
        rest = [listing async for listing in stream]
    assert [listing.seller_sku for listing in [first, *rest]] == [f"OF-{i}" for i in range(1, 8)]
    assert paths(transport).count("/v3/product/list") == 4 and paths(transport).count("/v3/product/info/list") == 4
    lists = [b for b in api.bodies() if "last_id" in b]
    assert [b["last_id"] for b in lists] == ["", "cursor-1", "cursor-2", "cursor-3"]
    assert all(b == {"filter": {"visibility": "ALL"}, "last_id": b["last_id"], "limit": 2} for b in lists)
    assert sorted(b["product_id"] for b in api.bodies() if "product_id" in b) == \
        [["1001", "1002"], ["1003", "1004"], ["1005", "1006"], ["1007"]]
    assert transport.violations == []


async def test_a_slow_caller_is_never_more_than_one_page_behind(monkeypatch):
    monkeypatch.setattr(oz_limits, "PRODUCT_PAGE_LIMIT", 1)
    api = catalog(FakeApi(), [[i] for i in range(1, 11)])
    c, transport = client(api.transport)
    async with c:
        seen = 0
        async for _ in c.iter_listings():
            seen += 1
            await until(lambda: paths(transport).count("/v3/product/info/list") >= min(seen + 1, 10))
            infos = paths(transport).count("/v3/product/info/list")
            lists = paths(transport).count("/v3/product/list")
            assert infos <= seen + 1 and lists <= seen + 2  # one page of listings ahead, plus the next refs
        assert seen == 10


async def test_errors_reach_the_caller_in_order_after_the_pages_before_them(monkeypatch):
    monkeypatch.setattr(oz_limits, "PRODUCT_PAGE_LIMIT", 1)
    failure = reply(400, {"code": 3, "message": "invalid last_id", "details": []})
    api = FakeApi().add("POST", url("/v3/product/list"), product_list([ref(1)], "cursor-1"),
                        product_list([ref(2)], "cursor-2"), failure)
    api.add("POST", url("/v3/product/info/list"), reply(200, {"items": [info(1)]}), reply(200, {"items": [info(2)]}))
    c, transport = client(api.transport)
    got = []
    async with c:
        stream = c.iter_listings()
        got.append(await stream.__anext__())
        await until(lambda: len(paths(transport)) == 5)
        assert paths(transport).count("/v3/product/list") == 3  # page 3's list already failed, unseen yet
        got.append(await stream.__anext__())  # page 2 still comes first
        with pytest.raises(BadResponse, match="invalid last_id"):
            await stream.__anext__()
    assert [listing.seller_sku for listing in got] == ["OF-1", "OF-2"]


@pytest.mark.parametrize("how", ["aclose", "break", "exception", "cancel"])
async def test_a_caller_that_stops_early_leaves_nothing_pending(monkeypatch, how):
    monkeypatch.setattr(oz_limits, "PRODUCT_PAGE_LIMIT", 1)
    api = catalog(FakeApi(), [[i] for i in range(1, 6)])
    held = HeldTransport(api.transport, {"/v3/product/info/list"})
    held.release.set()
    c, transport = client(held)
    loop = asyncio.get_running_loop()
    problems: list[str] = []
    loop.set_exception_handler(lambda _loop, context: problems.append(context.get("message", "")))
    me = asyncio.current_task()
    holding = asyncio.Event()

    async def consume_first() -> None:
        async for _ in c.iter_listings():
            held.release.clear()  # page 2's details will hang in flight
            try:
                await until(lambda: held.waiting == 1)
            finally:
                holding.set()
            if how == "exception":
                raise ValueError("the caller gives up")
            if how == "cancel":
                await asyncio.sleep(3600)
            break

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if how == "aclose":
            stream = c.iter_listings()
            await stream.__anext__()
            held.release.clear()
            await until(lambda: held.waiting == 1)  # page 2's details are in flight
            await stream.aclose()
        elif how == "cancel":
            task = asyncio.create_task(consume_first())
            await holding.wait()
            await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        else:
            with pytest.raises(ValueError) if how == "exception" else _nothing():
                await consume_first()
        for _ in range(20):  # an abandoned generator is closed by the event loop's asyncgen hook
            await asyncio.sleep(0)
        gc.collect()
        for _ in range(5):
            await asyncio.sleep(0)
        assert {t for t in asyncio.all_tasks() if t is not me} == set()
        assert held.waiting == 1 and held.cancelled == 1  # the request in flight was cancelled, not left behind
        await c.aclose()
        gc.collect()
    assert problems == []
    assert [str(w.message) for w in caught if issubclass(w.category, (RuntimeWarning, ResourceWarning))] == []
    assert paths(transport).count("/v3/product/info/list") <= 2


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> bool:
        return False


# ========================================================================================== id caches
def test_the_id_cache_keeps_the_newest_learned():
    cache = oz_catalog.IdCache(limit=3)
    cache.learn((f"OF-{i}", i) for i in range(1, 6))
    assert dict(cache) == {"OF-3": 3, "OF-4": 4, "OF-5": 5}
    cache.learn([("OF-9", 9)])
    assert list(cache) == ["OF-4", "OF-5", "OF-9"] and cache.get("OF-3") is None


async def test_the_id_caches_stay_bounded_and_each_call_keeps_the_ids_it_needs(monkeypatch):
    monkeypatch.setattr(oz_limits, "PRODUCT_PAGE_LIMIT", 2)
    api = catalog(FakeApi(), [[1, 2], [3, 4], [5, 6], [7]])
    c, transport = client(api.transport)
    c.product_ids, c.offers_by_sku = oz_catalog.IdCache(limit=3), oz_catalog.IdCache(limit=3)
    async with c:
        assert len([listing async for listing in c.iter_listings()]) == 7
        assert len(c.product_ids) == 3 and len(c.offers_by_sku) == 3  # the newest: products 5, 6, 7
        assert c.product_ids["OF-7"] == 1007 and c.offers_by_sku[9007] == "OF-7"

        # 6 offers, 2 known (OF-6, OF-7) and 4 resolved: more than the cache holds, all sent by product_id
        def stocks_reply(request: httpx.Request) -> httpx.Response:
            return reply(200, {"result": [{"offer_id": f"OF-{s['product_id'] - 1000}", "product_id": s["product_id"],
                                           "warehouse_id": s["warehouse_id"], "updated": True, "errors": []}
                                          for s in json.loads(request.content)["stocks"]]})

        api.add("POST", url("/v2/products/stocks"), stocks_reply)
        offers = ["OF-1", "OF-2", "OF-3", "OF-4", "OF-6", "OF-7"]
        results = await c.update_stock([StockUpdate(o, 1, "22000000000001") for o in offers])
        assert [(r.sku, r.outcome) for r in results] == [(o, ItemOutcome.ACCEPTED) for o in offers]
        resolve = [b for b in api.bodies() if "filter" in b and "offer_id" in b["filter"]]
        assert [b["filter"]["offer_id"] for b in resolve] == [["OF-1", "OF-2"], ["OF-3", "OF-4"]]
        sent = [s["product_id"] for b in api.bodies() if "stocks" in b for s in b["stocks"]]
        assert sent == [1001, 1002, 1003, 1004, 1006, 1007] and len(c.product_ids) == 3

        # Ozon SKUs -> offer_ids for more SKUs than the cache holds
        offers_by_sku = await c.offers_for([str(9000 + i) for i in range(1, 8)])
        assert offers_by_sku == {str(9000 + i): f"OF-{i}" for i in range(1, 8)} and len(c.offers_by_sku) == 3
    assert transport.violations == []
