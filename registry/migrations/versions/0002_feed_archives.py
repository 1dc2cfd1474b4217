"""Archive documents of the Atom feeds, rendered once and served from the database; indexes
that find the newest publications of a country, a section or a substance for its feed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feed_archives",
        sa.Column("feed", sa.String(length=120), nullable=False),
        sa.Column("page", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("feed", "page", "variant", name=op.f("pk_feed_archives")),
    )
    op.create_index("ix_versions_country_seq", "versions", ["country", "seq"])
    op.create_index("ix_versions_section_seq", "versions", ["section", "seq"])
    op.create_index("ix_version_substances_substance_seq", "version_substances", ["substance", "seq"])


def downgrade():
    op.drop_index("ix_version_substances_substance_seq", table_name="version_substances")
    op.drop_index("ix_versions_section_seq", table_name="versions")
    op.drop_index("ix_versions_country_seq", table_name="versions")
    op.drop_table("feed_archives")
