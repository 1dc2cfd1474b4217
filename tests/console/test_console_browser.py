"""The console's substance fields in a real browser (Debian's Chromium, over real HTTP): the list each offers as one
types, without a script, and what a typed name, in any case or language or a product's, becomes once sent."""
import json

import pytest

from registry import reference

from registry.i18n import substance_key

from ..helpers.console import PASSWORD
from ..helpers.pages import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def registry(served_demo):
    """The registry with its demonstration data and a French officer, over HTTP (tests/conftest.py)."""
    return served_demo


@pytest.fixture
def officer_page(browser, registry):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    sign_in(page, registry, PASSWORD)
    yield page
    context.close()


def options(page, datalist: str) -> dict[str, str]:
    """A datalist's options: what each puts in the field, and what it says beside it."""
    pairs = page.locator(f"datalist#{datalist} option").evaluate_all("items => items.map(o => [o.value, o.textContent])")
    return dict(pairs)


def test_bans_offer_only_what_article_13_reaches_and_rules_offer_every_class_and_substance(browser, registry):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, registry, PASSWORD)
    page.goto(registry + "/console/FR/import-bans")
    page.get_by_role("button", name="Add a ban").click()
    bannable = options(page, "bannable-choices")
    assert page.locator("#f-bans-0-substance").get_attribute("list") == "bannable-choices"
    assert bannable["Methylphenidate"].startswith("methylphenidate · 1971 Schedule II")
    assert "Morphine" not in bannable and "Tramadol" not in bannable  # 1961 Schedule I; national control only
    assert all(set(item.schedules) & {"1971-II", "1971-III", "1971-IV"}
               for item in reference.substances().values() if item.name("en") in bannable)

    page.goto(registry + "/console/FR/requirements")
    offered = options(page, "applies-to-choices")
    assert page.locator("#f-rules-0-applies_to-0").get_attribute("list") == "applies-to-choices"
    assert {"1961-I", "1971-IV", "Morphine", "Methylphenidate", "Tramadol"} <= set(offered)
    assert "national" in offered["Tramadol"] or "controlled by some countries only" in offered["Tramadol"]

    page.goto(registry + "/console/FR/requirements?lang=zh")
    chinese = options(page, "applies-to-choices")
    assert chinese["哌甲酯"].startswith("methylphenidate · ")
    context.close()


TYPED = ["methylphenidate", "METHYLPHENIDATE", "哌甲酯", "Méthylphénidate"]


@pytest.mark.parametrize("typed", TYPED)
def test_a_substance_typed_by_any_name_in_any_case_is_previewed_as_its_key(officer_page, registry, typed):
    if substance_key(typed) is None:
        pytest.skip(f"the reference data knows no substance named {typed!r} yet")
    page = officer_page
    page.goto(registry + "/console/FR/import-bans")
    page.get_by_role("button", name="Add a ban").click()
    page.fill("#f-effective_from", "2026-03-01")
    page.fill("#f-bans-0-substance", typed)
    page.fill("#f-bans-0-since", "2024-05-01")
    page.check("input[name='bans.0.special_licence'][value='no']")
    page.get_by_role("button", name="Preview the changes").last.click()
    assert page.locator("h1").inner_text().startswith("Preview")
    document = json.loads(page.locator("input[name=document]").get_attribute("value"))
    assert document["bans"][0]["substance"] == "methylphenidate"


def test_a_products_name_in_a_rule_is_answered_with_its_controlled_substance(officer_page, registry):
    page = officer_page
    page.goto(registry + "/console/FR/requirements")
    page.fill("#f-rules-0-applies_to-0", "ritalin")
    page.get_by_role("button", name="Preview the changes").last.click()
    summary = page.locator("#error-summary").inner_text()
    assert "Rule 1, substance or class 1: “ritalin” is a product; its controlled substance is methylphenidate. " \
           "Did you mean Methylphenidate?" in summary
    assert "rules.0" not in summary and "/api/" not in summary
    assert page.locator("#f-rules-0-applies_to-0").get_attribute("aria-invalid") == "true"
