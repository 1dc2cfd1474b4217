"""The publish path: milliseconds per publication, on an empty registry and on a large one.

    python bench/publish.py [--database-url URL] [--base-versions 30000] [--count 200]

Publishes `count` versions one after another through the publishing service (as
`registry demo` and the console do) and through the HTTP API in-process (as an
authority's script does), each alternating between countries so that every
publication reads a current version, numbers, chains and audits. Target (issue 7):
under 30 ms per publication on SQLite.
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate  # noqa: E402

from registry import accounts, create_app, history  # noqa: E402
from registry.publishing import Actor, Precondition, publish  # noqa: E402

COUNTRIES = ("FR", "DE", "JP", "BR", "ZA", "IN", "AU", "SG")


def requirements(days: int) -> dict:
    return {
        "effective_from": "2026-03-01",
        "travellers_allowed": "yes",
        "max_supply_days": days,
        "rules": [
            {"applies_to": ["1961-I", "1961-II"], "documents": ["prescription", "import-permit"], "threshold": "always", "permit_lead_days": 14},
            {"applies_to": ["methylphenidate"], "documents": ["certificate"], "threshold": "amount", "threshold_mg": 1000 + days},
        ],
        "customs": {"declare_on_entry": True, "endorsement": False, "show_on_request": True},
        "notes": {"en": "Benchmark document.", "zh": "基准测试文件。"},
    }


def summary(label: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"{label}: median {statistics.median(ordered):.1f} ms, mean {statistics.fmean(ordered):.1f} ms, p95 {p95:.1f} ms over {len(ordered)}"


def run(database_url: str, count: int) -> list[str]:
    return [summary(label, samples) for label, samples in measure(database_url, count).items()]


def measure(database_url: str, count: int) -> dict[str, list[float]]:
    """Milliseconds per publication, through the service and through HTTP PUT in process."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        account = accounts.add_account(f"bench{time.time_ns()}@example.org", country=None, secretariat=True, password=None)
        _, token = accounts.add_token(account, "bench")
        actor = Actor(account)
        service = []
        for number in range(count):
            country = COUNTRIES[number % len(COUNTRIES)]
            current = history.current(country, "requirements")
            condition = Precondition(if_match=frozenset([current.hash])) if current else Precondition(if_none_match_any=True)
            started = time.perf_counter()
            publish(actor, country, "requirements", requirements(30 + number % 300), condition)
            service.append((time.perf_counter() - started) * 1000)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    over_http = []
    for number in range(count):
        country = COUNTRIES[number % len(COUNTRIES)]
        etag = client.get(f"/api/v1/countries/{country}/requirements").headers["ETag"]
        started = time.perf_counter()
        response = client.put(f"/api/v1/countries/{country}/requirements", json=requirements(31 + number % 300),
                              headers={**headers, "If-Match": etag})
        over_http.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.json
    return {"service": service, "HTTP PUT": over_http}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--base-versions", type=int, default=30_000, help="generate this many versions first (0: none)")
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.sqlite"
        if args.base_versions:
            started = time.perf_counter()
            generate(url, versions=args.base_versions)
            print(f"generated {args.base_versions} versions in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        for line in run(url, args.count):
            print(f"publish on {'%d' % args.base_versions} versions, {url.split(':')[0]}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
