"""Where a staged run's files live between its tasks, and the batch format (docs/state-and-staging.md).

The staging root is `staging.url`: a local folder (default <state_dir>/staging) or any fsspec URL (s3://,
gs://, file:// on a shared mount), so the extract and process tasks of one run may run on different hosts.
A run keeps `<root>/<source>/<run key hash>/`: manifest.json, batch-NNNNN.jsonl, batch-NNNNN.stats.json
and result.json. Paths handed between tasks are full locations: a local path, or a URL for other stores.

A batch is JSON lines, never pickles: a header line {"format": "kmingest-staged-batch", "version": 1,
"records": N, ...}, then one line per record (its content as base64, dates as ISO text, values JSON lacks
as {"$type": ..., "value": ...}). A reader reads every version it knows and refuses a newer one, an unknown
file or an older pickle batch with StagingError naming the file and the fix.
"""

from __future__ import annotations

import base64
import json
import math
import posixpath
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from fsspec.core import url_to_fs

from kmingest.batch_write import Pending
from kmingest.models import SourceRecord

FORMAT = "kmingest-staged-batch"
VERSION = 1  # the batch format this release writes; readers for every older version stay below
RESTAGE = "clear the DAG run's extract task, so it stages the batches again"


class StagingError(Exception):
    """A staged file cannot be found or read; the message names the file and the fix."""


class Staging:
    """One staging root: read and write its files whatever the filesystem."""

    def __init__(self, root: str) -> None:
        try:
            self.fs, self.root = url_to_fs(root)
        except (ImportError, ValueError) as err:
            raise StagingError(
                f"staging.url {root}: {err} (fix: install the filesystem's package, e.g. "
                "s3fs or gcsfs, or use a folder)"
            ) from None
        self.local = "file" in (
            self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,)
        )

    def location(self, path: str) -> str:
        """What another task (maybe on another host) opens: the path here, or the store's full URL."""
        return path if self.local else str(self.fs.unstrip_protocol(path))

    def path(self, location: str) -> str:
        """The path of a location `location()` gave."""
        return location if self.local else str(url_to_fs(location)[1])

    def join(self, *parts: str) -> str:
        return posixpath.join(self.root, *parts)

    def exists(self, path: str) -> bool:
        return bool(self.fs.exists(path))

    def folders(self, path: str) -> list[str]:
        if not self.fs.isdir(path):
            return []
        return sorted(str(e["name"]) for e in self.fs.ls(path, detail=True) if e["type"] == "directory")

    def remove(self, path: str) -> None:
        if self.fs.exists(path):
            self.fs.rm(path, recursive=True)

    def _write(self, path: str, lines: Iterator[str]) -> None:
        """Whole or not at all: a local file appears by rename; an object store's at close."""
        self.fs.makedirs(posixpath.dirname(path), exist_ok=True)
        target = f"{path}.tmp" if self.local else path
        with self.fs.open(target, "w", encoding="utf-8") as fh:
            for line in lines:
                fh.write(line + "\n")
        if self.local:
            self.fs.mv(target, path)

    def write_json(self, path: str, data: dict[str, Any]) -> None:
        self._write(path, iter([_dumps(data)]))

    def read_json(self, path: str) -> dict[str, Any] | None:
        if not self.fs.exists(path):
            return None
        with self.fs.open(path, "r", encoding="utf-8") as fh:
            data: dict[str, Any] = json.load(fh)
        return data

    def write_batch(self, path: str, header: dict[str, Any], batch: list[Pending]) -> None:
        head = {"format": FORMAT, "version": VERSION, **header, "records": len(batch)}
        self._write(path, iter([_dumps(head), *(_dumps(_pending_row(p)) for p in batch)]))

    def read_batch(self, location: str) -> list[Pending]:
        path = self.path(location)
        if not self.fs.exists(path):
            raise StagingError(
                f"{location}: staged batch not found (fix: set staging.url to a location every "
                f"worker reaches, e.g. s3://bucket/kmingest or a shared mount; or {RESTAGE})"
            )
        with self.fs.open(path, "rb") as fh:
            raw = fh.read()
        if raw[:1] == b"\x80":
            raise StagingError(
                f"{location}: a pickle batch of a kmingest release before staging format 1 is "
                f"not read (fix: {RESTAGE} in format {VERSION})"
            )
        lines = raw.decode("utf-8", errors="replace").splitlines()
        header = _header(location, lines[0] if lines else "")
        reader = READERS[int(header["version"])]
        batch: list[Pending] = []
        for number, line in enumerate(lines[1:], start=2):
            try:
                batch.append(reader(json.loads(line)))
            except (ValueError, TypeError, KeyError) as err:
                why = f"{type(err).__name__}: {err}"
                raise StagingError(f"{location}: line {number}: {why} (fix: {RESTAGE})") from None
        if len(batch) != header["records"]:
            raise StagingError(
                f"{location}: {len(batch)} of {header['records']} records (the file was cut "
                f"short) (fix: {RESTAGE})"
            )
        return batch


def _header(location: str, line: str) -> dict[str, Any]:
    try:
        header = json.loads(line)
    except ValueError:
        header = None
    if (
        not isinstance(header, dict)
        or header.get("format") != FORMAT
        or not isinstance(header.get("version"), int)
    ):
        raise StagingError(
            f"{location}: not a kmingest staged batch (its first line is no {FORMAT} header) "
            f"(fix: point staging.url at kmingest's own staging, or {RESTAGE})"
        )
    if header["version"] not in READERS:
        raise StagingError(
            f"{location}: staged batch format version {header['version']} is newer than this "
            f"kmingest reads (up to {VERSION}) (fix: run one kmingest release on every worker, "
            f"or {RESTAGE})"
        )
    return header


def _dumps(data: Any) -> str:
    """One JSON line: UTF-8 text as it is; text with lone surrogates (undecodable file names) escaped."""
    try:
        return json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8").decode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(data, ensure_ascii=True, allow_nan=False)


# ---- format version 1 ------------------------------------------------------------------------------------
_RECORD_TEXT = ("filename", "title", "department", "author", "url", "doc_type")


def _pending_row(p: Pending) -> dict[str, Any]:
    r = p.record
    record: dict[str, Any] = {"source": r.source, "external_id": r.external_id, "system": r.system}
    record |= {name: getattr(r, name) for name in _RECORD_TEXT}
    record |= {
        "content": None if r.content is None else base64.b64encode(r.content).decode("ascii"),
        "fields": None if r.fields is None else encode(r.fields),
        "acl": list(r.acl),
        "updated_at": None if r.updated_at is None else r.updated_at.isoformat(),
        "metadata": encode(r.metadata),
    }
    return {"content_hash": p.content_hash, "is_new": p.is_new, "failures": p.failures, "record": record}


def _pending_v1(row: dict[str, Any]) -> Pending:
    """A record line of version 1; optional keys missing from it take their defaults."""
    r: dict[str, Any] = row["record"]
    unknown = set(r) - {
        "source",
        "external_id",
        "system",
        "content",
        "fields",
        "acl",
        "updated_at",
        "metadata",
        *_RECORD_TEXT,
    }
    if unknown:
        raise KeyError(f"unknown record keys {sorted(unknown)}")
    optional: dict[str, Any] = {k: r[k] for k in _RECORD_TEXT if r.get(k) is not None}
    if "acl" in r:
        optional["acl"] = tuple(r["acl"])
    record = SourceRecord(
        source=r["source"],
        external_id=r["external_id"],
        system=r["system"],
        content=None if r.get("content") is None else base64.b64decode(r["content"], validate=True),
        fields=None if r.get("fields") is None else decode(r["fields"]),
        updated_at=None if r.get("updated_at") is None else datetime.fromisoformat(r["updated_at"]),
        metadata=decode(r.get("metadata", {})),
        **optional,
    )
    return Pending(record, str(row["content_hash"]), bool(row["is_new"]), int(row.get("failures", 0)))


READERS: dict[int, Callable[[dict[str, Any]], Pending]] = {1: _pending_v1}

# values JSON has no type for, as {"$type": name, "value": text}; a dict holding a "$type" key as "dict"
_TAGGED: dict[type, tuple[str, Callable[[Any], Any]]] = {
    datetime: ("datetime", lambda v: v.isoformat()),
    date: ("date", lambda v: v.isoformat()),
    time: ("time", lambda v: v.isoformat()),
    Decimal: ("decimal", str),
    bytes: ("bytes", lambda v: base64.b64encode(v).decode("ascii")),
    float: ("float", repr),  # only NaN and infinities: finite floats are JSON numbers
}
_UNTAG: dict[str, Callable[[Any], Any]] = {
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "time": time.fromisoformat,
    "decimal": Decimal,
    "bytes": lambda v: base64.b64decode(v, validate=True),
    "float": float,
    "tuple": lambda v: tuple(decode(x) for x in v),
    "set": lambda v: {decode(x) for x in v},
    "dict": lambda v: {decode(k): decode(x) for k, x in v},
}


def encode(value: Any) -> Any:
    """A metadata or field value as plain JSON (TypeError for a type a staged batch cannot hold)."""
    if (
        value is None
        or isinstance(value, bool | int | str)
        or (isinstance(value, float) and math.isfinite(value))
    ):
        return value
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"$type": "tuple", "value": [encode(v) for v in value]}
    if isinstance(value, set | frozenset):
        return {"$type": "set", "value": sorted((encode(v) for v in value), key=_dumps)}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and "$type" not in value:
            return {k: encode(v) for k, v in value.items()}
        return {"$type": "dict", "value": [[encode(k), encode(v)] for k, v in value.items()]}
    for kind, (name, text) in _TAGGED.items():  # datetime before date: a datetime is a date
        if isinstance(value, kind):
            return {"$type": name, "value": text(value)}
    raise TypeError(f"a value of type {type(value).__name__} cannot be staged")


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if "$type" in value:
            return _UNTAG[value["$type"]](value["value"])
        return {k: decode(v) for k, v in value.items()}
    return value


def planned_at(manifest: dict[str, Any]) -> datetime:
    """When a run was planned (its manifest says; an older manifest without it: long ago)."""
    text = manifest.get("planned_at")
    return datetime.fromisoformat(text) if isinstance(text, str) else datetime(2000, 1, 1, tzinfo=UTC)
