"""Console sessions kept on the server, disabled accounts, token expiry and last use, successful sign-ins.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "console_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_console_sessions_account_id_accounts")),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_console_sessions")),
    )
    op.create_index(op.f("ix_console_sessions_account_id"), "console_sessions", ["account_id"])
    # batch_alter_table, for SQLite: these adds stay plain ALTER TABLE … ADD COLUMN there (a constant
    # server default, no constraint), so accounts, which other tables reference, is not copied.
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("disabled", sa.Boolean(), server_default="0", nullable=False))
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("last_used_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("sign_in_attempts") as batch:
        batch.add_column(sa.Column("succeeded", sa.Boolean(), server_default="0", nullable=False))


def downgrade():
    # A plain ALTER TABLE … DROP COLUMN (SQLite 3.35 or later): batch mode would copy and drop
    # accounts, which other tables' rows reference.
    op.drop_column("sign_in_attempts", "succeeded")
    op.drop_column("api_tokens", "last_used_at")
    op.drop_column("api_tokens", "expires_at")
    op.drop_column("accounts", "disabled")
    op.drop_index(op.f("ix_console_sessions_account_id"), table_name="console_sessions")
    op.drop_table("console_sessions")
