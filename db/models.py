"""The database schema as SQLAlchemy 2 typed models.

Everything about where a user stands (onboarding step, open session, current
exercise and side, next reminder) lives here, so any bot process can serve any
update and a restart loses nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Time,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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

    phase: Mapped[str] = mapped_column(String(16), default="habit")
    phase_started_on: Mapped[date | None] = mapped_column(Date)
    checkin_on: Mapped[date | None] = mapped_column(Date)

    # welcome -> disclaimer -> screen -> timezone -> reminder_time -> first -> done
    onboarding_step: Mapped[str] = mapped_column(String(16), default="welcome")
    screen_index: Mapped[int] = mapped_column(SmallInteger, default=0)
    # pending | clear | emergency | see_doctor | rescreen
    screen_status: Mapped[str] = mapped_column(String(16), default="pending")
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    screened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Typed input a settings screen is waiting for: "timezone" | "time" | None.
    awaiting: Mapped[str | None] = mapped_column(String(16))

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
        return self.onboarding_step == "done"


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
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
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
    # pain_before | exercise | holding | hurt | pain_after | rescreen
    stage: Mapped[str] = mapped_column(String(12), default="pain_before")
    step: Mapped[int] = mapped_column(SmallInteger, default=0)
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The message the session edits in place, so a finished step stays readable above.
    message_id: Mapped[int | None] = mapped_column(BigInteger)

    user: Mapped[User] = relationship(back_populates="sessions")
    results: Mapped[list[ExerciseResult]] = relationship(
        back_populates="session", cascade="all, delete-orphan", passive_deletes=True
    )


class ExerciseResult(Base):
    __tablename__ = "exercise_results"
    __table_args__ = (UniqueConstraint("session_id", "exercise_key", "side"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("practice_sessions.id", ondelete="CASCADE"), index=True
    )
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
    __table_args__ = (UniqueConstraint("user_id", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    local_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8), default="daily")
    # claimed | sent | late | blocked
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


ALL_USER_TABLES = (ExerciseResult, PracticeSession, ReminderLog, PhaseChange, ScreeningAnswer, User)
