"""The embedded SQLite backend against the shipped index contract (kmingest.testing.index_contract: with
the real models, and with the hashed test embedder as a backend author without model files runs it), plus
what only it has (one file, read while another handle writes, a migration of an older file)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import numpy as np
import pytest

from kmingest.chunking import chunk_document
from kmingest.config import Config
from kmingest.embedding import Embedder
from kmingest.index.base import Caller, IndexBackend
from kmingest.index.embedded import EmbeddedIndex
from kmingest.testing.index_contract import IndexContract, SemanticIndexContract
from kmingest.testing.index_corpus import COPIES, CORPUS, HANA_HR, ContractSearch, make_doc


def embedded_indexes(folder: Path) -> Callable[[], AbstractContextManager[IndexBackend]]:
    count = iter(range(1_000_000))

    @contextmanager
    def open_index() -> Iterator[IndexBackend]:
        index = EmbeddedIndex(folder / f"index-{next(count)}.db")
        try:
            yield index
        finally:
            index.close()

    return open_index


class TestEmbeddedContract(SemanticIndexContract):
    @pytest.fixture(scope="class")
    @classmethod
    def open_index(
        cls, tmp_path_factory: pytest.TempPathFactory
    ) -> Callable[[], AbstractContextManager[IndexBackend]]:
        return embedded_indexes(tmp_path_factory.mktemp("embedded"))

    @pytest.fixture(scope="class")
    @classmethod
    def search(cls, embedder: Embedder) -> ContractSearch:
        return ContractSearch(embedder, Config())  # the session's real models (tests/conftest.py)


class TestEmbeddedContractHashed(IndexContract):
    @pytest.fixture(scope="class")
    @classmethod
    def open_index(
        cls, tmp_path_factory: pytest.TempPathFactory
    ) -> Callable[[], AbstractContextManager[IndexBackend]]:
        return embedded_indexes(tmp_path_factory.mktemp("embedded-hashed"))


@pytest.fixture(scope="module")
def search() -> ContractSearch:
    return ContractSearch.hashed()


def test_index_survives_reopening(tmp_path: Path, search: ContractSearch) -> None:
    first = EmbeddedIndex(tmp_path / "index.db")
    search.index(first, CORPUS)
    first.close()
    again = EmbeddedIndex(tmp_path / "index.db")
    assert again.stats()["documents"] == len(CORPUS)
    assert search.query(again, "torque wrenches").hits[0].external_id == "calib"
    again.close()


def test_a_search_reads_one_committed_state_while_another_process_deletes(
    tmp_path: Path, search: ContractSearch
) -> None:
    reader = EmbeddedIndex(tmp_path / "index.db")
    search.index(reader, CORPUS)
    writer = EmbeddedIndex(tmp_path / "index.db")  # another handle: like an ingest run beside the portal
    with reader._read() as snap:
        writer.delete([d.doc_id for d in CORPUS])  # commits while the reader's snapshot is in use
        [hit] = reader._hits(
            snap, [(0, None, 1.0)], "torque"
        )  # rows for the snapshot's documents still exist
        assert hit.doc_id in {d.doc_id for d in CORPUS}
    assert reader.stats()["documents"] == 0
    assert search.query(reader, "torque wrenches").hits == []  # the next search sees the deletion
    writer.close()
    reader.close()


def test_document_facts_come_from_one_committed_state_while_another_process_rewrites(tmp_path: Path) -> None:
    docs = [
        make_doc(f"d{i}", f"Doc {i}", f"Valve note number {i}.") for i in range(1200)
    ]  # > one fetch batch
    rng = np.random.default_rng(0)

    def items(part):  # type: ignore[no-untyped-def]
        for d in part:
            chunks = chunk_document(d)
            vectors = rng.standard_normal((len(chunks), 8)).astype(np.float32)
            yield (d, chunks, [("test-model", v) for v in vectors])

    reader = EmbeddedIndex(tmp_path / "index.db")
    reader.ensure_spaces({"test-model": 8})
    reader.upsert(list(items(docs)))
    writer = EmbeddedIndex(tmp_path / "index.db")
    facts = reader.document_facts(Caller.system())
    first = next(facts)  # the report has started reading
    writer.upsert(
        list(items(docs[:700]))
    )  # re-written under new row ids, as an ingest of changed records does
    seen = [first, *facts]
    assert len(seen) == len(docs)  # a coverage report during an ingest loses nothing
    writer.close()
    reader.close()


def test_an_index_from_before_fingerprints_is_migrated_and_collapses(
    tmp_path: Path, search: ContractSearch
) -> None:
    path = tmp_path / "index.db"
    first = EmbeddedIndex(path)
    search.index(first, COPIES)
    first.close()
    with sqlite3.connect(path) as db:  # what the previous version of this format wrote
        db.execute("ALTER TABLE documents DROP COLUMN fingerprint")
        db.execute("DELETE FROM meta WHERE key = 'fingerprints'")
    again = EmbeddedIndex(path)
    result = search.query(again, "forklift licence", caller=HANA_HR, mode="bm25")
    assert len([h for h in result.hits if h.external_id in ("inbox/1", "archive/1")]) == 1
    with sqlite3.connect(path) as db:  # a writer of the previous version leaves the new column empty
        db.execute("UPDATE documents SET fingerprint = NULL")
        db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
    result = search.query(again, "forklift licence", caller=HANA_HR, mode="bm25")
    assert [len(h.duplicates) for h in result.hits if h.external_id != "fleet"] == [1]
    again.close()
