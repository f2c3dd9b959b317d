"""Inline keyboards. Button texts come from the locale files; callback data from bot.callbacks."""
from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram_i18n import I18nContext

from bot.callbacks import (
    AnalyticsAction,
    AnalyticsCb,
    ConnectAction,
    ConnectCb,
    DashAction,
    DashCb,
    IntegrationAction,
    IntegrationCb,
    LangCb,
    MenuAction,
    MenuCb,
)
from bot.i18n import per_locale
from connectors.base import Marketplace

MARKETPLACE_ORDER = (Marketplace.UZUM, Marketplace.YANDEX, Marketplace.WILDBERRIES, Marketplace.OZON)
# Each language in its own words (services.partners.LANGUAGES), the same in every locale.
LANGUAGE_NAMES = {"uz": "🇺🇿 O'zbekcha", "ru": "🇷🇺 Русский", "en": "🇬🇧 English"}


def button(text: str, data) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack() if hasattr(data, "pack") else data)


def rows(*rows_: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[r for r in rows_ if r])


def main_menu(i18n: I18nContext, *, is_admin: bool) -> InlineKeyboardMarkup:
    """Made once per (locale, admin or not) and shared: nearly every screen ends on it, and building its buttons
    (models, callback data) was a quarter of a menu update. A language change picks the other locale's menu; the
    admin flag is part of the key."""
    return per_locale(i18n, ("main-menu", is_admin), lambda: _main_menu(i18n, is_admin))


def _main_menu(i18n: I18nContext, is_admin: bool) -> InlineKeyboardMarkup:
    kb = [
        [button(i18n.get("btn-products"), MenuCb(action=MenuAction.PRODUCTS)),
         button(i18n.get("btn-orders"), MenuCb(action=MenuAction.ORDERS))],
        [button(i18n.get("analytics-btn-open"), AnalyticsCb(action=AnalyticsAction.OPEN))],
        [button(i18n.get("btn-marketplaces"), MenuCb(action=MenuAction.MARKETPLACES)),
         button(i18n.get("btn-connect"), MenuCb(action=MenuAction.CONNECT))],
        [button(i18n.get("btn-notifications"), MenuCb(action=MenuAction.NOTIFICATIONS))],
        [button(i18n.get("btn-language"), MenuCb(action=MenuAction.LANGUAGE)), button(i18n.get("btn-help"), MenuCb(action=MenuAction.HELP))],
    ]
    if is_admin:
        kb.append([button(i18n.get("btn-admin"), MenuCb(action=MenuAction.ADMIN))])
    return InlineKeyboardMarkup(inline_keyboard=kb)


def to_menu(i18n: I18nContext) -> list[InlineKeyboardButton]:
    return [button(i18n.get("btn-main-menu"), MenuCb(action=MenuAction.MAIN))]


def languages(i18n: I18nContext) -> InlineKeyboardMarkup:
    return rows(
        [button(name, LangCb(code=code)) for code, name in LANGUAGE_NAMES.items()],
        to_menu(i18n),
    )


def marketplaces_choice(i18n: I18nContext) -> InlineKeyboardMarkup:
    mps = [button(i18n.get(f"mp-{m.value}"), ConnectCb(action=ConnectAction.MARKETPLACE, value=m.value)) for m in MARKETPLACE_ORDER]
    return rows(mps[:2], mps[2:], [button(i18n.get("btn-cancel"), ConnectCb(action=ConnectAction.CANCEL))])


def back_cancel(i18n: I18nContext) -> InlineKeyboardMarkup:
    return rows([button(i18n.get("btn-back"), ConnectCb(action=ConnectAction.BACK)),
                 button(i18n.get("btn-cancel"), ConnectCb(action=ConnectAction.CANCEL))])


def after_failure(i18n: I18nContext) -> InlineKeyboardMarkup:
    return rows(
        [button(i18n.get("btn-try-again"), ConnectCb(action=ConnectAction.RETRY))],
        [button(i18n.get("btn-back"), ConnectCb(action=ConnectAction.BACK)), button(i18n.get("btn-cancel"), ConnectCb(action=ConnectAction.CANCEL))],
    )


def integration_card(i18n: I18nContext, integration_id: str, *, paused: bool) -> InlineKeyboardMarkup:
    cb = lambda action: IntegrationCb(action=action, id=integration_id)  # noqa: E731
    return rows(
        [button(i18n.get("btn-test"), cb(IntegrationAction.TEST)), button(i18n.get("btn-sync-products"), cb(IntegrationAction.SYNC))],
        [button(i18n.get("btn-resume") if paused else i18n.get("btn-pause"), cb(IntegrationAction.RESUME if paused else IntegrationAction.PAUSE)),
         button(i18n.get("btn-replace-keys"), cb(IntegrationAction.REPLACE_KEYS))],
        [button(i18n.get("btn-stock-rules"), cb(IntegrationAction.RULES)), button(i18n.get("btn-delete"), cb(IntegrationAction.DELETE))],
        [button(i18n.get("btn-sync-status"), DashCb(action=DashAction.OPEN, id=integration_id))],
        [button(i18n.get("btn-back-to-list"), MenuCb(action=MenuAction.MARKETPLACES))],
    )


def confirm_delete(i18n: I18nContext, integration_id: str) -> InlineKeyboardMarkup:
    return rows([
        button(i18n.get("btn-delete-yes"), IntegrationCb(action=IntegrationAction.DELETE_CONFIRMED, id=integration_id)),
        button(i18n.get("btn-delete-no"), IntegrationCb(action=IntegrationAction.OPEN, id=integration_id)),
    ])
