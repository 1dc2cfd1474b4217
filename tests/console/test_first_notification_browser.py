"""A first notification of all three sections through the console alone, in a real browser (Debian's Chromium, over
real HTTP): every code — schedule classes, substances, document kinds, roles, languages, a country — is chosen from
a list by its name, and nothing typed is a code; then the public pages and the API show the three versions.

With a script the long lists narrow as one types and the parts stay open from page to page; without one, the same
notification is made from the same lists."""
import re

import pytest

from registry import accounts, history, reference
from registry.documents import AUTHORITY_ROLES, DOCUMENT_KINDS, SECTIONS

from ..helpers.browser import DESKTOP, WAIT_MS, screenshot
from ..helpers.console import PASSWORD

pytestmark = pytest.mark.browser

COUNTRY = "KE"  # Kenya notified nothing in the demonstration data; its languages are Swahili and English
OFFICER = "officer@ke.example"
# Everything an officer would have had to type before: no value typed in this test may be one of them.
CODES = {code.casefold() for code in (*reference.SCHEDULE_CLASSES, *DOCUMENT_KINDS, *AUTHORITY_ROLES, *reference.languages(),
                                      *reference.countries(), *reference.substances())}


@pytest.fixture
def kenya(app, served_demo):
    """The registry with its demonstration data and an officer of Kenya, which has notified nothing."""
    with app.app_context():
        accounts.add_account(OFFICER, country=COUNTRY, secretariat=False, password=PASSWORD)
        assert all(history.current(COUNTRY, section) is None for section in SECTIONS)
    return served_demo


@pytest.fixture(params=[True, False], ids=["with-javascript", "without-javascript"])
def officer(request, browser, kenya):
    """Kenya's officer, signed in, in a browser with or without JavaScript."""
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", java_script_enabled=request.param)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(f"{kenya}/console/login")
    write(page.locator("#email"), OFFICER)
    write(page.locator("#password"), PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(f"{kenya}/console/{COUNTRY}/")
    yield page
    context.close()


def write(field, text: str) -> None:
    """Type into a field what an officer knows (a date, a number, a name, an address), never a code."""
    assert text.strip().casefold() not in CODES, f"{text!r} is a code: it must be chosen from a list"
    field.fill(text)


def part(page, name: str):
    """A part of the editor, opened."""
    found = page.locator(f"#part-{name}")
    if found.get_attribute("open") is None:
        found.locator("> summary").click()
    return found


def send(page, button: str, within=None) -> None:
    """Press one of the editor's buttons that send the form (add a row, preview), and wait for the answer."""
    with page.expect_navigation():
        (within or page).get_by_role("button", name=button, exact=True).last.click()


def tick(field, name: str) -> None:
    """Tick a class, substance or language by its name, in the lists of one field: the long list is opened, and
    narrowed by the name where a script lets one type in its box."""
    label = field.locator("label", has_text=re.compile(rf"^\s*{re.escape(name)}(\s|$)"))
    if label.count() == 0 or not label.first.is_visible():
        field.locator("details.long-list > summary").click()
        finder = field.locator(".finder input")
        if finder.is_visible():
            write(finder, name[:5].lower())
    label.first.locator("input").check()


def choose(select, name: str) -> None:
    """Choose an entry of a list by the name it shows (a substance's name is followed by its schedules)."""
    labels = [" ".join(text.split()) for text in select.locator("option").all_text_contents()]
    select.select_option(label=next(label for label in labels if label == name or label.startswith(f"{name} — ")))


def publish(page) -> int:
    """Preview what was filled in, then publish it: the version's number."""
    send(page, "Preview the changes")
    assert page.locator("h1").inner_text().startswith("Preview"), page.locator("#error-summary").all_inner_texts()
    with page.expect_navigation():
        page.get_by_role("button", name="Publish version 1").click()
    return int(re.search(r"/versions/([0-9]+)$", page.url).group(1))


def start(page, base: str, section: str) -> None:
    """From the country's console page, open a section's editor, which offers a first publication."""
    page.goto(f"{base}/console/{COUNTRY}/")
    page.locator(f"a[href='/console/{COUNTRY}/{section}']").first.click()
    assert "this will be version 1" in page.locator(".lead").inner_text()


def fill_requirements(page) -> None:
    general = part(page, "general")
    write(general.locator("#f-effective_from"), "2026-03-01")
    general.locator("#f-travellers_allowed").select_option(label="restricted")

    part(page, "rules")
    send(page, "Add a rule")
    rule = part(page, "rules").locator("#f-rules-0")
    tick(rule.locator("#f-rules-0-applies_to"), "Schedule II of the 1971 Convention")
    tick(rule.locator("#f-rules-0-applies_to"), "Morphine")
    rule.get_by_label("a prescription").check()
    rule.get_by_label("a certificate from the authority of the country of departure (Annex I)").check()
    rule.locator("#f-rules-0-threshold").select_option(label="above the guideline amount (Annex II/III)")
    send(page, "Add a rule")
    rule = part(page, "rules").locator("#f-rules-1")
    tick(rule.locator("#f-rules-1-applies_to"), "Methylphenidate")
    rule.get_by_label("an import permit issued in advance by this country").check()
    rule.locator("#f-rules-1-threshold").select_option(label="always")
    write(rule.locator("#f-rules-1-permit_lead_days"), "14")

    supply = part(page, "supply")
    write(supply.locator("#f-max_supply_days"), "30")
    send(page, "Add a supply exception")
    exception = part(page, "supply").locator("#f-supply_exceptions-0")
    tick(exception.locator("#f-supply_exceptions-0-substances"), "Phenobarbital")
    write(exception.locator("#f-supply_exceptions-0-max_supply_days"), "90")
    send(page, "Add a language", within=exception)
    exception = part(page, "supply").locator("#f-supply_exceptions-0")
    choose(exception.locator("#f-supply_exceptions-0-reason-0-lang"), "English")
    write(exception.locator("#f-supply_exceptions-0-reason-0-text"), "For epilepsy, a treatment of three months.")

    languages = part(page, "languages")
    tick(languages.locator("#f-document_languages"), "Swahili")
    tick(languages.locator("#f-document_languages"), "English")
    languages.locator("#f-translation_required").get_by_label("Yes", exact=True).check()

    customs = part(page, "customs")
    customs.locator("#f-customs-declare_on_entry").get_by_label("Yes", exact=True).check()
    customs.locator("#f-customs-endorsement").get_by_label("No", exact=True).check()
    customs.locator("#f-customs-show_on_request").get_by_label("Yes", exact=True).check()

    part(page, "transit").locator("#f-transit").select_option(label="same documents as for entry")
    part(page, "continuity").locator("#f-treatment_continuity-extension_possible").get_by_label("No", exact=True).check()


def fill_authorities(page) -> None:
    write(part(page, "general").locator("#f-effective_from"), "2026-03-01")
    send(page, "Add an authority")
    authority = part(page, "authority-0")
    write(authority.locator("#f-authorities-0-name"), "Pharmacy and Poisons Board")
    authority.get_by_label("issues import permits to incoming travellers").check()
    authority.get_by_label("issues certificates to residents who travel").check()
    write(authority.locator("#f-authorities-0-address-lines-0"), "Lenana Road")
    write(authority.locator("#f-authorities-0-address-postal_code"), "00200")
    write(authority.locator("#f-authorities-0-address-city"), "Nairobi")
    choose(authority.locator("#f-authorities-0-address-country"), "Kenya")
    write(authority.locator("#f-authorities-0-phone"), "+254 20 3562107")
    write(authority.locator("#f-authorities-0-email"), "info@pharmacyboard.example")
    tick(authority.locator("#f-authorities-0-languages"), "English")
    tick(authority.locator("#f-authorities-0-languages"), "Swahili")


def fill_import_bans(page) -> None:
    write(part(page, "general").locator("#f-effective_from"), "2026-03-01")
    part(page, "bans")
    send(page, "Add a ban")
    ban = part(page, "bans").locator("#f-bans-0")
    finder = ban.locator(".finder input")
    if finder.is_visible():
        write(finder, "amfet")
    choose(ban.locator("#f-bans-0-substance"), "Amfetamine")
    write(ban.locator("#f-bans-0-since"), "2019-05-01")
    ban.locator("#f-bans-0-special_licence").get_by_label("Yes", exact=True).check()


FILL = {"requirements": fill_requirements, "authorities": fill_authorities, "import-bans": fill_import_bans}


def test_a_first_notification_of_every_section_is_chosen_from_lists_without_a_code(officer, kenya, request):
    page = officer
    for section in SECTIONS:
        start(page, kenya, section)
        FILL[section](page)
        screenshot(page, f"first-notification-{section}-{request.node.callspec.id}")
        assert publish(page) == 1
        assert "Version 1 was published." in page.locator("main").inner_text()

    requirements = page.request.get(f"{kenya}/api/v1/countries/{COUNTRY}/requirements").json()
    assert requirements["meta"]["version"] == 1
    document = requirements["document"]
    assert [rule["applies_to"] for rule in document["rules"]] == [["1971-II", "morphine"], ["methylphenidate"]]
    assert [rule["documents"] for rule in document["rules"]] == [["prescription", "certificate"], ["import-permit"]]
    assert document["rules"][1]["permit_lead_days"] == 14
    assert document["supply_exceptions"] == [{"substances": ["phenobarbital"], "max_supply_days": 90,
                                              "reason": {"en": "For epilepsy, a treatment of three months."}}]
    assert document["document_languages"] == ["sw", "en"]
    authorities = page.request.get(f"{kenya}/api/v1/countries/{COUNTRY}/authorities").json()["document"]["authorities"]
    assert authorities[0]["roles"] == ["permits", "certificates"]
    assert authorities[0]["address"]["country"] == COUNTRY and authorities[0]["languages"] == ["sw", "en"]
    bans = page.request.get(f"{kenya}/api/v1/countries/{COUNTRY}/import-bans").json()["document"]["bans"]
    assert bans == [{"substance": "amfetamine", "since": "2019-05-01", "special_licence": True}]

    page.goto(f"{kenya}/countries/{COUNTRY}")
    public = page.locator("main").inner_text()
    assert "Pharmacy and Poisons Board" in public and "Amfetamine" in public and "Methylphenidate" in public
    for section in SECTIONS:
        assert page.request.get(f"{kenya}/countries/{COUNTRY}/{section}/versions/1").status == 200
