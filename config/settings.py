"""Runtime configuration from the environment (and an optional `.env`).

Everything an operator can tune lives here, so the rest of the code never reads
`os.environ` directly.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TOKEN_PATTERN = re.compile(r"^\d{5,16}:[A-Za-z0-9_-]{30,60}$")
BOTFATHER_HINT = (
    "Open Telegram, talk to @BotFather, send /newbot, and put the token it gives you "
    "in the BOT_TOKEN environment variable (or in a .env file)."
)


class ConfigError(Exception):
    """A configuration problem worth one clear line to the operator, never a traceback."""


def normalise_database_url(url: str) -> str:
    """Turn the URL forms operators paste (Heroku's `postgres://`, plain `sqlite://`)
    into the async driver form SQLAlchemy needs."""
    url = url.strip()
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr = SecretStr("")
    database_url: str = "sqlite+aiosqlite:///stretch_coach.sqlite3"
    default_timezone: str = "UTC"
    log_level: str = "INFO"
    # text: one readable line per event; json: one JSON object per line (for log collectors).
    log_format: Literal["text", "json"] = "text"
    # Optional error reporting (sentry-sdk, imported only when set); token and user text scrubbed.
    sentry_dsn: SecretStr = SecretStr("")
    sentry_environment: str = ""

    # Where PTB talks to the Bot API; tests and the demo point it at the local emulator.
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_base_file_url: str = "https://api.telegram.org/file/bot"

    # Reminders
    dispatch_interval_seconds: float = Field(30.0, gt=0)
    dispatch_batch_size: int = Field(500, ge=1)
    reminder_grace_minutes: int = Field(120, ge=0)
    send_rate_per_second: float = Field(25.0, gt=0)

    # Guided session: multiply hold timers (0.1 = ten times faster; demo and tests).
    timer_scale: float = Field(1.0, gt=0)
    # Shift the bot's clock (seconds); lets end-to-end tests reach a reminder without waiting hours.
    clock_offset_seconds: float = 0.0

    # Webhook mode
    webhook_url: str = ""
    webhook_secret: SecretStr = SecretStr("")
    # Where the HTTP server listens: the webhook (8080 when unset) with /healthz, /readyz and
    # /metrics; in polling mode only when set, for health and metrics alone.
    port: int | None = Field(None, ge=0, le=65535)
    listen: str = "0.0.0.0"

    # A second process polling with the same token: one that meets Telegram's 409 Conflict
    # within this many seconds of starting to poll takes itself for the newcomer and exits.
    poll_conflict_window_seconds: float = Field(30.0, ge=0)

    concurrent_updates: int = Field(8, ge=1)

    maintenance_weekdays_default: Annotated[list[int], NoDecode] = [0, 2, 4, 6]

    @field_validator("maintenance_weekdays_default", mode="before")
    @classmethod
    def _weekdays(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        return value

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("port", mode="before")
    @classmethod
    def _port(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"DEFAULT_TIMEZONE {value!r} is not an IANA time zone") from exc
        return value

    @cached_property
    def token(self) -> str:
        return self.bot_token.get_secret_value()

    def require_token(self) -> str:
        """The token, or a ConfigError whose message never contains the token itself."""
        token = self.token.strip()
        if not token:
            raise ConfigError(f"BOT_TOKEN is not set. {BOTFATHER_HINT}")
        if not TOKEN_PATTERN.match(token):
            raise ConfigError(
                "BOT_TOKEN does not look like a Telegram bot token "
                f"(expected digits, a colon, then 30-60 letters). {BOTFATHER_HINT}"
            )
        return token

    @property
    def webhook_port(self) -> int:
        return 8080 if self.port is None else self.port

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning validation failures into one readable ConfigError."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper() or 'config'}: {err['msg']}"
            for err in exc.errors(include_input=False)
        )
        raise ConfigError(f"Configuration error: {problems}") from None
