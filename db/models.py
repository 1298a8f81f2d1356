"""The database schema as SQLAlchemy 2 typed models.

Everything about where a user stands (onboarding step, open session, current
exercise and side, next reminder) lives here, so any bot process can serve any
update and a restart loses nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.states import Awaiting, OnboardingStep, Phase, ScreenStatus, Stage

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite keeps no offsets, and one rule for
    both databases keeps comparisons honest."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def state_column(enum: type[StrEnum], length: int = 16) -> Enum:
    """A flow state stored by its value in a plain VARCHAR (no native enum type to migrate)."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    first_name: Mapped[str] = mapped_column(String(128), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    reminder_time: Mapped[time | None] = mapped_column(Time)
    # Bit i set = weekday i (Mon=0) is a maintenance practice day.
    weekday_mask: Mapped[int] = mapped_column(SmallInteger, default=0b1010101)

    phase: Mapped[Phase] = mapped_column(state_column(Phase), default=Phase.HABIT)
    phase_started_on: Mapped[date | None] = mapped_column(Date)
    checkin_on: Mapped[date | None] = mapped_column(Date)

    # Where onboarding stands; its transitions are the table in bot/flows/onboarding.py.
    onboarding_step: Mapped[OnboardingStep] = mapped_column(
        state_column(OnboardingStep), default=OnboardingStep.WELCOME
    )
    screen_index: Mapped[int] = mapped_column(SmallInteger, default=0)  # first version only
    screen_status: Mapped[ScreenStatus] = mapped_column(
        state_column(ScreenStatus), default=ScreenStatus.PENDING
    )
    # The current round of red-flag questions (keys, in order) and its answers so far.
    screen_round: Mapped[list[str] | None] = mapped_column(JSON)
    # Server defaults as the migrations that added these columns set them (db/migrate.py
    # creates an empty database from these models: the two must agree).
    screen_answers: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict, server_default="{}")
    # What started the current re-check (symptom triggers), for its wording.
    screen_triggers: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    last_recheck_on: Mapped[date | None] = mapped_column(Date)
    # A session whose pain went up: the next reminder asks how it settled.
    pain_rose_on: Mapped[date | None] = mapped_column(Date)
    # The six-week "see a doctor" suggestion is sent once, unprompted.
    six_week_sent_on: Mapped[date | None] = mapped_column(Date)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    screened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Typed input a settings screen is waiting for.
    awaiting: Mapped[Awaiting | None] = mapped_column(state_column(Awaiting))
    # The user's language (en, de, es, ru), from Telegram's language_code at /start.
    locale: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # None until asked: without a band, exercises 5 and 7 are done in their body-weight form.
    has_band: Mapped[bool | None] = mapped_column(Boolean)
    # Chosen hold length (seconds) per exercise whose dose is a range, e.g. {"seated_hip": 45}.
    hold_seconds: Mapped[dict[str, int]] = mapped_column(JSON, default=dict, server_default="{}")

    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    first_pain: Mapped[int | None] = mapped_column(SmallInteger)

    # The one column the reminder dispatcher reads: NULL = no reminder planned.
    next_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # "daily" or "snooze": a snooze may come on a day that already had its reminder.
    next_reminder_kind: Mapped[str] = mapped_column(String(8), default="daily")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    sessions: Mapped[list[PracticeSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def weekdays(self) -> frozenset[int]:
        return frozenset(i for i in range(7) if self.weekday_mask & (1 << i))

    @weekdays.setter
    def weekdays(self, days: frozenset[int] | set[int]) -> None:
        self.weekday_mask = sum(1 << d for d in days)

    @property
    def onboarded(self) -> bool:
        return self.onboarding_step is OnboardingStep.DONE


class PracticeSession(Base):
    """One run through the routine on one local day."""

    __tablename__ = "practice_sessions"
    __table_args__ = (
        Index("ix_practice_sessions_user_day", "user_id", "local_date"),
        # At most one open session per user, enforced by the database.
        Index(
            "uq_practice_sessions_one_open",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'open'"),  # postgresql_where: see _PARTIAL_INDEXES
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pain_before: Mapped[int | None] = mapped_column(SmallInteger)
    pain_after: Mapped[int | None] = mapped_column(SmallInteger)
    # open | completed | incomplete | abandoned
    status: Mapped[str] = mapped_column(String(12), default="open")
    # Where the guided session stands; its transitions are the table in bot/flows/session.py.
    stage: Mapped[Stage] = mapped_column(state_column(Stage), default=Stage.PAIN_BEFORE)
    step: Mapped[int] = mapped_column(SmallInteger, default=0)
    # Set while a hold timer runs; the timer sweep finishes holds whose process went away.
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    user: Mapped[User] = relationship(back_populates="sessions")
    results: Mapped[list[ExerciseResult]] = relationship(
        back_populates="session", cascade="all, delete-orphan", passive_deletes=True
    )


class ExerciseResult(Base):
    __tablename__ = "exercise_results"
    # Its unique key starts with session_id: it serves lookups by session (no second index
    # to update on every step tap).
    __table_args__ = (UniqueConstraint("session_id", "exercise_key", "side"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("practice_sessions.id", ondelete="CASCADE"))
    exercise_key: Mapped[str] = mapped_column(String(32))
    # left | right | both
    side: Mapped[str] = mapped_column(String(8))
    # done | skipped | stopped_pain
    outcome: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[PracticeSession] = relationship(back_populates="results")


class ReminderLog(Base):
    """One row per reminder occurrence; the unique key stops two processes sending it twice."""

    __tablename__ = "reminder_log"
    # Its unique key starts with user_id: it serves lookups by user (no second index to update
    # for each of a claim's 500 rows).
    __table_args__ = (UniqueConstraint("user_id", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    local_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8), default="daily")
    # queued (in the outbox) | sent | late (skipped after downtime) | blocked | failed
    status: Mapped[str] = mapped_column(String(8), default="claimed")
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    # start | snooze30 | snooze60 | skip
    action: Mapped[str | None] = mapped_column(String(12))


class PhaseChange(Base):
    __tablename__ = "phase_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    old_phase: Mapped[str] = mapped_column(String(16))
    new_phase: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
    on_date: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScreeningAnswer(Base):
    """Each red-flag answer with its time: a safety record, kept as given."""

    __tablename__ = "screening_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    question_key: Mapped[str] = mapped_column(String(32))
    tier: Mapped[str] = mapped_column(String(12))
    answer: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Pause(Base):
    """A stretch of days the program was paused: by the user, or by a safety stop."""

    __tablename__ = "pauses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    # user | emergency | doctor_today | doctor_first
    reason: Mapped[str] = mapped_column(String(16))


class InboxUpdate(Base):
    """Every Telegram update, stored before Telegram is told it arrived.

    The unique `update_id` makes a redelivered update a no-op; `done_at` is set in the same
    transaction as the state change the update caused, so an update is handled exactly once
    even across a crash. Rows are pruned a while after they are done.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        Index(
            "ix_inbox_pending",
            "user_key",
            "update_id",
            sqlite_where=text("done_at IS NULL"),  # postgresql_where: see _PARTIAL_INDEXES
        ),
    )

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # Whose updates must be handled in order: the Telegram user id (else the chat id, else 0).
    user_key: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    # Set when the update could not be handled (a bug); the user was told, the row is kept.
    error: Mapped[str | None] = mapped_column(String(200))


class OutboxEffect(Base):
    """What to do in Telegram, stored in the transaction that decided it.

    The sender delivers rows in `id` order per chat after the commit and deletes them once
    Telegram has answered; a row left behind by a crash is claimed again when its lease ends.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_chat", "chat_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    # 0 = a reply to the person's own update, 1 = timers and follow-ups, 2 = the reminder broadcast.
    priority: Mapped[int] = mapped_column(SmallInteger)
    effect: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Until then the process that wrote the row owns it; after that any process may.
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)


class ChatSlot(Base):
    """The message a flow keeps editing (a session's live card), recorded by the sender."""

    __tablename__ = "chat_slots"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    slot: Mapped[str] = mapped_column(String(48), primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger)
    # "text" or "animation": which edit method applies to it.
    kind: Mapped[str] = mapped_column(String(12), default="text")
    media_key: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MediaFile(Base):
    """Telegram's file_id for an uploaded illustration, per bot (file ids belong to a bot)."""

    __tablename__ = "media_files"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    media_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    file_id: Mapped[str] = mapped_column(String(256))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


ALL_USER_TABLES = (ExerciseResult, PracticeSession, ReminderLog, PhaseChange, ScreeningAnswer, Pause, User)


# Partial indexes carry their PostgreSQL WHERE only once PostgreSQL is in use: naming a
# `postgresql_*` option in a model makes SQLAlchemy import its whole PostgreSQL dialect
# (~50 ms) into every SQLite bot at start-up. Nothing reads these at run time; DDL does
# (the migrations spell both forms out; Alembic's env.py and PostgreSQL engines call this).
_PARTIAL_INDEXES = {
    ("practice_sessions", "uq_practice_sessions_one_open"),
    ("inbox", "ix_inbox_pending"),
}


def add_postgresql_options() -> None:
    """Give the partial indexes their `postgresql_where` (the same clause as SQLite's)."""
    for table in Base.metadata.sorted_tables:
        for index in table.indexes:
            if (table.name, index.name) in _PARTIAL_INDEXES:
                options = index.dialect_options["postgresql"]
                if options["where"] is None:
                    options["where"] = index.dialect_options["sqlite"]["where"]
