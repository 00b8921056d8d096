"""Batches of the pipeline runner (kmingest/pipeline.py, SourceRun): what a batch holds (`Pending` records
from the scan, which a staged run also keeps between its tasks; `Ready` ones once parsed), and the batch
write: embed the chunks of a batch of parsed records and upsert them into the index. When the batch's embed
or index write raises, its records are retried one by one, so a poisoned record fails alone (the runner
records it as failed, retried next run); when every record fails, the cause is not a record (index down,
disk full) and the run fails, committing nothing for the batch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from kmingest.config import SourceConfig
from kmingest.embedding import Embedder
from kmingest.index.base import IndexBackend
from kmingest.models import Chunk, Document, SourceRecord
from kmingest.parsing.guard import describe
from kmingest.state import RunStats

log = logging.getLogger("kmingest.pipeline")


@dataclass
class Pending:
    record: SourceRecord
    content_hash: str
    is_new: bool
    failures: int = 0  # failed runs in a row on this same content before this one


@dataclass
class Scan:
    """What one extraction saw: every external id (for full-sync deletions) and the newest update time."""

    seen: set[str] = field(default_factory=set)
    newest: datetime | None = None
    covered: set[str] = field(default_factory=set)  # id prefixes an unreadable folder/file hid (not gone)

    def hides(self, external_id: str) -> bool:
        return any(external_id.startswith(prefix) for prefix in self.covered)


@dataclass
class Ready:
    """A parsed and chunked record, waiting for its embedding and index write."""

    pending: Pending
    doc: Document
    chunks: list[Chunk]


class BatchWrite:
    """The embed-and-index part of SourceRun."""

    source: SourceConfig
    index: IndexBackend
    embedder: Embedder
    stats: RunStats

    def _write(self, ready: list[Ready]) -> list[tuple[Ready, str, Exception]]:
        """Embed and index; on an error retry one by one. Returns the records that failed alone."""
        batch_error = self._embed_and_upsert(ready) if ready else None
        if batch_error is None:
            return []
        failures: list[tuple[Ready, str, Exception]] = []
        for r in ready if len(ready) > 1 else ():
            alone = self._embed_and_upsert([r])
            if alone is not None:
                failures.append((r, *alone))
        if len(ready) > 1 and len(failures) < len(ready):
            return failures  # retried one by one: only the poisoned records failed
        names = ", ".join(repr(r.pending.record.filename or r.pending.record.external_id) for r in ready[:3])
        more = ", ..." if len(ready) > 3 else ""
        stage, cause = batch_error
        log.error(
            "%s: %s failed for every record of a batch (%s%s): %s",
            self.source.name,
            stage,
            names,
            more,
            describe(cause),
        )
        raise cause  # not a record's fault: fail the run, commit nothing

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
