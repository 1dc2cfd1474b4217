"""Asking for e-mail alerts in a real browser: the /subscribe form filled in Chromium, the "check your mail" page,
and the confirmation link opened and confirmed, with the message caught by an SMTP server on 127.0.0.1."""
import email
import email.policy
import re
import threading
import time

import pytest
from aiosmtpd.controller import Controller

from ..helpers.browser import screenshot, served
from ..helpers.servers import free_port

pytestmark = pytest.mark.browser

ADDRESS = "travel.clinic@example.org"
WAIT_S = 15


class Inbox:
    """The messages an SMTP server (aiosmtpd) accepted, as EmailMessage."""

    def __init__(self):
        self.messages, self.lock = [], threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 2.0.0 Accepted"

    def message(self, number: int):
        """The number-th message (from 1), once it has arrived."""
        deadline = time.monotonic() + WAIT_S
        while len(self.messages) < number:
            assert time.monotonic() < deadline, f"message {number} did not arrive"
            time.sleep(0.05)
        return self.messages[number - 1]


@pytest.fixture
def inbox():
    kept = Inbox()
    controller = Controller(kept, hostname="127.0.0.1", port=free_port())
    controller.start()
    kept.url = f"smtp://127.0.0.1:{controller.port}"
    yield kept
    controller.stop()


@pytest.fixture
def registry(app, inbox):
    app.config["REGISTRY_SMTP_URL"] = inbox.url
    with served(app) as url:
        app.config["REGISTRY_BASE_URL"] = url  # the links in the messages lead to this server
        yield url


def test_a_visitor_asks_for_alerts_confirms_them_from_the_message_and_sees_them_started(page, registry, inbox):
    page.goto(registry + "/")
    page.get_by_role("link", name="E-mail alerts").click()
    page.get_by_label("E-mail address").fill(ADDRESS)
    page.get_by_text("Choose countries").click()
    page.get_by_label("France", exact=True).check()
    page.get_by_label("Japan", exact=True).check()
    page.get_by_label("Import bans (article 13)").check()
    page.get_by_label("Substance 1", exact=True).fill("哌甲酯")  # methylphenidate, by its Chinese name
    page.get_by_role("button", name="Add another substance").click()  # a server round trip that keeps what was filled
    assert page.get_by_label("France", exact=True).is_checked()
    page.get_by_label("Substance 2", exact=True).fill("morphine")
    page.get_by_label("Language of the messages").select_option("fr")
    page.get_by_label("A daily digest, at 06:00 UTC").check()
    screenshot(page, "subscribe-form")
    page.get_by_role("button", name="Subscribe", exact=True).click()

    page.wait_for_url(registry + "/subscribe/sent")
    assert page.get_by_role("heading", level=1).inner_text() == "Check your mail"
    assert ADDRESS not in page.content()

    message = inbox.message(1)
    assert message["To"] == ADDRESS and message["Content-Language"] == "fr"
    text = message.get_body(("plain",)).get_content()
    confirm = re.search(rf"{re.escape(registry)}/subscriptions/confirm\?\S+", text).group(0)
    page.goto(confirm)  # in French, as chosen for the messages
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "Japon" in page.locator("main").inner_text()
    page.locator("main button.primary").click()
    manage = page.locator("main").get_by_role("link").first.get_attribute("href")
    assert manage.startswith("/subscriptions/manage?token=")
    screenshot(page, "subscribe-confirmed")


def test_the_pages_a_subscribers_links_open_have_no_axe_core_violation(browser, registry, inbox):
    """/subscribe is in the pages every validator visits (tests/helpers/pages.py); these need a token."""
    from axe_playwright_python.sync_playwright import Axe

    axe, found = Axe(), {}
    for number, (lang, locale) in enumerate((("en", "en-GB"), ("ar", "ar-EG"), ("zh", "zh-CN")), start=1):
        context = browser.new_context(locale=locale)
        page = context.new_page()
        page.goto(f"{registry}/subscribe?lang={lang}")
        page.fill("#f-address", f"{lang}.clinic@example.org")
        page.locator("form.subscribe-form button.primary").click()
        page.wait_for_url(registry + "/subscribe/sent")
        confirm = re.search(rf"{re.escape(registry)}/subscriptions/confirm\?\S+",
                            inbox.message(number).get_body(("plain",)).get_content()).group(0)
        token = re.search(r"token=([^&]+)", confirm).group(1)
        visits = [("confirm", lambda: page.goto(confirm)),
                  ("confirmed", lambda: page.locator("main button.primary").click()),
                  ("manage", lambda: page.goto(f"{registry}/subscriptions/manage?token={token}")),
                  ("unsubscribe", lambda: page.goto(f"{registry}/subscriptions/unsubscribe?token={token}")),
                  ("unsubscribed", lambda: page.locator("main button.danger").click())]
        for name, visit in visits:
            visit()
            page.wait_for_load_state()
            found[f"{lang} {name}"] = [f"{rule['id']}: {rule['help']} ({len(rule['nodes'])})"
                                       for rule in axe.run(page).response["violations"]]
        context.close()
    assert {visit: problems for visit, problems in found.items() if problems} == {}
