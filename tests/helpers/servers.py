"""For tests that start a server of the registry's own (`registry serve`, gunicorn) and talk to it over HTTP.

A server in a thread of the test process is `served` in tests/helpers/browser.py.
"""
import socket

# Added by the server, not by the application: never part of "the same answer".
SERVER_HEADERS = {"date", "server", "connection", "transfer-encoding"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
