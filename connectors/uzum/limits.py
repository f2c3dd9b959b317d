"""Uzum's rate limits: nothing is published (MARKETPLACES.md §1.3), 429 is seen. Everything here is UNCONFIRMED."""
from __future__ import annotations

from connectors.base import Marketplace
from connectors.clock import Clock
from connectors.pacing import GUARD_UNDOCUMENTED_WINDOWS as GUARD, Pace, RateSpec, pacer_for

UZUM_DEFAULT = RateSpec(5, 1.0, burst=5, window=GUARD)  # UNCONFIRMED: a conservative guess, per token
UZUM_LIMITS: dict[str, RateSpec] = {"default": UZUM_DEFAULT}
UZUM_429_PENALTY = 1.0  # UNCONFIRMED: hold the token's limiter at least this long after a 429


def uzum_pace(account: str, name: str = "default", *, clock: Clock | None = None,
              max_wait: float | None = None) -> Pace:
    """Uzum. `account`: `credential_id(token)`. Everything here is UNCONFIRMED (see UZUM_DEFAULT)."""
    lim = pacer_for((Marketplace.UZUM.value, account, name), UZUM_LIMITS.get(name, UZUM_DEFAULT), clock=clock)
    return Pace(lim, min_penalty=UZUM_429_PENALTY, max_wait=max_wait)
