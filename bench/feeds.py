"""The Atom feeds under a real HTTP server: subscription documents warm and cold, a 304, archive documents.

    python bench/feeds.py [--backend sqlite|postgresql] [--requests 2000]

For each registry size (1,000 and 30,000 versions, made by bench/generate.py) the
registry is served by waitress in a process of its own on 127.0.0.1 and read over
HTTP/1.1 keep-alive by one client, one request at a time. The floor is a bare WSGI
callable that answers the same bytes with the same headers, served the same way;
for reference, a route added to the registry's own Flask application answers them
too, which shows what Flask and the application's hooks cost by themselves.

- warm: the document is already rendered and held in the worker's memory, so the
  poll is answered before Flask (registry/feeds/polls.py); the request costs the
  query that proves it current and the copy. REGISTRY_BASE_URL is set, as on a
  public deployment.
- cold: a subscription document rendered from the database on that request: these
  requests go to a second server without REGISTRY_BASE_URL and each names another
  host (`Host: cold-N.bench`), so that nothing rendered for one serves another. An
  archive document rendered and stored: archive documents 2, 3, … of the changes
  feed, each asked for the first time.
- 304: a replayed ETag.
- walk: every document from a subscription document back along prev-archive,
  the first time (archive documents rendered and stored) and again.

Prints a Markdown table of milliseconds per request (median and 95th percentile)
for docs/performance.md; progress goes to stderr.
"""
import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate  # noqa: E402
from serving import ChildServer, free_port  # noqa: E402
from sqlalchemy import create_engine, make_url  # noqa: E402

from registry.feeds.rendering import PAGE_SIZE  # noqa: E402

SIZES = (1_000, 30_000)
FEEDS = ("/feeds/changes.atom", "/feeds/countries/FR.atom", "/feeds/sections/import-bans.atom",
         "/feeds/substances/methylphenidate.atom")
ARCHIVE = "/feeds/changes/archive/1.atom"
BASE_URL = "https://registry.example"  # as a public deployment sets REGISTRY_BASE_URL
WARM_UP = 100
# Headers a proxy or the server sets on every response, so they are not part of "the same bytes".
HOP_HEADERS = {"date", "server", "connection", "content-length", "transfer-encoding"}


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- servers --------------------------------------------------------------------------------


def serve_registry(database_url: str, port: int, base_url: str | None) -> None:
    import waitress

    from registry import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REGISTRY_BASE_URL": base_url})
    waitress.serve(app, host="127.0.0.1", port=port, threads=4, _quiet=True)


def saved_response(document: str) -> tuple[bytes, list]:
    saved = json.loads(Path(document).read_text())
    return bytes.fromhex(saved["body"]), [(name, value) for name, value in saved["headers"]]


def serve_bare(document: str, port: int) -> None:
    """A WSGI callable that answers the bytes and headers saved in `document` (JSON), nothing else."""
    import waitress

    body, headers = saved_response(document)
    headers.append(("Content-Length", str(len(body))))

    def bare(environ, start_response):
        start_response("200 OK", headers)
        return [body]

    waitress.serve(bare, host="127.0.0.1", port=port, threads=4, _quiet=True)


def serve_flask(document: str, port: int) -> None:
    """The registry's own Flask application with one more route that answers the saved bytes: what Flask
    and the application's hooks (sessions, CSRF, security headers, languages) cost before any feed code runs."""
    import waitress
    from flask import Response

    from registry import create_app

    body, headers = saved_response(document)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app.add_url_rule("/same-bytes", "same_bytes", lambda: Response(body, headers=headers))
    waitress.serve(app, host="127.0.0.1", port=port, threads=4, _quiet=True)


class Server(ChildServer):
    """This file run with --serve in a child process, until the block ends."""

    def __init__(self, *arguments: str):
        port = free_port()
        environment = {key: value for key, value in os.environ.items() if key != "REGISTRY_BASE_URL"}
        super().__init__([sys.executable, __file__, "--serve", *arguments, "--port", str(port)], port, env=environment)


# -- client --------------------------------------------------------------------------------


def get(connection, path: str, headers: dict | None = None):
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    return response, response.read()


def timed(port: int, path: str, count: int, *, headers=None, hosts=None, expect: int = 200) -> list[float]:
    """Seconds per request for `count` requests in a row on one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    seconds = []
    for number in range(count):
        sent = dict(headers or {})
        if hosts:
            sent["Host"] = hosts(number)
        began = time.perf_counter()
        response, _ = get(connection, path, sent)
        seconds.append(time.perf_counter() - began)
        if response.status != expect:
            raise RuntimeError(f"{path}: {response.status}, expected {expect}")
    connection.close()
    return seconds


def warm(port: int, path: str, count: int, **kwargs) -> list[float]:
    timed(port, path, WARM_UP, **kwargs)
    return timed(port, path, count, **kwargs)


def summary(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {"median_ms": statistics.median(ordered) * 1e3, "p95_ms": ordered[int(len(ordered) * 0.95) - 1] * 1e3, "n": len(ordered)}


def save_response(port: int, path: str, where: Path) -> tuple[int, str]:
    """The body and headers the registry answers for `path`, saved for the bare server; (bytes, ETag)."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    response, body = get(connection, path)
    connection.close()
    headers = [(name, value) for name, value in response.getheaders() if name.lower() not in HOP_HEADERS]
    where.write_text(json.dumps({"body": body.hex(), "headers": headers}))
    return len(body), response.getheader("ETag")


# -- the benchmark ----------------------------------------------------------------------------


def database(backend: str, size: int, folder: Path, postgres_url: str) -> str:
    """A new, empty database for a registry of `size` versions."""
    if backend == "sqlite":
        return f"sqlite:///{folder / f'bench-{size}.sqlite'}"
    _postgres(postgres_url, f'DROP DATABASE IF EXISTS "bench_feeds_{size}" WITH (FORCE)', f'CREATE DATABASE "bench_feeds_{size}"')
    return make_url(postgres_url).set(database=f"bench_feeds_{size}").render_as_string(hide_password=False)


def drop(url: str, postgres_url: str) -> None:
    if url.startswith("postgresql"):
        _postgres(postgres_url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def _postgres(postgres_url: str, *statements: str) -> None:
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    admin.dispose()


def bench(backend: str, folder: Path, requests: int, rounds: int, postgres_url: str):
    """Every measurement, for every size, interleaved round by round so that a busy machine slows all alike."""
    urls = {}
    try:
        for size in SIZES:
            urls[size] = database(backend, size, folder, postgres_url)
            began = time.perf_counter()
            generate(urls[size], versions=size, progress=say)
            say(f"{backend}, {size:,} versions generated in {time.perf_counter() - began:.1f} s")
        return measure(urls, folder, requests, rounds)
    finally:
        for url in urls.values():
            drop(url, postgres_url)


def measure(urls: dict, folder: Path, requests: int, rounds: int):
    """(rows of the table, walks along prev-archive), with every server running at once."""
    chunk = max(requests // rounds, 1)
    rows = []
    with (Server("registry", urls[SIZES[0]], BASE_URL) as small, Server("registry", urls[SIZES[1]], BASE_URL) as large,
          Server("registry", urls[SIZES[0]]) as small_any_host, Server("registry", urls[SIZES[1]]) as large_any_host):
        registries = {SIZES[0]: small, SIZES[1]: large}
        any_host = {SIZES[0]: small_any_host, SIZES[1]: large_any_host}
        for path in (*FEEDS, ARCHIVE):
            say(f"measuring {path}")
            rows.extend(bench_path(registries, any_host, path, folder, chunk, rounds))
        say("walking prev-archive")
        walks = [{"path": path, "first": walk(large.port, path), "again": walk(large.port, path)}
                 for path in ("/feeds/sections/import-bans.atom", "/feeds/changes.atom")]
    return rows, walks


def walk(port: int, path: str) -> dict:
    """Follow prev-archive from a subscription document to the first archive document, as a subscriber back after months does."""
    from lxml import etree

    connection = http.client.HTTPConnection("127.0.0.1", port)
    entries, documents, began = set(), 0, time.perf_counter()
    while path:
        response, body = get(connection, path)
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status}")
        root = etree.fromstring(body)
        entries.update(element.text for element in root.iterfind("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}id"))
        documents += 1
        previous = root.find("{http://www.w3.org/2005/Atom}link[@rel='prev-archive']")
        path = urlsplit(previous.get("href")).path if previous is not None else None
    connection.close()
    return {"entries": len(entries), "documents": documents, "seconds": time.perf_counter() - began}


def bench_path(registries: dict, any_host: dict, path: str, folder: Path, chunk: int, rounds: int) -> list[dict]:
    saved, etags, samples = {}, {}, {}
    for size, registry in registries.items():
        saved[size] = folder / f"response-{size}.json"
        length, etags[size] = save_response(registry.port, path, saved[size])
        samples[size] = {"bytes": length, "floor": [], "flask": [], "warm": [], "not_modified": []}
    with (Server("bare", str(saved[SIZES[0]])) as bare_small, Server("bare", str(saved[SIZES[1]])) as bare_large,
          Server("flask", str(saved[SIZES[0]])) as flask_small, Server("flask", str(saved[SIZES[1]])) as flask_large):
        bares = {SIZES[0]: bare_small, SIZES[1]: bare_large}
        flasks = {SIZES[0]: flask_small, SIZES[1]: flask_large}
        for size, registry in registries.items():
            timed(bares[size].port, path, WARM_UP)
            timed(flasks[size].port, "/same-bytes", WARM_UP)
            timed(registry.port, path, WARM_UP)
        for _ in range(rounds):
            for size, registry in registries.items():
                samples[size]["floor"] += timed(bares[size].port, path, chunk)
                samples[size]["flask"] += timed(flasks[size].port, "/same-bytes", chunk)
                samples[size]["warm"] += timed(registry.port, path, chunk)
                samples[size]["not_modified"] += timed(registry.port, path, chunk, headers={"If-None-Match": etags[size]}, expect=304)
    rows = []
    for size, registry in registries.items():
        if path == ARCHIVE:
            # Archive documents never rendered before: page 2, 3, … of the same feed, rendered and stored.
            pages = range(2, min(size // PAGE_SIZE, 51) + 1)
            cold = [timed(registry.port, f"/feeds/changes/archive/{page}.atom", 1)[0] for page in pages]
        else:
            cold = timed(any_host[size].port, path, max(chunk, 50), hosts=lambda n: f"cold-{n}.{path.replace('/', '-')}.bench")
        row = {"size": size, "path": path, "bytes": samples[size]["bytes"], "cold": summary(cold)}
        row.update({kind: summary(samples[size][kind]) for kind in ("floor", "flask", "warm", "not_modified")})
        row["warm_over_floor"] = row["warm"]["median_ms"] / row["floor"]["median_ms"]
        rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| versions | document | KiB | floor (bare WSGI) | Flask route, same bytes | warm | warm ÷ floor | cold | 304 |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]

    def cell(item):
        return f"{item['median_ms']:.2f} ({item['p95_ms']:.2f})"

    for row in sorted(rows, key=lambda row: row["size"]):
        lines.append(f"| {row['size']:,} | `{row['path']}` | {row['bytes'] / 1024:.0f} | {cell(row['floor'])} | {cell(row['flask'])} | {cell(row['warm'])} | "
                     f"{row['warm_over_floor']:.2f} | {cell(row['cold'])} | {cell(row['not_modified'])} |")
    return "\n".join(lines)


def growth(rows: list[dict]) -> str:
    small, large = SIZES
    lines = []
    for path in (*FEEDS, ARCHIVE):
        first = next(row for row in rows if row["size"] == small and row["path"] == path)
        last = next(row for row in rows if row["size"] == large and row["path"] == path)
        lines.append(f"- `{path}`: warm {last['warm']['median_ms']:.2f} ms at {large:,} versions ÷ "
                     f"{first['warm']['median_ms']:.2f} ms at {small:,} = {last['warm']['median_ms'] / first['warm']['median_ms']:.2f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per warm measurement")
    parser.add_argument("--rounds", type=int, default=20, help="the requests are made in this many interleaved rounds")
    parser.add_argument("--serve", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.serve:
        kind, target, *base_url = arguments.serve
        if kind == "registry":
            serve_registry(target, arguments.port, base_url[0] if base_url else None)
        else:
            (serve_bare if kind == "bare" else serve_flask)(target, arguments.port)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        rows, walks = bench(arguments.backend, Path(folder), arguments.requests, arguments.rounds, arguments.postgres_url)
    print(f"### {arguments.backend}: milliseconds per request, median (95th percentile)\n")
    print(table(rows))
    print("\nGrowth with history size (warm):\n")
    print(growth(rows))
    print(f"\nFollowing prev-archive from a subscription document to the first archive document ({SIZES[1]:,} versions):\n")
    for item in walks:
        print(f"- `{item['path']}`: {item['first']['entries']:,} entries in {item['first']['documents']} documents, "
              f"{item['first']['seconds']:.2f} s the first time, {item['again']['seconds']:.2f} s again")
    return 0


if __name__ == "__main__":
    sys.exit(main())
