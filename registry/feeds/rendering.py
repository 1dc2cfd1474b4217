"""The Atom documents of the feeds, built byte for byte with lxml (the package's docstring says why).

A feed is written in one of the six languages of the pages (docs/feeds.md, "Languages"):
its titles, names and the registry's own words come from the same catalogues as the pages,
and so do a version's change sentences, worded anew in the language by
`changes.in_language` — or kept in English, and marked so, when the stored sentences are
not what the registry would word today. The English documents are the default, with the
sentences as stored, and their bytes never depend on the catalogues.
"""
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache

from flask import current_app, request
from lxml import etree

from .. import changes, history, i18n, reference
from ..db import db, rfc3339
from ..delivery import websub
from ..documents import SECTIONS
from ..http import base_url
from ..i18n import N_
from ..models import Setting

ATOM = "http://www.w3.org/2005/Atom"
XHTML = "http://www.w3.org/1999/xhtml"
HISTORY = "http://purl.org/syndication/history/1.0"  # RFC 5005's fh: namespace
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
DEFAULT_LANGUAGE = "en"


REGISTRY = N_("Registry of rules for travellers under treatment")
SECTION_WORDS = changes.SECTION_PHRASES  # the sections as the change sentences name them, in the feed's language
SECTION_FEED_WORDS = {  # a section feed's title and subtitle
    "requirements": (N_("Documentary requirements of every country"),
                     N_("Every version of the documentary requirements section, in every country.")),
    "authorities": (N_("Issuing authorities of every country"),
                    N_("Every version of the issuing authorities section, in every country.")),
    "import-bans": (N_("Article 13 import bans of every country"),
                    N_("Every version of the article 13 import bans section, in every country.")),
}
# Bump whenever the rendering changes: cached documents are then rendered anew
# (archive documents included, so do it deliberately).
FORMAT = "1"
# The same for the other languages only, so that the English documents keep their bytes:
# 2 since their change sentences are translated.
TRANSLATED_FORMAT = "2"
STARTED_AT = "started_at"  # the settings row of the registry's start (migration 0005)

PAGE_SIZE = 50  # entries in an archive document; REGISTRY_FEED_PAGE_SIZE overrides it
MEMORY_CACHE = 128  # subscription and archive documents a process keeps, of each; REGISTRY_FEED_MEMORY_CACHE overrides it
CURRENT_MAX_AGE_S = 60  # 1 minute: a new publication reaches shared caches within a minute
ARCHIVE_MAX_AGE_S = 365 * 24 * 3600  # 1 year: a full archive document never changes

# Characters XML 1.0 forbids (§2.2): C0 controls but tab and line breaks, surrogates, U+FFFE, U+FFFF.
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")



def registry_start() -> datetime:
    """`updated` (and Last-Modified) of a feed that has no entry yet: when the registry started.

    Stored once, by migration 0005, in every database the registry made: a date that never
    changes, unlike the time of serving, and a plausible one, unlike 1970 (RFC 4287 §3.3 asks
    for the last significant change; feed validators flag the epoch).
    """
    stored = db.session.get(Setting, STARTED_AT)
    return datetime.strptime(stored.value, "%Y-%m-%dT%H:%M:%SZ")


def xml_text(value: str) -> str:
    """Text that any XML 1.0 document can hold: each forbidden character becomes U+FFFD.

    Input validation already refuses them; the feeds do not rely on it, because a
    single one would make the whole document unreadable to every subscriber.
    """
    return NOT_XML.sub("\ufffd", value)


@dataclass(frozen=True)
class Feed:
    """One feed: which versions it follows, what it is called, and the page it belongs to."""

    key: str  # its path below /feeds/, e.g. "countries/FR"
    title: str  # an English template (a msgid), filled with `subject` named in the feed's language
    subtitle: str
    page: str  # path of the web page that shows the same thing
    selection: history.Selection = field(default_factory=history.Selection)
    subject: tuple[str, str] | None = None  # ("country", "FR") or ("substance", key): what the titles name

    @property
    def path(self) -> str:
        return f"/feeds/{self.key}.atom"

    def archive_path(self, page: int) -> str:
        return f"/feeds/{self.key}/archive/{page}.atom"


def changes_feed() -> Feed:
    return Feed("changes", N_("Registry of rules for travellers under treatment: every publication"),
                N_("Every version of every country's notification, as it is published."), "/")


def country_feed(code: str) -> Feed | None:
    if reference.country(code) is None:
        return None
    return Feed(f"countries/{code}", N_("%(country)s: rules for travellers under treatment"),
                N_("Every version of %(country)s's documentary requirements, issuing authorities and article 13 import bans."),
                f"/countries/{code}", history.Selection(country=code), ("country", code))


def section_feed(section: str) -> Feed | None:
    if section not in SECTIONS:
        return None
    title, subtitle = SECTION_FEED_WORDS[section]
    return Feed(f"sections/{section}", title, subtitle,
                "/import-bans" if section == "import-bans" else "/countries", history.Selection(section=section))


def substance_feed(key: str) -> Feed | None:
    if reference.substance(key) is None:
        return None
    return Feed(f"substances/{key}", N_("%(substance)s: publications that change its rules"),
                N_("Every version whose changes name %(substance)s: a ban added or lifted, a rule or exception that names it."),
                f"/substances/{key}", history.Selection(substance=key), ("substance", key))


@lru_cache(maxsize=1024)
def feed(key: str) -> Feed | None:
    """The feed at /feeds/{key}.atom, e.g. "countries/FR"; None when there is no such feed."""
    if key == "changes":
        return changes_feed()
    kind, _, name = key.partition("/")
    make = {"countries": country_feed, "sections": section_feed, "substances": substance_feed}.get(kind)
    return make(name) if make and name and "/" not in name else None


@dataclass(frozen=True)
class Rendering:
    """Everything besides the history that decides a feed document's bytes."""

    base: str  # REGISTRY_BASE_URL, or the URL the request came in on
    tag_authority: str
    page_size: int
    lang: str = DEFAULT_LANGUAGE  # one of i18n.LANGUAGES, asked for with ?lang=

    @cached_property
    def variant(self) -> str:
        """A digest of these settings: part of every cache key and ETag."""
        # The default language adds nothing, so the English documents keep the keys, ETags and stored
        # archive documents they had before feeds spoke other languages.
        language = [self.lang, TRANSLATED_FORMAT] if self.lang != DEFAULT_LANGUAGE else []
        return _digest(FORMAT, self.base, self.tag_authority, str(self.page_size), *language)

    def absolute(self, path: str) -> str:
        return self.base + path

    def link(self, path: str) -> str:
        """The absolute URL of a feed or page, in this rendering's language."""
        return self.absolute(path) + (f"?lang={self.lang}" if self.lang != DEFAULT_LANGUAGE else "")

    def tag(self, specific: str) -> str:
        return f"tag:{self.tag_authority}:{specific}"

    def translate(self, message: str) -> str:
        """A phrase in this rendering's language (the English phrase itself in English)."""
        return message if self.lang == DEFAULT_LANGUAGE else i18n.catalog(self.lang).gettext(message)


def rendering_for(config, base: str, lang: str = DEFAULT_LANGUAGE) -> Rendering:
    """How the application configured by `config` renders its feeds for links under `base`, in `lang`."""
    return Rendering(base, config["REGISTRY_TAG_AUTHORITY"], config.get("REGISTRY_FEED_PAGE_SIZE", PAGE_SIZE), lang)


def current_rendering() -> Rendering:
    """How this request's feeds are rendered: in the language of ?lang=, English by default.

    Only the address chooses the language, never Accept-Language or the cookie of the pages:
    the documents are public and cached by URL, and a feed reader keeps the URL it subscribed to.
    """
    asked = request.args.get("lang")
    return rendering_for(current_app.config, base_url(), asked if asked in i18n.LANGUAGES else DEFAULT_LANGUAGE)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:40]


def subscription_etag(rendering: Rendering, feed: Feed, head_hash: str | None) -> str:
    """The subscription document's ETag: a digest of its newest version's hash, which commits to all before it."""
    # "hub": since subscription documents name their WebSub hub (archive documents do not, and keep their ETags).
    return _digest(rendering.variant, feed.key, "current", head_hash or "", "hub")


def topic(feed: Feed, rendering: Rendering) -> str:
    """The feed's WebSub topic: the URL of its subscription document, as its rel="self" link gives it."""
    return rendering.link(feed.path)


def archive_etag(rendering: Rendering, feed: Feed, page: int, last_hash: str) -> str:
    """An archive document's ETag: a digest of its newest version's hash."""
    return _digest(rendering.variant, feed.key, f"archive/{page}", last_hash)


def archived_pages(count: int, size: int) -> int:
    """How many archive documents the subscription document reaches: every full page but the newest."""
    return max(count // size - 1, 0)


# -- entries ---------------------------------------------------------------------------------


def entry_id(rendering: Rendering, meta: dict) -> str:
    """The entry's atom:id, e.g. tag:registry.example,2026:FR/import-bans/3 (RFC 4151).

    It must never change, and so never depends on the host the registry is served
    from: a feed reader recognizes an entry it has already shown by this id alone, so
    a new id would show every version again as new, and a reused one would hide a
    publication. A version is immutable and its (country, section, version) is
    never reused, which makes it the id; the authority part is a setting fixed
    once feeds are public.
    """
    return rendering.tag(f"{meta['country']}/{meta['section']}/{meta['version']}")


def country_label(code: str, lang: str) -> str:
    country = reference.country(code)
    return country.name(lang) if country else code


def feed_words(feed: Feed, rendering: Rendering) -> tuple[str, str]:
    """A feed's title and subtitle in the rendering's language."""
    names = {}
    if feed.subject and feed.subject[0] == "country":
        names["country"] = country_label(feed.subject[1], rendering.lang)
    elif feed.subject:
        substance = reference.substance(feed.subject[1])
        # English names a substance by its INN, as the feed always did; other languages by their own name for it.
        names["substance"] = substance.inn if rendering.lang == DEFAULT_LANGUAGE else substance.name(rendering.lang)
    return rendering.translate(feed.title) % names, rendering.translate(feed.subtitle) % names


def entry_title(meta: dict, rendering: Rendering) -> str:
    """A person's name for a version, e.g. "France — article 13 import bans, version 3"."""
    title = rendering.translate(N_("%(country)s — %(section)s, version %(number)s")) % {
        "country": country_label(meta["country"], rendering.lang),
        "section": rendering.translate(SECTION_WORDS[meta["section"]]), "number": meta["version"]}
    return rendering.translate(N_("%(title)s (withdrawn)")) % {"title": title} if meta["withdrawn"] else title


def _atom(name: str) -> str:
    return f"{{{ATOM}}}{name}"


def _add(parent, name: str, text: str | None = None, **attributes):
    element = etree.SubElement(parent, _atom(name), {key: xml_text(value) for key, value in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _entry(parent, version, rendering: Rendering) -> None:
    meta = history.meta(version)
    path = f"/countries/{meta['country']}/{meta['section']}/versions/{meta['version']}"
    entry = _add(parent, "entry")
    _add(entry, "id", entry_id(rendering, meta))  # the same in every language
    _add(entry, "title", entry_title(meta, rendering))
    _add(entry, "updated", meta["published_at"])
    _add(entry, "published", meta["published_at"])
    _add(_add(entry, "author"), "name", meta["published_by"])
    _add(entry, "category", term=meta["country"], scheme=rendering.tag("countries"),
         label=country_label(meta["country"], rendering.lang))
    _add(entry, "category", term=meta["section"], scheme=rendering.tag("sections"),
         label=rendering.translate(SECTION_WORDS[meta["section"]]))
    _add(entry, "link", rel="alternate", type="text/html", href=rendering.link(path))
    _add(entry, "link", rel="related", type="application/json", href=rendering.absolute("/api/v1" + path))
    summary = _add(entry, "summary", type="xhtml")
    wording = changes.in_language(version, rendering.lang)
    if wording.lang != rendering.lang:
        summary.set(XML_LANG, wording.lang)  # the stored English sentences, which could not be worded anew
    listing = etree.SubElement(etree.SubElement(summary, f"{{{XHTML}}}div", nsmap={None: XHTML}), f"{{{XHTML}}}ul")
    for sentence in wording.sentences:
        etree.SubElement(listing, f"{{{XHTML}}}li").text = xml_text(sentence)


def render(feed: Feed, rendering: Rendering, versions: list, *, updated: datetime, links: dict[str, str],
           archive: bool, hub: str | None = None) -> bytes:
    """An Atom feed document holding `versions` (newest first); `links` maps a relation to a path; `hub`: WebSub's."""
    root = etree.Element(_atom("feed"), nsmap={None: ATOM, "fh": HISTORY} if archive else {None: ATOM})
    root.set(XML_LANG, i18n.HTML_LANG[rendering.lang])
    # A language variant is a feed of its own (its own words), holding the same entries under the same ids.
    language = f"/{rendering.lang}" if rendering.lang != DEFAULT_LANGUAGE else ""
    _add(root, "id", rendering.tag(f"feeds/{feed.key}{language}"))
    title, subtitle = feed_words(feed, rendering)
    _add(root, "title", title)
    _add(root, "subtitle", subtitle)
    _add(root, "updated", rfc3339(updated))
    _add(_add(root, "author"), "name", rendering.translate(REGISTRY))
    _add(root, "link", rel="alternate", type="text/html", href=rendering.link(feed.page))
    for relation, path in links.items():
        _add(root, "link", rel=relation, type="application/atom+xml", href=rendering.link(path))
    if hub:
        _add(root, "link", rel="hub", href=hub)
    if archive:
        etree.SubElement(root, f"{{{HISTORY}}}archive")
    for version in reversed(versions):
        _entry(root, version, rendering)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def render_subscription(feed: Feed, rendering: Rendering, head) -> bytes:
    """The subscription document as of the feed's newest version `head` (None: no entry yet)."""
    count = history.selection_count(feed.selection, head.seq) if head else 0
    archived = archived_pages(count, rendering.page_size)
    versions = history.selection_newest(feed.selection, count - archived * rendering.page_size, head.seq) if count else []
    links = {"self": feed.path}
    if archived:
        links["prev-archive"] = feed.archive_path(archived)
    return render(feed, rendering, versions, updated=head.published_at if head else registry_start(), links=links,
                  archive=False, hub=websub.hub_url(topic(feed, rendering)))


def render_delivery(feed: Feed, rendering: Rendering, versions: list) -> bytes:
    """The document that pushes `versions` (in seq order) to a WebSub subscriber: the feed, with just those entries."""
    return render(feed, rendering, versions, updated=versions[-1].published_at, links={"self": feed.path},
                  archive=False, hub=websub.hub_url(topic(feed, rendering)))


def render_archive(feed: Feed, rendering: Rendering, page: int, versions: list) -> bytes:
    """Archive document `page` of a feed, from its full page of versions."""
    links = {"self": feed.archive_path(page), "current": feed.path, "next-archive": feed.archive_path(page + 1)}
    if page > 1:
        links["prev-archive"] = feed.archive_path(page - 1)
    return render(feed, rendering, versions, updated=versions[-1].published_at, links=links, archive=True)

