"""The archive documents of the Atom feeds, rendered once and kept in the database.

A full archive document never changes (RFC 5005 §4), so it is rendered once and
then served from the table `feed_archives`. A table rather than process memory or
files in the instance folder, because every worker process on every machine
shares it: a document rendered by one is served by all, and no process ever holds
a copy the others disagree with.

A row is keyed by everything that determines its bytes — the feed, the page and a
digest of the rendering's settings (base URL, tag authority, page size, format) —
and remembers the hash of the page's last version. It is served only while the
version with that seq still has that hash: each hash commits to every version
before it, so a row can never outlive the history it was rendered from, even if
the database is rebuilt with `registry restore`. Two processes that render the
same page at the same moment render the same bytes; the second insert is ignored.
"""
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from ..db import db, single_read, write_transaction
from ..models import FeedArchive, Version


@dataclass(frozen=True)
class Kept:
    """An archive document as stored: its bytes, and the hash and time of its newest version."""

    document: bytes
    last_seq: int
    last_hash: str
    updated: datetime


# Built once: serving a kept document is this one query, all that the request costs.
FIND = (
    select(FeedArchive.document, FeedArchive.last_seq, FeedArchive.last_hash, Version.published_at)
    .join(Version, and_(Version.seq == FeedArchive.last_seq, Version.hash == FeedArchive.last_hash))
    .where(FeedArchive.feed == bindparam("feed"), FeedArchive.page == bindparam("page"), FeedArchive.variant == bindparam("variant"))
)


def find(feed: str, page: int, variant: str) -> Kept | None:
    """The stored archive document, if one was rendered from the history the registry holds."""
    with single_read() as connection:
        row = connection.execute(FIND, {"feed": feed, "page": page, "variant": variant}).first()
    return Kept(row.document.encode("utf-8"), row.last_seq, row.last_hash, row.published_at) if row else None


def keep(feed: str, page: int, variant: str, last_seq: int, last_hash: str, document: bytes) -> None:
    """Store a freshly rendered archive document (a no-op when another process stored it first)."""
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(FeedArchive).values(
        feed=feed, page=page, variant=variant, last_seq=last_seq, last_hash=last_hash, document=document.decode("utf-8")
    ).on_conflict_do_nothing()
    try:
        with write_transaction() as session:
            session.execute(statement)
    except SQLAlchemyError:
        # The document is already rendered and correct; serving it matters more than keeping it.
        current_app.logger.warning("Could not store archive document %s of feed %s", page, feed, exc_info=True)
