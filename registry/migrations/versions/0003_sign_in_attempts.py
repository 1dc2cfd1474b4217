"""Failed console sign-ins, counted per account and per address to throttle password guessing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sign_in_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("email_hash", sa.String(length=64), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_attempts")),
    )
    op.create_index(op.f("ix_sign_in_attempts_at"), "sign_in_attempts", ["at"])
    op.create_index(op.f("ix_sign_in_attempts_email_hash"), "sign_in_attempts", ["email_hash"])
    op.create_index(op.f("ix_sign_in_attempts_remote_addr"), "sign_in_attempts", ["remote_addr"])


def downgrade():
    op.drop_table("sign_in_attempts")
