"""Reconfirmation made visible (docs/workflow.md, "Reconfirmation"): a section past its confirmation cycle is
overdue on its pages, in the API's current-section reads, in registry.json and the CSV tables, and in the
check's answers. The reminder e-mails are tested at a real SMTP server in tests/delivery/test_reminders.py."""
import csv
import html
import io
import re
import zipfile
from datetime import datetime, timedelta

import pytest

from registry import accounts
from registry.db import rfc3339, utcnow
from registry.exports import files as export_files
from registry.workflow import reconfirmation

from .helpers import factories
from .helpers.api import put
from .helpers.check_cases import item, trip
from .helpers.check_page import check_url
from .helpers.exports import Publisher, validator

CHECKED_TRIP = trip(item("morphine", 100), destination="FR")


@pytest.fixture(autouse=True)
def export_cache(app, tmp_path):
    """Each test keeps its built exports to itself."""
    app.config["REGISTRY_EXPORTS_DIR"] = str(tmp_path / "exports-cache")


@pytest.fixture
def publisher(app):
    return Publisher(app)


def months_ago(months: int):
    return reconfirmation.add_months(utcnow().replace(microsecond=0), -months)


def written(moment) -> str:
    """A day as the English pages write it: 5 March 2026."""
    return f"{moment.day} {moment:%B %Y}"


def text(response) -> str:
    """A page's words, tags dropped and spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


@pytest.fixture
def overdue_france(publisher):
    """France's requirements, published 14 months ago and never confirmed (the cycle is 12 months): when they were due."""
    published = months_ago(14)
    publisher.publish("FR", "requirements", factories.requirements(), published)
    publisher.publish("FR", "authorities", factories.authorities(), utcnow() - timedelta(days=1))
    return reconfirmation.add_months(published, 12)


def test_a_section_past_its_cycle_shows_as_overdue_on_its_pages_the_api_registry_json_and_the_check(client, overdue_france):
    due = overdue_france
    mark = f"Last confirmed 14 months ago; due for confirmation on {written(due)} — overdue."
    country_page = text(client.get("/countries/FR"))
    assert mark in country_page and "overdue for confirmation" in country_page
    assert mark in text(client.get("/countries/FR/requirements/versions/1"))
    assert "overdue" not in text(client.get("/countries/FR/authorities/versions/1"))

    section = client.get("/api/v1/countries/FR/requirements")
    assert (section.json["meta"]["confirmation_due"], section.json["meta"]["overdue"]) == (rfc3339(due), True)
    assert section.headers["ETag"] == f'"{section.json["meta"]["hash"]}-due-{due:%Y%m%dT%H%M%SZ}-overdue"'
    country = client.get("/api/v1/countries/FR").json
    assert country["sections"]["requirements"]["overdue"] is True and country["sections"]["authorities"]["overdue"] is False
    assert country["current"]["requirements"]["meta"] == section.json["meta"]
    listed = next(entry for entry in client.get("/api/v1/countries").json["countries"] if entry["country"] == "FR")
    assert listed["sections"]["requirements"] == country["sections"]["requirements"]
    immutable = client.get("/api/v1/countries/FR/requirements/versions/1").json["meta"]
    assert "overdue" not in immutable and "confirmation_due" not in immutable

    registry = client.get("/exports/registry.json").json
    validator("registry").validate(registry)
    assert registry["countries"]["FR"]["requirements"]["meta"] == section.json["meta"]
    assert registry["countries"]["FR"]["authorities"]["meta"]["overdue"] is False

    answer = client.post("/api/v1/check", json=CHECKED_TRIP).json
    sentence = (f"France last confirmed its documentary requirements 14 months ago: they were due for confirmation by "
                f"{written(due)}, so ask its authority whether they still apply.")
    assert answer["countries"][0]["notices"] == [{
        "code": "confirmation-overdue", "text": sentence, "source": "FR requirements version 1",
        "params": {"country": "FR", "section": "requirements", "months": 14, "due": due.date().isoformat()}}]
    validator("check-result").validate({key: value for key, value in answer.items() if key != "demo"})
    assert sentence in text(client.get(check_url(CHECKED_TRIP)))


def test_the_bundle_s_countries_table_says_when_each_section_is_due_and_whether_it_is_overdue(client, overdue_france, tmp_path):
    with zipfile.ZipFile(io.BytesIO(client.get("/exports/registry.zip").data)) as bundle:
        rows = {row["country"]: row for row in csv.DictReader(io.StringIO(bundle.read("countries.csv").decode("utf-8")))}
    france = rows["FR"]
    assert (france["requirements_confirmation_due"], france["requirements_overdue"]) == (rfc3339(overdue_france), "true")
    assert france["authorities_overdue"] == "false"
    assert (france["import_bans_confirmation_due"], france["import_bans_overdue"]) == ("", "")


def test_a_current_section_s_etag_changes_when_it_falls_overdue_and_its_if_match_still_publishes(client, authority, publisher,
                                                                                                  monkeypatch):
    publisher.publish("FR", "requirements", factories.requirements(), months_ago(12) + timedelta(days=1))
    fresh = client.get("/api/v1/countries/FR/requirements")
    assert fresh.json["meta"]["overdue"] is False
    assert client.get("/api/v1/countries/FR/requirements", headers={"If-None-Match": fresh.headers["ETag"]}).status_code == 304
    registry = client.get("/exports/registry.json")

    later = utcnow() + timedelta(days=2)
    monkeypatch.setattr(reconfirmation, "utcnow", lambda: later)
    monkeypatch.setattr(export_files, "utcnow", lambda: later)
    overdue = client.get("/api/v1/countries/FR/requirements", headers={"If-None-Match": fresh.headers["ETag"]})
    assert overdue.status_code == 200 and overdue.json["meta"]["overdue"] is True
    assert overdue.headers["ETag"].endswith('-overdue"') and overdue.headers["Last-Modified"] != fresh.headers["Last-Modified"]
    exported = client.get("/exports/registry.json", headers={"If-None-Match": registry.headers["ETag"]})
    assert exported.status_code == 200 and exported.json["countries"]["FR"]["requirements"]["meta"]["overdue"] is True
    assert exported.headers["Last-Modified"] != registry.headers["Last-Modified"]

    republished = put(client, authority("FR"), "FR", "requirements", factories.requirements(max_supply_days=60),
                      etag=overdue.headers["ETag"])
    assert republished.status_code == 200, republished.json
    assert client.get("/api/v1/countries/FR/requirements").json["meta"]["overdue"] is False


def test_a_confirmation_ends_overdue_and_moves_the_due_date(client, authority, overdue_france):
    before = client.get("/api/v1/countries/FR/requirements")
    confirmed = client.post("/api/v1/countries/FR/requirements/confirm", headers=authority("FR"))
    assert confirmed.status_code == 200
    after = client.get("/api/v1/countries/FR/requirements", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.json["meta"]["overdue"] is False
    moment = reconfirmation.add_months(datetime.strptime(confirmed.json["last_confirmed"], "%Y-%m-%dT%H:%M:%SZ"), 12)
    assert after.json["meta"]["confirmation_due"] == rfc3339(moment)
    assert "overdue" not in text(client.get("/countries/FR"))
    assert client.post("/api/v1/check", json=CHECKED_TRIP).json["countries"][0]["notices"] == []


def test_a_withdrawn_section_has_nothing_to_confirm(client, publisher):
    publisher.publish("FR", "import-bans", factories.import_bans(), months_ago(20))
    publisher.publish("FR", "import-bans", None, months_ago(19))
    meta = client.get("/api/v1/countries/FR/import-bans").json["meta"]
    assert (meta["withdrawn"], meta["confirmation_due"], meta["overdue"]) == (True, None, False)
    assert client.get("/exports/registry.json").json["countries"]["FR"]["import-bans"]["meta"]["overdue"] is False
    assert "overdue" not in text(client.get("/countries/FR"))


def test_the_secretariat_s_cycle_decides_what_is_overdue(app, client, publisher, overdue_france):
    with app.app_context():
        desk = accounts.add_account("desk@registry.example", country=None, secretariat=True, password=None)
        reconfirmation.set_cycle(desk, 18)
    meta = client.get("/api/v1/countries/FR/requirements").json["meta"]
    assert meta["overdue"] is False and meta["confirmation_due"] == rfc3339(reconfirmation.add_months(overdue_france, 6))
    assert client.post("/api/v1/check", json=CHECKED_TRIP).json["countries"][0]["notices"] == []
    assert client.get("/exports/registry.json").json["countries"]["FR"]["requirements"]["meta"]["overdue"] is False


def test_the_check_s_notice_is_worded_in_the_answer_s_language(client, overdue_france):
    """Passes once the translations of the reconfirmation helper (its PO fragments) are in the catalogues."""
    notice = client.post("/api/v1/check?lang=fr", json=CHECKED_TRIP).json["countries"][0]["notices"][0]
    assert notice["text"].startswith("France a confirmé pour la dernière fois ses documents exigés il y a 14 mois")
    russian = client.post("/api/v1/check?lang=ru", json=CHECKED_TRIP).json["countries"][0]["notices"][0]["text"]
    assert "14 месяцев назад" in russian
