"""Texts: aiogram-i18n with Fluent (.ftl) files in bot/locales/{uz,ru,en}. The partner's saved language wins;
before registration, Telegram's language_code decides."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

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


T = TypeVar("T")


ARG_TEXTS_KEPT = 20_000  # texts formatted with arguments remembered before the memory starts again
_PLAIN = frozenset({str, int, float, Decimal})  # argument types told apart by their repr (which includes the type)


class CachedFluentCore(FluentRuntimeCore):
    """FluentRuntimeCore that remembers what it formatted, per locale: most of a screen's words are fixed (button
    labels, titles) or come with the same few arguments (a notification kind and "on"), and formatting them again on
    every update was a tenth to a fifth of a screen's cost. Formatting is a pure function of the key, the locale
    and the arguments, so a remembered text is the text. `memo` also holds what is built from texts without
    arguments only (bot/keyboards.py's main menu), per locale. All of it is emptied whenever the locales are loaded
    or unloaded, so a text is never older than the files."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.memo: dict[Any, Any] = {}
        self._with_args: dict[tuple, str] = {}

    def get(self, message_id: str, locale: str | None = None, /, **kwargs: Any) -> str:
        if locale is None:  # the locale comes from the current context, resolved by the core
            return super().get(message_id, locale, **kwargs)
        if not kwargs:
            key = (message_id, locale)
            text = self.memo.get(key)
            if text is None:
                text = self.memo[key] = super().get(message_id, locale)
            return text
        if not all(type(value) in _PLAIN for value in kwargs.values()):  # a value whose text is not its repr
            return super().get(message_id, locale, **kwargs)
        # By type and repr: 1, 1.0 and True are one dict key, Decimal("1.5") and Decimal("1.50") too, not one text.
        key = (message_id, locale, *sorted((name, repr(value)) for name, value in kwargs.items()))
        text = self._with_args.get(key)
        if text is None:
            text = super().get(message_id, locale, **kwargs)
            if len(self._with_args) >= ARG_TEXTS_KEPT:
                self._with_args.clear()
            self._with_args[key] = text
        return text

    async def startup(self) -> None:
        self.memo.clear()
        self._with_args.clear()
        await super().startup()

    async def shutdown(self) -> None:
        self.memo.clear()
        self._with_args.clear()
        await super().shutdown()


def per_locale(i18n, key: Any, build: Callable[[], T]) -> T:
    """What `build()` returns, made once per (locale, key) while the texts stay loaded. Only for things built from
    texts without arguments and `key`: shared by every update, so never to be changed by a caller."""
    memo = getattr(i18n.core, "memo", None)
    if memo is None:  # another core (a test's): nothing is kept
        return build()
    full_key = ("per-locale", i18n.locale, key)
    value = memo.get(full_key)
    if value is None:
        value = memo[full_key] = build()
    return value


def _core() -> CachedFluentCore:
    return CachedFluentCore(path=LOCALES_DIR / "{locale}", default_locale=DEFAULT_LOCALE, raise_key_error=True)


def build_i18n_middleware() -> I18nMiddleware:
    return I18nMiddleware(core=_core(), manager=PartnerLocaleManager(), default_locale=DEFAULT_LOCALE)


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
    core = _core()
    core.locales.update(core.find_locales())
    return core
