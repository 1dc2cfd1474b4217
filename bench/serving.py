"""Servers the benchmarks start as child processes on 127.0.0.1, shared by bench/check.py, exports.py and feeds.py."""
import socket
import subprocess
import time

START_S = 60  # how long a server may take to listen


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
