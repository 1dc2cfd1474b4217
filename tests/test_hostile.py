"""Hostile text in every free-text field: shown as text on pages, valid in feeds, exact in the API and exports.

Every string field a section document accepts is filled with markup, script,
attribute-breaking quotes, `]]>`, entity look-alikes, bidirectional overrides,
combining marks, emoji and astral characters and the scripts of the six UN
languages — each at the longest length allowed — and published through the API
by an authority whose own name is just as hostile.
"""
import csv
import io
import json
import zipfile

import feedparser
import pytest
from lxml import etree, html as lxml_html
from werkzeug.datastructures import MultiDict

from registry import accounts, changes, history

from registry.console import forms
from registry.documents import LINE_MAX, TEXT_MAX

from .helpers.browser import WAIT_MS, chromium, served
from .helpers.console import PASSWORD, csrf, form_of, sign_in

MARKUP = '<script>alert(1)</script><b id="injected">b</b>'
QUOTES = "\"'><img id=\"injected\" src=x onerror=alert(1)>"
XML = "]]><![CDATA[x]]> <?xml version='1.0'?><!-- </feed></entry>"
ENTITIES = "&amp; &lt;i&gt; &#60;x&#62; &nbsp; &bogus;"
BIDI = "\u200f\u202eexe.pdf\u202c \u2067\u05e2\u05d1\u05e8\u05d9\u05ea\u2069\u200e"
COMBINING = "Cafe\u0301 n\u0303 Z\u0351\u0352\u0353"  # decomposed on purpose: nothing may normalize it
ASTRAL = "\U0001F600 \U0001F469\U0001F3FD\u200d\u2695\ufe0f \U0001D11E \U0002070E \U0001F48A"
SEPARATORS = "\u2028 \u2029 \ufeff \u00a0 \u200b \ufffd \ue000"
UN = {"ar": "وصفة طبية", "zh": "处方和证明", "en": "prescription", "fr": "l’ordonnance", "ru": "рецепт", "es": "la receta"}
TRICKS = " ".join([MARKUP, QUOTES, XML, ENTITIES, BIDI, COMBINING, ASTRAL, SEPARATORS, *UN.values()])
ATOM, XHTML = "{http://www.w3.org/2005/Atom}", "{http://www.w3.org/1999/xhtml}"


def line(label: str, length: int = LINE_MAX) -> str:
    """One line of hostile text exactly `length` characters long, starting with its label."""
    text = f"[{label}] {TRICKS} "
    return (text * (length // len(text) + 1))[:length]


def text(label: str, *languages: str) -> dict:
    """Hostile text in several languages; several lines in English, the longest allowed in Chinese."""
    made = {}
    for language in languages or UN:
        if language == "en":
            # A first line break too: an HTML parser drops one right after <textarea>.
            made[language] = f"\n[{label}] {TRICKS}\n{MARKUP}\n\n{UN['en']} {BIDI}"
        elif language == "zh":
            made[language] = (f"[{label}] {UN['zh']} {TRICKS}\n" * (TEXT_MAX // 300 + 1))[:TEXT_MAX]
        else:
            made[language] = f"[{label}] {UN[language]} {TRICKS}"
    return made


PUBLISHER = line("publisher", 200)
EMAIL = "\"<script>alert(1)</script>&amp;'\"@example.org"
WEBSITE = "https://example.org/\"><script>alert(1)</script>?a=1&b='x'"
LEGAL_URL = "https://例え.jp/arr%C3%AAt%C3%A9?a=1&b='<x>\"onmouseover=\"alert(1)"
DOCUMENTS = {
    "requirements": {
        "effective_from": "2026-03-01",
        "travellers_allowed": "restricted",
        "supply_exceptions": [{"substances": ["phenobarbital"], "max_supply_days": 90, "reason": text("reason")}],
        "rules": [
            {"applies_to": ["methylphenidate"], "documents": ["certificate"], "threshold": "amount", "threshold_mg": 1000,
             "notes": text("rule notes", "ru", "es")},
            {"applies_to": ["1961-I"], "documents": ["prescription"], "threshold": "always", "notes": text("second rule notes")},
        ],
        "customs": {"declare_on_entry": True, "endorsement": False, "show_on_request": True},
        "transit": "own-rules",
        "transit_notes": text("transit notes", "ar", "fr"),
        "treatment_continuity": {"extension_possible": True, "how": text("how")},
        "notes": text("notes"),
        "legal_basis": [{"title": line("legal title", 2 * LINE_MAX), "url": LEGAL_URL, "date": "2025-11-02"}],
    },
    "authorities": {
        "effective_from": "2026-03-01",
        "authorities": [
            {"roles": ["permits", "certificates"], "name": line("authority"),
             "address": {"lines": [line("address line 1"), line("address line 2"), UN["ar"]], "city": line("city"),
                         "postal_code": line("postal", 20), "country": "FR"},
             "phone": "+33 1 55 87 30 00", "fax": None, "email": EMAIL, "website": WEBSITE, "languages": ["ar", "zh"],
             "notes": text("authority notes")},
            {"roles": ["enquiries"], "name": UN["ar"] + BIDI, "address": {"lines": [UN["ru"]], "city": UN["zh"], "postal_code": None,
                                                                            "country": "DZ"}},
        ],
    },
    "import-bans": {
        "effective_from": "2026-03-01",
        "bans": [
            {"substance": "methylphenidate", "since": "2019-05-01", "region": line("region"), "special_licence": True,
             "reference": line("reference", 200), "notes": text("ban notes")},
            {"substance": "diazepam", "since": "2020-01-01", "region": None, "special_licence": False, "reference": None},
        ],
    },
}
# Where each section keeps the texts people read (docs/api.md, "Section documents": objects keyed by language).
TEXT_PATHS = {
    "requirements": ["notes", "transit_notes", "treatment_continuity.how", "supply_exceptions.0.reason", "rules.0.notes", "rules.1.notes"],
    "authorities": ["authorities.0.notes"],
    "import-bans": ["bans.0.notes"],
}


def at(document, path: str):
    """The value at a field path (rules.0.notes), or None."""
    for part in path.split("."):
        document = document[int(part)] if isinstance(document, list) else document.get(part)
        if document is None:
            return None
    return document


def shown(texts: dict, lang: str) -> str:
    """The language of a text a page shows (registry.i18n.pick): the page's, else France's (its requirements name
    no document language, so its official one), else English, else the first."""
    return next(texts[code] for code in (lang, "fr", "en", sorted(texts)[0]) if code in texts)


def lines_of(section: str, document: dict) -> list[str]:
    """Every single-line text of a document that a page shows."""
    if section == "requirements":
        return [item["title"] for item in document["legal_basis"]]
    if section == "authorities":
        found = []
        for authority in document["authorities"]:
            address = authority["address"]
            optional = [address["postal_code"], authority.get("email"), authority.get("website")]
            found += [authority["name"], *address["lines"], address["city"], *(value for value in optional if value)]
        return found
    return [value for ban in document["bans"] for value in (ban["region"], ban["reference"]) if value]


def expected_on_page(section: str, lang: str) -> list[str]:
    """Every hostile string a page in `lang` shows of a section's document."""
    document = DOCUMENTS[section]
    texts = [at(document, path) for path in TEXT_PATHS[section]]
    return lines_of(section, document) + [shown(value, lang) for value in texts if value]


def page(response, status: int = 200):
    """(parsed page, its text as a reader sees it — a <br> is a line break) after checking nothing was injected."""
    assert response.status_code == status, response.status_code
    assert response.mimetype == "text/html"
    tree = lxml_html.document_fromstring(response.get_data(as_text=True))
    assert not tree.xpath('//*[@id="injected"] | //img[@onerror]'), "markup from the data became elements"
    for element in tree.iter(etree.Element):
        assert not [name for name in element.attrib if name.startswith("on")], (element.tag, dict(element.attrib))
    for script in tree.iter("script"):
        assert script.get("src", "").startswith("/static/") and not (script.text or "").strip(), "a script came from the data"
    for br in tree.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return tree, tree.body.text_content()


def assert_shown(response, expected: list[str]):
    """The parsed page, once every expected string was found in its text."""
    tree, visible = page(response)
    missing = [value[:60] for value in expected if value not in visible]
    assert not missing, missing
    return tree


@pytest.fixture
def officer_headers(app):
    """A French authority account signed with a hostile name, with an API token and a console password."""
    with app.app_context():
        account = accounts.add_account("officer@fr.example", country="FR", secretariat=False, password=PASSWORD, authority_name=PUBLISHER)
        _, token = accounts.add_token(account, "hostile")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def published(client, officer_headers):
    """Every section of FR published through the API with hostile text, sent as raw UTF-8; returns the versions' meta."""
    metas = {}
    for section, document in DOCUMENTS.items():
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        response = client.put(f"/api/v1/countries/FR/{section}", data=body, content_type="application/json",
                              headers={**officer_headers, "If-None-Match": "*"})
        assert response.status_code == 201, response.json
        metas[section] = response.json["meta"]
    return metas


def test_the_api_gives_back_every_hostile_string_exactly(client, published):
    for section, document in DOCUMENTS.items():
        got = client.get(f"/api/v1/countries/FR/{section}").json
        assert got["document"] == document
        assert got["meta"]["published_by"] == PUBLISHER
    assert any(line("authority") in sentence for sentence in published["authorities"]["changes"])
    assert any(line("region") in sentence for sentence in published["import-bans"]["changes"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_country_page_shows_every_hostile_string_as_text(client, published, lang):
    expected = [value for section in DOCUMENTS for value in expected_on_page(section, lang)]
    tree = assert_shown(client.get(f"/countries/FR?lang={lang}"), [*expected, PUBLISHER])
    hrefs = tree.xpath("//a/@href")
    assert LEGAL_URL in hrefs and WEBSITE in hrefs and f"mailto:{EMAIL}" in hrefs


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("section", list(DOCUMENTS))
def test_the_version_page_shows_the_document_its_changes_and_its_publisher_as_text(app, client, published, section, lang):
    with app.app_context():
        sentences = list(changes.in_language(history.version("FR", section, 1), lang).sentences)
    tree = assert_shown(client.get(f"/countries/FR/{section}/versions/1?lang={lang}"), [*expected_on_page(section, lang), PUBLISHER, *sentences])
    assert [item.text_content() for item in tree.xpath('//ul[@class="changes"]/li')] == sentences
    assert (sentences == published[section]["changes"]) == (lang == "en")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_substance_and_import_bans_pages_show_the_region_as_text(client, published, lang):
    region = DOCUMENTS["import-bans"]["bans"][0]["region"]
    assert_shown(client.get(f"/substances/methylphenidate?lang={lang}"), [f"({region})"])
    tree = assert_shown(client.get(f"/import-bans?lang={lang}"), [region])
    assert region in [cell.text_content() for cell in tree.xpath("//td")]


def test_hostile_text_in_an_address_or_a_search_is_shown_as_text(client):
    query = MARKUP + QUOTES
    tree, _visible = page(client.get("/search", query_string={"q": query}))
    assert tree.get_element_by_id("site-search").value == query
    page(client.get("/substances/" + MARKUP.replace("/", "")), status=404)


def editor_fields(section: str, document: dict) -> list[tuple[str, str]]:
    """The text fields (name, value) the editor of a document should show, as its form posts them."""
    kinds = forms.SPECS[section]
    return [(name, value) for name, value in form_of(kinds, forms.from_document(section, document).values)
            if not name.endswith("_keys")]


@pytest.mark.parametrize("section", list(DOCUMENTS))
def test_the_console_editor_holds_every_hostile_string_in_its_fields_and_republishes_it_unchanged(client, published, section):
    stored = client.get(f"/api/v1/countries/FR/{section}").json["document"]  # keys sorted, as the chain stores them
    sign_in(client, "officer@fr.example")
    editor = client.get(f"/console/FR/{section}")
    tree, _visible = page(editor)
    form = tree.get_element_by_id("editor")
    for name, value in editor_fields(section, stored):
        field = form.xpath(".//*[@name=$name]", name=name)
        assert field, name
        if field[0].tag == "textarea":
            # A browser's parser drops one line break right after <textarea> (HTML, "in body" insertion mode); lxml's does not.
            assert field[0].value.removeprefix("\n") == value, name
        elif field[0].get("type") not in ("checkbox", "radio"):
            assert field[0].value == value, name

    # A browser sends every line break of a textarea as CR LF (HTML, "constructing the entry list").
    fields = [(name, value.replace("\n", "\r\n")) for name, value in form_of(
        forms.SPECS[section], forms.from_document(section, stored).values)]
    fields += [("csrf_token", csrf(editor)), ("etag", published[section]["hash"]), ("action", "preview")]
    preview = client.post(f"/console/FR/{section}", data=MultiDict(fields))
    assert preview.status_code == 200, preview.get_data(as_text=True)[:2000]
    tree, visible = page(preview)
    assert "Republished without any change in content." in visible
    assert json.loads(tree.xpath('//input[@name="document"]/@value')[0]) == DOCUMENTS[section]


def test_a_hostile_token_name_is_shown_as_text_in_the_console(client, published):
    sign_in(client, "officer@fr.example")
    name = line("token", 100)
    created = client.post("/console/account", data={"csrf_token": csrf(client.get("/console/account")), "action": "create", "name": name})
    tree = assert_shown(created, [name])
    assert name in [cell.text_content() for cell in tree.xpath("//td")]


FEEDS = ["/feeds/changes.atom", "/feeds/countries/FR.atom", "/feeds/sections/authorities.atom", "/feeds/sections/import-bans.atom",
         "/feeds/substances/methylphenidate.atom"]


@pytest.mark.parametrize("path", FEEDS)
def test_every_feed_that_carries_hostile_text_stays_valid_and_holds_it_exactly(client, published, path):
    response = client.get(path)
    assert response.status_code == 200
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    root = etree.fromstring(response.data)
    entries = root.findall(f"{ATOM}entry")
    assert entries
    by_section = {meta["section"]: meta for meta in published.values()}
    for entry, seen in zip(entries, parsed.entries):
        section = entry.find(f"{ATOM}category[@scheme='tag:registry.example,2026:sections']").get("term")
        assert entry.findtext(f"{ATOM}author/{ATOM}name") == PUBLISHER
        assert seen.author == PUBLISHER.strip()  # a feed reader trims the ends of a name, and changes nothing else
        assert [item.text for item in entry.iter(f"{XHTML}li")] == by_section[section]["changes"]


def csv_rows(bundle: zipfile.ZipFile, name: str) -> list[dict]:
    with bundle.open(f"{name}.csv") as stream:
        return list(csv.DictReader(io.TextIOWrapper(stream, encoding="utf-8", newline="")))


def test_every_export_holds_every_hostile_string_exactly(client, published):
    registry = json.loads(client.get("/exports/registry.json").data)["countries"]["FR"]
    changes = [json.loads(item) for item in client.get("/exports/changes.jsonl").data.split(b"\n") if item]
    for section, document in DOCUMENTS.items():
        assert registry[section]["document"] == document
        current = dict(registry[section]["meta"])  # a current section's meta adds where it stands in its confirmation cycle
        assert (current.pop("overdue"), "confirmation_due" in current) == (False, True)
        del current["confirmation_due"]
        assert current == published[section]
    assert [item["document"] for item in changes] == list(DOCUMENTS.values())
    assert [item["meta"] for item in changes] == list(published.values())

    bundle = zipfile.ZipFile(io.BytesIO(client.get("/exports/registry.zip").data))
    seqs = {section: meta["seq"] for section, meta in published.items()}
    assert json.loads(bundle.read("registry.json"))["countries"]["FR"] == registry
    assert bundle.read("changes.jsonl") == client.get("/exports/changes.jsonl").data

    versions = {int(row["seq"]): row for row in csv_rows(bundle, "versions")}
    for section, meta in published.items():
        assert versions[meta["seq"]]["published_by"] == PUBLISHER
        assert versions[meta["seq"]]["changes"] == "\n".join(meta["changes"])
    texts = {(int(row["seq"]), row["path"], row["language"]): row["text"] for row in csv_rows(bundle, "texts")}
    assert texts == {(seqs[section], path, language): value for section, paths in TEXT_PATHS.items() for path in paths
                     for language, value in at(DOCUMENTS[section], path).items()}
    authorities = csv_rows(bundle, "authorities")
    for row, authority in zip(authorities, DOCUMENTS["authorities"]["authorities"], strict=True):
        address = authority["address"]
        assert (row["name"], row["address_lines"], row["city"], row["postal_code"]) == (
            authority["name"], "\n".join(address["lines"]), address["city"], address["postal_code"] or "")
        assert (row["email"], row["website"]) == (authority.get("email") or "", authority.get("website") or "")
    bans = csv_rows(bundle, "bans")
    assert [(row["region"], row["reference"]) for row in bans] == [
        (ban["region"] or "", ban["reference"] or "") for ban in DOCUMENTS["import-bans"]["bans"]]
    legal = csv_rows(bundle, "legal-basis")
    assert [(row["title"], row["url"]) for row in legal] == [(item["title"], item["url"]) for item in DOCUMENTS["requirements"]["legal_basis"]]


def with_value(section: str, path: str, value) -> dict:
    """The section's hostile document with one more string put at path (the last part may be a new key)."""
    document = json.loads(json.dumps(DOCUMENTS[section]))
    *parents, last = path.split(".")
    target = at(document, ".".join(parents)) if parents else document
    target[int(last) if isinstance(target, list) else last] = value
    return document


@pytest.mark.parametrize("section, path, value, named", [
    ("requirements", "notes.en", "Carry it\x00", "U+0000"),
    ("requirements", "notes.fr", "Ligne un\r\nligne deux", "U+000D"),
    ("requirements", "rules.0.notes.ru", "\x1b[31mрецепт", "U+001B"),
    ("requirements", "legal_basis.0.title", "Arrêté\x7f", "U+007F"),
    ("requirements", "treatment_continuity.how.zh", "处方\ufffe", "U+FFFE"),
    ("requirements", "supply_exceptions.0.reason.ar", "وصفة\udc00", "U+DC00"),
    ("authorities", "authorities.0.name", "Agence\nnationale", "line breaks"),
    ("authorities", "authorities.0.address.lines.1", "Boulevard\tde l'Exemple", "U+0009"),
    ("authorities", "authorities.0.address.city", "\ud800", "U+D800"),
    ("import-bans", "bans.0.region", "Guyane\ud83d", "U+D83D"),
    ("import-bans", "bans.0.reference", "NAR\x85CL", "U+0085"),
    ("import-bans", "bans.0.notes.\ud800", "text under a key that is not text", "U+D800"),
    ("authorities", "authorities.0.name", "\U0001F48A" * (LINE_MAX + 1), f"at most {LINE_MAX}"),
    ("requirements", "notes.zh", "处" * (TEXT_MAX + 1), f"at most {TEXT_MAX}"),
])
def test_text_validation_refuses_gets_422_naming_the_field_and_nothing_is_stored(client, published, officer_headers,
                                                                                     section, path, value, named):
    # ASCII JSON: \\ud800 escapes are the only way to send a lone surrogate.
    body = json.dumps(with_value(section, path, value)).encode("ascii")
    refused = client.put(f"/api/v1/countries/FR/{section}", data=body, content_type="application/json",
                         headers={**officer_headers, "If-Match": f'"{published[section]["hash"]}"'})
    assert refused.status_code == 422, refused.json
    assert list(refused.json["errors"]) == [path]
    assert named in " ".join(refused.json["errors"][path])
    assert client.get(f"/api/v1/countries/FR/{section}").json["meta"]["version"] == 1
    assert len(client.get("/api/v1/changes").json["changes"]) == len(DOCUMENTS)


@pytest.mark.parametrize("name, problem", [("Agence\nnationale", "control character"), ("x" * 201, "at most 200")])
def test_an_authority_name_that_could_not_be_published_is_refused_when_the_account_is_made(app, name, problem):
    with app.app_context(), pytest.raises(accounts.AccountError, match=problem):
        accounts.add_account("officer@de.example", country="DE", secretariat=False, password=None, authority_name=name)


@pytest.mark.browser
def test_hostile_text_survives_the_console_editor_of_a_real_browser_unchanged(app, published):
    """Chromium sends textarea line breaks as CR LF and drops a textarea's first newline: neither may alter a text."""
    with chromium() as browser, served(app) as base:
        context = browser.new_context()
        context.set_default_timeout(WAIT_MS)
        tab = context.new_page()
        tab.goto(f"{base}/console/login")
        tab.get_by_label("E-mail address").fill("officer@fr.example")
        tab.get_by_label("Password").fill(PASSWORD)
        tab.get_by_role("button", name="Sign in").click()
        for section in DOCUMENTS:
            tab.goto(f"{base}/console/FR/{section}")
            tab.locator(".form-actions").get_by_role("button", name="Preview the changes").click()
            assert "Republished without any change in content." in tab.content(), (section, tab.locator(".changes").all_inner_texts())
        context.close()
