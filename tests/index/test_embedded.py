"""The embedded SQLite backend against the shared index contract, plus what only it has (one file)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kmingest.index.embedded import EmbeddedIndex
from tests.index.contract import *  # noqa: F403  (the contract tests)
from tests.index.contract import CORPUS, index_docs, query


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
        hit = reader._hit(snap, 0, None, "torque", 1.0)  # rows for the snapshot's documents still exist
        assert hit.doc_id in {d.doc_id for d in CORPUS}
    assert reader.stats()["documents"] == 0
    assert query(reader, embedder, "torque wrenches").hits == []  # the next search sees the deletion
    writer.close()
    reader.close()
