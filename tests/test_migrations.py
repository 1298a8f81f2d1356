import os
import sqlite3
import subprocess
import sys

from sqlalchemy import inspect

from db.engine import Database
from db.migrate import HEAD, alembic_config, create_if_empty, current_revision, stored_revision, upgrade
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


def test_head_constant_names_the_newest_migration() -> None:
    """Start-up trusts db.migrate.HEAD to skip Alembic on a database already at head."""
    assert HEAD == _head()


async def test_stored_revision_reads_the_head_and_an_empty_database(db: Database, tmp_path) -> None:
    assert await stored_revision(db) == HEAD
    empty = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}")
    try:
        assert await stored_revision(empty) is None
    finally:
        await empty.dispose()


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


async def test_safety_v2_maps_stored_answers_and_keeps_everyone_paused_paused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Users screened by the first version: clear ones are asked only the new questions before
    their next session; paused and stopped ones stay so; a flare-up's "daily" becomes "flare"."""
    from datetime import UTC, date, datetime

    from sqlalchemy import text

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'v1.sqlite3'}")
    await upgrade(db, "0002")
    now = datetime(2026, 11, 1, tzinfo=UTC).replace(tzinfo=None)
    old_answers = {
        "saddle_numbness": False,
        "bladder_bowel": False,
        "both_legs": False,
        "leg_weakness": False,
        "fever": False,
        "cancer": False,
        "weight_loss": False,
        "injury": False,
        "night_pain": True,  # paused people in v1; means nothing now
    }
    users = {1: "clear", 2: "see_doctor", 3: "emergency", 4: "rescreen"}
    async with db.engine.begin() as conn:
        for uid, status in users.items():
            await conn.execute(
                text(
                    "INSERT INTO users (id, telegram_id, chat_id, first_name, timezone, weekday_mask, phase, "
                    "onboarding_step, screen_index, screen_status, paused, blocked, next_reminder_kind, "
                    "created_at, updated_at, locale, hold_seconds) VALUES (:id, :tg, :tg, 'x', 'UTC', 85, "
                    ":phase, 'done', 0, :status, false, false, 'daily', :now, :now, 'en', '{}')"
                ),
                {
                    "id": uid,
                    "tg": 1000 + uid,
                    "status": status,
                    "now": now,
                    "phase": "daily" if uid == 1 else "habit",
                },
            )
            for key, answer in old_answers.items():
                await conn.execute(
                    text(
                        "INSERT INTO screening_answers (user_id, question_key, tier, answer, at) "
                        "VALUES (:u, :k, 'emergency', :a, :now)"
                    ),
                    {
                        "u": uid,
                        "k": key,
                        "a": answer if uid != 3 or key != "bladder_bowel" else True,
                        "now": now,
                    },
                )
        await conn.execute(
            text(
                "INSERT INTO phase_changes (user_id, old_phase, new_phase, reason, on_date, at) "
                "VALUES (1, 'maintenance', 'daily', 'flare_up', :d, :now)"
            ),
            {"d": date(2026, 10, 30), "now": now},
        )
    await upgrade(db)
    async with db.engine.connect() as conn:
        rows = {
            uid: (status, json_round, phase)
            for uid, status, json_round, phase in await conn.execute(
                text("SELECT id, screen_status, screen_round, phase FROM users")
            )
        }
    await db.dispose()
    import json

    new_questions = {"bowel", "sexual_function", "immune", "osteoporosis", "age_onset", "constant_pain"}
    assert rows[1][0] == "pending" and set(json.loads(rows[1][1])) >= new_questions
    assert rows[1][2] == "flare"  # daily after a flare-up
    assert rows[2][0] == "doctor_first"  # paused stays paused
    assert rows[3][0] == "emergency"  # stopped stays stopped
    assert rows[4][0] == "pending" and rows[4][2] == "habit"


async def test_the_migrated_schema_is_what_the_models_declare(db: Database) -> None:
    """Tables, columns and indexes: a model change without its migration (or the reverse)
    shows here, on SQLite and on PostgreSQL."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from db.models import Base, add_postgresql_options

    if db.is_postgres:
        add_postgresql_options()

    def diff(conn) -> list:  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        return compare_metadata(context, Base.metadata)

    async with db.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    structural = [
        change
        for change in changes
        if isinstance(change, tuple) and change[0] in {"add_table", "remove_table", "add_column",
                                                        "remove_column", "add_index", "remove_index"}
    ]
    assert structural == []


def _schema(conn) -> dict:  # type: ignore[no-untyped-def]
    """Everything the inspector reports of each table: columns with type, nullability and
    server default, primary key, foreign keys, indexes (a partial one with its WHERE), and
    unique constraints."""

    def options(index: dict) -> dict[str, str]:  # type: ignore[type-arg]
        return {key: str(value) for key, value in (index.get("dialect_options") or {}).items()}

    found = inspect(conn)
    schema = {}
    for table in sorted(found.get_table_names()):
        pk = found.get_pk_constraint(table)
        columns = [
            (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
            for c in found.get_columns(table)
        ]
        keys = [
            (k.get("name") or "", k["constrained_columns"], k["referred_table"], k["referred_columns"])
            for k in found.get_foreign_keys(table)
        ]
        indexes = [
            (ix["name"] or "", ix["column_names"], ix["unique"], options(ix))
            for ix in found.get_indexes(table)
        ]
        unique = [(u.get("name") or "", u["column_names"]) for u in found.get_unique_constraints(table)]
        schema[table] = {
            "columns": sorted(columns),  # by name: a column a migration added comes last, as it should
            "primary key": (pk.get("name"), pk["constrained_columns"]),
            "foreign keys": sorted(keys),
            "indexes": sorted(indexes),
            "unique": sorted(unique),
        }
    return schema


async def _created_and_migrated(created: Database, migrated: Database) -> None:
    assert await create_if_empty(created) is True
    assert await create_if_empty(created) is False  # not empty any more: left alone
    assert await current_revision(created) == _head()
    await upgrade(created)  # Alembic agrees it is at head: nothing to do
    assert await current_revision(created) == _head()
    await upgrade(migrated)
    async with created.engine.connect() as a, migrated.engine.connect() as b:
        fast, slow = await a.run_sync(_schema), await b.run_sync(_schema)
    assert set(fast) == set(slow) and EXPECTED_TABLES <= set(fast)
    for table in slow:
        assert fast[table] == slow[table], table
    assert await create_if_empty(migrated) is False


async def test_an_empty_sqlite_database_is_created_as_the_migrations_build_it(tmp_path) -> None:
    created = Database(f"sqlite+aiosqlite:///{tmp_path / 'created.sqlite3'}")
    migrated = Database(f"sqlite+aiosqlite:///{tmp_path / 'migrated.sqlite3'}")
    try:
        await _created_and_migrated(created, migrated)
    finally:
        await created.dispose()
        await migrated.dispose()


async def test_an_empty_postgres_database_is_created_as_the_migrations_build_it(postgres_url: str) -> None:
    import asyncpg

    names = [f"stretch_created_{os.getpid()}", f"stretch_migrated_{os.getpid()}"]
    dsn = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(dsn)
    try:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await admin.execute(f'CREATE DATABASE "{name}"')
        created, migrated = (Database(postgres_url.rsplit("/", 1)[0] + f"/{name}") for name in names)
        try:
            await _created_and_migrated(created, migrated)
        finally:
            await created.dispose()
            await migrated.dispose()
    finally:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
