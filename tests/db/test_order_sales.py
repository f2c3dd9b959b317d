"""What the Orders screen says was sold: cancelled orders do not count, currencies are never added together, the
filters apply, and another partner's orders never show."""
from decimal import Decimal

from db.models import MarketplaceIntegration, Order, Partner, now
from services.order_queries import Filters, sales


async def test_sales_per_currency_without_cancelled(sessionmaker):
    async with sessionmaker() as s:
        me, other = Partner(telegram_id=1, language="en"), Partner(telegram_id=2, language="en")
        s.add_all([me, other])
        await s.flush()
        uzum = MarketplaceIntegration(partner_id=me.id, marketplace="uzum", status="active", active=1, seller_id="1")
        ozon = MarketplaceIntegration(partner_id=me.id, marketplace="ozon", status="active", active=1, seller_id="2")
        theirs = MarketplaceIntegration(partner_id=other.id, marketplace="ozon", status="active", active=1,
                                        seller_id="3")
        s.add_all([uzum, ozon, theirs])
        await s.flush()
        at = now()

        def order(integration, n, total, currency=None, state="new", placed_at=at):
            return Order(integration_id=integration.id, partner_id=integration.partner_id, external_id=str(n),
                         status="x", state=state, placed_at=placed_at, total=Decimal(total), currency=currency,
                         items="[]")

        s.add_all([order(uzum, 1, "150000.00"), order(uzum, 2, "99999.99", "UZS", state="done"),
                   order(uzum, 3, "500.00", state="cancelled"), order(ozon, 4, "1234.50", "RUB"),
                   order(ozon, 5, "10.25", placed_at=at - 40 * 86400), order(theirs, 6, "777.00", "RUB")])
        await s.commit()
        me_id = me.id

    async with sessionmaker() as s:
        assert await sales(s, me_id, Filters(), "Asia/Tashkent") == \
            (4, {"RUB": Decimal("1244.75"), "UZS": Decimal("249999.99")})
        assert await sales(s, me_id, Filters(marketplace="ozon", period="30d"), "Asia/Tashkent") == \
            (1, {"RUB": Decimal("1234.50")})
        assert await sales(s, me_id, Filters(state="cancelled"), "Asia/Tashkent") == (0, {})
