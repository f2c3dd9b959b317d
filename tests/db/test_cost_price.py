"""Cost prices through the catalog service: set and cleared (audited), and the import that carries them — the preview
counts only real changes, applying writes them once, and an import checked before the column existed still applies."""
from decimal import Decimal

from sqlalchemy import select

from db.models import AuditLog, JsonText, Partner, PendingImport, Product
from services import products
from services.spreadsheets import ImportRow, ParsedImport


async def test_cost_price_set_cleared_and_imported(sessionmaker):
    async with sessionmaker() as s:
        partner = Partner(telegram_id=1, language="en")
        s.add(partner)
        await s.flush()
        a = Product(partner_id=partner.id, sku="A", stock=1, cost_price=Decimal("10.00"))
        b = Product(partner_id=partner.id, sku="B", stock=1)
        s.add_all([a, b])
        await s.flush()
        await products.set_cost_price(s, b, Decimal("99.90"), actor=1)
        await products.set_cost_price(s, b, None, actor=1)
        parsed = ParsedImport([ImportRow(2, "A", None, None, Decimal("10.00")),  # the same: not a change
                               ImportRow(3, "B", 5, None, Decimal("20.50"))], [], 2, {"sku", "stock", "cost_price"})
        pending = await products.prepare_import(s, partner.id, "x.csv", parsed)
        assert JsonText.load(pending.report, {})["cost_changes"] == 1
        # checked by the version before the cost price column: four values a row
        old = PendingImport(partner_id=partner.id, filename="old.csv", rows=JsonText.dump([[2, "A", 3, "15.00"]]),
                            report=JsonText.dump({"total": 1, "valid": 1, "rejected": []}))
        s.add(old)
        await s.commit()
        ids = partner.id, pending.id, old.id, b.id

    async with sessionmaker() as s:
        assert await products.apply_import(s, ids[0], ids[1], actor=1) == (1, 0, 1)
        assert await products.apply_import(s, ids[0], ids[1], actor=1) is None  # once
        assert await products.apply_import(s, ids[0], ids[2], actor=1) == (1, 1, 0)
        await s.commit()
    async with sessionmaker() as s:
        costs = {sku: cost for sku, cost in await s.execute(select(Product.sku, Product.cost_price))}
        assert costs == {"A": Decimal("10.00"), "B": Decimal("20.50")}
        actions = list(await s.scalars(select(AuditLog.action).order_by(AuditLog.at, AuditLog.action)))
        assert actions.count("product.cost_price") == 2 and "product.cost_price.import" in actions
        detail = await s.scalar(select(AuditLog.details).where(AuditLog.object_id == ids[3]).limit(1))
        assert JsonText.load(detail, {})["new"] == "99.90"
