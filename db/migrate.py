"""Apply Alembic migrations programmatically (the bot does this at start-up).

Alembic is imported only when there is something to migrate: a database already at
`HEAD` (every restart) is recognised with one query, which saves Alembic's import and its
script-directory scan (~0.15 s of the bot's start-up); an empty one is created from the
models and stamped (`create_if_empty`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from db.engine import Database

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

HERE = Path(__file__).resolve().parent
# PostgreSQL advisory lock key: bot processes starting together migrate one at a time.
MIGRATION_LOCK_KEY = 0x5C0AC4_0001
# The newest revision in db/migrations/versions (tests/test_migrations.py checks they agree).
HEAD = "0005"


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config(str(HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    return cfg


async def upgrade(db: Database, revision: str = "head") -> None:
    from alembic import command

    cfg = alembic_config()

    def _upgrade(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            # Held until the commit below; Alembic then runs inside this same transaction.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with db.engine.connect() as connection:
        await connection.run_sync(_upgrade)
        await connection.commit()


async def create_if_empty(db: Database) -> bool:
    """An empty database gets the head schema from the models in one transaction, stamped
    with `HEAD`, without Alembic (Alembic's "create_all, then stamp" for a fresh database;
    its import and the five migrations' SQLite table rebuilds took ~0.25 s of a first
    start). False, touching nothing, if any table exists: then `upgrade` decides.
    tests/test_migrations.py checks the result is the schema the migrations build."""
    from sqlalchemy import MetaData, String, Table, inspect
    from sqlalchemy.schema import Column, PrimaryKeyConstraint

    from db.models import Base, add_postgresql_options

    if db.is_postgres:
        add_postgresql_options()
    version = Table(
        "alembic_version",
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    )

    def _create(connection: Connection) -> bool:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
        if inspect(connection).get_table_names():
            return False
        Base.metadata.create_all(connection)
        version.create(connection)
        connection.execute(version.insert().values(version_num=HEAD))
        return True

    async with db.engine.begin() as connection:
        return await connection.run_sync(_create)


async def stored_revision(db: Database) -> str | None:
    """The revision recorded in `alembic_version`, in one query; None for an empty database.

    Connecting errors propagate; a missing table (or several heads, which this project never
    has) reads as "not known", and the caller then lets Alembic decide.
    """
    async with db.engine.connect() as connection:
        try:
            rows = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
        except DBAPIError:
            await connection.rollback()
            return None
    return str(rows[0][0]) if len(rows) == 1 else None


async def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with db.engine.connect() as connection:
        return await connection.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
