"""Registration, invites and admin queries on a real database (SQLite, and PostgreSQL when configured)."""
import pytest
from sqlalchemy import func, select

from connectors.base import Marketplace
from db.models import AuditLog, Invite, MarketplaceApiConfig, now
from services import admin as admin_service
from services import partners
from services.partners import RegistrationOutcome


async def register(session, telegram_id, *, code=None, admin=False, open_=False, lang="ru"):
    return await partners.register(session, telegram_id=telegram_id, name="Seller", username=None,
                                   language_code=lang, invite_code=code, is_admin=admin, open_registration=open_)


async def test_invite_mode_needs_a_valid_invite_admins_never(sessionmaker):
    async with sessionmaker() as s:
        assert (await register(s, 1)).outcome is RegistrationOutcome.INVITE_REQUIRED
        assert (await register(s, 1, code="nope")).outcome is RegistrationOutcome.INVITE_INVALID
        admin = await register(s, 99, admin=True, lang="en")
        assert admin.outcome is RegistrationOutcome.CREATED and admin.partner.language == "en"
        invite = await partners.create_invite(s, admin_telegram_id=99)
        created = await register(s, 1, code=invite.code)
        assert created.outcome is RegistrationOutcome.CREATED and created.partner.language == "ru"
        # One use only: a second person with the same link is refused; the first is simply welcomed back.
        assert (await register(s, 2, code=invite.code)).outcome is RegistrationOutcome.INVITE_INVALID
        assert (await register(s, 1, code=invite.code)).outcome is RegistrationOutcome.EXISTING
        await s.commit()
        assert await s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "partner.registered")) == 2


async def test_expired_invite_is_refused(sessionmaker):
    async with sessionmaker() as s:
        invite = await partners.create_invite(s, admin_telegram_id=99)
        invite.expires_at = now() - 1
        await s.flush()
        assert (await register(s, 5, code=invite.code)).outcome is RegistrationOutcome.INVITE_INVALID
        assert (await s.get(Invite, invite.id)).uses == 0


async def test_open_registration(sessionmaker):
    async with sessionmaker() as s:
        assert (await register(s, 7, open_=True, lang=None)).partner.language == "uz"


@pytest.mark.parametrize("code,expected", [("uz", "uz"), ("ru", "ru"), ("en", "en"), ("kk", "ru"), ("de", "en"),
                                           (None, "uz"), ("uz-Latn", "uz")])
def test_language_from_telegram(code, expected):
    assert partners.pick_language(code) == expected


async def test_partners_page_and_stats(sessionmaker):
    async with sessionmaker() as s:
        for i in range(23):
            await register(s, 1000 + i, open_=True)
        await s.commit()
        rows, pages = await admin_service.partners_page(s, 0)
        assert pages == 3 and len(rows) == 10
        last, _ = await admin_service.partners_page(s, 2)
        assert len(last) == 3
        beyond, _ = await admin_service.partners_page(s, 50)  # a stale page number shows the last page
        assert len(beyond) == 3
        assert (await admin_service.stats(s)).partners == 23


async def test_api_config_override_and_reset(sessionmaker):
    async with sessionmaker() as s:
        configs = await admin_service.api_configs(s)
        assert [c.marketplace for c in configs] == ["uzum", "yandex", "wildberries", "ozon"]
        assert not admin_service.valid_base_url(Marketplace.WILDBERRIES, "https://x.example")
        assert admin_service.valid_base_url(Marketplace.WILDBERRIES, "http://127.0.0.1:9/wb/{category}")
        assert not admin_service.valid_base_url(Marketplace.OZON, "ftp://x")
        await admin_service.set_base_url(s, Marketplace.OZON, "http://127.0.0.1:9/ozon/", actor=99)
        await admin_service.set_rate_limit(s, Marketplace.OZON, 20, actor=99)
        await s.commit()
        row = await s.scalar(select(MarketplaceApiConfig).where(MarketplaceApiConfig.marketplace == "ozon"))
        assert (row.api_endpoint, row.is_override, row.rate_limit) == ("http://127.0.0.1:9/ozon", 1, 20)
        await admin_service.set_base_url(s, Marketplace.OZON, None, actor=99)
        assert row.is_override == 0
