import os
import sqlite3
import subprocess
import sys

from sqlalchemy import inspect

from db.engine import Database
from db.migrate import alembic_config, current_revision, upgrade
from tests.conftest import TEST_TOKEN

EXPECTED_TABLES = {
    "users",
    "practice_sessions",
    "exercise_results",
    "reminder_log",
    "phase_changes",
    "screening_answers",
}


def _head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def test_migrated_database_is_at_head_with_every_table(db: Database) -> None:
    assert await current_revision(db) == _head()
    async with db.engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        indexes = await conn.run_sync(lambda c: inspect(c).get_indexes("users"))
    assert EXPECTED_TABLES <= tables
    assert any(ix["column_names"] == ["next_reminder_at"] for ix in indexes)


async def test_upgrade_is_idempotent(db: Database) -> None:
    await upgrade(db)
    assert await current_revision(db) == _head()


async def test_migrations_up_from_empty_sqlite(tmp_path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}")
    assert await current_revision(db) is None
    await upgrade(db)
    assert await current_revision(db) == _head()
    await db.dispose()


def test_start_up_migrates_before_touching_the_network(tmp_path) -> None:
    """A valid token and an unreachable Bot API: the database exists and is migrated anyway,
    the failure is one line, and the token is never printed."""
    path = tmp_path / "bot.sqlite3"
    env = {
        **os.environ,
        "BOT_TOKEN": TEST_TOKEN,
        "DATABASE_URL": f"sqlite:///{path}",
        "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
        "LOG_LEVEL": "DEBUG",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=90
    )
    assert result.returncode != 0
    assert TEST_TOKEN not in result.stdout + result.stderr
    with sqlite3.connect(path) as conn:
        revision = conn.execute("select version_num from alembic_version").fetchone()[0]
    assert revision == _head()


async def test_migrations_up_from_empty_postgres(postgres_url: str) -> None:
    """A brand-new PostgreSQL database (not the shared test one) migrates to head."""
    import asyncpg

    name = f"stretch_migrate_{os.getpid()}"
    dsn = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
        fresh_url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
        db = Database(fresh_url)
        try:
            assert await current_revision(db) is None
            await upgrade(db)
            assert await current_revision(db) == _head()
            async with db.engine.connect() as conn:
                tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            assert EXPECTED_TABLES <= tables
        finally:
            await db.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
