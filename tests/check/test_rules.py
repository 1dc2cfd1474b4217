"""The traveller check's rules (registry/check/), as a table of cases: each rule with its paragraph, both ways."""
import json

import jsonschema
import pytest
from hypothesis import given, settings, strategies as st

from registry.check import reasons, rules, trip as trips

from ..helpers import ROOT
from ..helpers.check_cases import BAD_REQUESTS, CASES, authorities, ban, bans, examined, item, notifications, requirements, rule, run, trip

RESULT_SCHEMA = json.loads((ROOT / "schemas" / "check-result.schema.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_rule_gives_its_verdict_documents_and_reason_with_its_source(case):
    result = run(case).as_json()

    found = examined(result, case)
    assert (found["verdict"], tuple(found["documents"])) == (case.verdict, case.documents), found["reasons"]
    assert case.reason in [(reason["code"], reason["source"]) for reason in found["reasons"]]
    jsonschema.validate(result, RESULT_SCHEMA)


def test_every_kind_of_reason_is_reached_by_a_case_of_the_table():
    reached = {
        reason["code"]
        for case in CASES
        for country in run(case).as_json()["countries"]
        for entry in country["items"]
        for reason in entry["reasons"]
    }
    # A country's notices say how current the information is, not what a rule decides (tests/test_reconfirmation.py).
    assert reached == set(reasons.TEXTS) - set(reasons.NOTICE_TEXTS)


def test_every_kind_of_reason_is_documented():
    documented = (ROOT / "docs" / "check.md").read_text(encoding="utf-8")

    assert [code for code in reasons.TEXTS if f"`{code}`" not in documented] == []


def decide(body: dict, *published) -> dict:
    return rules.check(trips.read_trip(body), notifications(published)).as_json()


def test_the_trip_takes_the_worst_verdict_and_every_document_destination_first_then_transit_in_order():
    result = decide(
        trip(item("morphine", 5000), item("amfetamine", 100), destination="FR", transit=["TH", "JP"]),
        ("FR", "requirements", requirements(rule(["1961-I", "1971-II"], ["physician-letter"]))),
        ("JP", "import-bans", bans(ban("amfetamine"))),
    )

    assert [(country["country"], country["role"], country["verdict"]) for country in result["countries"]] == [
        ("FR", "destination", "documents-required"),
        ("TH", "transit", "documents-required"),
        ("JP", "transit", "prohibited"),
    ]
    assert result["verdict"] == "prohibited"
    assert result["documents"] == ["prescription", "physician-letter", "certificate"]
    japan = result["countries"][2]
    assert [entry["verdict"] for entry in japan["items"]] == ["documents-required", "prohibited"]
    assert japan["items"][1]["documents"] == []


def test_a_country_that_notified_nothing_is_based_on_no_version_and_gets_the_guidelines_defaults():
    country = decide(trip(item("morphine", 100)))["countries"][0]

    assert country["based_on"] == []
    assert country["authorities"] == []
    assert country["languages"] == {"document_languages": None, "translation_required": None, "source": "guidelines ¶20"}
    assert country["customs"] == {"declare_on_entry": False, "endorsement": False, "show_on_request": True, "source": "guidelines ¶32"}
    assert country["continuity"] == {"extension_possible": None, "how": None, "source": "guidelines ¶23"}
    assert country["max_supply_days"] == 30
    assert country["travellers_allowed"] is None


def test_a_notified_country_gives_its_languages_customs_continuity_and_the_versions_used():
    result = decide(
        trip(item("morphine", 100), destination="FR"),
        ("FR", "requirements", requirements(rule(["1961-I"], ["prescription"]))),
        ("FR", "import-bans", bans()),
        ("FR", "requirements", requirements(rule(["1961-I"], ["prescription"]), max_supply_days=60, document_languages=["fr"])),
    )
    country = result["countries"][0]

    assert country["based_on"] == [
        {"country": "FR", "section": "requirements", "version": 2, "seq": 3},
        {"country": "FR", "section": "import-bans", "version": 1, "seq": 2},
    ]
    assert country["languages"] == {"document_languages": ["fr"], "translation_required": False, "source": "FR requirements version 2"}
    assert country["customs"]["declare_on_entry"] is True and country["customs"]["source"] == "FR requirements version 2"
    assert country["continuity"]["how"] == {"en": "A local physician may prescribe a further supply."}
    assert country["max_supply_days"] == 60
    assert country["notes"]["en"] == "Carry the documents in your hand luggage."


def names(country: dict) -> list[tuple[str, list[str]]]:
    return [(office["name"], office["roles"]) for office in country["authorities"]]


def test_the_traveller_is_told_whom_to_ask_permits_enquiries_and_exceptions_when_prohibited():
    offices = ("AE", "authorities", authorities("AE", ["permits", "certificates"], ["exceptions"], ["enquiries"], ["competent-authority"]))

    allowed = decide(trip(item("morphine", 10), destination="AE"), ("AE", "requirements", requirements()), offices)
    refused = decide(trip(item("morphine", 10), destination="AE"), ("AE", "requirements", requirements(travellers_allowed="no")), offices)

    assert names(allowed["countries"][0]) == [("Office 1 of AE", ["permits"]), ("Office 3 of AE", ["enquiries"])]
    assert names(refused["countries"][0]) == [
        ("Office 1 of AE", ["permits"]), ("Office 2 of AE", ["exceptions"]), ("Office 3 of AE", ["enquiries"])
    ]


def test_a_country_naming_no_such_office_still_names_its_competent_authority():
    result = decide(trip(item("morphine", 10), destination="AE"), ("AE", "authorities", authorities("AE", ["competent-authority"])))

    assert names(result["countries"][0]) == [("Office 1 of AE", ["competent-authority"])]


def test_the_departure_countrys_certificate_office_is_named_only_when_a_certificate_is_needed():
    published = (
        ("FR", "requirements", requirements(rule(["1971-II"], ["certificate"], "guideline"))),
        ("DE", "authorities", authorities("DE", ["certificates"], ["enquiries"])),
    )

    above = decide(trip(item("methylphenidate", 2500), destination="FR", departure="DE"), *published)["countries"][0]
    within = decide(trip(item("methylphenidate", 1500), destination="FR", departure="DE"), *published)["countries"][0]

    assert above["documents"] == ["schengen-certificate"]
    assert [(office["country"], office["roles"]) for office in above["authorities"]] == [("DE", ["certificates"])]
    assert {"country": "DE", "section": "authorities", "version": 1, "seq": 2} in above["based_on"]
    assert within["documents"] == [] and within["authorities"] == []
    assert all(entry["country"] == "FR" for entry in within["based_on"])


def test_a_transit_country_that_asks_nothing_still_applies_its_article_13_ban():
    result = decide(
        trip(item("amfetamine", 100), transit=["SG"]),
        ("SG", "requirements", requirements(rule(["1971-II"], ["prescription"]), transit="not-required")),
        ("SG", "import-bans", bans(ban("amfetamine"))),
    )

    assert result["countries"][1]["verdict"] == "prohibited"
    assert [reason["code"] for reason in result["countries"][1]["items"][0]["reasons"]] == ["transit-not-required", "import-ban"]


def test_transit_own_rules_hands_over_the_transit_notes():
    notes = {"en": "Stay airside and you need nothing."}
    result = decide(trip(item("morphine", 10), transit=["SG"]),
                    ("SG", "requirements", requirements(transit="own-rules", transit_notes=notes)))

    assert result["countries"][1]["transit"] == "own-rules"
    assert result["countries"][1]["transit_notes"] == notes
    assert result["countries"][0]["transit"] is None


def test_the_permit_lead_time_is_the_longest_of_the_rules_met():
    result = decide(
        trip(item("morphine", 10), item("methylphenidate", 100), destination="JP"),
        ("JP", "requirements", requirements(rule(["1961-I"], ["import-permit"], permit_lead_days=14),
                                            rule(["1971-II"], ["import-permit"], permit_lead_days=21))),
    )

    assert result["countries"][0]["permit_lead_days"] == 21


def test_a_prohibited_item_carries_no_documents_and_no_supply_limit():
    result = decide(trip(item("heroin", 10), days=10))

    assert result["countries"][0]["items"][0] | {"reasons": None} == {
        "substance": "heroin", "verdict": "prohibited", "documents": [], "max_supply_days": None, "reasons": None,
        "computed": None, "not_controlled": [],
    }


def test_a_reason_renders_in_another_language_through_a_translation_function():
    reason = reasons.Reason("rule-always", "FR requirements version 3",
                          {"country": "FR", "documents": ["prescription", "import-permit"], "applies": ["methylphenidate"]})
    catalogue = {
        reasons.TEXTS["rule-always"]: "%(country)s要求%(applies)s携带%(documents)s。",
        "a prescription": "处方", "an import permit": "进口许可证", "%(items)s and %(last)s": "%(items)s和%(last)s",
    }

    assert reason.text == "France requires a prescription and an import permit for Methylphenidate."
    assert reasons.render(reason, lambda text: catalogue.get(text, text), "zh") == "法国要求哌甲酯携带处方和进口许可证。"


def test_the_form_decides_fentanyls_annex_amount_in_the_text():
    patches = decide(trip(item("fentanyl", 101, form="transdermal-patch")))["countries"][0]["items"][0]["reasons"]
    tablets = decide(trip(item("fentanyl", 21, form="tablet")))["countries"][0]["items"][0]["reasons"]

    assert "more than the guidelines' Annex II amount of 100 mg for transdermal patches" in patches[2]["text"]
    assert "more than the guidelines' Annex II amount of 20 mg for forms other than transdermal patches" in tablets[2]["text"]

@pytest.mark.parametrize("medicine, words", [
    (item("codeine", 6500, preparation_class="1961-III", strength_mg=650),
     "This preparation of Codeine is stronger than Schedule III of the 1961 Convention allows "
     "(100 mg per dosage unit or 2.5 % in undivided preparations): it is not exempted"),
    (item("codeine", 600, preparation_class="1961-III"),
     "Schedule III of the 1961 Convention exempts preparations of Codeine only up to 100 mg per dosage unit or 2.5 % "
     "in undivided preparations; without that strength the preparation is not exempted"),
    (item("fentanyl", 500, preparation_class="1961-III", strength_mg=1),
     "Fentanyl is not a narcotic drug whose preparations Schedule III of the 1961 Convention can exempt"),
    (item("codeine", 600, preparation_class="1961-III", strength_mg=30),
     "A preparation of Codeine within the limits of Schedule III of the 1961 Convention (100 mg per dosage unit or 2.5 % "
     "in undivided preparations) may be carried without documents."),
])
def test_a_schedule_iii_claim_is_answered_with_why_it_is_or_is_not_exempted(medicine, words):
    texts = [reason["text"] for reason in decide(trip(medicine))["countries"][0]["items"][0]["reasons"]]

    assert any(words in text for text in texts), texts


@pytest.mark.parametrize("body, path, words, _", BAD_REQUESTS, ids=[f"{path or 'body'}-{words}" for _, path, words, _ in BAD_REQUESTS])
def test_a_bad_request_names_the_field_and_says_what_is_allowed(body, path, words, _):
    with pytest.raises(trips.InvalidTrip) as refused:
        trips.read_trip(body)

    assert path in refused.value.errors, refused.value.errors
    assert any(words in message for message in refused.value.errors[path]), refused.value.errors


def test_an_odd_trip_the_schema_allows_is_still_answered():
    result = decide(trip(item("morphine", 10, preparation_class="1961-III"), item("morphine", 20),
                         destination="FR", departure="FR", transit=["FR"]))

    assert [(country["country"], country["role"]) for country in result["countries"]] == [("FR", "destination"), ("FR", "transit")]
    assert [reason["code"] for reason in result["countries"][0]["items"][0]["reasons"]][:3] == [
        "preparation-strength-unknown", "amount-total", "no-notification"]


def test_optional_fields_may_be_null_or_left_out():
    assert trips.read_trip(trip(item("morphine", 1), departure=None, transit=None, days=None)) == trips.read_trip(trip(item("morphine", 1)))


# -- properties over generated trips ------------------------------------------------------------------------

PUBLISHED = [case.published for case in CASES if case.published]
SUBSTANCES = ["morphine", "fentanyl", "methadone", "buprenorphine", "methylphenidate", "amfetamine", "diazepam",
              "alprazolam", "phenobarbital", "heroin", "lysergide", "codeine", "cathine", "phentermine", "sufentanil"]
COUNTRIES = ["FR", "DE", "JP", "AE", "SG", "AU", "US", "NZ", "TH"]


@st.composite
def generated_trips(draw):
    places = draw(st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=4, unique=True))
    departure = draw(st.sampled_from([None, *[code for code in COUNTRIES if code not in places]]))
    keys = draw(st.lists(st.sampled_from(SUBSTANCES), min_size=1, max_size=4, unique=True))
    items = [
        item(key, draw(st.floats(min_value=0.001, max_value=50_000, allow_nan=False)),
             unit_doses=draw(st.none() | st.integers(1, 200)),
             form=draw(st.sampled_from([None, "tablet", "transdermal-patch"])),
             preparation_class="1961-III" if key == "codeine" and draw(st.booleans()) else None)
        for key in keys
    ]
    return trip(*items, destination=places[0], transit=places[1:], departure=departure,
                days=draw(st.none() | st.integers(1, 365)))


@settings(max_examples=150, deadline=None)
@given(body=generated_trips(), published=st.lists(st.sampled_from(PUBLISHED), max_size=4))
def test_any_trip_gets_a_consistent_answer(body, published):
    result = rules.check(trips.read_trip(body), notifications([entry for group in published for entry in group]))
    answer = result.as_json()

    jsonschema.validate(answer, RESULT_SCHEMA)
    assert answer["verdict"] == rules.worst(country["verdict"] for country in answer["countries"])
    assert set(answer["documents"]) == {kind for country in answer["countries"] for kind in country["documents"]}
    for country in answer["countries"]:
        assert country["verdict"] == rules.worst(entry["verdict"] for entry in country["items"])
        assert set(country["documents"]) == {kind for entry in country["items"] for kind in entry["documents"]}
        for entry in country["items"]:
            assert entry["reasons"], entry
            assert (entry["verdict"] == "no-documents-required") == (not entry["documents"] and entry["verdict"] != "prohibited")
            if entry["verdict"] == "prohibited":
                assert entry["documents"] == []
