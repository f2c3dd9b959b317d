"""The ledger applies one reference once, even when two tasks race; listings are queued for a push."""
import asyncio

from sqlalchemy import func, select

from db.models import Listing, MarketplaceIntegration, Partner, Product, StockMovement
from services.stock import Reason, apply_change


async def seed(sessionmaker):
    async with sessionmaker() as s:
        partner = Partner(telegram_id=1, language="en")
        s.add(partner)
        await s.flush()
        integration = MarketplaceIntegration(partner_id=partner.id, marketplace="ozon", status="active", active=1,
                                             seller_id="1")
        product = Product(partner_id=partner.id, sku="SKU-1", name="Tea", stock=10)
        s.add_all([integration, product])
        await s.flush()
        s.add(Listing(integration_id=integration.id, product_id=product.id, external_id="1", stock_ids='["SKU-1"]'))
        await s.commit()
        return product.id


async def test_one_reference_is_applied_once(sessionmaker):
    product_id = await seed(sessionmaker)
    async with sessionmaker() as s:
        product = await s.get(Product, product_id)
        first = await apply_change(s, product, delta=-2, reason=Reason.ORDER, reference="order:ozon:A1")
        again = await apply_change(s, product, delta=-2, reason=Reason.ORDER, reference="order:ozon:A1")
        await s.commit()
        assert first.stock_after == 8 and again is None and product.stock == 8
        listing = await s.scalar(select(Listing))
        assert listing.stock_dirty_at is not None


async def test_racing_tasks_apply_a_reference_once(sessionmaker):
    product_id = await seed(sessionmaker)

    async def deduct():
        async with sessionmaker() as s:
            product = await s.get(Product, product_id)
            result = await apply_change(s, product, delta=-1, reason=Reason.ORDER, reference="order:yandex:55")
            await s.commit()
            return result

    results = await asyncio.gather(*(deduct() for _ in range(5)), return_exceptions=True)
    applied = [r for r in results if r is not None and not isinstance(r, Exception)]
    assert len(applied) == 1, results
    async with sessionmaker() as s:
        assert (await s.get(Product, product_id)).stock == 9
        assert await s.scalar(select(func.count()).select_from(StockMovement)) == 1


async def test_set_to_records_the_difference(sessionmaker):
    product_id = await seed(sessionmaker)
    async with sessionmaker() as s:
        product = await s.get(Product, product_id)
        applied = await apply_change(s, product, set_to=25, reason=Reason.MANUAL, reference="manual:1")
        await s.commit()
        movement = await s.scalar(select(StockMovement))
        assert (applied.delta, movement.delta, movement.stock_after) == (15, 15, 25)


async def test_a_stock_change_still_needs_its_commit_after_the_ledgers_savepoint(sessionmaker):
    """The dispatcher commits an update only when the session has work (services.partner_cache.has_work); the ledger
    writes inside a savepoint, whose end must not make the update look read-only (a typed stock was lost that way)."""
    from db.models import Partner, Product
    from services import stock
    from services.partner_cache import has_work

    async with sessionmaker() as s:
        partner = Partner(telegram_id=4242, language="en")
        s.add(partner)
        await s.flush()
        product = Product(partner_id=partner.id, sku="SP-1", name="Mug", stock=1)
        s.add(product)
        await s.commit()
        product_id = product.id
    async with sessionmaker() as s:
        product = await s.get(Product, product_id)
        await s.commit()
        assert not has_work(s)
        await stock.set_manual(s, product, 5, actor=4242)
        assert has_work(s)
        await s.commit()
        assert not has_work(s)
    async with sessionmaker() as s:
        assert (await s.get(Product, product_id)).stock == 5
