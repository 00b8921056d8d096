"""The index contract: every IndexBackend (the embedded SQLite one, Elasticsearch, a new one in another
repo) passes these tests unchanged, as Haystack's document-store test mixins do.

Subclass in a test module and provide `open_index`, a fixture of class scope (or wider) whose value is a
callable: each call returns a context manager that yields a new, empty backend and removes it on exit.

    class TestMyBackend(IndexContract):
        @pytest.fixture(scope="class")
        @classmethod
        def open_index(cls, tmp_path_factory): ...

`IndexContract` needs no model files: it indexes with the hashed test embedder (embedder.py), whose
vectors bring texts that share words together. `SemanticIndexContract` adds what needs a real model (a
meaning found without shared words) and embeds with the configured default models (`kmingest models
fetch` installs them); override its `search` fixture to use others. Read-only cases share one loaded index
per class; cases that write get their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest

from kmingest.config import Config
from kmingest.embedding import Embedder, default_model_dir
from kmingest.index.base import IndexBackend
from kmingest.testing.index_contract_cases import DuplicateCases, IndexContractCases
from kmingest.testing.index_corpus import COPIES, CORPUS, ContractSearch, ext_ids

OpenIndex = Callable[[], AbstractContextManager[IndexBackend]]


class IndexContract(IndexContractCases, DuplicateCases):
    """The contract with the hashed test embedder; a subclass provides the `open_index` fixture."""

    @pytest.fixture(scope="class")
    @classmethod
    def search(cls) -> ContractSearch:
        """What the contract indexes and searches with: the hashed test embedder and its config."""
        return ContractSearch.hashed()

    @pytest.fixture
    def backend(self, open_index: OpenIndex) -> Iterator[IndexBackend]:
        """A new, empty index for this test alone."""
        with open_index() as index:
            yield index

    @pytest.fixture(scope="class")
    @classmethod
    def loaded(cls, open_index: OpenIndex, search: ContractSearch) -> Iterator[IndexBackend]:
        """CORPUS, indexed once for the class: only for tests that do not write."""
        with open_index() as index:
            search.index(index, CORPUS)
            yield index

    @pytest.fixture
    def loaded_for_writes(self, backend: IndexBackend, search: ContractSearch) -> IndexBackend:
        """CORPUS in this test's own index, for tests that change it."""
        search.index(backend, CORPUS)
        return backend

    @pytest.fixture(scope="class")
    @classmethod
    def copies(cls, open_index: OpenIndex, search: ContractSearch) -> Iterator[IndexBackend]:
        """COPIES, indexed once for the class: only for tests that do not write."""
        with open_index() as index:
            search.index(index, COPIES)
            yield index


def default_models_search(config: Config | None = None) -> ContractSearch:
    """The config's models (default: the built-in defaults), checked to be installed."""
    config = config or Config()
    emb = config.embedding
    embedder = Embedder(emb.routes(), emb.model_dir or default_model_dir(), batch_size=32, query_cache=256)
    embedder.check()
    return ContractSearch(embedder, config)


class SemanticIndexContract(IndexContract):
    """The contract plus what needs a real model, with the default models (override `search` for others:
    a ContractSearch of an Embedder and the config naming its models)."""

    @pytest.fixture(scope="class")
    @classmethod
    def search(cls) -> ContractSearch:
        return default_models_search()

    def test_vector_mode_finds_meaning_without_shared_words(
        self, loaded: IndexBackend, search: ContractSearch
    ) -> None:
        result = search.query(loaded, "holiday entitlement for staff", mode="vector")
        assert ext_ids(result)[0] == "leave"
