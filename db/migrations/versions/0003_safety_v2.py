"""safety v2: three tiers, rounds of questions, the symptom watch; the flare phase

Existing users' stored answers are mapped onto the new questions by
bot.domain.screening.migrate, which never lifts a stop: anyone stopped or paused today
stays so. Users who were clear are asked only the questions they were never asked,
before their next session. A "daily" phase that began with a flare-up becomes "flare".

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.domain.phases import phase_from_legacy
from bot.domain.screening import migrate

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("screen_round", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("screen_answers", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("screen_triggers", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("last_recheck_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("pain_rose_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("six_week_sent_on", sa.Date(), nullable=True))

    bind = op.get_bind()
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("screen_status", sa.String),
        sa.column("screen_round", sa.JSON),
        sa.column("screen_answers", sa.JSON),
        sa.column("phase", sa.String),
        sa.column("next_reminder_at", sa.DateTime),
    )
    answers = sa.table(
        "screening_answers",
        sa.column("id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("question_key", sa.String),
        sa.column("answer", sa.Boolean),
    )
    changes = sa.table(
        "phase_changes",
        sa.column("id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("reason", sa.String),
    )
    latest: dict[int, dict[str, bool]] = {}
    for user_id, key, answer in bind.execute(
        sa.select(answers.c.user_id, answers.c.question_key, answers.c.answer).order_by(answers.c.id)
    ):
        latest.setdefault(user_id, {})[key] = bool(answer)
    last_reason: dict[int, str] = {}
    for user_id, reason in bind.execute(
        sa.select(changes.c.user_id, changes.c.reason).order_by(changes.c.id)
    ):
        last_reason[user_id] = reason
    for user_id, status, phase in bind.execute(sa.select(users.c.id, users.c.screen_status, users.c.phase)):
        moved = migrate(status, latest.get(user_id, {}))
        values: dict[str, object] = {
            "screen_status": moved.status.value,
            "screen_round": list(moved.to_ask),
            "screen_answers": {},
            "phase": phase_from_legacy(phase, last_reason.get(user_id)).value,
        }
        bind.execute(sa.update(users).where(users.c.id == user_id).values(**values))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("six_week_sent_on")
        batch_op.drop_column("pain_rose_on")
        batch_op.drop_column("last_recheck_on")
        batch_op.drop_column("screen_triggers")
        batch_op.drop_column("screen_answers")
        batch_op.drop_column("screen_round")
