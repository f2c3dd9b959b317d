"""Texts built from several locale strings: integration cards, lists, connection results."""
from __future__ import annotations

import html
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from aiogram_i18n import I18nContext

from connectors.base import ConnectorError, Marketplace
from db.models import MarketplaceIntegration, Partner
from db.vault import masked_from_hint
from services.integrations import days_left

STATUS_ICON = {"active": "🟢", "paused": "⏸", "error": "🔴", "draft": "⚪️"}


def esc(value) -> str:
    return html.escape(str(value), quote=False) if value is not None else ""


def local_time(partner: Partner | None, ts: int | None) -> str:
    if not ts:
        return "—"
    tz = ZoneInfo(partner.timezone if partner else "Asia/Tashkent")
    return datetime.fromtimestamp(ts, timezone.utc).astimezone(tz).strftime("%d.%m.%Y %H:%M")


def local_date(partner: Partner | None, ts: int | None) -> str:
    return local_time(partner, ts)[:10] if ts else "—"


def integration_title(i18n: I18nContext, integration: MarketplaceIntegration) -> str:
    name = integration.shop_name or integration.account_name or integration.seller_id or ""
    return f"{i18n.get('mp-' + integration.marketplace)} · {name}"


def expiry_line(i18n: I18nContext, partner: Partner | None, expires_at: int | None) -> str:
    if expires_at is None:
        return i18n.get("card-expiry-none")
    return i18n.get("card-expiry", date=local_date(partner, expires_at), days=days_left(expires_at))


def integration_card(i18n: I18nContext, partner: Partner, integration: MarketplaceIntegration) -> str:
    lines = [
        f"{STATUS_ICON.get(integration.status, '')} <b>{esc(integration_title(i18n, integration))}</b>",
        i18n.get("card-status", status=i18n.get("status-" + integration.status)),
        i18n.get("card-key", key=masked_from_hint(integration.key_hint)),
        expiry_line(i18n, partner, integration.token_expires_at),
        i18n.get("card-last-check", time=local_time(partner, integration.last_check_at)),
    ]
    if integration.account_name and integration.account_name != integration.shop_name:
        lines.insert(1, i18n.get("card-account", name=esc(integration.account_name)))
    if integration.last_error:
        lines.append(i18n.get("card-last-error", error=i18n.get("error-" + integration.last_error)))
    for warning in integration.discovered_data.get("warnings", []):
        lines.append("⚠️ " + i18n.get("warning-" + warning))
    return "\n".join(lines)


def connection_error(i18n: I18nContext, marketplace: Marketplace, error: ConnectorError) -> str:
    text = i18n.get("connect-failed", marketplace=i18n.get("mp-" + marketplace.value)) + "\n\n"
    text += i18n.get("error-" + error.cause.value)
    if error.detail:
        text += "\n" + i18n.get("error-detail", detail=esc(error.detail[:300]))
    hint_key = f"fix-{marketplace.value}-{error.cause.value}"
    if hint_key in FIX_HINTS:
        text += "\n\n" + i18n.get(hint_key)
    return text


# Cause-specific hints that exist in the locale files (most causes share the general text).
FIX_HINTS = {
    "fix-ozon-missing_scope", "fix-wildberries-missing_scope", "fix-yandex-missing_scope",
    "fix-ozon-ip_restricted",
}


def connected(i18n: I18nContext, partner: Partner, integration: MarketplaceIntegration) -> str:
    return i18n.get("connect-done") + "\n\n" + integration_card(i18n, partner, integration)
