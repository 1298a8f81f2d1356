import subprocess
import sys

import pytest

from config import ConfigError, load_settings, normalise_database_url
from tests.conftest import TEST_TOKEN


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db.example.com:5432/app", "postgresql+asyncpg://u:p@db.example.com:5432/app"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///x.sqlite3", "sqlite+aiosqlite:///x.sqlite3"),
        ("sqlite+aiosqlite:///x.sqlite3", "sqlite+aiosqlite:///x.sqlite3"),
    ],
)
def test_database_urls_are_rewritten_for_async_drivers(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected
    assert load_settings(database_url=given, bot_token=TEST_TOKEN).database_url == expected


def test_default_database_is_sqlite_in_working_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = load_settings(_env_file=None)
    assert settings.database_url == "sqlite+aiosqlite:///stretch_coach.sqlite3"


@pytest.mark.parametrize("token", ["", "   ", "not-a-token", "123:short", "abc:" + "x" * 35])
def test_bad_token_is_one_clear_error_without_the_token(token: str) -> None:
    settings = load_settings(bot_token=token, _env_file=None)
    with pytest.raises(ConfigError) as info:
        settings.require_token()
    message = str(info.value)
    assert "@BotFather" in message
    if token.strip():
        assert token not in message


def test_valid_token_passes() -> None:
    assert load_settings(bot_token=TEST_TOKEN).require_token() == TEST_TOKEN


def test_bad_values_become_a_config_error() -> None:
    with pytest.raises(ConfigError, match="DEFAULT_TIMEZONE"):
        load_settings(default_timezone="Mars/Olympus")
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        load_settings(log_level="chatty")
    assert load_settings(maintenance_weekdays_default="0, 2,4").maintenance_weekdays_default == [0, 2, 4]


def _run_bot(env: dict[str, str], cwd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot"], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_python_m_bot_without_token_prints_one_line_and_exits(tmp_path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_URL")}
    result = _run_bot(env, str(tmp_path))
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "@BotFather" in lines[0] and "Traceback" not in result.stderr


def test_python_m_bot_with_malformed_token_never_prints_it(tmp_path) -> None:
    import os

    secret = "999:this-is-secret-but-malformed"
    env = {**os.environ, "BOT_TOKEN": secret}
    result = _run_bot(env, str(tmp_path))
    assert result.returncode != 0
    assert secret not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
