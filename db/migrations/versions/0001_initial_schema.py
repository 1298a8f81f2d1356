"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 22:29:13.343077
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("first_name", sa.String(length=128), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("reminder_time", sa.Time(), nullable=True),
        sa.Column("weekday_mask", sa.SmallInteger(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("phase_started_on", sa.Date(), nullable=True),
        sa.Column("checkin_on", sa.Date(), nullable=True),
        sa.Column("onboarding_step", sa.String(length=16), nullable=False),
        sa.Column("screen_index", sa.SmallInteger(), nullable=False),
        sa.Column("screen_status", sa.String(length=16), nullable=False),
        sa.Column("consent_at", sa.DateTime(), nullable=True),
        sa.Column("screened_at", sa.DateTime(), nullable=True),
        sa.Column("cleared_at", sa.DateTime(), nullable=True),
        sa.Column("awaiting", sa.String(length=16), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("first_pain", sa.SmallInteger(), nullable=True),
        sa.Column("next_reminder_at", sa.DateTime(), nullable=True),
        sa.Column("next_reminder_kind", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_users_telegram_id")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_next_reminder_at"), ["next_reminder_at"], unique=False)

    op.create_table(
        "phase_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("old_phase", sa.String(length=16), nullable=False),
        sa.Column("new_phase", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_phase_changes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phase_changes")),
    )
    with op.batch_alter_table("phase_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phase_changes_user_id"), ["user_id"], unique=False)

    op.create_table(
        "practice_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("pain_before", sa.SmallInteger(), nullable=True),
        sa.Column("pain_after", sa.SmallInteger(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("step", sa.SmallInteger(), nullable=False),
        sa.Column("hold_until", sa.DateTime(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_practice_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_sessions")),
    )
    with op.batch_alter_table("practice_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_practice_sessions_user_day", ["user_id", "local_date"], unique=False)
        batch_op.create_index(
            "uq_practice_sessions_one_open",
            ["user_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "reminder_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=12), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_reminder_log_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_log")),
        sa.UniqueConstraint("user_id", "due_at", name=op.f("uq_reminder_log_user_id")),
    )
    with op.batch_alter_table("reminder_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_log_user_id"), ["user_id"], unique=False)

    op.create_table(
        "screening_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=32), nullable=False),
        sa.Column("tier", sa.String(length=12), nullable=False),
        sa.Column("answer", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_screening_answers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_answers")),
    )
    with op.batch_alter_table("screening_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_screening_answers_user_id"), ["user_id"], unique=False)

    op.create_table(
        "exercise_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("exercise_key", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["practice_sessions.id"],
            name=op.f("fk_exercise_results_session_id_practice_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exercise_results")),
        sa.UniqueConstraint(
            "session_id", "exercise_key", "side", name=op.f("uq_exercise_results_session_id")
        ),
    )
    with op.batch_alter_table("exercise_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exercise_results_session_id"), ["session_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("exercise_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exercise_results_session_id"))

    op.drop_table("exercise_results")
    with op.batch_alter_table("screening_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_answers_user_id"))

    op.drop_table("screening_answers")
    with op.batch_alter_table("reminder_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_log_user_id"))

    op.drop_table("reminder_log")
    with op.batch_alter_table("practice_sessions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_practice_sessions_one_open",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
        batch_op.drop_index("ix_practice_sessions_user_day")

    op.drop_table("practice_sessions")
    with op.batch_alter_table("phase_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phase_changes_user_id"))

    op.drop_table("phase_changes")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_next_reminder_at"))

    op.drop_table("users")
