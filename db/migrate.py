"""Apply Alembic migrations programmatically (the bot does this at start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from db.engine import Database

HERE = Path(__file__).resolve().parent
# PostgreSQL advisory lock key: bot processes starting together migrate one at a time.
MIGRATION_LOCK_KEY = 0x5C0AC4_0001


def alembic_config() -> Config:
    cfg = Config(str(HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    return cfg


async def upgrade(db: Database, revision: str = "head") -> None:
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


async def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with db.engine.connect() as connection:
        return await connection.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
