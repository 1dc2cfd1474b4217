"""Questions between countries through the console (docs/workflow.md, "Questions between countries"): asked, answered,
made public by the country asked, and only then on the version's page and in the exports."""
import csv
import io
import json
import subprocess
import sys
import zipfile

import pytest
from sqlalchemy import func, select

from registry import accounts, publishing
from registry.db import db
from registry.delivery import mail
from registry.models import Question, QuestionMessage
from registry.publishing import Actor, Precondition

from ..helpers import factories
from ..helpers.console import PASSWORD, csrf, sign_in

PEOPLE = {  # e-mail: (country, authority)
    "officer@de.example": ("DE", "Bundesinstitut für Arzneimittel"),
    "officer@fr.example": ("FR", "Agence nationale de sécurité du médicament"),
    "chief@fr.example": ("FR", "Direction générale de la santé"),
    "officer@it.example": ("IT", "Ministero della Salute"),
}
SUBJECT = "Rule 2: per trip or per package?"
QUESTION = "Does the 1000 mg threshold for methylphenidate count every package a traveller carries together?"
ANSWER = "Every package together: the threshold is for the whole supply the traveller carries."


@pytest.fixture(autouse=True)
def export_cache(app, tmp_path):
    """Each test keeps its built exports to itself."""
    app.config["REGISTRY_EXPORTS_DIR"] = str(tmp_path / "exports-cache")


@pytest.fixture
def sent(monkeypatch) -> list:
    """The e-mails the registry hands to its SMTP server, kept here instead."""
    kept = []
    monkeypatch.setattr(mail, "send", lambda message, settings: kept.append(message))
    return kept


@pytest.fixture
def france(app):
    """The four accounts, with passwords, and France's requirements in three versions."""
    with app.app_context():
        for email, (country, authority) in PEOPLE.items():
            accounts.add_account(email, country=country, secretariat=False, password=PASSWORD, authority_name=authority)
        actor = Actor(accounts.find_account("officer@fr.example"))
        precondition = Precondition(if_none_match_any=True)
        for days in (30, 45, 60):
            row = publishing.publish(actor, "FR", "requirements", factories.requirements(max_supply_days=days), precondition)
            precondition = Precondition(if_match=frozenset({row.hash}))
    return app


def signed_in(app, email):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def ask(client, subject=SUBJECT, body=QUESTION, **about):
    about = {"country": "FR", "section": "requirements", "version": "3", **about}
    form = client.get("/console/questions/new", query_string=about)
    assert form.status_code == 200
    return client.post("/console/questions/new", data={"csrf_token": csrf(form), **about, "subject": subject, "body": body})


def post(client, path, **fields):
    token = csrf(client.get("/console/questions"))
    return client.post(path, data={"csrf_token": token, **fields})


def public_words(client) -> str:
    """Everything the public reads of France: its pages, and every export."""
    pages = [client.get(path).get_data(as_text=True) for path in
             ("/countries/FR", *(f"/countries/FR/requirements/versions/{number}" for number in (1, 2, 3)))]
    with zipfile.ZipFile(io.BytesIO(client.get("/exports/registry.zip").data)) as bundle:
        exported = [bundle.read(name).decode("utf-8") for name in bundle.namelist() if name.endswith((".csv", ".json", ".jsonl"))]
    return "\n".join(pages + exported + [client.get("/exports/registry.json").get_data(as_text=True)])


def test_a_question_from_de_on_fr_s_requirements_version_3_is_answered_made_public_and_shows_on_the_version_page(france, sent):
    """Before it is made public, neither the public pages nor the exports show it."""
    public = france.test_client()
    germany, officer = signed_in(france, "officer@de.example"), signed_in(france, "officer@fr.example")

    asked = ask(germany)
    assert asked.status_code == 302 and asked.headers["Location"].startswith("/console/questions/")
    thread = asked.headers["Location"]
    assert sorted(sent[-1]["To"].split(", ")) == ["chief@fr.example", "officer@fr.example"]
    assert SUBJECT not in public_words(public) and QUESTION not in public_words(public)

    assert SUBJECT in officer.get("/console/questions").get_data(as_text=True)
    page = officer.get(thread).get_data(as_text=True)
    assert QUESTION in page and "Make public" in page
    assert post(officer, thread, body=ANSWER).status_code == 302
    assert sent[-1]["To"] == "officer@de.example" and ANSWER in sent[-1].get_content()
    assert ANSWER not in public_words(public)
    assert "Make public" not in germany.get(thread).get_data(as_text=True)  # only the country asked decides

    assert post(officer, f"{thread}/public").status_code == 302
    version_page = public.get("/countries/FR/requirements/versions/3").get_data(as_text=True)
    for shown in (SUBJECT, QUESTION, ANSWER, "Bundesinstitut für Arzneimittel", "Agence nationale de sécurité du médicament",
                  "Germany"):
        assert shown in version_page, shown
    assert "@" not in version_page.split('id="questions-heading"')[1].split("</section>")[0]
    assert SUBJECT not in public.get("/countries/FR/requirements/versions/2").get_data(as_text=True)

    registry = public.get("/exports/registry.json").json
    record, = registry["questions"]
    assert (record["country"], record["section"], record["version"], record["asked_by_country"]) == ("FR", "requirements", 3, "DE")
    assert [(message["country"], message["body"]) for message in record["messages"]] == [("DE", QUESTION), ("FR", ANSWER)]
    with zipfile.ZipFile(io.BytesIO(public.get("/exports/registry.zip").data)) as bundle:
        threads = list(csv.DictReader(io.StringIO(bundle.read("questions.csv").decode("utf-8"))))
        messages = list(csv.DictReader(io.StringIO(bundle.read("question-messages.csv").decode("utf-8"))))
    assert [(row["subject"], row["asked_by_country"], row["version"]) for row in threads] == [(SUBJECT, "DE", "3")]
    assert [(row["message"], row["authority"], row["body"]) for row in messages] == [
        ("0", "Bundesinstitut für Arzneimittel", QUESTION), ("1", "Agence nationale de sécurité du médicament", ANSWER)]
    assert not any(email in public_words(public) for email in PEOPLE)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_country_does_not_ask_itself_and_nothing_is_stored(france, sent):
    officer = signed_in(france, "officer@fr.example")
    form = officer.get("/console/questions/new?country=FR&section=requirements&version=3").get_data(as_text=True)
    assert "your own country" in form and 'action="/console/questions/new"' not in form
    assert ask(officer).status_code == 403
    assert count(france, Question) == 0 and sent == []


def test_a_question_about_a_version_that_was_never_published_is_refused(france, sent):
    germany = signed_in(france, "officer@de.example")
    refused = ask(germany, version="4")
    assert refused.status_code == 422 and "There is no such version" in refused.get_data(as_text=True)
    assert SUBJECT in refused.get_data(as_text=True)  # what was written is kept
    assert ask(germany, subject="").status_code == 422
    assert ask(germany, body="x" * 10_001).status_code == 422
    assert count(france, Question) == 0


def test_a_third_country_neither_lists_nor_reads_nor_answers_the_thread(france, sent):
    thread = ask(signed_in(france, "officer@de.example")).headers["Location"]
    italy = signed_in(france, "officer@it.example")
    assert SUBJECT not in italy.get("/console/questions").get_data(as_text=True)
    assert italy.get(thread).status_code == 404
    assert post(italy, thread, body="Interesting.").status_code == 404
    assert post(italy, f"{thread}/public").status_code == 404
    assert count(france, QuestionMessage) == 1


def test_the_asking_country_may_not_make_the_thread_public_but_the_asked_country_s_other_accounts_may(france, sent):
    thread = ask(signed_in(france, "officer@de.example")).headers["Location"]
    assert post(signed_in(france, "officer@de.example"), f"{thread}/public").status_code == 403
    assert SUBJECT not in france.test_client().get("/countries/FR/requirements/versions/3").get_data(as_text=True)
    assert post(signed_in(france, "chief@fr.example"), f"{thread}/public").status_code == 302
    assert SUBJECT in france.test_client().get("/countries/FR/requirements/versions/3").get_data(as_text=True)


def test_the_public_version_page_offers_authorities_the_way_to_ask(france):
    page = france.test_client().get("/countries/FR/requirements/versions/3").get_data(as_text=True)
    assert 'href="/console/questions/new?country=FR&amp;section=requirements&amp;version=3"' in page


def test_an_empty_answer_is_refused_and_a_message_written_after_publication_shows_at_once(france, sent):
    thread = ask(signed_in(france, "officer@de.example")).headers["Location"]
    officer = signed_in(france, "officer@fr.example")
    assert post(officer, thread, body="   ").status_code == 422
    post(officer, f"{thread}/public")
    post(officer, thread, body=ANSWER)
    assert ANSWER in france.test_client().get("/countries/FR/requirements/versions/3").get_data(as_text=True)


def test_the_bundle_with_a_public_thread_is_a_valid_data_package_and_its_texts_are_never_markup(france, sent, tmp_path):
    thread = ask(signed_in(france, "officer@de.example"), body="<script>alert(1)</script> =1+1").headers["Location"]
    post(signed_in(france, "officer@fr.example"), f"{thread}/public")
    page = france.test_client().get("/countries/FR/requirements/versions/3").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    with zipfile.ZipFile(io.BytesIO(france.test_client().get("/exports/registry.zip").data)) as bundle:
        bundle.extractall(tmp_path)
    checked = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json", "datapackage.json"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert json.loads(checked.stdout)["valid"] is True, checked.stdout[-3000:]
