"""Row ids are UUIDs that sort in creation order (bulk inserts append to the primary-key index)."""
import uuid

from db import models
from db.models import new_id


def test_ids_are_unique_version_7_and_sorted():
    ids = [new_id() for _ in range(20_000)]  # far more than 4,096 per millisecond: the sequence rolls over
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(len(i) == 36 and uuid.UUID(i).version == 7 for i in ids[:100])


def test_ids_keep_order_when_the_clock_steps_back(monkeypatch):
    first = new_id()
    monkeypatch.setattr(models.time, "time_ns", lambda: 1_000_000_000)  # 1970: far behind the last id
    assert new_id() > first


def test_bulk_ids_continue_the_order():
    from db.models import new_ids

    before = new_id()
    bulk = new_ids(10_000)
    after = new_id()
    assert [before, *bulk, after] == sorted([before, *bulk, after]) and len(set(bulk)) == len(bulk)
    assert all(uuid.UUID(i).version == 7 and uuid.UUID(i).variant == uuid.RFC_4122 for i in bulk[:200])
