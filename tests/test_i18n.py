"""The six languages: how one is chosen, the language menu, dates and moments, and country names in each."""
from datetime import datetime, timezone

import pytest

from registry import i18n, reference


def test_the_language_menu_names_each_language_in_itself_and_keeps_the_page(client):
    body = client.get("/import-bans?substance=methylphenidate&lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in body
    for code, name in i18n.LANGUAGE_NAMES.items():
        tag = i18n.HTML_LANG[code]
        assert (f'href="/import-bans?substance=methylphenidate&amp;lang={code}" lang="{tag}" '
                f'dir="{"rtl" if code == "ar" else "ltr"}" hreflang="{tag}"') in body, code
        assert f">{name}</a>" in body


def test_only_a_page_remembers_the_language_asked_for(client):
    """A feed or API answer that shared caches keep must not carry a cookie (nor change a reader's pages)."""
    assert "lang=fr" in client.get("/countries?lang=fr").headers.get("Set-Cookie", "")
    for path in ("/feeds/changes.atom?lang=fr", "/api/v1/countries?lang=fr"):
        assert "Set-Cookie" not in client.get(path).headers, path


@pytest.mark.parametrize("header, lang", [
    ("ar-EG,en;q=0.5", "ar"),  # a region-tagged first choice wins over an exact match the browser likes less
    ("fr-CA", "fr"), ("es-419,es;q=0.9", "es"), ("ru", "ru"), ("zh-TW,zh;q=0.8", "zh"),
    ("de-DE,fr;q=0.7,en;q=0.3", "fr"), ("de-DE", "en"), ("*", "en"), ("fr;q=0,ru;q=0.5", "ru"),
])
def test_accept_language_chooses_among_the_six(client, header, lang):
    body = client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{i18n.HTML_LANG[lang]}"' in body


@pytest.mark.parametrize("lang, written", [
    ("en", "5 March 2026"), ("zh", "2026年3月5日"), ("fr", "5 mars 2026"), ("es", "5 de marzo de 2026"),
    ("ru", "5 марта 2026\u202fг."), ("ar", "5 مارس 2026"),
])
def test_dates_are_written_as_each_language_writes_them(app, lang, written):
    with app.test_request_context(f"/?lang={lang}"):
        assert i18n.day("2026-03-05") == written


def test_a_moment_says_its_time_and_time_zone_in_every_language(app):
    published = datetime(2026, 3, 5, 14, 5, tzinfo=timezone.utc)
    said = {}
    for lang in i18n.LANGUAGES:
        with app.test_request_context(f"/?lang={lang}"):
            said[lang] = i18n.moment(published)
    assert said["en"] == "5 March 2026, 14:05 UTC"
    assert said["zh"] == "2026年3月5日 14:05 UTC"
    assert said["ar"] == "5 مارس 2026، 14:05 UTC"
    assert all("14:05 UTC" in text for text in said.values())


def test_country_names_are_short_names_in_all_six_languages():
    assert {lang: reference.country("BO").name(lang) for lang in i18n.LANGUAGES} == {
        "ar": "بوليفيا", "zh": "玻利维亚", "en": "Bolivia", "fr": "Bolivie", "ru": "Боливия", "es": "Bolivia"}
    assert reference.country("KR").name("fr") == "Corée du Sud"
    assert reference.country("FO").name("ru") == "Фарерские острова"  # not CLDR's abbreviation о-ва
    for lang in i18n.LANGUAGES:
        names = [country.name(lang) for country in reference.countries().values()]
        assert len(set(names)) == len(names), lang


def test_a_countrys_languages_are_those_it_accepts_documents_in_then_its_official_ones():
    assert i18n.country_languages("FR", ("en", "fr")) == ("en", "fr")
    assert i18n.country_languages("CH", ("it",))[0] == "it" and {"de", "fr", "it"} <= set(i18n.country_languages("CH"))
    assert i18n.country_languages("US") == ("en",)  # English is the United States' language de facto
    assert "sr" in i18n.country_languages("XK") and "sr_Latn" not in i18n.country_languages("XK")  # as texts are keyed


@pytest.mark.parametrize("lang, text, languages, chosen", [
    ("ru", {"fr": "Gardez…", "en": "Carry…"}, ("fr", "en"), "fr"),  # the country's first language, not English
    ("ru", {"fr": "Gardez…", "ru": "Храните…"}, ("fr",), "ru"),  # the reader's, whenever the country gave it
    ("ru", {"fr": "Gardez…", "en": "Carry…"}, (), "en"),  # a country whose languages are not known: English
    ("zh", {"es": "Lleve…", "de": "Tragen…"}, ("fr",), "de"),  # none of those: the first
    ("en", {"fr": "Gardez…", "en": "Carry…"}, ("fr",), "en"),
])
def test_a_text_is_shown_in_the_readers_language_else_in_the_countrys_first(app, lang, text, languages, chosen):
    with app.test_request_context(f"/?lang={lang}"):
        assert i18n.pick(text, languages) == (chosen, text[chosen])
