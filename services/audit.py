"""The audit log: who did what to which object. Never holds secrets."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditLog, JsonText


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
