"""An administrator invites an officer in a real browser; the invitation reaches a real SMTP server (aiosmtpd); the
officer chooses a password through its link, signs in, and finds the link no longer works."""
import re

import pytest

from registry import accounts
from registry.db import dispose_engines

from ..helpers.apps import make_app
from ..helpers.browser import WAIT_MS, screenshot, served
from ..helpers.console import PASSWORD

pytestmark = pytest.mark.browser

ADMIN = "chief@fr.example"
INVITED = "new.officer@fr.example"
CHOSEN = "my own password for the registry"


@pytest.fixture
def registry(database_url, smtp):
    """The registry, mailing to `smtp`, with France's administrator, served over HTTP: its base URL."""
    app = make_app(database_url, REGISTRY_SMTP_URL=smtp.url)
    with app.app_context():
        accounts.add_account(ADMIN, country="FR", secretariat=False, password=PASSWORD, admin=True,
                             authority_name="Agence nationale du médicament")
    with served(app) as url:
        app.config["REGISTRY_SERVED_AT"] = url  # as `registry serve` sets it: the links e-mails give
        yield url
    dispose_engines(app)


def axe_violations(page) -> list[str]:
    """What axe-core finds wrong on the whole page (the validators' test does the same for every other page kind)."""
    from axe_playwright_python.sync_playwright import Axe

    return [f"{rule['id']}: {rule['help']}" for rule in Axe().run(page).response["violations"]]


def new_page(browser):
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


def sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/console/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console/FR/")


def test_an_invited_officer_chooses_a_password_through_the_e_mailed_link_once(browser, registry, smtp):
    chief = new_page(browser)
    sign_in(chief, registry, ADMIN, PASSWORD)
    chief.get_by_role("link", name="Accounts").click()
    chief.wait_for_url(f"{registry}/console/people/FR")
    chief.get_by_label("E-mail address").fill(INVITED)
    chief.get_by_role("button", name="Send the invitation").click()
    assert f"An invitation was sent to {INVITED}" in chief.locator("main").inner_text()
    screenshot(chief, "people-invited")

    message = smtp.wait_for(1, INVITED)[0]
    assert "Agence nationale du médicament" in message.get_content()
    link = re.search(rf"{re.escape(registry)}/console/invitation/\S+", message.get_content()).group(0)

    officer = new_page(browser)
    officer.goto(link)
    assert axe_violations(officer) == []
    officer.get_by_label("Password (at least 12 characters)").fill(CHOSEN)
    officer.get_by_label("Password again").fill(CHOSEN)
    officer.get_by_role("button", name="Set the password").click()
    officer.wait_for_url(f"{registry}/console/login")
    assert "Your password is set" in officer.locator("main").inner_text()
    sign_in(officer, registry, INVITED, CHOSEN)

    officer.goto(link)
    assert officer.locator("h1").inner_text() == "This link no longer works"
    assert axe_violations(officer) == []

    chief.reload()
    row = chief.locator("tr", has_text=INVITED)
    assert "active" in row.inner_text() and "not in the last" not in row.inner_text()
