"""The audit log: who did what to which object. Never holds secrets."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.models import AuditLog, JsonText, Partner

PAGE_SIZE = 10
# Detail keys never shown, whatever a caller wrote: the log promises no secrets, this keeps a slip from showing one.
HIDDEN_DETAILS = ("key", "token", "secret", "password")


def record(
    session: AsyncSession,
    action: str,
    *,
    actor: int | None = None,
    partner_id: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    **details,
) -> None:
    session.add(
        AuditLog(
            action=action,
            actor_telegram_id=actor,
            partner_id=partner_id,
            object_type=object_type,
            object_id=object_id,
            details=JsonText.dump(details) if details else None,
        )
    )


@dataclass
class Entry:
    entry: AuditLog
    actor_name: str | None  # the acting partner's name, if the actor is one
    partner_name: str | None  # the partner the action concerned

    @property
    def details(self) -> dict[str, str]:
        """The scalar details safe to show (never a key-like field)."""
        data = JsonText.load(self.entry.details, {})
        if not isinstance(data, dict):
            return {}
        return {str(k): str(v) for k, v in data.items()
                if v is not None and not isinstance(v, (dict, list))
                and not any(word in str(k).lower() for word in HIDDEN_DETAILS)}


async def page(session: AsyncSession, number: int, size: int = PAGE_SIZE) -> tuple[list[Entry], int]:
    """One page of the log, newest first, and the number of pages."""
    total = await session.scalar(select(func.count()).select_from(AuditLog)) or 0
    pages = max(1, -(-total // size))
    number = min(max(number, 0), pages - 1)
    actor, subject = aliased(Partner), aliased(Partner)
    rows = await session.execute(
        select(AuditLog, actor.name, subject.name)
        .outerjoin(actor, actor.telegram_id == AuditLog.actor_telegram_id)
        .outerjoin(subject, subject.id == AuditLog.partner_id)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .offset(number * size).limit(size))
    return [Entry(e, a, p) for e, a, p in rows], pages
