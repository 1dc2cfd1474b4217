"""Every benchmark in one command: the large registry generated once per database, every target judged.

    python bench/all.py [--postgres-url URL] [--no-postgresql]

For SQLite, then for PostgreSQL when it answers at --postgres-url, this generates
the 30,000-version registry (bench/generate.py) and the 1,000-version one the feeds
compare it with, vacuums and analyses them as autovacuum does after a bulk load,
and runs on them, in this order:

- the Atom feeds (bench/feeds.py): warm, cold, 304 and archive documents against a
  bare WSGI callable serving the same bytes (the floor), and the prev-archive walks;
- the exports (bench/exports.py): changes.jsonl in process and over HTTP with its
  memory, registry.json cold, warm, 304 and as_of, the bundle, `registry export`;
- the traveller check (bench/check.py), four ways;
- the public reads (bench/reads.py): latency and throughput under gunicorn against
  a bare WSGI floor under the same server (throughput needs wrk: `apt-get install
  wrk`; without it that target is reported as not measured, and missed), and the
  same reads on a registry of --growth-versions (300,000; generated here too)
  against the 30,000-version one;
- the publish path (bench/publish.py), last because it adds versions, on the large
  registry and on an empty one;
- push delivery (bench/delivery.py): 1,000 WebSub subscribers of a `registry serve`
  on an empty database of its own, publication to receipt, and the publish latency
  beside a registry without subscribers.

Each benchmark's own table is printed as it finishes, then one summary: each
target of the issues, the value measured, and whether it is met. Everything runs
on 127.0.0.1; PostgreSQL databases made here are dropped at the end.
"""
import argparse
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import check as check_bench  # noqa: E402
import delivery as delivery_bench  # noqa: E402
import exports as exports_bench  # noqa: E402
import feeds as feeds_bench  # noqa: E402
import publish as publish_bench  # noqa: E402
import reads as reads_bench  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from generate import generate  # noqa: E402

SMALL, LARGE = feeds_bench.SIZES  # 1,000 and 30,000 versions: the feeds' growth is measured between them (issue 3)
MIB = 1024 * 1024
MB = 1_000_000
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Result:
    """One target of the issues, judged on one database."""

    backend: str
    target: str
    measured: str
    met: bool | None  # None: recorded, no target


def machine() -> str:
    """What the numbers were measured on, for docs/performance.md."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    memory = next(int(line.split()[1]) * 1024 for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    packages = ", ".join(f"{name} {version(name)}" for name in ("Flask", "SQLAlchemy", "psycopg", "waitress", "gunicorn"))
    return (f"{os.cpu_count()} CPUs ({cpu}), {memory / 1024**3:.0f} GiB, Linux {platform.release()}; "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; {packages}; load average {load} at the start")


def postgres_reachable(url: str) -> str | None:
    """The server's version when PostgreSQL answers at url, else None."""
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            found = connection.exec_driver_sql("SHOW server_version").scalar()
        engine.dispose()
        return found
    except Exception:
        return None


def new_database(backend: str, name: str, folder: Path, postgres_url: str) -> str:
    """An empty database called `name` (a file in `folder` for SQLite)."""
    if backend == "sqlite":
        return f"sqlite:///{folder / f'{name}.sqlite'}"
    _admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    return sa.make_url(postgres_url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str, postgres_url: str) -> None:
    if url.startswith("postgresql"):
        _admin(postgres_url, f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)')


def _admin(postgres_url: str, *statements: str) -> None:
    engine = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


def median_p95(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(int(len(ordered) * 0.95) - 1, 0)]


def verify(url: str) -> None:
    """`registry verify` on a generated registry: every benchmark reads a valid chain."""
    done = subprocess.run([sys.executable, "-m", "registry", "verify"], env={**os.environ, "DATABASE_URL": url},
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"the generated registry does not verify: {done.stderr}")
    say(done.stderr.strip())


def run_backend(backend: str, folder: Path, arguments) -> tuple[list[Result], list[str]]:
    """Every benchmark on one database: (judged targets, the benchmarks' own tables as Markdown)."""
    postgres_url = arguments.postgres_url
    urls = {size: new_database(backend, f"bench_all_{size}", folder, postgres_url) for size in (SMALL, LARGE)}
    empty = new_database(backend, "bench_all_empty", folder, postgres_url)
    grown = new_database(backend, "bench_all_growth", folder, postgres_url) if arguments.growth_versions else None
    pushed, unpushed = (new_database(backend, name, folder, postgres_url) for name in ("bench_all_push", "bench_all_push_floor"))
    results, report = [], [f"## {backend}\n"]
    try:
        for size, url in urls.items():
            began = time.perf_counter()
            generate(url, versions=size, progress=say)
            report.append(f"- {size:,} versions generated and loaded in {time.perf_counter() - began:.1f} s")
            check_bench.settle(url)
        if grown:
            began = time.perf_counter()
            generate(grown, versions=arguments.growth_versions, progress=say)
            report.append(f"- {arguments.growth_versions:,} versions generated and loaded in {time.perf_counter() - began:.1f} s")
            check_bench.settle(grown)
        verify(urls[LARGE])
        large = urls[LARGE]

        say(f"{backend}: feeds")
        feed_rows, walks = feeds_bench.measure(urls, folder, arguments.requests, arguments.rounds)
        results += judge_feeds(backend, feed_rows)
        report += ["", "### Feeds, milliseconds per request, median (95th percentile)", "", feeds_bench.table(feed_rows), "",
                   feeds_bench.growth(feed_rows), ""]
        report += [f"- walk `{item['path']}`: {item['first']['entries']:,} entries in {item['first']['documents']} documents, "
                   f"{item['first']['seconds']:.2f} s the first time, {item['again']['seconds']:.2f} s again" for item in walks]

        say(f"{backend}: exports")
        export_rows, numbers = exports_bench.measure(large, folder, arguments.export_rounds)
        results += judge_exports(backend, numbers)
        report += ["", "### Exports", "", "| export | time | size, memory |", "|---|---|---|",
                   *(f"| {' | '.join(row)} |" for row in export_rows)]

        say(f"{backend}: traveller check")
        described, samples = check_bench.measure(large, arguments.checks)
        over_http = median_p95(samples["POST /api/v1/check, HTTP to waitress"])
        results.append(Result(backend, "Traveller check, 3 items, 2 countries, over HTTP: under 5 ms (issue 6)",
                              f"{over_http[0]:.2f} ms median ({over_http[1]:.2f} ms p95)", over_http[0] < 5))
        report += ["", "### Traveller check, milliseconds per check", "", f"- {described}",
                   *(f"- {check_bench.summary(label, values)}" for label, values in samples.items())]

        say(f"{backend}: public reads")
        (folder / "reads").mkdir()
        read_report, found = reads_bench.measure(large, grown, folder / "reads", requests=arguments.read_requests,
                                                 seconds=arguments.read_seconds, clients=arguments.clients, threads=1)
        results += [Result(backend, target, measured, met) for target, measured, met in found]
        report += ["", *read_report]

        say(f"{backend}: publish path")
        report += ["", "### Publish path, milliseconds per publication", ""]
        for label, url in ((f"{LARGE:,} versions", large), ("an empty registry", empty)):
            samples = publish_bench.measure(url, arguments.publications)
            report += [f"- on {label}: {publish_bench.summary(way, values)}" for way, values in samples.items()]
            put = median_p95(samples["HTTP PUT"])
            results.append(Result(backend, f"Publish through HTTP PUT, on {label} (target on SQLite: under 30 ms, issue 7)",
                                  f"{put[0]:.1f} ms median ({put[1]:.1f} ms p95)", put[0] < 30 if backend == "sqlite" else None))

        say(f"{backend}: push delivery")
        pushed_samples = delivery_bench.measure(pushed, unpushed, arguments.subscribers, arguments.delivery_rounds)
        results += judge_delivery(backend, pushed_samples)
        report += ["", f"### Push delivery, {arguments.subscribers:,} WebSub subscribers", "", *delivery_bench.report(pushed_samples)]
    finally:
        for url in (*urls.values(), empty, pushed, unpushed, *([grown] if grown else [])):
            drop_database(url, postgres_url)
    return results, report


def judge_feeds(backend: str, rows: list[dict]) -> list[Result]:
    subscriptions = [row for row in rows if row["path"] in feeds_bench.FEEDS]
    ratios = {size: [row["warm_over_floor"] for row in subscriptions if row["size"] == size] for size in (SMALL, LARGE)}
    growth = []
    for path in (*feeds_bench.FEEDS, feeds_bench.ARCHIVE):
        small = next(row for row in rows if row["size"] == SMALL and row["path"] == path)
        large = next(row for row in rows if row["size"] == LARGE and row["path"] == path)
        growth.append(large["warm"]["median_ms"] / small["warm"]["median_ms"])
    worst = max(max(values) for values in ratios.values())
    return [
        Result(backend, "Warm subscription document within 3× the bare WSGI floor (issue 3)",
               "; ".join(f"{min(values):.2f}–{max(values):.2f}× at {size:,} versions" for size, values in ratios.items()), worst <= 3),
        Result(backend, f"No growth with history size: warm at {LARGE:,} ÷ at {SMALL:,} versions within 1.3× (issue 3)",
               f"{min(growth):.2f}–{max(growth):.2f}", max(growth) <= 1.3),
    ]


def judge_exports(backend: str, numbers: dict) -> list[Result]:
    growth = max(numbers["changes_server_growth_bytes"], numbers["changes_peak_bytes"])
    return [
        Result(backend, "changes.jsonl over HTTP under 3 s (issue 4)", f"{numbers['changes_http_s']:.2f} s", numbers["changes_http_s"] < 3),
        Result(backend, "changes.jsonl memory growth under 50 MB (issue 4)",
               f"server {numbers['changes_server_growth_bytes'] / MIB:+.1f} MiB over the downloads; "
               f"peak Python allocations {numbers['changes_peak_bytes'] / MIB:.1f} MiB", growth < 50 * MB),
        Result(backend, "registry.json under 1 s (issue 4)", f"{numbers['registry_json_s']:.2f} s cold", numbers["registry_json_s"] < 1),
        Result(backend, "registry.json?as_of under 1 s (issue 4)", f"{numbers['as_of_s']:.2f} s", numbers["as_of_s"] < 1),
        Result(backend, "Bundle (registry.zip, cold) — recorded, no target (issue 4)", f"{numbers['zip_s']:.1f} s; "
               f"`registry export` {numbers['export_s']:.1f} s", None),
    ]


def judge_delivery(backend: str, samples: dict) -> list[Result]:
    receipts, judged = samples["receipt_s"], delivery_bench.judge(samples)
    return [
        Result(backend, f"Publication to receipt at {samples['subscribers']:,} WebSub subscribers: 95 % within 10 s (issue 16)",
               f"{judged['within_target']:.1%} within 10 s; p50 {delivery_bench.percentile(receipts, 0.5):.2f} s, "
               f"p95 {delivery_bench.percentile(receipts, 0.95):.2f} s, max {max(receipts):.2f} s",
               judged["within_target"] >= 0.95),
        Result(backend, f"Publish latency with {samples['subscribers']:,} subscriptions within 10 % of none (issue 16)",
               f"{judged['publish_ratio_idle']:.2f}× at the median with the worker idle, {judged['publish_ratio_during']:.2f}× "
               f"while it delivers",
               judged["publish_ratio"] <= delivery_bench.PUBLISH_TARGET),
    ]


def summary(results: list[Result]) -> str:
    lines = ["| database | target | measured | met |", "|---|---|---|---|"]
    for result in results:
        met = "—" if result.met is None else ("yes" if result.met else "**no**")
        lines.append(f"| {result.backend} | {result.target} | {result.measured} | {met} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="a database to connect to as an administrator")
    parser.add_argument("--no-postgresql", action="store_true", help="SQLite only")
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per warm feed measurement")
    parser.add_argument("--rounds", type=int, default=20, help="interleaved rounds of the feed measurements")
    parser.add_argument("--export-rounds", type=int, default=5, help="downloads of each export")
    parser.add_argument("--checks", type=int, default=500, help="traveller checks per way")
    parser.add_argument("--read-requests", type=int, default=1000, help="timed requests per latency measure of the public reads")
    parser.add_argument("--read-seconds", type=float, default=10, help="seconds per throughput run of the public reads")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients of the throughput runs")
    parser.add_argument("--growth-versions", type=int, default=reads_bench.LARGE_VERSIONS,
                        help="versions of the registry the public reads' growth is measured on; 0: not measured")
    parser.add_argument("--publications", type=int, default=200, help="publications per way")
    parser.add_argument("--subscribers", type=int, default=1000, help="WebSub subscribers of the push delivery benchmark")
    parser.add_argument("--delivery-rounds", type=int, default=10, help="rounds of publications pushed to them")
    arguments = parser.parse_args(argv)

    backends = ["sqlite"]
    server = None if arguments.no_postgresql else postgres_reachable(arguments.postgres_url)
    if server:
        backends.append("postgresql")
    elif not arguments.no_postgresql:
        say(f"PostgreSQL does not answer at {arguments.postgres_url}: SQLite only")
    described = machine() + (f"; PostgreSQL {server} on the same machine" if server else "")
    say(described)
    if shutil.which("wrk") is None:
        say("wrk is not installed (apt-get install wrk): the public reads' throughput will not be measured, and its target is missed")
    began = time.perf_counter()
    results, reports = [], []
    for backend in backends:
        with tempfile.TemporaryDirectory() as folder:
            found, report = run_backend(backend, Path(folder), arguments)
        results += found
        reports += report
        print("\n".join(report) + "\n", flush=True)
    print(f"# Summary\n\n{described}. All benchmarks took {(time.perf_counter() - began) / 60:.0f} minutes.\n")
    print(summary(results))
    return 0 if all(result.met is not False for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
