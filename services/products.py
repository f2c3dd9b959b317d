"""The partner's catalog: browse and search, a product with its listings, set stock and prices, and
spreadsheet export / import (validated first, applied only when the partner confirms)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    IntegrationStatus,
    JsonText,
    Listing,
    MarketplaceIntegration,
    PendingImport,
    Product,
    now,
)
from services import audit, spreadsheets
from services.spreadsheets import (
    ExportRow,
    ImportRow,
    MarketplaceCell,
    ParsedImport,
    RejectedRow,
)
from services.stock import Reason, apply_change, mark_price_dirty

PAGE_SIZE = 8


@dataclass
class ListingView:
    listing: Listing
    integration: MarketplaceIntegration


async def page(session: AsyncSession, partner_id: str, page_no: int, query: str | None = None
               ) -> tuple[list[Product], int, int]:
    """One page of products (by SKU), optionally filtered by SKU / name / barcode; and pages, total."""
    condition = Product.partner_id == partner_id
    if query:
        pattern = f"%{query.strip().lower()}%"
        condition = condition & or_(func.lower(Product.sku).like(pattern), func.lower(Product.name).like(pattern),
                                    Product.barcode.like(f"%{query.strip()}%"))
    total = await session.scalar(select(func.count()).select_from(Product).where(condition)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page_no = min(max(page_no, 0), pages - 1)
    rows = await session.scalars(select(Product).where(condition).order_by(Product.sku)
                                 .offset(page_no * PAGE_SIZE).limit(PAGE_SIZE))
    return list(rows), pages, total


async def get(session: AsyncSession, partner_id: str, product_id: str) -> Product | None:
    return await session.scalar(select(Product).where(Product.id == product_id, Product.partner_id == partner_id))


async def listings_of(session: AsyncSession, product: Product) -> list[ListingView]:
    rows = await session.execute(
        select(Listing, MarketplaceIntegration)
        .join(MarketplaceIntegration, MarketplaceIntegration.id == Listing.integration_id)
        .where(Listing.product_id == product.id, MarketplaceIntegration.status != IntegrationStatus.DRAFT)
        .order_by(MarketplaceIntegration.marketplace, MarketplaceIntegration.created_at))
    return [ListingView(listing, integration) for listing, integration in rows]


async def set_price(session: AsyncSession, product: Product, price: Decimal) -> None:
    """The price for every marketplace (listings with their own price keep it)."""
    product.price = price
    await session.flush()
    await session.execute(update(Listing).where(Listing.product_id == product.id, Listing.price_override.is_(None),
                                                Listing.price_dirty_at.is_(None)).values(price_dirty_at=now()))


async def set_marketplace_price(session: AsyncSession, product: Product, integration_id: str,
                                price: Decimal | None) -> int:
    """A price for one marketplace account only (None: back to the product's price). Returns listings changed."""
    result = await session.execute(
        update(Listing).where(Listing.product_id == product.id, Listing.integration_id == integration_id)
        .values(price_override=price))
    await mark_price_dirty(session, [product.id], integration_id=integration_id)
    return result.rowcount or 0


async def set_cost_price(session: AsyncSession, product: Product, cost: Decimal | None, *, actor: int | None) -> None:
    """What one unit costs the partner (None: not set). Only profit reads it: nothing is sent to a marketplace."""
    if cost is not None and not 0 < cost <= spreadsheets.MAX_PRICE:
        raise ValueError(cost)
    old = product.cost_price
    product.cost_price = cost
    audit.record(session, "product.cost_price", actor=actor, partner_id=product.partner_id, object_type="product",
                 object_id=product.id, old=None if old is None else str(old), new=None if cost is None else str(cost))
    await session.flush()


def parse_price(text: str) -> Decimal | None:
    """A price typed in chat: "125000", "125 000", "1249,90", "1 249.90" (the spreadsheet rules: an ambiguous
    "12,000" is refused rather than guessed); None if it is not one."""
    return spreadsheets.parse_price(text)


# ---- spreadsheets ----

async def export_rows(session: AsyncSession, partner_id: str):
    """Rows for services.spreadsheets, streamed product by product (bounded memory)."""
    integrations = {i.id: i.marketplace for i in await session.scalars(
        select(MarketplaceIntegration).where(MarketplaceIntegration.partner_id == partner_id))}
    last_sku = ""
    while True:
        products = list(await session.scalars(select(Product).where(Product.partner_id == partner_id,
                                                                   Product.sku > last_sku)
                                              .order_by(Product.sku).limit(1000)))
        if not products:
            return
        listings: dict[str, list[Listing]] = {}
        for listing in await session.scalars(select(Listing).where(Listing.product_id.in_([p.id for p in products]))):
            listings.setdefault(listing.product_id, []).append(listing)
        for product in products:
            cells = {}
            for listing in listings.get(product.id, []):
                marketplace = integrations.get(listing.integration_id)
                if marketplace and marketplace not in cells:
                    price = listing.price_override if listing.price_override is not None else product.price
                    cells[marketplace] = MarketplaceCell(listing.external_id, price, listing.status)
            yield ExportRow(sku=product.sku, name=product.name, barcode=product.barcode, stock=product.stock,
                            price=product.price, per_marketplace=cells, cost_price=product.cost_price)
        last_sku = products[-1].sku


async def prepare_import(session: AsyncSession, partner_id: str, filename: str, parsed: ParsedImport) -> PendingImport:
    """Check the parsed rows against the catalog and keep them for the partner's confirmation."""
    skus = [row.sku for row in parsed.rows]
    known: dict[str, Decimal | None] = {}  # sku -> its cost price now
    for start in range(0, len(skus), 900):
        rows = await session.execute(select(Product.sku, Product.cost_price).where(
            Product.partner_id == partner_id, Product.sku.in_(skus[start:start + 900])))
        known.update({sku: cost for sku, cost in rows})
    valid = [row for row in parsed.rows if row.sku in known]
    cost_changes = sum(1 for row in valid if row.cost_price is not None and row.cost_price != known[row.sku])
    rejected = list(parsed.rejected) + [RejectedRow(row.row_number, row.sku, "unknown_sku", None)
                                        for row in parsed.rows if row.sku not in known]
    rejected.sort(key=lambda r: r.row_number)
    pending = PendingImport(
        partner_id=partner_id, filename=filename,
        rows=JsonText.dump([[r.row_number, r.sku, r.stock, _text(r.price), _text(r.cost_price)] for r in valid]),
        report=JsonText.dump({"total": parsed.total_rows, "valid": len(valid), "cost_changes": cost_changes,
                              "rejected": [[r.row_number, r.sku, r.reason, r.value] for r in rejected]}),
    )
    session.add(pending)
    await session.flush()
    return pending


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


class ImportApplied(NamedTuple):
    stock: int  # products whose stock changed
    prices: int
    costs: int  # cost prices


async def apply_import(session: AsyncSession, partner_id: str, import_id: str, *, actor: int) -> ImportApplied | None:
    """Apply a confirmed import once. Returns how many products changed, None if not pending."""
    pending = await session.scalar(select(PendingImport).where(
        PendingImport.id == import_id, PendingImport.partner_id == partner_id, PendingImport.status == "pending"))
    if pending is None:
        return None
    pending.status = "applied"
    # Imports checked before the cost price column have four values a row.
    rows = [ImportRow(n, sku, stock, _decimal(price), _decimal(cost[0] if cost else None))
            for n, sku, stock, price, *cost in JsonText.load(pending.rows, [])]
    stock_changed = price_changed = cost_changed = 0
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        products = {p.sku: p for p in await session.scalars(
            select(Product).where(Product.partner_id == partner_id, Product.sku.in_([r.sku for r in chunk])))}
        for row in chunk:
            product = products.get(row.sku)
            if product is None:
                continue
            if row.stock is not None and row.stock != product.stock:
                # The reference makes a double-pressed "Apply" (or a retry) change nothing the second time.
                if await apply_change(session, product, set_to=row.stock, reason=Reason.IMPORT,
                                      reference=f"import:{pending.id}:{row.row_number}", actor=actor):
                    stock_changed += 1
            if row.price is not None and row.price != product.price:
                await set_price(session, product, row.price)
                price_changed += 1
            if row.cost_price is not None and row.cost_price != product.cost_price:
                product.cost_price = row.cost_price
                cost_changed += 1
    if cost_changed:  # one audit row for the file (the pending import keeps every row's value)
        audit.record(session, "product.cost_price.import", actor=actor, partner_id=partner_id,
                     object_type="import", object_id=pending.id, count=cost_changed)
    return ImportApplied(stock_changed, price_changed, cost_changed)


async def cancel_import(session: AsyncSession, partner_id: str, import_id: str) -> bool:
    result = await session.execute(update(PendingImport).where(
        PendingImport.id == import_id, PendingImport.partner_id == partner_id, PendingImport.status == "pending")
        .values(status="cancelled"))
    return bool(result.rowcount)
