"""The database schema: made by migrations, and every column classified public or private."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from registry.db import db


def test_the_migrations_make_exactly_the_schema_the_models_describe(app):
    with app.app_context(), db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_every_column_is_marked_public_or_private():
    unmarked = [
        f"{table.name}.{column.name}"
        for table in db.metadata.sorted_tables
        for column in table.columns
        if not isinstance(column.info.get("public"), bool)
    ]
    assert unmarked == []


def test_secrets_and_addresses_are_private():
    columns = {f"{table.name}.{column.name}": column for table in db.metadata.sorted_tables for column in table.columns}
    for name in ("accounts.email", "accounts.password_hash", "api_tokens.token_hash", "audit_records.remote_addr", "versions.account_id"):
        assert columns[name].info["public"] is False
