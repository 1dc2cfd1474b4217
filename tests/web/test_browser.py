"""The pages and the console in a real browser: Debian's Chromium, driven by Playwright, over real HTTP.

Screenshots of the main pages are saved as test artifacts (see tests/helpers/browser.py).
"""
import re

import pytest



from ..helpers.browser import PHONE, screenshot
from ..helpers.console import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def registry(served_demo):
    """The registry with its demonstration data and a French officer, over HTTP (tests/conftest.py)."""
    return served_demo


def sign_in(page, registry, email="officer@fr.example", password=PASSWORD):
    page.goto(f"{registry}/console/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_visitor_browses_from_the_overview_to_a_versions_differences_and_switches_to_chinese(page, registry):
    page.goto(registry + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("note").inner_text().startswith("Demonstration data.")
    assert page.locator('svg a[href="/countries/FR"] title').first.text_content().startswith("France:")
    screenshot(page, "overview")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Countries").click()
    page.get_by_role("link", name="France", exact=True).click()
    assert page.url == registry + "/countries/FR"
    assert page.get_by_role("heading", level=1).inner_text().startswith("France")
    screenshot(page, "country")

    page.locator("#requirements details.history summary").click()
    page.locator("#requirements details.history").get_by_role("link", name="version 2").click()
    assert page.url == registry + "/countries/FR/requirements/versions/2"
    assert page.get_by_role("heading", name="What changed in this version").is_visible()
    assert page.locator("ul.changes li").count() >= 1

    page.get_by_role("link", name="中文").click()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.get_by_role("heading", name="本版本的变更").is_visible()
    assert "法国" in page.get_by_role("heading", level=1).inner_text()
    screenshot(page, "version-zh")

    page.get_by_role("link", name="概览").click()  # the choice sticks without ?lang=
    assert page.get_by_role("heading", name="各国已通知的内容").is_visible()


def test_the_overview_is_readable_on_a_phone(browser, registry):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True)
    phone = context.new_page()
    phone.goto(registry + "/countries/FR")
    assert phone.locator("html").get_attribute("lang") == "zh-Hans"  # from Accept-Language
    overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0  # nothing wider than the screen
    screenshot(phone, "country-phone-zh")
    phone.goto(registry + "/")
    screenshot(phone, "overview-phone-zh")
    context.close()


def open_part(page, name: str):
    """One part of the section editor, opened (the editor shows one part at a time)."""
    found = page.locator(f"#part-{name}")
    if found.get_attribute("open") is None:
        found.locator("> summary").click()
    return found


def test_an_authority_edits_previews_publishes_and_finds_the_new_version_on_the_page_and_in_the_feed(page, registry):
    sign_in(page, registry)
    assert page.url == registry + "/console/FR/"
    page.locator(".card", has_text="Documentary requirements").get_by_role("link", name="Edit").click()
    assert page.url == registry + "/console/FR/requirements"

    open_part(page, "supply").get_by_label("Longest supply, in days of treatment").fill("60")
    with page.expect_navigation():  # a server round trip: works without JavaScript
        open_part(page, "rules").get_by_role("button", name="Add a rule").click()
    new_rule = page.get_by_role("group", name=re.compile(r"^Rule \d+$")).last
    new_rule.locator("details.long-list > summary").first.click()
    new_rule.locator("label", has_text=re.compile(r"^\s*Methadone(\s|$)")).first.locator("input").check()
    new_rule.get_by_label("a prescription", exact=True).check()
    new_rule.locator("select[id$='-threshold']").select_option("always")
    screenshot(page, "console-editor")
    page.get_by_role("button", name="Preview the changes").last.click()

    differences = page.locator("section.differences").inner_text()
    assert "Maximum supply (days) changed from 90 to 60." in differences
    assert "Rule added: prescription for methadone, always." in differences
    screenshot(page, "console-preview")
    page.get_by_role("button", name="Publish this version").click()

    assert page.url == registry + "/countries/FR/requirements/versions/4"
    assert page.get_by_role("status").inner_text() == "Version 4 was published."
    page.goto(registry + "/countries/FR")
    requirements = page.locator("#requirements")
    assert "Version 4, published" in requirements.inner_text()
    assert "Up to 60 days of treatment." in requirements.inner_text()
    assert requirements.get_by_role("link", name="Methadone").is_visible()

    feed = page.request.get(registry + "/feeds/countries/FR.atom")
    assert feed.ok
    assert "/countries/FR/requirements/versions/4" in feed.text()


def test_an_authority_cannot_open_another_countrys_editor(page, registry):
    sign_in(page, registry)
    response = page.goto(registry + "/console/DE/requirements")
    assert response.status == 403
    assert "This account may edit only the notification of France." in page.content()
    assert response.headers["content-security-policy"].startswith("default-src 'self'")


def test_a_form_posted_without_its_csrf_token_is_refused(page, registry):
    page.goto(registry + "/console/login")
    page.locator('input[name="csrf_token"]').evaluate("input => input.remove()")
    page.get_by_label("E-mail address").fill("officer@fr.example")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Sign in").click()
    assert navigation.value.status == 400
    assert "CSRF" in page.content()
    assert page.goto(registry + "/console/FR/").url.startswith(registry + "/console/login")


def test_a_script_in_a_notified_field_is_shown_as_text_and_never_run(page, registry):
    sign_in(page, registry)
    page.goto(registry + "/console/FR/import-bans")
    open_part(page, "general").get_by_label("In force from").fill("2026-01-01")
    with page.expect_navigation():
        open_part(page, "bans").get_by_role("button", name="Add a ban").click()
    ban = page.locator("fieldset.row-block").last
    ban.locator("select[id$='-substance']").select_option("phenobarbital")
    ban.get_by_label("Banned since").fill("2024-01-01")
    ban.get_by_label("Region").fill("<script>window.ran = true</script>")
    ban.locator("[id$='-special_licence']").get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Preview the changes").last.click()
    assert page.evaluate("window.ran === undefined")
    page.get_by_role("button", name="Publish version 1").click()

    page.goto(registry + "/import-bans")
    assert page.evaluate("window.ran === undefined")
    assert page.get_by_text("<script>window.ran = true</script>").is_visible()


def test_the_pages_can_be_used_with_the_keyboard(page, registry):
    page.goto(registry + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    page.keyboard.press("Enter")
    page.goto(registry + "/console/login")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'email'")  # autofocus
    page.keyboard.type("officer@fr.example")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(registry + "/console/FR/")
