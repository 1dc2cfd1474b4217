"""The medicinal products of data/products.json: what travellers carry, as the box names it."""
import json
import re

import pytest

from registry import reference

SEED_KEYS = ("ritalin-10-mg-tablet", "concerta-36-mg-prolonged-release-tablet", "suboxone-8-mg-2-mg-sublingual-tablet",
             "durogesic-dtrans-50-microgram-per-hour-patch", "co-codamol-30-mg-500-mg-tablet", "tramal-50-mg-capsule")

# The kinds of medicine the issue names, each by the substances that make a product one of them.
CATEGORIES = {
    "ADHD stimulant": {"methylphenidate", "dexamfetamine", "amfetamine", "lisdexamfetamine"},
    "opioid for pain": {"morphine", "oxycodone", "hydromorphone", "fentanyl", "tapentadol", "pethidine", "tramadol"},
    "opioid agonist treatment": {"methadone", "buprenorphine"},
    "benzodiazepine": {"diazepam", "clonazepam", "alprazolam", "lorazepam", "temazepam", "oxazepam", "midazolam"},
    "Z-drug": {"zolpidem", "zopiclone", "eszopiclone", "zaleplon"},
    "barbiturate": {"phenobarbital", "butalbital"},
    "cannabinoid medicine": {"cannabis", "dronabinol", "nabilone"},
    "nationally controlled": {"pregabalin", "gabapentin", "modafinil", "ketamine", "esketamine", "lisdexamfetamine"},
}



def change_product(data_dir, key, change):
    path = data_dir / "products.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(next(entry for entry in data["products"] if entry["key"] == key), data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def refused(match):
    with pytest.raises(reference.ReferenceDataError, match=match):
        reference.products()


def test_there_are_at_least_300_products_across_at_least_30_markets():
    products = reference.products()
    assert len(products) >= 300
    assert len({market for item in products.values() for market in item.markets}) >= 30
    assert set(SEED_KEYS) <= set(products)
    assert list(products) == sorted(products)


def test_every_ingredient_is_a_known_substance_or_controlled_by_nobody():
    for key, item in reference.products().items():
        assert item.controlled, key
        for ingredient in item.ingredients:
            assert ingredient.substance is None or reference.substance(ingredient.substance), (key, ingredient.inn)
            if ingredient.substance is None:
                assert all(ingredient.inn.casefold() != known.inn.casefold() for known in reference.substances().values())


def test_every_strength_is_positive_with_a_unit():
    for key, item in reference.products().items():
        for ingredient in item.ingredients:
            assert ingredient.mg_per_unit > 0, key
            assert re.fullmatch(r"\d+(\.\d+)? ?(mg|µg|g|ml|%|IU)(/(\d+(\.\d+)? ?)?(ml|h|dose|9 h))?", ingredient.strength), \
                (key, ingredient.strength)
            assert ingredient.percent is None or 0 < ingredient.percent <= 100
            assert ingredient.expressed_as.strip()


def test_the_schedule_iii_status_is_the_one_the_strengths_imply():
    statuses = set()
    for key, item in reference.products().items():
        assert item.schedule_1961_iii == reference.schedule_iii_status(item.ingredients), key
        statuses.add(item.schedule_1961_iii)
    assert statuses == {None, True, False}


def test_each_kind_of_medicine_the_issue_names_is_there():
    used = {ingredient.substance for item in reference.products().values() for ingredient in item.controlled}
    for category, substances in CATEGORIES.items():
        assert used & substances, category
    combinations = [item for item in reference.products().values()
                    if any(ingredient.substance == "codeine" for ingredient in item.ingredients)
                    and any(ingredient.substance is None for ingredient in item.ingredients)]
    assert len(combinations) >= 10
    assert any(item.unit == "bottle" and item.controlled[0].substance == "codeine" for item in reference.products().values())


def test_ritalin_10_mg_is_a_tablet_of_10_mg_of_methylphenidate():
    ritalin = reference.product("ritalin-10-mg-tablet")
    assert ritalin.label == "Ritalin 10 mg"
    assert (ritalin.form, ritalin.unit) == ("tablet", "tablet")
    [ingredient] = ritalin.ingredients
    assert (ingredient.substance, ingredient.mg_per_unit) == ("methylphenidate", 10)
    assert 60 * ingredient.mg_per_unit == 600


def test_concerta_36_mg_counts_36_mg_a_tablet():
    concerta = reference.product("concerta-36-mg-prolonged-release-tablet")
    assert concerta.label == "Concerta 36 mg"
    assert 30 * concerta.controlled[0].mg_per_unit == 1080


def test_suboxone_counts_buprenorphine_and_notes_naloxone_as_not_controlled():
    suboxone = reference.product("suboxone-8-mg-2-mg-sublingual-tablet")
    assert suboxone.label == "Suboxone 8 mg/2 mg"
    buprenorphine, naloxone = suboxone.ingredients
    assert (buprenorphine.substance, buprenorphine.mg_per_unit) == ("buprenorphine", 8)
    assert (naloxone.inn, naloxone.substance, naloxone.mg_per_unit) == ("naloxone", None, 2)
    assert suboxone.controlled == (buprenorphine,)
    assert 28 * buprenorphine.mg_per_unit == 224
    assert [item["control"] for item in suboxone.as_json()["ingredients"]] == ["international", None]


def test_durogesic_patches_count_the_fentanyl_each_patch_contains():
    for rate, content in ((12, 2.1), (25, 4.2), (50, 8.4), (75, 12.6), (100, 16.8)):
        patch = reference.product(f"durogesic-dtrans-{rate}-microgram-per-hour-patch")
        assert (patch.form, patch.unit) == ("transdermal-patch", "patch")
        assert patch.label == f"Durogesic DTrans {rate} µg/h"
        assert patch.controlled[0].mg_per_unit == content
        assert "Durogesic" in patch.names


def test_co_codamol_30_500_is_a_schedule_iii_codeine_preparation():
    co_codamol = reference.product("co-codamol-30-mg-500-mg-tablet")
    assert co_codamol.label == "Co-codamol 30/500"
    assert [item.substance for item in co_codamol.ingredients] == ["codeine", None]
    assert co_codamol.schedule_1961_iii is True
    stronger = (co_codamol.ingredients[0].__class__("codeine", "codeine", "120 mg", 120, "phosphate"),
                co_codamol.ingredients[1])
    assert reference.schedule_iii_status(stronger) is False
    linctus = reference.product("codeine-linctus-15-mg-5-ml-oral-solution-200-ml")
    assert (linctus.unit, linctus.controlled[0].percent, linctus.schedule_1961_iii) == ("bottle", 0.3, True)


def test_a_nationally_controlled_ingredient_is_recorded_as_national():
    tramal = reference.product("tramal-50-mg-capsule")
    assert reference.substance(tramal.controlled[0].substance).national
    assert tramal.as_json()["ingredients"][0]["control"] == reference.NATIONAL
    assert tramal.schedule_1961_iii is None
    lyrica = [item for item in reference.products().values() if "Lyrica" in item.names]
    assert lyrica and all(reference.substance(item.controlled[0].substance).national for item in lyrica)


def test_labels_do_not_repeat_strengths_a_name_already_gives():
    labels = {item.label for item in reference.products().values()}
    assert {"Co-codamol 8/500", "Percocet 5/325", "Oramorph 10 mg/5 ml", "Adderall 10 mg", "DF118 Forte 40 mg",
            "Valoron N retard 50 mg/4 mg", "Suboxone film 8 mg/2 mg"} <= labels
    for label in labels:
        assert not re.search(r"(\d+(\.\d+)? ?\w+)( \1)$", label), label


def test_a_label_names_one_product_in_each_market_and_unit():
    seen = {}
    for key, item in reference.products().items():
        for market in item.markets:
            other = seen.setdefault((market, item.label.casefold(), item.unit), key)
            assert other == key, (market, item.label)


def test_each_form_is_counted_in_units_that_fit_it():
    for key, item in reference.products().items():
        assert item.unit in reference.FORM_UNITS[item.form], key
        if item.unit in reference.DOSAGE_UNITS:
            assert all(ingredient.percent is None for ingredient in item.ingredients), key


def test_products_as_json_say_how_each_ingredient_is_controlled():
    document = reference.product("sativex-oromucosal-spray-10-ml").as_json()
    assert set(document) == {"key", "label", "names", "markets", "form", "unit", "ingredients", "schedule_1961_iii", "note"}
    assert [(item["substance"], item["control"]) for item in document["ingredients"]] == [
        ("cannabis", "international"), (None, None)]
    json.dumps(document)


def test_search_still_finds_substances_by_their_names_in_other_languages():
    assert ("substance", "methylphenidate") in reference.search("Méthylphénidate")
    assert ("substance", "pregabalin") in reference.search("Прегабалин")
    assert ("substance", "diazepam") in reference.search("地西洋", "zh")
    assert ("substance", "tramadol") in reference.search("tramadol")
    assert ("country", "DE") in reference.search("germany")


# -- broken files are refused, naming the entry ---------------------------------------------------------------


def test_an_unknown_substance_is_refused(data_copy):
    change_product(data_copy, "ritalin-10-mg-tablet", lambda entry, _: entry["ingredients"][0].update(substance="ritalin"))
    refused(r"ritalin-10-mg-tablet.*ingredients\[0\].*'ritalin' is not a key")


def test_a_controlled_ingredient_given_as_uncontrolled_is_refused(data_copy):
    change_product(data_copy, "ritalin-10-mg-tablet", lambda entry, _: entry["ingredients"][0].update(substance=None))
    refused(r"ritalin-10-mg-tablet.*'methylphenidate' is a controlled substance")


@pytest.mark.parametrize("field, value, message", [
    ("strength", "10", "strength '10' must be a number with its unit"),
    ("mg_per_unit", 0, "mg_per_unit must be a positive number"),
    ("mg_per_unit", "10", "mg_per_unit must be a positive number"),
    ("percent", 120, "percent must be above 0 and at most 100"),
])
def test_a_strength_without_a_unit_or_not_positive_is_refused(data_copy, field, value, message):
    change_product(data_copy, "concerta-36-mg-prolonged-release-tablet",
                   lambda entry, _: entry["ingredients"][0].update({field: value}))
    refused(rf"concerta-36-mg-prolonged-release-tablet.*{re.escape(message)}")


def test_a_wrong_schedule_iii_status_is_refused(data_copy):
    change_product(data_copy, "co-codamol-30-mg-500-mg-tablet", lambda entry, _: entry.update(schedule_1961_iii=None))
    refused(r"co-codamol-30-mg-500-mg-tablet.*schedule_1961_iii must be true")


def test_a_form_counted_in_a_unit_that_does_not_fit_is_refused(data_copy):
    change_product(data_copy, "durogesic-dtrans-50-microgram-per-hour-patch", lambda entry, _: entry.update(unit="bottle"))
    refused(r"durogesic-dtrans-50-microgram-per-hour-patch.*transdermal-patch is not counted by the bottle")


def test_a_percent_on_a_dosage_unit_is_refused(data_copy):
    change_product(data_copy, "ritalin-10-mg-tablet", lambda entry, _: entry["ingredients"][0].update(percent=5))
    refused(r"ritalin-10-mg-tablet.*dosage unit")


def test_a_label_shared_by_two_products_in_one_market_is_refused(data_copy):
    def copy_ritalin(entry, data):
        twin = json.loads(json.dumps(entry))
        twin["key"] = "ritalin-10-mg-tablet-twin"
        twin["markets"] = ["CH"]
        data["products"].append(twin)
    change_product(data_copy, "ritalin-10-mg-tablet", copy_ritalin)
    refused(r"ritalin-10-mg-tablet-twin.*'Ritalin 10 mg' \(tablet\) in CH is also 'ritalin-10-mg-tablet'")


@pytest.mark.parametrize("change, message", [
    (lambda entry: entry.update(markets=["XX"]), "ISO 3166-1 alpha-2"),
    (lambda entry: entry.update(markets=["CH", "CH"]), "markets are repeated"),
    (lambda entry: entry.update(names=[]), "names must be a non-empty list"),
    (lambda entry: entry.update(form="pill"), "form must be one of"),
    (lambda entry: entry.update(colour="white"), r"unknown field\(s\) \['colour'\]"),
    (lambda entry: entry["ingredients"][0].update(substance="tramadol", inn="tramadol") or entry.update(
        ingredients=[entry["ingredients"][0], dict(entry["ingredients"][0])]), "appears twice"),
])
def test_other_malformed_products_are_refused(data_copy, change, message):
    change_product(data_copy, "tramal-50-mg-capsule", lambda entry, _: change(entry))
    refused(rf"tramal-50-mg-capsule.*{message}")


def test_a_repeated_key_is_refused(data_copy):
    change_product(data_copy, "tramal-50-mg-capsule", lambda entry, data: data["products"].append(dict(entry)))
    refused(r"tramal-50-mg-capsule\): key appears twice")


def test_check_loads_the_products(data_copy):
    (data_copy / "products.json").write_text("{", encoding="utf-8")
    with pytest.raises(reference.ReferenceDataError, match="data/products.json: not valid JSON"):
        reference.check()
