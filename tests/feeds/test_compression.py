"""Answers are compressed when the client accepts it (Flask-Compress), feed polls answered before Flask included,
over a real server; the exports' streamed files go as they are, or from a copy compressed when they were made."""
import gzip
import http.client
from urllib.parse import urlsplit

import pytest

from ..helpers import factories
from ..helpers.browser import served
from ..helpers.feeds import Publisher
from ..helpers.servers import SERVER_HEADERS

GZIP = {"Accept-Encoding": "gzip"}
FEED = "/feeds/countries/FR.atom"


@pytest.fixture
def server(app, client, authority):
    """The registry, with one publication for France, over HTTP; yields a function that asks it (method, path, headers)."""
    Publisher(client, authority(secretariat=True)).publish("FR", "requirements", factories.requirements())
    with served(app) as base:
        connection = http.client.HTTPConnection(urlsplit(base).hostname, urlsplit(base).port)

        def ask(method, path, headers=None):
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            body = response.read()
            return response.status, body, {name.lower(): value for name, value in response.getheaders()
                                           if name.lower() not in SERVER_HEADERS}

        yield ask
        connection.close()


def test_the_home_page_is_sent_gzipped_to_a_client_that_accepts_it(server):
    status, plain, plain_headers = server("GET", "/")
    status_gz, body, headers = server("GET", "/", GZIP)
    assert status == status_gz == 200
    assert "content-encoding" not in plain_headers
    assert headers["content-encoding"] == "gzip" and "Accept-Encoding" in headers["vary"]
    assert int(headers["content-length"]) == len(body) < len(plain) / 3
    assert gzip.decompress(body) == plain


def test_a_feed_poll_is_compressed_as_the_view_compresses_it_and_keeps_its_304(server):
    answers = [server("GET", FEED, GZIP) for _ in range(2)]  # the view renders it, then the poll answers it
    (status, body, headers), (status_again, body_again, headers_again) = answers
    _, plain, plain_headers = server("GET", FEED)
    assert status == status_again == 200
    assert headers["content-encoding"] == headers_again["content-encoding"] == "gzip"
    assert gzip.decompress(body) == gzip.decompress(body_again) == plain
    assert {name: value for name, value in headers.items() if name != "content-length"} == \
        {name: value for name, value in headers_again.items() if name != "content-length"}
    # A compressed representation has a validator of its own; both vary on Accept-Encoding.
    assert headers["etag"] != plain_headers["etag"]
    assert headers["vary"] == plain_headers["vary"] == "Accept-Encoding"
    not_modified = server("GET", FEED, {**GZIP, "If-None-Match": headers["etag"]})
    assert not_modified[0] == 304 and not_modified[1] == b""
    assert server("GET", FEED, {"If-None-Match": plain_headers["etag"]})[0] == 304
    # The identity validator does not match the gzipped representation: it is sent in full.
    assert server("GET", FEED, {**GZIP, "If-None-Match": plain_headers["etag"]})[0] == 200


def test_the_exports_streamed_file_is_sent_as_it_is_or_from_its_compressed_copy(server):
    status, body, headers = server("GET", "/exports/changes.jsonl?after=0", GZIP)
    plain = server("GET", "/exports/changes.jsonl")[1]
    # The whole history goes from the gzip file made with it, once (docs/exports.md, "Decisions").
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert int(headers["content-length"]) == len(body) and gzip.decompress(body) == plain
    status, body, headers = server("GET", "/exports/changes.jsonl?after=1", GZIP)
    assert status == 200 and "content-encoding" not in headers
    assert int(headers["content-length"]) == len(body) == 0
