"""Inline keyboards. Button texts come from the locale files; callback data from bot.callbacks."""
from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram_i18n import I18nContext

from bot.callbacks import ConnectCb, DashCb, IntegrationCb, LangCb, MenuCb
from connectors.base import Marketplace

MARKETPLACE_ORDER = (Marketplace.UZUM, Marketplace.YANDEX, Marketplace.WILDBERRIES, Marketplace.OZON)


def button(text: str, data) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack() if hasattr(data, "pack") else data)


def rows(*rows_: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[r for r in rows_ if r])


def main_menu(i18n: I18nContext, *, is_admin: bool) -> InlineKeyboardMarkup:
    kb = [
        [button(i18n.get("btn-products"), MenuCb(action="products")),
         button(i18n.get("btn-orders"), MenuCb(action="orders"))],
        [button(i18n.get("btn-marketplaces"), MenuCb(action="mps")),
         button(i18n.get("btn-connect"), MenuCb(action="connect"))],
        [button(i18n.get("btn-notifications"), MenuCb(action="notif"))],
        [button(i18n.get("btn-language"), MenuCb(action="lang")), button(i18n.get("btn-help"), MenuCb(action="help"))],
    ]
    if is_admin:
        kb.append([button(i18n.get("btn-admin"), MenuCb(action="admin"))])
    return InlineKeyboardMarkup(inline_keyboard=kb)


def to_menu(i18n: I18nContext) -> list[InlineKeyboardButton]:
    return [button(i18n.get("btn-main-menu"), MenuCb(action="main"))]


def languages(i18n: I18nContext) -> InlineKeyboardMarkup:
    return rows(
        [button("🇺🇿 O'zbekcha", LangCb(code="uz")), button("🇷🇺 Русский", LangCb(code="ru")),
         button("🇬🇧 English", LangCb(code="en"))],
        to_menu(i18n),
    )


def marketplaces_choice(i18n: I18nContext) -> InlineKeyboardMarkup:
    mps = [button(i18n.get(f"mp-{m.value}"), ConnectCb(action="mp", value=m.value)) for m in MARKETPLACE_ORDER]
    return rows(mps[:2], mps[2:], [button(i18n.get("btn-cancel"), ConnectCb(action="cancel"))])


def back_cancel(i18n: I18nContext) -> InlineKeyboardMarkup:
    return rows([button(i18n.get("btn-back"), ConnectCb(action="back")),
                 button(i18n.get("btn-cancel"), ConnectCb(action="cancel"))])


def after_failure(i18n: I18nContext) -> InlineKeyboardMarkup:
    return rows(
        [button(i18n.get("btn-try-again"), ConnectCb(action="retry"))],
        [button(i18n.get("btn-back"), ConnectCb(action="back")), button(i18n.get("btn-cancel"), ConnectCb(action="cancel"))],
    )


def integration_card(i18n: I18nContext, integration_id: str, *, paused: bool) -> InlineKeyboardMarkup:
    cb = lambda action: IntegrationCb(action=action, id=integration_id)  # noqa: E731
    return rows(
        [button(i18n.get("btn-test"), cb("test")), button(i18n.get("btn-sync-products"), cb("sync"))],
        [button(i18n.get("btn-resume") if paused else i18n.get("btn-pause"), cb("resume" if paused else "pause")),
         button(i18n.get("btn-replace-keys"), cb("replace"))],
        [button(i18n.get("btn-stock-rules"), cb("rules")), button(i18n.get("btn-delete"), cb("delete"))],
        [button(i18n.get("btn-sync-status"), DashCb(action="open", id=integration_id))],
        [button(i18n.get("btn-back-to-list"), MenuCb(action="mps"))],
    )


def confirm_delete(i18n: I18nContext, integration_id: str) -> InlineKeyboardMarkup:
    return rows([
        button(i18n.get("btn-delete-yes"), IntegrationCb(action="delete_yes", id=integration_id)),
        button(i18n.get("btn-delete-no"), IntegrationCb(action="open", id=integration_id)),
    ])
