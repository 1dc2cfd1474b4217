"""A question between countries in a real browser (Debian's Chromium, over real HTTP): from the public version page to
the console and back, and axe-core on the pages the central page lists cannot hold (a thread, a public thread)."""
import pytest

from registry import accounts, publishing
from registry.publishing import Actor, Precondition

from ..helpers import factories
from ..helpers.browser import WAIT_MS, served
from ..helpers.console import PASSWORD

pytestmark = pytest.mark.browser

SUBJECT = "Rule 2: per trip or per package?"
QUESTION = "Does the 1000 mg threshold count every package a traveller carries together?"
ANSWER = "Every package together."
LOCALES = {"en": "en-GB", "ar": "ar-EG"}


@pytest.fixture
def registry(app):
    """France's requirements in three versions, an officer for Germany and one for France, served over HTTP."""
    with app.app_context():
        for email, country in (("officer@de.example", "DE"), ("officer@fr.example", "FR")):
            accounts.add_account(email, country=country, secretariat=False, password=PASSWORD,
                                 authority_name=f"Competent authority ({country})")
        actor, precondition = Actor(accounts.find_account("officer@fr.example")), Precondition(if_none_match_any=True)
        for days in (30, 45, 60):
            row = publishing.publish(actor, "FR", "requirements", factories.requirements(max_supply_days=days), precondition)
            precondition = Precondition(if_match=frozenset({row.hash}))
    with served(app) as base:
        yield base


def session(browser, base: str, email: str | None, lang: str = "en"):
    """A page of a new browser context, signed in as `email` (or not at all)."""
    context = browser.new_context(locale=LOCALES[lang])
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    if email:
        page.goto(f"{base}/console/login")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        page.locator("#password").press("Enter")
        page.wait_for_load_state()
    return page


def axe_violations(page) -> list[str]:
    """What axe-core finds wrong with the page, the whole page."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [f"{page.url} {rule['id']}: {rule['help']}" for rule in violations]


def test_an_officer_asks_from_the_public_version_page_and_the_answered_thread_becomes_public(browser, registry):
    germany = session(browser, registry, None)
    germany.goto(f"{registry}/countries/FR/requirements/versions/3")
    germany.get_by_role("link", name="For authorities: ask a question about this version").click()
    germany.fill("#email", "officer@de.example")  # signing in keeps the version asked about
    germany.fill("#password", PASSWORD)
    germany.locator("#password").press("Enter")
    germany.wait_for_url(f"{registry}/console/questions/new?country=FR&section=requirements&version=3")
    assert germany.locator("#question-version").input_value() == "3"
    found = axe_violations(germany)
    germany.fill("#question-subject", SUBJECT)
    germany.fill("#question-body", QUESTION)
    germany.get_by_role("button", name="Send the question").click()
    germany.wait_for_url(f"{registry}/console/questions/*")
    thread = germany.url
    assert germany.get_by_text("Your question was sent to France.").is_visible()

    france = session(browser, registry, "officer@fr.example")
    france.goto(f"{registry}/console/questions")
    france.get_by_role("link", name=SUBJECT).click()
    france.fill("#answer-body", ANSWER)
    france.get_by_role("button", name="Send the message").click()
    france.get_by_role("button", name="Make public").click()
    assert france.url == thread
    found += axe_violations(france)

    reader = session(browser, registry, None, "ar")
    reader.goto(f"{registry}/countries/FR/requirements/versions/3")
    thread_shown = reader.locator("article.thread")
    assert SUBJECT in thread_shown.inner_text() and ANSWER in thread_shown.inner_text()
    found += axe_violations(reader)
    arabic_thread = session(browser, registry, "officer@fr.example", "ar")
    arabic_thread.goto(f"{thread}?lang=ar")
    found += axe_violations(arabic_thread)
    assert found == []
