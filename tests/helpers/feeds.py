"""Reading the Atom feeds as a subscriber's feed reader does, and publishing through the API to fill them."""
import re
from urllib.parse import urlsplit

import feedparser
from lxml import etree

from registry import changes

ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
PAGE = 5  # entries per archive document in these tests
FEEDS = ["/feeds/changes.atom", "/feeds/countries/FR.atom", "/feeds/sections/import-bans.atom",
         "/feeds/substances/methylphenidate.atom"]


class Publisher:
    """Publishes through the API as the secretariat, remembering which sections have a version."""

    def __init__(self, client, headers):
        self.client, self.headers, self.published = client, headers, set()

    def publish(self, country: str, section: str, document: dict):
        first = (country, section) not in self.published
        precondition = {"If-None-Match": "*"} if first else {"If-Match": "*"}
        response = self.client.put(f"/api/v1/countries/{country}/{section}", json=document, headers={**self.headers, **precondition})
        assert response.status_code in (200, 201), response.json
        self.published.add((country, section))
        return response.json["meta"]

    def withdraw(self, country: str, section: str):
        response = self.client.delete(f"/api/v1/countries/{country}/{section}", headers={**self.headers, "If-Match": "*"})
        assert response.status_code == 200, response.json
        return response.json["meta"]


def parse(client, path: str, **kwargs):
    """A feed document as feedparser reads it, after checking the Atom rules feedparser does not."""
    response = client.get(path, **kwargs)
    assert response.status_code == 200, (path, response.status_code)
    check_atom_rules(response.data)
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
    return parsed


def link(parsed, relation: str) -> str | None:
    found = [item.href for item in parsed.feed.get("links", []) if item.rel == relation]
    assert len(found) <= 1
    return urlsplit(found[0]).path if found else None


def walk(client, path: str) -> list[str]:
    """Every entry id, following prev-archive from the subscription document to the first archive document."""
    ids, seen = [], set()
    while path is not None:
        assert path not in seen, f"prev-archive loops back to {path}"
        seen.add(path)
        parsed = parse(client, path)
        ids.extend(entry.id for entry in parsed.entries)
        path = link(parsed, "prev-archive")
    return ids


def every_change(client) -> list[dict]:
    """Every version as the API's changes list gives it, following `next`."""
    found, path = [], "/api/v1/changes?limit=50"
    while path:
        page = client.get(path).json
        found.extend(page["changes"])
        path = page["next"]
    return found


def touching(versions: list[dict], substance: str) -> list[dict]:
    """The versions whose change touches a substance, recomputed from the documents the API gives."""
    before, found = {}, []
    for item in versions:
        key = (item["meta"]["country"], item["meta"]["section"])
        if substance in changes.describe(key[1], before.get(key), item["document"]).substances:
            found.append(item)
        before[key] = item["document"]
    return found


def tag(meta: dict) -> str:
    return f"tag:registry.example,2026:{meta['country']}/{meta['section']}/{meta['version']}"


def check_atom_rules(document: bytes) -> None:
    """RFC 4287 rules that feedparser does not check."""
    root = etree.fromstring(document)
    assert root.tag == ATOM + "feed"
    for element in [root, *root.findall(ATOM + "entry")]:
        for name in ("id", "title", "updated"):
            assert len(element.findall(ATOM + name)) == 1, (element.tag, name)
        for name in ("updated", "published"):
            for moment in element.findall(ATOM + name):
                assert RFC3339.match(moment.text), moment.text
    assert len([item for item in root.findall(ATOM + "link") if item.get("rel") == "self"]) == 1
    feed_author = root.find(ATOM + "author") is not None
    for entry in root.findall(ATOM + "entry"):
        assert feed_author or entry.find(ATOM + "author/" + ATOM + "name") is not None
        alternate = [item for item in entry.findall(ATOM + "link") if item.get("rel", "alternate") == "alternate"]
        assert entry.find(ATOM + "content") is not None or alternate
        assert entry.find(ATOM + "author/" + ATOM + "name").text
        assert entry.find(ATOM + "id").text.startswith("tag:")
