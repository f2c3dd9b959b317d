"""Time for the connectors: the real clock, and clocks for tests and benchmarks. Injected everywhere (`clock.now()`,
`await clock.sleep()`), so tests never sleep for real and a sped-up sandbox keeps the published limits' shape."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Unix time in seconds."""

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)



@dataclass
class FakeClock:
    """A clock for tests and the offline demo: `sleep` advances time instantly and is recorded."""

    current: float = 1_800_000_000.0
    sleeps: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.current

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.current += seconds


class ScaledClock:
    """Real time running `speed` times faster, from the moment it is made: benchmarks and end-to-end tests give
    it to both the connectors and the sandbox marketplaces (SandboxState(clock=clock.now)), so the published
    limits keep their shape ("80 per minute" becomes 80 per 60/speed seconds) and runs finish quickly."""

    def __init__(self, speed: float):
        self.speed = speed
        self._start = time.time()

    def now(self) -> float:
        return self._start + (time.time() - self._start) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed)


