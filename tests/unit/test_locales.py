"""Every text exists in uz, ru and en; every key the code asks for exists; every message renders."""
import re
from pathlib import Path

import pytest
from fluent.runtime import FluentBundle, FluentResource
from fluent.syntax import ast, parse

from connectors.base import ErrorCause, Warning
from db.models import IntegrationStatus
from services.integrations import ChoiceKind

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ("uz", "ru", "en")


def messages(locale: str) -> dict[str, ast.Message]:
    resource = parse((ROOT / "bot" / "locales" / locale / "bot.ftl").read_text(encoding="utf-8"))
    junk = [entry.content[:80] for entry in resource.body if isinstance(entry, ast.Junk)]
    assert not junk, f"{locale}: unparsable lines {junk}"
    return {entry.id.name: entry for entry in resource.body if isinstance(entry, ast.Message)}


def variables(message: ast.Message) -> set[str]:
    from fluent.syntax.visitor import Visitor

    found = set()

    class Variables(Visitor):
        def visit_VariableReference(self, node):
            found.add(node.id.name)

    Variables().visit(message)
    return found


def keys_used_in_code() -> set[str]:
    keys = set()
    for path in (ROOT / "bot").rglob("*.py"):
        keys |= set(re.findall(r'(?:i18n|texts)\.get\(\s*"([a-z0-9-]+)"\s*[,)]', path.read_text()))
        keys |= set(re.findall(r'"(cmd-[a-z]+)"', path.read_text()))
    for path in (ROOT / "services").rglob("*.py"):
        keys |= set(re.findall(r'"(format-[a-z-]+)"', path.read_text()))
    return keys


def dynamic_keys() -> set[str]:
    keys = {f"error-{c.value}" for c in ErrorCause} | {f"warning-{w.value}" for w in Warning}
    keys |= {f"status-{s.value}" for s in IntegrationStatus} | {f"mp-{m}" for m in ("uzum", "yandex", "wildberries", "ozon")}
    for m in ("uzum", "yandex", "wildberries", "ozon"):
        keys |= {f"connect-howto-{m}", f"connect-ask-key-{m}", f"format-{m}-key"}
    keys |= {"connect-choose-shop-uzum", "connect-choose-shop-yandex", "connect-choose-warehouse-wildberries",
             "connect-choose-warehouse-ozon"}
    assert {k.value for k in ChoiceKind} == {"shop", "warehouse"}
    keys |= {f"partner-status-{s}" for s in ("active", "unreachable", "disabled")}
    from bot.formatting import FIX_HINTS, PRICE_RULE_MARKETPLACES
    from services import spreadsheets

    keys |= {f"price-rule-{m}" for m in PRICE_RULE_MARKETPLACES}
    keys |= {f"import-reason-{r}" for r in (*spreadsheets.REJECT_REASONS, "unknown_sku", "other")}
    keys |= {f"import-error-{e}" for e in spreadsheets.FILE_ERRORS}
    # Push refusals: the pusher's own codes and every connector failure cause (an unknown code has "-other").
    keys |= {f"push-reason-{r}" for r in ("other", "several_sizes", "no_stock_id", "no_price", "no_price_id",
                                           "no_answer")}
    keys |= {f"push-reason-{c.value}" for c in ErrorCause}
    keys |= {f"rules-ask-{r}" for r in ("buffer", "max_quantity", "share_percent", "floor")}
    keys |= {f"rules-drift-{p}" for p in ("push_back", "adopt")}
    keys |= {f"sync-drift-{k}-{a}" for k in ("stock", "price") for a in ("pushed", "adopted")}
    from bot.alert_texts import JOBS

    keys |= {f"alert-job-{job}" for job in JOBS}
    # Names built from enums and per-marketplace rules.
    from bot.handlers.orders import NO_SHIP_HINTS
    from connectors import profile
    from connectors.base import CancelReason, Marketplace, OrderState
    from services.jobs import JobKind
    from services.outbox.records import AlertKind

    keys |= {f"order-state-{s.value}" for s in OrderState} | {f"order-reason-{r.value}" for r in CancelReason}
    keys |= {f"notif-kind-{k.value}" for k in AlertKind} | {f"dash-kind-{k.value}" for k in JobKind}
    keys |= {f"order-no-ship-{m}" for m in NO_SHIP_HINTS}
    keys |= {f"price-warning-{m.value}-quarantine" for m in Marketplace if profile(m).price_quarantine_share}
    return keys | FIX_HINTS


@pytest.mark.parametrize("locale", LOCALES)
def test_locale_has_every_key_of_every_other_locale(locale):
    mine = messages(locale)
    for other in LOCALES:
        missing = set(messages(other)) - set(mine)
        assert not missing, f"{locale} lacks {sorted(missing)} (present in {other})"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_key_the_code_uses_exists(locale):
    missing = (keys_used_in_code() | dynamic_keys()) - set(messages(locale))
    assert not missing, f"{locale} lacks {sorted(missing)}"


def test_placeholders_match_across_locales():
    en = messages("en")
    for locale in ("uz", "ru"):
        for key, message in messages(locale).items():
            assert variables(message) == variables(en[key]), f"{locale}:{key} placeholders differ from en"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_renders_with_balanced_html(locale):
    bundle = FluentBundle([locale], use_isolating=False)
    bundle.add_resource(FluentResource((ROOT / "bot" / "locales" / locale / "bot.ftl").read_text(encoding="utf-8")))
    for key, message in messages(locale).items():
        args = {name: "x" for name in variables(message)}
        text, errors = bundle.format_pattern(bundle.get_message(key).value, args)
        assert not errors, (locale, key, errors)
        for tag in ("b", "i", "code"):
            assert text.count(f"<{tag}>") == text.count(f"</{tag}>"), (locale, key, tag)
        if key.startswith("btn-"):
            assert len(text) <= 40, (locale, key, text)
