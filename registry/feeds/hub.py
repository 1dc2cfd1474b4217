"""The feeds' WebSub hub (W3C WebSub Recommendation; docs/feeds.md, "WebSub"): /feeds/hub, and the feeds as topics.

Every subscription document names the hub in `<link rel="hub">` and in its Link header. A
subscriber POSTs its request here (§5.1); the hub records it and answers 202, and the delivery
worker (registry/delivery/worker.py) verifies the subscriber's intent (§5.3), then pushes each
publication the feed gains (§7). A topic is a subscription document's URL exactly as its
rel="self" link gives it, with ?lang= for a language variant; anything else is refused.
"""
from urllib.parse import urlsplit

from flask import Blueprint, Response, has_request_context, request

from .. import i18n
from ..delivery import subscriptions
from ..history import Selection
from .rendering import DEFAULT_LANGUAGE, Feed, Rendering, feed, render_delivery, rendering_for, topic

bp = Blueprint("hub", __name__, url_prefix="/feeds")

FORM = "application/x-www-form-urlencoded"  # §5.1: the only body a hub request has
ABOUT = """This is the WebSub hub of the registry's Atom feeds (https://www.w3.org/TR/websub/).
Subscribe by POSTing, form-encoded: hub.mode=subscribe (or unsubscribe), hub.topic (a feed's URL,
as its rel="self" link gives it), hub.callback, and optionally hub.lease_seconds and hub.secret.
"""


@bp.post("/hub")
def ask():
    """§5.1: a (un)subscription request, answered 202 once recorded; the subscriber's intent is verified afterwards."""
    if request.mimetype != FORM:
        return _plain(f"A hub request's body is a form, {FORM}.", 415)
    form = request.form
    try:
        subscriptions.websub(form.get("hub.mode", ""), form.get("hub.topic", ""), form.get("hub.callback", ""),
                             lease_seconds=form.get("hub.lease_seconds"), secret=form.get("hub.secret"),
                             remote_addr=request.remote_addr)
    except subscriptions.Refused as refusal:
        response = _plain(str(refusal), refusal.status)
        if refusal.retry_after is not None:
            response.headers["Retry-After"] = str(refusal.retry_after)
        return response
    return _plain("Accepted: the hub will now verify the subscriber's intent at its callback.", 202)


@bp.get("/hub")
def about():
    """What a person who follows a feed's hub link finds: what the hub is and how to ask it."""
    return _plain(ABOUT, 200)


def _plain(text: str, status: int) -> Response:
    return Response(text.rstrip("\n") + "\n", status, mimetype="text/plain")


class FeedTopics:
    """The feeds as WebSub topics, for the delivery worker (registry.delivery.Topics).

    Which base a topic may have: REGISTRY_BASE_URL when it is set, and nothing else. Without
    it the feeds' links follow the request, so the hub accepts, when asked, the base that
    request came in on and the one `registry serve` listens on (REGISTRY_SERVED_AT); the
    worker, which has no request, accepts the base of any topic the hub accepted before.
    """

    def __init__(self, config):
        self.config = config

    def selection(self, topic_url: str) -> Selection | None:
        found = self.feed(topic_url)
        return found[0].selection if found else None

    def document(self, topic_url: str, versions: list) -> bytes:
        found, rendering = self.feed(topic_url)
        return render_delivery(found, rendering, versions)

    def feed(self, topic_url: str) -> tuple[Feed, Rendering] | None:
        """The feed a topic names and how its documents render; None when it is not exactly one of this registry's feeds."""
        base, marker, rest = topic_url.partition("/feeds/")
        key, suffix, query = rest.partition(".atom")
        language = query.removeprefix("?lang=") if query else DEFAULT_LANGUAGE
        if not marker or not suffix or language not in i18n.LANGUAGES or not self._serves(base):
            return None
        found = feed(key)
        if found is None:
            return None
        rendering = rendering_for(self.config, base, language)
        return (found, rendering) if topic(found, rendering) == topic_url else None

    def _serves(self, base: str) -> bool:
        """Whether feeds under `base` are this registry's (the class's docstring says which)."""
        configured = self.config.get("REGISTRY_BASE_URL")
        if configured:
            return base == configured
        try:
            parts = urlsplit(base)
        except ValueError:  # an unclosed [ of an IPv6 address
            return False
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password \
                or parts.path or parts.query or parts.fragment:
            return False
        if not has_request_context():
            return True
        return base in (request.host_url.rstrip("/"), self.config.get("REGISTRY_SERVED_AT"))
