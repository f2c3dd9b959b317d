"""Filters that read what the middlewares put in the handler data."""
from aiogram.filters import Filter
from aiogram.types import TelegramObject, User


class IsRegistered(Filter):
    async def __call__(self, event: TelegramObject, partner=None) -> bool:
        return partner is not None


class IsAdmin(Filter):
    """Checked on every admin message and callback, not just on /admin."""

    async def __call__(self, event: TelegramObject, event_from_user: User | None = None,
                       admin_ids: frozenset[int] = frozenset()) -> bool:
        return event_from_user is not None and event_from_user.id in admin_ids
