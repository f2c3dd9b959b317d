"""services/partner_cache.py: the partner of an update without a query, never stale after a change committed by
any session, connection or replica."""
from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

from services.partner_cache import PartnerCache, has_work
from db.models import Partner

REDIS_URL = os.environ.get("REDIS_URL")


@pytest.fixture(params=["memory", "redis"])
async def caches(request, engine):
    """Two caches on one database: two replicas (with Redis), or one process asked twice (without)."""
    if request.param == "memory":
        cache = PartnerCache(engine)
        yield cache, cache
        return
    if not REDIS_URL:
        pytest.skip("needs Redis: set REDIS_URL (.ci/run does)")
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    prefix = f"scx-test-{uuid.uuid4().hex[:8]}"
    yield PartnerCache(engine, redis=redis, prefix=prefix), PartnerCache(engine, redis=redis, prefix=prefix)
    async for key in redis.scan_iter(match=f"{prefix}:*"):
        await redis.delete(key)
    await redis.aclose()


async def _partner(sessionmaker, telegram_id: int = 5001) -> None:
    async with sessionmaker() as session:
        session.add(Partner(telegram_id=telegram_id, name="Dilnoza", language="uz"))
        await session.commit()


async def _settle(*caches: PartnerCache) -> None:
    import asyncio

    for cache in caches:  # the generation bump has reached Redis
        if cache._tasks:
            await asyncio.gather(*cache._tasks)


async def test_a_known_partner_comes_without_a_query_and_changes_like_a_loaded_one(engine, sessionmaker, caches):
    first, _ = caches
    await _partner(sessionmaker)
    await _settle(first)
    statements = []
    sa.event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    async with sessionmaker() as session:
        assert (await first.get(session, 5001)).name == "Dilnoza"
    queried = len(statements)
    async with sessionmaker() as session:
        partner = await first.get(session, 5001)
        assert partner.language == "uz" and len(statements) == queried
        assert not has_work(session)  # nothing read, nothing to commit: the update opens no transaction
        partner.language = "en"  # a handler changes the cached partner: written as for a loaded one
        await session.commit()
    assert any(s.lstrip().upper().startswith("UPDATE PARTNERS") for s in statements)
    async with sessionmaker() as session:
        stored = await session.scalar(sa.select(Partner.language).where(Partner.telegram_id == 5001))
    assert stored == "en"


async def test_every_commit_that_writes_partners_voids_the_cache_everywhere(sessionmaker, caches):
    first, second = caches
    await _partner(sessionmaker)
    await _settle(first, second)
    for cache in caches:  # both replicas have it cached
        async with sessionmaker() as session:
            await cache.get(session, 5001)
    async with sessionmaker() as session:  # an ORM change on the first
        (await first.get(session, 5001)).language = "ru"
        await session.commit()
    await _settle(first, second)
    for cache in caches:
        async with sessionmaker() as session:
            assert (await cache.get(session, 5001)).language == "ru"

    async with sessionmaker() as session:  # a Core UPDATE (the outbox marks a partner unreachable)
        await session.execute(sa.update(Partner).where(Partner.telegram_id == 5001).values(status="unreachable"))
        await session.commit()
    await _settle(first, second)
    for cache in caches:
        async with sessionmaker() as session:
            assert (await cache.get(session, 5001)).status == "unreachable"


async def test_a_rolled_back_change_leaves_the_cache_alone(sessionmaker, caches):
    first, _ = caches
    await _partner(sessionmaker)
    await _settle(first)
    async with sessionmaker() as session:
        await first.get(session, 5001)
    before = first.stats["invalidations"]
    async with sessionmaker() as session:
        (await first.get(session, 5001)).language = "ru"
        await session.flush()
        await session.rollback()
    assert first.stats["invalidations"] == before
    async with sessionmaker() as session:
        assert (await first.get(session, 5001)).language == "uz"


async def test_an_unknown_user_is_looked_up_every_time(sessionmaker, caches):
    first, _ = caches
    async with sessionmaker() as session:
        assert await first.get(session, 777) is None
    await _partner(sessionmaker, 777)  # they register (a commit that inserts)
    await _settle(first)
    async with sessionmaker() as session:
        assert (await first.get(session, 777)).name == "Dilnoza"
