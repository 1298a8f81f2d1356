"""Apply Alembic migrations programmatically (the bot does this at start-up).

Alembic is imported only when there is something to migrate: a database already at
`HEAD` (every restart) is recognised with one query, which saves Alembic's import and its
script-directory scan (~0.15 s of the bot's start-up).
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
