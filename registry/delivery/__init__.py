"""Push: every publication delivered to WebSub callbacks and e-mail subscribers (docs/delivery.md).

Nothing here keeps a history of its own. Each subscription holds a cursor into the
changes log (a version's `seq`); a worker sends what lies after the cursor and moves it
only once the receiver has accepted the message (a callback's 2xx, the SMTP server's
acceptance). A publication therefore reaches every subscriber at least once and in
order, and every payload carries the entries' stable ids, by which receivers drop
duplicates (a worker killed between sending and moving the cursor sends again).

- subscriptions.py: asking, verifying, confirming and ending subscriptions, with the
  safety rules on callbacks and the rate limits on requests.
- worker.py: claiming due subscriptions (row locks with SKIP LOCKED on PostgreSQL, a
  lease column everywhere), delivering, retrying with backoff, suspending.
- websub.py: the hub's side of WebSub towards subscribers: verification of intent and
  content distribution with X-Hub-Signature.
- mail.py: the SMTP connection, the alert, digest and confirmation messages.
- status.py: what the console and /healthz report.

The feeds surface knows what a topic is and how its entries read as Atom: it gives the
worker a `Topics` (register_topics) when the application starts.
"""
from dataclasses import dataclass
from typing import Protocol

from ..history import Selection


LOCAL_BASE = "http://localhost:8000"  # what `registry serve` answers on by default


class Topics(Protocol):
    """What the worker needs to know of WebSub topics; the feeds surface provides it."""

    def selection(self, topic: str) -> Selection | None:
        """The versions a topic (a feed's absolute URL with its ?lang=) follows; None when it is not a feed of this registry."""

    def document(self, topic: str, versions: list) -> bytes:
        """The Atom document that delivers `versions` (in seq order) of a topic."""


@dataclass(frozen=True)
class Settings:
    """How delivery behaves; read from the application's configuration (docs/delivery.md, "Settings")."""

    allow_private_callbacks: bool = False
    smtp_url: str | None = None
    mail_from: str = "registry@localhost"
    retry_base_s: float = 30.0  # the first retry waits about this long, then twice as long each time
    retry_max_s: float = 3600.0  # …up to this
    suspend_after_s: float = 3 * 24 * 3600.0  # failing this long suspends a subscription
    timeout_s: float = 10.0  # connect and read timeouts towards a callback or the SMTP server
    batch: int = 50  # entries in one WebSub delivery or one e-mail at most
    poll_s: float = 0.5  # how often an idle worker looks for new publications
    threads: int = 8  # deliveries a worker makes at once

    @classmethod
    def of(cls, config) -> "Settings":
        return cls(
            allow_private_callbacks=bool(config.get("REGISTRY_ALLOW_PRIVATE_CALLBACKS")),
            smtp_url=config.get("REGISTRY_SMTP_URL"),
            mail_from=config.get("REGISTRY_MAIL_FROM") or cls.mail_from,
            retry_base_s=float(config.get("REGISTRY_DELIVERY_RETRY_BASE_S", cls.retry_base_s)),
            retry_max_s=float(config.get("REGISTRY_DELIVERY_RETRY_MAX_S", cls.retry_max_s)),
            suspend_after_s=float(config.get("REGISTRY_DELIVERY_SUSPEND_AFTER_S", cls.suspend_after_s)),
            timeout_s=float(config.get("REGISTRY_DELIVERY_TIMEOUT_S", cls.timeout_s)),
            batch=int(config.get("REGISTRY_DELIVERY_BATCH", cls.batch)),
            poll_s=float(config.get("REGISTRY_DELIVERY_POLL_S", cls.poll_s)),
            threads=int(config.get("REGISTRY_DELIVERY_THREADS", cls.threads)),
        )


def register_topics(app, topics: Topics) -> None:
    """Called by the feeds surface: how the worker reads WebSub topics."""
    app.extensions["delivery.topics"] = topics


def topics(app) -> Topics:
    found = app.extensions.get("delivery.topics")
    if found is None:
        raise RuntimeError("No WebSub topics are registered: the feeds surface registers them in create_app.")
    return found


def public_base(app) -> str:
    """The registry's address in links that leave it (e-mails): REGISTRY_BASE_URL, else where `registry serve`
    listens, else http://localhost:8000.

    Never the Host of a request: a confirmation asked for with a forged Host would send its link elsewhere.
    """
    found = app.config.get("REGISTRY_BASE_URL") or app.config.get("REGISTRY_SERVED_AT") or LOCAL_BASE
    return found.rstrip("/")


def settings(app) -> Settings:
    kept = app.extensions.get("delivery.settings")
    if kept is None:
        kept = app.extensions["delivery.settings"] = Settings.of(app.config)
    return kept


class DeliveryFailed(Exception):
    """The receiver did not accept a message; the cursor stays and the delivery is retried.

    `permanent`: retrying cannot help (a refused address, a callback that no longer exists).
    """

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent

