"""The shortcuts that make the Ozon stand-in cheap on a 100,000-product catalog give the same values as the
plain computations they replace (no timings here: the machine is shared; bench/ measures speed).

- catalog.py: the table-driven EAN-13 check digit, base_price / base_stock / Catalog.stock_at;
- ozon.py: money() without a Decimal for whole prices, /v4/product/info/stocks paging without listing the
  catalog, /v3/product/info/list items built from a per-request template;
- common.py: replies serialized with orjson (same JSON values as json.dumps).
"""
from __future__ import annotations

import json
from contextlib import asynccontextmanager
from decimal import Decimal

import httpx
import pytest

from sandbox.marketplaces import MarketplaceSandbox, SandboxState
from sandbox.marketplaces import accounts as A
from sandbox.marketplaces.catalog import Catalog, base_price, base_stock, ean13, product
from sandbox.marketplaces.common import dump_json
from sandbox.marketplaces.ozon import (OZON_SKU_BASE, PRODUCT_ID_BASE, add_order, encode_cursor, money,
                                       ozon_book)
from tests.support.contract import SpecValidatingTransport

HEADERS = {"Client-Id": A.OZON_CLIENT_ID, "Api-Key": A.OZON_API_KEY}
FBS, RFBS = 22000000000001, 22000000000002


def reference_ean13(index: int) -> str:
    """The check digit added digit by digit, as the EAN-13 standard states it."""
    body = f"478{index:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


# ============================================================================================= catalog
def test_ean13_matches_the_digit_by_digit_check_digit():
    indexes = list(range(0, 20_000)) + list(range(20_000, 1_000_000_000, 99_991)) + [999_999_999]
    assert [ean13(i) for i in indexes] == [reference_ean13(i) for i in indexes]


def test_base_price_and_stock_are_the_products_starting_values():
    for i in list(range(1, 2000)) + [99_999, 100_000]:
        p = product(i)
        assert (base_price(i), base_stock(i)) == (p.price, p.stock)


def test_catalog_defaults_and_stock_at_follow_client_changes():
    catalog = Catalog(size=100)
    catalog.set_stock(3, 11, "w1")
    catalog.set_price(4, 1234)
    assert catalog.get_stock(3, "w1") == 11 and catalog.get_stock(3, "w2") == product(3).stock
    assert catalog.stock_at(3, ("w1", "w2")) == 11 + product(3).stock
    assert catalog.stock_at(3, ()) == 0
    assert catalog.get_price(4) == 1234 and catalog.get_price(5) == product(5).price


# ============================================================================================= money, JSON
@pytest.mark.parametrize("value", [0, 1, 1000, 9999, -5, 10**12, Decimal("1234.567"), Decimal("99.5"),
                                   Decimal("0"), Decimal("100.125"), 12.25, "7"])
def test_money_is_the_decimal_text_with_two_places(value):
    assert money(value) == f"{Decimal(str(value)):.2f}"


@pytest.mark.parametrize("body", [
    {"message": "Тошкент, ул. Навои ✓", "details": [], "n": -1, "f": 55.75, "none": None, "t": True},
    {1: "int key", 2.5: "float key", None: "null key", False: "bool key"},
    [2**70, -(2**70)],  # beyond orjson's 64-bit integers: json.dumps writes them
    {"tuple": (1, 2), "nested": {"a": [{"b": []}]}},
])
def test_dump_json_gives_the_values_json_dumps_gives(body):
    assert json.loads(dump_json(body)) == json.loads(json.dumps(body, ensure_ascii=False))


def test_dump_json_writes_non_ascii_as_is():
    assert dump_json({"city": "Тошкент"}) == '{"city":"Тошкент"}'.encode()


def test_dump_json_still_refuses_a_decimal():
    with pytest.raises(TypeError):
        dump_json({"price": Decimal("1.00")})


# ============================================================================================= replies
@asynccontextmanager
async def ozon(size: int):
    state = SandboxState(catalog_size=size)
    async with MarketplaceSandbox(state=state) as sandbox:
        base = sandbox.env()["OZON_API_URL"]
        transport = SpecValidatingTransport("ozon", httpx.AsyncHTTPTransport(), strict=True, base_url=base)
        async with httpx.AsyncClient(transport=transport, timeout=10.0) as http:

            async def post(path: str, body: dict) -> dict:
                reply = await http.post(base + path, json=body, headers=HEADERS)
                assert reply.status_code == 200, reply.text
                return reply.json()

            post.state = state
            yield post


async def _all_stock_pages(post, visibility: str, limit: int) -> tuple[list[int], set[int]]:
    """Indexes of every /v4/product/info/stocks page, in order, and the totals the pages told."""
    indexes, totals, cursor = [], set(), ""
    for _ in range(100):
        body = {"filter": {"visibility": visibility}, "limit": limit, "cursor": cursor}
        page = await post("/v4/product/info/stocks", body)
        indexes += [item["product_id"] - PRODUCT_ID_BASE for item in page["items"]]
        totals.add(page["total"])
        cursor = page["cursor"]
        if not cursor:
            return indexes, totals
    raise AssertionError("too many pages")


@pytest.mark.parametrize("archived", [set(), {1, 2, 3, 500, 501, 999, 1000, 1001, 2500}, set(range(1, 2501, 3))])
async def test_stock_pages_walk_the_unarchived_or_archived_products_in_order(archived):
    async with ozon(2500) as post:
        catalog = post.state.catalog("ozon", A.OZON_CLIENT_ID)
        catalog.archived |= archived | {2501, 9999}  # archived indexes past the catalog's end are not products
        unarchived = [i for i in range(1, 2501) if i not in archived]
        for visibility, expected in (("ALL", unarchived), ("VISIBLE", unarchived), ("ARCHIVED", sorted(archived))):
            for limit in (1000, 333):
                indexes, totals = await _all_stock_pages(post, visibility, limit)
                assert indexes == expected and totals == {len(expected)}


async def test_stock_page_past_the_end_is_empty():
    async with ozon(50) as post:
        post.state.catalog("ozon", A.OZON_CLIENT_ID).archived.add(7)
        page = await post("/v4/product/info/stocks", {"filter": {}, "limit": 10, "cursor": encode_cursor(60)})
        assert page == {"items": [], "total": 49, "cursor": ""}


async def test_product_info_items_show_client_changes_and_the_products_values():
    async with ozon(100) as post:
        state, catalog = post.state, post.state.catalog("ozon", A.OZON_CLIENT_ID)
        catalog.set_stock(3, 9, str(FBS))
        catalog.set_stock(4, 0, str(FBS))
        catalog.set_stock(4, 0, str(RFBS))
        catalog.archived.add(5)
        add_order(state, [(3, 2)])  # 2 units of product 3 reserved at the FBS warehouse
        prices = await post("/v1/product/import/prices", {"prices": [
            {"offer_id": "SKU-000006", "price": "1234.567", "old_price": "2000"}]})
        assert prices["result"][0]["updated"] is True
        reply = await post("/v3/product/info/list", {"product_id": [str(PRODUCT_ID_BASE + i) for i in (3, 4, 5, 6)]})
        items = {item["id"] - PRODUCT_ID_BASE: item for item in reply["items"]}
        assert list(items) == [3, 4, 5, 6]
        for i, item in items.items():
            p = product(i)
            assert (item["offer_id"], item["name"], item["barcodes"]) == (p.sku, p.name, [p.barcode])
            assert item["sku"] == OZON_SKU_BASE + i and item["model_info"] == {"count": 1, "model_id": PRODUCT_ID_BASE + i}
            assert item["sources"][0]["sku"] == OZON_SKU_BASE + i
        assert items[3]["stocks"]["stocks"] == [
            {"present": 9, "reserved": 2, "sku": OZON_SKU_BASE + 3, "source": "fbs"},
            {"present": product(3).stock, "reserved": 0, "sku": OZON_SKU_BASE + 3, "source": "rfbs"}]
        assert items[4]["stocks"]["has_stock"] is False and items[4]["visibility_details"]["has_stock"] is False
        assert items[5]["is_archived"] is True and items[5]["statuses"]["status"] == "archived"
        assert items[3]["statuses"]["status"] == "price_sent" and items[3]["is_archived"] is False
        assert (items[6]["price"], items[6]["min_price"], items[6]["old_price"]) == ("1234.57", "1234.57", "2000.00")
        assert (items[3]["price"], items[3]["old_price"]) == (f"{product(3).price}.00", "0.00")
        assert ozon_book(state).old_prices  # the old price came from the OzonBook
