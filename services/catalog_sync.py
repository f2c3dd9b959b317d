"""Catalog sync (marketplace → platform), the catalog job: stream an integration's listings, upsert them in batches, match each
to a catalog product by seller SKU then barcode, create products for the unmatched, report duplicates, and
notice drift (someone changed stock or price in the marketplace's cabinet).

Memory stays bounded whatever the catalog size: a few batches of listings are in memory at a time.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

import orjson
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import ConnectorError, Listing as MarketListing
from db.bulk import FILL, UNLESS_NULL, insert_rows, select_rows, set_where_in, update_rows
from db.models import Listing, MarketplaceIntegration, Product, StockMovement, new_ids, now
from services.jobs.types import JobContext, JobResult
from services.stock import Reason, StockRules, apply_change, channel_quantity

BATCH = 1000
READ_AHEAD = 2  # batches read ahead of the database writes
DRIFT_EXAMPLES = 10


class DriftPolicy:
    PUSH_BACK = "push_back"  # the platform's value wins and is sent again (default)
    ADOPT = "adopt"  # the marketplace's value becomes the platform's


Progress = Callable[["CatalogReport"], Awaitable[None]]


@dataclass
class CatalogReport:
    integration_id: str
    run_id: str
    seen: int = 0
    created_listings: int = 0
    updated_listings: int = 0  # stored already (every listing of a re-sync)
    changed_listings: int = 0  # of those, the ones whose values changed and were rewritten
    created_products: int = 0
    matched_by_sku: int = 0
    matched_by_barcode: int = 0
    unmatched: int = 0
    gone: int = 0  # listings no longer returned by the marketplace
    duplicate_skus: list[tuple[str, int]] = field(default_factory=list)  # (sku, how many listings)
    shared_barcodes: list[tuple[str, list[str]]] = field(default_factory=list)  # (barcode, skus)
    stock_drift: list[dict] = field(default_factory=list)  # {sku, pushed, seen, action}
    price_drift: list[dict] = field(default_factory=list)
    drift_count: int = 0
    error: ConnectorError | None = None

    def counts(self) -> dict:
        return {
            "seen": self.seen, "created_listings": self.created_listings, "updated_listings": self.updated_listings,
            "changed_listings": self.changed_listings,
            "created_products": self.created_products, "matched_by_sku": self.matched_by_sku,
            "matched_by_barcode": self.matched_by_barcode, "unmatched": self.unmatched, "gone": self.gone,
            "duplicate_skus": len(self.duplicate_skus), "shared_barcodes": len(self.shared_barcodes),
            "drift": self.drift_count,
        }


async def sync(ctx: JobContext) -> JobResult:
    """The catalog job. Pages are read while the previous batch is written: the reader runs ahead by at most
    READ_AHEAD batches (bounded memory); each batch is stored in its own transaction (one session for the run, so
    no connection is checked out and reset per batch), and a failure mid-way keeps what was stored.
    `ctx.options["progress"]` (the chat's progress message) is called after each batch."""
    progress: Progress | None = ctx.options.get("progress")
    report = CatalogReport(ctx.integration_id, ctx.run_id)
    rules = StockRules.from_settings(ctx.settings)
    policy = ctx.settings.get("drift_policy", DriftPolicy.PUSH_BACK)
    queue: asyncio.Queue = asyncio.Queue(maxsize=READ_AHEAD)
    reader = asyncio.create_task(_read_batches(ctx.client, queue), name=f"catalog-read-{ctx.integration_id}")
    try:
        async with ctx.platform.sessionmaker() as session:
            while (item := await queue.get()) is not _END:
                if isinstance(item, ConnectorError):
                    report.error = item
                    break
                if isinstance(item, BaseException):
                    raise item
                await _store(session, item, ctx.integration_id, ctx.partner_id, rules, policy, report)
                if progress:
                    await progress(report)
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader

    async def after_full_pass(session: AsyncSession, integration: MarketplaceIntegration) -> None:
        """After every page was read: what disappeared, and duplicates."""
        gone = await session.execute(
            update(Listing)
            .where(Listing.integration_id == integration.id, Listing.seen_at < ctx.started_at,
                   Listing.status.is_distinct_from("gone"))
            .values(status="gone"))
        report.gone = gone.rowcount or 0
        report.duplicate_skus, report.shared_barcodes = await duplicates(session, integration.id)
        integration.last_sync_at = now()

    return JobResult(report=report, error=report.error, finish=None if report.error else after_full_pass)


async def _store(session: AsyncSession, batch: list[MarketListing], integration_id: str, partner_id: str,
                 rules: StockRules, policy: str, report: CatalogReport) -> None:
    """Upsert one batch of listings and commit: new rows (every row of a first sync) inserted, stored rows whose
    values changed rewritten, the others only stamped as seen (a re-sync of an unchanged catalog rewrites
    nothing else); each kind as plain tuples in bulk (db/bulk.py)."""
    # Two entries with the same id in one page would collide on insert: the later one wins.
    batch = list({item.external_id: item for item in batch}.values())
    stamp = now()
    existing = {row.external_id: row for row in map(_Stored._make, await select_rows(
        session, Listing.__table__, _Stored._fields, {"integration_id": integration_id},
        {"external_id": [item.external_id for item in batch]}))}
    products = await _products_for(session, partner_id, batch)
    new_products: list[tuple] = []
    new_movements: list[tuple] = []
    new_listings: list[tuple] = []
    changed: list[tuple] = []
    unchanged: list[str] = []
    fresh = len(batch) - len(existing)
    next_id = iter(new_ids(3 * fresh)).__next__ if fresh else None  # a product, a movement, a listing per new one
    report.seen += len(batch)
    by_sku, by_id, match, dumps = products.by_sku, products.by_id, products.match, orjson.dumps
    by_barcode = unmatched = 0
    for item in batch:
        product = match(item)
        if product is not None and by_sku.get(item.seller_sku or "") is not product:
            by_barcode += 1
        barcodes = item.barcodes
        seen = (item.seller_sku, barcodes[0] if barcodes else None, dumps(barcodes).decode(), item.name, item.status,
                item.currency, dumps(item.stock_ids).decode(), item.price_id, item.stock,
                item.price)  # _SEEN_COLUMNS, as JSON where they are lists (JsonText.load reads them back)
        row = existing.get(item.external_id)
        if row is not None:
            marks: dict = {}
            if _may_drift(row, item):
                await _drift(session, row, item, by_id.get(row.product_id), rules, policy, marks, report)
            product_id = product.id if product is not None else None
            if marks or seen != row[_SEEN_FROM:] or (row.product_id is None and product_id is not None):
                changed.append((row.id, *seen, stamp, product_id, *(marks.get(name) for name in _MARK_COLUMNS)))
            else:
                unchanged.append(row.id)
            continue
        pushed_stock = pushed_price = stock_dirty_at = None
        if product is None and item.seller_sku:
            product = products.create(item, next_id())
            new_products.append((product.id, partner_id, product.sku, item.name or item.seller_sku, product.barcode,
                                 product.stock, item.price, stamp, stamp))
            if product.stock:
                new_movements.append((next_id(), partner_id, product.id, product.stock, product.stock,
                                      Reason.SYNC, f"sync:{product.id}", stamp))
            # The product was made from this listing: they agree, nothing to push.
            pushed_stock, pushed_price = item.stock, item.price
        elif product is None:
            unmatched += 1
        elif item.stock is not None and channel_quantity(product.stock, rules) != item.stock:
            stock_dirty_at = stamp  # an existing product: show the platform's stock
        new_listings.append((next_id(), integration_id, product.id if product else None, item.external_id, *seen,
                             stamp, pushed_stock, pushed_price, stock_dirty_at, 0))
    report.matched_by_barcode += by_barcode
    report.matched_by_sku += len(batch) - unmatched - len(new_products) - by_barcode
    report.unmatched += unmatched
    report.created_products += len(new_products)
    report.created_listings += len(new_listings)
    report.updated_listings += len(changed) + len(unchanged)
    report.changed_listings += len(changed)
    await insert_rows(session, Product.__table__, _PRODUCT_COLUMNS, new_products)
    await insert_rows(session, StockMovement.__table__, _MOVEMENT_COLUMNS, new_movements)
    await insert_rows(session, Listing.__table__, _LISTING_COLUMNS, new_listings)
    await update_rows(session, Listing.__table__, "id", _UPDATE_COLUMNS, changed, merge=_UPDATE_MERGE)
    await set_where_in(session, Listing.__table__, {"seen_at": stamp}, "id", unchanged)
    await session.commit()
    session.expunge_all()  # a product adopted in this batch is read afresh by the next one


def _may_drift(row: _Stored, item: MarketListing) -> bool:
    """What _drift looks at differs (cheap: most stored listings show what was pushed)."""
    return ((item.stock is not None and row.pushed_stock is not None and item.stock != row.pushed_stock)
            or (item.price is not None and row.pushed_price is not None and item.price != row.pushed_price))


async def _drift(session: AsyncSession, row, item: MarketListing, product, rules: StockRules, policy: str,
                 values: dict, report: CatalogReport) -> None:
    """The marketplace shows something other than what we last pushed: someone changed it there. `row` is the
    stored listing (a _Stored), `product` its product as _products_for reads it (or None); what to write goes
    into `values` (see _UPDATE_MERGE)."""
    if product is None:
        return
    if item.stock is not None and row.pushed_stock is not None and item.stock != row.pushed_stock:
        report.drift_count += 1
        adopt = policy == DriftPolicy.ADOPT and rules.is_default
        if len(report.stock_drift) < DRIFT_EXAMPLES:
            report.stock_drift.append({"sku": product.sku, "pushed": row.pushed_stock, "seen": item.stock,
                                       "action": "adopted" if adopt else "pushed_back"})
        if adopt:
            await apply_change(session, await session.get(Product, product.id), set_to=item.stock,
                               reason=Reason.ADOPT, reference=f"adopt:{row.id}:{report.run_id}")
            values["pushed_stock"] = item.stock
        else:
            values["stock_dirty_at"] = now()  # kept if already waiting for a push
    if item.price is not None and row.pushed_price is not None and Decimal(item.price) != row.pushed_price:
        report.drift_count += 1
        adopt = policy == DriftPolicy.ADOPT
        if len(report.price_drift) < DRIFT_EXAMPLES:
            report.price_drift.append({"sku": product.sku, "pushed": str(row.pushed_price),
                                       "seen": str(item.price), "action": "adopted" if adopt else "pushed_back"})
        if adopt:
            if row.price_override is not None:
                values["price_override"] = item.price
            else:
                (await session.get(Product, product.id)).price = item.price
                await _mark_other_prices_dirty(session, product.id, row.id)
            values["pushed_price"] = item.price
        else:
            values["price_dirty_at"] = now()  # kept if already waiting for a push


async def duplicates(session: AsyncSession, integration_id: str, limit: int = 50
                     ) -> tuple[list[tuple[str, int]], list[tuple[str, list[str]]]]:
    """Two listings of one integration claiming the same SKU; one barcode under two SKUs."""
    live = Listing.status.is_distinct_from("gone")
    dup = await session.execute(
        select(Listing.seller_sku, func.count())
        .where(Listing.integration_id == integration_id, Listing.seller_sku.is_not(None), live)
        .group_by(Listing.seller_sku).having(func.count() > 1).order_by(Listing.seller_sku).limit(limit))
    duplicate_skus = [(sku, n) for sku, n in dup]
    shared = await session.execute(
        select(Listing.barcode)
        .where(Listing.integration_id == integration_id, Listing.barcode.is_not(None),
               Listing.seller_sku.is_not(None), live)
        .group_by(Listing.barcode).having(func.count(func.distinct(Listing.seller_sku)) > 1)
        .order_by(Listing.barcode).limit(limit))
    barcodes = [b for (b,) in shared]
    skus: dict[str, list[str]] = {}
    if barcodes:
        rows = await session.execute(
            select(Listing.barcode, Listing.seller_sku)
            .where(Listing.integration_id == integration_id, Listing.barcode.in_(barcodes)).distinct())
        for barcode, sku in rows:
            skus.setdefault(barcode, []).append(sku)
    return duplicate_skus, [(b, sorted(skus[b])) for b in barcodes]


async def unmatched(session: AsyncSession, integration_id: str, limit: int = 30) -> tuple[list[Listing], int]:
    """Listings not linked to any catalog product (no seller SKU, no known barcode)."""
    condition = (Listing.integration_id == integration_id) & Listing.product_id.is_(None) & \
        Listing.status.is_distinct_from("gone")
    total = await session.scalar(select(func.count()).select_from(Listing).where(condition)) or 0
    rows = await session.scalars(select(Listing).where(condition).order_by(Listing.name).limit(limit))
    return list(rows), total


class _Product(NamedTuple):
    """A product as matching needs it: a row of the partner's products, or one this sync creates."""

    id: str
    sku: str
    barcode: str | None
    stock: int


class _ProductIndex:
    """The partner's products that a batch can match, by SKU and by barcode, plus the ones made in it."""

    def __init__(self, products: list[_Product]):
        self.by_id = {p.id: p for p in products}
        self.by_sku = {p.sku: p for p in products}
        self.by_barcode: dict[str, _Product] = {}
        for p in products:
            if p.barcode:
                self.by_barcode.setdefault(p.barcode, p)

    def match(self, item: MarketListing) -> _Product | None:
        if item.seller_sku and item.seller_sku in self.by_sku:
            return self.by_sku[item.seller_sku]
        for barcode in item.barcodes:
            if barcode in self.by_barcode:
                return self.by_barcode[barcode]
        return None

    def create(self, item: MarketListing, product_id: str) -> _Product:
        product = _Product(product_id, item.seller_sku, item.barcodes[0] if item.barcodes else None,
                           max(item.stock or 0, 0))
        self.by_id[product.id] = product
        self.by_sku[product.sku] = product
        if product.barcode:
            self.by_barcode.setdefault(product.barcode, product)
        return product


async def _products_for(session: AsyncSession, partner_id: str, batch: list[MarketListing]) -> _ProductIndex:
    """The partner's products the batch can match, in one query: by SKU, or by one of its barcodes. Those found
    by a SKU of the batch come first (a barcode two products share matches the SKU-matched one). Plain rows: a
    re-sync reads 1,000 per batch, and ORM objects for them cost more than the query; the rare drift adoption
    loads its one product itself."""
    skus = {item.seller_sku for item in batch if item.seller_sku}
    rows = await select_rows(session, Product.__table__, _Product._fields, {"partner_id": partner_id},
                             {"sku": list(skus), "barcode": list({b for item in batch for b in item.barcodes})})
    found = {row[0]: row for row in rows}.values()
    return _ProductIndex([*map(_Product._make, (row for row in found if row[1] in skus)),
                          *map(_Product._make, (row for row in found if row[1] not in skus))])


_PRODUCT_COLUMNS = ("id", "partner_id", "sku", "name", "barcode", "stock", "price", "created_at", "updated_at")
_MOVEMENT_COLUMNS = ("id", "partner_id", "product_id", "delta", "stock_after", "reason", "reference", "created_at")
_SEEN_COLUMNS = ("seller_sku", "barcode", "barcodes", "name", "status", "currency", "stock_ids", "price_id",
                 "seen_stock", "seen_price")  # what the marketplace shows, compared on a re-sync
_LISTING_COLUMNS = ("id", "integration_id", "product_id", "external_id", *_SEEN_COLUMNS, "seen_at", "pushed_stock",
                    "pushed_price", "stock_dirty_at", "push_attempts")
# What drift handling may set on a stored listing.
_MARK_COLUMNS = ("stock_dirty_at", "price_dirty_at", "pushed_stock", "pushed_price", "price_override")
# What a sync writes on a listing already stored whose values changed. The merged columns never overwrite what a
# push or a partner set meanwhile with a stale value: a link or a "waiting for a push" mark is only filled in, an
# adopted value is written only when there is one.
_UPDATE_COLUMNS = (*_SEEN_COLUMNS, "seen_at", "product_id", *_MARK_COLUMNS)
_UPDATE_MERGE = {"product_id": FILL, "stock_dirty_at": FILL, "price_dirty_at": FILL, "pushed_stock": UNLESS_NULL,
                 "pushed_price": UNLESS_NULL, "price_override": UNLESS_NULL}


class _Stored(NamedTuple):
    """A stored listing as a sync needs it: what drift handling reads, then the _SEEN_COLUMNS to compare."""

    id: str
    external_id: str
    product_id: str | None
    pushed_stock: int | None
    pushed_price: Decimal | None
    price_override: Decimal | None
    seller_sku: str | None
    barcode: str | None
    barcodes: str | None
    name: str | None
    status: str | None
    currency: str | None
    stock_ids: str | None
    price_id: str | None
    seen_stock: int | None
    seen_price: Decimal | None


_SEEN_FROM = _Stored._fields.index("seller_sku")  # row[_SEEN_FROM:] lines up with _SEEN_COLUMNS


_END = object()  # the reader's last item: every page was read


async def _read_batches(client, queue: asyncio.Queue) -> None:
    """Feed the sync: lists of up to BATCH listings, then _END; a failure is handed over as the last item so the
    writer finishes what it has and reports it."""
    try:
        batch: list[MarketListing] = []
        # aclosing: cancelled while waiting for room in the queue, the connector's read-ahead stops at once
        # instead of when the abandoned generator is garbage-collected.
        async with contextlib.aclosing(client.iter_listings()) as listings:
            async for listing in listings:
                batch.append(listing)
                if len(batch) >= BATCH:
                    await queue.put(batch)
                    batch = []
        if batch:
            await queue.put(batch)
        await queue.put(_END)
    except Exception as error:  # noqa: BLE001 - handed to the writer, which raises what is not a ConnectorError
        await queue.put(error)


async def _mark_other_prices_dirty(session: AsyncSession, product_id: str, except_listing: str) -> None:
    await session.execute(
        update(Listing).where(Listing.product_id == product_id, Listing.id != except_listing,
                              Listing.price_dirty_at.is_(None)).values(price_dirty_at=now()))
