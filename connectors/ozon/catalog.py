"""The Ozon catalog: every product as a Listing, product details, and the id mappings other calls need.

Calls:
- iter_listings: /v3/product/list (filter visibility ALL, `last_id`, limit <= 1000) for the products, then
                 /v3/product/info/list (<= 1000 ids per request) for their details; read one page ahead,
                 parsed from the reply bytes into rows (connectors.ozon.models, `listing_of`).
- product_info:  /v3/product/info/list by product_id or by Ozon SKU.
- resolve_product_ids: /v3/product/list filtered by offer_id (offer_id -> product_id, for stock pushes).
- offers_for:    /v3/product/info/list by SKU (Ozon SKU -> offer_id, for sales rows).

Listing fields: `external_id` is Ozon's product_id, `seller_sku` / `stock_ids` / `price_id` the offer_id,
`status` the product's status in lower case ("archived" for archived or auto-archived products), `stock` the
free stock (present - reserved) of the account warehouse's type (connectors.ozon.account.stock_scope), FBO
stock (Ozon's own) in extra["fbo_stock"]; `currency` is the reply's currency_code as ISO 4217, RUB if absent.

Every product reply teaches the client ids (offer_id -> product_id, SKU -> offer_id), kept in bounded caches
(`IdCache`, limits.OZON_ID_CACHE): a call that needs ids works on its own mapping and reads the missing ones
again, so nothing depends on the cache holding the whole catalog.

Functions here take the OzonClient as `client` (connectors.ozon.client; not imported here).
"""
from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Hashable, Iterable, Sequence
from typing import Any

from connectors.base import (
    BadResponse,
    IpRestricted,
    Listing,
    Marketplace,
    PermissionDenied,
)
from connectors.ozon import limits
from connectors.ozon.models import (
    OZON_CURRENCY,
    OZON_SELLER_STOCK_TYPES,
    ProductInfoPage,
    ProductInfoRow,
    ProductRefPage,
    ProductRefRow,
    currency_code,
    decimal_or_none,
)


# ------------------------------------------------------------------------------------------ id caches
class IdCache(dict):
    """A dict of ids learned from replies that keeps at most `limit` pairs: `learn()` drops the oldest learned
    past it. Reads are plain dict reads; every write goes through `learn()`."""

    def __init__(self, limit: int | None = None):
        super().__init__()
        self.limit = limits.OZON_ID_CACHE if limit is None else limit

    def learn(self, pairs: Iterable[tuple[Hashable, Any]]) -> None:
        self.update(pairs)
        excess = len(self) - self.limit
        if excess > 0:
            for key in list(itertools.islice(self, excess)):
                del self[key]


def learn_rows(client: Any, refs: Sequence[ProductRefRow] = (), infos: Sequence[ProductInfoRow] = ()) -> None:
    """Remember offer_id -> product_id and SKU -> offer_id from product replies (the newest OZON_ID_CACHE)."""
    client.product_ids.learn((ref["offer_id"], ref["product_id"]) for ref in refs if ref.get("offer_id"))
    client.product_ids.learn((info["offer_id"], info["id"]) for info in infos if info.get("offer_id"))
    client.offers_by_sku.learn((info["sku"], info["offer_id"]) for info in infos
                               if info.get("offer_id") and info.get("sku"))


# -------------------------------------------------------------------------------------------- listing
def listing_of(marketplace: Marketplace, ref: ProductRefRow, info: ProductInfoRow | None,
               types: frozenset[str] = OZON_SELLER_STOCK_TYPES) -> Listing:
    """The Listing of one product of the catalog read: its /v3/product/list ref and its /v3/product/info/list
    details (None: the reply left it out). `stock` is the free stock of the stock types `types`; FBO stock (Ozon's
    own) goes to extra["fbo_stock"]. A None field reads as the models' default ("", 0, False, [])."""
    offer = ref.get("offer_id") or ""
    if info is None:
        return Listing(
            marketplace=marketplace, external_id=str(ref["product_id"]), seller_sku=offer or None, name=offer,
            barcodes=(), status="archived" if ref.get("archived") else None, price=None, currency=OZON_CURRENCY,
            stock=None, stock_ids=(offer,) if offer else (), price_id=offer or None, extra={},
        )
    offer = info.get("offer_id") or offer
    if ref.get("archived") or info.get("is_archived") or info.get("is_autoarchived"):
        status: str | None = "archived"
    else:
        statuses = info.get("statuses")
        status = ((statuses.get("status") or "").lower() or None) if statuses is not None else None
    stock = fbo = None
    stocks = info.get("stocks")
    entries = stocks.get("stocks") if stocks is not None else None
    if entries:
        stock = fbo = 0
        for entry in entries:
            source = (entry.get("source") or "").lower()
            if source in types:
                free = (entry.get("present") or 0) - (entry.get("reserved") or 0)
                if free > 0:
                    stock += free
            if source == "fbo":
                fbo += entry.get("present") or 0
    # extra: the values that are neither None nor "" (sku, old_price, min_price, fbo_stock, in that order).
    extra: dict[str, Any] = {}
    if (sku := info.get("sku")) is not None:
        extra["sku"] = sku
    if old_price := info.get("old_price"):
        extra["old_price"] = old_price
    if min_price := info.get("min_price"):
        extra["min_price"] = min_price
    if fbo is not None:
        extra["fbo_stock"] = fbo
    return Listing(
        marketplace=marketplace,
        external_id=str(ref["product_id"]),
        seller_sku=offer or None,
        name=info.get("name") or offer,
        barcodes=tuple(filter(None, info.get("barcodes") or ())),
        status=status,
        price=decimal_or_none(info.get("price")),
        currency=currency_code(info.get("currency_code")),
        stock=stock,
        stock_ids=(offer,) if offer else (),
        price_id=offer or None,
        extra=extra,
    )


# ----------------------------------------------------------------------------------------- read-ahead
class Prefetch:
    """The read-ahead tasks of one iter_listings(). A task leaves the set once its result is taken (`take`);
    `aclose()` cancels whatever is left and waits for it, so no task stays pending and no exception goes
    unretrieved when the caller stops early or an error ends the read."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def start(self, coro: Any) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        return task

    async def take(self, task: asyncio.Task) -> Any:
        try:
            return await task
        finally:
            if task.done():
                self._tasks.discard(task)

    async def aclose(self) -> None:
        tasks, self._tasks = self._tasks, set()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


async def iter_listings(client: Any) -> AsyncIterator[Listing]:
    """Every product: /v3/product/list pages (last_id) with /v3/product/info/list for the details.
    `stock` is the free stock of the account warehouse's type (see account.stock_scope).

    Pages are read ahead: while the caller works through page k, page k+1 is read (its product list, then
    its details), and as soon as a page's product list is in, the next page's list is sent too (it needs
    this last_id, so the lists go one after another), overlapping this page's details. So at most one page
    of listings waits ahead of the caller, plus the product refs of the page after it. Every request goes
    through the same pacing; an error reaches the caller in order, after the listings of the pages before it;
    a caller that stops early (break, aclose(), an exception) cancels whatever is still in flight."""
    types, _ = await client.stock_scope()
    tasks = Prefetch()
    seen: set[str] = set()
    page: asyncio.Task | None = tasks.start(_catalog_page(client, tasks, tasks.start(_product_refs(client, "")), 1,
                                                          types, seen))
    try:
        number = 1
        while page is not None:
            listings, follow, error = await tasks.take(page)
            number += 1
            page = None if follow is None else tasks.start(_catalog_page(client, tasks, follow, number, types, seen))
            for listing in listings:
                yield listing
            del listings
            if error is not None:
                raise error
    finally:
        await tasks.aclose()


async def _product_refs(client: Any, last_id: str) -> tuple[list[ProductRefRow], str]:
    """One /v3/product/list page of the whole catalog: (its product refs, the last_id it gives)."""
    body = {"filter": {"visibility": "ALL"}, "last_id": last_id, "limit": limits.PRODUCT_PAGE_LIMIT}
    result = (await client.post_rows("/v3/product/list", body, ProductRefPage)).get("result") or {}
    refs = result.get("items") or []
    learn_rows(client, refs=refs)
    return refs, result.get("last_id") or ""


async def _catalog_page(client: Any, tasks: Prefetch, refs_task: asyncio.Task, number: int, types: frozenset[str],
                        seen: set[str]) -> tuple[list[Listing], asyncio.Task | None, BadResponse | None]:
    """Page `number` of iter_listings: its product list (`refs_task`, already sent), then its details. Once the
    list is in, the next page's list is sent at once (its task is returned: the next page's `refs_task`) so it
    overlaps the details. A last_id seen before, or a page past MAX_PRODUCT_PAGES, is the error that follows
    this page's listings (returned, for the caller to raise after them)."""
    refs, last_id = await tasks.take(refs_task)
    follow: asyncio.Task | None = None
    error: BadResponse | None = None
    if refs and len(refs) >= limits.PRODUCT_PAGE_LIMIT and last_id:
        if last_id in seen:
            error = BadResponse("ozon /v3/product/list: last_id repeats")
        elif number >= limits.MAX_PRODUCT_PAGES:
            error = BadResponse("ozon /v3/product/list: too many pages")
        else:
            seen.add(last_id)
            follow = tasks.start(_product_refs(client, last_id))
    return await _catalog_details(client, refs, types), follow, error


async def _catalog_details(client: Any, refs: Sequence[ProductRefRow], types: frozenset[str]) -> list[Listing]:
    """The listings of one page of refs; details from /v3/product/info/list, PRODUCT_INFO_BATCH ids a request."""
    if not refs:
        return []
    infos: dict[int, ProductInfoRow] = {}
    for chunk in limits.chunks(list(dict.fromkeys(ref["product_id"] for ref in refs)), limits.PRODUCT_INFO_BATCH):
        page = await client.post_rows("/v3/product/info/list", {"product_id": [str(i) for i in chunk]},
                                      ProductInfoPage)
        items = page.get("items") or []
        learn_rows(client, infos=items)
        infos.update((info["id"], info) for info in items)
    marketplace = client.marketplace
    return [listing_of(marketplace, ref, infos.get(ref["product_id"]), types) for ref in refs]


# ----------------------------------------------------------------------------------- details and ids
async def product_info(client: Any, *, product_ids: Sequence[int] = (), skus: Sequence[int] = ()
                       ) -> list[ProductInfoRow]:
    """/v3/product/info/list in batches of PRODUCT_INFO_BATCH ids (one kind of id per request)."""
    found: list[ProductInfoRow] = []
    for field_name, ids in (("product_id", product_ids), ("sku", skus)):
        for chunk in limits.chunks(list(dict.fromkeys(ids)), limits.PRODUCT_INFO_BATCH):
            reply = await client.post_rows("/v3/product/info/list", {field_name: [str(i) for i in chunk]},
                                           ProductInfoPage)
            items = reply.get("items") or []
            learn_rows(client, infos=items)
            found.extend(items)
    return found


async def resolve_product_ids(client: Any, offers: Iterable[str]) -> dict[str, int]:
    """offer_id -> product_id of the offers Ozon knows: the ones the client has learned, the others read with
    /v3/product/list filtered by offer_id. The mapping is the caller's for its call (the client keeps only
    the newest OZON_ID_CACHE ids)."""
    wanted = [o for o in dict.fromkeys(offers) if o]
    known = client.product_ids
    found = {o: known[o] for o in wanted if o in known}
    missing = [o for o in wanted if o not in found]
    for chunk in limits.chunks(missing, limits.PRODUCT_PAGE_LIMIT):
        body = {"filter": {"offer_id": list(chunk), "visibility": "ALL"}, "last_id": "", "limit": len(chunk)}
        refs = ((await client.post_rows("/v3/product/list", body, ProductRefPage)).get("result") or {}).get("items") \
            or []
        learn_rows(client, refs=refs)
        found.update((ref["offer_id"], ref["product_id"]) for ref in refs if ref.get("offer_id"))
    return found


async def offers_for(client: Any, skus: Iterable[str]) -> dict[str, str]:
    """Ozon SKU (as text) -> offer_id, asking /v3/product/info/list for the ones not learned yet. A key without
    the role for product reads keeps Ozon's SKUs (but those learned meanwhile)."""
    wanted = {int(s) for s in skus if s.isdigit()}
    known = client.offers_by_sku  # the newest OZON_ID_CACHE learned: this call keeps its own mapping
    found = {s: known[s] for s in wanted if s in known}
    unknown = [s for s in wanted if s not in found]
    if unknown:
        try:
            infos = await product_info(client, skus=sorted(unknown))
        except IpRestricted:
            raise
        except PermissionDenied:
            found.update((s, known[s]) for s in unknown if s in known)
        else:
            found.update((info["sku"], info["offer_id"]) for info in infos
                         if info.get("offer_id") and info.get("sku"))
    return {str(s): found[s] for s in wanted if s in found}
