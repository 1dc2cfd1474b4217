"""Drafts and a second pair of eyes acted out in a real browser (Debian's Chromium, over real HTTP): an officer drafts
over two sessions and submits, self-approval is refused, a colleague returns the draft with a comment, the officer
changes it and submits again, the colleague approves, and the version names its approver on its page and in the API."""
import re

import pytest

from registry import accounts

from ..helpers.browser import screenshot
from ..helpers.console import PASSWORD
from ..helpers.pages import OFFICER

pytestmark = pytest.mark.browser

COLLEAGUE, CHIEF = "colleague@fr.example", "chief@fr.example"
APPROVER = "Direction générale de la santé"
LOCALES = {"en": "en-GB", "ar": "ar-EG", "zh": "zh-CN"}


@pytest.fixture
def registry(app, served_demo):
    """The demonstration data over HTTP, its French officer, a colleague (another authority name) and the administrator."""
    with app.app_context():
        accounts.add_account(COLLEAGUE, country="FR", secretariat=False, password=PASSWORD, authority_name=APPROVER)
        accounts.add_account(CHIEF, country="FR", secretariat=False, password=PASSWORD, admin=True)
    return served_demo


@pytest.fixture
def session(browser, registry):
    """session(email) -> a page signed in as that account, in a browser context of its own (a session of its own)."""
    contexts = []

    def open_session(email: str, locale: str = "en-GB"):
        context = browser.new_context(locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{registry}/console/login")
        page.fill("#email", email)  # by id: the labels are in the page's language
        page.fill("#password", PASSWORD)
        page.locator("#password").press("Enter")
        page.wait_for_url(f"{registry}/console/FR/")
        return page

    yield open_session
    for context in contexts:
        context.close()


def main_text(page) -> str:
    return " ".join(page.locator("main").inner_text().split())


def set_supply(page, days: str) -> None:
    """Type the longest supply into the requirements editor, whichever of its parts are open."""
    page.evaluate("document.querySelectorAll('details').forEach(part => part.open = true)")
    page.fill("#f-max_supply_days", days)


def sign_out(page, registry: str) -> None:
    page.goto(f"{registry}/console/account")  # the editor has no account bar
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url(re.compile(r".*/console/login$"))


def test_a_draft_over_two_sessions_is_returned_then_approved_and_names_its_approver(registry, session):
    chief = session(CHIEF)
    chief.get_by_role("button", name="Require approval by a second account").click()
    assert "needs the approval of a second account" in main_text(chief)

    first = session(OFFICER)  # the first day: a draft, then home
    first.goto(f"{registry}/console/FR/requirements")
    set_supply(first, "75")
    first.get_by_role("button", name="Save draft").click()
    assert "The draft is saved." in main_text(first)
    assert f"This is the draft saved by {OFFICER}" in main_text(first)
    sign_out(first, registry)

    second = session(OFFICER)  # the next day: the draft is there
    second.get_by_role("link", name="Continue the draft").click()
    assert second.locator("#f-max_supply_days").input_value() == "75"
    assert "Maximum supply (days) changed from" in main_text(second) and "to 75." in main_text(second)
    set_supply(second, "80")
    second.get_by_role("button", name="Preview the changes").last.click()
    assert second.get_by_role("button", name="Publish this version").count() == 0
    second.get_by_role("button", name="Submit for approval").click()
    second.wait_for_url(f"{registry}/console/FR/requirements/draft")
    assert f"Submitted for approval by {OFFICER}" in main_text(second)
    assert second.get_by_role("button", name="Approve and publish").count() == 0  # nobody approves their own draft
    token = second.locator("input[name=csrf_token]").first.get_attribute("value")
    forged = second.request.post(f"{registry}/console/FR/requirements/draft/approve", form={"csrf_token": token})
    assert forged.status == 403 and "Nobody may approve or return their own draft" in forged.text()

    colleague = session(COLLEAGUE)
    awaiting = colleague.get_by_role("region", name="Awaiting your approval")
    assert f"submitted by {OFFICER}" in awaiting.inner_text()
    awaiting.get_by_role("link", name="Requirements").click()
    assert "Maximum supply (days) changed from" in main_text(colleague) and "to 80." in main_text(colleague)
    screenshot(colleague, "draft-review")
    colleague.get_by_label("What should change").fill("Eighty days is more than the decree allows: check article 4.")
    colleague.get_by_role("button", name="Return with this comment").click()
    assert "The draft is returned with your comment" in main_text(colleague)

    second.goto(f"{registry}/console/FR/")
    assert "returned with a comment" in main_text(second)
    second.get_by_role("link", name="Continue the draft").click()
    assert f"Returned by {COLLEAGUE}" in main_text(second)
    assert "Eighty days is more than the decree allows: check article 4." in main_text(second)
    set_supply(second, "60")
    second.get_by_role("button", name="Preview the changes").last.click()
    second.get_by_role("button", name="Submit for approval").click()

    colleague.goto(f"{registry}/console/FR/requirements/draft")
    colleague.get_by_role("button", name="Approve and publish").click()
    colleague.wait_for_url(re.compile(r".*/countries/FR/requirements/versions/\d+$"))
    assert f"Approved by {APPROVER}" in main_text(colleague)
    number = colleague.url.rsplit("/", 1)[1]
    meta = colleague.request.get(f"{registry}/api/v1/countries/FR/requirements/versions/{number}").json()["meta"]
    assert meta["approved_by"] == APPROVER and meta["published_by"] == "Competent authority of France"
    assert colleague.request.get(f"{registry}/api/v1/countries/FR/requirements").json()["document"]["max_supply_days"] == 60


def test_the_draft_pages_have_no_axe_core_violation(registry, session):
    """The validators' page lists (tests/helpers/pages.py) hold no draft; these pages need one."""
    from axe_playwright_python.sync_playwright import Axe

    axe, found = Axe(), {}
    for lang, locale in LOCALES.items():
        chief = session(CHIEF, locale)
        chief.goto(f"{registry}/console/FR/?lang={lang}")
        if chief.locator("form[action$='/approval'] input[name=required][value=yes]").count():
            chief.locator("form[action$='/approval'] button").click()
        officer = session(OFFICER, locale)
        officer.goto(f"{registry}/console/FR/requirements")
        set_supply(officer, "75")
        officer.locator("button[value=save-draft]").click()
        visits = [("editor with a draft", officer, None),
                  ("draft page", officer, f"{registry}/console/FR/requirements/draft"),
                  ("draft submitted", officer, "submit"),
                  ("country awaiting approval", chief, f"{registry}/console/FR/"),
                  ("draft to review", chief, f"{registry}/console/FR/requirements/draft")]
        for name, page, visit in visits:
            if visit == "submit":
                page.locator("form[action$='/draft/submit'] button").click()
            elif visit:
                page.goto(visit)
            page.wait_for_load_state()
            found[f"{lang} {name}"] = [f"{rule['id']}: {rule['help']} ({len(rule['nodes'])})"
                                       for rule in axe.run(page).response["violations"]]
        chief.locator("form[action$='/draft/return'] textarea").fill("…")
        chief.locator("form[action$='/draft/return'] button").click()
        officer.goto(f"{registry}/console/FR/requirements")
        found[f"{lang} returned draft"] = [f"{rule['id']}: {rule['help']} ({len(rule['nodes'])})"
                                           for rule in axe.run(officer).response["violations"]]
        officer.locator("form[action$='/draft/discard'] button").click()
    assert {visit: problems for visit, problems in found.items() if problems} == {}
