"""Slow readers of the large downloads hold no worker thread of `registry serve` (waitress)."""
import os
import socket
import sys
import threading
import time
import urllib.request


from registry import reference

from ..helpers.servers import free_port, start, stop as stop_server

READERS = 8  # twice the server's worker threads
THREADS = 4
LANGUAGES = 20  # texts in this many languages make each version about 200 KB
VERSIONS = 60  # so changes.jsonl is about 12 MB: far more than waitress and the kernel buffer for one reader
READ_BYTES_S = 512


def big_requirements(number: int, languages: list[str]) -> dict:
    text = {lang: f"Version {number}. " + "x" * 9_900 for lang in languages}
    return {"effective_from": "2026-03-01", "travellers_allowed": "yes", "rules": [], "notes": text,
            "customs": {"declare_on_entry": True, "endorsement": False, "show_on_request": True}}


def publish_big_history(client, authority) -> None:
    headers = {**authority(secretariat=True), "Content-Type": "application/json"}
    languages = sorted(code for code in ("en", "fr", "es", "ru", "ar", "zh", "de", "it", "pt", "nl", "sv", "da", "fi",
                                         "pl", "cs", "hu", "ro", "el", "tr", "ja") if reference.is_language(code))[:LANGUAGES]
    etag = None
    for number in range(1, VERSIONS + 1):
        precondition = {"If-Match": etag} if etag else {"If-None-Match": "*"}
        answer = client.put("/api/v1/countries/FR/requirements", json=big_requirements(number, languages),
                            headers={**headers, **precondition})
        assert answer.status_code in (200, 201), answer.get_json()
        etag = answer.headers["ETag"]


def slow_reader(port: int, stop: threading.Event, started: threading.Barrier) -> None:
    with socket.socket() as connection:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        connection.connect(("127.0.0.1", port))
        connection.sendall(b"GET /exports/changes.jsonl HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        connection.settimeout(30)
        assert connection.recv(READ_BYTES_S).startswith(b"HTTP/1.1 200")
        started.wait()
        while not stop.is_set():
            connection.recv(READ_BYTES_S // 4)
            time.sleep(0.25)


def test_eight_slow_readers_of_changes_jsonl_leave_healthz_answering(app, client, authority, database_url, tmp_path):
    publish_big_history(client, authority)
    port, log = free_port(), tmp_path / "serve.log"
    server = start([sys.executable, "-m", "registry", "serve", "--port", str(port), "--threads", str(THREADS)],
                   {**os.environ, "DATABASE_URL": database_url, "REGISTRY_EXPORTS_DIR": str(tmp_path / "exports")}, log, port)
    # The first download makes the file; the slow readers then share it.
    urllib.request.urlopen(f"http://127.0.0.1:{port}/exports/changes.jsonl", timeout=60).read()
    stop, started = threading.Event(), threading.Barrier(READERS + 1, timeout=60)
    readers = [threading.Thread(target=slow_reader, args=(port, stop, started), daemon=True) for _ in range(READERS)]
    try:
        for reader in readers:
            reader.start()
        started.wait()
        time.sleep(2)  # long enough for every reader's response to fill its buffers
        began = time.monotonic()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
            assert answer.status == 200
        assert time.monotonic() - began < 5
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/countries/FR", timeout=10) as answer:
            assert answer.status == 200
    finally:
        stop.set()
        stop_server(server, log)
        for reader in readers:
            reader.join(timeout=5)


def test_after_starts_the_same_file_at_the_right_line(client, authority):
    publish_big_history(client, authority)
    whole = client.get("/exports/changes.jsonl").data.splitlines(keepends=True)
    assert len(whole) == VERSIONS
    for after in (0, 1, 30, VERSIONS - 1, VERSIONS, VERSIONS + 5):
        answer = client.get(f"/exports/changes.jsonl?after={after}")
        assert answer.status_code == 200
        assert answer.data == b"".join(whole[after:])
        assert int(answer.headers["Content-Length"]) == len(answer.data)
