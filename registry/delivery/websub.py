"""The hub's requests to subscribers (W3C WebSub §5.3 and §7): verification of intent, content distribution.

Every request checks the callback again (subscriptions.check_callback), follows no
redirect, has connect and read timeouts, and reads at most a small bounded part of
the answer: a subscriber cannot make the hub call inside addresses, wait forever,
or fill its memory.
"""
import hashlib
import hmac
import secrets
import threading
from urllib.parse import urlsplit

import requests

from ..models import Subscription
from . import DeliveryFailed, Settings
from .subscriptions import Refused, check_callback

ANSWER_MAX_BYTES = 64 * 1024  # read of a subscriber's answer at most; a challenge is far shorter
USER_AGENT = "registry-websub-hub"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
_local = threading.local()


def _session() -> requests.Session:
    """One HTTP session (with its connection pool) per delivery thread."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
        session.headers["User-Agent"] = USER_AGENT
        session.trust_env = False  # no proxy or .netrc from the environment
    return session


def hub_url(topic: str) -> str:
    """The hub that serves a topic: /feeds/hub beside the topic's /feeds/ (registry/feeds/hub.py)."""
    return topic.split("/feeds/", 1)[0] + "/feeds/hub"


def links(topic: str) -> str:
    """The Link header of every distribution and of the feeds themselves (WebSub §4)."""
    return f'<{hub_url(topic)}>; rel="hub", <{topic}>; rel="self"'


def _read(response: requests.Response) -> bytes:
    body = b""
    for chunk in response.iter_content(8192):
        body += chunk
        if len(body) > ANSWER_MAX_BYTES:
            break
    response.close()
    return body[:ANSWER_MAX_BYTES + 1]


def _call(method: str, subscription: Subscription, settings: Settings, **arguments) -> tuple[int, bytes]:
    try:
        check_callback(subscription.callback, allow_private=settings.allow_private_callbacks)
    except Refused as refusal:
        raise DeliveryFailed(str(refusal)) from None
    try:
        response = _session().request(method, subscription.callback, allow_redirects=False, stream=True,
                                      timeout=(settings.timeout_s, settings.timeout_s), **arguments)
        return response.status_code, _read(response)
    except requests.RequestException as error:
        raise DeliveryFailed(f"{urlsplit(subscription.callback).hostname}: {type(error).__name__}: {error}") from None


def verify(subscription: Subscription, mode: str, settings: Settings) -> bool:
    """Whether the subscriber confirms `mode` for its topic: a 2xx answer whose body is exactly the challenge (§5.3)."""
    challenge = secrets.token_urlsafe(24)
    params = {"hub.mode": mode, "hub.topic": subscription.topic, "hub.challenge": challenge}
    if mode == "subscribe":
        params["hub.lease_seconds"] = str(subscription.lease_seconds)
    status, body = _call("GET", subscription, settings, params=params)
    return 200 <= status < 300 and body.strip() == challenge.encode()


def signature(secret: str, body: bytes) -> str:
    """X-Hub-Signature (§8): the HMAC of the body with the subscriber's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def distribute(subscription: Subscription, body: bytes, settings: Settings) -> None:
    """POST the new entries to the callback; DeliveryFailed unless it answers 2xx (410: the subscriber has gone)."""
    headers = {"Content-Type": CONTENT_TYPE, "Link": links(subscription.topic)}
    if subscription.secret:
        headers["X-Hub-Signature"] = signature(subscription.secret, body)
    status, _ = _call("POST", subscription, settings, data=body, headers=headers)
    if status == 410:
        raise DeliveryFailed("The callback answered 410 Gone: the subscriber has gone.", permanent=True)
    if not 200 <= status < 300:
        raise DeliveryFailed(f"The callback answered {status}.")
