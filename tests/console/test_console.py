"""The authority console: signing in, editing, previewing, publishing, confirming, withdrawing, tokens."""
import html
import json
import re
import time

import pytest
from werkzeug.datastructures import MultiDict

from registry import accounts, history, reference

from registry.cli import demo

from registry.console import forms
from registry.db import db
from registry.models import Version

from ..helpers import factories
from ..helpers.api import publish
from ..helpers.apps import make_app
from ..helpers.console import PASSWORD, csrf, editor_post, form_of, hidden, publish_from_preview, sign_in


def test_signing_in_starts_a_new_httponly_samesite_session(client, officer):
    email = officer("FR")
    client.get("/console/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        before = session["csrf_token"]

    response = sign_in(client, email)

    assert response.status_code == 302 and response.headers["Location"] == "/console/"
    cookie = next(header for header in response.headers.getlist("Set-Cookie") if header.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != before
        assert isinstance(session["account_id"], int)


def test_the_session_cookie_is_secure_when_configured(database_url, officer):
    app = make_app(database_url, SESSION_COOKIE_SECURE=True)
    with app.app_context():
        accounts.add_account("secure@fr.example", country="FR", secretariat=False, password=PASSWORD)
    response = sign_in(app.test_client(), "secure@fr.example")
    assert "Secure" in next(header for header in response.headers.getlist("Set-Cookie") if header.startswith("session="))


def test_a_wrong_password_is_refused_and_the_sixth_attempt_is_429_even_with_the_right_one(client, officer):
    email = officer("FR")
    for _ in range(5):
        refused = sign_in(client, email, "wrong password!")
        assert refused.status_code == 200
        assert "The e-mail address or the password is not right." in refused.get_data(as_text=True)
    locked = sign_in(client, email)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "account_id" not in session


def test_failed_sign_ins_from_one_address_are_limited_across_accounts(client, officer):
    email = officer("FR")
    for number in range(20):
        sign_in(client, f"nobody{number}@example.org", "guess guess guess")
    assert sign_in(client, email).status_code == 429
    assert sign_in(client, email, address="192.0.2.7").status_code == 302


def test_throttling_is_shared_by_every_worker_process(database_url, officer, app):
    email = officer("FR")
    first_worker, second_worker = app.test_client(), make_app(database_url).test_client()
    for _ in range(5):
        sign_in(first_worker, email, "wrong password!")
    assert sign_in(second_worker, email).status_code == 429


def test_a_right_password_clears_the_accounts_failures(client, officer):
    email = officer("FR")
    for _ in range(4):
        sign_in(client, email, "wrong password!")
    assert sign_in(client, email).status_code == 302
    for _ in range(4):
        sign_in(client, email, "wrong password!")
    assert sign_in(client, email).status_code == 302


def test_an_account_without_a_password_cannot_sign_in(client, app):
    with app.app_context():
        accounts.add_account("tokens-only@fr.example", country="FR", secretariat=False, password=None)
    assert "not right" in sign_in(client, "tokens-only@fr.example", "").get_data(as_text=True)


def test_a_form_posted_without_its_csrf_token_is_refused(client, officer):
    email = officer("FR")
    refused = client.post("/console/login", data={"email": email, "password": PASSWORD})
    assert refused.status_code == 400
    assert refused.mimetype == "text/html"
    assert "CSRF" in refused.get_data(as_text=True)

    sign_in(client, email)
    publish_without = client.post("/console/FR/requirements", data={"action": "publish", "document": "{}", "etag": ""})
    assert publish_without.status_code == 400
    assert client.post("/console/FR/requirements/confirm").status_code == 400


def test_the_api_needs_a_token_not_a_csrf_token(client, authority):
    response = client.put("/api/v1/countries/FR/requirements", json=factories.requirements(),
                          headers={**authority("FR"), "If-None-Match": "*"})
    assert response.status_code == 201


def test_the_console_asks_to_sign_in_first_and_comes_back(client, officer):
    email = officer("FR")
    asked = client.get("/console/FR/requirements")
    assert asked.status_code == 302
    assert asked.headers["Location"] == "/console/login?next=/console/FR/requirements"
    token = csrf(client.get(asked.headers["Location"]))
    back = client.post("/console/login", data={"csrf_token": token, "email": email, "password": PASSWORD, "next": "/console/FR/requirements"})
    assert back.headers["Location"] == "/console/FR/requirements"


def test_sign_in_never_redirects_to_another_site(client, officer):
    email = officer("FR")
    token = csrf(client.get("/console/login"))
    response = client.post("/console/login", data={"csrf_token": token, "email": email, "password": PASSWORD, "next": "//evil.example/"})
    assert response.headers["Location"] == "/console/"


def test_a_session_older_than_a_working_day_must_sign_in_again(client, officer):
    sign_in(client, officer("FR"))
    with client.session_transaction() as session:
        session["signed_in_at"] = int(time.time()) - 13 * 3600
    assert client.get("/console/FR/").status_code == 302


def test_signing_out_ends_the_session(client, officer):
    sign_in(client, officer("FR"))
    page = client.get("/console/FR/")
    client.post("/console/logout", data={"csrf_token": csrf(page)})
    assert client.get("/console/FR/").status_code == 302


def test_an_authority_sees_and_edits_only_its_own_country(client, officer):
    sign_in(client, officer("FR"))
    assert client.get("/console/").headers["Location"] == "/console/FR/"
    for path in ("/console/DE/", "/console/DE/requirements", "/console/DE/import-bans/withdraw"):
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert refused.mimetype == "text/html"
        assert "only the notification of France" in refused.get_data(as_text=True)
    assert client.get("/console/XX/requirements").status_code == 404
    assert client.get("/console/FR/rules").status_code == 404


def test_the_secretariat_edits_any_country(client, officer):
    sign_in(client, officer(secretariat=True))
    assert client.get("/console/").status_code == 200
    assert client.get("/console/?country=de").headers["Location"] == "/console/DE/"
    preview = editor_post(client, "DE", "import-bans", factories.import_bans())
    published = publish_from_preview(client, "DE", "import-bans", preview)
    assert published.headers["Location"] == "/countries/DE/import-bans/versions/1"


@pytest.mark.parametrize("section", ["requirements", "authorities", "import-bans"])
def test_an_authority_previews_the_differences_then_publishes_the_first_version(app, client, officer, section):
    sign_in(client, officer("FR"))
    preview = editor_post(client, "FR", section, factories.DOCUMENTS[section]())
    assert preview.status_code == 200
    body = preview.get_data(as_text=True)
    assert "First notification of" in body
    assert "Publish version 1" in body
    with app.app_context():
        assert db.session.query(Version).count() == 0  # a preview stores nothing

    published = publish_from_preview(client, "FR", section, preview)
    assert published.status_code == 302
    assert published.headers["Location"] == f"/countries/FR/{section}/versions/1"
    page = client.get(published.headers["Location"]).get_data(as_text=True)
    assert "Version 1 was published." in page


def test_a_console_publication_is_the_same_publication_as_an_api_one(client, officer, authority):
    sign_in(client, officer("FR"))
    publish_from_preview(client, "FR", "requirements", editor_post(client, "FR", "requirements", factories.requirements()))
    publish(client, authority("DE"), "DE", "requirements", factories.requirements())

    from_console = client.get("/api/v1/countries/FR/requirements").json
    from_api = client.get("/api/v1/countries/DE/requirements").json
    assert from_console["document"] == from_api["document"] == factories.requirements()
    assert from_console["meta"].keys() == from_api["meta"].keys()
    assert from_console["meta"]["published_by"] == "Competent authority of France"
    assert from_console["meta"]["changes"] == from_api["meta"]["changes"]


def test_editing_then_publishing_shows_the_new_version_on_the_country_page(client, officer, authority):
    publish(client, authority("FR"), "FR", "requirements", factories.requirements())
    sign_in(client, officer("FR"))
    preview = editor_post(client, "FR", "requirements", factories.requirements(max_supply_days=60))
    assert "Maximum supply (days) changed from 30 to 60." in preview.get_data(as_text=True)
    assert "Publish this version" in preview.get_data(as_text=True)
    assert publish_from_preview(client, "FR", "requirements", preview).headers["Location"] == "/countries/FR/requirements/versions/2"
    assert "Up to 60 days of treatment." in client.get("/countries/FR").get_data(as_text=True)


def test_republishing_an_untouched_section_changes_nothing(client, officer, authority, app):
    with app.app_context():
        documents = [(item["section"], item["document"]) for item in demo.publications() if item["action"] == "publish"]
    sign_in(client, officer(secretariat=True))
    for section, document in documents[:6]:
        publish(client, authority("FR"), "FR", section, document)
        preview = editor_post(client, "FR", section, document)
        assert "Republished without any change in content." in preview.get_data(as_text=True), section


def test_every_demonstration_document_survives_the_editor_unchanged(app):
    with app.app_context():
        documents = [(item["section"], item["document"]) for item in demo.publications() if item["action"] == "publish"]
    documents += [(section, build()) for section, build in factories.DOCUMENTS.items()]
    for section, document in documents:
        draft = forms.from_document(section, document)
        posted = forms.from_form(section, MultiDict(form_of(forms.SPECS[section], draft.values)))
        assert posted.document() == document


def test_errors_are_shown_next_to_the_field_and_nothing_is_published(app, client, officer):
    sign_in(client, officer("FR"))
    document = factories.requirements()
    document["rules"][2].pop("threshold_mg")
    document["rules"][0]["applies_to"][1] = "not-a-substance"
    refused = editor_post(client, "FR", "requirements", document)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "2 fields need attention; nothing was published." in body
    assert re.search(r'<p class="field-error" id="f-rules-2-threshold_mg-error-1">.*give the amount in milligrams\.', body)
    assert re.search(r'id="f-rules-0-applies_to-1-error-1">.*not-a-substance', body)
    assert 'aria-invalid="true"' in body
    with app.app_context():
        assert db.session.query(Version).count() == 0


def test_rows_are_added_and_removed_without_javascript(client, officer):
    sign_in(client, officer("FR"))
    added = editor_post(client, "FR", "requirements", factories.requirements(), action="add:rules")
    assert added.status_code == 200
    assert "Rule 4" in added.get_data(as_text=True)
    removed = editor_post(client, "FR", "requirements", factories.requirements(), action="remove:rules.0")
    body = removed.get_data(as_text=True)
    assert "Rule 3" not in body and "Rule 2" in body
    more = editor_post(client, "FR", "import-bans", factories.import_bans(), action="add:bans.0.notes")
    assert 'name="bans.0.notes.1.lang"' in more.get_data(as_text=True)
    assert editor_post(client, "FR", "requirements", factories.requirements(), action="remove:nothing.7").status_code == 200


def test_a_concurrent_publication_is_explained_and_never_overwritten(app, client, officer, authority):
    publish(client, authority("FR"), "FR", "requirements", factories.requirements())
    sign_in(client, officer("FR"))
    started_from = hidden(client.get("/console/FR/requirements"), "etag")
    publish(client, authority("FR"), "FR", "requirements", factories.requirements(max_supply_days=45))

    late = editor_post(client, "FR", "requirements", factories.requirements(max_supply_days=90), etag=started_from)
    assert late.status_code == 409
    body = late.get_data(as_text=True)
    assert "Someone else published meanwhile" in body
    assert "Maximum supply (days) changed from 30 to 45." in body  # what the other published
    assert "Maximum supply (days) changed from 45 to 90." in body  # what this draft would change now

    # Publishing the old draft directly is refused the same way, and stores nothing.
    forced = client.post("/console/FR/requirements", data={
        "csrf_token": csrf(late), "etag": started_from, "action": "publish",
        "document": json.dumps(factories.requirements(max_supply_days=90)),
    })
    assert forced.status_code == 409
    with app.app_context():
        assert history.current("FR", "requirements").version == 2
        assert history.document(history.current("FR", "requirements"))["max_supply_days"] == 45

    again = client.post("/console/FR/requirements", data={
        "csrf_token": csrf(late), "etag": hidden(late, "etag"), "document": hidden(late, "document"), "action": "edit",
    })
    assert "You are editing version 2, the current one." in again.get_data(as_text=True)


def test_confirm_still_current_and_withdraw_from_the_console(app, client, officer, authority):
    publish(client, authority("FR"), "FR", "import-bans", factories.import_bans())
    sign_in(client, officer("FR"))
    page = client.get("/console/FR/")
    confirmed = client.post("/console/FR/import-bans/confirm", data={"csrf_token": csrf(page)})
    assert confirmed.headers["Location"] == "/console/FR/"
    assert "Confirmed: the current version is still correct." in client.get("/console/FR/").get_data(as_text=True)

    asked = client.get("/console/FR/import-bans/withdraw")
    assert "Withdraw version 1" in asked.get_data(as_text=True)
    withdrawn = client.post("/console/FR/import-bans/withdraw", data={"csrf_token": csrf(asked), "etag": hidden(asked, "etag")})
    assert withdrawn.headers["Location"] == "/console/FR/"
    with app.app_context():
        assert history.current("FR", "import-bans").withdrawn
    assert "This section was withdrawn: nothing is in force." in client.get("/countries/FR").get_data(as_text=True)
    assert client.get("/console/FR/import-bans/withdraw").status_code == 302  # nothing left to withdraw


def test_a_stale_withdrawal_is_refused(app, client, officer, authority):
    headers = authority("FR")
    publish(client, headers, "FR", "import-bans", factories.import_bans())
    sign_in(client, officer("FR"))
    asked = client.get("/console/FR/import-bans/withdraw")
    publish(client, headers, "FR", "import-bans", factories.import_bans(effective_from="2026-06-01"))
    refused = client.post("/console/FR/import-bans/withdraw", data={"csrf_token": csrf(asked), "etag": hidden(asked, "etag")})
    assert refused.headers["Location"] == "/console/FR/import-bans/withdraw"
    with app.app_context():
        assert not history.current("FR", "import-bans").withdrawn


def test_api_tokens_are_shown_once_and_can_be_revoked(client, officer):
    sign_in(client, officer("FR"))
    page = client.get("/console/account")
    created = client.post("/console/account", data={"csrf_token": csrf(page), "action": "create", "name": "script"})
    token = re.search(r'<code class="token" id="new-token">([^<]+)</code>', created.get_data(as_text=True)).group(1)
    assert created.headers["Cache-Control"] == "no-store"
    headers = {"Authorization": f"Bearer {token}", "If-None-Match": "*"}
    assert client.put("/api/v1/countries/FR/import-bans", json=factories.import_bans(), headers=headers).status_code == 201
    assert token not in client.get("/console/account").get_data(as_text=True)

    token_id = re.search(r'name="token" value="(\d+)"', created.get_data(as_text=True)).group(1)
    revoked = client.post("/console/account", data={"csrf_token": csrf(created), "action": "revoke", "token": token_id})
    assert revoked.status_code == 302
    assert "Token script is revoked." in client.get("/console/account").get_data(as_text=True)
    headers["If-Match"] = "*"
    assert client.put("/api/v1/countries/FR/import-bans", json=factories.import_bans(), headers=headers).status_code == 401


def test_an_account_cannot_revoke_another_accounts_token(client, officer, app):
    other = officer("DE")
    with app.app_context():
        row, _ = accounts.add_token(accounts.find_account(other), "theirs")
        token_id = row.id
    sign_in(client, officer("FR"))
    page = client.get("/console/account")
    client.post("/console/account", data={"csrf_token": csrf(page), "action": "revoke", "token": str(token_id)})
    with app.app_context():
        assert accounts.find_account(other).tokens[0].revoked_at is None


def test_the_console_speaks_chinese_too(client, officer):
    sign_in(client, officer("FR"))
    body = client.get("/console/FR/requirements?lang=zh").get_data(as_text=True)
    assert "预览更改" in body and "添加一条规则" in body and "法国" in body


def test_substances_typed_by_name_in_any_case_or_in_chinese_are_stored_as_their_keys(client, officer):
    sign_in(client, officer("FR"))
    typed = factories.requirements(
        rules=[factories.rule(applies_to=["1961-i", "Methylphenidate"])],
        supply_exceptions=[{"substances": [reference.substance("phenobarbital").names["zh"]], "max_supply_days": 90}])
    published = publish_from_preview(client, "FR", "requirements", editor_post(client, "FR", "requirements", typed))
    assert published.status_code == 302
    publish_from_preview(client, "FR", "import-bans", editor_post(client, "FR", "import-bans", factories.import_bans(
        bans=[factories.ban(substance="  METHYLPHENIDATE ")])))

    document = client.get("/api/v1/countries/FR/requirements").json["document"]
    assert document["rules"][0]["applies_to"] == ["1961-I", "methylphenidate"]
    assert document["supply_exceptions"][0]["substances"] == ["phenobarbital"]
    assert client.get("/api/v1/countries/FR/import-bans").json["document"]["bans"][0]["substance"] == "methylphenidate"


@pytest.mark.parametrize("section", ["requirements", "authorities", "import-bans"])
def test_date_fields_claim_no_format_other_than_the_one_the_browser_shows(client, officer, section):
    sign_in(client, officer("FR"))
    body = client.get(f"/console/FR/{section}").get_data(as_text=True)
    assert 'type="date"' in body and "YYYY-MM-DD" not in body


def test_an_unknown_substance_is_named_by_the_field_people_see_with_close_matches_in_their_language(app, client, officer, authority):
    sign_in(client, officer("FR"))
    bans = factories.import_bans(bans=[factories.ban(substance="metylphenidate")])
    refused = editor_post(client, "FR", "import-bans", bans)
    assert refused.status_code == 422
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", refused.get_data(as_text=True))).split())
    assert "Ban 1, substance : “metylphenidate” is not a substance we know. Did you mean Methylphenidate" in text
    assert "bans.0.substance" not in text and "substance key" not in text and "/api/v1" not in text

    unknown = editor_post(client, "FR", "import-bans", factories.import_bans(bans=[factories.ban(substance="Zolpidemm Forte")]))
    assert "“Zolpidemm Forte” is not a substance we know." in html.unescape(unknown.get_data(as_text=True))

    client.get("/?lang=zh")  # the visitor chooses Chinese; the cookie keeps it
    chinese = editor_post(client, "FR", "import-bans", bans)
    text = html.unescape(chinese.get_data(as_text=True))
    assert "禁令 1，物质" in text and "“metylphenidate”不是本登记册所知的物质。" in text and "您是否指哌甲酯" in text
    with app.app_context():
        assert db.session.query(Version).count() == 0

    api = client.put("/api/v1/countries/FR/import-bans", json=bans, headers={**authority("FR"), "If-None-Match": "*"})
    assert "bans.0.substance" in json.dumps(api.json)  # the API keeps its field paths
