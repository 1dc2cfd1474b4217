"""What a process keeps of the feed documents it served: their bytes and every header of their answers."""
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import Callable

from werkzeug.http import http_date

from ..http import HEADERS
from .rendering import CONTENT_TYPE


@dataclass(frozen=True)
class Served:
    """A feed document as this process answers it: all that its 200 and 304 responses hold.

    Views put them in the process's memory (FeedMemory) and polls.py
    answers later polls from them before Flask dispatches the request, so both
    paths send the same headers by construction.
    """

    document: bytes
    etag: str
    modified: datetime  # the newest entry's publication time (UTC, naive)
    max_age_s: int
    last_seq: int | None = None  # an archive document: its newest version, which must still
    last_hash: str | None = None  # have this hash in the registry for the document to be served
    link: str | None = None  # a subscription document's Link header: its WebSub hub and topic (WebSub §4)
    _encoded: dict = field(default_factory=dict, compare=False, repr=False)  # by content coding

    def encoded(self, coding: str, compress: Callable[[bytes], bytes]) -> bytes:
        """The document compressed with `coding`, compressed once for every poll that asks for it."""
        found = self._encoded.get(coding)
        if found is None:
            found = self._encoded[coding] = compress(self.document)
        return found

    @cached_property
    def _ok(self) -> tuple:
        return (("ETag", f'"{self.etag}"'), ("Last-Modified", http_date(self.modified.replace(tzinfo=timezone.utc))),
                ("Cache-Control", f"public, max-age={self.max_age_s}"), ("Content-Type", CONTENT_TYPE),
                ("Content-Length", str(len(self.document))), *self._link, *HEADERS.items())

    @cached_property
    def _not_modified(self) -> tuple:
        # RFC 9110 §15.4.5: a 304 repeats the validators and caching headers, without the content's.
        return (("ETag", f'"{self.etag}"'), ("Cache-Control", f"public, max-age={self.max_age_s}"), *self._link,
                *HEADERS.items())

    @property
    def _link(self) -> tuple:
        return (("Link", self.link),) if self.link else ()

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
