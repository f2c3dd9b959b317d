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


async def test_a_change_to_one_partner_is_seen_at_once_and_the_others_stay_cached(engine, sessionmaker, caches):
    first, second = caches
    await _partner(sessionmaker, 5001)
    await _partner(sessionmaker, 5002)
    await _settle(first, second)
    for cache in caches:
        for telegram_id in (5001, 5002):
            async with sessionmaker() as session:
                await cache.get(session, telegram_id)
    async with sessionmaker() as session:  # the first partner switches language (an UPDATE by primary key)
        (await first.get(session, 5001)).language = "en"
        await session.commit()
    await _settle(first, second)
    statements = []
    sa.event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for cache in caches:
        async with sessionmaker() as session:
            assert (await cache.get(session, 5002)).language == "uz"
    assert statements == []  # the other partner's entry survived the change
    for cache in caches:
        async with sessionmaker() as session:
            assert (await cache.get(session, 5001)).language == "en"


async def test_a_row_read_before_a_change_is_not_kept_as_current(sessionmaker, caches):
    first, second = caches
    await _partner(sessionmaker)
    await _settle(first, second)
    async with sessionmaker() as session:
        await first.get(session, 5001)  # known here, so its change voids only its own entry
    stamp, _ = await second._lookup(5001)  # a replica starts loading the row ...
    async with sessionmaker() as session:
        stale = {key: getattr(await first.get(session, 5001), key) for key in ("id", "telegram_id")}
    async with sessionmaker() as session:  # ... the partner changes their language meanwhile ...
        (await first.get(session, 5001)).language = "ru"
        await session.commit()
    await _settle(first, second)
    async with sessionmaker() as session:
        row = await session.scalar(sa.select(Partner).where(Partner.telegram_id == 5001))
        old = {column.key: getattr(row, column.key) for column in sa.inspect(Partner).column_attrs}
    old.update(stale, language="uz")
    await second._store(5001, stamp, old)  # ... and the replica stores what it read before the change
    for cache in caches:
        async with sessionmaker() as session:
            assert (await cache.get(session, 5001)).language == "ru"


async def test_a_replica_that_never_served_the_partner_still_voids_its_entry_on_the_others(db_url, engine):
    """Replica A writes a partner by primary key it never served (it cannot name the entry): every replica's
    entries are void, so replica B, which has that partner cached, shows the change."""
    if not REDIS_URL:
        pytest.skip("needs Redis: set REDIS_URL (.ci/run does)")
    from redis.asyncio import Redis

    from db.session import create_engine, create_sessionmaker

    other_engine = create_engine(db_url)  # another replica: its own engine, so its own commit events
    redis = Redis.from_url(REDIS_URL)
    prefix = f"scx-test-{uuid.uuid4().hex[:8]}"
    writer, reader = PartnerCache(other_engine, redis=redis, prefix=prefix), PartnerCache(engine, redis=redis,
                                                                                        prefix=prefix)
    try:
        sessionmaker, other_sessionmaker = create_sessionmaker(engine), create_sessionmaker(other_engine)
        await _partner(sessionmaker)
        await _settle(reader)
        async with sessionmaker() as session:
            partner_id = (await reader.get(session, 5001)).id
        async with other_sessionmaker() as session:
            table = Partner.__table__  # a Core UPDATE by primary key, as services.partners.mark_seen writes
            await session.execute(sa.update(table).where(table.c.id == partner_id).values(language="ru"))
            await session.commit()
        await _settle(writer)
        async with sessionmaker() as session:
            assert (await reader.get(session, 5001)).language == "ru"
    finally:
        async for key in redis.scan_iter(match=f"{prefix}:*"):
            await redis.delete(key)
        await redis.aclose()
        await other_engine.dispose()


async def test_a_partner_who_saves_a_setting_is_served_their_saved_row_next_time(engine, sessionmaker, caches):
    first, second = caches
    await _partner(sessionmaker)
    await _settle(first, second)
    async with sessionmaker() as session:
        await first.get(session, 5001)
    async with sessionmaker() as session:  # the low-stock step: one UPDATE from the partner object
        (await first.get(session, 5001)).notification_prefs = '{"low_stock": 7}'
        await session.commit()
    await _settle(first, second)
    async with sessionmaker() as session:
        stored = await session.scalar(sa.select(Partner).where(Partner.telegram_id == 5001))
        expected = {column.key: getattr(stored, column.key) for column in sa.inspect(Partner).column_attrs}
    statements = []
    sa.event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for cache in caches:
        async with sessionmaker() as session:
            served = await cache.get(session, 5001)
            assert {key: getattr(served, key) for key in expected} == expected
    assert statements == []  # what they just saved came from the cache, as committed

    async with sessionmaker() as session:  # a Core write by id in the same transaction: the object is not the row
        partner = await first.get(session, 5001)
        partner.language = "ru"
        await session.flush()
        await session.execute(sa.update(Partner.__table__).where(Partner.__table__.c.id == partner.id)
                              .values(status="unreachable"))
        await session.commit()
    await _settle(first, second)
    for cache in caches:
        async with sessionmaker() as session:
            served = await cache.get(session, 5001)
            assert (served.language, served.status) == ("ru", "unreachable")


async def test_two_overlapping_changes_to_one_partner_are_both_seen(sessionmaker, caches):
    first, second = caches
    await _partner(sessionmaker)
    await _settle(first, second)
    async with sessionmaker() as session:
        await first.get(session, 5001)
    async with sessionmaker() as slow:  # one update has the partner ...
        partner = await first.get(slow, 5001)
        async with sessionmaker() as quick:  # ... another changes their language and commits first
            (await second.get(quick, 5001)).language = "ru"
            await quick.commit()
        await _settle(first, second)
        partner.notification_prefs = '{"low_stock": 9}'  # the first one's object never saw the new language
        await slow.commit()
    await _settle(first, second)
    for cache in caches:
        async with sessionmaker() as session:
            served = await cache.get(session, 5001)
            assert (served.language, served.notification_prefs) == ("ru", '{"low_stock": 9}')
