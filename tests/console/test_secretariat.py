"""The secretariat's view: never-notified countries, overdue sections, drafts awaiting approval, the activity, the CSV."""
import csv
import io
from datetime import timedelta

import pytest
from lxml import html as lxml_html

from registry import accounts, publishing
from registry.db import utcnow
from registry.publishing import Actor, Precondition
from registry.workflow import drafts, reconfirmation

from ..helpers import factories
from ..helpers.console import csrf, sign_in

STATES = ("never-notified", "overdue", "due-soon", "awaiting-approval")


@pytest.fixture
def registry(app, client, officer):
    """France's requirements published 13 months ago (overdue), its authorities a week ago (current), Germany's
    requirements submitted for approval; the secretariat signed in. The e-mail addresses of the officers."""
    french, german = officer("FR"), officer("DE")
    with app.app_context():
        france = accounts.find_account(french)
        publishing.publish(Actor(france, None, "192.0.2.7"), "FR", "requirements", factories.requirements(),
                           Precondition(if_none_match_any=True), published_at=utcnow() - timedelta(days=400))
        publishing.publish(Actor(france, None, "192.0.2.7"), "FR", "authorities", factories.authorities(),
                           Precondition(if_none_match_any=True))
        germany = accounts.find_account(german)
        drafts.save(germany, "DE", "requirements", factories.requirements())
        drafts.submit(germany, "DE", "requirements")
    sign_in(client, officer(secretariat=True))
    return {"officers": (french, german)}


def page_rows(response) -> set[tuple[str, str, str]]:
    """(state, country, section) of every row the page lists, read from the console links of each state's block."""
    tree = lxml_html.fromstring(response.get_data(as_text=True))
    found = set()
    for state in STATES:
        heading = tree.get_element_by_id(state, None)
        if heading is None:
            continue
        block = heading.getnext()
        for link in block.iter("a"):
            parts = link.get("href").strip("/").split("/")
            if parts[0] == "console":
                found.add((state, parts[1], parts[2] if len(parts) > 2 else ""))
    return found


def csv_rows(response) -> set[tuple[str, str, str]]:
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    return {(row["state"], row["country"], row["section"]) for row in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}


def test_the_view_lists_a_never_notified_country_an_overdue_section_and_a_submitted_draft(client, registry):
    page = client.get("/console/secretariat")
    assert page.status_code == 200
    rows = page_rows(page)
    assert ("never-notified", "JP", "") in rows
    assert ("overdue", "FR", "requirements") in rows
    assert ("awaiting-approval", "DE", "requirements") in rows
    assert ("never-notified", "FR", "") not in rows and not any(row[1:] == ("FR", "authorities") for row in rows)
    assert "13 months ago" in page.get_data(as_text=True)


@pytest.mark.parametrize("query", ["", "?country=FR", "?state=overdue", "?country=DE&state=awaiting-approval",
                                   "?country=JP&state=never-notified", "?country=FR&state=never-notified"])
def test_the_csv_has_the_same_rows_as_the_page_with_the_same_filters(client, registry, query):
    rows = page_rows(client.get(f"/console/secretariat{query}"))
    assert csv_rows(client.get(f"/console/secretariat.csv{query}")) == rows
    if "country=" in query:
        assert {country for _state, country, _section in rows} <= {query.split("country=")[1][:2]}
    if "state=" in query:
        assert {state for state, _country, _section in rows} <= {query.split("state=")[1].split("&")[0]}


def test_the_csv_says_when_a_section_was_confirmed_and_who_submitted_a_draft(client, registry):
    found = list(csv.DictReader(io.StringIO(client.get("/console/secretariat.csv?country=FR&state=overdue").get_data(as_text=True))))
    assert [(row["version"], row["months_since_confirmed"]) for row in found] == [("1", "13")]
    assert found[0]["country_name"] == "France" and found[0]["confirmation_due"].endswith("Z")
    drafted = list(csv.DictReader(io.StringIO(client.get("/console/secretariat.csv?state=awaiting-approval").get_data(as_text=True))))
    assert [row["submitted_by"] for row in drafted] == ["Competent authority of Germany"]


@pytest.mark.parametrize("query", ["?country=XX", "?state=lost"])
def test_an_unknown_filter_is_refused(client, registry, query):
    assert client.get(f"/console/secretariat{query}").status_code == 400
    assert client.get(f"/console/secretariat.csv{query}").status_code == 400


def test_recent_activity_names_authorities_and_actions_never_addresses_or_e_mails(client, registry):
    text = client.get("/console/secretariat").get_data(as_text=True)
    activity = text[text.index('id="activity"'):text.index('id="subscriptions"')]
    assert "Competent authority of France" in activity and "published" in activity
    assert "submitted a draft for approval" in activity
    assert "192.0.2.7" not in text
    assert not any(email in text for email in registry["officers"])


def test_the_secretariat_sets_the_confirmation_cycle(app, client, registry):
    def set_cycle(months: str):
        return client.post("/console/secretariat/cycle", data={"csrf_token": csrf(client.get("/console/secretariat")),
                                                               "months": months})

    assert set_cycle("61").status_code == 302
    assert "from 1 to 60" in client.get("/console/secretariat").get_data(as_text=True)
    set_cycle("24")
    with app.app_context():
        assert reconfirmation.cycle_months() == 24
    assert ("overdue", "FR", "requirements") not in page_rows(client.get("/console/secretariat"))


def test_the_view_reports_subscription_health(client, registry):
    text = client.get("/console/secretariat").get_data(as_text=True)
    assert "Subscription health" in text and 'href="/console/subscriptions"' in text
