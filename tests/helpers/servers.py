"""For tests that start a server of the registry's own (`registry serve`, gunicorn) and talk to it over HTTP.

A server in a thread of the test process is `served` in tests/helpers/browser.py.
"""
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

# Added by the server, not by the application: never part of "the same answer".
SERVER_HEADERS = {"date", "server", "connection", "transfer-encoding"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: list[str], env: dict, log_path: Path, port: int) -> subprocess.Popen:
    """Start a server process (its output in log_path) and return it once /healthz answers on port."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=log_path.parent)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"the server did not start: {log_path.read_text()}")
            time.sleep(0.2)


def stop(process: subprocess.Popen, log_path: Path) -> str:
    """Stop a server started with `start`; returns everything it printed."""
    process.terminate()
    process.wait(10)
    return log_path.read_text()
