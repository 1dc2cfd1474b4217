"""Receivers for the push tests: a real WebSub subscriber, a real SMTP server, and a registry set for fast delivery.

- `subscriber()`: a WebSub subscriber (W3C WebSub §5.3, §7, §8) served on 127.0.0.1 by a
  ThreadingHTTPServer: it confirms intent by echoing hub.challenge, keeps every content
  distribution with its headers and entry ids, and checks X-Hub-Signature with its secret.
- `smtp`: an SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts.
- `app` (replacing the suite's) and `delivery_env`/`served_registry`: the registry configured
  so that delivery happens within a test's patience — retries after 0.05 s, an idle worker
  looking every 0.05 s, http callbacks on 127.0.0.1 allowed, mail to `smtp`.
- `worker`: a delivery worker on a thread of the test.
- `publish()`, `subscribe(subscriber, topic)`, `subscription_of(callback)`: publishing, asking the
  hub through the test client, and what the registry holds of a subscription.
- `wait_for(condition)`: the condition's value once it is true, or the test fails.
"""
import email
import email.policy
import hashlib
import hmac
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from aiosmtpd.controller import Controller
from lxml import etree
from sqlalchemy import select

from registry.db import db, dispose_engines
from registry.delivery.worker import Worker
from registry.models import Subscription

from ..helpers import factories
from ..helpers.apps import make_app
from ..helpers.feeds import ATOM, Publisher
from ..helpers.servers import free_port, start, stop

WAIT_S = 15.0  # the longest a test waits for a delivery; they come within a second when all goes well
FAST_DELIVERY = {
    "REGISTRY_ALLOW_PRIVATE_CALLBACKS": True,
    "REGISTRY_DELIVERY_RETRY_BASE_S": 0.05,
    "REGISTRY_DELIVERY_RETRY_MAX_S": 1.0,
    "REGISTRY_DELIVERY_POLL_S": 0.05,
}


def wait_for(condition, timeout: float = WAIT_S, what: str = "the condition"):
    """Poll `condition()` until it gives something true, and return that; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout} s for {what}")
        time.sleep(0.02)


@pytest.fixture(name="wait_for")
def wait_for_fixture():
    return wait_for


# -- the WebSub subscriber ---------------------------------------------------------------------------------------------


@dataclass
class Delivery:
    """One content distribution as the subscriber received it."""

    path: str
    headers: HTTPMessage
    body: bytes
    signature_valid: bool | None  # None: the subscriber has no secret and the hub sent no signature
    links: dict[str, str] = field(default_factory=dict)  # rel -> URL, from the Link header

    @property
    def ids(self) -> list[str]:
        """The entries' ids, in document order."""
        return [entry.findtext(f"{ATOM}id") for entry in etree.fromstring(self.body).iter(f"{ATOM}entry")]

    @property
    def topic(self) -> str | None:
        return self.links.get("self")


class Subscriber:
    """A WebSub subscriber on 127.0.0.1: its `callback` URL, and what the hub sent it.

    Set `refuse` to deny intent (404 to verification GETs), `fail_next` to answer that many
    content POSTs 500, `delay_s` to take that long over each POST (a slow receiver).
    A POST counts as delivered only when the subscriber could answer it: a hub that hung
    up meanwhile (a killed worker) never learnt that it was accepted, so it is `abandoned`.
    """

    def __init__(self, secret: str | None = "subscriber-secret"):
        self.secret = secret
        self.refuse = False
        self.fail_next = 0
        self.delay_s = 0.0
        self.verifications: list[dict[str, str]] = []  # the query of every GET, with its "path"
        self.deliveries: list[Delivery] = []  # answered 2xx, in order of arrival
        self.failed: list[Delivery] = []  # answered 500 (fail_next)
        self.abandoned: list[Delivery] = []  # the hub hung up before the answer
        self.arrived = 0  # content POSTs read, answered or not yet
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def callback(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/callback"

    def form(self, topic: str, mode: str = "subscribe", *, lease_seconds: int | None = None, callback: str | None = None) -> dict:
        """The hub request's form fields (WebSub §5.1) for this subscriber."""
        fields = {"hub.mode": mode, "hub.topic": topic, "hub.callback": callback or self.callback}
        if self.secret is not None and mode == "subscribe":
            fields["hub.secret"] = self.secret
        if lease_seconds is not None:
            fields["hub.lease_seconds"] = str(lease_seconds)
        return fields

    def ask(self, hub: str, topic: str, mode: str = "subscribe", **options) -> requests.Response:
        """POST a (un)subscription request to a hub over HTTP."""
        return requests.post(hub, data=self.form(topic, mode, **options), timeout=10)

    def ids(self) -> list[str]:
        """Every entry id delivered (answered 2xx), oldest first, duplicates kept: the deliveries in order of
        arrival, each document's entries (newest first, as in any Atom feed) from the last."""
        with self.lock:
            return [entry for delivery in self.deliveries for entry in reversed(delivery.ids)]

    def wait_for_ids(self, expected, timeout: float = WAIT_S) -> list[str]:
        """Wait until every id in `expected` has been delivered; every id delivered."""
        expected = set(expected)
        return wait_for(lambda: expected <= set(self.ids()) and self.ids(), timeout,
                        f"entries {sorted(expected - set(self.ids()))} at {self.callback}")

    def wait_for_verifications(self, count: int, timeout: float = WAIT_S) -> list[dict[str, str]]:
        return wait_for(lambda: len(self.verifications) >= count and list(self.verifications), timeout,
                        f"{count} verification requests at {self.callback}")

    def in_flight(self) -> int:
        """Content POSTs received and not answered yet (taking delay_s)."""
        with self.lock:
            return self.arrived - len(self.deliveries) - len(self.failed) - len(self.abandoned)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _verify(self, request: BaseHTTPRequestHandler) -> None:
        """§5.3: confirm intent by answering the challenge, unless told to refuse."""
        parts = urlsplit(request.path)
        query = dict(parse_qsl(parts.query), path=parts.path)
        with self.lock:
            self.verifications.append(query)
        if self.refuse or "hub.challenge" not in query:
            _answer(request, 404, b"No such subscription wanted here.")
        else:
            _answer(request, 200, query["hub.challenge"].encode())

    def _receive(self, request: BaseHTTPRequestHandler) -> None:
        """§7: take a content distribution, or answer 500 while told to fail."""
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        delivery = Delivery(urlsplit(request.path).path, request.headers, body,
                            self._signature_valid(request.headers.get("X-Hub-Signature"), body),
                            {link.get("rel"): link.get("url") for link in
                             requests.utils.parse_header_links(request.headers.get("Link", ""))})
        with self.lock:
            self.arrived += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        with self.lock:
            failing = self.fail_next > 0
            self.fail_next -= failing
            if failing:
                self.failed.append(delivery)
            elif _hung_up(request.connection):
                self.abandoned.append(delivery)
                return
            else:
                self.deliveries.append(delivery)
        _answer(request, 500 if failing else 204, b"Not now." if failing else b"")

    def _signature_valid(self, header: str | None, body: bytes) -> bool | None:
        """§8: X-Hub-Signature is method=HMAC of the body with the secret; sha256 is what this subscriber accepts."""
        if self.secret is None:
            return None if header is None else False
        method, _, digest = (header or "").partition("=")
        expected = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        return method == "sha256" and hmac.compare_digest(expected, digest)


def _handler(subscriber: Subscriber):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            subscriber._verify(self)

        def do_POST(self):
            subscriber._receive(self)

        def log_message(self, *args):
            pass

    return Handler


def _answer(request: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    request.send_response(status)
    request.send_header("Content-Type", "text/plain; charset=utf-8")
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)


def _hung_up(connection: socket.socket) -> bool:
    """Whether the other end closed the connection (it is readable, and reading gives nothing)."""
    try:
        return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:  # nothing to read: still there
        return False
    except OSError:
        return True


@pytest.fixture
def subscriber():
    """subscriber(secret=…) -> a new Subscriber, stopped at the end of the test."""
    made = []

    def make(secret: str | None = "subscriber-secret") -> Subscriber:
        made.append(Subscriber(secret))
        return made[-1]

    yield make
    for each in made:
        each.close()


# -- the SMTP server ---------------------------------------------------------------------------------------------------


@dataclass
class Envelope:
    mail_from: str
    rcpt_tos: list[str]


class Mailbox:
    """An SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts, as email.message.EmailMessage.

    Set `refuse_next` to answer that many messages with a temporary failure (451).
    """

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[Envelope] = []
        self.refuse_next = 0
        self.refused = 0
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(_MailboxHandler(self), hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=True)
        self.controller.start()

    @property
    def url(self) -> str:
        """What REGISTRY_SMTP_URL says to reach it: plain SMTP, no authentication."""
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        """The messages sent to an address, in order of arrival."""
        with self.lock:
            return [message for message, envelope in zip(self.messages, self.envelopes) if address in envelope.rcpt_tos]

    def wait_for(self, count: int, address: str | None = None, timeout: float = WAIT_S) -> list[email.message.EmailMessage]:
        """Wait for `count` messages (to `address`, if given); all of them."""
        found = (lambda: self.to(address)) if address else (lambda: list(self.messages))
        return wait_for(lambda: len(found()) >= count and found(), timeout, f"{count} messages" + (f" to {address}" if address else ""))

    def accept(self, envelope) -> str:
        with self.lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                self.refused += 1
                return "451 4.3.0 Try again later"
            self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                          policy=email.policy.default))
            self.envelopes.append(Envelope(envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 Message accepted for delivery"

    def close(self) -> None:
        self.controller.stop()


class _MailboxHandler:
    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox

    async def handle_DATA(self, server, session, envelope) -> str:
        return self.mailbox.accept(envelope)


@pytest.fixture
def smtp():
    """A Mailbox for this test; REGISTRY_SMTP_URL of `app` and of `delivery_env` points at it."""
    mailbox = Mailbox()
    yield mailbox
    mailbox.close()


# -- the registry, set for fast delivery -------------------------------------------------------------------------------


@pytest.fixture
def app(database_url, smtp):
    """The suite's application, configured for fast delivery to 127.0.0.1 (FAST_DELIVERY) and mail to `smtp`."""
    app = make_app(database_url, REGISTRY_SMTP_URL=smtp.url, **FAST_DELIVERY)
    yield app
    dispose_engines(app)


@pytest.fixture
def worker(app) -> Worker:
    """A delivery worker on a thread of the test, against `app`; stopped (and waited for) at the end."""
    worker = Worker(app, name="test-worker")
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    yield worker
    stop.set()
    thread.join(10)


@pytest.fixture
def publisher(client, secretariat) -> Publisher:
    """Publishes through the API as the secretariat: publisher.publish("FR", "requirements", document)."""
    return Publisher(client, secretariat)


class Publications:
    """publish() publishes a new version of France's requirements (publish("DE"): another country's); its entry id."""

    def __init__(self, app, publisher: Publisher):
        self.authority, self.publisher, self.number = app.config["REGISTRY_TAG_AUTHORITY"], publisher, 0

    def __call__(self, country: str = "FR") -> str:
        self.number += 1
        meta = self.publisher.publish(country, "requirements", factories.requirements(max_supply_days=self.number))
        return f"tag:{self.authority}:{meta['country']}/{meta['section']}/{meta['version']}"


@pytest.fixture
def publish(app, publisher) -> Publications:
    return Publications(app, publisher)


@pytest.fixture
def subscription_of(app):
    """subscription_of(callback) -> the callback's subscription that has not ended, as the registry holds it, or None."""
    def find(callback: str) -> Subscription | None:
        with app.app_context():
            found = db.session.scalar(select(Subscription).where(Subscription.callback == callback,
                                                                 Subscription.state != "ended"))
            db.session.expunge_all()
            return found
    return find


@pytest.fixture
def subscribe(client, subscription_of):
    """subscribe(subscriber, topic, mode=…, lease_seconds=…): ask the hub through the test client, and wait until a
    worker (the test runs one) has verified the subscriber's intent and recorded the outcome; the verification GET."""
    def ask(subscriber: Subscriber, topic: str, mode: str = "subscribe", **options) -> dict[str, str]:
        before = len(subscriber.verifications)
        response = client.post("/feeds/hub", data=subscriber.form(topic, mode, **options))
        assert response.status_code == 202, response.text
        verification = subscriber.wait_for_verifications(before + 1)[-1]
        wait_for(lambda: (found := subscription_of(subscriber.callback)) is None or found.pending_mode is None,
                 what=f"the outcome of the verification of {subscriber.callback}")
        return verification
    return ask


@pytest.fixture
def delivery_env(database_url, smtp) -> dict:
    """The environment of a `registry` process on the test's database, set as `app` is."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("REGISTRY_BASE_URL", "REGISTRY_TRUSTED_HOSTS", "REGISTRY_PROXY_HOPS")}
    env.update({name: "1" if value is True else str(value) for name, value in FAST_DELIVERY.items()})
    env.update(DATABASE_URL=database_url, SECRET_KEY="test-secret", REGISTRY_SMTP_URL=smtp.url)
    return env


@pytest.fixture
def registry_command(delivery_env, tmp_path):
    """registry_command("serve" | "deliver", *arguments) -> the started process, with `.url` for serve and
    `.log_path`; each is stopped at the end of the test (if still running), and must not have crashed."""
    started = []

    def run(command: str, *arguments: str):
        log_path = tmp_path / f"registry-{command}-{len(started)}.log"
        if command == "serve":
            port = free_port()
            process = start([sys.executable, "-m", "registry", "serve", "--port", str(port), *arguments],
                            delivery_env, log_path, port)
            process.url = f"http://127.0.0.1:{port}"
        else:
            with open(log_path, "wb") as log:
                process = subprocess.Popen([sys.executable, "-m", "registry", command, *arguments], env=delivery_env,
                                           stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
        process.log_path = log_path
        started.append(process)
        return process

    yield run
    for process in started:
        if process.poll() is None:
            assert "Traceback" not in stop(process, process.log_path)


@pytest.fixture
def served_registry(registry_command) -> str:
    """`registry serve` with its delivery thread, on a free port over the test's database: its base URL."""
    return registry_command("serve").url
