"""The catalog job (services/catalog_sync.py, run by the job runner) against both databases: what a first sync writes (bulk path), what a re-sync changes, and that a
failure on either side (marketplace mid-stream, database) leaves stored batches intact and no reader running."""
import asyncio
from decimal import Decimal

from sqlalchemy import func, select, update

from connectors.base import Listing as MarketListing, Marketplace, MarketplaceUnavailable
from db.models import JsonText, Listing, MarketplaceIntegration, Partner, Product, StockMovement, SyncRun
from services import catalog_sync
from services.catalog_sync import BATCH
from services.jobs import JobKind
from tests.support.jobs import run_job


class Catalog:
    """A marketplace account's listings as the connector streams them; may fail after `fail_after` items."""

    def __init__(self, listings: list[MarketListing], fail_after: int | None = None):
        self.listings, self.fail_after = listings, fail_after
        self.closed = 0

    async def iter_listings(self):
        for n, listing in enumerate(self.listings):
            if self.fail_after is not None and n == self.fail_after:
                raise MarketplaceUnavailable("ozon: 503 Service Unavailable", status=503)
            if n % 100 == 0:
                await asyncio.sleep(0)  # a page boundary: let the writer run, as real HTTP waits do
            yield listing

    async def aclose(self):
        self.closed += 1


async def sync(sessionmaker, integration_id: str, catalog: Catalog) -> catalog_sync.CatalogReport:
    outcome = await run_job(sessionmaker, JobKind.CATALOG, integration_id, catalog)
    assert outcome.report is not None
    outcome.report.error = outcome.error
    return outcome.report


def listing(n: int, *, sku: str | None = "auto", stock: int | None = 3, barcodes=None) -> MarketListing:
    return MarketListing(marketplace=Marketplace.OZON, external_id=str(300_000_000 + n),
                         seller_sku=f"SKU-{n:06d}" if sku == "auto" else sku, name=f"Teapot #{n}",
                         barcodes=tuple(barcodes if barcodes is not None else [f"478{n:010d}"]), status="price_sent",
                         price=Decimal("1250.50"), currency="RUB", stock=stock,
                         stock_ids=(f"SKU-{n:06d}",), price_id=f"SKU-{n:06d}")


async def seed(sessionmaker) -> tuple[str, str]:
    async with sessionmaker() as s:
        partner = Partner(telegram_id=42, language="en")
        s.add(partner)
        await s.flush()
        integration = MarketplaceIntegration(partner_id=partner.id, marketplace="ozon", status="active", active=1,
                                             seller_id="1")
        s.add_all([integration, Product(partner_id=partner.id, sku="SKU-000002", name="Known teapot", stock=5,
                                        barcode="4780000000002"),
                   Product(partner_id=partner.id, sku="OWN-7", name="Known by barcode", stock=1,
                           barcode="4780000000007")])
        await s.commit()
        return partner.id, integration.id


async def count(s, model, *where) -> int:
    return await s.scalar(select(func.count()).select_from(model).where(*where))


async def test_first_sync_writes_every_row_and_matches(sessionmaker):
    partner_id, integration_id = await seed(sessionmaker)
    items = [listing(n) for n in range(1, BATCH * 2 + 301)]
    items[6] = listing(7, sku="SKU-OTHER-7")  # new SKU, but the barcode of OWN-7: matched by barcode
    items.append(listing(99_999, sku=None, barcodes=[]))  # nothing to match on
    catalog = Catalog(items)
    report = await sync(sessionmaker, integration_id, catalog)

    assert report.error is None and catalog.closed == 1
    assert report.seen == len(items) and report.created_listings == len(items)
    assert (report.matched_by_sku, report.matched_by_barcode, report.unmatched) == (1, 1, 1)
    assert report.created_products == len(items) - 3
    async with sessionmaker() as s:
        assert await count(s, Listing) == len(items)
        assert await count(s, Product) == len(items) - 3 + 2
        made = await s.scalar(select(Product).where(Product.sku == "SKU-000001"))
        assert (made.name, made.stock, made.price, made.barcode) == ("Teapot #1", 3, Decimal("1250.50"),
                                                                      "4780000000001")
        movement = await s.scalar(select(StockMovement).where(StockMovement.product_id == made.id))
        assert (movement.delta, movement.stock_after, movement.reason) == (3, 3, "sync")
        row = await s.scalar(select(Listing).where(Listing.seller_sku == "SKU-000001"))
        assert row.product_id == made.id and row.pushed_stock == 3 and row.stock_dirty_at is None
        assert JsonText.load(row.barcodes, []) == ["4780000000001"] and JsonText.load(row.stock_ids, []) == \
            ["SKU-000001"]
        assert (row.seen_price, row.pushed_price, row.currency, row.push_attempts) == \
            (Decimal("1250.50"), Decimal("1250.50"), "RUB", 0)
        known = await s.scalar(select(Listing).where(Listing.seller_sku == "SKU-000002"))
        assert known.stock_dirty_at is not None  # platform has 5, marketplace shows 3: the platform's is pushed
        by_barcode = await s.scalar(select(Listing).where(Listing.seller_sku == "SKU-OTHER-7"))
        assert by_barcode.product_id == (await s.scalar(select(Product.id).where(Product.sku == "OWN-7")))
        run = await s.scalar(select(SyncRun))
        assert run.status == "ok" and JsonText.load(run.counts, {})["created_listings"] == len(items)


async def test_resync_updates_in_place_and_notices_what_is_gone(sessionmaker):
    _, integration_id = await seed(sessionmaker)
    items = [listing(n) for n in range(1, 1201)]
    await sync(sessionmaker, integration_id, Catalog(items))
    async with sessionmaker() as s:  # as if the first sync ran earlier
        await s.execute(update(Listing).values(seen_at=Listing.seen_at - 3600))
        await s.commit()
    again = items[:-1]
    again[0] = listing(1, stock=9)  # changed in the marketplace's cabinet
    report = await sync(sessionmaker, integration_id, Catalog(again))

    assert (report.created_listings, report.updated_listings, report.gone) == (0, len(again), 1)
    assert report.drift_count == 1 and report.stock_drift[0]["action"] == "pushed_back"
    async with sessionmaker() as s:
        assert await count(s, Listing) == len(items)
        assert await count(s, Listing, Listing.status == "gone") == 1
        first = await s.scalar(select(Listing).where(Listing.seller_sku == "SKU-000001"))
        assert first.seen_stock == 9 and first.stock_dirty_at is not None


async def test_marketplace_failure_mid_stream_keeps_stored_batches(sessionmaker):
    _, integration_id = await seed(sessionmaker)
    catalog = Catalog([listing(n) for n in range(1, 2001)], fail_after=BATCH + 500)
    report = await sync(sessionmaker, integration_id, catalog)

    assert isinstance(report.error, MarketplaceUnavailable) and catalog.closed == 1
    async with sessionmaker() as s:
        assert await count(s, Listing) == BATCH  # the first batch was written before the failure
        run = await s.scalar(select(SyncRun))
        assert run.status == "failed"
        integration = await s.get(MarketplaceIntegration, integration_id)
        assert integration.last_sync_at is None


async def test_database_failure_stops_the_reader_and_is_a_failed_run(sessionmaker, monkeypatch):
    _, integration_id = await seed(sessionmaker)
    catalog = Catalog([listing(n) for n in range(1, 5001)])
    store, stored = catalog_sync._store, []

    async def broken(*args, **kwargs):
        if stored:
            raise RuntimeError("disk full")
        stored.append(1)
        await store(*args, **kwargs)

    monkeypatch.setattr(catalog_sync, "_store", broken)
    outcome = await run_job(sessionmaker, JobKind.CATALOG, integration_id, catalog)
    assert outcome.error is not None and outcome.error.cause.value == "internal" and catalog.closed == 1
    assert [t for t in asyncio.all_tasks() if t.get_name().startswith("catalog-read")] == []
    async with sessionmaker() as s:
        assert await count(s, Listing) == BATCH
        run = await s.scalar(select(SyncRun))
        assert (run.status, run.error) == ("failed", "internal")
        integration = await s.get(MarketplaceIntegration, integration_id)
        assert integration.failure_streak == 1 and integration.last_error == "internal"


async def test_resync_adopts_when_told_and_never_overwrites_newer_marks(sessionmaker):
    _, integration_id = await seed(sessionmaker)
    items = [listing(n) for n in range(10, 20)] + [listing(30, sku=None, barcodes=["4780000000007"])]
    await sync(sessionmaker, integration_id, Catalog([listing(n) for n in range(10, 20)] +
                                                         [listing(30, sku=None, barcodes=[])]))
    async with sessionmaker() as s:
        integration = await s.get(MarketplaceIntegration, integration_id)
        integration.settings = JsonText.dump({"drift_policy": "adopt"})
        await s.execute(update(Listing).where(Listing.seller_sku == "SKU-000011").values(stock_dirty_at=123))
        await s.execute(update(Listing).values(seen_at=Listing.seen_at - 3600))
        await s.commit()
    items[0] = MarketListing(**{**items[0].__dict__, "stock": 8, "price": Decimal("999.00")})  # changed in the cabinet
    items[1] = MarketListing(**{**items[1].__dict__, "stock": 1})
    report = await sync(sessionmaker, integration_id, Catalog(items))

    assert report.drift_count == 3 and {d["action"] for d in report.stock_drift + report.price_drift} == {"adopted"}
    async with sessionmaker() as s:
        product = await s.scalar(select(Product).where(Product.sku == "SKU-000010"))
        assert (product.stock, product.price) == (8, Decimal("999.00"))
        row = await s.scalar(select(Listing).where(Listing.seller_sku == "SKU-000010"))
        assert (row.pushed_stock, row.pushed_price, row.seen_stock) == (8, Decimal("999.00"), 8)
        assert await count(s, StockMovement, StockMovement.reason == "adopt") == 2
        marked = await s.scalar(select(Listing).where(Listing.seller_sku == "SKU-000011"))
        assert marked.stock_dirty_at == 123 and marked.pushed_stock == 1  # the earlier mark kept
        linked = await s.scalar(select(Listing).where(Listing.external_id == str(300_000_030)))
        assert linked.product_id == await s.scalar(select(Product.id).where(Product.sku == "OWN-7"))


async def test_resync_rewrites_only_what_changed_and_stamps_the_rest(sessionmaker):
    _, integration_id = await seed(sessionmaker)
    items = [listing(n) for n in range(1, BATCH + 201)]
    await sync(sessionmaker, integration_id, Catalog(items))
    async with sessionmaker() as s:  # as if the first sync ran an hour ago, and one listing was marked gone since
        await s.execute(update(Listing).values(seen_at=Listing.seen_at - 3600))
        await s.execute(update(Listing).where(Listing.seller_sku == "SKU-000005").values(status="gone"))
        await s.commit()
        before = await s.scalar(select(func.max(Listing.seen_at)))
    again = list(items)
    again[9] = MarketListing(**{**items[9].__dict__, "name": "Teapot #10, renamed"})
    again[BATCH + 10] = MarketListing(**{**items[BATCH + 10].__dict__, "barcodes": ("4789999999999", "4780000001011")})
    report = await sync(sessionmaker, integration_id, Catalog(again))

    assert (report.created_listings, report.updated_listings, report.gone) == (0, len(items), 0)
    assert report.changed_listings == 3  # renamed, new barcodes, back from gone
    async with sessionmaker() as s:
        assert await count(s, Listing, Listing.seen_at <= before) == 0  # every listing seen: none goes missing
        renamed = await s.scalar(select(Listing).where(Listing.seller_sku == "SKU-000010"))
        assert renamed.name == "Teapot #10, renamed"
        rebarcoded = await s.scalar(select(Listing).where(Listing.seller_sku == f"SKU-{BATCH + 11:06d}"))
        assert rebarcoded.barcode == "4789999999999"
        assert JsonText.load(rebarcoded.barcodes, []) == ["4789999999999", "4780000001011"]
        back = await s.scalar(select(Listing).where(Listing.seller_sku == "SKU-000005"))
        assert back.status == "price_sent"
        same = await s.scalar(select(Listing).where(Listing.seller_sku == "SKU-000001"))
        assert (same.name, same.seen_stock, same.seen_price) == ("Teapot #1", 3, Decimal("1250.50"))


async def test_resync_links_an_unchanged_listing_to_a_product_made_since(sessionmaker):
    partner_id, integration_id = await seed(sessionmaker)
    items = [listing(1), listing(40, sku=None, barcodes=["4780000000040"])]
    await sync(sessionmaker, integration_id, Catalog(items))
    async with sessionmaker() as s:
        assert await s.scalar(select(Listing.product_id).where(Listing.external_id == str(300_000_040))) is None
        s.add(Product(partner_id=partner_id, sku="OWN-40", name="Made in the chat", stock=0, barcode="4780000000040"))
        await s.commit()
    report = await sync(sessionmaker, integration_id, Catalog(items))

    assert (report.matched_by_barcode, report.changed_listings) == (1, 1)
    async with sessionmaker() as s:
        linked = await s.scalar(select(Listing.product_id).where(Listing.external_id == str(300_000_040)))
        assert linked == await s.scalar(select(Product.id).where(Product.sku == "OWN-40"))


async def test_a_batch_that_fails_half_written_leaves_nothing_of_itself(sessionmaker, monkeypatch):
    _, integration_id = await seed(sessionmaker)
    insert, calls = catalog_sync.insert_rows, []

    async def failing_third_table_of_second_batch(session, table, columns, rows):
        calls.append(table.name)
        if len(calls) == 6:  # products, movements written for batch 2; its listings fail
            raise RuntimeError("disk full")
        await insert(session, table, columns, rows)

    monkeypatch.setattr(catalog_sync, "insert_rows", failing_third_table_of_second_batch)
    outcome = await run_job(sessionmaker, JobKind.CATALOG, integration_id,
                            Catalog([listing(n) for n in range(10, BATCH * 2 + 10)]))
    assert outcome.error is not None and outcome.error.cause.value == "internal"
    async with sessionmaker() as s:
        assert await count(s, Listing) == BATCH
        assert await count(s, Product) == BATCH + 2  # batch 2's products rolled back with its listings
        assert await count(s, StockMovement) == BATCH


async def test_lookups_and_stamps_split_over_many_statements_match_the_same(sessionmaker, monkeypatch):
    from db import bulk

    monkeypatch.setattr(bulk, "MAX_IN", 7)  # a batch's ids, SKUs and barcodes spread over many statements
    _, integration_id = await seed(sessionmaker)
    items = [listing(n) for n in range(1, 60)]
    first = await sync(sessionmaker, integration_id, Catalog(items))
    assert (first.matched_by_sku, first.matched_by_barcode, first.created_products) == (1, 1, 57)
    async with sessionmaker() as s:
        await s.execute(update(Listing).values(seen_at=Listing.seen_at - 3600))
        await s.commit()
    again = await sync(sessionmaker, integration_id, Catalog(items[:-1]))
    assert (again.updated_listings, again.changed_listings, again.gone, again.created_listings) == (58, 0, 1, 0)
    assert (again.matched_by_sku, again.matched_by_barcode) == (57, 1)  # SKU-000007 still only by barcode
