"""Partners: registration (open or by invite), language, invites, notification settings."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Invite, Partner, now
from services import audit
from services.outbox.policy import Prefs, SummaryMode, prefs_of
from services.outbox.records import AlertKind

LANGUAGES = ("uz", "ru", "en")
# Telegram clients in Central Asia often report a neighbouring language; these users usually read Russian.
_RUSSIAN_READERS = {"ru", "kk", "ky", "tg", "be", "uk", "az", "tk"}
INVITE_TTL_DAYS = 7
PARTNERS = Partner.__table__


def pick_language(language_code: str | None) -> str:
    code = (language_code or "").split("-")[0].lower()
    if not code or code == "uz":
        return "uz"
    if code in _RUSSIAN_READERS:
        return "ru"
    return "en"


class RegistrationOutcome(StrEnum):
    EXISTING = "existing"
    CREATED = "created"
    INVITE_REQUIRED = "invite_required"
    INVITE_INVALID = "invite_invalid"


@dataclass
class Registration:
    outcome: RegistrationOutcome
    partner: Partner | None = None


# session.info key: {telegram id: Partner} the bot's middleware already loaded for this update's session.
KNOWN_PARTNERS = "known_partners"


async def get_by_telegram_id(session: AsyncSession, telegram_id: int) -> Partner | None:
    known = session.info.get(KNOWN_PARTNERS, {}).get(telegram_id)
    if known is not None:
        return known
    return await session.scalar(select(Partner).where(Partner.telegram_id == telegram_id))


async def mark_seen(session: AsyncSession, partner_id: str, at: int) -> None:
    """Partner.last_seen_at, as one plain UPDATE of that column: the partner's updated_at (their settings) stays,
    and a partner object loaded or cached elsewhere is not dirtied."""
    await session.execute(update(PARTNERS).where(PARTNERS.c.id == partner_id)
                          .values(last_seen_at=at, updated_at=PARTNERS.c.updated_at))


async def register(
    session: AsyncSession,
    *,
    telegram_id: int,
    name: str | None,
    username: str | None,
    language_code: str | None,
    invite_code: str | None,
    is_admin: bool,
    open_registration: bool,
) -> Registration:
    partner = await get_by_telegram_id(session, telegram_id)
    if partner is not None:
        if partner.status == "unreachable":  # they wrote to us again, so they unblocked the bot
            partner.status = "active"
        return Registration(RegistrationOutcome.EXISTING, partner)

    invite = None
    if not (is_admin or open_registration):
        if not invite_code:
            return Registration(RegistrationOutcome.INVITE_REQUIRED)
        invite = await _redeem_invite(session, invite_code)
        if invite is None:
            return Registration(RegistrationOutcome.INVITE_INVALID)

    partner = Partner(
        telegram_id=telegram_id,
        name=name,
        username=username,
        language=pick_language(language_code),
        invite_id=invite.id if invite else None,
        last_seen_at=now(),  # registering is being active (later updates: bot.middlewares.LastSeenMiddleware)
    )
    session.add(partner)
    await session.flush()
    audit.record(session, "partner.registered", actor=telegram_id, partner_id=partner.id,
                 via="invite" if invite else ("admin" if is_admin else "open"))
    return Registration(RegistrationOutcome.CREATED, partner)


async def _redeem_invite(session: AsyncSession, code: str) -> Invite | None:
    # One UPDATE ... WHERE uses < max_uses, so two people racing for the last use can't both get it.
    result = await session.execute(
        update(Invite)
        .where(
            Invite.code == code,
            Invite.revoked == 0,
            Invite.uses < Invite.max_uses,
            (Invite.expires_at.is_(None)) | (Invite.expires_at > now()),
        )
        .values(uses=Invite.uses + 1)
        .returning(Invite.id)
    )
    invite_id = result.scalar_one_or_none()
    if invite_id is None:
        return None
    return await session.get(Invite, invite_id)


async def create_invite(session: AsyncSession, *, admin_telegram_id: int, max_uses: int = 1,
                        ttl_days: int = INVITE_TTL_DAYS) -> Invite:
    invite = Invite(
        code=secrets.token_urlsafe(12),
        created_by=admin_telegram_id,
        max_uses=max_uses,
        expires_at=now() + ttl_days * 86400,
    )
    session.add(invite)
    await session.flush()
    audit.record(session, "invite.created", actor=admin_telegram_id, object_type="invite", object_id=invite.id,
                 max_uses=max_uses)
    return invite


async def set_language(session: AsyncSession, partner: Partner, language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(language)
    partner.language = language


# ---- notification settings (stored in Partner.notification_prefs, read by services.outbox.policy) ----

def _save_prefs(partner: Partner, prefs: Prefs) -> None:
    partner.notification_prefs = prefs.to_json()


def toggle_alert(session: AsyncSession, partner: Partner, kind: AlertKind) -> bool:
    """Mute the kind if it was on, else unmute it; returns whether it is muted now."""
    prefs = prefs_of(partner)
    muted = kind not in prefs.muted
    _save_prefs(partner, replace(prefs, muted=prefs.muted | {kind} if muted else prefs.muted - {kind}))
    audit.record(session, "notifications.muted" if muted else "notifications.unmuted", actor=partner.telegram_id,
                 partner_id=partner.id, kind=str(kind))
    return muted


def set_quiet_hours(session: AsyncSession, partner: Partner, quiet: tuple[int, int] | None) -> None:
    _save_prefs(partner, replace(prefs_of(partner), quiet=quiet))
    audit.record(session, "notifications.quiet_hours", actor=partner.telegram_id, partner_id=partner.id,
                 quiet=list(quiet) if quiet else None)


def set_low_stock_threshold(session: AsyncSession, partner: Partner, value: int) -> None:
    _save_prefs(partner, replace(prefs_of(partner), low_stock=value))
    audit.record(session, "notifications.low_stock", actor=partner.telegram_id, partner_id=partner.id,
                 low_stock=value)


def set_runs_out_days(session: AsyncSession, partner: Partner, days: int) -> None:
    """The "runs out in N days" horizon of the stock-cover alert."""
    _save_prefs(partner, replace(prefs_of(partner), runs_out_days=days))
    audit.record(session, "notifications.runs_out_days", actor=partner.telegram_id, partner_id=partner.id, days=days)


def set_summary(session: AsyncSession, partner: Partner, mode: SummaryMode, at: int | None = None) -> None:
    """Off, daily or weekly (Mondays); `at`: minutes after the partner's midnight (None keeps the time)."""
    prefs = prefs_of(partner)
    _save_prefs(partner, replace(prefs, summary=mode, summary_at=prefs.summary_at if at is None else at % 1440))
    audit.record(session, "notifications.summary", actor=partner.telegram_id, partner_id=partner.id,
                 mode=mode.value, at=prefs_of(partner).summary_at)
