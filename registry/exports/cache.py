"""Exports kept on disk, once per registry state, so that what /exports/index.json lists
is byte for byte what is then downloaded.

registry.json and metadata.json say when they were generated, so making them anew for
every request would give every download different bytes (and a SHA-256 that the index
could not announce). Instead each state's files (named by State.tag, files.py) are made
once, aside, and moved into place with one rename: readers never see a half-written
bundle, and when two workers race, the first one's files are the ones kept. Only the
newest few states stay on disk. The directory is REGISTRY_EXPORTS_DIR, by default
`exports/` in the instance folder.
"""
import json
import os
import shutil
import struct
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app

from . import bundle as bundles, files

KEEP = 3  # states whose exports stay on disk: a download that began on an older state can finish
# 10 seconds, far longer than a request takes from making a state's files to opening them: files
# this recent may be about to be served by another worker, so they outlive KEEP for that long.
IN_USE_S = 10
STALE_BUILD_S = 3600  # 1 hour: a half-built directory older than this was abandoned by a crashed worker
DOWNLOADS = ("registry.json", "changes.jsonl", "registry.zip")
_building = threading.Lock()  # one bundle built at a time in a process; the others wait and reuse it


@dataclass(frozen=True)
class File:
    """A file on offer, with what index.json says about it."""

    name: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Published:
    """One state's bundle on disk: its directory (with registry.zip) and its downloads."""

    directory: Path

    @property
    def zip(self) -> Path:
        return self.directory / "registry.zip"

    @property
    def generated_at(self) -> datetime:
        text = json.loads((self.directory / "metadata.json").read_text(encoding="utf-8"))["generated_at"]
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")

    def files(self) -> list[File]:
        """registry.json, changes.jsonl and registry.zip, with their sizes and SHA-256."""
        sums = json.loads((self.directory / "downloads.json").read_text(encoding="utf-8"))
        return [File(name, sums[name]["bytes"], sums[name]["sha256"]) for name in DOWNLOADS]


def root() -> Path:
    """Where exports are kept."""
    return Path(current_app.config.get("REGISTRY_EXPORTS_DIR") or Path(current_app.instance_path) / "exports")


def registry_json(state: files.State) -> Path:
    """This state's registry.json, made now if it has none yet (call inside the state's read transaction)."""
    path = root() / f"{state.tag()}.registry.json"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        _place_file(path, files.registry_json(state))
        _prune()
    return path


@dataclass(frozen=True)
class Changes:
    """One state's changes.jsonl on disk, with where each version's line begins, and gzip-compressed."""

    path: Path

    @property
    def offsets(self) -> Path:
        return self.path.with_suffix(".offsets")

    @property
    def gzip(self) -> Path:
        """The whole file compressed once, when it is made: a download of the whole history costs no compression."""
        return self.path.with_name(self.path.name + ".gz")

    def ready(self) -> bool:
        return self.path.is_file() and self.gzip.is_file()

    def open_after(self, after: int):
        """The file, positioned at the first line after seq `after`, and how many bytes remain."""
        with open(self.offsets, "rb") as index:
            count = index.seek(0, os.SEEK_END) // OFFSET.size - 1  # the versions in the file
            index.seek(min(after, count) * OFFSET.size)
            (start,) = OFFSET.unpack(index.read(OFFSET.size))
        stream = open(self.path, "rb")
        size = stream.seek(0, os.SEEK_END)
        stream.seek(start)
        return stream, size - start


def changes_jsonl(state: files.State) -> Changes:
    """This state's changes.jsonl, made now if it has none yet (call inside the state's read transaction).

    Served as a file, a slow reader costs the server's file wrapper (or the proxy) and
    no worker thread; `?after=` starts the same file at the right line.
    """
    kept = Changes(root() / f"{state.tag('changes.jsonl')}.changes.jsonl")
    if not kept.ready():
        kept.path.parent.mkdir(parents=True, exist_ok=True)
        _build_changes(state, kept)
        _prune()
    return kept


OFFSET = struct.Struct("<Q")  # a byte offset in changes.jsonl, one per version and one for the end
GZIP_LEVEL = 6  # zlib's default: at level 9 the file is 2 % smaller and takes a tenth longer to make
GZIP_FORMAT = 16 + zlib.MAX_WBITS  # a gzip header and trailer around the deflate stream (RFC 1952), with no name or time


def _build_changes(state: files.State, kept: Changes) -> None:
    """Write changes.jsonl, its index and its gzip form in one pass over the versions; the index and the
    gzip form are in place before the file, so that whoever finds the file finds them."""
    plain, compressed = _temporary(kept.path.parent), _temporary(kept.path.parent)
    offsets, position = bytearray(), 0
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, GZIP_FORMAT)
    try:
        with open(plain, "wb") as stream, open(compressed, "wb") as packed:
            for rows in files.versions(until_seq=state.last_seq):
                lines = [files.change_line(row).encode("utf-8") for row in rows]
                for line in lines:
                    offsets += OFFSET.pack(position)
                    position += len(line)
                chunk = b"".join(lines)
                stream.write(chunk)
                packed.write(compressor.compress(chunk))
            packed.write(compressor.flush())
        offsets += OFFSET.pack(position)
        _place_file(kept.offsets, bytes(offsets))
        _link(compressed, kept.gzip)
        _link(plain, kept.path)
    finally:
        os.unlink(plain)
        os.unlink(compressed)


def _temporary(directory: Path) -> str:
    handle, path = tempfile.mkstemp(prefix=".building-", dir=directory)
    os.close(handle)
    return path


def _link(temporary: str, path: Path) -> None:
    """Give a finished file its name, unless another worker's file (the same bytes) has it already."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass


def bundle(state: files.State) -> Published:
    """This state's bundle and registry.zip, made now if needed (call inside the state's read transaction)."""
    target = root() / state.tag()
    if not target.is_dir():
        with _building:
            if not target.is_dir():
                _build(state, target)
                _prune()
    return Published(target)


def _build(state: files.State, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        bundles.write_bundle(work, state, registry_bytes=registry_json(state).read_bytes())
        bundles.write_zip(work, work / "registry.zip", state)
        downloads = {name: {"bytes": (work / name).stat().st_size, "sha256": bundles.sha256_file(work / name)}
                     for name in DOWNLOADS}
        (work / "downloads.json").write_text(json.dumps(downloads, indent=2), encoding="utf-8")
        try:
            os.rename(work, target)
        except OSError:
            if not target.is_dir():
                raise  # not another worker's bundle in the way: a real failure
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _place_file(path: Path, data: bytes) -> None:
    """Write path unless it exists; when two workers race, the first file stays."""
    temporary = _temporary(path.parent)
    try:
        Path(temporary).write_bytes(data)
        _link(temporary, path)
    finally:
        os.unlink(temporary)


def _prune() -> None:
    """Remove all but the newest KEEP states' files (unless made in the last IN_USE_S), and builds abandoned long ago."""
    now = time.time()
    entries = [(entry, _modified(entry)) for entry in root().iterdir()]
    for entry, modified in entries:
        if entry.name.startswith(".building-") and now - modified > STALE_BUILD_S:
            _remove(entry)
    kept = [(entry, modified) for entry, modified in entries if not entry.name.startswith(".")]
    kinds = [[item for item in kept if item[0].is_dir()]]
    kinds += [[item for item in kept if item[0].name.endswith(suffix)] for suffix in (".registry.json", ".changes.jsonl", ".changes.jsonl.gz", ".changes.offsets")]
    for kind in kinds:
        for entry, modified in sorted(kind, key=lambda item: item[1], reverse=True)[KEEP:]:
            if now - modified > IN_USE_S:
                _remove(entry)


def _modified(entry: Path) -> float:
    try:
        return entry.stat().st_mtime
    except FileNotFoundError:  # removed meanwhile by another worker
        return 0.0


def _remove(entry: Path) -> None:
    if entry.is_dir():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)
