"""The Atom feeds (CONTRACT, "Atom feeds"): RFC 4287 documents, archived per RFC 5005 §4.

Four kinds of feed follow a selection of versions in seq order: every publication,
one country, one section, one substance. Each is an archived feed. Its entries
are cut into archive documents of a fixed size N (REGISTRY_FEED_PAGE_SIZE):
archive document k holds entries kN−N+1 … kN, is served only once it is full, and
so never changes. The subscription document holds every entry after the newest
archive document it links with `prev-archive` — all full pages but the newest, so
it keeps between N and 2N−1 entries once the feed has N, and a subscriber never
finds it nearly empty just after a page filled. Following `prev-archive` from it
therefore yields every entry exactly once.

Polling costs one indexed query: the validators come from the feed's newest
version. Its hash commits to the whole history before it (CONTRACT, "Hash chain"),
so a digest of that hash and of the rendering's settings is a strong ETag that is
known before anything is rendered. Subscription documents are kept in process
memory by that ETag (a key that determines their bytes, so every worker process
agrees); full archive documents in the database (registry/feed_archive.py) once
REGISTRY_BASE_URL fixes their links, and in process memory once served. A poll
for a document the process holds is answered before Flask, by
registry/feed_polls.py, from the same Served object these views build.

The XML is built with lxml (which feedgen itself uses) rather than with feedgen:
RFC 5005's fh:archive element would need a feedgen extension of its own, feedgen
writes by default a generator carrying its version (an upgrade would change the
bytes of every archive document) and takes XHTML summaries as markup strings to
escape by hand. Written directly, every byte of a document that must never change
is decided here.
"""
import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property, lru_cache

from flask import Blueprint, Response, current_app, redirect, request, url_for
from lxml import etree
from werkzeug.exceptions import NotFound
from werkzeug.http import http_date

from . import feed_archive, history, reference, security
from .changes import SECTION_NAMES
from .db import rfc3339
from .documents import SECTIONS
from .urls import base_url

ATOM = "http://www.w3.org/2005/Atom"
XHTML = "http://www.w3.org/1999/xhtml"
HISTORY = "http://purl.org/syndication/history/1.0"  # RFC 5005's fh: namespace
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
REGISTRY = "Registry of rules for travellers under treatment"
# Bump whenever the rendering changes: cached documents are then rendered anew
# (archive documents included, so do it deliberately).
FORMAT = "1"

PAGE_SIZE = 50  # entries in an archive document; REGISTRY_FEED_PAGE_SIZE overrides it
MEMORY_CACHE = 128  # subscription and archive documents a process keeps, of each; REGISTRY_FEED_MEMORY_CACHE overrides it
CURRENT_MAX_AGE_S = 60  # 1 minute: a new publication reaches shared caches within a minute
ARCHIVE_MAX_AGE_S = 365 * 24 * 3600  # 1 year: a full archive document never changes
NO_ENTRY_YET = datetime(1970, 1, 1)  # `updated` of a feed that has no entry yet

# Characters XML 1.0 forbids (§2.2): C0 controls but tab and line breaks, surrogates, U+FFFE, U+FFFF.
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

blueprint = Blueprint("feeds", __name__, url_prefix="/feeds")


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
    title: str
    subtitle: str
    page: str  # path of the web page that shows the same thing
    selection: history.Selection = field(default_factory=history.Selection)

    @property
    def path(self) -> str:
        return f"/feeds/{self.key}.atom"

    def archive_path(self, page: int) -> str:
        return f"/feeds/{self.key}/archive/{page}.atom"


def changes_feed() -> Feed:
    return Feed("changes", f"{REGISTRY}: every publication",
                "Every version of every country's notification, as it is published.", "/")


def country_feed(code: str) -> Feed | None:
    country = reference.country(code)
    if country is None:
        return None
    name = country.name("en")
    return Feed(f"countries/{code}", f"{name}: rules for travellers under treatment",
                f"Every version of {name}'s documentary requirements, issuing authorities and article 13 import bans.",
                f"/countries/{code}", history.Selection(country=code))


def section_feed(section: str) -> Feed | None:
    if section not in SECTIONS:
        return None
    name = SECTION_NAMES[section]
    return Feed(f"sections/{section}", f"{name[0].upper()}{name[1:]} of every country",
                f"Every version of the {name} section, in every country.",
                "/import-bans" if section == "import-bans" else "/countries", history.Selection(section=section))


def substance_feed(key: str) -> Feed | None:
    substance = reference.substance(key)
    if substance is None:
        return None
    return Feed(f"substances/{key}", f"{substance.inn}: publications that change its rules",
                f"Every version whose changes name {substance.inn}: a ban added or lifted, a rule or exception that names it.",
                f"/substances/{key}", history.Selection(substance=key))


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

    @cached_property
    def variant(self) -> str:
        """A digest of these settings: part of every cache key and ETag."""
        return _digest(FORMAT, self.base, self.tag_authority, str(self.page_size))

    def absolute(self, path: str) -> str:
        return self.base + path

    def tag(self, specific: str) -> str:
        return f"tag:{self.tag_authority}:{specific}"


def rendering_for(config, base: str) -> Rendering:
    """How the application configured by `config` renders its feeds for links under `base`."""
    return Rendering(base, config["REGISTRY_TAG_AUTHORITY"], config.get("REGISTRY_FEED_PAGE_SIZE", PAGE_SIZE))


def _rendering() -> Rendering:
    return rendering_for(current_app.config, base_url())


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:40]


def subscription_etag(rendering: Rendering, feed: Feed, head_hash: str | None) -> str:
    """The subscription document's ETag: a digest of its newest version's hash, which commits to all before it."""
    return _digest(rendering.variant, feed.key, "current", head_hash or "")


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


def entry_title(meta: dict) -> str:
    """A person's name for a version, e.g. "France — article 13 import bans, version 3"."""
    country = reference.country(meta["country"])
    name = country.name("en") if country else meta["country"]
    title = f"{name} — {SECTION_NAMES[meta['section']]}, version {meta['version']}"
    return title + " (withdrawn)" if meta["withdrawn"] else title


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
    country = reference.country(meta["country"])
    entry = _add(parent, "entry")
    _add(entry, "id", entry_id(rendering, meta))
    _add(entry, "title", entry_title(meta))
    _add(entry, "updated", meta["published_at"])
    _add(entry, "published", meta["published_at"])
    _add(_add(entry, "author"), "name", meta["published_by"])
    _add(entry, "category", term=meta["country"], scheme=rendering.tag("countries"),
         label=country.name("en") if country else meta["country"])
    _add(entry, "category", term=meta["section"], scheme=rendering.tag("sections"), label=SECTION_NAMES[meta["section"]])
    _add(entry, "link", rel="alternate", type="text/html", href=rendering.absolute(path))
    _add(entry, "link", rel="related", type="application/json", href=rendering.absolute("/api/v1" + path))
    summary = _add(entry, "summary", type="xhtml")
    listing = etree.SubElement(etree.SubElement(summary, f"{{{XHTML}}}div", nsmap={None: XHTML}), f"{{{XHTML}}}ul")
    for sentence in meta["changes"]:
        etree.SubElement(listing, f"{{{XHTML}}}li").text = xml_text(sentence)


def render(feed: Feed, rendering: Rendering, versions: list, *, updated: datetime, links: dict[str, str],
           archive: bool) -> bytes:
    """An Atom feed document holding `versions` (newest first); `links` maps a relation to a path."""
    root = etree.Element(_atom("feed"), nsmap={None: ATOM, "fh": HISTORY} if archive else {None: ATOM})
    root.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    _add(root, "id", rendering.tag(f"feeds/{feed.key}"))
    _add(root, "title", feed.title)
    _add(root, "subtitle", feed.subtitle)
    _add(root, "updated", rfc3339(updated))
    _add(_add(root, "author"), "name", REGISTRY)
    _add(root, "link", rel="alternate", type="text/html", href=rendering.absolute(feed.page))
    for relation, path in links.items():
        _add(root, "link", rel=relation, type="application/atom+xml", href=rendering.absolute(path))
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
    return render(feed, rendering, versions, updated=head.published_at if head else NO_ENTRY_YET, links=links, archive=False)


def render_archive(feed: Feed, rendering: Rendering, page: int, versions: list) -> bytes:
    """Archive document `page` of a feed, from its full page of versions."""
    links = {"self": feed.archive_path(page), "current": feed.path, "next-archive": feed.archive_path(page + 1)}
    if page > 1:
        links["prev-archive"] = feed.archive_path(page - 1)
    return render(feed, rendering, versions, updated=versions[-1].published_at, links=links, archive=True)


# -- HTTP ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """A feed document as this process answers it: all that its 200 and 304 responses hold.

    Views put them in the process's memory (FeedMemory) and registry/feed_polls.py
    answers later polls from them before Flask dispatches the request, so both
    paths send the same headers by construction.
    """

    document: bytes
    etag: str
    modified: datetime  # the newest entry's publication time (UTC, naive)
    max_age_s: int
    last_seq: int | None = None  # an archive document: its newest version, which must still
    last_hash: str | None = None  # have this hash in the registry for the document to be served

    @cached_property
    def _ok(self) -> tuple:
        return (("ETag", f'"{self.etag}"'), ("Last-Modified", http_date(self.modified.replace(tzinfo=timezone.utc))),
                ("Cache-Control", f"public, max-age={self.max_age_s}"), ("Content-Type", CONTENT_TYPE),
                ("Content-Length", str(len(self.document))), *security.HEADERS.items())

    @cached_property
    def _not_modified(self) -> tuple:
        # RFC 9110 §15.4.5: a 304 repeats the validators and caching headers, without the content's.
        return (("ETag", f'"{self.etag}"'), ("Cache-Control", f"public, max-age={self.max_age_s}"), *security.HEADERS.items())

    def headers(self, *, not_modified: bool) -> list[tuple[str, str]]:
        """Every header of the response, security headers included."""
        return list(self._not_modified if not_modified else self._ok)


class Recent:
    """The documents this process served last, by key, at most `size` of them (least recently used go first)."""

    def __init__(self, size: int):
        self.size = size
        self._documents: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key) -> Served | None:
        with self._lock:
            served = self._documents.get(key)
            if served is not None:
                self._documents.move_to_end(key)
            return served

    def put(self, key, served: Served) -> None:
        with self._lock:
            self._documents[key] = served
            self._documents.move_to_end(key)
            while len(self._documents) > self.size:
                self._documents.popitem(last=False)


class FeedMemory:
    """What a process remembers of the feed documents it rendered or fetched.

    Subscription documents by ETag: the ETag digests the rendering's settings and
    the feed's newest hash, so it determines the bytes and a document found under
    it is current exactly when the registry's newest hash yields that ETag again.
    Archive documents by (variant, feed, page), each with the seq and hash of its
    newest version: served while that version keeps that hash.
    """

    def __init__(self, size: int):
        self.current = Recent(size)
        self.archives = Recent(size)


def _not_modified(etag: str, modified: datetime, *, same_second=None) -> bool:
    """Whether the client's copy is current (RFC 9110 §13.2.2: If-None-Match, when sent, decides alone).

    Publication times have whole seconds and two versions may share one, so for a
    subscription document (`same_second` given) a date proves the client holds the
    newest version only when it is exactly that version's time and `same_second()`
    says no other version of the feed was published in that second. An archive
    document never changes, so any date since its newest entry will do.
    """
    if request.if_none_match:
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    if since is None:
        return False
    modified = modified.replace(tzinfo=timezone.utc)
    if same_second is None:
        return modified <= since
    return modified == since and not same_second()


def _answer(served: Served, not_modified: bool) -> Response:
    """The document, or 304 with an empty body."""
    if not_modified:
        response = Response(status=304, headers=served.headers(not_modified=True))
        del response.headers["Content-Type"]
        return response
    return Response(served.document, headers=served.headers(not_modified=False))


def _shares_its_second(feed: Feed, head) -> bool:
    """Whether another version of the feed was published in the same second as its newest."""
    newest = history.selection_newest(feed.selection, 2, head.seq) if head else []
    return len(newest) == 2 and newest[0].published_at == newest[1].published_at


def subscription(feed: Feed) -> Response:
    """A feed's subscription document, or 304: validators first, rendering only on a miss."""
    rendering = _rendering()
    head = history.selection_head(feed.selection)
    etag = subscription_etag(rendering, feed, head.hash if head else None)
    modified = head.published_at if head else NO_ENTRY_YET
    not_modified = _not_modified(etag, modified, same_second=lambda: _shares_its_second(feed, head))
    memory = current_app.extensions["feeds"].current
    served = memory.get(etag)
    if served is None:
        if not_modified:  # nothing to render: the 304 needs only the validators
            return _answer(Served(b"", etag, modified, CURRENT_MAX_AGE_S), True)
        served = Served(render_subscription(feed, rendering, head), etag, modified, CURRENT_MAX_AGE_S)
        memory.put(etag, served)
    return _answer(served, not_modified)


def archive(feed: Feed, page: int) -> Response:
    """A full archive document, from the archive store or rendered once into it; 404 until it is full.

    Only documents whose links REGISTRY_BASE_URL fixes are stored: without it the
    links follow the Host header, which any client can vary to fill the table.
    """
    rendering = _rendering()
    stored = bool(current_app.config.get("REGISTRY_BASE_URL"))
    kept = feed_archive.find(feed.key, page, rendering.variant) if stored else None
    if kept is not None:
        served = Served(kept.document, archive_etag(rendering, feed, page, kept.last_hash), kept.updated, ARCHIVE_MAX_AGE_S,
                        kept.last_seq, kept.last_hash)
    else:
        if page < 1:
            raise NotFound("Archive documents are numbered from 1.")
        size = rendering.page_size
        versions = history.selection_range(feed.selection, (page - 1) * size + 1, size)
        if len(versions) < size:
            raise NotFound(
                f"Archive document {page} of this feed is not complete (archive documents hold {size} entries each); "
                f"the newest entries are in {rendering.absolute(feed.path)}."
            )
        last = versions[-1]
        etag = archive_etag(rendering, feed, page, last.hash)
        if _not_modified(etag, last.published_at):
            return _answer(Served(b"", etag, last.published_at, ARCHIVE_MAX_AGE_S), True)
        served = Served(render_archive(feed, rendering, page, versions), etag, last.published_at, ARCHIVE_MAX_AGE_S,
                        last.seq, last.hash)
        if stored:
            feed_archive.keep(feed.key, page, rendering.variant, last.seq, last.hash, served.document)
    current_app.extensions["feeds"].archives.put((rendering.variant, feed.key, page), served)
    return _answer(served, _not_modified(served.etag, served.modified))


def _found(feed: Feed | None) -> Feed:
    if feed is None:
        raise NotFound("There is no such feed: countries are ISO 3166-1 alpha-2 codes, sections are "
                       f"{', '.join(SECTIONS)}, substances are the keys listed at /api/v1/substances.")
    return feed


def _upper_case(country: str):
    """301 to the upper-case URL for a lower-case country code (CONTRACT, "Identifiers")."""
    if country != country.upper() and reference.country(country.upper()):
        return redirect(url_for(request.endpoint, **{**request.view_args, "country": country.upper()}), 301)
    return None


@blueprint.get("/changes.atom")
def changes():
    return subscription(changes_feed())


@blueprint.get("/changes/archive/<int:page>.atom")
def changes_archive(page):
    return archive(changes_feed(), page)


@blueprint.get("/countries/<string:country>.atom")
def country(country):
    return _upper_case(country) or subscription(_found(country_feed(country)))


@blueprint.get("/countries/<string:country>/archive/<int:page>.atom")
def country_archive(country, page):
    return _upper_case(country) or archive(_found(country_feed(country)), page)


@blueprint.get("/sections/<string:section>.atom")
def section(section):
    return subscription(_found(section_feed(section)))


@blueprint.get("/sections/<string:section>/archive/<int:page>.atom")
def section_archive(section, page):
    return archive(_found(section_feed(section)), page)


@blueprint.get("/substances/<string:key>.atom")
def substance(key):
    return subscription(_found(substance_feed(key)))


@blueprint.get("/substances/<string:key>/archive/<int:page>.atom")
def substance_archive(key, page):
    return archive(_found(substance_feed(key)), page)


def register(app) -> None:
    """Serve the feeds, with a per-process memory of the documents served last."""
    app.register_blueprint(blueprint)
    app.extensions["feeds"] = FeedMemory(app.config.get("REGISTRY_FEED_MEMORY_CACHE", MEMORY_CACHE))
