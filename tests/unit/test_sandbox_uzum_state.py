"""The Uzum stand-in on its own: raw HTTP (every call through SpecValidatingTransport's Uzum endpoint table),
its limits, refusals, state and faults. The connector's use of it is in tests/contract/test_uzum_ops.py."""
from __future__ import annotations

from contextlib import asynccontextmanager

import httpx
import pytest

from sandbox.marketplaces import MarketplaceSandbox, SandboxState
from sandbox.marketplaces import accounts as A
from sandbox.marketplaces import uzum as S
from sandbox.marketplaces.catalog import Lifecycle, OrderLine, ean13
from tests.support.contract import SpecValidatingTransport

TWO = {"Authorization": A.UZUM_TOKEN}
ONE = {"Authorization": A.UZUM_TOKEN_ONE_SHOP}
ONE_SHOP = 41003


@asynccontextmanager
async def uzum(state: SandboxState | None = None, *, strict: bool = True):
    """A started sandbox and an httpx client on its Uzum mount (`client.base`)."""
    async with MarketplaceSandbox(state=state or SandboxState()) as sandbox:
        base = sandbox.url + "/uzum"
        transport = SpecValidatingTransport("uzum", httpx.AsyncHTTPTransport(), strict=strict, base_url=base)
        async with httpx.AsyncClient(transport=transport, base_url=base, timeout=5) as client:
            client.sandbox = sandbox
            yield client


def error_code(response: httpx.Response) -> str:
    return response.json()["errors"][0]["code"]


def test_ids_are_unique_per_shop_and_lead_back_to_the_product():
    assert S.sku_id(41001, 7) != S.sku_id(41002, 7) != S.product_id(41001, 7)
    number = S.sku_id(41002, 99_999) - S.SKU_ID_BASE
    assert divmod(number, S.ID_SPAN) == (41002, 99_999)
    assert S.catalog_key(A.UZUM_TOKEN, 41001) != S.catalog_key(A.UZUM_TOKEN, 41002)


async def test_products_page_by_shop_with_the_seller_sku_and_barcode():
    async with uzum(SandboxState(catalog_size=120)) as client:
        page = (await client.get(f"/v1/product/shop/{ONE_SHOP}", params={"page": 1, "size": 100}, headers=ONE)).json()
        too_big = await client.get(f"/v1/product/shop/{ONE_SHOP}", params={"size": S.PRODUCTS_PAGE_MAX + 1}, headers=ONE)
        foreign = await client.get("/v1/product/shop/41001", headers=ONE)
    assert page["totalProductsAmount"] == 120 and len(page["productList"]) == 20
    first = page["productList"][0]
    assert first["productId"] == S.product_id(ONE_SHOP, 101)
    assert first["skuList"][0]["sellerItemCode"] == "SKU-000101" and first["skuList"][0]["barcode"] == ean13(101)
    assert too_big.status_code == 400 and foreign.status_code == 403


async def test_stock_list_spans_every_shop_a_page_at_a_time():
    async with uzum(SandboxState(catalog_size=30)) as client:
        whole = (await client.get("/v2/fbs/sku/stocks", headers=TWO)).json()["payload"]
        second = (await client.get("/v2/fbs/sku/stocks", params={"page": 1, "size": 25}, headers=TWO)).json()["payload"]
    assert whole["totalElements"] == 60 and len(whole["skuAmountList"]) == 60
    assert [row["skuId"] for row in second["skuAmountList"]] == [S.sku_id(41001, i) for i in range(26, 31)] + [
        S.sku_id(41002, i) for i in range(1, 21)]
    assert set(whole["skuAmountList"][0]) == {"skuId", "skuTitle", "productTitle", "barcode", "amount", "fbsAllowed",
                                             "dbsAllowed", "fbsLinked", "dbsLinked", "sellerSkuCode"}


async def test_a_stock_batch_with_a_bad_item_is_refused_whole_naming_each_item():
    state = SandboxState(catalog_size=300)
    async with uzum(state) as client:
        good, unlinked = S.sku_id(ONE_SHOP, 1), S.sku_id(ONE_SHOP, S.NOT_LINKED_EVERY)
        refused = await client.post("/v2/fbs/sku/stocks", headers=ONE, json={"skuAmountList": [
            {"skuId": good, "amount": 5}, {"skuId": unlinked, "amount": 5}, {"skuId": 12, "amount": 1},
            {"skuId": S.sku_id(ONE_SHOP, 2), "amount": -3}]})
        applied = await client.post("/v2/fbs/sku/stocks", headers=ONE, json={"skuAmountList": [{"skuId": good, "amount": 5}]})
        too_many = await client.post("/v2/fbs/sku/stocks", headers=ONE, json={
            "skuAmountList": [{"skuId": good, "amount": 1}] * (S.STOCK_BATCH_MAX + 1)})
    assert refused.status_code == 400
    assert [(e["code"], e["skuId"]) for e in refused.json()["errors"]] == [
        ("sku-not-linked-fbs", unlinked), ("sku-not-found", 12), ("sku-amount-invalid", S.sku_id(ONE_SHOP, 2))]
    assert applied.status_code == 200 and too_many.status_code == 400
    assert S.uzum_catalog(state, A.UZUM_TOKEN_ONE_SHOP, ONE_SHOP).get_stock(1) == 5


async def test_prices_apply_and_the_promo_lock_names_no_sku():
    state = SandboxState(catalog_size=40)
    locked = S.PROMO_REMAINDER
    async with uzum(state) as client:
        path = f"/v1/product/{ONE_SHOP}/sendPriceData"
        ok = await client.post(path, headers=ONE, json={"priceData": [{"skuId": S.sku_id(ONE_SHOP, 1), "fullPrice": 9000,
                                                                       "sellPrice": 8000}]})
        promo = await client.post(path, headers=ONE, json={"priceData": [
            {"skuId": S.sku_id(ONE_SHOP, 2), "fullPrice": 9000, "sellPrice": 8000},
            {"skuId": S.sku_id(ONE_SHOP, locked), "fullPrice": 9000, "sellPrice": 8000}]})
        bad = await client.post(path, headers=ONE, json={"priceData": [
            {"skuId": S.sku_id(ONE_SHOP, 3), "fullPrice": 100, "sellPrice": 200}]})
    catalog = S.uzum_catalog(state, A.UZUM_TOKEN_ONE_SHOP, ONE_SHOP)
    assert ok.status_code == 200 and catalog.get_price(1) == 8000
    assert promo.status_code == 400 and promo.json()["errors"] == [{"code": "sku-price-001",
                                                                     "message": "Ску нельзя редактировать"}]
    assert catalog.get_price(2) == catalog.product(2).price  # all or nothing
    assert bad.status_code == 400 and error_code(bad) == "sku-price-invalid"


async def test_orders_filters_paging_limits_and_actions():
    state = SandboxState()
    made = [state.orders.create("uzum", A.UZUM_TOKEN_ONE_SHOP, [OrderLine(1, 2, 5000)], shop_id=str(ONE_SHOP))
            for _ in range(3)]
    state.orders.set_status(made[0].id, Lifecycle.SHIPPED)
    state.orders.create("uzum", A.UZUM_TOKEN, [OrderLine(1, 1, 10)], shop_id="41001")
    async with uzum(state) as client:
        params = {"shopIds": ONE_SHOP, "status": "CREATED", "page": 0, "size": 50}
        created = (await client.get("/v2/fbs/orders", params=params, headers=ONE)).json()["payload"]
        count = (await client.get("/v2/fbs/orders/count", params={"shopIds": ONE_SHOP}, headers=ONE)).json()
        too_big = await client.get("/v2/fbs/orders", params={**params, "size": 51}, headers=ONE)
        no_shop = await client.get("/v2/fbs/orders", params={"status": "CREATED"}, headers=ONE)
        foreign = await client.get(f"/v1/fbs/order/{made[1].id}", headers=TWO)
        confirm = await client.post(f"/v1/fbs/order/{made[1].id}/confirm", headers=ONE)
        again = await client.post(f"/v1/fbs/order/{made[1].id}/confirm", headers=ONE)
        bad_reason = await client.post(f"/v1/fbs/order/{made[2].id}/cancel", headers=ONE, json={"reason": "WHIM"})
        reasons = (await client.get("/v1/fbs/order/return-reasons", headers=ONE)).json()["payload"]
        cancel = await client.post(f"/v1/fbs/order/{made[2].id}/cancel", headers=ONE, json={"reason": reasons[0]["reason"]})
    assert [o["id"] for o in created["orders"]] == [made[2].id, made[1].id] and created["totalElements"] == 2
    assert created["orders"][0]["orderItems"][0]["skuId"] == S.sku_id(ONE_SHOP, 1)
    assert created["orders"][0]["dateCreated"] == S.ms(made[2].created_at)  # epoch milliseconds
    assert count == {"payload": 3}
    assert too_big.status_code == 400 and no_shop.status_code == 400 and foreign.status_code == 404
    assert confirm.json()["payload"]["status"] == "PACKING" and again.status_code == 400
    assert error_code(again) == "order-status-invalid" and error_code(bad_reason) == "cancel-reason-invalid"
    assert cancel.json()["payload"]["status"] == "CANCELED"
    assert state.orders.orders[made[2].id].status == Lifecycle.CANCELLED


async def test_finance_orders_are_bare_and_leave_out_nothing_but_other_shops():
    state = SandboxState()
    order = state.orders.create("uzum", A.UZUM_TOKEN, [OrderLine(3, 2, 7000), OrderLine(4, 1, 100)], shop_id="41002")
    state.orders.create("uzum", A.UZUM_TOKEN, [OrderLine(3, 1, 7000)], shop_id="41001")
    state.orders.set_status(order.id, Lifecycle.DELIVERED)
    async with uzum(state) as client:
        body = (await client.get("/v1/finance/orders", params={"shopIds": 41002, "size": 100}, headers=TWO)).json()
    assert body["totalElements"] == 2 and "payload" not in body
    item = body["orderItems"][-1]
    assert (item["orderId"], item["skuTitle"], item["amount"], item["sellPrice"], item["status"]) == (
        order.id, "SKU-000003", 2, 7000, "TO_WITHDRAW")


async def test_every_endpoint_wants_a_token_and_plays_injected_faults():
    async with uzum(strict=False) as client:
        anonymous = await client.get("/v2/fbs/sku/stocks")
        client.sandbox.inject("uzum", "^/v2/fbs/.*", "5xx", times=1)
        client.sandbox.inject("uzum", "/v1/finance/orders", "garbage", times=1)
        failed = await client.get("/v2/fbs/orders/count", params={"shopIds": ONE_SHOP}, headers=ONE)
        garbage = await client.get("/v1/finance/orders", params={"shopIds": ONE_SHOP}, headers=ONE)
        fine = await client.get("/v1/finance/orders", params={"shopIds": ONE_SHOP}, headers=ONE)
    assert anonymous.status_code == 401 and error_code(anonymous) == "UNAUTHORIZED"
    assert failed.status_code == 500 and error_code(failed) == "INTERNAL_ERROR"
    with pytest.raises(ValueError):
        garbage.json()
    assert fine.status_code == 200


async def test_the_rate_limit_counts_in_marketplace_time_per_token():
    now = [1_000.0]
    state = SandboxState(enforce_rate_limits=True, time_scale=0.5, clock=lambda: now[0])
    async with uzum(state) as client:
        first = [(await client.get("/v1/shops", headers=TWO)).status_code for _ in range(S.RATE_LIMIT + 1)]
        other_token = (await client.get("/v1/shops", headers=ONE)).status_code
        now[0] += S.RATE_PERIOD * state.time_scale  # one marketplace period in real time
        later = (await client.get("/v1/shops", headers=TWO)).status_code
    assert first == [200] * S.RATE_LIMIT + [429] and other_token == 200 and later == 200
