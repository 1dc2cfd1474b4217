"""The exports on the 30,000-version registry, over a real HTTP server and from the command line.

    python bench/exports.py [--backend sqlite|postgresql] [--versions 30000] [--rounds 5]

The registry (made by bench/generate.py) is served by waitress (4 threads) in a
process of its own on 127.0.0.1 and read over HTTP/1.1 by one client, one request
at a time, each body read 64 KiB at a time:

- changes.jsonl: first made in this process, timed, then measured with tracemalloc
  (every Python allocation) and by resident memory; then downloaded over HTTP, with
  the server's resident memory (VmRSS, from /proc) before and after. The floor is
  bare waitress streaming the same bytes from a file, measured the same way: it
  shows what waitress's own output buffers cost.
- registry.json: cold (made from the database and kept, the first request for a new
  state) and warm (the kept file); as_of: a day in the middle of the history, made
  anew on every request; a replayed ETag (304).
- registry.zip: cold (the whole bundle built: every table, checksums, the zip) and warm.
- `registry export DIR`: the bundle written by the command line, wall time.

Targets (issue 4): changes.jsonl under 3 s with memory growth under 50 MB;
registry.json and as_of under 1 s. Prints a Markdown table for docs/performance.md;
progress goes to stderr.
"""
import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate  # noqa: E402
from serving import ChildServer, free_port  # noqa: E402

AS_OF = "2023-09-01"  # generate.py publishes hourly from 2022-01-01: the middle of 30,000 versions
MIB = 1024 * 1024


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Server(ChildServer):
    """A WSGI application under waitress (4 threads, buffers as `registry serve` sets them), in a child process, until the block ends."""

    def __init__(self, *arguments: str):
        port = free_port()
        super().__init__([sys.executable, __file__, "--serve", *arguments, str(port)], port)

    def memory(self) -> dict[str, int]:
        """The server's resident memory now (VmRSS) and at its peak so far (VmHWM), in bytes."""
        found = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0]) * 1024
        return found

    def get(self, path: str, headers: dict | None = None) -> tuple[float, int, int, dict]:
        """(seconds, status, bytes, headers) for one request, the body read 64 KiB at a time."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        began = time.perf_counter()
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        size = 0
        while block := response.read(64 * 1024):
            size += len(block)
        seconds = time.perf_counter() - began
        connection.close()
        return seconds, response.status, size, {name.lower(): value for name, value in response.getheaders()}


POSTGRES_DATABASE = "bench_exports"


def serve(kind: str, target: str, folder: str, port: str) -> None:
    """The child process of Server: the registry on a database, or the floor, bare waitress streaming a file."""
    import waitress

    from registry.cli import STREAM_BUFFER_BYTES

    if kind == "registry":
        from registry import create_app

        application = create_app({"SQLALCHEMY_DATABASE_URI": target, "REGISTRY_EXPORTS_DIR": folder})
    else:
        def application(environ, start_response):
            start_response("200 OK", [("Content-Type", "application/x-ndjson")])
            return iter(lambda stream=open(target, "rb"): stream.read(512 * 1024), b"")
    waitress.serve(application, host="127.0.0.1", port=int(port), threads=4, outbuf_high_watermark=STREAM_BUFFER_BYTES, _quiet=True)


def database(backend: str, folder: Path, postgres_url: str, *, drop_only: bool = False) -> str:
    """A new, empty database for the benchmark (or, with drop_only, remove the PostgreSQL one)."""
    if backend == "sqlite":
        return f"sqlite:///{folder / 'bench.sqlite'}"
    import sqlalchemy as sa

    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{POSTGRES_DATABASE}" WITH (FORCE)')
        if not drop_only:
            connection.exec_driver_sql(f'CREATE DATABASE "{POSTGRES_DATABASE}"')
    admin.dispose()
    return sa.engine.make_url(postgres_url).set(database=POSTGRES_DATABASE).render_as_string(hide_password=False)


def resident() -> int:
    """This process's resident memory, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def in_process_changes(database_url: str, rounds: int) -> tuple[float, int, int, int]:
    """(best seconds, bytes, tracemalloc peak, resident growth) for the whole changes.jsonl made in this process.

    Timed without tracemalloc (which slows every allocation), then measured once with it.
    """
    from registry import create_app
    from registry.exports import files as export_files
    from registry.db import read_snapshot
    from registry.db import db

    def stream() -> int:
        with read_snapshot():
            state = export_files.read_state()
            return sum(len(chunk) for chunk in export_files.changes(until_seq=state.last_seq))

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        with read_snapshot():
            export_files.read_state()  # connect first, so that connecting is not counted
        before = resident()
        times = []
        for _ in range(rounds):
            began = time.perf_counter()
            size = stream()
            times.append(time.perf_counter() - began)
        grown = resident() - before
        tracemalloc.start()
        stream()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        db.session.remove()
        db.engine.dispose()
    return min(times), size, peak, grown


def downloads(server: Server, path: str, rounds: int) -> tuple[list[float], int, int]:
    """(seconds per download, bytes, growth of the server's resident memory over all of them)."""
    before = server.memory()["VmRSS"]
    results = [server.get(path) for _ in range(rounds)]
    assert all(result[1] == 200 for result in results)
    return [result[0] for result in results], results[0][2], server.memory()["VmRSS"] - before


def median(values: list[float]) -> float:
    return statistics.median(values)


def bench(backend: str, folder: Path, versions: int, rounds: int, postgres_url: str) -> list[tuple[str, str, str]]:
    url = database(backend, folder, postgres_url)
    began = time.perf_counter()
    generate(url, versions=versions, progress=say)
    say(f"{backend}: {versions:,} versions generated in {time.perf_counter() - began:.1f} s")
    return measure(url, folder, rounds)[0]


def measure(url: str, folder: Path, rounds: int) -> tuple[list[tuple[str, str, str]], dict[str, float]]:
    """The table's rows for the registry at `url`, and the numbers its targets are judged by (seconds, bytes)."""
    rows = []

    environment = {**os.environ, "DATABASE_URL": url}
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "registry", "export", str(folder / "bundle")], env=environment, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    exported = time.perf_counter() - began
    files = list((folder / "bundle").iterdir())

    seconds, size, peak, grown = in_process_changes(url, rounds)
    rows.append((f"changes.jsonl, made in process (best of {rounds})", f"{seconds:.2f} s",
                 f"{size / MIB:.1f} MiB; Python allocations at their peak (tracemalloc) {peak / MIB:.1f} MiB; "
                 f"resident memory {grown / MIB:+.1f} MiB over {rounds} runs"))

    with Server("registry", url, str(folder / "exports-cache")) as server:
        cold_registry = server.get("/exports/registry.json")
        warm_registry = [server.get("/exports/registry.json")[0] for _ in range(rounds * 4)]
        etag = cold_registry[3]["etag"]
        not_modified = [server.get("/exports/registry.json", {"If-None-Match": etag}) for _ in range(rounds * 4)]
        assert all(result[1] == 304 for result in not_modified)
        as_of = [server.get(f"/exports/registry.json?as_of={AS_OF}") for _ in range(rounds)]
        assert all(result[1] == 200 for result in as_of)
        rows.append(("registry.json, cold (made and kept)", f"{cold_registry[0]:.2f} s", f"{cold_registry[2] / MIB:.1f} MiB"))
        rows.append(("registry.json, warm (median)", f"{median(warm_registry) * 1e3:.0f} ms", ""))
        rows.append(("registry.json, 304 (median)", f"{median([result[0] for result in not_modified]) * 1e3:.1f} ms", ""))
        rows.append((f"registry.json?as_of={AS_OF} (median of {rounds})", f"{median([result[0] for result in as_of]):.2f} s",
                     f"{as_of[0][2] / MIB:.1f} MiB"))

        times, size, grown = downloads(server, "/exports/changes.jsonl", rounds)
        with Server("floor", str(folder / "bundle" / "changes.jsonl"), "") as floor:
            floor_times, _, floor_grown = downloads(floor, "/", rounds)
        rows.append((f"changes.jsonl over HTTP (median of {rounds})", f"{median(times):.2f} s",
                     f"{size / MIB:.1f} MiB; server resident memory {grown / MIB:+.1f} MiB over {rounds} downloads"))
        rows.append((f"the same bytes from bare waitress (median of {rounds})", f"{median(floor_times):.2f} s",
                     f"server resident memory {floor_grown / MIB:+.1f} MiB over {rounds} downloads"))

        cold_zip = server.get("/exports/registry.zip")
        warm_zip = [server.get("/exports/registry.zip")[0] for _ in range(rounds)]
        rows.append(("registry.zip, cold (bundle built)", f"{cold_zip[0]:.1f} s", f"{cold_zip[2] / MIB:.1f} MiB"))
        rows.append(("registry.zip, warm (median)", f"{median(warm_zip) * 1e3:.0f} ms", ""))

    rows.append(("`registry export DIR` (process start included)", f"{exported:.1f} s",
                 f"{sum(path.stat().st_size for path in files) / MIB:.1f} MiB in {len(files)} files"))
    numbers = {"changes_http_s": median(times), "changes_server_growth_bytes": grown, "changes_peak_bytes": peak,
               "registry_json_s": cold_registry[0], "as_of_s": median([result[0] for result in as_of]),
               "zip_s": cold_zip[0], "export_s": exported}
    return rows, numbers


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"]:
        serve(*argv[1:])
        return 0
    parser = argparse.ArgumentParser(description="Benchmark the exports on a large generated registry.")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--versions", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        try:
            rows = bench(arguments.backend, Path(folder), arguments.versions, arguments.rounds, arguments.postgres_url)
        finally:
            database(arguments.backend, Path(folder), arguments.postgres_url, drop_only=True)
    print(f"### {arguments.backend}, {arguments.versions:,} versions\n")
    print("| export | time | size, memory |")
    print("|---|---|---|")
    for row in rows:
        print(f"| {' | '.join(row)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
