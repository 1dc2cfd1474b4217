"""The console's substance lists in a real browser (Debian's Chromium, over real HTTP): what each offers, named in the
page's language, and the box over each that finds a substance by any of its names — in any case or language,
misspelt, or a medicine's — before it is chosen and sent as its key."""
import json
import re

import pytest

from registry import reference

from ..helpers.console import PASSWORD
from ..helpers.pages import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def registry(served_demo):
    """The registry with its demonstration data and a French officer, over HTTP (tests/conftest.py)."""
    return served_demo


@pytest.fixture
def officer_page(browser, registry):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, registry, PASSWORD)
    yield page
    context.close()


def options(page, select: str) -> dict[str, str]:
    """A select's options: the value each sends, and the name it shows."""
    pairs = page.locator(f"{select} option").evaluate_all("items => items.map(o => [o.value, o.textContent])")
    return dict(pairs)


def ticks(page, field: str) -> dict[str, str]:
    """The boxes of a list to tick: the value each sends, and the name beside it."""
    pairs = page.locator(f"{field} label:has(input)").evaluate_all(
        "labels => labels.map(l => [l.querySelector('input').value, l.textContent.trim().replace(/\\s+/g, ' ')])")
    return dict(pairs)


def add_ban(page, registry) -> None:
    page.goto(registry + "/console/FR/import-bans")
    page.locator("#part-bans > summary").click()
    page.get_by_role("button", name="Add a ban").click()
    page.wait_for_selector("#f-bans-0-substance")


def test_bans_offer_only_what_article_13_reaches_and_rules_offer_every_class_and_substance(officer_page, registry):
    page = officer_page
    add_ban(page, registry)
    bannable = options(page, "#f-bans-0-substance")
    assert bannable["methylphenidate"] == "Methylphenidate — 1971 Schedule II"
    assert "morphine" not in bannable and "tramadol" not in bannable  # 1961 Schedule I; national control only
    assert all(set(reference.substance(key).schedules) & {"1971-II", "1971-III", "1971-IV"} for key in bannable if key)

    page.goto(registry + "/console/FR/requirements")
    offered = ticks(page, "#f-rules-1-applies_to")
    assert {"1961-I", "1971-IV", "morphine", "methylphenidate", "tramadol"} <= set(offered)
    assert offered["1971-II"].startswith("Schedule II of the 1971 Convention psychotropic substances, such as Methylphenidate")
    assert offered["tramadol"] == "Tramadol no schedule of the conventions (controlled by some countries only)"

    page.goto(registry + "/console/FR/requirements?lang=zh")
    chinese = ticks(page, "#f-rules-1-applies_to")
    assert chinese["methylphenidate"].startswith("哌甲酯 methylphenidate · ")


# What an officer may type in the box over a list: the name in any case, with or without accents, in another
# language, misspelt, or the name of a medicine that contains the substance.
TYPED = ["methylphenidate", "METHYLPHEN", "Méthylphénidate", "哌甲酯", "metylphenidate", "Ritalin"]


@pytest.mark.parametrize("typed", TYPED)
def test_a_substance_found_by_any_name_in_the_box_is_chosen_and_previewed_as_its_key(officer_page, registry, typed):
    page = officer_page
    add_ban(page, registry)
    page.locator("#part-general > summary").click()
    page.fill("#f-effective_from", "2026-03-01")
    page.fill("#f-bans-0-substance-find", typed)
    shown = page.locator("#f-bans-0-substance option:not([hidden])")
    page.wait_for_function("() => document.querySelector('#f-bans-0-substance option[value=methylphenidate]').hidden === false"
                           " && document.querySelectorAll('#f-bans-0-substance option:not([hidden])').length < 20")
    assert "Methylphenidate — 1971 Schedule II" in shown.all_text_contents()
    page.select_option("#f-bans-0-substance", label="Methylphenidate — 1971 Schedule II")
    page.fill("#f-bans-0-since", "2024-05-01")
    page.locator("#f-bans-0-special_licence").get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Preview the changes").last.click()
    assert page.locator("h1").inner_text().startswith("Preview")
    document = json.loads(page.locator("input[name=document]").get_attribute("value"))
    assert document["bans"][0]["substance"] == "methylphenidate"


def test_a_medicines_name_in_a_rule_finds_its_controlled_substance_and_nothing_typed_is_sent(officer_page, registry):
    page = officer_page
    page.goto(registry + "/console/FR/requirements")
    page.locator("#part-rules > summary").click()
    field = page.locator("#f-rules-1-applies_to")
    field.locator("details.long-list > summary").click()
    page.fill("#f-rules-1-applies_to-find", "ritalin")
    visible = field.locator(".options.scroll label:not([hidden])")
    page.wait_for_function("() => document.querySelectorAll('#f-rules-1-applies_to-list label:not([hidden])').length === 1")
    assert re.sub(r"\s+", " ", visible.inner_text()).strip() == "Methylphenidate 1971 Schedule II"
    visible.locator("input").check()
    page.get_by_role("button", name="Preview the changes").last.click()
    document = json.loads(page.locator("input[name=document]").get_attribute("value"))
    assert document["rules"][1]["applies_to"][-1] == "methylphenidate"
    assert "ritalin" not in json.dumps(document).lower()
