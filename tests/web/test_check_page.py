"""/check and its Annex I model certificate, as a traveller and a physician see them, in English and Chinese.

The page reads its form into the request POST /api/v1/check takes, so every case of
tests/helpers/check_cases.py must answer on the page exactly as through the API.
"""
import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import lxml.html
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from sqlalchemy import func, select

from registry import i18n, reference

from registry.check import certificate, reasons, rules, trip as trips

from registry.web import check as check_page
from registry.db import db
from registry.http import HEADERS

from ..helpers import ROOT
from ..helpers.check_cases import CASES, item, notifications, publish, trip
from ..helpers.check_page import FAMILY_PUBLISHED, FAMILY_TRIP, check_url

CJK = re.compile(r"[\u4e00-\u9fff]")


def html(response):
    return lxml.html.fromstring(response.get_data(as_text=True))


def words(value: str | None) -> list[str]:
    return value.split() if value else []


def shown(response) -> dict:
    """What the result on a page says, read from its data attributes, in the API's shape."""
    result = html(response).get_element_by_id("result")
    return {
        "verdict": result.get("data-verdict"),
        "documents": words(result.get("data-documents")),
        "countries": [{
            "country": country.get("data-country"),
            "role": country.get("data-role"),
            "verdict": country.get("data-verdict"),
            "documents": words(country.get("data-documents")),
            "based_on": [link.get("data-version") for link in country.xpath('.//p[@class="based-on"]/a')],
            "items": [{
                "substance": medicine.get("data-substance"),
                "verdict": medicine.get("data-verdict"),
                "documents": words(medicine.get("data-documents")),
                "reasons": [(reason.get("data-code"), reason.get("data-source")) for reason in medicine.xpath('.//ol[@class="reasons"]/li')],
            } for medicine in country.xpath('.//article[@data-substance]')],
        } for country in result.xpath('.//section[@data-country]')],
    }


def answered(api: dict) -> dict:
    """The API's answer in the same shape."""
    return {
        "verdict": api["verdict"],
        "documents": api["documents"],
        "countries": [{
            "country": country["country"],
            "role": country["role"],
            "verdict": country["verdict"],
            "documents": country["documents"],
            "based_on": [f"{entry['country']} {entry['section']} {entry['version']}" for entry in country["based_on"]],
            "items": [{
                "substance": medicine["substance"],
                "verdict": medicine["verdict"],
                "documents": medicine["documents"],
                "reasons": [(reason["code"], reason["source"]) for reason in medicine["reasons"]],
            } for medicine in country["items"]],
        } for country in api["countries"]],
    }


def field(root, name: str):
    """The input or select named so (the first one, for repeated names)."""
    return root.xpath(f'//*[self::input or self::select][@name="{name}"]')[0]


def problems_of(root, control) -> list[str]:
    """The problems a field's aria-describedby points to."""
    ids = words(control.get("aria-describedby"))
    return [root.get_element_by_id(ident).text_content() for ident in ids if "-error-" in ident]


def press(client, response, button: str, **changes):
    """Send a page's form as a browser without JavaScript does: its fields, some changed, and the button pressed."""
    form = html(response).get_element_by_id("f-trip")
    pairs = [(name, changes.pop(name) if name in changes else value) for name, value in form.form_values()]
    pairs += list(changes.items())
    if button:
        pairs.append(("action", button))
    return client.get(f"{form.get('action')}?{urlencode(pairs)}")


def table_rows(app) -> dict[str, int]:
    with app.app_context():
        return {table.name: db.session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables}


@pytest.fixture
def family(client, authority):
    """France's requirements and authorities and Germany's certificates office, published for FAMILY_TRIP."""
    publish(client, authority(secretariat=True), FAMILY_PUBLISHED)


# -- the same answers as the API -------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_case_answers_on_the_page_exactly_as_through_the_api(client, authority, case):
    publish(client, authority(secretariat=True), case.published)

    api = client.post("/api/v1/check", json=case.trip)
    page = client.get(check_url(case.trip))

    assert page.status_code == 200
    assert shown(page) == answered(api.json)


def test_a_trip_through_two_countries_with_two_medicines_reads_in_full(client, family):
    page = client.get(check_url(FAMILY_TRIP))
    root = html(page)
    text = root.get_element_by_id("result").text_content()

    assert shown(page) == answered(client.post("/api/v1/check", json=FAMILY_TRIP).json)
    france, switzerland = root.xpath('//section[@data-country]')
    assert (france.get("data-role"), switzerland.get("data-role")) == ("destination", "transit")
    assert "Office 1 of FR" in france.text_content() and "Office 1 of DE" in france.text_content()  # permits here, certificates at home
    assert "in Germany, the country of departure" in france.text_content()
    assert "Documents are accepted in French and English." in france.text_content()
    assert "Declare the medicines to customs on arrival." in france.text_content()
    assert "A local physician may prescribe a further supply." in france.text_content()
    assert "Germany → Switzerland → France" in text
    assert "Methylphenidate — 1,800 mg · 60 unit doses · tablet" in " ".join(text.split())
    assert "It is not legal advice: the official texts of each country prevail." in text


def test_the_versions_used_link_to_their_pages(client, family):
    root = html(client.get(check_url(FAMILY_TRIP)))
    links = root.xpath('//section[@data-country="FR"]//p[@class="based-on"]/a/@href')

    assert links == ["/countries/FR/requirements/versions/1", "/countries/FR/authorities/versions/1", "/countries/DE/authorities/versions/1"]
    assert all(client.get(link).status_code == 200 for link in links)
    cited = root.xpath('//li[@data-source="FR requirements version 1"]//span[@class="source"]/a/@href')
    assert set(cited) == {"/countries/FR/requirements/versions/1"}


def test_grams_are_counted_in_milligrams_and_a_decimal_comma_is_read(client):
    in_mg = shown(client.get(check_url(trip(item("methylphenidate", 2000.5)))))
    in_g = client.get("/check", query_string={"destination": "NZ", "items.0.substance": "methylphenidate",
                                              "items.0.amount": "2,0005", "items.0.unit": "g"})

    assert in_mg["documents"] == ["prescription", "certificate"]
    assert shown(in_g) == in_mg
    assert "You carry 2000.5 mg of Methylphenidate" in html(in_g).get_element_by_id("result").text_content()


@pytest.mark.parametrize("typed", ["methylphenidate", "Methylphenidate", "哌甲酯"])
def test_a_substance_may_be_typed_as_its_key_its_inn_or_its_chinese_name(client, typed):
    page = client.get("/check", query_string={"destination": "NZ", "items.0.substance": typed, "items.0.amount": "1800"})

    assert page.status_code == 200
    assert shown(page)["countries"][0]["items"][0]["substance"] == "methylphenidate"


def test_every_substance_is_accepted_as_the_pages_print_it_in_any_case():
    for key, substance in reference.substances().items():
        for printed in (substance.name("en"), substance.name("zh")):
            for typed in (printed, printed.upper(), printed.lower(), f" {printed} "):
                assert check_page.substance_key(typed.strip()) == key, typed


def test_a_substance_typed_in_capitals_is_checked(client):
    page = client.get("/check", query_string={"destination": "NZ", "items.0.substance": "METHYLPHENIDATE", "items.0.amount": "1800"})

    assert page.status_code == 200
    assert shown(page)["countries"][0]["items"][0]["substance"] == "methylphenidate"


@pytest.mark.parametrize("lang, summary, sentence", [
    ("en", "Medicine 1: substance", "‘Morfine’ is not a substance we know. Did you mean Morphine?"),
    ("zh", "药品 1：物质", "本登记册中没有名为“Morfine”的物质。您是否指吗啡？"),
])
def test_a_mistyped_substance_is_told_in_words_with_the_closest_names(client, lang, summary, sentence):
    page = client.get("/check", query_string={"destination": "FR", "items.0.substance": "Morfine", "items.0.amount": "10", "lang": lang})
    root = html(page)

    assert page.status_code == 422
    assert problems_of(root, field(root, "items.0.substance")) == [f"{'问题：' if lang == 'zh' else 'Problem:'} {sentence}"]
    assert root.get_element_by_id("error-summary").xpath(".//li")[0].text_content() == f"{summary} — {sentence}"


def test_errors_on_the_page_name_no_field_path_and_no_api_wording(client):
    typed = {"destination": "XX", "days": "0", "items.0.substance": "Ritalin", "items.0.amount": "100 mg",
             "items.0.unit_doses": "2.5", "items.0.form": "patch", "items.0.concentration": "300", "transit": ["DE", "DE"]}
    root = html(client.get("/check", query_string=typed))

    summary = root.get_element_by_id("error-summary").text_content()
    assert summary.count("—") == 8
    # A brand typed as the substance: no substance is close, the medicines of that name are offered.
    assert "‘Ritalin’ is not a substance we know. Did you mean the medicine Ritalin 10 mg" in summary
    for developer_words in ("items.", "transit.", "substance key", "/api/", "ISO 3166", "got ", "allowed:", "Must "):
        assert developer_words not in summary, developer_words


def test_close_substances_are_found_by_their_names_in_any_language():
    assert check_page.close_substances("fentanil")[0] == "fentanyl"
    assert check_page.close_substances("Methylphenidat")[0] == "methylphenidate"
    assert check_page.close_substances("哌甲") == ["methylphenidate"]
    assert check_page.close_substances("Ritalin") == []


def test_the_form_offers_every_substance_and_country_named_in_the_pages_language(client):
    root = html(client.get("/check?lang=zh"))

    options = {option.get("value"): option.text for option in root.xpath('//datalist[@id="substance-choices"]/option')}
    destinations = field(root, "destination").xpath("option/@value")
    assert set(options) == set(reference.substances()) and options["methylphenidate"] == "哌甲酯"
    assert set(destinations) - {""} == set(reference.countries())
    assert [option.get("value") for option in field(root, "items.0.form").xpath("option")] == ["", *trips.FORMS]


# -- bad input, shown next to its field ----------------------------------------------------------------------


@pytest.mark.parametrize("typed, path, message", [
    ({"items.0.substance": "morphine", "items.0.amount": "-1"}, "items.0.amount", "at least 0.001 mg"),
    ({"items.0.substance": "morphine", "items.0.amount": "100 mg"}, "items.0.amount", "Type a number, such as 200 or 1.5."),
    ({"items.0.substance": "morphine", "items.0.amount": "20000", "items.0.unit": "g"}, "items.0.amount", "at most 10,000,000 mg"),
    ({"items.0.substance": "morphine"}, "items.0.amount", "Type the total amount, or the strength per unit dose and the number of unit doses."),
    ({"items.0.substance": "morphine", "items.0.strength": "10"}, "items.0.unit_doses", "Type the number of tablets, capsules, patches… you carry."),
    ({"items.0.product": "Ritalinn 10 mg", "items.0.unit_doses": "60"}, "items.0.product", "We don't know ‘Ritalinn 10 mg’. Did you mean Ritalin 10 mg"),
    ({"items.0.product": "Ritalin 10 mg"}, "items.0.unit_doses", "Type the number of tablets, capsules, patches… you carry."),
    ({"items.0.product": "Ritalin 10 mg", "items.0.unit_doses": "60", "items.0.substance": "morphine"}, "items.0.substance",
     "Give either the medicine's name or its substance, strength and amount, not both."),
    ({"items.0.substance": "unobtainium", "items.0.amount": "1"}, "items.0.substance", "‘unobtainium’ is not a substance we know."),
    ({"items.0.substance": "morphine", "items.0.amount": "1", "items.0.unit_doses": "2.5"}, "items.0.unit_doses", "Type a whole number, such as 30."),
    ({"items.0.substance": "morphine", "items.0.amount": "1", "items.0.form": "patch"}, "items.0.form", "Choose a dosage form from the list."),
    ({"items.0.substance": "morphine", "items.0.amount": "1", "days": "0"}, "days", "Type a whole number from 1 to 3,650."),
    ({"items.0.substance": "morphine", "items.0.amount": "1", "destination": ""}, "destination", "Fill this in."),
    ({"items.0.substance": "morphine", "items.0.amount": "1", "destination": "XX"}, "destination", "Choose a country from the list."),
    ({"items.0.substance": "morphine", "items.0.amount": "1", "transit": ["DE", "DE"]}, "transit.1", "This country is already in the list."),
    ({"items.1.substance": "morphine", "items.1.amount": "0"}, "items.1.amount", "at least 0.001"),  # after a blank row
])
def test_a_problem_is_shown_next_to_its_field_and_nothing_typed_is_lost(client, typed, path, message):
    page = client.get("/check", query_string={"destination": "FR", **typed})
    root = html(page)

    assert page.status_code == 422
    control = root.xpath('//select[@name="transit"]')[int(path[-1])] if path.startswith("transit.") else field(root, path)
    assert control.get("aria-invalid") == "true"
    assert any(message in problem for problem in problems_of(root, control)), problems_of(root, control)
    assert root.get_element_by_id("error-summary").xpath(f'.//a[@href="#f-{path.replace(".", "-")}"]')
    for name, value in typed.items():
        if name.startswith("items.") and not name.endswith((".unit", ".form")):
            assert field(root, name).get("value") == value
    assert not root.xpath('//*[@id="result"]')


def test_a_trip_whose_medicine_rows_are_all_blank_is_refused_at_the_list_of_medicines(client):
    root = html(client.get("/check", query_string={"destination": "FR", "items.0.substance": "", "items.1.amount": ""}))

    medicines = root.get_element_by_id("f-items")
    assert "Enter at least one medicine." in medicines.xpath('./p[@class="field-error"]')[0].text_content()
    assert len(medicines.xpath('.//fieldset[contains(@class, "medicine")]')) == 2


# -- adding and removing rows without JavaScript ----------------------------------------------------------------


def test_adding_a_medicine_and_a_transit_country_works_without_javascript_and_keeps_what_was_typed(client, family):
    typed = {"destination": "FR", "departure": "DE", "days": "14", "items.0.substance": "methylphenidate",
             "items.0.amount": "1.8", "items.0.unit": "g", "items.0.unit_doses": "60", "items.0.form": "tablet"}
    page = client.get("/check", query_string=typed)
    assert page.status_code == 200

    page = press(client, page, "add:items")
    root = html(page)
    assert page.status_code == 200 and not root.xpath('//*[@id="result"]')
    assert field(root, "items.0.amount").get("value") == "1.8"
    assert field(root, "items.0.unit").xpath("option[@selected]/@value") == ["g"]
    assert field(root, "items.1.substance").get("value") == "" and field(root, "items.1.substance").get("autofocus") is not None

    page = press(client, page, "add:transit", **{"items.1.substance": "fentanyl", "items.1.amount": "168",
                                                  "items.1.unit_doses": "10", "items.1.form": "transdermal-patch"})
    root = html(page)
    assert root.xpath('//select[@name="transit"]')[0].get("autofocus") is not None
    assert field(root, "items.1.substance").get("value") == "fentanyl"

    page = press(client, page, None, transit="CH")
    assert shown(page) == answered(client.post("/api/v1/check", json=FAMILY_TRIP).json)


def test_removing_a_row_keeps_the_others(client):
    typed = {"destination": "FR", "transit": ["CH", "AT"], "items.0.substance": "morphine", "items.0.amount": "100",
             "items.1.substance": "diazepam", "items.1.amount": "50"}
    root = html(client.get("/check", query_string={**typed, "action": "remove:items.0"}))
    assert [control.get("value") for control in root.xpath('//input[contains(@name, ".substance")]')] == ["diazepam"]
    assert not root.xpath('//button[@value="remove:items.0"]')  # the last medicine cannot be removed

    root = html(client.get("/check", query_string={**typed, "action": "remove:transit.0"}))
    assert [select.xpath("option[@selected]/@value") for select in root.xpath('//select[@name="transit"]')] == [["AT"]]


def test_enter_in_a_field_checks_the_trip_rather_than_adding_a_row(client):
    form = html(client.get("/check")).get_element_by_id("f-trip")

    first = form.xpath(".//button[@type='submit']")[0]
    assert first.get("name") is None and first.get("aria-hidden") == "true"


# -- Chinese ---------------------------------------------------------------------------------------------------


def test_the_chinese_page_shows_chinese_words_and_reasons(client, family):
    page = client.get(check_url(FAMILY_TRIP, lang="zh"))
    root = html(page)

    assert root.get("lang") == "zh-Hans"
    assert root.xpath("//h1")[0].text_content() == "旅客自查"
    assert root.xpath('//p[@class="verdict-word"]')[0].text_content() == "需要文件"
    reasons = [reason.text_content() for reason in root.xpath('//ol[@class="reasons"]/li')]
    assert reasons and all(CJK.search(text) and not re.search(r"[A-Za-z]{3,}", text) for text in reasons), reasons
    assert any("法国规定：携带哌甲酯超过1000 mg时须持有出发国签发的证明书" in text for text in reasons)
    assert "法国，文件要求，第 1 版" in root.get_element_by_id("country-FR").text_content()
    assert "本核查不构成法律意见" in root.xpath('//p[@class="disclaimer"]')[0].text_content()


def test_every_phrase_of_a_reason_has_a_chinese_translation():
    catalog = read_po(open(i18n.TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po", "rb"), locale="zh")
    with open(ROOT / "registry" / "check" / "reasons.py", "rb") as source:
        phrases = {message for _line, _function, message, _comments in reasons.extract_phrases(source, {}, [], {})}
    used = set()

    def record(phrase):
        used.add(phrase)
        return i18n.catalog("zh").gettext(phrase)

    for case in CASES:
        for country in rules.check(trips.read_trip(case.trip), notifications(case.published)).countries:
            for result in country.items:
                for reason in result.reasons:
                    reasons.render(reason, record, "zh")
    assert set(reasons.TEXTS.values()) | {reasons.DISCLAIMER} <= phrases
    assert used <= phrases, used - phrases  # the extractor finds every phrase the reasons use
    missing = [phrase for phrase in phrases if not catalog.get(phrase) or not catalog.get(phrase).string or catalog.get(phrase).fuzzy]
    assert not missing


def test_pybabel_extracts_the_phrases_of_the_reasons_as_babel_cfg_says():
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)

    found = {message for _file, _line, message, _comments, _context in extract_from_dir(ROOT, method_map, options_map)}

    assert reasons.TEXTS["annex-ii-above"] in found and "%(items)s and %(last)s" in found
    assert "Traveller check" in found  # the rest of the code is extracted as before


# -- the model certificate -------------------------------------------------------------------------------------------

CERTIFICATE_WORDS = {
    "en": ("Dosage form", "France", "transdermal patches", "168 mg"),
    "fr": ("Forme pharmaceutique", "France", "dispositifs transdermiques (patchs)", "168 mg"),
    "es": ("Forma farmacéutica", "Francia", "parches transdérmicos", "168 mg"),
    "zh": ("剂型", "法国", "透皮贴剂", "168 mg"),
    "ru": ("Лекарственная форма", "Франция", "трансдермальные пластыри", "168 mg"),
    "ar": ("الشكل الصيدلاني", "فرنسا", "لصقات عبر الجلد", "168 mg"),
}


def certificate_fields(article) -> dict[str, str]:
    return {line.get("data-field"): line.xpath("dd")[0].text_content() for line in article.xpath('.//div[@class="cert-line"]')}


@pytest.mark.parametrize("lang", ["en", "fr", "es", "zh", "ru", "ar"])
def test_the_certificate_is_prefilled_with_the_medicine_in_four_languages(client, family, lang):
    label, destination, form, total = CERTIFICATE_WORDS[lang]

    page = client.get(check_url(FAMILY_TRIP, "/check/certificate", cert_lang=lang))
    root = html(page)

    assert page.status_code == 200
    assert root.xpath('//div[@class="certificates"]/@data-cert-lang') == [lang]
    certificates = root.xpath('//article[@class="certificate"]')
    assert len(certificates) == 2  # each medicine needs the (Schengen) certificate in France
    patches = certificate_fields(certificates[1])
    assert label in certificates[1].text_content()
    assert patches["d_form"] == form and patches["d_units"] == "10" and patches["d_total"] == total
    assert patches["d_inn"].startswith("fentanyl")
    assert patches["c_destination"] == destination
    assert patches["e_title"] == "Office 1 of DE" and patches["e_phone"] == "+33 1 55 87 30 00"
    assert patches["d_trade_name"] == patches["d_concentration"] == patches["d_instructions"] == ""


def test_the_prescriptions_duration_is_left_to_the_physician_unless_the_traveller_gave_it(client, family):
    given = {**FAMILY_TRIP, "items": [FAMILY_TRIP["items"][0], {**FAMILY_TRIP["items"][1], "prescription_days": 28}]}

    unknown = root_certificates(client, FAMILY_TRIP)
    known = root_certificates(client, given)

    assert FAMILY_TRIP["days"] == 14  # the stay is not the prescription's duration
    assert [certificate_fields(article)["d_days"] for article in unknown] == ["", ""]
    assert [certificate_fields(article)["d_days"] for article in known] == ["", "28"]


def root_certificates(client, body):
    return html(client.get(check_url(body, "/check/certificate", cert_lang="en"))).xpath('//article[@class="certificate"]')


def test_the_certificate_asks_for_no_patient_data_and_leaves_physician_and_patient_blank(client, family):
    url = check_url(FAMILY_TRIP, "/check/certificate", cert_lang="en")

    root = html(client.get(url))

    assert {name for name, _ in parse_qsl(urlsplit(url).query)} <= {"destination", "departure", "transit", "days", "cert_lang"} | {
        f"items.{index}.{name}" for index in range(2) for name in check_page.ITEM_FIELDS}
    certificates = root.xpath('//div[@class="certificates"]')[0]
    assert not certificates.xpath(".//input | .//textarea | .//select | .//form")
    for article in root.xpath('//article[@class="certificate"]'):
        blank = {name: value for name, value in certificate_fields(article).items() if name[0] in "bc" and name != "c_destination"}
        assert set(blank) == {"b_name", "b_address", "b_phone", "b_licence", "c_name", "c_sex", "c_birth_place",
                              "c_birth_date", "c_address", "c_passport"}
        assert not any(blank.values())
        assert article.xpath('.//*[@data-field="e_seal"]') and article.xpath('.//*[@data-field="e_signature"]')


def test_a_result_that_needs_a_certificate_links_to_it_and_one_that_does_not_has_no_link(client, family):
    needed = html(client.get(check_url(FAMILY_TRIP, lang="zh")))
    not_needed = html(client.get(check_url(trip(item("diazepam", 100)))))

    links = needed.xpath('//a[starts-with(@href, "/check/certificate?")]/@href')
    assert links[0].endswith("cert_lang=zh") and {link.rsplit("=", 1)[1] for link in links} == set(certificate.LANGUAGES)
    assert client.get(links[0]).status_code == 200
    assert not not_needed.xpath('//a[starts-with(@href, "/check/certificate")]')


def test_a_certificate_without_its_trip_sends_back_to_the_form(client):
    answer = client.get("/check/certificate?destination=FR&items.0.substance=morphine")

    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/check?destination=FR")


# -- nothing kept, nothing leaked ------------------------------------------------------------------------------------------


def test_checking_writes_nothing_logs_nothing_and_may_not_be_cached(app, client, family, caplog):
    before = table_rows(app)
    caplog.set_level(logging.DEBUG)

    answers = [
        client.get("/check"),
        client.get(check_url(FAMILY_TRIP | {"days": 23})),
        client.get(check_url(FAMILY_TRIP | {"days": 23}, action="add:items")),
        client.get(check_url(FAMILY_TRIP | {"days": 23}, "/check/certificate", cert_lang="fr")),
        client.get("/check", query_string={"destination": "FR", "items.0.substance": "morphine", "items.0.amount": "-1234.567"}),
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 200, 422]
    assert all(answer.headers["Cache-Control"] == "no-store" for answer in answers)
    assert table_rows(app) == before
    assert "1234.567" not in caplog.text and "fentanyl" not in caplog.text and "days=23" not in caplog.text


def test_the_pages_send_the_security_headers_and_no_inline_script_style_or_foreign_asset(client, family):
    for url in ("/check", check_url(FAMILY_TRIP), check_url(FAMILY_TRIP, "/check/certificate", cert_lang="es"), "/check?destination="):
        answer = client.get(url)
        root = html(answer)
        assert answer.headers["Content-Security-Policy"] == HEADERS["Content-Security-Policy"]
        assert answer.headers["X-Frame-Options"] == "DENY" and answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "no-referrer"  # the trip in the address goes nowhere else
        assert all(script.get("src", "").startswith("/static/") for script in root.xpath("//script"))
        assert not root.xpath("//style | //*[@style] | //*[@onclick or @onload or @onchange]")
        assets = root.xpath("//link/@href | //img/@src | //script/@src")
        assert all(asset.startswith("/") and not asset.startswith("//") for asset in assets), assets
        assert client.get("/static/check.css").status_code == 200 and client.get("/static/check.js").status_code == 200


@pytest.mark.parametrize("typed", ["Ritalin 10 mg", "RITALIN 10 MG", "ritalin-10-mg-tablet"])
def test_a_product_typed_as_on_the_box_is_counted_and_the_computation_shown(client, typed):
    page = client.get("/check", query_string={"destination": "FR", "items.0.product": typed, "items.0.unit_doses": "60"})
    same = client.get(check_url(trip(item("methylphenidate", 600, unit_doses=60, form="tablet"), destination="FR")))
    root = html(page)

    assert page.status_code == 200
    assert shown(page) == shown(same)
    assert root.xpath('//li[@data-product="ritalin-10-mg-tablet"]/span[@class="computed"]')[0].text_content() \
        == "Ritalin 10 mg × 60 = 600 mg Methylphenidate"
    assert "Ritalin 10 mg" in [option.get("value") for option in root.xpath('//datalist[@id="product-choices"]/option')]


def test_a_combination_names_its_uncontrolled_ingredient_and_a_strength_per_unit_is_counted_in_chinese(client):
    page = client.get("/check", query_string={"destination": "FR", "lang": "zh", "items.0.product": "Suboxone 8 mg/2 mg",
                                              "items.0.unit_doses": "28", "items.1.substance": "methylphenidate",
                                              "items.1.strength": "10", "items.1.unit_doses": "60"})
    root = html(page)

    assert page.status_code == 200
    suboxone, methylphenidate = root.xpath('//dl[contains(@class, "trip-summary")]//li')
    assert "naloxone" in suboxone.xpath('.//span[@class="not-controlled"]')[0].text_content()
    assert "Suboxone" in suboxone.text_content() and "8 mg/2 mg × 28 = 224 mg" in suboxone.text_content()
    assert "10 mg × 60 = 600 mg" in methylphenidate.text_content()


def test_a_substance_under_national_control_only_is_said_so_on_the_page(client):
    page = client.get("/check", query_string={"destination": "FR", "items.0.product": "Tramal 50 mg", "items.0.unit_doses": "30"})

    [reason] = html(page).xpath('//article[@data-substance="tramadol"]//ol[@class="reasons"]/li')
    assert reason.get("data-code") == "not-under-international-control"
    assert "INCB Yellow List and Green List" in reason.text_content()
