"""Servers the benchmarks start as child processes on 127.0.0.1, shared by bench/check.py, exports.py, feeds.py and reads.py."""
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

START_S = 60  # how long a server may take to listen
BENCH = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ChildServer:
    """`command` run in a child process, which listens on `port`; the block starts once it does, and stops it at the end."""

    def __init__(self, command: list[str], port: int, **popen):
        self.port = port
        self.process = subprocess.Popen(command, **popen)

    def __enter__(self):
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:  # it could not start (a port taken meanwhile, a bad setting)
                raise RuntimeError(f"the server exited ({self.process.returncode}) before it listened on port {self.port}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.process.kill()
        raise RuntimeError(f"the server did not listen on port {self.port} within {START_S} s")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)

    def cpu_seconds(self) -> float:
        """CPU time (user and system) used so far by the server and its worker processes, from /proc."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(pid) for pid in children.read_text().split()]
        ticks = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:  # a worker that has just exited
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
        return ticks / os.sysconf("SC_CLK_TCK")


def gunicorn(application: str, environment: dict, *, workers: int = 2, threads: int = 4, bench_path: bool = False) -> ChildServer:
    """`application` (gunicorn's module:variable) under gunicorn with gthread workers, which keep connections alive,
    on a free port of 127.0.0.1; with bench_path, the modules of bench/ can be imported (bare_wsgi below). The master
    listens before its workers have imported the application: the first requests wait for them."""
    port = free_port()
    # --reuse-port: each worker listens on a socket of its own and the kernel spreads new connections over them.
    # On one shared socket, the worker that wakes first may take every keep-alive connection of a run: a bare
    # WSGI floor then served 50 clients from one worker, on one CPU, in about one run of three.
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
               "--worker-class", "gthread", "--reuse-port", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
               *(["--pythonpath", str(BENCH)] if bench_path else []), application]
    return ChildServer(command, port, env=environment)


def bare_wsgi(saved: str):
    """A WSGI callable that answers each request saved in `saved` (a JSON list, see save_answers in bench/reads.py)
    with the bytes, status and headers saved with it, and does nothing else: the floor a server sets.

    Under gunicorn: `gunicorn "serving:bare_wsgi('/path/answers.json')"`. It reads a request's body, as the
    application it stands in for does, and keys the answer by method, path with query, and body.
    """
    answers = {}
    for item in json.loads(Path(saved).read_text()):
        body = bytes.fromhex(item["body"])
        headers = [(name, value) for name, value in item["headers"]] + [("Content-Length", str(len(body)))]
        answers[item["method"], item["target"], bytes.fromhex(item["sent"])] = (item["status"], headers, body)

    def application(environ, start_response):
        query = environ.get("QUERY_STRING")
        target = environ["PATH_INFO"] + (f"?{query}" if query else "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        sent = environ["wsgi.input"].read(length) if length else b""
        status, headers, body = answers[environ["REQUEST_METHOD"], target, sent]
        start_response(status, headers)
        return [body]

    return application
