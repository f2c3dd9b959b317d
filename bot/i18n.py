"""Texts: aiogram-i18n with Fluent (.ftl) files in bot/locales/{uz,ru,en}. The partner's saved language wins;
before registration, Telegram's language_code decides."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from aiogram_i18n import I18nMiddleware
from aiogram_i18n.cores import FluentRuntimeCore
from aiogram_i18n.managers import BaseManager

from services.partners import pick_language

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LOCALE = "uz"


class PartnerLocaleManager(BaseManager):
    async def get_locale(self, partner=None, event_from_user=None, **_: Any) -> str:
        if partner is not None:
            return partner.language
        return pick_language(getattr(event_from_user, "language_code", None))

    async def set_locale(self, locale: str, partner=None, **_: Any) -> None:
        if partner is not None:
            partner.language = locale


def build_i18n_middleware() -> I18nMiddleware:
    core = FluentRuntimeCore(path=LOCALES_DIR / "{locale}", default_locale=DEFAULT_LOCALE, raise_key_error=True)
    return I18nMiddleware(core=core, manager=PartnerLocaleManager(), default_locale=DEFAULT_LOCALE)


class Texts:
    """Texts in one locale outside a handler (background jobs, the outbox): the same `.get` as I18nContext."""

    def __init__(self, core: FluentRuntimeCore, locale: str):
        self.core = core
        self.locale = locale

    def get(self, key: str, /, **kwargs: Any) -> str:
        return self.core.get(key, self.locale, **kwargs)


def texts_for(i18n, locale: str | None = None) -> Texts:
    """Freeze a handler's I18nContext into Texts usable after the handler returns."""
    return Texts(i18n.core, locale or i18n.locale)


def load_texts_core() -> FluentRuntimeCore:
    """A text core loaded now, for work that outlives the dispatcher's start-up/shutdown (the outbox sender):
    the dispatcher's own core is emptied at shutdown while the last messages may still be going out."""
    core = FluentRuntimeCore(path=LOCALES_DIR / "{locale}", default_locale=DEFAULT_LOCALE, raise_key_error=True)
    core.locales.update(core.find_locales())
    return core
