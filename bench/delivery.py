"""Push delivery: seconds from publication to receipt at 1,000 WebSub subscribers, and the publish latency beside none.

    python bench/delivery.py [--subscribers 1000] [--rounds 10]

Two `registry serve` processes on 127.0.0.1, each over a SQLite file of its own (or,
from bench/all.py, a PostgreSQL database) and each with its delivery thread, as
deployed by default: one whose feeds have `subscribers` WebSub subscriptions, one
with none — the floor the publish latency is compared with. The subscribers are as many callback paths of one threading HTTP
server, in a process of its own so that receiving does not slow the benchmark's
clock. They subscribe through `registry.delivery.subscriptions.websub` (as the hub
records a request), spread over 18 topics that each follow the publications —
the changes feed, France's feed and the requirements section's feed, each in the
six languages — and the server's worker verifies every one (the challenge GET)
before anything is timed.

Each round publishes France's requirements through `PUT /api/v1/…` on both servers,
which answer in turn (which goes first alternates), then again 0.3 s later, while
the first publication is being delivered, and waits until every subscriber has
received both. A publication's time is the moment its PUT was sent; a receipt's is
the moment the subscriber had read the POST's body; an entry counts once per
subscriber, at its first receipt (a subscriber may be sent an entry again).
Targets (issue 16): 95 % of receipts within 10 s; the publish latency with the
subscribers within 10 % of that without.
"""
import argparse
import math
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from queue import Empty
from urllib.parse import parse_qsl, urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serving import ChildServer, free_port  # noqa: E402

from registry import accounts, create_app  # noqa: E402
from registry.db import dispose_engines  # noqa: E402
from registry.delivery import subscriptions  # noqa: E402

ATOM_ENTRY_ID = "{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}id"
FEEDS = ("/feeds/changes.atom", "/feeds/countries/FR.atom", "/feeds/sections/requirements.atom")
LANGUAGE_QUERIES = ("", "?lang=ar", "?lang=zh", "?lang=fr", "?lang=ru", "?lang=es")
DURING_DELIVERY_S = 0.3  # the second publication of a round, while the first is being delivered
RECEIPT_TARGET_S = 10.0
PUBLISH_TARGET = 1.10  # with subscribers ÷ without, at the median, idle and during a delivery alike
WAIT_S = 120.0  # the longest a round waits for every receipt
WARM_UP = 3  # untimed publications on each server first


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the subscribers ---------------------------------------------------------------------------------------------------


def serve_subscribers(port: int, receipts) -> None:
    """The subscribers' HTTP server (run in a process of its own): confirms every intent, puts (path, time, entry ids) of each POST on `receipts`."""
    from lxml import etree

    class Subscriber(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            self._answer(200, dict(parse_qsl(urlsplit(self.path).query)).get("hub.challenge", "").encode())

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            at = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process of the machine
            self._answer(204, b"")
            receipts.put((self.path, at, [entry_id.text for entry_id in etree.fromstring(body).iterfind(ATOM_ENTRY_ID)]))

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 1024

    Server(("127.0.0.1", port), Subscriber).serve_forever()


# -- the registries ----------------------------------------------------------------------------------------------------


def prepare(database_url: str, *, subscribers: int = 0, base: str = "", callbacks: str = "") -> str:
    """Migrate a database, make a secretariat token, and record `subscribers` WebSub subscriptions to topics under `base`; the token."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench", "REGISTRY_ALLOW_PRIVATE_CALLBACKS": True})
    with app.app_context():
        upgrade()
        _, token = accounts.add_token(accounts.add_account("bench@example.org", country=None, secretariat=True, password=None), "bench")
        topics = [base + feed + query for feed in FEEDS for query in LANGUAGE_QUERIES]
        for number in range(subscribers):
            # One client address each, as 1,000 subscribers would come from: the hub limits requests per client.
            subscriptions.websub("subscribe", topics[number % len(topics)], f"{callbacks}/subscriber/{number}",
                                 secret=f"secret-{number}", remote_addr=f"10.{number // 65536}.{number // 256 % 256}.{number % 256}")
    dispose_engines(app)
    return token


def serve(database_url: str, port: int) -> ChildServer:
    """`registry serve` with its delivery thread, on `port` of 127.0.0.1, in a process of its own."""
    return ChildServer(
        [sys.executable, "-m", "registry", "serve", "--host", "127.0.0.1", "--port", str(port)], port,
        env={**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench", "REGISTRY_ALLOW_PRIVATE_CALLBACKS": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


class Registry:
    """One `registry serve` as the benchmark publishes to it: a kept-alive HTTP session and the token."""

    def __init__(self, label: str, server: ChildServer, token: str):
        self.label, self.url = label, f"http://127.0.0.1:{server.port}"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.published = 0

    def publish(self) -> tuple[float, float, str]:
        """Publish France's requirements anew: (when the PUT was sent, its milliseconds, the entry's key "FR/requirements/n")."""
        self.published += 1
        precondition = {"If-Match": "*"} if self.published > 1 else {"If-None-Match": "*"}
        sent = time.monotonic()
        response = self.session.put(f"{self.url}/api/v1/countries/FR/requirements", json=document(self.published),
                                    headers=precondition, timeout=60)
        took = (time.monotonic() - sent) * 1000
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{self.label}: the publication was refused: {response.status_code} {response.text}")
        return sent, took, f"FR/requirements/{response.json()['meta']['version']}"

    def health(self) -> dict:
        return self.session.get(f"{self.url}/healthz", timeout=10).json()


def document(number: int) -> dict:
    return {
        "effective_from": "2026-03-01",
        "travellers_allowed": "yes",
        "max_supply_days": 30 + number % 300,
        "rules": [
            {"applies_to": ["1961-I", "1961-II"], "documents": ["prescription", "import-permit"], "threshold": "always", "permit_lead_days": 14},
            {"applies_to": ["methylphenidate"], "documents": ["certificate"], "threshold": "amount", "threshold_mg": 1000 + number},
        ],
        "customs": {"declare_on_entry": True, "endorsement": False, "show_on_request": True},
        "notes": {"en": "Benchmark document.", "fr": "Document du banc d'essai."},
    }


# -- the measurement ---------------------------------------------------------------------------------------------------


class Receipts:
    """The first receipt of each entry at each subscriber, drained from the subscribers' process."""

    def __init__(self, queue):
        self.queue = queue
        self.first: dict[tuple[str, str], float] = {}  # (subscriber's path, entry key) -> when
        self.posts = 0

    def drain(self, timeout: float = 0.05) -> None:
        try:
            while True:
                path, at, ids = self.queue.get(timeout=timeout)
                self.posts += 1
                for entry_id in ids:
                    self.first.setdefault((path, entry_id.rsplit(":", 1)[1]), at)
                timeout = 0
        except Empty:
            pass

    def wait_for(self, keys: list[str], paths: list[str], deadline: float) -> bool:
        """Drain until every path has every key, or the deadline passes; whether all arrived."""
        missing = {(path, key) for path in paths for key in keys}
        while missing and time.monotonic() < deadline:
            self.drain()
            missing = {pair for pair in missing if pair not in self.first}
        return not missing


def wait_until_verified(registry: Registry, count: int, receipts: Receipts) -> float:
    """Seconds from the server's start until its worker has verified every subscription (/healthz counts them active)."""
    began = time.monotonic()
    while (found := registry.health()["subscriptions"])["active"] < count:
        if found["pending"] == 0 or time.monotonic() - began > 600:
            raise RuntimeError(f"the subscriptions were not all verified: {found}")
        receipts.drain(0.5)
    return time.monotonic() - began


def measure(served_url: str, floor_url: str, subscribers: int, rounds: int) -> dict:
    """Receipt latencies (seconds) and publish latencies (milliseconds, with and without subscribers), and what was set up.

    `served_url` and `floor_url` are two empty databases: the registry with subscribers, the one without.
    """
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    callbacks_port, served_port, floor_port = free_port(), free_port(), free_port()
    receiver = context.Process(target=serve_subscribers, args=(callbacks_port, queue), daemon=True)
    receiver.start()
    began = time.monotonic()
    tokens = {
        "subscribed": prepare(served_url, subscribers=subscribers, base=f"http://127.0.0.1:{served_port}",
                              callbacks=f"http://127.0.0.1:{callbacks_port}"),
        "floor": prepare(floor_url),
    }
    say(f"{subscribers} subscriptions recorded in {time.monotonic() - began:.1f} s")
    receipts = Receipts(queue)
    paths = [f"/subscriber/{number}" for number in range(subscribers)]
    try:
        with serve(served_url, served_port) as subscribed_server, serve(floor_url, floor_port) as floor_server:
            subscribed = Registry("subscribed", subscribed_server, tokens["subscribed"])
            floor = Registry("floor", floor_server, tokens["floor"])
            verified_s = wait_until_verified(subscribed, subscribers, receipts)
            say(f"{subscribers} subscriptions verified by the worker in {verified_s:.1f} s")
            for _ in range(WARM_UP):
                floor.publish()
                if not receipts.wait_for([subscribed.publish()[2]], paths, time.monotonic() + WAIT_S):
                    raise RuntimeError("the warm-up publications were not all delivered")
            samples = rounds_of(subscribed, floor, receipts, paths, rounds)
            samples.update(subscribers=subscribers, verified_s=verified_s, posts=receipts.posts,
                           health=subscribed.health())
            return samples
    finally:
        receiver.terminate()
        receiver.join(10)


def rounds_of(subscribed: Registry, floor: Registry, receipts: Receipts, paths: list[str], rounds: int) -> dict:
    publish_ms = {"subscribed, idle": [], "subscribed, during delivery": [], "floor, idle": [], "floor, during delivery": []}
    receipt_s = []
    all_received = []  # per publication: seconds until the last subscriber had it
    for number in range(rounds):
        order = (floor, subscribed) if number % 2 == 0 else (subscribed, floor)
        published = []
        for moment in ("idle", "during delivery"):
            for registry in order:
                sent, took, key = registry.publish()
                publish_ms[f"{registry.label}, {moment}"].append(took)
                if registry is subscribed:
                    published.append((sent, key))
            time.sleep(DURING_DELIVERY_S if moment == "idle" else 0)
        if not receipts.wait_for([key for _, key in published], paths, time.monotonic() + WAIT_S):
            raise RuntimeError(f"round {number + 1}: not every subscriber received both publications within {WAIT_S:.0f} s")
        for sent, key in published:
            latencies = [receipts.first[(path, key)] - sent for path in paths]
            receipt_s += latencies
            all_received.append(max(latencies))
        say(f"round {number + 1}/{rounds}: every subscriber had both publications "
            f"{max(all_received[-2:]):.2f} s after the first was sent")
    return {"receipt_s": receipt_s, "all_received_s": all_received, "publish_ms": publish_ms}


def percentile(samples: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest sample that `share` of them do not exceed."""
    ordered = sorted(samples)
    return ordered[max(math.ceil(len(ordered) * share) - 1, 0)]


def within(samples: list[float], limit: float) -> float:
    return sum(value <= limit for value in samples) / len(samples)


def judge(samples: dict) -> dict:
    """The two targets' figures: the share of receipts within 10 s, and the publish latency with subscribers ÷ without
    at the median, when the worker is idle and while it delivers — the target holds when both are within 10 %."""
    publish = samples["publish_ms"]
    ratios = {moment: statistics.median(publish[f"subscribed, {moment}"]) / statistics.median(publish[f"floor, {moment}"])
              for moment in ("idle", "during delivery")}
    return {"within_target": within(samples["receipt_s"], RECEIPT_TARGET_S), "publish_ratio": max(ratios.values()),
            "publish_ratio_idle": ratios["idle"], "publish_ratio_during": ratios["during delivery"]}


def report(samples: dict) -> list[str]:
    receipts, judged = samples["receipt_s"], judge(samples)
    lines = [
        f"- {samples['subscribers']:,} subscribers verified by the worker in {samples['verified_s']:.1f} s; "
        f"{len(samples['all_received_s'])} publications timed, {len(receipts):,} receipts in {samples['posts']:,} POSTs",
        f"- publication to receipt: median {statistics.median(receipts):.2f} s, p95 {percentile(receipts, 0.95):.2f} s, "
        f"max {max(receipts):.2f} s; {judged['within_target']:.1%} within {RECEIPT_TARGET_S:.0f} s",
        f"- publication to its receipt by every subscriber: median {statistics.median(samples['all_received_s']):.2f} s, "
        f"max {max(samples['all_received_s']):.2f} s",
        "",
        "| publish (PUT over HTTP) | median ms | p95 ms | n |",
        "|---|---:|---:|---:|",
    ]
    for label, values in samples["publish_ms"].items():
        lines.append(f"| {label} | {statistics.median(values):.1f} | {percentile(values, 0.95):.1f} | {len(values)} |")
    lines += ["", f"- publish latency with subscribers ÷ without, median: {judged['publish_ratio_idle']:.2f} with the worker idle, "
                  f"{judged['publish_ratio_during']:.2f} while it delivers",
              f"- /healthz at the end: {samples['health']['subscriptions']}, oldest_undelivered {samples['health']['oldest_undelivered']}"]
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=10, help="rounds of two publications on each server")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        samples = measure(f"sqlite:///{folder}/subscribed.sqlite", f"sqlite:///{folder}/floor.sqlite",
                          arguments.subscribers, arguments.rounds)
    print("\n".join(report(samples)))
    judged = judge(samples)
    return 0 if judged["within_target"] >= 0.95 and judged["publish_ratio"] <= PUBLISH_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
