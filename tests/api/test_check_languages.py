"""POST /api/v1/check in the six languages: the same verdicts, codes and params; only the words differ."""
import pytest

from registry import i18n
from registry.check import reasons

from ..helpers.check_cases import CASES, publish

ENGLISH_ONLY = ("text",)  # what a language may change in a reason
OTHER_LANGUAGES = [lang for lang in i18n.LANGUAGES if lang != "en"]


def ask(client, body, lang=None, **headers):
    return client.post("/api/v1/check" + (f"?lang={lang}" if lang else ""), json=body, headers=headers)


def without_words(answer: dict) -> dict:
    """The answer with every text a language words differently blanked out."""
    return {
        **answer,
        "disclaimer": None,
        "countries": [{**country, "items": [{**item, "reasons": [{**reason, "text": None} for reason in item["reasons"]]}
                                             for item in country["items"]]}
                      for country in answer["countries"]],
    }


def reasons_of(answer: dict) -> list[dict]:
    return [reason for country in answer["countries"] for item in country["items"] for reason in item["reasons"]]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_every_language_answers_the_same_verdicts_and_codes_in_its_own_words(client, secretariat, case):
    publish(client, secretariat, case.published)
    english = ask(client, case.trip).json

    for lang in OTHER_LANGUAGES:
        answer = ask(client, case.trip, lang)

        assert answer.status_code == 200, answer.json
        assert answer.headers["Content-Language"] == lang
        assert without_words(answer.json) == without_words(english), lang
        translate = i18n.catalog(lang).gettext
        for worded, original in zip(reasons_of(answer.json), reasons_of(english)):
            if translate(reasons.TEXTS[original["code"]]) != reasons.TEXTS[original["code"]]:
                assert worded["text"] != original["text"], (lang, original["code"])
        if translate(reasons.DISCLAIMER) != reasons.DISCLAIMER:
            assert answer.json["disclaimer"] == translate(reasons.DISCLAIMER)


TRIP = CASES[0].trip


def test_english_is_the_default_and_says_so(client):
    answer = ask(client, TRIP)

    assert answer.headers["Content-Language"] == "en"
    assert "Accept-Language" in answer.headers["Vary"]
    assert answer.json["disclaimer"] == reasons.DISCLAIMER


@pytest.mark.parametrize("header, lang", [("fr-FR,fr;q=0.9,en;q=0.5", "fr"), ("ar-MA", "ar"), ("zh-CN", "zh"),
                                          ("ru", "ru"), ("es-419,es;q=0.9", "es"), ("de-DE", "en")])
def test_accept_language_chooses_among_the_six(client, header, lang):
    assert ask(client, TRIP, **{"Accept-Language": header}).headers["Content-Language"] == lang


def test_lang_in_the_query_wins_over_accept_language_and_an_unknown_one_is_ignored(client):
    assert ask(client, TRIP, "ru", **{"Accept-Language": "fr"}).headers["Content-Language"] == "ru"
    assert ask(client, TRIP, "de", **{"Accept-Language": "es"}).headers["Content-Language"] == "es"


def test_the_openapi_description_names_the_language_parameter_and_header(client):
    operation = client.get("/api/v1/openapi.json").json["paths"]["/api/v1/check"]["post"]

    parameters = {(parameter["in"], parameter["name"]): parameter for parameter in operation["parameters"]}
    assert parameters["query", "lang"]["schema"]["enum"] == list(i18n.LANGUAGES)
    assert ("header", "Accept-Language") in parameters
    assert "Content-Language" in operation["responses"]["200"]["headers"]
