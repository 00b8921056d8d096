"""The embedded SQLite backend against the shared index contract, plus what only it has (one file)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from kmingest.index.embedded import EmbeddedIndex
from tests.index.contract import *  # noqa: F403  (the contract tests)
from tests.index.contract import COPIES, CORPUS, HANA_HR, index_docs, query


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[EmbeddedIndex]:
    index = EmbeddedIndex(tmp_path / "index.db")
    yield index
    index.close()


def test_index_survives_reopening(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    first = EmbeddedIndex(tmp_path / "index.db")
    index_docs(first, embedder, CORPUS)
    first.close()
    again = EmbeddedIndex(tmp_path / "index.db")
    assert again.stats()["documents"] == len(CORPUS)
    assert query(again, embedder, "torque wrenches").hits[0].external_id == "calib"
    again.close()


def test_a_search_reads_one_committed_state_while_another_process_deletes(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    reader = EmbeddedIndex(tmp_path / "index.db")
    index_docs(reader, embedder, CORPUS)
    writer = EmbeddedIndex(tmp_path / "index.db")  # another handle: like an ingest run beside the portal
    with reader._read() as snap:
        writer.delete([d.doc_id for d in CORPUS])  # commits while the reader's snapshot is in use
        [hit] = reader._hits(
            snap, [(0, None, 1.0)], "torque"
        )  # rows for the snapshot's documents still exist
        assert hit.doc_id in {d.doc_id for d in CORPUS}
    assert reader.stats()["documents"] == 0
    assert query(reader, embedder, "torque wrenches").hits == []  # the next search sees the deletion
    writer.close()
    reader.close()


def test_document_facts_come_from_one_committed_state_while_another_process_rewrites(tmp_path: Path) -> None:
    import numpy as np

    from kmingest.chunking import chunk_document
    from kmingest.index.base import Caller
    from tests.index.contract import make_doc

    docs = [
        make_doc(f"d{i}", f"Doc {i}", f"Valve note number {i}.") for i in range(1200)
    ]  # > one fetch batch
    rng = np.random.default_rng(0)

    def items(part):  # type: ignore[no-untyped-def]
        for d in part:
            chunks = chunk_document(d)
            yield (
                d,
                chunks,
                [("test-model", v) for v in rng.standard_normal((len(chunks), 8)).astype(np.float32)],
            )

    reader = EmbeddedIndex(tmp_path / "index.db")
    reader.ensure_spaces({"test-model": 8})
    reader.upsert(list(items(docs)))
    writer = EmbeddedIndex(tmp_path / "index.db")
    facts = reader.document_facts(Caller.system())
    first = next(facts)  # the report has started reading
    # re-written under new row ids, as an ingest of changed records does
    writer.upsert(list(items(docs[:700])))
    seen = [first, *facts]
    assert len(seen) == len(docs)  # a coverage report during an ingest loses nothing
    writer.close()
    reader.close()


def test_an_index_from_before_fingerprints_is_migrated_and_collapses(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "index.db"
    first = EmbeddedIndex(path)
    index_docs(first, embedder, COPIES)
    first.close()
    with sqlite3.connect(path) as db:  # what the previous version of this format wrote
        db.execute("ALTER TABLE documents DROP COLUMN fingerprint")
        db.execute("DELETE FROM meta WHERE key = 'fingerprints'")
    again = EmbeddedIndex(path)
    result = query(again, embedder, "forklift licence", caller=HANA_HR, mode="bm25")
    assert len([h for h in result.hits if h.external_id in ("inbox/1", "archive/1")]) == 1
    with sqlite3.connect(path) as db:  # a writer of the previous version leaves the new column empty
        db.execute("UPDATE documents SET fingerprint = NULL")
        db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
    result = query(again, embedder, "forklift licence", caller=HANA_HR, mode="bm25")
    assert [len(h.duplicates) for h in result.hits if h.external_id != "fleet"] == [1]
    again.close()
