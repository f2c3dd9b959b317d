"""Typed records of the outbox: what the store hands the sender and what the sender hands back."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class AlertKind(StrEnum):
    NEW_ORDER = "new_order"
    CANCELLED = "cancelled"
    SYNC_FAILED = "sync_failed"
    RECOVERED = "recovered"
    LOW_STOCK = "low_stock"
    KEY_EXPIRING = "key_expiring"
    RUNS_OUT = "runs_out"  # a product's stock lasts fewer days than the partner's horizon
    SUMMARY = "summary"  # the daily / weekly summary
    BROADCAST = "broadcast"  # an admin's message to partners (never muted)


# The kinds a partner can mute one by one (the summary has its own off / daily / weekly setting; broadcasts always go).
MUTABLE = tuple(kind for kind in AlertKind if kind not in (AlertKind.SUMMARY, AlertKind.BROADCAST))


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # handed to Telegram, its answer not recorded yet
    SENT = "sent"
    FAILED = "failed"  # undeliverable
    MUTED = "muted"  # a kind the partner muted: kept, never sent


@dataclass(frozen=True)
class Alert:
    """One outbox row as the sender sees it."""

    id: str
    partner_id: str
    chat_id: int
    kind: str  # an AlertKind value (an unknown one is rendered as a failure, never sent)
    payload: dict[str, Any]
    attempts: int
    created_at: int
    next_attempt_at: int


@dataclass(frozen=True)
class Recipient:
    """The partner an alert goes to: what rendering and the policy need."""

    partner_id: str
    chat_id: int
    language: str
    timezone: str
    notification_prefs: str | None  # the raw JSON column (services.outbox.policy.prefs_of reads it)


# ---- what a send came to (bot/outbox_sender.py -> services/outbox/store.py `record`) ----

@dataclass(frozen=True)
class Sent:
    ids: tuple[str, ...]
    message_id: int
    at: int


@dataclass(frozen=True)
class Failed:
    """Telegram refused it (bad request): it will never go."""

    ids: tuple[str, ...]
    error: str


@dataclass(frozen=True)
class Retry:
    """A network or server error: tried again later."""

    ids: tuple[str, ...]
    attempts: int  # the attempt count after this one
    next_attempt_at: int
    error: str


@dataclass(frozen=True)
class Released:
    """Claimed but not sent (a 429 pause, a shutdown): pending again, attempts unchanged."""

    ids: tuple[str, ...]
    error: str | None = None


@dataclass(frozen=True)
class Blocked:
    """The partner blocked the bot: they are unreachable, and every pending alert of theirs fails."""

    partner_id: str
    ids: tuple[str, ...]
    error: str


Outcome = Sent | Failed | Retry | Released | Blocked


@dataclass
class Round:
    """What the sender decided about the alerts it looked at in one round (services.outbox.store.settle)."""

    muted: list[str] = field(default_factory=list)  # muted since they were queued
    held: dict[str, int] = field(default_factory=dict)  # partner id -> the end of their quiet hours
    failed: list[tuple[str, str]] = field(default_factory=list)  # (alert id, why it can't be rendered)
    claim: list[str] = field(default_factory=list)  # to send now
