"""Alembic environment. The connection comes from db.migrate.upgrade() (config.attributes["connection"])."""
from alembic import context

from db.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("Run migrations with `python -m bot migrate` (db.migrate.upgrade)")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite can't ALTER most things in place
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
