"""Pipeline runner: one source from connector to index, incrementally.

    connector.extract -> (content hash unchanged? skip) -> parse -> chunk -> embed -> index.upsert
    -> state.commit_records ... -> (full sync: delete what the source no longer has) -> checkpoint

Records are processed in bounded batches (memory stays flat whatever the corpus size). State for a batch is
committed only after its index write succeeded; the checkpoint only after the whole run did.

Every per-record step runs under one error boundary: a record that fails to parse is recorded with its
reason; an unexpected exception in parse, chunk, embed or index becomes a failed record naming the stage and
the exception type. A failed record (any kind) is retried by the next runs even when its content is
unchanged (a file still being written, a time limit hit under load), up to the source's `retry_failed` runs
in a row; then it waits for a change of content or `--force`. A failing batch write is retried record by
record (kmingest/batch_write.py). Stats count outcomes once committed, so stats and saved records agree.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from kmingest.batch_write import BatchWrite, Pending, Ready, Scan
from kmingest.chunking import chunk_document
from kmingest.config import ChunkingConfig, SourceConfig
from kmingest.connectors.base import Connector, ExtractError
from kmingest.embedding import Embedder
from kmingest.index.base import IndexBackend
from kmingest.models import SourceRecord
from kmingest.parsing.base import ParseError, ParseLimits
from kmingest.parsing.guard import describe, stable_reason
from kmingest.parsing.normalize import has_surrogates
from kmingest.record_document import Skip, to_document
from kmingest.state import Attribution, RecordOutcome, RunStats, StateStore, Status

log = logging.getLogger("kmingest.pipeline")

BATCH_DOCS = 64  # records per parse/embed/write batch: bounds memory whatever the corpus size
# ... and the raw bytes a batch holds: 64 files near limits.max_file_mb (50 MB) would otherwise be 3.2 GB;
# a batch ends before a record that would pass this (a single larger record is a batch of its own)
BATCH_BYTES = 256 * 1024 * 1024


class Interrupted(BaseException):
    """The process was asked to stop (SIGTERM): the run is recorded as interrupted, not failed."""


@dataclass
class SourceRun(BatchWrite):
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
        """The whole run in this process: start, every batch, finish, and its outcome in the run history."""
        started = time.monotonic()
        self.start()
        try:
            scan = Scan()
            for batch in self.batches(scan):
                self.process(batch)
            self.finish(scan)
        except (Interrupted, KeyboardInterrupt) as err:
            self.end("interrupted", f"interrupted: {err or 'Ctrl-C'}")
            raise
        except BaseException as err:
            self.end("failed", f"{type(err).__name__}: {err}")
            raise
        self.end("ok")
        log.info("%s: %s in %.1fs", self.source.name, self.stats.as_dict(), time.monotonic() - started)
        return self.stats

    def start(self, owned: bool = True) -> int:
        """A new run in the run history, "running". `owned`: this process runs it to the end (a staged run
        spans several processes: its scheduler reports the outcome instead of a pid being watched)."""
        self.run_id = self.state.start_run(self.source.name, self.full, owned)
        return self.run_id

    def resume(self, run_id: int, counted: RunStats | None = None, restart: bool = False) -> None:
        """Go on with a run another process started (a staged run's later steps), with what it counted so
        far; `restart`: its first step runs again, so the run is "running" again."""
        self.run_id = run_id
        self.stats = counted if counted is not None else RunStats()
        if restart:
            self.state.restart_run(run_id)

    def end(self, status: str, error: str | None = None) -> None:
        """The run's outcome ("ok", "failed", "interrupted") and its counts, in the run history."""
        self.state.finish_run(self.run_id, status, self.stats, error)

    def batches(
        self, scan: Scan, size: int | None = None, max_bytes: int = BATCH_BYTES
    ) -> Iterator[list[Pending]]:
        """The new and changed records (`scan`), in batches of `size` records (default BATCH_DOCS) and at
        most `max_bytes` of file content: memory stays flat whatever the corpus and its file sizes."""
        size = size or BATCH_DOCS
        batch: list[Pending] = []
        held = 0
        for pending in self.scan(scan):
            weight = len(pending.record.content or b"")
            if batch and held + weight > max_bytes:
                yield batch
                batch, held = [], 0
            batch.append(pending)
            held += weight
            if len(batch) >= size:
                yield batch
                batch, held = [], 0
        if batch:
            yield batch

    def scan(self, scan: Scan) -> Iterator[Pending]:
        """Extract and classify: yields the records that are new or changed since the last run; counts
        the rest, dead-letters unreadable items, and fills `scan` with what it saw."""
        name = self.source.name
        known = self.state.known(name)
        failures = self.state.failures(name)
        unattributed = self.state.unattributed(name)  # dead letters kept before they kept their attribution
        backfill: dict[str, Attribution] = {}
        retry = any(n <= self.source.retry_failed for n in failures.values())
        # records to retry may be older than the checkpoint: then the export is read whole
        since = None if self.full or retry else self.state.checkpoint_time(name)
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
                unknown = Attribution(system=self.connector.system)  # nothing else is known of it
                self.state.add_dead_letter(
                    name, item.external_id, stable_reason(item.reason), self.run_id, unknown
                )
                continue
            if item.external_id in scan.seen:
                self.stats.failed += 1
                why = "duplicate id in this export: the first one was kept"
                self.state.add_dead_letter(name, item.external_id, why, self.run_id, Attribution.of(item))
                continue
            scan.seen.add(item.external_id)
            if item.updated_at and (scan.newest is None or item.updated_at > scan.newest):
                scan.newest = item.updated_at
            try:
                digest = item.content_hash()
            except Exception as err:  # e.g. a field value whose str() raises: that record fails alone
                self.stats.failed += 1
                reason = f"hash: unexpected error: {describe(err)}"
                self.state.add_dead_letter(name, item.external_id, reason, self.run_id, Attribution.of(item))
                continue
            before = known.get(item.external_id)
            same = before is not None and before[0] == digest
            failed_before = failures.get(item.external_id, 0) if same else 0
            if same and not self.force and (not failed_before or failed_before > self.source.retry_failed):
                self.stats.unchanged += 1
                if item.external_id in unattributed:
                    backfill[item.external_id] = Attribution.of(item)
                continue
            if failed_before and not self.force:
                self.stats.retried += 1
            elif before:
                self.stats.updated += 1
            else:
                self.stats.new += 1
            yield Pending(item, digest, before is None, failed_before)
        self.state.attribute(name, backfill)

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
                doc = to_document(p.record, p.content_hash, self.limits, self.source.title_from)
                stage = "chunk"
                cfg = self.chunking
                chunks = chunk_document(doc, cfg.target_tokens, cfg.max_tokens, cfg.overlap_tokens)
                ready.append(Ready(p, doc, chunks))
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
        # an old version must not stay searchable (a retried record was not in the index: it had failed)
        replaced = [p for p in batch if not p.is_new and not p.failures]
        stale = [p.record.doc_id for p in replaced if outcomes[p.record.external_id].status != "indexed"]
        if stale:
            self.index.delete(stale)
        self.state.commit_records(self.source.name, self.run_id, list(outcomes.values()))
        self.stats.count(outcomes.values())  # only once committed: stats and saved records agree

    def _unexpected(self, p: Pending, stage: str, err: Exception) -> RecordOutcome:
        """A failed record for an exception no stage expected (retried by the next runs, as every failure)."""
        reason = f"{stage}: unexpected error: {describe(err)}"
        log.warning("%s: failed %r: %s", self.source.name, _name(p.record), reason)
        log.debug("%s: traceback of %r", self.source.name, _name(p.record), exc_info=err)
        return _outcome(p, "failed", reason)


def _outcome(p: Pending, status: Status, reason: str | None, chunks: int = 0) -> RecordOutcome:
    failures = p.failures + 1 if status == "failed" else 0
    about = Attribution.of(p.record)  # kept with its dead letter when it is not indexed
    return RecordOutcome(
        p.record.external_id, p.record.doc_id, p.content_hash, status, reason, chunks, failures, about
    )


def _name(record: SourceRecord) -> str:
    """The file (or external id) a log line names."""
    return record.filename or record.external_id
