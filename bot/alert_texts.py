"""Outbox alerts as Telegram messages, in the partner's language and timezone (bot/outbox_sender.py sends them).

One row is one message; several new-order rows of one chat are ONE message ("🛒 3 new orders", each order
with its marketplace, shop, items, sum and ship-by date), at most MAX_GROUP rows per message. Every text is
kept under Telegram's 4096-character limit however long the names or item lists are: a budget per order,
items beyond it summarised as "…and N more items". Everything taken from a payload is HTML-escaped.
"""
from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram_i18n.exceptions import KeyNotFoundError

from bot.callbacks import (
    IntegrationAction,
    IntegrationCb,
    OrderCardAction,
    OrderCb,
    ProductAction,
    ProductCb,
    SyncAction,
    SyncCb,
)
from bot.formatting import esc, local_date, local_time, money
from services.outbox.records import Alert, AlertKind, Recipient

log = logging.getLogger(__name__)

MAX_GROUP = 10  # new-order rows in one message
TEXT_LIMIT = 4096  # Telegram's limit, in UTF-16 code units of the visible text
BUDGET = 4000  # what we allow ourselves, measured on the raw HTML (always >= the visible text)
FALLBACK_LOCALE = "en"  # a text missing in the partner's language (until translated) is shown in English
JOBS = ("orders", "catalog", "reconcile", "stock_push", "price_push")  # alert-job-<job>; others: alert-job-other
CAUSES = ("bad_key", "missing_scope", "ip_restricted", "key_expired", "unavailable", "rate_limited",
          "bad_response", "not_supported", "no_shops")  # error-<cause> (connectors.base.ErrorCause)

NAME_MAX = 80  # an item's name as shown
SHOP_MAX = 60
ORDER_ID_MAX = 40
DETAIL_MAX = 300
DECIMAL_COMMA = ("ru", "uz")  # languages that write 1,5 rather than 1.5


class RenderError(ValueError):
    """The rows can't be one message (mixed kinds, too many)."""


def render(rows: list[Alert], texts, partner: Recipient) -> tuple[str, InlineKeyboardMarkup | None]:
    """The message for one row, or for 2..MAX_GROUP new-order rows of one chat; (HTML text, keyboard)."""
    if not rows:
        raise RenderError("nothing to render")
    if len(rows) > MAX_GROUP:
        raise RenderError(f"{len(rows)} rows: at most {MAX_GROUP} in one message")
    texts = _Fallback(texts)
    if len(rows) > 1:
        if any(r.kind != AlertKind.NEW_ORDER for r in rows):
            raise RenderError("only new-order rows are grouped")
        payloads = _by_time([r.payload for r in rows])
        return _new_orders(texts, partner, payloads), _open_buttons(texts, payloads)
    row = rows[0]
    payload = row.payload
    renderer = RENDERERS.get(row.kind)
    if renderer is None:
        raise RenderError(f"unknown alert kind {row.kind!r}")
    text, markup = renderer(texts, partner, payload)
    if _size(text) > BUDGET:  # only free-text fields could do this; cut plain text, never inside a tag
        raise RenderError(f"{row.kind} text too long ({_size(text)})")
    return text, markup


# ---------------------------------------------------------------------------------------------- orders

def _by_time(payloads: list[dict]) -> list[dict]:
    return sorted(payloads, key=lambda p: (p.get("placed_at") or 0))


def _open_buttons(texts, payloads: list[dict]) -> InlineKeyboardMarkup | None:
    """"Open the order" under an order alert; one button per order (by its number, two a row) under a group.
    The card comes as a new message, so the alert stays in the chat. Rows queued before the payload carried the
    order's key get no button."""
    keyed = [p for p in payloads if p.get("order_key")]
    if not keyed:
        return None
    if len(payloads) == 1:
        labels = [texts.get("btn-order-open")]
    else:
        labels = [texts.get("btn-order-open-number", order=_clip(p.get("order_id"), 24)) for p in keyed]
    buttons = [InlineKeyboardButton(text=label, callback_data=OrderCb(action=OrderCardAction.OPEN, id=str(p["order_key"]),
                                                                      arg="alert").pack())
               for label, p in zip(labels, keyed)]
    return InlineKeyboardMarkup(inline_keyboard=[buttons[i:i + 2] for i in range(0, len(buttons), 2)])


def _new_orders(texts, partner: Recipient, payloads: list[dict]) -> str:
    payloads = _by_time(payloads)
    if len(payloads) == 1:
        title = texts.get("alert-new-order")
        block = _order_block(texts, partner, payloads[0], BUDGET - _size(title) - 1)
        return title + "\n" + block
    title = texts.get("alert-new-orders", count=len(payloads))
    together = _together(texts, payloads)
    fixed = _size(title) + (_size(together) + 2 if together else 0)
    # each block: its number "10. " and a blank line before it
    budget = (BUDGET - fixed) // len(payloads) - 6
    blocks = [f"{n}. " + _order_block(texts, partner, p, budget) for n, p in enumerate(payloads, 1)]
    return "\n\n".join([title, *blocks] + ([together] if together else []))


def _order_block(texts, partner: Recipient, p: dict, budget: int) -> str:
    """One order: where (marketplace · shop · scheme), its number, the items that fit in `budget`, sum, ship-by."""
    head = texts.get("alert-order-head", marketplace=_marketplace(texts, p), shop=_shop(p),
                     order=esc(_clip(p.get("order_id"), ORDER_ID_MAX)))
    if p.get("scheme"):
        head += f" · {esc(_clip(p['scheme'], 12))}"
    tail = []
    if p.get("total") is not None:
        tail.append(texts.get("alert-order-total", total=_amount(p.get("total"), p.get("currency"))))
    if p.get("ship_by"):
        tail.append(texts.get("alert-order-ship-by", time=local_time(partner, int(p["ship_by"]))))
    items = [i for i in (p.get("items") or []) if isinstance(i, dict)]
    lines = []
    room = budget - _size(head) - sum(_size(t) + 1 for t in tail)
    for n, item in enumerate(items):
        line = _item_line(texts, item)
        left = len(items) - n - 1
        reserve = _size(texts.get("alert-order-items-more", count=left)) + 1 if left else 0
        if _size(line) + 1 + reserve > room:
            lines.append(texts.get("alert-order-items-more", count=len(items) - n))
            break
        lines.append(line)
        room -= _size(line) + 1
    return "\n".join([head, *lines, *tail])


def _item_line(texts, item: dict) -> str:
    name = esc(_clip(item.get("name") or item.get("sku") or "—", NAME_MAX))
    if item.get("sku") and item.get("name"):
        name += f" (<code>{esc(_clip(item['sku'], 40))}</code>)"
    line = texts.get("alert-order-item", name=name, quantity=_int(item.get("quantity")))
    if item.get("price") is not None:
        line += f" — {money(_decimal(item['price']))}"
    return line


def _together(texts, payloads: list[dict]) -> str:
    """The orders' sum when they share one currency (sums in different currencies are not added)."""
    currencies = {p.get("currency") for p in payloads}
    totals = [_decimal(p.get("total")) for p in payloads]
    if len(currencies) != 1 or any(t is None for t in totals):
        return ""
    return texts.get("alert-orders-together", total=_amount(sum(totals), currencies.pop()))


def _cancelled(texts, partner: Recipient, p: dict):
    lines = [texts.get("alert-cancelled"),
             texts.get("alert-order-head", marketplace=_marketplace(texts, p), shop=_shop(p),
                       order=esc(_clip(p.get("order_id"), ORDER_ID_MAX)))]
    if p.get("total") is not None:
        lines.append(texts.get("alert-order-total", total=_amount(p.get("total"), p.get("currency"))))
    return "\n".join(lines), _open_buttons(texts, [p])


# -------------------------------------------------------------------------------- integrations, stock

def _sync_failed(texts, partner: Recipient, p: dict):
    job = p.get("job")
    job_text = texts.get("alert-job-" + job) if job in JOBS else texts.get("alert-job-other")
    lines = [texts.get("alert-sync-failed", title=_title(texts, p), job=job_text)]
    cause = p.get("cause")
    if cause in CAUSES:
        lines.append(texts.get("error-" + cause))
    if p.get("detail"):
        lines.append(texts.get("error-detail", detail=esc(_clip(p["detail"], DETAIL_MAX))))
    lines.append(texts.get("alert-sync-failed-next"))
    markup = None
    if p.get("integration_id"):
        markup = _keyboard(texts.get("btn-retry-now"), SyncCb(action=SyncAction.RUN, id=str(p["integration_id"])))
    return "\n".join(lines), markup


def _recovered(texts, partner: Recipient, p: dict):
    return texts.get("alert-recovered", title=_title(texts, p)), None


def _low_stock(texts, partner: Recipient, p: dict):
    name = esc(_clip(p.get("name") or p.get("sku") or "—", NAME_MAX))
    sku = esc(_clip(p.get("sku") or "—", 40))
    stock = _int(p.get("stock"))
    if stock <= 0:
        return texts.get("alert-out-of-stock", name=name, sku=sku, stock=stock), None
    return texts.get("alert-low-stock", name=name, sku=sku, stock=stock, threshold=_int(p.get("threshold"))), None


def _key_expiring(texts, partner: Recipient, p: dict):
    text = texts.get("alert-key-expiring", title=_title(texts, p), days=_int(p.get("days")),
                     date=local_date(partner, p.get("expires_at")))
    markup = None
    if p.get("integration_id"):
        markup = _keyboard(texts.get("btn-replace-keys"), IntegrationCb(action=IntegrationAction.REPLACE_KEYS, id=str(p["integration_id"])))
    return text, markup


RENDERERS = {
    AlertKind.NEW_ORDER: lambda texts, partner, p: (_new_orders(texts, partner, [p]), _open_buttons(texts, [p])),
    AlertKind.CANCELLED: _cancelled,
    AlertKind.SYNC_FAILED: _sync_failed,
    AlertKind.RECOVERED: _recovered,
    AlertKind.LOW_STOCK: _low_stock,
    AlertKind.KEY_EXPIRING: _key_expiring,
}


def _runs_out(texts, partner: Recipient, p: dict):
    name = esc(_clip(p.get("name") or p.get("sku") or "—", NAME_MAX))
    rate = f"{float(p.get('rate') or 0):.1f}"
    if partner.language in DECIMAL_COMMA:
        rate = rate.replace(".", ",")
    text = texts.get("alert-runs-out", name=name, sku=esc(_clip(p.get("sku") or "—", 40)), stock=_int(p.get("stock")),
                     days=_int(p.get("days")), rate=rate)
    markup = None
    if p.get("product_id"):
        markup = _keyboard(texts.get("btn-product-open"),
                           ProductCb(action=ProductAction.OPEN, id=str(p["product_id"]), arg="alert"))
    return text, markup


RENDERERS[AlertKind.RUNS_OUT] = _runs_out


# ------------------------------------------------------------------------------------------- helpers

class _Fallback:
    """The partner's language; a key not translated yet comes in English rather than failing the alert."""

    def __init__(self, texts):
        self.texts = texts

    def get(self, key: str, /, **kwargs) -> str:
        try:
            return self.texts.get(key, **kwargs)
        except KeyNotFoundError:
            core = getattr(self.texts, "core", None)
            if core is None or getattr(self.texts, "locale", None) == FALLBACK_LOCALE:
                raise
            log.warning("text %s missing in %s; sent in %s", key, getattr(self.texts, "locale", "?"), FALLBACK_LOCALE)
            return core.get(key, FALLBACK_LOCALE, **kwargs)


def _keyboard(text: str, data) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=text, callback_data=data.pack())]])


def _marketplace(texts, p: dict) -> str:
    marketplace = str(p.get("marketplace") or "")
    try:
        return texts.get("mp-" + marketplace)
    except KeyNotFoundError:
        return esc(_clip(marketplace or "—", 20))


def _shop(p: dict) -> str:
    return esc(_clip(p.get("shop") or "—", SHOP_MAX))


def _title(texts, p: dict) -> str:
    return f"{_marketplace(texts, p)} · {_shop(p)}"


def _amount(value, currency) -> str:
    number = _decimal(value)
    text = money(number) if number is not None else esc(_clip(value, 20))
    return f"{text} {esc(_clip(currency, 8))}" if currency else text


def _decimal(value) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _clip(value, limit: int) -> str:
    text = str(value) if value is not None else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _size(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


# ------------------------------------------------------------------------------------------ broadcasts

def _broadcast(texts, partner: Recipient, p: dict):
    """An admin's broadcast: their text exactly as written (Telegram HTML they checked in the preview). The same
    kind carries the delivery count back to that admin (payload "report", services/broadcasts.py)."""
    report = p.get("report")
    if isinstance(report, dict):
        return texts.get("admin-broadcast-report", date=local_time(partner, p.get("created_at")),
                         recipients=_int(p.get("recipients")), sent=_int(report.get("sent")),
                         blocked=_int(report.get("blocked")), failed=_int(report.get("failed"))), None
    text = p.get("text")
    if not isinstance(text, str) or not text.strip():
        raise RenderError("broadcast without text")
    return text, None


RENDERERS[AlertKind.BROADCAST] = _broadcast
