"""The migrations build exactly the schema the models describe (a model change without its migration fails here)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from db.models import Base


async def test_migrated_schema_matches_the_models(engine):
    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        changes = await connection.run_sync(diff)
    assert changes == []
