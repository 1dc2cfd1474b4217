"""Feed polls answered before Flask: what keeps polling a feed almost free.

Most requests for a feed are polls, and nearly every poll asks for a document the
process already holds — a subscription document it rendered for the feed's newest
version, or a full archive document, which never changes. This WSGI layer, which
wraps the Flask application, answers exactly those: a GET or HEAD of
/feeds/….atom, without a query string, found in the process's FeedMemory
(memory.py) and still current, with 200 or, for a matching If-None-Match,
304. Whether it is current takes one indexed query on a DB-API connection
(db.DirectReads): the hash of the feed's newest version for a subscription
document, the hash of its newest version for an archive document.

Every other request goes on to Flask unchanged: a document not in memory (the view
renders or fetches it and remembers it), If-Modified-Since without If-None-Match
(its same-second rule needs a second query), a query string (?lang= sets a
cookie), a lower-case country (redirected), an unknown feed (404), a Host
outside TRUSTED_HOSTS (REGISTRY_TRUSTED_HOSTS: Flask answers 400, whether or not
REGISTRY_BASE_URL is set), and any database error (the view answers 503 as every
other page does). What is answered here is what the view would answer, byte for
byte and header for header: the view builds the same Served that is served here,
both add http.answer_headers (CORS, and HSTS over HTTPS) to it, and
tests/feeds/test_polls.py compares the two paths.

Why not leave it to Flask: its request context, session, CSRF, language and
security-header hooks and SQLAlchemy's Connection cost several times what the
answer itself does (docs/performance.md, "Feeds").

Compression: Flask-Compress compresses what Flask answers (registry/app.py); a poll
answered here is compressed the same way — the same choice of algorithm from
Accept-Encoding, the same ETag suffix (":gzip", so a compressed and an
identity representation never share a strong validator, RFC 9110 §8.8.3) and
`Vary: Accept-Encoding` on every answer, 304 included.
"""
import re

from flask_compress.flask_compress import _choose_algorithm, _compress_data

from werkzeug.exceptions import SecurityError
from werkzeug.http import parse_etags
from werkzeug.wsgi import get_current_url, get_host

from .. import history
from ..db import DirectReads, direct_reads
from ..http import answer_headers
from . import rendering as atom
from .memory import FeedMemory, Served

# /feeds/{key}.atom and /feeds/{key}/archive/{page}.atom; anything looser goes on to Flask.
PATH = re.compile(r"/feeds/(changes|countries/[A-Z]{2}|sections/[a-z-]+|substances/[a-z0-9-]+)(?:/archive/([1-9][0-9]{0,8}))?\.atom")


VARY = ("Vary", "Accept-Encoding")


def encoded(name: str, value: str, etag: str, document: bytes) -> tuple[str, str]:
    """A header of an identity answer as the compressed answer has it."""
    if name == "ETag":
        return name, f'"{etag}"'
    if name == "Content-Length":
        return name, str(len(document))
    return name, value


class FeedPolls:
    """WSGI middleware: answers current feed documents from memory, passes everything else to `wsgi_app`."""

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.memory: FeedMemory = app.extensions["feeds"]
        self.reads = direct_reads(app)

    def __call__(self, environ, start_response):
        answer = self.answer(environ)
        if answer is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        return [body]

    def answer(self, environ) -> tuple[str, list, bytes] | None:
        """(status, headers, body) for a poll answered here, or None to let Flask answer."""
        method = environ.get("REQUEST_METHOD")
        match = PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None or method not in ("GET", "HEAD") or environ.get("QUERY_STRING"):
            return None
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if environ.get("HTTP_IF_MODIFIED_SINCE") and not if_none_match:
            return None
        feed = atom.feed(match[1])
        if feed is None:
            return None
        config = self.app.config
        try:
            if config["TRUSTED_HOSTS"] is not None:
                get_host(environ, trusted_hosts=config["TRUSTED_HOSTS"])  # SecurityError: Flask answers 400
            base = config.get("REGISTRY_BASE_URL") or get_current_url(
                environ, host_only=True, trusted_hosts=config["TRUSTED_HOSTS"]).rstrip("/")
            rendering = atom.rendering_for(config, base)
            served = self.current(feed, rendering) if match[2] is None else self.archived(feed, rendering, int(match[2]))
        except (SecurityError, DirectReads.Failed):
            return None
        if served is None:
            return None
        encoding = self.encoding(environ, served)
        etag = served.etag if encoding is None else f"{served.etag}:{encoding}"
        not_modified = bool(if_none_match) and parse_etags(if_none_match).contains_weak(etag)
        added = answer_headers(config, environ["PATH_INFO"], method) + [VARY]
        headers = served.headers(not_modified=not_modified)
        document = served.document
        if encoding is not None:
            document = b"" if not_modified else served.encoded(encoding, lambda data: _compress_data(self.app, data, encoding))
            headers = [encoded(name, value, etag, document) for name, value in headers]
            if not not_modified:
                headers.append(("Content-Encoding", encoding))
        if not_modified:
            return "304 NOT MODIFIED", headers + added, b""
        return "200 OK", headers + added, b"" if method == "HEAD" else document

    def encoding(self, environ, served: Served) -> str | None:
        """The compression Flask-Compress would choose for this document, or None to send it as it is."""
        config = self.app.config
        if len(served.document) < config["COMPRESS_MIN_SIZE"]:
            return None
        return _choose_algorithm(tuple(config["COMPRESS_ALGORITHM"]), environ.get("HTTP_ACCEPT_ENCODING", ""))

    def current(self, feed: atom.Feed, rendering: atom.Rendering) -> Served | None:
        """The feed's subscription document, if this process holds the one for its newest version."""
        head = self.reads.first(*history.head_statement(feed.selection))  # (seq, hash, published_at)
        return self.memory.current.get(atom.subscription_etag(rendering, feed, head[1] if head else None))

    def archived(self, feed: atom.Feed, rendering: atom.Rendering, page: int) -> Served | None:
        """Archive document `page`, if this process holds it and the registry still holds its history."""
        served = self.memory.archives.get((rendering.variant, feed.key, page))
        if served is None:
            return None
        newest = self.reads.first(history.VERSION_HASH, {"seq": served.last_seq})
        return served if newest is not None and newest[0] == served.last_hash else None

