"""/exports/ and /schemas/ over HTTP (docs/api.md, "Exports").

Views are thin: they read the parameters, open one read transaction, ask
files.py and bundle.py (or the files it keeps, cache.py) for the export,
and answer. Every export's ETag comes from the state it describes (State.tag, files.py),
known before anything is built, so a conditional request that matches costs a few
indexed queries and gets 304.
"""
import hashlib
import re

from flask import Blueprint, Response, jsonify, render_template, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.http import http_date, is_resource_modified
from werkzeug.wsgi import wrap_file

from ..db import read_snapshot, rfc3339, utcnow
from ..http import absolute, base_url
from . import bundle as bundles, cache, files, signing
from .schemas import SCHEMAS_DIR

bp = Blueprint("exports", __name__)

MEDIA_TYPES = {"registry.json": "application/json", "changes.jsonl": "application/x-ndjson", "registry.zip": "application/zip"}
VIEWS = {"registry.json": "registry_json", "changes.jsonl": "changes_jsonl", "registry.zip": "registry_zip"}
DESCRIPTIONS = {
    "registry.json": bundles.FILE_DESCRIPTIONS["registry.json"] + " Add ?as_of=YYYY-MM-DD for the state at the end of that UTC day.",
    "changes.jsonl": bundles.FILE_DESCRIPTIONS["changes.jsonl"] + " Add ?after={seq} for the versions after those you hold.",
    "registry.zip": "Everything, for offline use: README.md, metadata.json, datapackage.json, registry.json, changes.jsonl, "
                    "the CSV tables and SHA256SUMS.",
}
SCHEMA_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*\Z")


def _as_of():
    text = request.args.get("as_of")
    if text is None:
        return None
    try:
        return files.parse_as_of(text)
    except files.ExportError as error:
        raise BadRequest(f"Query parameter as_of: {error}") from None


def _after() -> int:
    text = request.args.get("after", "0")
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise BadRequest(f"Query parameter after must be a seq, a whole number of at least 0, not {text[:40]!r}.")
    return int(text)


def _unchanged(tag: str, state: files.State, *, weak: bool = False) -> Response | None:
    """304 when the client already has this export (RFC 9110 §13.1.2: weak comparison), else None."""
    if is_resource_modified(request.environ, etag=tag, last_modified=state.last_modified):
        return None
    return _validators(Response(status=304), tag, state, weak=weak)


def _validators(response: Response, tag: str, state: files.State, *, weak: bool = False) -> Response:
    response.set_etag(tag, weak=weak)
    if state.last_modified is not None:
        response.headers["Last-Modified"] = http_date(state.last_modified)
    # Anyone may keep a copy, but must ask again (cheaply, conditionally) before using it.
    response.cache_control.public = True
    response.cache_control.no_cache = True
    return response


def _file(path, name: str, tag: str, state: files.State) -> Response:
    response = send_file(path, mimetype=MEDIA_TYPES[name], etag=tag, conditional=True, max_age=None,
                         download_name=name, as_attachment=name.endswith(".zip"))
    return _validators(response, tag, state)


@bp.get("/exports/registry.json")
def registry_json():
    """The current state of every country; with ?as_of=YYYY-MM-DD, the state at the end of that UTC day."""
    as_of = _as_of()
    with read_snapshot():
        state = files.read_state(as_of)
        # A past day's state is made anew for each request, so only its content is stable: a weak tag.
        tag, weak = state.tag("registry.json"), as_of is not None
        unchanged = _unchanged(tag, state, weak=weak)
        if unchanged:
            return unchanged
        if as_of is None:
            return _file(cache.registry_json(state), "registry.json", tag, state)
        body = files.registry_json(state)
    return _validators(Response(body, mimetype=MEDIA_TYPES["registry.json"]), tag, state, weak=True)


@bp.get("/exports/changes.jsonl")
def changes_jsonl():
    """Every version after ?after={seq}, one JSON object a line, from a file made once per state.

    The whole history goes gzip-compressed to a client that accepts it, from the compressed file
    made with the plain one; its entity tag is the plain one's with ":gzip", as Flask-Compress
    tags what it compresses (registry/app.py). The whole file, either form, may be asked for in
    ranges (RFC 9110 §14), to resume a download.
    """
    after = _after()
    compressed = after == 0 and request.accept_encodings.quality("gzip") > 0
    with read_snapshot():
        state = files.read_state().versions_only()
        tag = state.tag("changes.jsonl", after) + (":gzip" if compressed else "")
        unchanged = _unchanged(tag, state)
        if unchanged:
            return unchanged
        kept = cache.changes_jsonl(state)
    if compressed:
        stream, length = open(kept.gzip, "rb"), kept.gzip.stat().st_size
    else:
        stream, length = kept.open_after(after)
    # The server's file wrapper sends the file (waitress from its I/O thread, so a slow
    # reader holds no worker thread); behind nginx, the proxy buffers it (docs/deployment.md).
    response = Response(wrap_file(request.environ, stream), mimetype=MEDIA_TYPES["changes.jsonl"], direct_passthrough=True)
    response.content_length = length
    if compressed:
        response.content_encoding = "gzip"
    response.vary.add("Accept-Encoding")
    # A stream of versions cannot carry the fields every export starts with; these headers do.
    response.headers.update({
        "Registry-Format-Version": files.FORMAT_VERSION,
        "Registry-Generated-At": rfc3339(utcnow()),
        "Registry-Last-Seq": str(state.last_seq),
        "Registry-Hash": state.hash,
        "Registry-Demo": "true" if state.demo else "false",
    })
    _validators(response, tag, state)
    return response.make_conditional(request, accept_ranges=True, complete_length=length) if after == 0 else response


@bp.get("/exports/registry.zip")
def registry_zip():
    """The bundle: README, metadata, data package, registry.json, changes.jsonl, CSV tables, SHA256SUMS."""
    with read_snapshot():
        state = files.read_state()
        tag = state.tag("registry.zip")
        unchanged = _unchanged(tag, state)
        if unchanged:
            return unchanged
        published = cache.bundle(state)
    return _file(published.zip, "registry.zip", tag, state)


def _listing(state: files.State, published: cache.Published) -> dict:
    """index.json: the downloads with their sizes and SHA-256, and the schemas."""
    schemas = sorted(path.name.removesuffix(".schema.json") for path in SCHEMAS_DIR.glob("*.schema.json"))
    return {
        **files.header(state, published.generated_at),
        "files": [
            {"name": item.name, "url": absolute(url_for(f"exports.{VIEWS[item.name]}")), "media_type": MEDIA_TYPES[item.name],
             "bytes": item.bytes, "sha256": item.sha256, "description": DESCRIPTIONS[item.name]}
            for item in published.files()
        ],
        "schemas": [{"name": name, "url": absolute(url_for("exports.schema", name=name))} for name in schemas],
    }


@bp.get("/exports/index.json")
def index_json():
    """What is on offer, with sizes and SHA-256."""
    with read_snapshot():
        state = files.read_state()
        tag = state.tag("index.json", base_url())  # its links name this host
        unchanged = _unchanged(tag, state)
        if unchanged:
            return unchanged
        published = cache.bundle(state)
    return _validators(jsonify(_listing(state, published)), tag, state)


@bp.get("/exports/")
def page():
    """The exports page: what is on offer, and how to use it."""
    with read_snapshot():
        state = files.read_state()
        published = cache.bundle(state)
    return render_template("exports/index.html", listing=_listing(state, published), bundle_files=bundles.FILE_DESCRIPTIONS,
                           feeds=[{"title": _("Every publication"), "href": "/feeds/changes.atom"}])


@bp.get("/schemas/<name>.schema.json")
def schema(name: str):
    """A JSON Schema, the very file in schemas/."""
    path = SCHEMAS_DIR / f"{name}.schema.json"
    if not SCHEMA_NAME.match(name) or not path.is_file():
        raise NotFound(f"There is no schema {name!r}; /exports/index.json lists every schema.")
    data = path.read_bytes()
    response = Response(data, mimetype="application/schema+json")
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.no_cache = True
    return response.make_conditional(request)


@bp.get(signing.PUBLIC_KEY_PATH)
def signing_key():
    """The public key that verifies SHA256SUMS.sig in this registry's bundles (docs/exports.md, "Signature")."""
    response = Response(signing.public_key_pem(), mimetype="application/x-pem-file")
    response.cache_control.public = True
    response.cache_control.max_age = 3600  # 1 hour
    return response
