"""Running one job through the real job runner with a fake marketplace client (tests of the job functions)."""
from __future__ import annotations

from typing import Any

from services import jobs
from services.jobs.runner import JobRunner
from services.jobs.types import JobKind, Outcome
from services.platform import Platform


class PlainVault:
    """Test integrations store no real keys: what is 'encrypted' is kept as it is."""

    def encrypt(self, value: str) -> str:
        return value

    def decrypt(self, value: str | None) -> str:
        return value or ""


class OneClient:
    """A connector factory that gives every integration the same client: the fake marketplace under test."""

    def __init__(self, client: Any):
        self.fake = client

    async def client(self, session, marketplace, credentials, *, account=None):
        return self.fake

    async def base_url(self, session, marketplace) -> str:
        return "http://marketplace.test"


def platform_with(sessionmaker, client: Any) -> Platform:
    return Platform(sessionmaker, PlainVault(), OneClient(client))


def runner_with(sessionmaker, client: Any, **kwargs: Any) -> JobRunner:
    from services import pushes

    return JobRunner(platform_with(sessionmaker, client), jobs.registry(), jobs.global_registry(),
                     due_pushes=pushes.integrations_with_due, **kwargs)


async def run_job(sessionmaker, kind: JobKind, integration_id: str, client: Any, **options: Any) -> Outcome:
    return await runner_with(sessionmaker, client).run(kind, integration_id, **options)
