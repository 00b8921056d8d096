"""The fail-closed rule of document ACLs (issue 13), on both backends: a document with an empty ACL is
readable by nobody but admins: no demo user of kmingest.yaml (nor an anonymous caller) finds it in any
search mode, counts it in a total or facet, or fetches it by id; an admin does."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kmingest.config import Config, IndexConfig
from kmingest.index.base import Caller, IndexBackend
from kmingest.index.elastic import ElasticIndex
from kmingest.index.embedded import EmbeddedIndex
from kmingest.index.es_schema import make_client
from kmingest.testing.embedder import HashedEmbedder, hashed_embedding
from kmingest.testing.index_corpus import ContractSearch, ext_ids, make_doc
from tests.portal.acl_truth import principals_of
from tests.portal.conftest import REPO

ES_URL = os.environ.get("KMINGEST_ES_URL", "http://127.0.0.1:9200")
MODES = ("bm25", "vector", "hybrid")


@pytest.fixture(params=["embedded", pytest.param("elasticsearch", marks=pytest.mark.integration)])
def fresh_index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IndexBackend]:
    index: IndexBackend
    if request.param == "embedded":
        index = EmbeddedIndex(tmp_path / "index.db")
    else:
        client = make_client(IndexConfig(backend="elasticsearch", url=ES_URL))
        index = ElasticIndex(client, f"kmingest-acl-{uuid.uuid4().hex[:8]}")
    try:
        yield index
    finally:
        if isinstance(index, ElasticIndex):
            index.layout.drop()
        index.close()


@pytest.fixture(scope="module")
def search() -> ContractSearch:
    """Hashed vectors: the subject is the ACL filter in every mode, not the model."""
    config = Config.model_validate({"embedding": hashed_embedding()})
    return ContractSearch(HashedEmbedder(config.embedding.routes()), config)


def test_an_empty_acl_is_readable_by_admins_only(fresh_index: IndexBackend, search: ContractSearch) -> None:
    text = "The restructuring plan for line four moves the valve assembly to the new hall in 2027."
    nobody = make_doc("nobody", "Restructuring plan line four", text, department="HR", acl=())
    everyone = make_doc("everyone", "Line four valve assembly", "Line four assembles valve bodies.")
    search.index(fresh_index, [nobody, everyone])
    callers = {user: Caller(p) for user, p in principals_of(REPO).items()} | {"anonymous": Caller.anonymous()}
    for user, caller in callers.items():
        for mode in MODES:
            result = search.query(fresh_index, "restructuring plan line four valve", caller, mode)
            assert ext_ids(result) == ["everyone"] and result.total == 1, (user, mode)
            assert {v: n for name in result.facets for v, n in result.facets[name]} == {
                "Quality": 1,
                "oa": 1,
                "policy": 1,
            }, (user, mode)
        assert fresh_index.get_document(nobody.doc_id, caller) is None, user
    admin = Caller(frozenset({"public", "user:km-admin"}), admin=True)
    assert fresh_index.get_document(nobody.doc_id, admin) is not None
    found = search.query(fresh_index, "restructuring plan", admin, "bm25")
    assert "nobody" in ext_ids(found)
