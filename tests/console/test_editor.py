"""The section editors an officer masters in five minutes: parts opened one at a time, each saying in one line what it
is for, with an example; every code — a schedule class, a substance, a document kind, a role, a language, a country —
chosen by its name from a list in the officer's language, never typed (registry/console/forms.py, wording.py,
templates/console/edit_*.html)."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import lxml.html
import pytest
from werkzeug.datastructures import MultiDict

from registry import i18n, reference
from registry.cli import demo
from registry.console import forms, wording
from registry.documents import SECTIONS

from ..helpers import ROOT, factories
from ..helpers.apps import need
from ..helpers.browser import DESKTOP, WAIT_MS, served
from ..helpers.console import PASSWORD, editor_post, sign_in

# What an officer types: dates, numbers, names, addresses, texts. Everything else is ticked or chosen.
TYPED = {"effective_from", "max_supply_days", "threshold_mg", "threshold_days", "permit_lead_days", "title", "url", "date",
         "name", "lines", "postal_code", "city", "phone", "fax", "email", "website", "since", "region", "reference", "text"}
TYPES = {"text", "search", "date", "tel", "email", "url", "number", ""}  # <input> types one types into
PARTS = {"requirements": ["general", "rules", "supply", "languages", "customs", "transit", "continuity", "notes"],
         "authorities": ["general", "authority-0"], "import-bans": ["general", "bans"]}
ROWS = {"requirements": ["rules", "supply_exceptions", "legal_basis", "notes"], "authorities": ["authorities"], "import-bans": ["bans"]}
VNU_JAR = Path(os.environ.get("REGISTRY_VNU_JAR") or ROOT / ".venv/vnu/node_modules/vnu-jar/build/dist/vnu.jar")


@pytest.fixture
def officer_client(client, officer):
    """A client signed in as an officer of Kenya, which has notified nothing."""
    sign_in(client, officer("KE"))
    return client


def page(response) -> lxml.html.HtmlElement:
    assert response.status_code in (200, 422), response.status_code
    return lxml.html.fromstring(response.get_data(as_text=True))


def with_a_row_of_everything(client, section: str):
    """The editor of a section with nothing in it, after adding one row to each of its lists, as the officer would."""
    document = {}
    for path in ROWS[section]:
        answer = editor_post(client, "KE", section, document, action=f"add:{path}")
        document = posted_document(section, answer)
    return answer


def posted_document(section: str, answer) -> dict:
    """The document a page's editor would send as it stands (checked boxes, chosen options, filled fields)."""
    return forms.from_form(section, MultiDict(fields_of(page(answer)))).document() or {}


def fields_of(root) -> list[tuple[str, str]]:
    """What the editor's form sends as it stands, as a browser would."""
    sent = []
    for element in root.xpath('//form[@id="editor"]//*[self::input or self::select or self::textarea][@name]'):
        kind = element.get("type", "")
        if element.tag == "select":
            chosen = element.xpath(".//option[@selected]") or element.xpath(".//option")[:1]
            sent += [(element.get("name"), option.get("value")) for option in chosen]
        elif kind in ("checkbox", "radio"):
            if element.get("checked") is not None:
                sent.append((element.get("name"), element.get("value")))
        elif kind not in ("submit", "button"):
            sent.append((element.get("name"), element.text or "" if element.tag == "textarea" else element.get("value", "")))
    return sent


def field_name(name: str) -> str:
    """A posted name's field, without its rows: rules.0.notes.1.text → text, authorities.0.address.lines.2 → lines."""
    return [part for part in name.split(".") if not part.isdigit()][-1]


@pytest.mark.parametrize("section", SECTIONS)
def test_nothing_an_officer_types_is_a_code(officer_client, section):
    root = page(with_a_row_of_everything(officer_client, section))
    form = root.get_element_by_id("editor")
    typed = {element.get("name") for element in form.xpath(".//input[@name] | .//textarea[@name]")
             if element.tag == "textarea" or element.get("type", "") in TYPES}
    assert typed and {field_name(name) for name in typed} <= TYPED, sorted(typed)
    chosen = {element.get("name") for element in form.xpath(".//select[@name] | .//input[@type='checkbox' or @type='radio']")}
    codes = {"requirements": {"rules.0.applies_to", "rules.0.documents", "rules.0.threshold", "supply_exceptions.0.substances",
                              "document_languages", "notes.0.lang", "travellers_allowed", "transit"},
             "authorities": {"authorities.0.roles", "authorities.0.languages", "authorities.0.address.country"},
             "import-bans": {"bans.0.substance", "bans.0.special_licence"}}[section]
    assert codes <= chosen


def labels(root, field: str) -> dict[str, str]:
    """A list's boxes or options: the value each sends, and the name it shows."""
    found = {}
    for label in root.xpath(f'//*[@id="{field}"]//label[input]'):
        found[label.xpath("input")[0].get("value")] = " ".join(label.text_content().split())
    for option in root.xpath(f'//*[@id="{field}"]//option'):
        found[option.get("value")] = " ".join(option.text_content().split())
    return found


def words(app, lang: str, words_of) -> str:
    with app.test_request_context(f"/?lang={lang}"):
        return str(words_of())


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_lists_name_every_code_in_the_officers_language(app, officer_client, lang):
    officer_client.get(f"/?lang={lang}")
    requirements = page(with_a_row_of_everything(officer_client, "requirements"))
    rule = labels(requirements, "f-rules-0-applies_to")
    for code in reference.SCHEDULE_CLASSES:
        assert rule[code].startswith(words(app, lang, lambda: wording.CLASS_NAMES[code]) + " "), rule[code]
    methylphenidate = reference.substance("methylphenidate")
    assert rule["methylphenidate"].startswith(methylphenidate.name(lang) + " ")
    assert words(app, lang, lambda: i18n.SCHEDULE_CLASS_SHORT_LABELS["1971-II"]) in rule["methylphenidate"]
    documents = labels(requirements, "f-rules-0-documents")
    assert documents == {kind: words(app, lang, lambda: label) for kind, label in i18n.DOCUMENT_KIND_LABELS.items()}
    named = {code: words(app, lang, lambda: wording.Choices("KE").language(code).label) for code in ("sw", "en", "fr", "zh", "ja")}
    assert named["fr"] == {"en": "French", "fr": "Français", "zh": "法语", "ar": "الفرنسية", "ru": "Французский", "es": "Francés"}[lang]
    for field in ("f-document_languages", "f-notes-0-lang"):
        offered = labels(requirements, field)
        assert {code: offered[code] for code in named} == named, field

    authorities = page(with_a_row_of_everything(officer_client, "authorities"))
    countries = labels(authorities, "f-authorities-0-address-country")
    assert countries["DE"] == reference.country("DE").name(lang) and countries["KE"] == reference.country("KE").name(lang)
    roles = labels(authorities, "f-authorities-0-roles")
    assert roles == {role: words(app, lang, lambda: label) for role, label in i18n.ROLE_LABELS.items()}
    assert labels(authorities, "f-authorities-0-languages")["sw"] == named["sw"]

    bans = labels(page(with_a_row_of_everything(officer_client, "import-bans")), "f-bans-0-substance")
    assert bans["methylphenidate"].startswith(methylphenidate.name(lang) + " — ")


def editor_words(root) -> list[str]:
    """The editor's own words: parts (title, explanation, example), lists' headings, and the classes' names."""
    found = root.xpath('//details[@class="part"]/summary//text() | //p[@class="example"]/text()'
                       ' | //fieldset[@class="options"]/legend/text() | //details[@class="long-list"]/summary/text()'
                       ' | //div[@class="finder"]/label/text()')
    return [text.strip() for text in found if text.strip()]


@pytest.mark.parametrize("lang", [lang for lang in i18n.LANGUAGES if lang != "en"])
def test_the_editors_words_are_translated(officer_client, lang):
    """Passes once the PO fragments of the editor are merged into the catalogues."""
    for section in SECTIONS:
        officer_client.get("/?lang=en")
        english = editor_words(page(with_a_row_of_everything(officer_client, section)))
        officer_client.get(f"/?lang={lang}")
        translated = editor_words(page(with_a_row_of_everything(officer_client, section)))
        assert len(translated) == len(english)
        # A word may be the same in both ("Transit"); a sentence is not.
        same = [text for text, source in zip(translated, english) if text == source and re.search("[a-z]{3} [a-z]", text)]
        assert same == [], f"{lang} {section}: not translated"


@pytest.mark.parametrize("section", SECTIONS)
def test_every_part_says_what_it_is_for_with_an_example_and_opens_on_its_own(officer_client, section):
    root = page(with_a_row_of_everything(officer_client, section))
    parts = root.xpath('//form[@id="editor"]//details[@class="part"]')
    assert [part.get("id") for part in parts] == [f"part-{name}" for name in PARTS[section]]
    for part in parts:
        assert part.xpath('summary/span[@class="part-title"]')[0].text_content().strip()
        assert part.xpath('summary/span[@class="part-explanation"]')[0].text_content().strip().endswith(".")
        assert part.xpath('.//p[@class="example"]')[0].text_content().startswith("Example: ")

    closed = page(officer_client.get(f"/console/KE/{section}"))
    assert closed.xpath('//details[@class="part"]') and not closed.xpath('//details[@class="part"][@open]')


def opened(root) -> list[str]:
    return [part.get("id").removeprefix("part-") for part in root.xpath('//details[@class="part"][@open]')]


def test_a_part_opens_where_a_problem_lies_where_a_row_was_added_and_where_it_was_open(officer_client):
    document = factories.requirements()
    document["rules"][0]["applies_to"].append("not-a-substance")
    document["customs"].pop("endorsement")
    refused = page(editor_post(officer_client, "KE", "requirements", document))
    assert opened(refused) == ["rules", "customs"]
    assert refused.get_element_by_id("f-rules-0-applies_to-2").get("aria-invalid") == "true"  # the summary's link lands on it

    assert opened(page(editor_post(officer_client, "KE", "requirements", factories.requirements(), action="add:legal_basis"))) == ["notes"]
    removed = editor_post(officer_client, "KE", "requirements", factories.requirements(), action="remove:supply_exceptions.0.reason.0")
    assert opened(page(removed)) == ["supply"]

    form = editor_post(officer_client, "KE", "authorities", factories.authorities(), action="add:authorities")
    assert opened(page(form)) == [f"authority-{len(factories.authorities()['authorities'])}"]

    kept = MultiDict(fields_of(page(officer_client.get("/console/KE/import-bans"))))
    kept.setlist("open_parts", ["general bans"])
    kept["action"] = "add:bans"
    assert opened(page(officer_client.post("/console/KE/import-bans", data=kept))) == ["general", "bans"]


def test_ticked_values_keep_the_documents_order_and_are_not_offered_twice(officer_client):
    rule = factories.rule(applies_to=["methylphenidate", "1961-I"])
    root = page(editor_post(officer_client, "KE", "requirements", factories.requirements(rules=[rule]), action="add:rules"))
    ticked = root.xpath('//*[@id="f-rules-0-applies_to"]//ul[@class="ticked"]//input')
    assert [(box.get("value"), box.get("checked") is not None) for box in ticked] == [("methylphenidate", True), ("1961-I", True)]
    offered = [box.get("value") for box in root.xpath('//*[@id="f-rules-0-applies_to"]//input[not(@checked)]')]
    assert "methylphenidate" not in offered and "1961-I" not in offered and "1961-II" in offered and "morphine" in offered

    posted = MultiDict([("rules.0.applies_to", "Methylphenidate"), ("rules.0.applies_to", "1961-i"), ("rules.0.applies_to", " ")])
    assert forms.from_form("requirements", posted).document()["rules"][0]["applies_to"] == ["methylphenidate", "1961-I"]


def test_a_value_that_is_none_of_the_choices_stays_chosen_beside_its_problem(officer_client):
    authorities = factories.authorities()
    authorities["authorities"][0]["address"]["country"] = "XX"
    authorities["authorities"][0]["languages"] = ["fr", "french"]
    root = page(editor_post(officer_client, "KE", "authorities", authorities))
    assert root.xpath('//select[@id="f-authorities-0-address-country"]/option[@selected]/@value') == ["XX"]
    assert labels(root, "f-authorities-0-languages")["french"] == "french"
    assert "“french” is not a language code" in root.get_element_by_id("f-authorities-0-languages").text_content()

    bans = factories.import_bans(bans=[factories.ban(substance="morphine")])
    chosen = page(editor_post(officer_client, "KE", "import-bans", bans)).xpath('//select[@id="f-bans-0-substance"]/option[@selected]')
    assert [(option.get("value"), option.text_content()) for option in chosen] == [("morphine", "Morphine")]


# -- in a real browser -------------------------------------------------------------------------------------------------

@pytest.fixture
def demo_served(app):
    """The demonstration data, and an officer of France, over HTTP."""
    from registry import accounts

    from ..helpers.pages import OFFICER

    with app.app_context():
        demo.load()
        accounts.add_account(OFFICER, country="FR", secretariat=False, password=PASSWORD)
    with served(app) as base:
        yield base


@pytest.fixture
def officer_tab(browser, demo_served):
    """A browser tab signed in to the demonstration registry's console as France's officer."""
    from ..helpers.pages import sign_in as sign_in_page

    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    sign_in_page(tab, demo_served, PASSWORD)
    yield tab
    context.close()


@pytest.mark.browser
def test_the_editor_is_a_fraction_of_its_height_with_its_parts_closed(officer_tab, demo_served):
    tab = officer_tab
    heights = {}
    for section in SECTIONS:
        tab.goto(f"{demo_served}/console/FR/{section}")
        closed = tab.evaluate("document.documentElement.scrollHeight")
        tab.get_by_role("button", name="Open every part").click()
        heights[section] = (closed, tab.evaluate("document.documentElement.scrollHeight"))
    print("editor heights, parts closed and open (px):", heights)
    closed, open_ = heights["requirements"]
    assert closed < 1600 and closed * 5 < open_  # it was one 7,870 px form


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "ar", "zh"])
def test_every_part_and_list_of_the_editor_opened_has_no_axe_core_violation(officer_tab, demo_served, lang):
    from axe_playwright_python.sync_playwright import Axe

    tab = officer_tab
    found = {}
    for section in SECTIONS:
        tab.goto(f"{demo_served}/console/FR/{section}?lang={lang}")
        tab.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        if section == "import-bans":  # France notified no ban: add one
            with tab.expect_navigation():
                tab.locator("button[value='add:bans']").click()
            tab.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        violations = Axe().run(tab).response["violations"]
        if violations:
            found[section] = [f"{rule['id']}: {rule['help']} ({len(rule['nodes'])})" for rule in violations]
    assert found == {}


def test_the_editor_with_rows_and_problems_passes_the_nu_html_checker(officer_client, tmp_path):
    if not VNU_JAR.is_file():
        need(f"the Nu Html Checker is not at {VNU_JAR}")
    if shutil.which("java") is None:
        need("the Nu Html Checker needs a Java runtime")
    files = []
    for lang in ("en", "ar"):
        officer_client.get(f"/?lang={lang}")
        for section in SECTIONS:
            files.append(tmp_path / f"{lang}-{section}-rows.html")
            files[-1].write_bytes(with_a_row_of_everything(officer_client, section).data)
            broken = factories.DOCUMENTS[section]()
            broken["effective_from"] = "someday"
            files.append(tmp_path / f"{lang}-{section}-problems.html")
            files[-1].write_bytes(editor_post(officer_client, "KE", section, broken).data)
    checked = subprocess.run(["java", "-jar", str(VNU_JAR), "--format", "gnu", "--errors-only", *map(str, files)],
                             capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr
