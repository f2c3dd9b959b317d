"""Texts built from several locale strings: integration cards, lists, connection results."""
from __future__ import annotations

import html
from datetime import datetime, timezone
from decimal import Decimal

from aiogram_i18n import I18nContext
from aiogram_i18n.exceptions import KeyNotFoundError

from connectors import profile
from connectors.base import ConnectorError, Marketplace
from db.models import MarketplaceIntegration, Partner
from db.vault import masked_from_hint
from services.integrations import days_left
from services.outbox.policy import zone

STATUS_ICON = {"active": "🟢", "paused": "⏸", "error": "🔴", "draft": "⚪️"}


def esc(value) -> str:
    return html.escape(str(value), quote=False) if value is not None else ""


def local_time(partner, ts: int | None) -> str:
    """A moment in the partner's time zone (`partner`: anything with a `timezone`, or None for the default)."""
    if not ts:
        return "—"
    tz = zone(partner.timezone if partner else None)
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


# ---- products ----

def money(value) -> str:
    """1 249 990 or 1 249.90: thin grouping, decimals only when there are kopecks / tiyins."""
    if value is None:
        return "—"
    value = Decimal(value)
    text = f"{value:,.2f}" if value != value.to_integral_value() else f"{value:,.0f}"
    return text.replace(",", " ")


def reason_text(i18n: I18nContext, prefix: str, code: str | None) -> str:
    """A marketplace refusal / import rejection in words; an unknown code still says something useful."""
    try:
        return i18n.get(f"{prefix}-{code}")
    except KeyNotFoundError:
        return i18n.get(f"{prefix}-other", code=esc(code or "?"))


def product_card(i18n: I18nContext, partner: Partner, product, listing_views) -> str:
    lines = [f"📦 <b>{esc(product.name)}</b>",
             i18n.get("product-sku", sku=esc(product.sku), barcode=esc(product.barcode or "—")),
             i18n.get("product-stock-price", stock=product.stock, price=money(product.price)),
             cost_line(i18n, product)]
    if product.stock < 0:
        lines.append("⚠️ " + i18n.get("product-oversold"))
    if not listing_views:
        lines.append(i18n.get("product-no-listings"))
    else:
        lines.append(i18n.get("product-on-marketplaces"))
    for view in listing_views:
        listing, integration = view.listing, view.integration
        price = listing.price_override if listing.price_override is not None else product.price
        line = "• " + i18n.get(
            "product-listing-line", title=esc(integration_title(i18n, integration)),
            status=esc(listing.status or "—"), seen=_or_dash(listing.seen_stock), pushed=_or_dash(listing.pushed_stock),
            when=local_time(partner, listing.stock_pushed_at), price=money(price))
        if listing.price_override is not None:
            line += " " + i18n.get("product-own-price")
        if listing.stock_dirty_at or listing.price_dirty_at:
            line += "\n  ⏳ " + i18n.get("product-push-pending")
        if listing.push_error:
            line += "\n  ⚠️ " + i18n.get("product-push-failed", reason=reason_text(i18n, "push-reason", listing.push_error))
            if listing.push_error_detail:
                line += " " + i18n.get("error-detail", detail=esc(listing.push_error_detail[:150]))
        lines.append(line)
    return "\n".join(lines)


def cost_line(i18n: I18nContext, product) -> str:
    """The cost price, and with a price the margin before the marketplaces' fees (price − cost)."""
    if product.cost_price is None:
        return i18n.get("product-cost-none")
    line = i18n.get("product-cost-line", cost=money(product.cost_price))
    if product.price:
        margin = Decimal(product.price) - Decimal(product.cost_price)
        percent = (margin / Decimal(product.price) * 100).quantize(Decimal("1"))
        line += "\n" + i18n.get("product-margin-line", margin=money(margin), percent=str(percent))
    return line


def _or_dash(value) -> str:
    return "—" if value is None else str(value)


PRICE_RULE_MARKETPLACES = ("uzum", "yandex", "wildberries", "ozon")


def price_rules(i18n: I18nContext, marketplaces: set[str]) -> str:
    """What each marketplace does with a new price, said before the partner types it."""
    rules = [i18n.get(f"price-rule-{m}") for m in PRICE_RULE_MARKETPLACES if m in marketplaces]
    return ("\n\n" + "\n".join("• " + r for r in rules)) if rules else ""


def price_change_warnings(i18n: I18nContext, old, new, marketplaces: set[str]) -> str:
    """A marketplace that holds a steep price cut back for review (its profile's price_quarantine_share)."""
    for marketplace in sorted(marketplaces):
        share = profile(marketplace).price_quarantine_share
        if share is not None and old and Decimal(new) <= Decimal(old) * share:
            return "\n⚠️ " + i18n.get(f"price-warning-{marketplace}-quarantine")
    return ""
