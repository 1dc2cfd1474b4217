"""A publication is all or nothing: a failure at any step leaves no trace and no gap."""
import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from registry.db import db
from registry.models import AuditRecord, Version, VersionSubstance

from .helpers import factories
from .helpers.api import put


class InjectedFault(RuntimeError):
    """The failure a test injects into the publishing path."""


def fail_after_flush_holding(model):
    def listener(session, _context):
        if any(isinstance(item, model) for item in session.new) or any(
            isinstance(item, model) for item in session.identity_map.values()
        ):
            raise InjectedFault(f"after the {model.__name__} row")
    return "after_flush", listener


def fail_before_commit():
    def listener(session):
        if any(isinstance(item, Version) for item in session.identity_map.values()):
            raise InjectedFault("before commit")
    return "before_commit", listener


def fail_after_version_row(monkeypatch):
    """Stop between adding the version row and writing the audit record."""
    from registry import publishing

    real = publishing._audit

    def audit(actor, action, *args, **kwargs):
        if action in ("publish", "withdraw"):
            raise InjectedFault("after the version row")
        return real(actor, action, *args, **kwargs)

    monkeypatch.setattr(publishing, "_audit", audit)


@pytest.mark.parametrize("step", ["after the version row", "after the audit record", "before commit"])
def test_a_failure_at_any_step_of_publishing_leaves_no_partial_publication(app, client, authority, runner, monkeypatch, step):
    headers = authority("FR")
    put(client, headers, "FR", "requirements", factories.requirements(), first=True)

    if step == "after the version row":
        fail_after_version_row(monkeypatch)
        listeners = []
    else:
        listeners = [fail_after_flush_holding(AuditRecord) if step == "after the audit record" else fail_before_commit()]
    for name, listener in listeners:
        event.listen(Session, name, listener)
    try:
        failed = put(client, headers, "FR", "import-bans", factories.import_bans(), first=True)
    finally:
        for name, listener in listeners:
            event.remove(Session, name, listener)
        monkeypatch.undo()
    assert failed.status_code == 500
    assert failed.json["code"] == 500

    with app.app_context():
        assert db.session.query(Version).count() == 1
        assert db.session.query(VersionSubstance).filter_by(seq=2).count() == 0
        assert db.session.query(AuditRecord).filter_by(outcome="ok").count() == 1

    again = put(client, headers, "FR", "import-bans", factories.import_bans(), first=True)
    assert again.status_code == 201
    assert again.json["meta"]["seq"] == 2  # no gap in seq
    assert runner.invoke(args=["verify"]).exit_code == 0
