"""Pipeline runner: one source from connector to index, incrementally.

    connector.extract -> (content hash unchanged? skip) -> parse -> chunk -> embed -> index.upsert
    -> state.commit_records ... -> (full sync: delete what the source no longer has) -> checkpoint

Records are processed in bounded batches (memory stays flat whatever the corpus size). State for a batch is
committed only after its index write succeeded; the checkpoint only after the whole run did. A record that
fails to parse is recorded with its reason and the run goes on.
"""

from __future__ import annotations

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
from kmingest.state import RecordOutcome, RunStats, StateStore

log = logging.getLogger("kmingest.pipeline")

BATCH_DOCS = 64  # records per parse/embed/write batch: bounds memory whatever the corpus size


class Skip(Exception):
    """The record holds nothing to index (unsupported format, no text)."""


def to_document(record: SourceRecord, content_hash: str, limits: ParseLimits) -> Document:
    """Parse a record into a Document; raises ParseError (failed) or Skip (skipped)."""
    try:
        if record.content is not None:
            parsed = parse_bytes(record.content, record.filename or record.external_id, limits)
        elif record.fields is not None:
            parsed = parse_fields(record.fields, record.title)
        else:
            raise Skip("record has neither content nor fields")
    except UnsupportedFormat as err:
        raise Skip(str(err)) from None
    if not parsed.text.strip():
        raise Skip("no text extracted (empty, or only images)")
    fallback = Path(record.filename).stem if record.filename else record.external_id
    return Document(
        doc_id=record.doc_id,
        source=record.source,
        external_id=record.external_id,
        system=record.system,
        title=(record.title or parsed.title or fallback).strip()[:500],
        text=parsed.text,
        sections=parsed.sections,
        doc_type=record.doc_type or parsed.doc_type,
        department=record.department,
        acl=record.acl,
        content_hash=content_hash,
        updated_at=record.updated_at,
        author=record.author or _str(parsed.metadata.get("author")),
        url=record.url,
        metadata={**parsed.metadata, **record.metadata},
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
        since = None if self.full else _parse_checkpoint(self.state.checkpoint(name))
        for item in self.connector.extract(since):
            self.stats.seen += 1
            if self.progress:
                self.progress(self.stats.seen)
            if isinstance(item, ExtractError):
                scan.seen.add(item.external_id)
                self.stats.failed += 1
                self.state.add_dead_letter(name, item.external_id, item.reason, self.run_id)
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
            digest = item.content_hash()
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
        """After every batch was written: on a full sync delete what the source no longer has, then
        commit the checkpoint. Safe to repeat."""
        name = self.source.name
        if self.full:
            known = self.state.known(name)
            gone = [eid for eid in known if eid not in scan.seen]
            if gone:
                self.index.delete([known[eid][2] for eid in gone])
                self.state.forget(name, gone)
                self.stats.deleted = len(gone)
            self.state.prune_dead_letters(name, keep=scan.seen)
        if scan.newest is not None:
            self.state.set_checkpoint(name, scan.newest.isoformat())

    def process(self, batch: list[Pending]) -> None:
        if not batch:
            return
        outcomes: list[RecordOutcome] = []
        ready: list[tuple[Document, list[Chunk]]] = []
        stale: list[str] = []
        for p in batch:
            rec = p.record
            try:
                doc = to_document(rec, p.content_hash, self.limits)
            except (ParseError, Skip) as err:
                failed = isinstance(err, ParseError)
                self.stats.failed += failed
                self.stats.skipped += not failed
                reason = str(err) or type(err).__name__
                log.debug("%s %s: %s", "failed" if failed else "skipped", rec.external_id, reason)
                outcomes.append(RecordOutcome(rec.external_id, rec.doc_id, p.content_hash,
                                              "failed" if failed else "skipped", reason))  # fmt: skip
                if not p.is_new:
                    stale.append(rec.doc_id)  # its old version must not stay searchable
                continue
            chunks = chunk_document(
                doc, self.chunking.target_tokens, self.chunking.max_tokens, self.chunking.overlap_tokens
            )
            ready.append((doc, chunks))
            outcomes.append(
                RecordOutcome(rec.external_id, rec.doc_id, p.content_hash, "indexed", None, len(chunks))
            )
        all_chunks = [c for _, cs in ready for c in cs]
        before_computed, before_cached = self.embedder.computed, self.embedder.cached
        vectors = self.embedder.embed(all_chunks)
        self.stats.embedded += self.embedder.computed - before_computed
        self.stats.embedding_cache_hits += self.embedder.cached - before_cached
        items, offset = [], 0
        for doc, chunks in ready:
            items.append((doc, chunks, vectors[offset : offset + len(chunks)]))
            offset += len(chunks)
        self.index.upsert(items)
        if stale:
            self.index.delete(stale)
        self.state.commit_records(self.source.name, self.run_id, outcomes)
        self.stats.indexed += len(ready)
        self.stats.chunks += len(all_chunks)


def _parse_checkpoint(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
