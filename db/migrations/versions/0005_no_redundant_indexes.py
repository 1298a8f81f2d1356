"""drop two indexes that a unique key already covers (reminder_log.user_id, exercise_results.session_id)

Each was the first column of its table's unique key, which answers the same lookups; every
insert paid for updating both. Measured: a 500-reminder claim's log insert at 100k users.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminder_log") as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_log_user_id"))
    with op.batch_alter_table("exercise_results") as batch_op:
        batch_op.drop_index(batch_op.f("ix_exercise_results_session_id"))


def downgrade() -> None:
    with op.batch_alter_table("exercise_results") as batch_op:
        batch_op.create_index(batch_op.f("ix_exercise_results_session_id"), ["session_id"], unique=False)
    with op.batch_alter_table("reminder_log") as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_log_user_id"), ["user_id"], unique=False)
