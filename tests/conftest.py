"""Shared fixtures: a migrated database per test (SQLite by default, PostgreSQL when
TEST_DATABASE_URL points at one), and the bot wired to the in-process Bot API emulator."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from config import normalise_database_url
from db.engine import Database
from db.migrate import upgrade

TEST_TOKEN = "123456789:TESTtokenTESTtokenTESTtokenTESTtoken1"
PG_ENV = "TEST_DATABASE_URL"


def pg_url() -> str | None:
    url = os.environ.get(PG_ENV, "").strip()
    return normalise_database_url(url) if url.startswith("postgres") else None


_pg_state: dict[str, object] = {}


def _prepare_pg(url: str) -> str | None:
    """Reset and migrate the PostgreSQL test database once per run; the reason if unusable."""
    if "ready" in _pg_state:
        return _pg_state.get("error")  # type: ignore[return-value]

    async def reset() -> None:
        from sqlalchemy import text

        db = Database(url)
        try:
            async with db.engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
            await upgrade(db)
        finally:
            await db.dispose()

    try:
        asyncio.run(reset())
        _pg_state["error"] = None
    except Exception as exc:  # unreachable server, bad credentials...
        _pg_state["error"] = f"PostgreSQL at {PG_ENV} is not usable: {type(exc).__name__}: {exc}"
    _pg_state["ready"] = True
    return _pg_state["error"]  # type: ignore[return-value]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once, copy per test: every test gets a fresh, fully migrated file."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"

    async def make() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await upgrade(db)
        await db.dispose()

    asyncio.run(make())
    return path


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    url = pg_url()
    if url is not None:
        error = _prepare_pg(url)
        if error:
            pytest.skip(error)
        return url
    target = tmp_path / "test.sqlite3"
    shutil.copy(sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    if database.is_postgres:
        from sqlalchemy import text

        from db.models import Base

        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        async with database.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield database
    await database.dispose()


@pytest.fixture
def postgres_url() -> str:
    """For PostgreSQL-only tests (concurrency across processes, killed connections)."""
    url = pg_url()
    if url is None:
        pytest.skip(f"PostgreSQL-only test: set {PG_ENV}=postgresql://... to run it")
    error = _prepare_pg(url)
    if error:
        pytest.skip(error)
    return url


async def admin_sql(postgres_url: str, *statements: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture
def scratch_url(postgres_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty PostgreSQL database of the test's own, on the test server: bot processes
    migrate it as they start, and nothing else (other tests, other runs) touches its rows."""
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url)
    test = "".join(c if c.isalnum() else "_" for c in request.node.name[5:24])
    variant = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:6]  # parametrized tests differ
    name = f"{url.database}_{test}_{variant}_{os.getpid()}".lower()
    asyncio.run(admin_sql(postgres_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin_sql(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
