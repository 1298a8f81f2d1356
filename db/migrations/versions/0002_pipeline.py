"""the update pipeline (inbox, outbox, chat slots, media files); locale, band and holds per user

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_key", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_inbox")),
    )
    with op.batch_alter_table("inbox") as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_done_at"), ["done_at"], unique=False)
        batch_op.create_index(
            "ix_inbox_pending",
            ["user_key", "update_id"],
            unique=False,
            sqlite_where=sa.text("done_at IS NULL"),
            postgresql_where=sa.text("done_at IS NULL"),
        )

    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("effect", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.create_index("ix_outbox_chat", ["chat_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_lease_until"), ["lease_until"], unique=False)

    op.create_table(
        "chat_slots",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("slot", sa.String(length=48), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("media_key", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "slot", name=op.f("pk_chat_slots")),
    )
    op.create_table(
        "media_files",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("media_key", sa.String(length=64), nullable=False),
        sa.Column("file_id", sa.String(length=256), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "media_key", name=op.f("pk_media_files")),
    )

    with op.batch_alter_table("practice_sessions") as batch_op:
        batch_op.alter_column(
            "stage", existing_type=sa.String(length=12), type_=sa.String(length=16), existing_nullable=False
        )
        batch_op.create_index(batch_op.f("ix_practice_sessions_hold_until"), ["hold_until"], unique=False)
        # The live card's message id now lives in chat_slots, recorded by the sender.
        batch_op.drop_column("message_id")

    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=8), nullable=False, server_default="en"))
        batch_op.add_column(sa.Column("has_band", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("hold_seconds", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("hold_seconds")
        batch_op.drop_column("has_band")
        batch_op.drop_column("locale")
    with op.batch_alter_table("practice_sessions") as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))
        batch_op.drop_index(batch_op.f("ix_practice_sessions_hold_until"))
        batch_op.alter_column(
            "stage", existing_type=sa.String(length=16), type_=sa.String(length=12), existing_nullable=False
        )
    op.drop_table("media_files")
    op.drop_table("chat_slots")
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_lease_until"))
        batch_op.drop_index("ix_outbox_chat")
    op.drop_table("outbox")
    with op.batch_alter_table("inbox") as batch_op:
        batch_op.drop_index("ix_inbox_pending")
        batch_op.drop_index(batch_op.f("ix_inbox_done_at"))
    op.drop_table("inbox")
