"""Order actions the partner takes from the chat: confirm, ship, cancel (with a reason). Each goes to the marketplace
once — a double tap, on any process, finds the order claimed — and its outcome (the new status, a cancellation's
stock coming back) is recorded by the order poll, which is made due at once."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import CancelReason, Order as MarketOrder, OrderAction
from db.models import Order, Partner, now
from services import audit, integrations
from services.jobs import JobKind, schedule
from services.order_queries import OrderView, allowed
from services.platform import Platform

# An action claimed longer ago than this is taken to have died with its process (a marketplace call takes seconds).
ACTION_CLAIM_SECONDS = 120


class ActionRunning(Exception):
    """An action on this order is already on its way (a double tap)."""


class ActionTooLate(Exception):
    """The order's status no longer allows it."""


@dataclass(frozen=True)
class ActionDone:
    order: MarketOrder  # as the marketplace answered


async def perform(platform: Platform, session: AsyncSession, partner: Partner, view: OrderView, action: OrderAction,
                  reason: CancelReason | None = None) -> ActionDone:
    """Send the action. Raises ActionTooLate, ActionRunning, or the connector's error (NotSupported when the
    marketplace has no such call, otherwise why it refused or failed)."""
    if not allowed(view, action):
        raise ActionTooLate(action)
    if not await _claim(session, view.order.id):
        raise ActionRunning(view.order.id)
    await session.commit()  # the claim is visible to every other update (and process) before the call
    try:
        result = await _send(platform, session, view, action, reason)
    finally:
        await session.execute(update(Order).where(Order.id == view.order.id).values(action_started_at=None))
    # The next poll records the new status (and a cancellation's stock): due now, the runner starts it.
    await schedule.run_now(session, view.integration.id, JobKind.ORDERS)
    audit.record(session, f"order.{action.value}", actor=partner.telegram_id, partner_id=partner.id,
                 object_type="order", object_id=view.order.id, **({"reason": reason.value} if reason else {}))
    return ActionDone(result)


async def _claim(session: AsyncSession, order_id: str) -> bool:
    stamp = now()
    result = await session.execute(update(Order).where(
        Order.id == order_id,
        or_(Order.action_started_at.is_(None), Order.action_started_at < stamp - ACTION_CLAIM_SECONDS))
        .values(action_started_at=stamp))
    return bool(result.rowcount)


async def _send(platform: Platform, session: AsyncSession, view: OrderView, action: OrderAction,
                reason: CancelReason | None) -> MarketOrder:
    client = await integrations.client(platform, session, view.integration)
    try:
        if action == OrderAction.CONFIRM:
            return await client.confirm_order(view.order.external_id)
        if action == OrderAction.SHIP:
            return await client.ship_order(view.order.external_id)
        return await client.cancel_order(view.order.external_id, reason)
    finally:
        await client.aclose()

