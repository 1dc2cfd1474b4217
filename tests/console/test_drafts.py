"""Drafts and a second pair of eyes in the console: saving without publishing, the draft's differences and what was
published since it began, submitting where approval is required, approving (never one's own) and returning."""
import json
import re

import pytest

from werkzeug.datastructures import MultiDict

from registry import history, publishing
from registry.console import forms
from registry.db import db
from registry.models import Draft, Version
from registry.workflow import drafts

from ..helpers import factories
from ..helpers.api import publish
from ..helpers.console import csrf, editor_post, form_of, hidden, sign_in


def text(response) -> str:
    """A page as read: tags dropped, entities kept as written by the templates, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).replace("&#39;", "'").split())


def post(client, path: str, **fields):
    """Post a console form from the page it is on, with that page's CSRF token."""
    return client.post(path, data={"csrf_token": csrf(client.get("/console/account")), **fields})


def switch_approval(client, country: str, required: bool):
    return post(client, f"/console/{country}/approval", required="yes" if required else "no")


@pytest.fixture
def france(app, client, officer):
    """Two officers of France and its administrator (e-mail addresses)."""
    return {"officer": officer("FR"), "colleague": officer("FR"), "chief": officer("FR", admin=True)}


def test_a_saved_draft_is_kept_unpublished_and_reopened_with_who_saved_it(app, client, france):
    sign_in(client, france["officer"])
    unfinished = {"effective_from": "2026-03-01", "max_supply_days": 45}  # not valid yet: kept anyway
    saved = editor_post(client, "FR", "requirements", unfinished, action="save-draft")
    assert saved.status_code == 302 and saved.headers["Location"] == "/console/FR/requirements"

    with app.app_context():
        assert db.session.query(Version).count() == 0
        assert drafts.document(drafts.find("FR", "requirements"))["max_supply_days"] == 45
    assert client.get("/api/v1/countries/FR/requirements").status_code == 404
    editor = client.get("/console/FR/requirements")
    assert f"This is the draft saved by {france['officer']}" in text(editor)
    assert 'value="45"' in editor.get_data(as_text=True)
    assert "Continue the draft" in text(client.get("/console/FR/"))

    discarded = post(client, "/console/FR/requirements/draft/discard")
    assert discarded.headers["Location"] == "/console/FR/"
    with app.app_context():
        assert drafts.find("FR", "requirements") is None


def test_the_editor_shows_what_the_draft_changes_and_warns_of_what_was_published_since(app, client, france, authority):
    api = authority("FR")
    publish(client, api, "FR", "requirements", factories.requirements())
    sign_in(client, france["officer"])
    editor_post(client, "FR", "requirements", factories.requirements(max_supply_days=60), action="save-draft")
    assert "Maximum supply (days) changed from 30 to 60." in text(client.get("/console/FR/requirements"))

    publish(client, api, "FR", "requirements", factories.requirements(max_supply_days=45))
    editor = client.get("/console/FR/requirements")
    assert "Since this draft began, 1 version of this section was published." in text(editor)
    stale = client.post("/console/FR/requirements", data={
        "csrf_token": csrf(editor), "etag": hidden(editor, "etag"), "action": "publish",
        "document": json.dumps(factories.requirements(max_supply_days=60))})
    assert stale.status_code == 409  # the draft's base is not current: nothing published, nothing overwritten
    with app.app_context():
        assert history.current("FR", "requirements").version == 2

    assert post(client, "/console/FR/requirements/draft/rebase").status_code == 302
    editor = client.get("/console/FR/requirements")
    assert "Since this draft began" not in text(editor)
    assert "Maximum supply (days) changed from 45 to 60." in text(editor)
    preview = editor_post(client, "FR", "requirements", factories.requirements(max_supply_days=60))
    published = client.post("/console/FR/requirements", data={
        "csrf_token": csrf(preview), "etag": hidden(preview, "etag"), "document": hidden(preview, "document"), "action": "publish"})
    assert published.headers["Location"] == "/countries/FR/requirements/versions/3"
    with app.app_context():
        assert drafts.find("FR", "requirements") is None  # published, the draft is spent


def test_a_draft_saved_from_an_editor_opened_before_a_publication_is_not_saved(app, client, france, authority):
    publish(client, authority("FR"), "FR", "import-bans", factories.import_bans())
    sign_in(client, france["officer"])
    started_from = hidden(client.get("/console/FR/import-bans"), "etag")
    publish(client, authority("FR"), "FR", "import-bans", factories.import_bans(effective_from="2026-04-01"))
    late = editor_post(client, "FR", "import-bans", factories.import_bans(), action="save-draft", etag=started_from)
    assert late.status_code == 409 and "Someone else published meanwhile" in text(late)
    with app.app_context():
        assert drafts.find("FR", "import-bans") is None


def test_where_approval_is_required_another_account_approves_and_the_version_names_it(app, client, france):
    sign_in(client, france["chief"])
    assert switch_approval(client, "FR", True).headers["Location"] == "/console/FR/"
    assert "needs the approval of a second account" in text(client.get("/console/FR/"))

    sign_in(client, france["officer"])
    preview = editor_post(client, "FR", "requirements", factories.requirements())
    assert "Submit for approval" in text(preview) and "Publish version 1" not in text(preview)
    submitted = client.post("/console/FR/requirements", data={
        "csrf_token": csrf(preview), "etag": hidden(preview, "etag"), "document": hidden(preview, "document"), "action": "submit"})
    assert submitted.headers["Location"] == "/console/FR/requirements/draft"
    page = client.get("/console/FR/requirements/draft")
    assert "You submitted this draft" in text(page) and "Approve and publish" not in text(page)
    assert client.get("/console/FR/requirements").headers["Location"] == "/console/FR/requirements/draft"
    forged = post(client, "/console/FR/requirements/draft/approve")
    assert forged.status_code == 403 and "Nobody may approve or return their own draft" in text(forged)
    with app.app_context():
        assert db.session.query(Version).count() == 0

    sign_in(client, france["colleague"])
    country = text(client.get("/console/FR/"))
    assert "Awaiting your approval" in country and f"submitted by {france['officer']}" in country
    approved = post(client, "/console/FR/requirements/draft/approve")
    assert approved.headers["Location"] == "/countries/FR/requirements/versions/1"
    public = text(client.get("/countries/FR/requirements/versions/1"))
    assert "Approved by Competent authority of France" in public
    assert client.get("/api/v1/countries/FR/requirements").json["meta"]["approved_by"] == "Competent authority of France"


def test_a_direct_publication_is_refused_where_approval_is_required(app, client, france):
    sign_in(client, france["chief"])
    switch_approval(client, "FR", True)
    sign_in(client, france["officer"])
    preview = editor_post(client, "FR", "requirements", factories.requirements())
    forced = client.post("/console/FR/requirements", data={
        "csrf_token": csrf(preview), "etag": "", "document": hidden(preview, "document"), "action": "publish"})
    assert forced.status_code == 403
    with app.app_context():
        assert db.session.query(Version).count() == 0


def test_a_returned_draft_comes_back_with_the_comment(app, client, france):
    sign_in(client, france["officer"])
    editor_post(client, "FR", "import-bans", factories.import_bans(), action="save-draft")
    post(client, "/console/FR/import-bans/draft/submit")

    sign_in(client, france["chief"])
    refused = post(client, "/console/FR/import-bans/draft/return", comment="   ")
    assert refused.headers["Location"] == "/console/FR/import-bans/draft"
    assert "Say what should change" in text(client.get("/console/FR/import-bans/draft"))
    post(client, "/console/FR/import-bans/draft/return", comment="Give the reference of the decree.")

    sign_in(client, france["officer"])
    assert "returned with a comment" in text(client.get("/console/FR/"))
    editor = text(client.get("/console/FR/import-bans"))
    assert f"Returned by {france['chief']}" in editor and "Give the reference of the decree." in editor
    editor_post(client, "FR", "import-bans", factories.import_bans(), action="save-draft")
    with app.app_context():
        assert drafts.find("FR", "import-bans").state == "open"


def test_the_submitter_takes_a_draft_back_to_change_it(app, client, france):
    sign_in(client, france["officer"])
    editor_post(client, "FR", "authorities", factories.authorities(), action="save-draft")
    post(client, "/console/FR/authorities/draft/submit")
    fields = form_of(forms.SPECS["authorities"], forms.from_document("authorities", factories.authorities()).values)
    locked = client.post("/console/FR/authorities", data=MultiDict(
        [*fields, ("csrf_token", csrf(client.get("/console/account"))), ("etag", ""), ("action", "save-draft")]))
    assert locked.status_code == 302 and locked.headers["Location"] == "/console/FR/authorities/draft"
    assert post(client, "/console/FR/authorities/draft/take-back").headers["Location"] == "/console/FR/authorities"
    with app.app_context():
        assert drafts.find("FR", "authorities").state == "open"


def test_the_secretariat_sees_every_draft_awaiting_approval_and_approves_it(app, client, france, officer):
    sign_in(client, france["officer"])
    editor_post(client, "FR", "import-bans", factories.import_bans(), action="save-draft")
    post(client, "/console/FR/import-bans/draft/submit")
    sign_in(client, officer(secretariat=True))
    home = text(client.get("/console/"))
    assert "Awaiting your approval" in home and "France — Import bans" in home
    assert post(client, "/console/FR/import-bans/draft/approve").headers["Location"] == "/countries/FR/import-bans/versions/1"
    assert client.get("/api/v1/countries/FR/import-bans").json["meta"]["approved_by"] == "Registry secretariat"


def test_a_withdrawal_where_approval_is_required_is_a_submitted_draft(app, client, france, authority):
    publish(client, authority("FR"), "FR", "import-bans", factories.import_bans())
    sign_in(client, france["chief"])
    switch_approval(client, "FR", True)
    sign_in(client, france["officer"])
    country = text(client.get("/console/FR/"))
    assert "Submit a withdrawal for approval" in country
    post(client, "/console/FR/import-bans/draft/withdrawal")
    assert "This draft withdraws the section" in text(client.get("/console/FR/import-bans/draft"))
    sign_in(client, france["chief"])
    post(client, "/console/FR/import-bans/draft/approve")
    with app.app_context():
        assert history.current("FR", "import-bans").withdrawn


def test_only_the_administrator_or_the_secretariat_switches_approval(app, client, france, officer):
    sign_in(client, france["officer"])
    assert "Require approval by a second account" not in text(client.get("/console/FR/"))
    assert switch_approval(client, "FR", True).status_code == 403
    sign_in(client, officer(secretariat=True))
    switch_approval(client, "FR", True)
    sign_in(client, france["chief"])
    assert "Stop requiring approval" in text(client.get("/console/FR/"))
    switch_approval(client, "FR", False)
    with app.app_context():
        assert db.session.query(Draft).count() == 0
        assert not publishing.requires_approval("FR")
