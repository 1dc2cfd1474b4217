"""The registry's start, stored once: the `updated` date of a feed that has no entry yet.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STARTED_AT = "started_at"


def upgrade():
    # A registry that already holds versions started with its first one; a new one starts now.
    versions = sa.table("versions", sa.column("published_at", sa.DateTime()))
    first = op.get_bind().execute(sa.select(sa.func.min(versions.c.published_at))).scalar()
    started = first or datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    settings = sa.table("settings", sa.column("key", sa.String()), sa.column("value", sa.Text()))
    op.bulk_insert(settings, [{"key": STARTED_AT, "value": started.strftime("%Y-%m-%dT%H:%M:%SZ")}])


def downgrade():
    settings = sa.table("settings", sa.column("key", sa.String()))
    op.execute(settings.delete().where(settings.c.key == STARTED_AT))
