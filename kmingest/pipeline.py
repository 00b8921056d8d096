"""Pipeline runner: one source from connector to index, incrementally.

    connector.extract -> (content hash unchanged? skip) -> parse -> chunk -> embed -> index.upsert
    -> state.commit_records ... -> (full sync: delete what the source no longer has) -> checkpoint

Records are processed in bounded batches (memory stays flat whatever the corpus size). State for a batch is
committed only after its index write succeeded; the checkpoint only after the whole run did.

Every per-record step runs under one error boundary: a record that fails to parse is recorded with its
reason; an unexpected exception in parse, chunk, embed or index becomes a failed record naming the stage and
the exception type (retried next run). When a batch's embed or index write raises, its records are retried
one by one so a poisoned record fails alone; when all of them fail, the cause is not a record (index down,
disk full) and the run fails. Stats count outcomes once committed, so stats and saved records agree.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kmingest.chunking import chunk_document
from kmingest.config import ChunkingConfig, SourceConfig
from kmingest.connectors.base import Connector, ExtractError
from kmingest.embedding import Embedder
from kmingest.index.base import IndexBackend
from kmingest.models import Chunk, Document, SourceRecord
from kmingest.parsing import parse_bytes, parse_fields
from kmingest.parsing.base import ParseError, ParseLimits, UnsupportedFormat
from kmingest.parsing.binary import check_text
from kmingest.parsing.guard import describe, stable_reason
from kmingest.parsing.normalize import clean_text, clean_value, has_surrogates, normalize_content
from kmingest.state import RecordOutcome, RunStats, StateStore, Status

log = logging.getLogger("kmingest.pipeline")

BATCH_DOCS = 64  # records per parse/embed/write batch: bounds memory whatever the corpus size


class Skip(Exception):
    """The record holds nothing to index (unsupported format, no text)."""


def to_document(record: SourceRecord, content_hash: str, limits: ParseLimits) -> Document:
    """Parse a record into a Document with normalised text; raises ParseError (failed) or Skip (skipped)."""
    try:
        if record.content is not None:
            parsed = parse_bytes(record.content, record.filename or record.external_id, limits)
        elif record.fields is not None:
            parsed = parse_fields(record.fields, record.title)
        else:
            raise Skip("record has neither content nor fields")
        check_text(parsed.text, parsed.doc_type)
    except UnsupportedFormat as err:
        raise Skip(str(err)) from None
    parsed = normalize_content(parsed)
    if not parsed.text.strip():
        raise Skip("no text extracted (empty, or only images)")
    fallback = Path(record.filename).stem if record.filename else record.external_id
    return Document(
        doc_id=record.doc_id,
        source=record.source,
        external_id=record.external_id,
        system=record.system,
        title=clean_text(record.title or parsed.title or fallback).strip()[:500],
        text=parsed.text,
        sections=parsed.sections,
        doc_type=record.doc_type or parsed.doc_type,
        department=record.department,
        acl=record.acl,
        content_hash=content_hash,
        updated_at=record.updated_at,
        author=clean_value(record.author) or _str(parsed.metadata.get("author")),
        url=clean_value(record.url),
        metadata={**parsed.metadata, **{k: clean_value(v) for k, v in record.metadata.items()}},
    )


def _str(value: object) -> str | None:
    return None if value in (None, "") else str(value)


@dataclass
class Pending:
    record: SourceRecord
    content_hash: str
    is_new: bool


@dataclass
class Scan:
    """What one extraction saw: every external id (for full-sync deletions) and the newest update time."""

    seen: set[str] = field(default_factory=set)
    newest: datetime | None = None
    covered: set[str] = field(default_factory=set)  # id prefixes an unreadable folder/file hid (not gone)

    def hides(self, external_id: str) -> bool:
        return any(external_id.startswith(prefix) for prefix in self.covered)


@dataclass
class SourceRun:
    """Runs one source; `progress` is called with the number of records handled so far."""

    source: SourceConfig
    connector: Connector
    index: IndexBackend
    embedder: Embedder
    state: StateStore
    chunking: ChunkingConfig = ChunkingConfig()
    limits: ParseLimits = ParseLimits()
    full: bool = False
    force: bool = False
    progress: Callable[[int], None] | None = None
    stats: RunStats = field(default_factory=RunStats)
    run_id: int = 0

    def run(self) -> RunStats:
        name = self.source.name
        self.run_id = self.state.start_run(name, self.full)
        started = time.monotonic()
        try:
            self._run()
        except BaseException as err:
            self.state.finish_run(self.run_id, "failed", self.stats, f"{type(err).__name__}: {err}")
            raise
        self.state.finish_run(self.run_id, "ok", self.stats)
        log.info("%s: %s in %.1fs", name, self.stats.as_dict(), time.monotonic() - started)
        return self.stats

    def _run(self) -> None:
        scan = Scan()
        batch: list[Pending] = []
        for pending in self.scan(scan):
            batch.append(pending)
            if len(batch) >= BATCH_DOCS:
                self.process(batch)
                batch = []
        self.process(batch)
        self.finish(scan)

    def scan(self, scan: Scan) -> Iterator[Pending]:
        """Extract and classify: yields the records that are new or changed since the last run; counts
        the rest, dead-letters unreadable items, and fills `scan` with what it saw."""
        name = self.source.name
        known = self.state.known(name)
        since = None if self.full else self.state.checkpoint_time(name)
        for item in self.connector.extract(since):
            self.stats.seen += 1
            if self.progress:
                self.progress(self.stats.seen)
            if has_surrogates(item.external_id):  # e.g. a file name in another encoding than UTF-8
                why = (
                    item.reason if isinstance(item, ExtractError) else "name is not valid Unicode; rename it"
                )
                covers = item.covers if isinstance(item, ExtractError) else None
                item = ExtractError(
                    item.external_id.encode("utf-8", "backslashreplace").decode("utf-8"), why, covers
                )
            if isinstance(item, ExtractError):
                scan.seen.add(item.external_id)
                if item.covers is not None:
                    scan.covered.add(item.covers)
                self.stats.failed += 1
                self.state.add_dead_letter(name, item.external_id, stable_reason(item.reason), self.run_id)
                continue
            if item.external_id in scan.seen:
                self.stats.failed += 1
                self.state.add_dead_letter(
                    name, item.external_id, "duplicate id in this export: the first one was kept", self.run_id
                )
                continue
            scan.seen.add(item.external_id)
            if item.updated_at and (scan.newest is None or item.updated_at > scan.newest):
                scan.newest = item.updated_at
            try:
                digest = item.content_hash()
            except Exception as err:  # e.g. a field value whose str() raises: that record fails alone
                self.stats.failed += 1
                reason = f"hash: unexpected error: {describe(err)}"
                self.state.add_dead_letter(name, item.external_id, reason, self.run_id)
                continue
            before = known.get(item.external_id)
            if before and before[0] == digest and not self.force:
                self.stats.unchanged += 1
                continue
            if before:
                self.stats.updated += 1
            else:
                self.stats.new += 1
            yield Pending(item, digest, before is None)

    def finish(self, scan: Scan) -> None:
        """After every batch was written: delete what the source no longer has, then commit the checkpoint.
        Safe to repeat. Deletions need a complete listing: a full sync, or a connector that lists everything
        on every run (`Connector.complete_listing`, e.g. a folder: a file moved or removed since the last run
        goes now, not at the next full sync). Ids an unreadable folder hid are kept, and a scheduled run that
        saw nothing at all (an unmounted share looks empty) deletes nothing."""
        name = self.source.name
        listed = self.full or (getattr(self.connector, "complete_listing", False) and bool(scan.seen))
        if listed:
            known = self.state.known(name)
            gone = [eid for eid in known if eid not in scan.seen and not scan.hides(eid)]
            if gone:
                self.index.delete([known[eid][2] for eid in gone])
                self.state.forget(name, gone)
                self.stats.deleted = len(gone)
        if self.full or (listed and not scan.covered):
            self.state.prune_dead_letters(name, keep=scan.seen)
        if scan.newest is not None:
            self.state.set_checkpoint(name, scan.newest.isoformat())

    def process(self, batch: list[Pending]) -> None:
        """Parse, chunk, embed and index one batch; commit its records' state; count its outcomes."""
        if not batch:
            return
        outcomes: dict[str, RecordOutcome] = {}  # by external id
        ready: list[Ready] = []
        for p in batch:
            stage = "parse"
            try:
                doc = to_document(p.record, p.content_hash, self.limits)
                stage = "chunk"
                cfg = self.chunking
                ready.append(Ready(p, doc, chunk_document(doc, cfg.target_tokens, cfg.max_tokens,
                                                          cfg.overlap_tokens)))  # fmt: skip
            except (ParseError, Skip) as err:
                status: Status = "failed" if isinstance(err, ParseError) else "skipped"
                reason = stable_reason(str(err)) or type(err).__name__
                log.info("%s: %s %r: %s", self.source.name, status, _name(p.record), reason)
                outcomes[p.record.external_id] = _outcome(p, status, reason)
            except Exception as err:
                outcomes[p.record.external_id] = self._unexpected(p, stage, err)
        for r in ready:
            outcomes[r.pending.record.external_id] = _outcome(r.pending, "indexed", None, len(r.chunks))
        for r, failed_stage, error in self._write(ready):
            outcomes[r.pending.record.external_id] = self._unexpected(r.pending, failed_stage, error)
        stale = [p.record.doc_id for p in batch
                 if not p.is_new and outcomes[p.record.external_id].status != "indexed"]  # fmt: skip
        if stale:
            self.index.delete(stale)  # an old version must not stay searchable
        self.state.commit_records(self.source.name, self.run_id, list(outcomes.values()))
        self.stats.count(outcomes.values())  # only once committed: stats and saved records agree

    def _write(self, ready: list[Ready]) -> list[tuple[Ready, str, Exception]]:
        """Embed and index; on an error retry one by one. Returns the records that failed alone."""
        batch_error = self._embed_and_upsert(ready) if ready else None
        if batch_error is None:
            return []
        failures: list[tuple[Ready, str, Exception]] = []
        for r in ready if len(ready) > 1 else ():
            error = self._embed_and_upsert([r])
            if error is not None:
                failures.append((r, *error))
        if len(ready) > 1 and len(failures) < len(ready):
            return failures  # retried one by one: only the poisoned records failed
        names = ", ".join(repr(_name(r.pending.record)) for r in ready[:3])
        log.error("%s: %s failed for every record of a batch (%s%s): %s", self.source.name, batch_error[0],
                  names, ", ..." if len(ready) > 3 else "", describe(batch_error[1]))  # fmt: skip
        raise batch_error[1]  # not a record's fault: fail the run, commit nothing

    def _embed_and_upsert(self, ready: list[Ready]) -> tuple[str, Exception] | None:
        """Embed and index; returns the stage that raised and its error, or None when all was written."""
        stage = "embed"
        try:
            before_computed, before_cached = self.embedder.computed, self.embedder.cached
            vectors = self.embedder.embed([c for r in ready for c in r.chunks])
            self.stats.embedded += self.embedder.computed - before_computed
            self.stats.embedding_cache_hits += self.embedder.cached - before_cached
            items, offset = [], 0
            for r in ready:
                items.append((r.doc, r.chunks, vectors[offset : offset + len(r.chunks)]))
                offset += len(r.chunks)
            stage = "index"
            self.index.upsert(items)
        except Exception as err:
            return stage, err
        return None

    def _unexpected(self, p: Pending, stage: str, err: Exception) -> RecordOutcome:
        """A failed record for an exception no stage expected; no content hash, so the next run retries it."""
        reason = f"{stage}: unexpected error: {describe(err)}"
        log.warning("%s: failed %r: %s", self.source.name, _name(p.record), reason)
        log.debug("%s: traceback of %r", self.source.name, _name(p.record), exc_info=err)
        return dataclasses.replace(_outcome(p, "failed", reason), content_hash="")


@dataclass
class Ready:
    """A parsed and chunked record, waiting for its embedding and index write."""

    pending: Pending
    doc: Document
    chunks: list[Chunk]


def _outcome(p: Pending, status: Status, reason: str | None, chunks: int = 0) -> RecordOutcome:
    return RecordOutcome(p.record.external_id, p.record.doc_id, p.content_hash, status, reason, chunks)


def _name(record: SourceRecord) -> str:
    """The file (or external id) a log line names."""
    return record.filename or record.external_id
