"""The feeds' URLs: subscription documents and archive documents, with their validators and 304s."""
from datetime import datetime, timezone

from flask import Blueprint, Response, current_app, redirect, request
from werkzeug.exceptions import NotFound

from .. import history
from ..delivery import websub
from ..documents import SECTIONS
from ..http import upper_case_location
from . import archive as archive_store
from .memory import Served
from .rendering import (
    ARCHIVE_MAX_AGE_S, CURRENT_MAX_AGE_S, Feed, archive_etag, changes_feed, country_feed, render_archive,
    current_rendering, registry_start, render_subscription, section_feed, subscription_etag, substance_feed, topic,
)

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

# seq and archive page numbers are the database's 32-bit integers: a larger page number in a path
# is simply not found (404), and so is a page whose first entry would be beyond any seq.
MAX_SEQ = 2**31 - 1

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
    rendering = current_rendering()
    head = history.selection_head(feed.selection)
    etag = subscription_etag(rendering, feed, head.hash if head else None)
    modified = head.published_at if head else registry_start()
    not_modified = _not_modified(etag, modified, same_second=lambda: _shares_its_second(feed, head))
    memory = current_app.extensions["feeds"].current
    served = memory.get(etag)
    if served is None:
        link = websub.links(topic(feed, rendering))
        if not_modified:  # nothing to render: the 304 needs only the validators (and the Link header)
            return _answer(Served(b"", etag, modified, CURRENT_MAX_AGE_S, link=link), True)
        served = Served(render_subscription(feed, rendering, head), etag, modified, CURRENT_MAX_AGE_S, link=link)
        memory.put(etag, served)
    return _answer(served, not_modified)


def archive(feed: Feed, page: int) -> Response:
    """A full archive document, from the archive store or rendered once into it; 404 until it is full.

    Only documents whose links REGISTRY_BASE_URL fixes are stored: without it the
    links follow the Host header, which any client can vary to fill the table.
    """
    rendering = current_rendering()
    stored = bool(current_app.config.get("REGISTRY_BASE_URL"))
    kept = archive_store.find(feed.key, page, rendering.variant) if stored else None
    if kept is not None:
        served = Served(kept.document, archive_etag(rendering, feed, page, kept.last_hash), kept.updated, ARCHIVE_MAX_AGE_S,
                        kept.last_seq, kept.last_hash)
    else:
        if page < 1:
            raise NotFound("Archive documents are numbered from 1.")
        size = rendering.page_size
        if page * size > MAX_SEQ:  # its last entry would be beyond any seq
            raise NotFound(f"There is no archive document {page}: the registry's history cannot be that long.")
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
            archive_store.keep(feed.key, page, rendering.variant, last.seq, last.hash, served.document)
    current_app.extensions["feeds"].archives.put((rendering.variant, feed.key, page), served)
    return _answer(served, _not_modified(served.etag, served.modified))


def _found(feed: Feed | None) -> Feed:
    if feed is None:
        raise NotFound("There is no such feed: countries are ISO 3166-1 alpha-2 codes, sections are "
                       f"{', '.join(SECTIONS)}, substances are the keys listed at /api/v1/substances.")
    return feed


def _upper_case(country: str):
    """301 to the upper-case URL for a lower-case country code (docs/api.md, "Identifiers")."""
    location = upper_case_location(country)
    return redirect(location, 301) if location else None


@bp.get("/changes.atom")
def changes():
    return subscription(changes_feed())


@bp.get("/changes/archive/<int(max=2147483647):page>.atom")
def changes_archive(page):
    return archive(changes_feed(), page)


@bp.get("/countries/<string:country>.atom")
def country(country):
    return _upper_case(country) or subscription(_found(country_feed(country)))


@bp.get("/countries/<string:country>/archive/<int(max=2147483647):page>.atom")
def country_archive(country, page):
    return _upper_case(country) or archive(_found(country_feed(country)), page)


@bp.get("/sections/<string:section>.atom")
def section(section):
    return subscription(_found(section_feed(section)))


@bp.get("/sections/<string:section>/archive/<int(max=2147483647):page>.atom")
def section_archive(section, page):
    return archive(_found(section_feed(section)), page)


@bp.get("/substances/<string:key>.atom")
def substance(key):
    return subscription(_found(substance_feed(key)))


@bp.get("/substances/<string:key>/archive/<int(max=2147483647):page>.atom")
def substance_archive(key, page):
    return archive(_found(substance_feed(key)), page)
