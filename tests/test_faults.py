"""PostgreSQL connections dying mid-request: the request fails cleanly, the next ones work."""
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from registry.db import dispose_engines
from registry.db import db
from registry.models import Version

from .helpers import factories
from .helpers.api import put
from .helpers.apps import POSTGRES_URL, make_app


def test_a_connection_killed_mid_publication_fails_cleanly_and_the_next_request_succeeds(postgres):
    app = make_app(postgres.new())
    client = app.test_client()
    headers = factories.AuthorityFactory(app)("FR")
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    killed = []

    def kill_own_backend(session, _context):
        if killed or not any(isinstance(item, Version) for item in [*session.new, *session.identity_map.values()]):
            return
        pid = session.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as connection:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        killed.append(pid)

    event.listen(Session, "after_flush", kill_own_backend)
    try:
        failed = put(client, headers, "FR", "requirements", factories.requirements(), first=True)
    finally:
        event.remove(Session, "after_flush", kill_own_backend)
        admin.dispose()

    assert killed, "the fault was not injected"
    assert failed.status_code == 503
    assert failed.json["message"].startswith("The database is unavailable")
    assert failed.headers["Retry-After"] == "5"

    assert client.get("/api/v1/countries/FR/requirements").status_code == 404  # nothing partial
    again = put(client, headers, "FR", "requirements", factories.requirements(), first=True)
    assert again.status_code == 201
    assert again.json["meta"]["seq"] == 1
    with app.app_context():
        assert db.session.query(Version).count() == 1
    dispose_engines(app)
