"""The public pages as a reader sees them (docs/api.md, "Pages"), in English and Chinese."""
import json
import re
import uuid
from html.parser import HTMLParser

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from registry import history, i18n, reference

from registry.cli import demo

from registry.web import map as world_map

from registry.web import pages
from registry.db import db
from registry.models import Version
from registry.http import HEADERS

from ..helpers import factories
from ..helpers.api import publish


@pytest.fixture
def demo_data(app):
    with app.app_context():
        demo.load()


class Links(HTMLParser):
    """The href/src of every link, script, image and anchor of a page, and its <html lang>."""

    def __init__(self):
        super().__init__()
        self.assets, self.anchors, self.alternates, self.lang = [], [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "link" and attrs.get("rel") == "alternate":
            self.alternates.append(attrs)
        elif tag in ("link", "script", "img", "source", "iframe"):
            self.assets.append(attrs.get("href") or attrs.get("src"))
        elif tag == "a" and "href" in attrs:
            self.anchors.append(attrs["href"])


def parsed(response) -> Links:
    links = Links()
    links.feed(response.get_data(as_text=True))
    return links


def test_every_page_answers_200_with_the_demonstration_data(client, demo_data, app):
    with app.app_context():
        versions = [(row.country, row.section, row.version) for row in history.all_versions()]
        banned = history.active_bans()
    paths = ["/", "/countries", "/import-bans", "/substances", "/search?q=morph", "/countries/NO"]
    paths += [f"/countries/{code}" for code in {country for country, _, _ in versions}]
    paths += [f"/countries/{country}/{section}/versions/{number}" for country, section, number in versions]
    paths += [f"/substances/{key}" for key in [*banned, "morphine", "fentanyl", "diazepam", "cannabis"]]
    for lang in ("en", "zh"):
        for path in paths:
            response = client.get(path + ("&" if "?" in path else "?") + f"lang={lang}")
            assert response.status_code == 200, (path, lang)
            assert response.mimetype == "text/html"


@pytest.mark.parametrize("path", [
    "/countries/XX", "/countries/ZZ/requirements/versions/1", "/countries/FR/requirements/versions/1",
    "/countries/FR/rules/versions/1", "/substances/unobtainium", "/no/such/page",
])
def test_invalid_input_gets_a_helpful_404_page_in_the_chosen_language(client, path):
    english = client.get(path)
    assert english.status_code == 404
    assert english.mimetype == "text/html"
    assert "Page not found" in english.get_data(as_text=True)
    assert parsed(english).lang == "en"

    chinese = client.get(path, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert chinese.status_code == 404
    assert "找不到页面" in chinese.get_data(as_text=True)
    assert parsed(chinese).lang == "zh-Hans"


def test_an_unknown_country_page_says_how_to_find_countries(client):
    body = client.get("/countries/XX").get_data(as_text=True)
    assert "XX is not a country code of ISO 3166-1" in body
    assert 'href="/countries"' in body


def test_a_lower_case_country_code_redirects_to_the_upper_case_page(client):
    response = client.get("/countries/fr?lang=zh")
    assert response.status_code == 301
    assert response.headers["Location"] == "/countries/FR?lang=zh"
    assert client.get("/countries/de/requirements/versions/1").status_code == 301


def test_a_country_that_notified_nothing_says_so_explicitly(client):
    body = client.get("/countries/NO").get_data(as_text=True)
    assert "Norway has notified nothing" in body
    assert "挪威尚未作出任何通知" in client.get("/countries/NO?lang=zh").get_data(as_text=True)


def test_the_country_page_reads_the_current_rules_in_plain_language(client, authority):
    headers = authority("FR")
    publish(client, headers, "FR", "requirements", factories.requirements())
    publish(client, headers, "FR", "authorities", factories.authorities())
    publish(client, headers, "FR", "import-bans", factories.import_bans())

    body = client.get("/countries/FR").get_data(as_text=True)
    for text in (
        "narcotic drugs in Schedule I (1961)", "an import permit issued in advance by this country",
        "Apply for the import permit at least 14 days before travelling.",
        "Above 1,000 mg of the substance in total", "Up to 30 days of treatment.", "Up to 90 days for",
        "Declare the medicines to customs on arrival.", "Travellers in transit need the same documents as for entry.",
        "A local physician may prescribe a further supply.", "Agence nationale de démonstration",
        "143 boulevard de l&#39;Exemple", "93200 Saint-Denis", 'href="tel:+33155873000"',
        "Imports may still be authorized case by case (special licence).", "Last confirmed",
        'href="/api/v1/countries/FR"', 'href="/feeds/countries/FR.atom"',
    ):
        assert text in body, text
    chinese = client.get("/countries/FR?lang=zh").get_data(as_text=True)
    assert "法国" in chinese and "1961年公约附表一所列麻醉药品" in chinese and "入境时须向海关申报药品。" in chinese


def test_a_version_page_shows_its_differences_and_links_its_neighbours(client, authority):
    headers = authority("FR")
    publish(client, headers, "FR", "requirements", factories.requirements())
    publish(client, headers, "FR", "requirements", factories.requirements(max_supply_days=60))

    second = client.get("/countries/FR/requirements/versions/2").get_data(as_text=True)
    assert "Maximum supply (days) changed from 30 to 60." in second
    assert 'rel="prev" href="/countries/FR/requirements/versions/1"' in second
    first = client.get("/countries/FR/requirements/versions/1").get_data(as_text=True)
    assert "This is not the current version." in first
    assert "First notification of documentary requirements." in first


def version_links(body: str) -> list[int]:
    """The version numbers a page's lists of versions link to, in the order shown."""
    return [int(number) for number in re.findall(r'<li><a href="/countries/FR/requirements/versions/(\d+)">', body)]


def history_pages(body: str) -> dict[str, str]:
    """The links of a history page's pager, by rel: "prev" to newer versions, "next" to older ones."""
    found = re.search(r'<nav class="pager"[^>]*>(.*?)</nav>', body, re.S)
    return dict(re.findall(r'<a rel="(\w+)" href="([^"]+)"', found.group(1))) if found else {}


@pytest.fixture
def five_versions(client, authority):
    headers = authority("FR")
    for days in range(30, 35):
        publish(client, headers, "FR", "requirements", factories.requirements(max_supply_days=days))


def test_a_country_page_lists_a_section_s_newest_versions_and_links_its_whole_history(client, five_versions, monkeypatch):
    monkeypatch.setattr(pages, "HISTORY_SHOWN", 2)
    body = client.get("/countries/FR").get_data(as_text=True)
    assert version_links(body) == [5, 4]
    assert "History of this section (5)" in body and '<ol reversed start="5">' in body
    assert '<a href="/countries/FR/requirements/versions">All 5 versions of this section</a>' in body
    assert "这一部分的全部 5 个版本" in client.get("/countries/FR?lang=zh").get_data(as_text=True)


def test_a_country_page_with_every_version_shown_links_no_further_history(client, five_versions, monkeypatch):
    monkeypatch.setattr(pages, "HISTORY_SHOWN", 5)
    body = client.get("/countries/FR").get_data(as_text=True)
    assert version_links(body) == [5, 4, 3, 2, 1]
    assert "/countries/FR/requirements/versions\"" not in body


def test_a_section_s_history_goes_page_by_page_from_the_newest_to_the_first_version(client, five_versions, monkeypatch):
    monkeypatch.setattr(pages, "HISTORY_PAGE", 2)
    first = client.get("/countries/FR/requirements/versions").get_data(as_text=True)
    assert version_links(first) == [5, 4] and '<ol reversed start="5"' in first
    assert "Versions 4 to 5 of 5, newest first." in first
    assert history_pages(first) == {"next": "/countries/FR/requirements/versions?before=4"}
    second = client.get("/countries/FR/requirements/versions?before=4").get_data(as_text=True)
    assert version_links(second) == [3, 2]
    assert history_pages(second) == {"prev": "/countries/FR/requirements/versions", "next": "/countries/FR/requirements/versions?before=2"}
    last = client.get("/countries/FR/requirements/versions?before=2").get_data(as_text=True)
    assert version_links(last) == [1]
    assert history_pages(last) == {"prev": "/countries/FR/requirements/versions?before=4"}


@pytest.mark.parametrize("before, shown", [("999", [5, 4]), ("6", [5, 4]), ("abc", [5, 4]), ("", [5, 4]), ("0", [1]), ("-3", [1])])
def test_a_history_page_asked_for_past_either_end_shows_the_nearest_page(client, five_versions, monkeypatch, before, shown):
    monkeypatch.setattr(pages, "HISTORY_PAGE", 2)
    response = client.get(f"/countries/FR/requirements/versions?before={before}")
    assert response.status_code == 200
    assert version_links(response.get_data(as_text=True)) == shown


def test_a_history_page_is_in_the_reader_s_language(client, five_versions):
    body = client.get("/countries/FR/requirements/versions?lang=fr").get_data(as_text=True)
    assert "Versions 1 à 5 sur 5, de la plus récente à la plus ancienne." in body
    assert '<html lang="fr"' in body


def test_the_history_of_a_section_never_notified_is_404_and_a_lower_case_code_redirects(client, five_versions):
    missing = client.get("/countries/FR/import-bans/versions")
    assert missing.status_code == 404 and "France has published nothing in this section." in missing.get_data(as_text=True)
    assert client.get("/countries/XX/requirements/versions").status_code == 404
    moved = client.get("/countries/fr/requirements/versions")
    assert moved.status_code == 301 and moved.headers["Location"].endswith("/countries/FR/requirements/versions")


def changes_list(body: str) -> tuple[str, list[str]]:
    """The opening tag of a version page's list of changes, and its items."""
    found = re.search(r'(<ul class="changes"[^>]*>)(.*?)</ul>', body, re.S)
    return found.group(1), re.findall(r"<li>(.*?)</li>", found.group(2))


@pytest.mark.parametrize("lang", [lang for lang in i18n.LANGUAGES if lang != "en"])
def test_a_version_page_says_its_differences_in_the_readers_language(client, authority, lang):
    headers = authority("FR")
    publish(client, headers, "FR", "requirements", factories.requirements())
    publish(client, headers, "FR", "requirements", factories.requirements(max_supply_days=60))

    body = client.get(f"/countries/FR/requirements/versions/2?lang={lang}").get_data(as_text=True)
    tag, items = changes_list(body)
    translate = i18n.catalog(lang).gettext
    assert items == [translate("%(label)s changed from %(old)s to %(new)s.") % {
        "label": translate("Maximum supply (days)"), "old": "30", "new": "60"}]
    assert tag == '<ul class="changes">' and translate("The differences are recorded in English with each version.") not in body


def test_differences_that_cannot_be_worded_anew_are_shown_in_english_and_marked_so(app, client, authority):
    # A reference of its own, so that no other test's version has its hash (wordings are kept by hash).
    publish(client, authority("FR"), "FR", "import-bans", factories.import_bans(bans=[factories.ban(reference=uuid.uuid4().hex)]))
    with app.app_context():  # as a version published by an older wording, or restored from a bundle, would read
        row = history.version("FR", "import-bans", 1)
        row.changes = json.dumps(["First notification, in an older wording."])
        db.session.commit()

    body = client.get("/countries/FR/import-bans/versions/1?lang=fr").get_data(as_text=True)
    tag, items = changes_list(body)
    assert tag == '<ul class="changes" lang="en">' and items[0].startswith("First notification, in an older wording")
    assert i18n.catalog("fr").gettext("The differences are recorded in English with each version.") in body


def test_a_text_not_given_in_the_readers_language_is_shown_in_the_countrys_first_language_and_marked(client, authority):
    headers = authority("FR")
    publish(client, headers, "FR", "requirements", factories.requirements(
        notes={"en": "Carry the documents in your hand luggage.", "fr": "Gardez les documents dans le bagage à main."}))

    russian = client.get("/countries/FR?lang=ru").get_data(as_text=True)
    assert ('<p class="notified-text" lang="fr">Gardez les documents dans le bagage à main. '
            '<span class="text-language" lang="ru">(французский)</span></p>') in russian
    assert "Carry the documents in your hand luggage." not in russian
    assert "Carry the documents in your hand luggage." in client.get("/countries/FR?lang=en").get_data(as_text=True)


def test_text_with_a_script_in_any_notified_field_is_shown_as_text(client, authority):
    script = "<script>alert('x')</script>"
    headers = authority("FR")
    publish(client, headers, "FR", "requirements", factories.requirements(
        notes={"en": script}, transit="own-rules", transit_notes={"en": script},
        legal_basis=[{"title": script}],
    ))
    authorities = factories.authorities()
    authorities["authorities"][0].update(name=script, address={"lines": [script], "city": script, "postal_code": "<b>1</b>", "country": "FR"})
    publish(client, headers, "FR", "authorities", authorities)
    bans = factories.import_bans()
    bans["bans"][0].update(region=script, reference=script, notes={"en": script})
    publish(client, headers, "FR", "import-bans", bans)

    for path in ("/countries/FR", "/countries/FR/authorities/versions/1", "/import-bans", "/substances/methylphenidate", "/"):
        body = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in body, path
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in client.get("/countries/FR").get_data(as_text=True)


def test_map_category_tells_nothing_requirements_and_permit_for_narcotics_apart():
    def state(rules, withdrawn=False):
        row = Version(document=None if withdrawn else json.dumps(factories.requirements(rules=rules)), withdrawn=withdrawn)
        return history.CountryState(reference.country("FR"), {"requirements": row, "authorities": None, "import-bans": None}, {})

    permit = {"documents": ["import-permit"], "threshold": "always"}
    nothing = history.CountryState(reference.country("FR"), {"requirements": None, "authorities": None, "import-bans": None}, {})
    assert pages.map_category(nothing) == pages.NOTHING
    assert pages.map_category(state([], withdrawn=True)) == pages.NOTHING
    assert pages.map_category(state([])) == pages.REQUIREMENTS
    assert pages.map_category(state([{**permit, "applies_to": ["1971-II"]}])) == pages.REQUIREMENTS
    assert pages.map_category(state([{"applies_to": ["1961-I"], "documents": ["certificate"], "threshold": "always"}])) == pages.REQUIREMENTS
    assert pages.map_category(state([{**permit, "applies_to": ["1961-II"]}])) == pages.PERMIT
    assert pages.map_category(state([{**permit, "applies_to": ["morphine"]}])) == pages.PERMIT


def test_the_overview_map_is_server_rendered_svg_with_titles_and_a_legend(client, authority):
    publish(client, authority("JP"), "JP", "requirements", factories.requirements())
    publish(client, authority("DE"), "DE", "requirements", factories.requirements(rules=[]))
    body = client.get("/").get_data(as_text=True)
    assert re.search(r'<a href="/countries/JP" class="country permit">\s*<title>Japan: Requirements, with an import permit for narcotic drugs</title>', body)
    assert re.search(r'<a href="/countries/DE" class="country requirements">\s*<title>Germany: Requirements notified</title>', body)
    assert '<g class="country nothing"><title>Norway: Nothing notified yet</title>' in body
    assert body.count('class="swatch"') == 3
    assert "<style" not in body and " style=" not in body and "<script>" not in body


def facts(response) -> list[str]:
    """The overview's numbered facts, as read aloud: tags dropped, spaces collapsed."""
    listing = re.search(r'<ul class="facts">(.*?)</ul>', response.get_data(as_text=True), re.S).group(1)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in re.findall(r"<li>(.*?)</li>", listing, re.S)]


def test_the_overview_numbers_say_what_they_count_with_plural_forms_in_both_languages(client, authority):
    headers = authority("FR")
    publish(client, headers, "FR", "requirements", factories.requirements())
    publish(client, headers, "FR", "requirements", factories.requirements(max_supply_days=60))
    publish(client, headers, "FR", "import-bans", factories.import_bans())

    assert facts(client.get("/?lang=en")) == [
        "1 country has rules in force", "1 country asks for an import permit for narcotic drugs",
        "1 country bans the import of some psychotropic substances", "3 versions published in all, counting every amendment and withdrawal"]
    assert facts(client.get("/?lang=zh"))[3] == "3 个版本已发布（包括所有修订和撤回）"
    publish(client, authority("DE"), "DE", "requirements", factories.requirements())
    assert facts(client.get("/?lang=en"))[0] == "2 countries have rules in force"


def test_the_world_map_has_a_shape_for_nearly_every_country():
    shapes = {shape.code for shape in world_map.world().shapes}
    missing = set(reference.countries()) - shapes
    assert not missing
    assert all(shape.path or shape.circles for shape in world_map.world().shapes)


def test_a_substance_page_shows_schedules_amounts_bans_and_requirements(client, authority):
    headers = authority("FR")
    publish(client, headers, "FR", "requirements", factories.requirements())
    publish(client, headers, "FR", "import-bans", factories.import_bans())

    body = client.get("/substances/methylphenidate").get_data(as_text=True)
    assert "1971 Schedule II" in body
    assert "2,000 mg" in body and "a certificate may be required (Annex II)" in body
    assert 'href="/countries/FR#import-bans"' in body
    assert 'href="/feeds/substances/methylphenidate.atom"' in body
    assert "Above 1,000 mg of the substance in total" in body  # the rule naming it
    assert "哌甲酯" in client.get("/substances/methylphenidate?lang=zh").get_data(as_text=True)


def test_a_substance_is_named_by_its_inn_in_the_page_language_or_in_english_with_a_note(client):
    for lang, name in (("ru", "Альфентанил"), ("ar", "ألفنتانيل"), ("fr", "Alfentanil"), ("es", "Alfentanilo")):
        body = client.get(f"/substances/alfentanil?lang={lang}").get_data(as_text=True)
        assert f"<h1>{name}</h1>" in body and 'class="hint"' not in body.split("<dl", 1)[0], lang
    for lang in ("ru", "ar", "zh", "fr", "es"):  # no INN: the English name, marked as English, and why
        body = client.get(f"/substances/mt-45?lang={lang}").get_data(as_text=True)
        assert re.search(r'<h1 lang="en">MT-45</h1>\s*<p class="hint">', body), lang
    assert 'class="hint"' not in client.get("/substances/mt-45?lang=en").get_data(as_text=True).split("<dl", 1)[0]
    listed = client.get("/substances?lang=ru").get_data(as_text=True)
    assert '<a href="/substances/alfentanil">Альфентанил</a>' in listed
    assert '<a href="/substances/mt-45" lang="en">MT-45</a>' in listed


def test_rules_for_a_substance_are_found_by_key_and_by_schedule(app, client, authority):
    publish(client, authority("FR"), "FR", "requirements", factories.requirements())
    with app.test_request_context("/"):  # the rules come in the order of country names in the page's language
        methylphenidate = pages.rules_for_substance(reference.substance("methylphenidate"))
        assert [item.via for item in methylphenidate] == ["1971-II", "methylphenidate"]
        assert [item.via for item in pages.rules_for_substance(reference.substance("morphine"))] == ["1961-I"]
        assert pages.rules_for_substance(reference.substance("diazepam")) == []


def test_the_import_bans_table_filters_by_substance_and_country(client, authority):
    publish(client, authority("FR"), "FR", "import-bans", factories.import_bans())
    publish(client, authority("JP"), "JP", "import-bans", factories.import_bans(bans=[
        {"substance": "methylphenidate", "since": "2020-01-01", "region": None, "special_licence": False},
        {"substance": "phenobarbital", "since": "2020-01-01", "region": "Okinawa", "special_licence": True},
    ]))
    everything = client.get("/import-bans").get_data(as_text=True)
    assert "3 bans in force" in everything
    only_japan = client.get("/import-bans?country=JP").get_data(as_text=True)
    assert "2 bans in force" in only_japan and "Okinawa" in only_japan
    one = client.get("/import-bans?substance=phenobarbital").get_data(as_text=True)
    assert "1 ban in force" in one
    assert client.get("/import-bans?substance=nonsense&country=QQ").status_code == 200


def test_search_finds_countries_and_substances_in_either_language(client):
    assert client.get("/search?q=法国").headers["Location"] == "/countries/FR"
    assert client.get("/search?q=methylphenidate").headers["Location"] == "/substances/methylphenidate"
    several = client.get("/search?q=ger").get_data(as_text=True)
    assert 'href="/countries/DE"' in several and 'href="/countries/NE"' in several
    nothing = client.get("/search?q=qqqqq").get_data(as_text=True)
    assert "Nothing matches “qqqqq”." in nothing


def test_the_language_comes_from_lang_then_the_cookie_then_accept_language(client):
    assert parsed(client.get("/", headers={"Accept-Language": "zh-TW,zh;q=0.8"})).lang == "zh-Hans"
    assert parsed(client.get("/", headers={"Accept-Language": "fr-FR"})).lang == "fr"
    assert parsed(client.get("/", headers={"Accept-Language": "ar-EG,en;q=0.5"})).lang == "ar"
    assert parsed(client.get("/", headers={"Accept-Language": "de-DE"})).lang == "en"

    chosen = client.get("/countries?lang=zh")
    assert "lang=zh" in chosen.headers["Set-Cookie"]
    assert "中文" in chosen.get_data(as_text=True) and "尚未作出任何通知的国家" in chosen.get_data(as_text=True)
    assert parsed(client.get("/countries", headers={"Accept-Language": "en"})).lang == "zh-Hans"  # the choice sticks
    assert parsed(client.get("/countries?lang=en")).lang == "en"
    assert "Accept-Language" in client.get("/").headers["Vary"]


def test_every_page_has_a_visible_language_switch_to_the_same_page(client):
    body = client.get("/import-bans?substance=methylphenidate").get_data(as_text=True)
    assert 'href="/import-bans?substance=methylphenidate&amp;lang=zh"' in body
    assert 'aria-current="true">English</a>' in body


@pytest.mark.parametrize("path", ["/", "/countries/FR", "/substances/morphine", "/no/such/page", "/console/login"])
def test_security_headers_are_on_pages_and_on_html_errors(client, path):
    response = client.get(path)
    for name, value in HEADERS.items():
        assert response.headers[name] == value
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path, feed", [
    ("/", "/feeds/changes.atom"),
    ("/countries/FR", "/feeds/countries/FR.atom"),
    ("/import-bans", "/feeds/sections/import-bans.atom"),
    ("/substances/morphine", "/feeds/substances/morphine.atom"),
])
def test_pages_with_a_feed_announce_it(client, path, feed):
    alternates = parsed(client.get(path)).alternates
    assert {"rel": "alternate", "type": "application/atom+xml", "href": feed} in [
        {key: item[key] for key in ("rel", "type", "href")} for item in alternates
    ]


def test_no_page_loads_anything_from_another_host(client, demo_data):
    for path in ("/", "/countries/FR", "/import-bans", "/substances/morphine", "/console/login"):
        for asset in parsed(client.get(path)).assets:
            assert asset.startswith("/") and not asset.startswith("//"), (path, asset)
    assert client.get("/static/registry.css").status_code == 200
    assert client.get("/static/registry.js").status_code == 200


def test_the_demonstration_banner_is_shown_only_with_demonstration_data(client, app):
    assert "Demonstration data." not in client.get("/").get_data(as_text=True)
    with app.app_context():
        demo.load()
    for path in ("/", "/countries/FR", "/no/such/page", "/console/login"):
        assert "Demonstration data." in client.get(path).get_data(as_text=True), path
    assert "演示数据。" in client.get("/?lang=zh").get_data(as_text=True)


def test_every_ui_string_has_a_chinese_translation():
    catalog = read_po(open(i18n.TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po", "rb"), locale="zh")
    translated = {message.id if isinstance(message.id, str) else message.id[0]: message for message in catalog if message.id}
    source = i18n.TRANSLATIONS.parent
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
    untranslated = []
    for _file, _line, message, _comments, _context in extract_from_dir(source, method_map, keywords=keywords):
        msgid = message if isinstance(message, str) else message[0]
        found = translated.get(msgid)
        if found is None or not found.string or "fuzzy" in found.flags or (not isinstance(found.string, str) and not all(found.string)):
            untranslated.append(msgid)
    assert not untranslated
    assert not list(catalog.check())  # placeholders agree between English and Chinese


def test_the_catalogue_is_compiled_from_the_po_file_at_start_up():
    assert i18n.catalog("zh").gettext("Countries") == "国家"
    assert i18n.catalog("en").gettext("Countries") == "Countries"


def test_lists_sort_by_collation_in_the_readers_language_not_by_code_points(client, authority):
    for code in ("CZ", "CI", "CU"):
        publish(client, authority(code), code, "requirements", factories.requirements(rules=[factories.rule(applies_to=["methylphenidate"])]))
    listing = client.get("/countries?lang=en").get_data(as_text=True)
    assert listing.index("Côte d") < listing.index("Cuba") < listing.index("Czechia")
    table = client.get("/substances/methylphenidate?lang=en").get_data(as_text=True)
    assert table.index("Côte d") < table.index("Cuba") < table.index("Czechia")
    assert i18n.sort_key("Åland Islands") < i18n.sort_key("Albania") < i18n.sort_key("Zambia")


def test_dates_are_written_one_way_per_language(app, client, authority):
    publish(client, authority("FR"), "FR", "requirements", factories.requirements(effective_from="2026-03-05"))
    assert "5 March 2026" in client.get("/countries/FR?lang=en").get_data(as_text=True)
    assert "2026年3月5日" in client.get("/countries/FR?lang=zh").get_data(as_text=True)
    with app.test_request_context("/?lang=en"):
        assert i18n.day("2026-03-05") == "5 March 2026"


def test_the_public_lists_every_countrys_issuing_authorities_and_authorities_sign_in_apart(client, authority):
    publish(client, authority("FR"), "FR", "authorities", factories.authorities())
    cuban = factories.authorities()
    cuban["authorities"][0].update(name="Autoridad de demostración", email="permisos@example.cu")
    publish(client, authority("CU"), "CU", "authorities", cuban)
    publish(client, authority("DE"), "DE", "authorities", factories.authorities())

    overview = client.get("/").get_data(as_text=True)
    assert '<a href="/authorities">Issuing authorities</a>' in overview
    assert '<a href="/console/">Sign in (authorities)</a>' in overview
    page = client.get("/authorities")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert body.index('id="authorities-CU"') < body.index('id="authorities-FR"') < body.index('id="authorities-DE"')  # by name, not code
    assert "permisos@example.cu" in body and 'href="tel:+33155873000"' in body and "stupefiants@example.fr" in body
    assert "登录（主管机关）" in client.get("/authorities?lang=zh").get_data(as_text=True)
