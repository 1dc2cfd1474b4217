"""Public reads of the API answered from memory, before Flask: what makes reading the API cost what a feed poll costs.

Other countries' systems and apps read the same few answers over and over: a
country, a section, the list of countries, a substance, a page of changes. Each is
built from the registry's current state, which one statement of indexed lookups
describes (history.STATE: the head of the chain, the newest confirmation and the
confirmation cycle). This WSGI layer, which wraps the Flask application, keeps
every such answer Flask gave — status, every header, body, compressed or not — under
the request that asked for it and the state it was built from. When the same
request comes again and STATE is unchanged, it answers it from memory; otherwise
the request goes on to Flask, and its answer is kept.

An answer is therefore the view's own, byte for byte and header for header, by
construction: the view made it, this layer repeats it. A request is the same when
its method, path, query string, host (the links are absolute), the compression
Flask-Compress chooses from its Accept-Encoding and its If-None-Match are the same
(tests/api/test_memory.py compares the two paths); If-None-Match counts only as
whether it names the answer's ETag, so what clients send cannot fill the memory with
variants. What a request changes beyond those is never kept: an answer with Set-Cookie, or one that varies on a header
other than Accept-Encoding, goes out and is forgotten.

Time changes an answer without changing STATE in one way: a section becomes
overdue when its confirmation falls due. Views whose answer says so (the country,
the countries, the section) tell this layer until when their answer holds
(HOLDS_UNTIL in the WSGI environment); it is rendered anew after that.

Everything else goes on to Flask unchanged: writes, paths outside READS, a query
string on any read but /changes, If-Modified-Since (Werkzeug's same-second rule is
answered by Flask), a Host outside TRUSTED_HOSTS (Flask answers 400), and any
database error in the STATE query (the view answers as every other request does).

Memory is bounded in bytes (REGISTRY_API_MEMORY_BYTES), the least recently used
answers going first.
"""
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from flask_compress.flask_compress import _choose_algorithm
from werkzeug.exceptions import SecurityError
from werkzeug.http import http_date, parse_etags
from werkzeug.wsgi import get_host

from .. import history
from ..db import DirectReads, direct_reads
from ..workflow import reconfirmation

# The public reads of the API that depend on nothing but the registry's state, the reference data and the clock.
READS = re.compile(
    r"/api/v1/(?:countries(?:/[A-Z]{2}(?:/(?:requirements|authorities|import-bans)(?:/versions(?:/[0-9]{1,10})?)?)?)?"
    r"|substances(?:/[a-z0-9-]{1,80})?|changes)")
WITH_QUERY = "/api/v1/changes"  # the one read whose query string (after, limit) is part of the request
HOLDS_UNTIL = "registry.api.holds_until"  # set by a view whose answer changes when a due date passes
MEMORY_BYTES = 64 * 1024 * 1024  # REGISTRY_API_MEMORY_BYTES overrides it
KEPT_STATUSES = ("200 OK", "304 NOT MODIFIED")


@dataclass(frozen=True)
class Kept:
    """One answer as Flask gave it, and what it was built from."""

    state: tuple  # history.STATE when the request came in
    holds_until: datetime | None  # when a due date in it passes, or None
    status: str
    headers: tuple  # every header but Date
    dated: bool  # whether Flask sent a Date header (Werkzeug's make_conditional adds one): it is sent anew
    body: bytes

    @cached_property
    def etag(self) -> str | None:
        """The answer's entity tag, without quotes (a weak one is not kept: no read sends one)."""
        for name, value in self.headers:
            if name.lower() == "etag" and value.startswith('"'):
                return value[1:-1]
        return None

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(name) + len(value) for name, value in self.headers) + 200

    def headers_now(self) -> list[tuple[str, str]]:
        return [*self.headers, ("Date", date_now())] if self.dated else list(self.headers)


_date = (0, "")  # the Date header of the current second, and that second


def date_now() -> str:
    """The Date header now (RFC 9110 §6.6.1), written once per second, its resolution."""
    global _date
    second, found = int(time.time()), _date
    if found[0] != second:
        found = _date = (second, http_date(second))
    return found[1]


class Answers:
    """The answers a process keeps, by request, at most `capacity` bytes of them (least recently used go first)."""

    def __init__(self, capacity: int):
        self.capacity, self.size = capacity, 0
        self._kept: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key) -> Kept | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
            return kept

    def put(self, key, kept: Kept) -> None:
        if kept.size > self.capacity:
            return
        with self._lock:
            old = self._kept.pop(key, None)
            if old is not None:
                self.size -= old.size
            self._kept[key] = kept
            self.size += kept.size
            while self.size > self.capacity:
                _, dropped = self._kept.popitem(last=False)
                self.size -= dropped.size


class ApiReads:
    """WSGI middleware: answers the API's public reads from memory while the registry's state is unchanged."""

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.answers = Answers(app.config.get("REGISTRY_API_MEMORY_BYTES", MEMORY_BYTES))
        self.reads = direct_reads(app)

    def __call__(self, environ, start_response):
        request = self.request(environ)
        if request is None:
            return self.wsgi_app(environ, start_response)
        key, state = request
        condition = environ.get("HTTP_IF_NONE_MATCH")
        if condition:
            # The answer to a conditional request is one of two: 304 when If-None-Match names the
            # answer's ETag, the answer itself when not. Kept as such, whatever tags a client sends.
            answer = self.current((*key, False), state)
            tag = answer and answer.etag
            if tag is None:
                return self.wsgi_app(environ, start_response)
            if not parse_etags(condition).contains_weak(tag):
                return self.answer(answer, start_response)
        kept = self.current((*key, bool(condition)), state)
        if kept is not None:
            return self.answer(kept, start_response)
        return self.remember(environ, start_response, (*key, bool(condition)), state)

    def current(self, key: tuple, state: tuple) -> "Kept | None":
        """The answer kept for `key`, if it was built from `state` and still holds now."""
        kept = self.answers.get(key)
        if kept is not None and kept.state == state and (kept.holds_until is None or reconfirmation.utcnow() < kept.holds_until):
            return kept
        return None

    @staticmethod
    def answer(kept: "Kept", start_response):
        start_response(kept.status, kept.headers_now())
        return [kept.body]

    def request(self, environ) -> tuple[tuple, tuple] | None:
        """(the request's key, the registry's state) for a read this layer may answer, or None to leave it to Flask."""
        method, path, query = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
        if method not in ("GET", "HEAD") or READS.fullmatch(path) is None or (query and path != WITH_QUERY):
            return None
        if environ.get("HTTP_IF_MODIFIED_SINCE"):
            return None
        config = self.app.config
        try:
            if config["TRUSTED_HOSTS"] is not None:
                get_host(environ, trusted_hosts=config["TRUSTED_HOSTS"])  # SecurityError: Flask answers 400
            state = self.reads.first(history.STATE)
        except (SecurityError, DirectReads.Failed):
            return None
        encoding = _choose_algorithm(tuple(config["COMPRESS_ALGORITHM"]), environ.get("HTTP_ACCEPT_ENCODING", ""))
        # The links are absolute: the host and scheme asked for are part of the request (the key needs only
        # to tell them apart; Flask reads them from the same variables).
        host = environ.get("HTTP_HOST") or f'{environ.get("SERVER_NAME")}:{environ.get("SERVER_PORT")}'
        return (method, environ.get("wsgi.url_scheme"), host, path, query, encoding), state

    def remember(self, environ, start_response, key: tuple, state: tuple):
        """Let Flask answer, and keep the answer if it may be repeated."""
        answered = {}

        def started(status, headers, exc_info=None):
            answered.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, started)
        try:
            content = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        headers = answered["headers"]
        if answered["status"] in KEPT_STATUSES and repeatable(headers):
            self.answers.put(key, Kept(state, environ.get(HOLDS_UNTIL), answered["status"],
                                       tuple((name, value) for name, value in headers if name.lower() != "date"),
                                       any(name.lower() == "date" for name, _ in headers), content))
        return [content]


def repeatable(headers) -> bool:
    """Whether an answer may be given again to the same request: it sets no cookie and varies on nothing but Accept-Encoding."""
    for name, value in headers:
        lowered = name.lower()
        if lowered == "set-cookie":
            return False
        if lowered == "vary" and {part.strip().lower() for part in value.split(",")} - {"accept-encoding"}:
            return False
    return True
