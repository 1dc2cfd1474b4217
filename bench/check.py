"""The traveller check: milliseconds per check, on a registry of 30,000 versions.

    python bench/check.py [--database-url URL] [--base-versions 30000] [--count 500]

Asks a three-item trip (morphine tablets, fentanyl patches, diazepam tablets) to a
destination with one transit country, from a departure country whose certificate
office is read too, `count` times in each of four ways: the rules alone
(registry.check over documents already read); the read of the countries' current
versions plus the rules; POST /api/v1/check through the WSGI application in process;
and POST /api/v1/check over HTTP/1.1 keep-alive to `registry serve` (waitress) in a
process of its own on 127.0.0.1. The four alternate in rounds, so that a busy
machine slows them alike. The table is vacuumed and analysed first, as autovacuum
does soon after a bulk load. Target (issue 6): under 5 ms for a three-item,
two-country trip.
"""
import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate  # noqa: E402
from serving import ChildServer, free_port  # noqa: E402

from registry import create_app, history  # noqa: E402

from registry.check import rules, trip as trips
from registry.check.notifications import current_documents  # noqa: E402
from registry.db import db  # noqa: E402

TRIP = {
    "destination": "FR", "transit": ["CH"], "departure": "DE", "days": 21,
    "items": [
        {"substance": "morphine", "amount_mg": 2100, "unit_doses": 70, "form": "tablet"},
        {"substance": "fentanyl", "amount_mg": 84, "unit_doses": 10, "form": "transdermal-patch"},
        {"substance": "diazepam", "amount_mg": 210, "unit_doses": 42, "form": "tablet"},
    ],
}
WARM_UP = 20
ROUNDS = 20


def summary(label: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"{label}: median {statistics.median(ordered):.2f} ms, mean {statistics.fmean(ordered):.2f} ms, p95 {p95:.2f} ms over {len(ordered)}"


def interleaved(measures: dict, count: int) -> dict[str, list[float]]:
    """Milliseconds per call of each measure, `count` each, alternating in rounds after a warm-up."""
    for work in measures.values():
        for _ in range(WARM_UP):
            work()
    samples: dict[str, list[float]] = {label: [] for label in measures}
    for _ in range(ROUNDS):
        for label, work in measures.items():
            for _ in range(count // ROUNDS):
                started = time.perf_counter()
                work()
                samples[label].append((time.perf_counter() - started) * 1000)
    return samples


def settle(database_url: str) -> None:
    """Vacuum and analyse the versions table, as autovacuum does soon after a bulk load.

    Without it PostgreSQL has no visibility map for the freshly loaded rows and reads
    the current versions from the table's pages instead of from the index alone.
    """
    import sqlalchemy

    engine = sqlalchemy.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("VACUUM ANALYZE versions" if engine.dialect.name == "postgresql" else "ANALYZE")
    engine.dispose()


def serve(database_url: str) -> ChildServer:
    """`registry serve` on a free port of 127.0.0.1, in a process of its own."""
    port = free_port()
    return ChildServer(
        [sys.executable, "-m", "registry", "serve", "--host", "127.0.0.1", "--port", str(port)], port,
        env={**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def run(database_url: str, count: int) -> list[str]:
    described, samples = measure(database_url, count)
    return [described, *(summary(label, values) for label, values in samples.items())]


def measure(database_url: str, count: int) -> tuple[str, dict[str, list[float]]]:
    """(what was asked of which registry, milliseconds per check of each way)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    trip = trips.read_trip(TRIP)
    body = json.dumps(TRIP)
    client = app.test_client()

    def read_and_decide():
        found = current_documents(trip.countries)
        db.session.rollback()  # end the read, as the end of a request does
        return rules.check(trip, found).as_json()

    def in_process():
        answer = client.post("/api/v1/check", json=TRIP)
        assert answer.status_code == 200, answer.json

    def over_http():
        connection.request("POST", "/api/v1/check", body, {"Content-Type": "application/json"})
        answer = connection.getresponse()
        assert answer.status == 200 and json.loads(answer.read())["countries"], answer.status

    with serve(database_url) as server, app.app_context():
        connection = http.client.HTTPConnection("127.0.0.1", server.port)
        versions = history.head().seq
        notified = current_documents(trip.countries)
        used = {entry["section"] for entry in rules.check(trip, notified).as_json()["countries"][0]["based_on"]}
        samples = interleaved({
            "rules only": lambda: rules.check(trip, notified).as_json(),
            "read + rules": read_and_decide,
            "POST /api/v1/check, in process": in_process,
            "POST /api/v1/check, HTTP to waitress": over_http,
        }, count)
        connection.close()
    return (f"{versions} versions; trip: 3 items, {trip.destination} + transit {', '.join(trip.transit)}, departure {trip.departure}; "
            f"destination's sections used: {', '.join(sorted(used)) or 'none'}", samples)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--base-versions", type=int, default=30_000, help="generate this many versions first (0: use the database as it is)")
    parser.add_argument("--count", type=int, default=500)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.sqlite"
        if args.base_versions:
            started = time.perf_counter()
            generate(url, versions=args.base_versions)
            print(f"generated {args.base_versions} versions in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        settle(url)
        for line in run(url, args.count):
            print(f"check, {url.split(':')[0]}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
