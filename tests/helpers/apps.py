"""Applications on test databases, and what this machine may lack.

Tests that need something this machine may lack (PostgreSQL, Chromium) skip without
it, unless REGISTRY_REQUIRE_ALL=1 (set by .ci/run) turns the skip into a failure.
"""
import os

import pytest

from registry import create_app

REQUIRE_ALL = os.environ.get("REGISTRY_REQUIRE_ALL") == "1"
RUN_SLOW = os.environ.get("REGISTRY_RUN_SLOW") == "1" or REQUIRE_ALL
POSTGRES_URL = os.environ.get("REGISTRY_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def need(reason: str):
    """Skip for a missing facility, or fail when CI requires everything to run."""
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (REGISTRY_REQUIRE_ALL=1 forbids skipping)")
    pytest.skip(reason)


def make_app(database_url: str, **settings):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret", **settings})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return app
