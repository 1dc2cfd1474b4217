"""The Atom feeds (docs/api.md, "Atom feeds"; docs/feeds.md): RFC 4287 documents, archived per RFC 5005 §4.

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
version. Its hash commits to the whole history before it (docs/api.md, "Hash chain"),
so a digest of that hash and of the rendering's settings is a strong ETag that is
known before anything is rendered. Subscription documents are kept in process
memory by that ETag (a key that determines their bytes, so every worker process
agrees); full archive documents in the database (archive.py) once
REGISTRY_BASE_URL fixes their links, and in process memory once served. A poll
for a document the process holds is answered before Flask, by
polls.py, from the same Served object these views build.

The XML is built with lxml (which feedgen itself uses) rather than with feedgen:
RFC 5005's fh:archive element would need a feedgen extension of its own, feedgen
writes by default a generator carrying its version (an upgrade would change the
bytes of every archive document) and takes XHTML summaries as markup strings to
escape by hand. Written directly, every byte of a document that must never change
is decided here.

Every subscription document names the feeds' WebSub hub (hub.py), where subscribers ask for
new entries to be pushed to them; the delivery worker reads the feeds as topics through it.
"""
from ..delivery import register_topics
from . import hub
from .memory import FeedMemory
from .polls import FeedPolls
from .rendering import MEMORY_CACHE
from .views import bp

__all__ = ["bp", "register", "answer_polls_first"]


def register(app) -> None:
    """Serve the feeds, with a per-process memory of the documents served last, and their WebSub hub."""
    app.register_blueprint(bp)
    app.extensions["feeds"] = FeedMemory(app.config.get("REGISTRY_FEED_MEMORY_CACHE", MEMORY_CACHE))
    app.register_blueprint(hub.bp)
    app.extensions["csrf"].exempt(hub.bp)  # subscribers are programs that POST a form with no session (WebSub §5.1)
    register_topics(app, hub.FeedTopics(app.config))


def answer_polls_first(app) -> None:
    """Wrap the application so that feed polls are answered before Flask dispatches them."""
    app.wsgi_app = FeedPolls(app, app.wsgi_app)
