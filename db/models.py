"""SQLAlchemy models. Table and column names of `marketplace_integrations` and `marketplace_api_configs`
follow the platform's original schema (ORIGINAL-NOTE.md); timestamps are UTC unix seconds, ids TEXT UUIDs
(time-ordered, see `new_id`)."""
from __future__ import annotations

import json
import os
import time
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


_last_id_ms = 0
_id_sequence = 0


def new_id() -> str:
    """A time-ordered UUID (version 7, RFC 9562: 48-bit unix milliseconds, a 12-bit sequence, 62 random bits).

    Rows created together get neighbouring keys, so inserting them appends to the primary-key B-tree instead of
    touching a random page per row (random UUIDv4 keys made bulk inserts 2-3x slower on SQLite)."""
    return new_ids(1)[0]


def new_ids(count: int) -> list[str]:
    """`count` new ids in creation order, with one clock read and one random draw for all of them (a catalog
    sync makes three per product)."""
    global _last_id_ms, _id_sequence
    ms = time.time_ns() // 1_000_000
    if ms <= _last_id_ms:  # same millisecond (or the clock stepped back): keep counting up
        ms, sequence = _last_id_ms, _id_sequence + 1
    else:
        sequence = 0
    random = os.urandom(8 * count).hex()
    ids = []
    stamp = "%012x" % ms
    prefix = f"{stamp[:8]}-{stamp[8:]}-7"
    for at in range(0, 16 * count, 16):
        if sequence > 0xFFF:  # 4,096 ids in one millisecond: borrow the next one
            ms, sequence = ms + 1, 0
            stamp = "%012x" % ms
            prefix = f"{stamp[:8]}-{stamp[8:]}-7"
        # The variant's two bits (10) over the first random nibble.
        ids.append(f"{prefix}{sequence:03x}-{_VARIANT[random[at]]}{random[at + 1:at + 4]}-{random[at + 4:at + 16]}")
        sequence += 1
    _last_id_ms, _id_sequence = ms, sequence - 1
    return ids


_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def now() -> int:
    return int(time.time())


# A partner's time zone until they pick another: most partners sell from Uzbekistan.
DEFAULT_TIMEZONE = "Asia/Tashkent"


class Base(DeclarativeBase):
    pass


class JsonText:
    """Helpers for TEXT columns holding JSON (portable across SQLite and PostgreSQL)."""

    @staticmethod
    def load(raw: str | None, default):
        if not raw:
            return default
        try:
            return json.loads(raw)
        except ValueError:
            return default

    @staticmethod
    def dump(value) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)


class Partner(Base):
    __tablename__ = "partners"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True, nullable=False)
    name: Mapped[str | None] = mapped_column(Text)
    username: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(5), nullable=False, default="uz")
    timezone: Mapped[str] = mapped_column(Text, nullable=False, default=DEFAULT_TIMEZONE)
    # active | unreachable (blocked the bot) | disabled (by an admin)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    notification_prefs: Mapped[str | None] = mapped_column(Text)  # JSON
    invite_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("invites.id", ondelete="SET NULL"))
    created_at: Mapped[int] = mapped_column(Integer, nullable=False, default=now)
    updated_at: Mapped[int] = mapped_column(Integer, nullable=False, default=now, onupdate=now)
    last_seen_at: Mapped[int | None] = mapped_column(Integer, index=True)  # their last update to the bot (admin stats)

    integrations: Mapped[list[MarketplaceIntegration]] = relationship(back_populates="partner")


class IntegrationStatus(StrEnum):
    DRAFT = "draft"  # keys tested and encrypted, the shop / warehouse not picked yet
    ACTIVE = "active"
    PAUSED = "paused"
    ERROR = "error"  # its last job failed; jobs keep running and the next good one recovers it


# The statuses whose jobs run.
RUNNABLE = (IntegrationStatus.ACTIVE, IntegrationStatus.ERROR)


class MarketplaceIntegration(Base):
    __tablename__ = "marketplace_integrations"
    __table_args__ = (UniqueConstraint("partner_id", "marketplace", "seller_id", name="uq_integration_shop"),)

    # Original columns.
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    partner_id: Mapped[str] = mapped_column(String(36), ForeignKey("partners.id", ondelete="CASCADE"), nullable=False, index=True)
    marketplace: Mapped[str] = mapped_column(String(16), nullable=False)  # uzum | yandex | wildberries | ozon
    api_key: Mapped[str | None] = mapped_column(Text)  # Fernet token, never plaintext
    api_secret: Mapped[str | None] = mapped_column(Text)  # Fernet token (Ozon Client-Id lives here)
    seller_id: Mapped[str | None] = mapped_column(Text)  # Uzum shop id, Yandex campaign id, WB seller id, Ozon Client-Id
    active: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_sync_at: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[int] = mapped_column(Integer, nullable=False, default=now)

    # Added columns.
    # draft (keys tested, shop not chosen yet) | active | paused | error
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")
    shop_name: Mapped[str | None] = mapped_column(Text)
    account_name: Mapped[str | None] = mapped_column(Text)
    key_hint: Mapped[str | None] = mapped_column(String(8))  # last 4 characters, for the masked display
    business_id: Mapped[str | None] = mapped_column(Text)  # Yandex businessId
    warehouse_ids: Mapped[str | None] = mapped_column(Text)  # JSON list
    token_type: Mapped[str | None] = mapped_column(String(16))
    token_expires_at: Mapped[int | None] = mapped_column(Integer)
    last_check_at: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(32))  # an ErrorCause value
    last_error_detail: Mapped[str | None] = mapped_column(Text)
    failure_streak: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failing_since: Mapped[int | None] = mapped_column(Integer)  # start of the current failure streak
    failure_alerted: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # this streak was reported
    discovered: Mapped[str | None] = mapped_column(Text)  # JSON: shops, warehouses, scopes, warnings
    settings: Mapped[str | None] = mapped_column(Text)  # JSON: per-integration settings
    updated_at: Mapped[int] = mapped_column(Integer, nullable=False, default=now, onupdate=now)

    partner: Mapped[Partner] = relationship(back_populates="integrations")

    @property
    def discovered_data(self) -> dict:
        return JsonText.load(self.discovered, {})

    @property
    def warehouse_list(self) -> list[str]:
        return JsonText.load(self.warehouse_ids, [])


class MarketplaceApiConfig(Base):
    __tablename__ = "marketplace_api_configs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    marketplace: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    api_endpoint: Mapped[str] = mapped_column(Text, nullable=False)
    auth_type: Mapped[str] = mapped_column(String(16), nullable=False)  # api_key | oauth2 | bearer
    rate_limit: Mapped[int | None] = mapped_column(Integer)  # requests per second; None = the published limits
    documentation: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(Integer, nullable=False, default=now)
    # 1 when an admin set api_endpoint: it then overrides the *_API_URL setting.
    is_override: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_at: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[int | None] = mapped_column(BigInteger)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    at: Mapped[int] = mapped_column(Integer, nullable=False, default=now, index=True)
    actor_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    partner_id: Mapped[str | None] = mapped_column(String(36), index=True)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[str | None] = mapped_column(Text)  # JSON, never secrets


class Invite(Base):
    __tablename__ = "invites"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    created_by: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[int] = mapped_column(Integer, nullable=False, default=now)
    expires_at: Mapped[int | None] = mapped_column(Integer)
    max_uses: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    uses: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    revoked: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


# ---------------------------------------------------------------------------------------------------
# Catalog, stock and prices (one catalog per partner; a listing is a product on one integration)
# ---------------------------------------------------------------------------------------------------
Money = Numeric(14, 2)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("partner_id", "sku", name="uq_product_sku"),
                      Index("ix_products_partner_barcode", "partner_id", "barcode"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    partner_id: Mapped[str] = mapped_column(String(36), ForeignKey("partners.id", ondelete="CASCADE"), nullable=False)
    sku: Mapped[str] = mapped_column(Text, nullable=False)  # the seller's own code, the join key across channels
    name: Mapped[str] = mapped_column(Text, nullable=False, default="")
    barcode: Mapped[str | None] = mapped_column(Text)
    # The one truth: changed only together with a stock_movements row (services/stock.py).
    stock: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    price: Mapped[Decimal | None] = mapped_column(Money)
    low_stock_threshold: Mapped[int | None] = mapped_column(Integer)  # overrides the partner's threshold
    # What one unit costs the seller (their money, the currency of the products' marketplaces); None = not set,
    # which profit reports list as such, never as zero cost.
    cost_price: Mapped[Decimal | None] = mapped_column(Money)
    # The "runs out in N days" alert went out for the current streak; cleared when cover is back above N.
    cover_alerted_at: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[int] = mapped_column(Integer, nullable=False, default=now)
    updated_at: Mapped[int] = mapped_column(Integer, nullable=False, default=now, onupdate=now)


class Listing(Base):
    __tablename__ = "listings"
    __table_args__ = (UniqueConstraint("integration_id", "external_id", name="uq_listing_external"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    integration_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("marketplace_integrations.id", ondelete="CASCADE"), nullable=False)
    product_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("products.id", ondelete="SET NULL"), index=True)
    external_id: Mapped[str] = mapped_column(Text, nullable=False)
    seller_sku: Mapped[str | None] = mapped_column(Text)
    barcode: Mapped[str | None] = mapped_column(Text)  # the first barcode: matching and duplicate checks
    barcodes: Mapped[str | None] = mapped_column(Text)  # JSON list, all of them
    name: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(String(3))
    stock_ids: Mapped[str | None] = mapped_column(Text)  # JSON list: what the marketplace keys stock by
    price_id: Mapped[str | None] = mapped_column(Text)
    seen_stock: Mapped[int | None] = mapped_column(Integer)  # as the marketplace showed it at the last sync
    seen_price: Mapped[Decimal | None] = mapped_column(Money)
    seen_at: Mapped[int | None] = mapped_column(Integer)
    pushed_stock: Mapped[int | None] = mapped_column(Integer)  # what we last sent and the marketplace accepted
    pushed_price: Mapped[Decimal | None] = mapped_column(Money)
    stock_pushed_at: Mapped[int | None] = mapped_column(Integer)
    price_pushed_at: Mapped[int | None] = mapped_column(Integer)
    price_override: Mapped[Decimal | None] = mapped_column(Money)  # a per-marketplace price
    # Push queue, kept on the row so it survives restarts: due since when, and the last failure.
    stock_dirty_at: Mapped[int | None] = mapped_column(Integer, index=True)
    price_dirty_at: Mapped[int | None] = mapped_column(Integer, index=True)
    push_error: Mapped[str | None] = mapped_column(Text)  # reason code
    push_error_detail: Mapped[str | None] = mapped_column(Text)
    push_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    retry_at: Mapped[int | None] = mapped_column(Integer)


class StockMovement(Base):
    """The ledger: every change of a product's stock, with its reason and a unique reference, so one order
    (or one import row, one chat edit) is applied exactly once."""

    __tablename__ = "stock_movements"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    partner_id: Mapped[str] = mapped_column(String(36), ForeignKey("partners.id", ondelete="CASCADE"), nullable=False)
    product_id: Mapped[str] = mapped_column(String(36), ForeignKey("products.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    delta: Mapped[int] = mapped_column(Integer, nullable=False)
    stock_after: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(String(24), nullable=False)  # manual | import | order | cancel | adopt | sync
    reference: Mapped[str] = mapped_column(Text, unique=True, nullable=False)
    actor: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(Integer, nullable=False, default=now)


class SyncRun(Base):
    __tablename__ = "sync_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    integration_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("marketplace_integrations.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)  # catalog | stock_push | price_push | orders | reconcile
    started_at: Mapped[int] = mapped_column(Integer, nullable=False, default=now)
    finished_at: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="running")  # running | ok | partial | failed
    counts: Mapped[str | None] = mapped_column(Text)  # JSON
    error: Mapped[str | None] = mapped_column(Text)  # an ErrorCause value
    error_detail: Mapped[str | None] = mapped_column(Text)

    @property
    def counts_data(self) -> dict:
        return JsonText.load(self.counts, {})


class PendingImport(Base):
    """A validated spreadsheet waiting for the partner's confirmation (nothing is applied before it)."""

    __tablename__ = "pending_imports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    partner_id: Mapped[str] = mapped_column(String(36), ForeignKey("partners.id", ondelete="CASCADE"), nullable=False)
    filename: Mapped[str | None] = mapped_column(Text)
    rows: Mapped[str] = mapped_column(Text, nullable=False)  # JSON: the valid rows to apply
    report: Mapped[str] = mapped_column(Text, nullable=False)  # JSON: counts and rejected rows with reasons
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")  # pending | applied | cancelled
    created_at: Mapped[int] = mapped_column(Integer, nullable=False, default=now)


# ---------------------------------------------------------------------------------------------------
# Orders, schedules and the outbox
# ---------------------------------------------------------------------------------------------------
class Order(Base):
    """One marketplace order (Ozon: one posting), stored once per integration + marketplace id."""

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("integration_id", "external_id", name="uq_order_external"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    integration_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("marketplace_integrations.id", ondelete="CASCADE"), nullable=False)
    partner_id: Mapped[str] = mapped_column(String(36), ForeignKey("partners.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    external_id: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False)  # the marketplace's own status
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="new")  # new | active | cancelled | done
    scheme: Mapped[str] = mapped_column(String(8), nullable=False, default="FBS")
    placed_at: Mapped[int] = mapped_column(Integer, nullable=False, index=True)  # when the buyer ordered
    ship_by: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    items: Mapped[str] = mapped_column(Text, nullable=False)  # JSON [{sku, name, quantity, price}]
    baseline: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # seen in the first poll: no alert
    deducted: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # stock taken for it
    # JSON list of connectors.base.OrderAction values: what the marketplace lets the seller do in this status.
    actions: Mapped[str | None] = mapped_column(Text)
    action_started_at: Mapped[int | None] = mapped_column(Integer)  # an action on its way (a double tap waits)
    first_seen_at: Mapped[int] = mapped_column(Integer, nullable=False, default=now)
    updated_at: Mapped[int] = mapped_column(Integer, nullable=False, default=now, onupdate=now)

    @property
    def item_list(self) -> list[dict]:
        return JsonText.load(self.items, [])

    @property
    def action_list(self) -> list[str]:
        return JsonText.load(self.actions, [])


class Schedule(Base):
    """When each recurring job of an integration runs next, and its durable cursor."""

    __tablename__ = "schedules"

    integration_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("marketplace_integrations.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # orders | catalog | reconcile
    interval_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    next_run_at: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    last_run_at: Mapped[int | None] = mapped_column(Integer)
    last_ok_at: Mapped[int | None] = mapped_column(Integer)
    cursor: Mapped[str | None] = mapped_column(Text)  # orders: the connector's opaque cursor
    baseline_done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class JobLease(Base):
    """Who runs a job now (services/jobs/leases.py): one row per job kind and subject (an integration id, or the
    period of a platform-wide job). Held until `expires_at` (renewed while the job runs), so a job of a process that
    died is taken up by another once it lapses."""

    __tablename__ = "job_leases"

    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64), nullable=False)
    expires_at: Mapped[int] = mapped_column(Integer, nullable=False)
    again: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # asked for while held elsewhere


class OutboxMessage(Base):
    """Every message to a partner, written in the same transaction as the fact it reports. The unique dedupe
    key makes a fact reported twice (a re-poll after a crash) one message."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    partner_id: Mapped[str] = mapped_column(String(36), ForeignKey("partners.id", ondelete="CASCADE"), nullable=False)
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)  # new_order | cancelled | sync_failed | ...
    dedupe_key: Mapped[str] = mapped_column(Text, unique=True, nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)  # JSON; rendered in the partner's language at send
    # pending | sending (handed to Telegram, not yet confirmed) | sent | failed (undeliverable) | muted
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[int] = mapped_column(Integer, nullable=False, default=now)
    created_at: Mapped[int] = mapped_column(Integer, nullable=False, default=now)
    sent_at: Mapped[int | None] = mapped_column(Integer)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(64))  # the sender holding a `sending` row
    lease_until: Mapped[int | None] = mapped_column(Integer)  # after this, another sender may take the row over

    @property
    def payload_data(self) -> dict:
        return JsonText.load(self.payload, {})


# ---------------------------------------------------------------------------------------------------
# Analytics: what reports read, always from our own tables (never waiting on a marketplace)
# ---------------------------------------------------------------------------------------------------
class OrderLine(Base):
    """One line of a stored order, as a row: the reports sum these. Written with the order, its `state` kept with
    the order's (services/orders.py)."""

    __tablename__ = "order_lines"
    __table_args__ = (Index("ix_order_lines_partner_placed", "partner_id", "placed_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(String(36), ForeignKey("orders.id", ondelete="CASCADE"), nullable=False,
                                          index=True)
    partner_id: Mapped[str] = mapped_column(String(36), ForeignKey("partners.id", ondelete="CASCADE"), nullable=False)
    marketplace: Mapped[str] = mapped_column(String(16), nullable=False)
    sku: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    price: Mapped[Decimal | None] = mapped_column(Money)  # per unit
    currency: Mapped[str | None] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(16), nullable=False)  # the order's connectors.base.OrderState
    placed_at: Mapped[int] = mapped_column(Integer, nullable=False)


class FinanceRecord(Base):
    """One figure of a marketplace's finance report (connectors.base.FinanceEntry), stored once per integration and
    the marketplace's own line key, so re-reading a period (late corrections) never doubles it."""

    __tablename__ = "finance_entries"
    __table_args__ = (UniqueConstraint("integration_id", "key", name="uq_finance_key"),
                      Index("ix_finance_partner_day", "partner_id", "day"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    integration_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("marketplace_integrations.id", ondelete="CASCADE"), nullable=False)
    partner_id: Mapped[str] = mapped_column(String(36), ForeignKey("partners.id", ondelete="CASCADE"), nullable=False)
    marketplace: Mapped[str] = mapped_column(String(16), nullable=False)
    day: Mapped[str] = mapped_column(String(10), nullable=False)  # ISO date, the marketplace's accounting day
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # connectors.base.MoneyKind
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)  # never negative: the kind says which way
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    key: Mapped[str] = mapped_column(Text, nullable=False)
    sku: Mapped[str | None] = mapped_column(Text)
    order_external_id: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[int | None] = mapped_column(Integer)


class Broadcast(Base):
    """An admin's message to many partners; each copy is an outbox row (kind broadcast), whose statuses give the
    delivery count."""

    __tablename__ = "broadcasts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    admin_telegram_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)  # JSON: {"marketplace": .., "language": ..}
    recipients: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[int] = mapped_column(Integer, nullable=False, default=now)
    reported_at: Mapped[int | None] = mapped_column(Integer)  # the admin got the delivery count
