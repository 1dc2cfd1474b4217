"""Load: a real multi-process WSGI server, many readers and several writers at once.

Runs in CI (REGISTRY_RUN_SLOW=1 or REGISTRY_REQUIRE_ALL=1) on the suite's database:
20 readers of the API, feeds and exports and 4 writers for REGISTRY_LOAD_SECONDS
(default 60) against gunicorn with several worker processes on 127.0.0.1. Then:
no 5xx, every accepted publication stored exactly once, the chain verifies, and
the feeds' archives still hold every entry.
"""
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from registry.db import dispose_engines

from .helpers import factories
from .helpers.apps import make_app
from .helpers.feeds import every_change, tag, touching, walk
from .helpers.servers import free_port

SECONDS = float(os.environ.get("REGISTRY_LOAD_SECONDS", "60"))
READERS = 20
WRITER_COUNTRIES = ["FR", "DE", "FR", "JP"]  # two writers share FR, so some of their writes must be refused with 412
READ_PATHS = [
    "/api/v1/countries",
    "/api/v1/countries/FR",
    "/api/v1/countries/FR/requirements",
    "/api/v1/changes?limit=200",
    "/api/v1/substances/methylphenidate",
    "/healthz",
    "/feeds/changes.atom",
    "/feeds/countries/FR.atom",
    "/feeds/sections/requirements.atom",
    "/feeds/substances/methylphenidate.atom",
    "/feeds/changes/archive/1.atom",  # 404 until its 50 entries exist, then immutable
    "/exports/registry.json",
    "/exports/changes.jsonl?after=100",
    "/exports/index.json",
    "/exports/registry.zip",
]
# Every feed the writers' publications reach, with the versions it must hold once they stop.
FEEDS = {
    "/feeds/changes.atom": lambda versions: versions,
    **{f"/feeds/countries/{country}.atom": (lambda versions, country=country: [item for item in versions if item["meta"]["country"] == country])
       for country in sorted(set(WRITER_COUNTRIES))},
    "/feeds/sections/requirements.atom": lambda versions: versions,
    "/feeds/sections/import-bans.atom": lambda versions: [],
    "/feeds/substances/methylphenidate.atom": lambda versions: touching(versions, "methylphenidate"),
}


def request(base: str, method: str, path: str, body=None, headers=None, timeout=30):
    """(status, headers, body bytes) for one HTTP request; HTTP errors are answers, not exceptions."""
    data = json.dumps(body).encode() if body is not None else None
    call = urllib.request.Request(base + path, data=data, method=method,
                                  headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(call, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@dataclass(frozen=True)
class Answer:
    status_code: int
    data: bytes

    @property
    def json(self):
        return json.loads(self.data)


@dataclass(frozen=True)
class Http:
    """Enough of Flask's test client, over real HTTP, for the feed helpers of tests/helpers/feeds.py."""

    base: str

    def get(self, url: str) -> Answer:
        parts = urlsplit(url)
        status, _, body = request(self.base, "GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        return Answer(status, body)


@pytest.fixture
def server(database_url, tmp_path):
    app = make_app(database_url)
    tokens = {country: factories.AuthorityFactory(app)(country) for country in set(WRITER_COUNTRIES)}
    dispose_engines(app)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "load-test", "REGISTRY_EXPORTS_DIR": str(tmp_path / "exports")}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "4", "--worker-class", "gthread", "--threads", "4",
         "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--log-level", "warning", "registry.wsgi:app"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if request(base, "GET", "/healthz", timeout=2)[0] == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail(f"gunicorn did not start: {process.communicate(timeout=5)[0].decode()}")
        time.sleep(0.2)
    yield base, tokens, env
    process.terminate()
    output = process.communicate(timeout=30)[0].decode()
    assert "Traceback" not in output, output


@pytest.mark.slow
def test_the_registry_holds_under_concurrent_readers_and_writers(server):
    base, tokens, env = server
    stop = time.monotonic() + SECONDS
    statuses = Counter()
    accepted = []  # (seq, hash) of every publication the server said it stored
    lock = threading.Lock()
    failures = []

    def reader(offset: int):
        index = offset
        while time.monotonic() < stop:
            path = READ_PATHS[index % len(READ_PATHS)]
            status, _, _ = request(base, "GET", path)
            with lock:
                statuses[("read", status)] += 1
                if status >= 500:
                    failures.append(f"GET {path}: {status}")
            index += 1

    def writer(country: str, number: int):
        headers = {"Authorization": tokens[country]["Authorization"]}
        days = 1
        while time.monotonic() < stop:
            status, got, _ = request(base, "GET", f"/api/v1/countries/{country}/requirements")
            condition = {"If-Match": got["ETag"]} if status == 200 else {"If-None-Match": "*"}
            days = days % 3000 + 1
            status, _, body = request(base, "PUT", f"/api/v1/countries/{country}/requirements",
                                      factories.requirements(max_supply_days=days, effective_from=f"2026-0{1 + number}-01"),
                                      {**headers, **condition})
            with lock:
                statuses[("write", status)] += 1
                if status in (200, 201):
                    meta = json.loads(body)["meta"]
                    accepted.append((meta["seq"], meta["hash"]))
                elif status != 412:
                    failures.append(f"PUT {country}: {status} {body[:200]!r}")

    threads = [threading.Thread(target=reader, args=(number,)) for number in range(READERS)]
    threads += [threading.Thread(target=writer, args=(country, number)) for number, country in enumerate(WRITER_COUNTRIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SECONDS + 120)

    assert failures == [], failures[:10]
    assert statuses[("write", 412)] > 0, statuses  # the two FR writers really raced
    assert len(accepted) > 20, statuses

    stored, after = [], 0
    while True:
        page = json.loads(request(base, "GET", f"/api/v1/changes?after={after}&limit=1000")[2])
        stored += [(item["meta"]["seq"], item["meta"]["hash"]) for item in page["changes"]]
        if not page["next"]:
            break
        after = page["last_seq"]
    assert sorted(accepted) == stored  # none lost, none duplicated
    assert [seq for seq, _ in stored] == list(range(1, len(stored) + 1))

    verified = subprocess.run([sys.executable, "-m", "registry", "verify"], env=env, capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0, verified.stderr

    versions = every_change(Http(base))
    for path, selected in FEEDS.items():
        found = walk(Http(base), path)
        assert len(found) == len(set(found)), f"{path}: an entry appears twice along prev-archive"
        assert sorted(found) == sorted(tag(item["meta"]) for item in selected(versions)), f"{path}: the archive walk lost entries"
