"""Pushes stock and prices to the marketplaces.

The queue lives on the listing rows (`stock_dirty_at`, `price_dirty_at`, `retry_at`), so it survives restarts.
A push takes an integration's due listings — due once no change arrived for DEBOUNCE seconds, so a burst of
edits becomes one push — and hands them to the connector in one call; the connector splits them into the
API's maximum batches and paces them. Each listing gets its own outcome: accepted (remember what was sent),
or rejected with the marketplace's reason (shown on the product card, retried with backoff).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors import profile
from connectors.base import ConnectorError, ItemOutcome, PriceUpdate, StockUpdate
from db.models import RUNNABLE, JsonText, Listing, MarketplaceIntegration, Product, now
from services.jobs.types import JobContext, JobKind, JobResult
from services.stock import StockRules, channel_quantity

DEBOUNCE = 5  # seconds without a change before a product's new stock is sent
CHUNK = 10_000  # listings handed to the connector per call (it splits them further)
RETRY_BACKOFF = (60, 300, 900, 3600, 3 * 3600)  # after the 1st, 2nd ... failed attempt
MAX_ATTEMPTS = len(RETRY_BACKOFF)  # then wait for the next change instead of retrying forever



@dataclass
class PushReport:
    kind: JobKind
    integration_id: str
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    error: ConnectorError | None = None
    done: set[str] = field(default_factory=set)  # listings the marketplace answered for

    def counts(self) -> dict:
        return {"sent": self.sent, "accepted": self.accepted, "rejected": self.rejected, "reasons": self.reasons}


@dataclass
class ReconcileReport:
    checked: int = 0
    differing: int = 0

    def counts(self) -> dict:
        return {"checked": self.checked, "differing": self.differing}


@dataclass
class _Due:
    listing_id: str
    key: str  # what the marketplace keys this item by (stock id / price id)
    value: int | Decimal
    dirty_at: int
    attempts: int


async def push_stock(ctx: JobContext) -> JobResult:
    """The stock push job: the integration's due listings, in the connector's batches."""
    return await _push(ctx, JobKind.STOCK_PUSH, debounce_of(JobKind.STOCK_PUSH, ctx.options.get("debounce")))


async def push_prices(ctx: JobContext) -> JobResult:
    return await _push(ctx, JobKind.PRICE_PUSH, debounce_of(JobKind.PRICE_PUSH, ctx.options.get("debounce")))


async def _push(ctx: JobContext, kind: JobKind, debounce: int) -> JobResult:
    report = PushReport(kind, ctx.integration_id)
    async with ctx.platform.sessionmaker() as session:
        integration = await session.get(MarketplaceIntegration, ctx.integration_id)
        due, refused = await _due(session, integration, kind, debounce)
        await _apply_refusals(session, kind, refused)
        currency = profile(integration.marketplace).currency  # prices are set in the marketplace's own money
        warehouse = integration.warehouse_list[0] if integration.warehouse_list else None
        await session.commit()
    if not due:
        return JobResult(report=report, skipped="nothing_due")
    try:
        for start in range(0, len(due), CHUNK):
            chunk = due[start:start + CHUNK]
            if kind == JobKind.STOCK_PUSH:
                results = await ctx.client.update_stock(
                    [StockUpdate(sku=d.key, quantity=int(d.value), warehouse_id=warehouse) for d in chunk])
            else:
                results = await ctx.client.update_prices(
                    [PriceUpdate(sku=d.key, price=Decimal(d.value), currency=currency)
                     for d in chunk])
            await _record(ctx.platform.sessionmaker, kind, chunk, results, report)
    except ConnectorError as error:
        report.error = error

    async def unsent_retry(session: AsyncSession, integration: MarketplaceIntegration) -> None:
        if report.error is not None:
            unsent = [d for d in due if d.listing_id not in report.done]
            await _schedule_retry(session, kind, unsent, report.error.cause.value, report.error.detail)

    return JobResult(report=report, error=report.error, partial=report.rejected > 0, finish=unsent_retry)


async def _record(sessionmaker: async_sessionmaker[AsyncSession], kind: JobKind, chunk: list[_Due], results,
                  report: PushReport) -> None:
    by_key: dict[str, list[_Due]] = {}
    for item in chunk:
        by_key.setdefault(item.key, []).append(item)
    stamp = now()
    async with sessionmaker() as session:
        for result in results:
            for item in by_key.pop(result.sku, []):
                report.sent += 1
                report.done.add(item.listing_id)
                if result.outcome in (ItemOutcome.ACCEPTED, ItemOutcome.QUEUED):
                    report.accepted += 1
                    await _accepted(session, kind, item, stamp)
                else:
                    report.rejected += 1
                    reason = result.reason or "rejected"
                    report.reasons[reason] = report.reasons.get(reason, 0) + 1
                    await _schedule_retry(session, kind, [item], reason, result.detail)
        # Items the marketplace said nothing about: try again later rather than assume success.
        leftovers = [item for items in by_key.values() for item in items]
        await _schedule_retry(session, kind, leftovers, "no_answer", None)
        await session.commit()


async def _due(session: AsyncSession, integration: MarketplaceIntegration, kind: JobKind,
               debounce: int) -> tuple[list[_Due], list[tuple[str, str]]]:
    """The listings to send now, and the ones that cannot be sent (with why)."""
    stamp = now()
    dirty = Listing.stock_dirty_at if kind == JobKind.STOCK_PUSH else Listing.price_dirty_at
    rows = await session.execute(
        select(Listing, Product)
        .join(Product, Product.id == Listing.product_id)
        .where(Listing.integration_id == integration.id, dirty.is_not(None), dirty <= stamp - debounce,
               or_(Listing.retry_at.is_(None), Listing.retry_at <= stamp),
               Listing.status.is_distinct_from("gone"))
    )
    rules = StockRules.from_settings(JsonText.load(integration.settings, {}))
    due, refused = [], []
    for listing, product in rows:
        dirty_at = listing.stock_dirty_at if kind == JobKind.STOCK_PUSH else listing.price_dirty_at
        if kind == JobKind.STOCK_PUSH:
            keys = JsonText.load(listing.stock_ids, [])
            if len(keys) != 1:
                # A card with several sizes keeps a stock per size; one product stock can't be split safely.
                refused.append((listing.id, "several_sizes" if keys else "no_stock_id"))
                continue
            due.append(_Due(listing.id, keys[0], channel_quantity(product.stock, rules), dirty_at,
                            listing.push_attempts))
        else:
            price = listing.price_override if listing.price_override is not None else product.price
            if price is None or not listing.price_id:
                refused.append((listing.id, "no_price" if price is None else "no_price_id"))
                continue
            due.append(_Due(listing.id, listing.price_id, price, dirty_at, listing.push_attempts))
    return due, refused


async def _apply_refusals(session: AsyncSession, kind: JobKind, refused: list[tuple[str, str]]) -> None:
    dirty = "stock_dirty_at" if kind == JobKind.STOCK_PUSH else "price_dirty_at"
    for listing_id, reason in refused:
        await session.execute(update(Listing).where(Listing.id == listing_id)
                              .values({dirty: None, "push_error": reason, "push_error_detail": None}))


async def _accepted(session: AsyncSession, kind: JobKind, item: _Due, stamp: int) -> None:
    if kind == JobKind.STOCK_PUSH:
        values = {"pushed_stock": int(item.value), "stock_pushed_at": stamp}
        dirty = Listing.stock_dirty_at
    else:
        values = {"pushed_price": item.value, "price_pushed_at": stamp}
        dirty = Listing.price_dirty_at
    values.update(push_error=None, push_error_detail=None, push_attempts=0, retry_at=None)
    await session.execute(update(Listing).where(Listing.id == item.listing_id).values(**values)
                          .execution_options(synchronize_session=False))
    # Done, unless a newer change arrived while we were sending: then it stays due.
    await session.execute(update(Listing).where(Listing.id == item.listing_id, dirty == item.dirty_at)
                          .values({dirty.key: None}))


async def _schedule_retry(session: AsyncSession, kind: JobKind, items: list[_Due], reason: str,
                          detail: str | None) -> None:
    stamp = now()
    dirty = "stock_dirty_at" if kind == JobKind.STOCK_PUSH else "price_dirty_at"
    for item in items:
        attempts = item.attempts + 1
        values = {"push_error": reason, "push_error_detail": (detail or "")[:300] or None, "push_attempts": attempts}
        if attempts >= MAX_ATTEMPTS:
            values.update({dirty: None, "retry_at": None})  # give up until the next change
        else:
            values["retry_at"] = stamp + RETRY_BACKOFF[attempts - 1]
        await session.execute(update(Listing).where(Listing.id == item.listing_id).values(**values)
                          .execution_options(synchronize_session=False))


def debounce_of(kind: JobKind, debounce: int | None) -> int:
    """Seconds a change must be quiet before it is pushed (stock: DEBOUNCE, prices: at once), unless overridden."""
    if debounce is not None:
        return debounce
    return DEBOUNCE if kind == JobKind.STOCK_PUSH else 0


async def integrations_with_due(session: AsyncSession, kind: JobKind, debounce: int | None = None) -> list[str]:
    """Integrations with listings waiting for this kind of push (past their debounce, not waiting for a retry)."""
    dirty = Listing.stock_dirty_at if kind == JobKind.STOCK_PUSH else Listing.price_dirty_at
    stamp = now()
    rows = await session.execute(
        select(Listing.integration_id).join(MarketplaceIntegration, MarketplaceIntegration.id == Listing.integration_id)
        .where(dirty.is_not(None), dirty <= stamp - debounce_of(kind, debounce),
               MarketplaceIntegration.status.in_(RUNNABLE),
               or_(Listing.retry_at.is_(None), Listing.retry_at <= stamp)).distinct())
    return [r for (r,) in rows]



async def reconcile(ctx: JobContext) -> JobResult:
    """Stock reconciliation: read what the marketplace shows and queue a push wherever it differs from what the rules
    say it should show (someone changed it in the cabinet, or a push was lost)."""
    rules = StockRules.from_settings(ctx.settings)
    async with ctx.platform.sessionmaker() as session:
        rows = await session.execute(
            select(Listing.id, Listing.stock_ids, Product.stock)
            .join(Product, Product.id == Listing.product_id)
            .where(Listing.integration_id == ctx.integration_id, Listing.stock_dirty_at.is_(None),
                   Listing.pushed_stock.is_not(None), Listing.status.is_distinct_from("gone")))
        expected: dict[str, tuple[str, int]] = {}
        for listing_id, stock_ids, stock in rows:
            keys = JsonText.load(stock_ids, [])
            if len(keys) == 1:
                expected[keys[0]] = (listing_id, channel_quantity(stock, rules))
    differing: list[str] = []
    if expected:
        for level in await ctx.client.read_stock(list(expected)):
            item = expected.get(level.sku)
            if item is not None and level.quantity != item[1]:
                differing.append(item[0])
    report = ReconcileReport(checked=len(expected), differing=len(differing))

    async def queue_pushes(session: AsyncSession, integration: MarketplaceIntegration) -> None:
        for start in range(0, len(differing), 500):
            await session.execute(update(Listing).where(Listing.id.in_(differing[start:start + 500]))
                                  .values(stock_dirty_at=now()))

    return JobResult(report=report, finish=queue_pushes)
