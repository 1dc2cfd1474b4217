"""The current version of each section, kept beside the history, and an index that finds a section's
version as it stood at any seq: reads of the current state no longer scan every version.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "current_sections",
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("section", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["seq"], ["versions.seq"], name=op.f("fk_current_sections_seq_versions")),
        sa.PrimaryKeyConstraint("country", "section", name=op.f("pk_current_sections")),
    )
    op.create_index("ix_versions_country_section_seq", "versions", ["country", "section", "seq"])
    # The sections already published: each one's newest version, read from the history this once.
    op.execute(
        "INSERT INTO current_sections (country, section, seq) "
        "SELECT country, section, max(seq) FROM versions GROUP BY country, section"
    )


def downgrade():
    op.drop_index("ix_versions_country_section_seq", table_name="versions")
    op.drop_table("current_sections")
