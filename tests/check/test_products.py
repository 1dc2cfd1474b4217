"""The check counts what people carry as they name it: a product and its units, or a substance and its strength per unit."""
import pytest

from registry.check import rules, trip as trips

from ..helpers.check_cases import (
    CONCERTA, CO_CODAMOL, DUROGESIC, RITALIN, SUBOXONE, TRAMAL, item, notifications, per_unit, product, requirements, rule, trip,
)

def decide(body: dict, *published) -> dict:
    return rules.check(trips.read_trip(body), notifications(published)).as_json()


def only_item(result: dict, country: int = 0) -> dict:
    [found] = result["countries"][country]["items"]
    return found


def decision(found: dict) -> tuple:
    return found["verdict"], found["documents"], [(reason["code"], reason["params"]) for reason in found["reasons"]]


@pytest.mark.parametrize("published", [(), (("FR", "requirements", requirements(rule(["methylphenidate"], ["certificate"], "amount", threshold_mg=500))),)])
def test_ritalin_10_mg_times_60_is_answered_as_methylphenidate_600_mg(published):
    as_product = only_item(decide(trip(product(RITALIN, 60), destination="FR"), *published))
    as_strength = only_item(decide(trip(per_unit("methylphenidate", 10, 60), destination="FR"), *published))
    as_total = only_item(decide(trip(item("methylphenidate", 600, unit_doses=60, form="tablet", preparation_class=None), destination="FR"), *published))

    assert as_product["computed"] == {"product": RITALIN, "unit_doses": 60, "mg_per_unit": 10, "amount_mg": 600, "expressed_as": "hydrochloride"}
    assert as_strength["computed"] == {"product": None, "unit_doses": 60, "mg_per_unit": 10, "amount_mg": 600, "expressed_as": None}
    assert as_total["computed"] is None
    assert decision(as_product) == decision(as_strength) == decision(as_total)


def test_concerta_36_mg_times_30_is_1080_mg():
    found = only_item(decide(trip(product(CONCERTA, 30))))

    assert (found["substance"], found["computed"]["amount_mg"]) == ("methylphenidate", 1080)
    assert ("annex-ii-within", 1080) in [(reason["code"], reason["params"].get("amount_mg")) for reason in found["reasons"]]


def test_suboxone_8_mg_2_mg_times_28_is_buprenorphine_224_mg_with_naloxone_not_controlled():
    found = only_item(decide(trip(product(SUBOXONE, 28))))

    assert (found["substance"], found["computed"]["amount_mg"], found["not_controlled"]) == ("buprenorphine", 224, ["naloxone"])


def test_durogesic_patches_count_per_patch_in_exact_milligrams():
    found = only_item(decide(trip(product(DUROGESIC, 10))))

    assert found["computed"] == {"product": DUROGESIC, "unit_doses": 10, "mg_per_unit": 8.4, "amount_mg": 84, "expressed_as": "base"}
    # Annex II: 100 mg of fentanyl in transdermal patches (the product's form, not other forms' 20 mg).
    assert ("annex-ii-within", "transdermal-patch") in [(reason["code"], reason["params"].get("amount_form")) for reason in found["reasons"]]


def test_co_codamol_is_exempted_by_its_strength_per_tablet_and_a_stronger_codeine_is_not():
    weak = only_item(decide(trip(product(CO_CODAMOL, 100))))
    strong = only_item(decide(trip(per_unit("codeine", 120, 100, preparation_class="1961-III"))))

    assert (weak["verdict"], weak["not_controlled"]) == ("no-documents-required", ["paracetamol"])
    assert "preparation-1961-iii" in [reason["code"] for reason in weak["reasons"]]
    assert strong["verdict"] == "documents-required"
    assert "preparation-too-strong" in [reason["code"] for reason in strong["reasons"]]


def test_products_and_substances_of_one_substance_add_up_to_one_total():
    result = decide(trip(product(RITALIN, 60), per_unit("methylphenidate", 20, 30), item("methylphenidate", 900)))

    totals = [[reason["params"]["amount_mg"] for reason in found["reasons"] if reason["code"] == "amount-total"]
              for found in result["countries"][0]["items"]]
    assert totals == [[2100], [2100], [2100]]
    assert all("certificate" in found["documents"] for found in result["countries"][0]["items"])


def test_a_nationally_controlled_substance_gets_no_guideline_default_and_says_to_ask_the_country():
    found = only_item(decide(trip(product(TRAMAL, 30), days=40)))

    assert (found["verdict"], found["documents"], found["max_supply_days"]) == ("no-documents-required", [], None)
    assert [reason["code"] for reason in found["reasons"]] == ["not-under-international-control"]
    text = found["reasons"][0]["text"]
    assert "not under international control" in text and "no rule of New Zealand" in text and "ask its authority" in text


def test_a_nationally_controlled_substance_gets_the_rule_a_country_notified_for_it():
    published = ("TH", "requirements", requirements(rule(["tramadol"], ["prescription", "import-permit"], "amount", threshold_mg=1000)))
    below = only_item(decide(trip(product(TRAMAL, 20), destination="TH"), published))
    above = only_item(decide(trip(product(TRAMAL, 30), destination="TH"), published))

    assert (below["verdict"], [reason["code"] for reason in below["reasons"]]) == ("no-documents-required", ["rule-amount-within"])
    assert (above["verdict"], above["documents"]) == ("documents-required", ["prescription", "import-permit"])
    assert "Tramadol" in above["reasons"][0]["text"]

