"""What admins see on a real database (SQLite, and PostgreSQL when configured): the platform stats, broadcasts (who
gets them, one outbox row each, the delivery count and its report sent exactly once), the audit log's pages, and
the partners' last-seen time."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.middlewares import LastSeenMiddleware
from db.models import AuditLog, Broadcast, MarketplaceIntegration, Order, OutboxMessage, Partner, new_id
from services import admin as admin_service
from services import audit, broadcasts
from services.broadcasts import Audience, Delivery
from services.outbox import store
from services.outbox.records import AlertKind, Blocked, Failed, Sent

TASHKENT = ZoneInfo("Asia/Tashkent")
AT = int(datetime(2026, 12, 3, 10, 0, tzinfo=TASHKENT).timestamp())
DAY = 86400


def local(*args) -> int:
    return int(datetime(*args, tzinfo=TASHKENT).timestamp())


async def add_partner(s, telegram_id, *, language="en", status="active", seen=None, marketplaces=()):
    partner = Partner(telegram_id=telegram_id, language=language, status=status, last_seen_at=seen,
                      name=f"Seller {telegram_id}")
    s.add(partner)
    await s.flush()
    for n, (marketplace, integration_status) in enumerate(marketplaces):
        s.add(MarketplaceIntegration(partner_id=partner.id, marketplace=marketplace, status=integration_status,
                                     seller_id=f"{telegram_id}-{n}"))
    await s.flush()
    return partner


async def test_platform_stats(sessionmaker):
    async with sessionmaker() as s:
        seller = await add_partner(s, 1, seen=AT - 3600, marketplaces=[("uzum", "active"), ("ozon", "error")])
        await add_partner(s, 2, seen=AT - 3 * DAY, marketplaces=[("uzum", "draft")])
        await add_partner(s, 3, seen=AT - 20 * DAY, marketplaces=[("ozon", "active")])
        await add_partner(s, 4, seen=AT - 40 * DAY)
        await add_partner(s, 5)  # never seen
        integrations = {i.marketplace: i for i in await s.scalars(
            select(MarketplaceIntegration).where(MarketplaceIntegration.partner_id == seller.id))}
        streaky = (await s.scalars(select(MarketplaceIntegration).where(
            MarketplaceIntegration.marketplace == "ozon", MarketplaceIntegration.status == "active"))).one()
        streaky.failure_streak = 2  # its last check failed, the status not turned yet: failing too

        placed = [("uzum", local(2026, 12, 3, 0, 30)),  # today in Tashkent, yesterday in UTC
                  ("uzum", local(2026, 12, 3, 9, 0)), ("ozon", local(2026, 12, 1, 12, 0)),
                  ("uzum", local(2026, 11, 4, 0, 10)),  # the first of the 30 days
                  ("uzum", local(2026, 11, 3, 23, 50)),  # before them
                  ("ozon", local(2026, 12, 3, 10, 30)),  # later today (a marketplace clock ahead of ours)
                  ("ozon", local(2026, 12, 4, 0, 1))]  # tomorrow
        for n, (marketplace, at) in enumerate(placed):
            s.add(Order(integration_id=integrations[marketplace].id, partner_id=seller.id, external_id=str(n),
                        status="x", placed_at=at, items="[]"))
        outbox = [("sent", None, AT - DAY), ("sent", None, AT - 6 * DAY), ("sent", None, AT - 8 * DAY),
                  ("failed", "403: Forbidden: bot was blocked by the user", AT - DAY),
                  ("failed", "TelegramBadRequest: message is too long", AT - 2 * DAY),
                  ("pending", None, AT), ("sending", None, AT), ("muted", None, AT)]
        for n, (status, error, created) in enumerate(outbox):
            s.add(OutboxMessage(partner_id=seller.id, chat_id=1, kind="new_order", dedupe_key=f"k{n}", payload="{}",
                                status=status, error=error, created_at=created, next_attempt_at=created))
        await s.commit()

        stats = await admin_service.platform_stats(s, AT, "Asia/Tashkent")
    assert stats.partners == 5
    assert stats.active == {1: 1, 7: 2, 30: 3}
    assert {m: (c.total, c.failing) for m, c in stats.integrations.items()} == {"uzum": (1, 0), "ozon": (2, 2)}
    assert stats.days[0] == date(2026, 11, 4) and stats.days[-1] == date(2026, 12, 3) and len(stats.days) == 30
    assert stats.orders["uzum"][-1] == 2 and stats.orders["uzum"][0] == 1 and sum(stats.orders["uzum"]) == 3
    assert stats.orders["ozon"][-3] == 1 and stats.orders["ozon"][-1] == 1 and sum(stats.orders["ozon"]) == 2
    assert stats.orders_total == 5
    assert (stats.alerts_sent, stats.alerts_failed, stats.alerts_blocked, stats.backlog) == (2, 1, 1, 2)


async def test_empty_platform(sessionmaker):
    async with sessionmaker() as s:
        stats = await admin_service.platform_stats(s, AT)
    assert (stats.partners, stats.active, stats.integrations, stats.orders, stats.backlog) == \
        (0, {1: 0, 7: 0, 30: 0}, {}, {}, 0)


async def test_broadcast_audience_one_outbox_row_each_audited_and_once(sessionmaker):
    async with sessionmaker() as s:
        admin = await add_partner(s, 900, language="en")
        a = await add_partner(s, 1, language="en", marketplaces=[("uzum", "active")])
        b = await add_partner(s, 2, language="ru", marketplaces=[("ozon", "paused"), ("uzum", "draft")])
        await add_partner(s, 3, language="uz")
        await add_partner(s, 4, language="en", status="unreachable", marketplaces=[("uzum", "active")])
        await s.commit()
        assert await broadcasts.count_recipients(s, Audience()) == 4  # the admin is a partner too
        assert await broadcasts.count_recipients(s, Audience(marketplace="uzum")) == 1  # a draft is not connected
        assert await broadcasts.count_recipients(s, Audience(marketplace="ozon")) == 1
        assert await broadcasts.count_recipients(s, Audience(language="en")) == 2
        assert await broadcasts.count_recipients(s, Audience(marketplace="wildberries")) == 0

        broadcast_id = new_id()
        text = "<b>New</b> fees from Monday &amp; more"
        broadcast, created = await broadcasts.send(s, broadcast_id=broadcast_id, admin_telegram_id=900, text=text,
                                                   audience=Audience(language="en"))
        await s.commit()
        assert created and broadcast.recipients == 2
        again, created = await broadcasts.send(s, broadcast_id=broadcast_id, admin_telegram_id=900, text=text,
                                               audience=Audience(language="en"))
        await s.commit()
        assert not created and again.id == broadcast_id

        rows = list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.chat_id)))
        assert [(r.chat_id, r.kind, r.status, r.dedupe_key) for r in rows] == [
            (1, AlertKind.BROADCAST, "pending", f"broadcast:{broadcast_id}:{a.id}"),
            (900, AlertKind.BROADCAST, "pending", f"broadcast:{broadcast_id}:{admin.id}")]
        assert all(r.payload_data["text"] == text for r in rows)
        assert b.id not in {r.partner_id for r in rows}
        # Queued again (a retried transaction): the dedupe key keeps it one message.
        assert await store.enqueue_many(s, [(a.id, 1, AlertKind.BROADCAST, rows[0].dedupe_key, {"text": "x"}),
                                            (a.id, 1, AlertKind.BROADCAST, "another", {"text": "x"})]) == 1
        assert await store.enqueue_many(s, []) == 0
        entry = (await s.scalars(select(AuditLog).where(AuditLog.action == "broadcast.sent"))).one()
        assert (entry.actor_telegram_id, entry.object_id) == (900, broadcast_id)
        assert await s.scalar(select(func.count()).select_from(Broadcast)) == 1


async def test_delivery_count_and_the_report_goes_once_when_settled(sessionmaker):
    async with sessionmaker() as s:
        await add_partner(s, 900)
        partners = [await add_partner(s, n) for n in range(1, 6)]
        first, _ = await broadcasts.send(s, broadcast_id=new_id(), admin_telegram_id=900, text="one",
                                         audience=Audience())
        second, _ = await broadcasts.send(s, broadcast_id=new_id(), admin_telegram_id=900, text="two",
                                          audience=Audience())
        await s.commit()
        rows = {r.partner_id: r.id for r in await s.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"broadcast:{first.id}:%")))}
        p1, p2, p3, p4, p5 = (p.id for p in partners)
        # What the outbox sender records: sent, blocked (403), refused otherwise; p4 blocked the bot on an
        # earlier message, so its copy will never go; p5's copy is still waiting.
        await store.record(s, [Sent((rows[p1],), 11, AT), Blocked(p2, (rows[p2],), "403: Forbidden: bot was blocked"),
                               Failed((rows[p3],), "TelegramBadRequest: chat not found")])
        await store.record(s, [Blocked(p4, (), "403: Forbidden: bot was blocked")])
        await s.commit()

        counts = await broadcasts.delivery(s, first)
        assert counts == Delivery(sent=1, blocked=2, failed=1, pending=2)  # the admin's copy and p5's
        assert not counts.settled
        assert await broadcasts.report_settled(s) == 0

        pending = [r for r in await s.scalars(select(OutboxMessage).where(
            OutboxMessage.dedupe_key.like(f"broadcast:{first.id}:%"), OutboxMessage.status == "pending"))]
        await store.record(s, [Sent((r.id,), 20 + n, AT) for n, r in enumerate(pending)])
        await s.commit()
        assert await broadcasts.delivery(s, first) == Delivery(sent=3, blocked=2, failed=1, pending=0)
        # the second broadcast's copies are its own: still pending (p4's counted blocked: it was unreachable)
        assert await broadcasts.delivery(s, second) == Delivery(sent=0, blocked=2, failed=0, pending=4)

        assert await broadcasts.report_settled(s) == 1
        await s.commit()
        assert await broadcasts.report_settled(s) == 0
        await s.commit()
        reports = list(await s.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("broadcast-report:%"))))
        assert len(reports) == 1 and reports[0].chat_id == 900 and reports[0].kind == AlertKind.BROADCAST
        assert reports[0].payload_data["report"] == {"sent": 3, "blocked": 2, "failed": 1, "pending": 0}
        assert (await s.get(Broadcast, first.id)).reported_at is not None
        assert (await s.get(Broadcast, second.id)).reported_at is None
        # the report is not one of the broadcast's copies
        assert await broadcasts.delivery(s, first) == Delivery(sent=3, blocked=2, failed=1, pending=0)
        assert [b.id for b, _ in await broadcasts.latest(s)] == [second.id, first.id]


async def test_audit_log_pages_names_and_no_secrets(sessionmaker):
    async with sessionmaker() as s:
        admin = await add_partner(s, 900)
        seller = await add_partner(s, 1)
        for n in range(12):
            audit.record(s, "integration.paused", actor=1, partner_id=seller.id, object_type="integration",
                         object_id=str(n))
        audit.record(s, "api_config.base_url", actor=900, object_type="api_config", object_id="ozon",
                     url="http://x", api_key="SECRET-VALUE", token="T0KEN")
        await s.flush()
        for entry in await s.scalars(select(AuditLog)):  # one a second, the config change last
            entry.at = AT + (100 if entry.object_id == "ozon" else int(entry.object_id))
        await s.commit()

        entries, pages = await audit.page(s, 0)
        assert pages == 2 and len(entries) == 10
        top = entries[0]
        assert top.entry.action == "api_config.base_url" and top.actor_name == admin.name
        assert top.details == {"url": "http://x"}
        assert entries[1].entry.object_id == "11" and entries[1].partner_name == seller.name
        rest, _ = await audit.page(s, 1)
        assert [e.entry.object_id for e in rest] == ["2", "1", "0"]
        stale, _ = await audit.page(s, 9)  # a page number past the end shows the last page
        assert [e.entry.object_id for e in stale] == ["2", "1", "0"]


async def test_last_seen_written_at_most_once_per_interval(sessionmaker):
    clock = [float(AT)]
    middleware = LastSeenMiddleware(every=300, clock=lambda: clock[0])

    async def handler(event, data):
        return "handled"

    async def update(partner_id):
        async with sessionmaker() as s:
            partner = await s.get(Partner, partner_id)
            assert await middleware(handler, object(), {"partner": partner, "session": s}) == "handled"
            writes = sum(1 for obj in s.dirty)  # the ORM object is never dirtied: a plain UPDATE
            await s.commit()
            assert writes == 0
        async with sessionmaker() as s:
            partner = await s.get(Partner, partner_id)
            return partner.last_seen_at, partner.updated_at

    async with sessionmaker() as s:
        partner = await add_partner(s, 1)
        await s.commit()
        partner_id, updated_at = partner.id, partner.updated_at

    assert await update(partner_id) == (AT, updated_at)
    clock[0] += 299
    assert await update(partner_id) == (AT, updated_at)  # within 5 minutes: no write
    clock[0] += 1
    assert await update(partner_id) == (AT + 300, updated_at)
    # a partner who is None (someone not registered) or no session: nothing happens
    assert await middleware(handler, object(), {"partner": None}) == "handled"
