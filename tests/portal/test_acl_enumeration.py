"""ACL enumeration of the portal on the bundled samples, on both backends (issue 13): for every demo user of
kmingest.yaml, every search mode, a fixed set of English and Chinese queries, every page of their results,
every facet value (department, system, type, year) opened as a filter, and every document id through the
JSON API and the HTML page (every forbidden id; every fifth readable one, since rendering is the slow
part), what the user gets is compared with ACLs derived here, independently of the index, from the raw
exports (CRM visibility columns, the OA manifest's permissions, shared-drive sidecars, the source defaults
of kmingest.yaml): 0 leaks. Forbidden ids must answer exactly like a missing id.

Counts are checked too: a total and each facet count equal the readable documents the user can page
through (bm25: exactly the readable part of everything that matches, as an admin sees it), and every
highlighted snippet is a passage of a document the user may read. An empty ACL is readable by admins only.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from kmingest.config import Config, load_config
from kmingest.index.base import Caller, IndexBackend, SearchRequest
from kmingest.index.elastic import ElasticIndex
from kmingest.portal import create_app
from kmingest.workspace import Workspace
from tests.portal.acl_truth import expected_acls, principals_of

ES_URL = os.environ.get("KMINGEST_ES_URL", "http://127.0.0.1:9200")
QUERIES = (
    "",
    "valve",
    "calibration torque",
    "salary bands",
    "discount approval",
    "质量",
    "离心泵",
    "薪酬管理",
    "layoff",
)
DRILL_QUERIES = ("valve", "质量")  # every facet value of these is opened as a filter, in every mode
MODES = ("bm25", "vector", "hybrid")
SECRET = "enumeration-session-secret-0123456789abcdef0123456789abcdef"
HREF_RE = re.compile(r'href="/documents/([^"?#]+)')


# ---- the portal on one backend ---------------------------------------------------------------------------
@dataclass
class Doc:
    doc_id: str
    title: str
    department: str
    system: str
    doc_type: str
    text: str
    acl: frozenset[str]


@dataclass
class Setup:
    backend: str
    config: Config
    ws: Workspace
    client: TestClient
    docs: dict[str, Doc]
    readable: dict[str, frozenset[str]]  # user -> doc ids
    tokens: dict[str, str]

    def api(self, user: str, path: str, **params: Any) -> Any:
        response = self.client.get(
            path, params=params, headers={"authorization": f"Bearer {self.tokens[user]}"}
        )
        assert response.status_code == 200, (self.backend, user, path, params, response.text[:300])
        return response.json()


def _es_config(project: Path, work: Path) -> Path:
    data = yaml.safe_load((project / "kmingest.yaml").read_text(encoding="utf-8"))
    data["state_dir"] = str(work / "state")
    data["index"] = {
        "backend": "elasticsearch",
        "url": ES_URL,
        "index_prefix": f"kmingest-acl-{uuid.uuid4().hex[:8]}",
    }
    data["embedding"] = {**data["embedding"], "cache_path": str(work / "state" / "embeddings.db")}
    (work / "state").mkdir(parents=True)
    shutil.copy(project / ".kmingest" / "embeddings.db", work / "state" / "embeddings.db")  # no re-embedding
    for name in ("samples", "knowledge_map.yaml"):
        (work / name).symlink_to(project / name)
    path = work / "kmingest.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(
    scope="module", params=["embedded", pytest.param("elasticsearch", marks=pytest.mark.integration)]
)
def setup(
    request: pytest.FixtureRequest, sample_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    backend = str(request.param)
    path = sample_project / "kmingest.yaml"
    if backend == "elasticsearch":
        path = _es_config(sample_project, tmp_path_factory.mktemp("acl-es"))
    config = load_config(path)
    principals = principals_of(sample_project)
    tokens = {user: f"token-{user}-{uuid.uuid4().hex}" for user in principals}
    mp = pytest.MonkeyPatch()
    mp.setenv("KMINGEST_SESSION_SECRET", SECRET)
    mp.setenv("KMINGEST_API_TOKENS", ",".join(f"{t}={u}" for u, t in tokens.items()))
    ws = Workspace(config)
    try:
        if backend == "elasticsearch":
            stats = ws.ingest([s.name for s in config.sources])
            assert all(s.failed < 10 for s in stats.values()), stats
        acl_of = expected_acls(sample_project)
        docs: dict[str, Doc] = {}
        for fact in ws.index.document_facts(Caller.system()):
            stored = ws.index.get_document(fact.doc_id, Caller.system())
            assert stored is not None
            acl = acl_of(fact.source, fact.external_id)
            assert acl is not None, f"indexed but not in the exports: {fact.source} {fact.external_id}"
            docs[fact.doc_id] = Doc(
                fact.doc_id,
                str(stored["title"]),
                fact.department,
                fact.system,
                fact.doc_type,
                str(stored.get("text", "")),
                acl,
            )
        readable = {u: frozenset(d for d, doc in docs.items() if doc.acl & p) for u, p in principals.items()}
        with TestClient(create_app(config, ws)) as client:
            yield Setup(backend, config, ws, client, docs, readable, tokens)
    finally:
        if isinstance(ws.index, ElasticIndex):
            ws.index.layout.drop()
        ws.close()
        mp.undo()


# ---- the tests -------------------------------------------------------------------------------------------
def test_the_index_holds_every_valid_sample_record_with_the_acl_of_its_export(
    setup: Setup, sample_project: Path
) -> None:
    expected = json.loads((sample_project / "samples" / "expected.json").read_text(encoding="utf-8"))
    systems = Counter(d.system for d in setup.docs.values())
    for name in ("erp", "crm", "oa"):
        assert systems[name.upper()] == expected["systems"][name]["valid_documents"], (setup.backend, systems)
    for doc in setup.docs.values():
        stored = setup.ws.index.get_document(doc.doc_id, Caller.system())
        assert stored is not None and frozenset(stored["acl"]) == doc.acl, doc.doc_id
    sizes = {u: len(ids) for u, ids in setup.readable.items()}
    assert len(set(sizes.values())) > 2, sizes  # the users really see different documents
    assert all(0 < n < len(setup.docs) for n in sizes.values()), sizes


def _all_hits(
    setup: Setup, user: str, q: str, mode: str, **filters: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The first page's response and the hits of every page, paged through as the user."""
    first = setup.api(user, "/api/search", q=q, mode=mode, size=100, **filters)
    hits = list(first["hits"])
    for page in range(2, first["pages"] + 1):
        hits += setup.api(user, "/api/search", q=q, mode=mode, size=100, page=page, **filters)["hits"]
    return first, hits


def _check_hits(setup: Setup, user: str, where: Any, hits: list[dict[str, Any]]) -> None:
    leaked = [h["doc_id"] for h in hits if h["doc_id"] not in setup.readable[user]]
    assert not leaked, (setup.backend, user, where, [setup.docs[d].title for d in leaked if d in setup.docs])
    for h in hits:
        doc = setup.docs[h["doc_id"]]
        assert h["title"] == doc.title
        passage = " ".join(h["snippet"].replace("…", " ").split())
        assert passage in " ".join(doc.text.split()) or passage in " ".join(doc.title.split()), (where, h)


def _facet_counts(hits: list[dict[str, Any]]) -> dict[str, Counter[str]]:
    return {name: Counter(str(h[name]) for h in hits) for name in ("department", "system", "doc_type")}


@pytest.mark.parametrize("mode", MODES)
def test_searches_pages_totals_and_facets_hold_only_readable_documents(setup: Setup, mode: str) -> None:
    for user in setup.readable:
        for q in QUERIES:
            where = (user, mode, q)
            first, hits = _all_hits(setup, user, q, mode)
            _check_hits(setup, user, where, hits)
            ids = [h["doc_id"] for h in hits]
            assert len(ids) == len(set(ids)) == first["total"], where  # every counted result can be paged to
            counted = _facet_counts(hits)
            for name in ("department", "system", "doc_type"):
                assert {f["value"]: f["count"] for f in first["facets"][name]} == dict(counted[name]), where
            if mode == "bm25" and q:  # exactly the readable part of everything that matches
                assert set(ids) == _bm25_matches(setup, q) & setup.readable[user], where
            if q in DRILL_QUERIES:
                _drill_down(setup, user, q, mode, first)


@cache
def _bm25_matches_of(index: IndexBackend, q: str) -> frozenset[str]:
    everything = index.search(SearchRequest(query=q, mode="bm25", limit=1000), Caller.system())
    return frozenset(h.doc_id for h in everything.hits)


def _bm25_matches(setup: Setup, q: str) -> frozenset[str]:
    """Every document that matches `q` in bm25 mode, as an admin (straight from the index)."""
    return _bm25_matches_of(setup.ws.index, q)


def _drill_down(setup: Setup, user: str, q: str, mode: str, first: dict[str, Any]) -> None:
    """Each facet value opened as a filter: its count is what the filtered search returns, all readable."""
    params = {"department": "dept", "system": "system", "doc_type": "type", "year": "year"}
    for name, param in params.items():
        for facet in first["facets"][name]:
            where = (user, mode, q, name, facet["value"])
            narrowed, hits = _all_hits(setup, user, q, mode, **{param: facet["value"]})
            _check_hits(setup, user, where, hits)
            assert narrowed["total"] == facet["count"] == len(hits), where
            if name != "year":
                assert {str(h[name]) for h in hits} == {facet["value"]}, where


def test_every_document_id_answers_only_readers(setup: Setup) -> None:
    missing = "0" * 64
    for user, readable in setup.readable.items():
        none_api = setup.client.get(
            f"/api/documents/{missing}", headers={"authorization": f"Bearer {setup.tokens[user]}"}
        )
        assert none_api.status_code == 404
        for doc_id, doc in setup.docs.items():
            response = setup.client.get(
                f"/api/documents/{doc_id}", headers={"authorization": f"Bearer {setup.tokens[user]}"}
            )
            if doc_id in readable:
                assert response.status_code == 200 and response.json()["title"] == doc.title
            else:  # forbidden answers exactly like missing
                assert (response.status_code, response.content) == (404, none_api.content), (user, doc_id)


def _sign_in(client: TestClient, user: str) -> None:
    client.cookies.clear()
    response = client.post("/login", data={"username": user, "next": "/search"}, follow_redirects=False)
    assert response.status_code == 303, response.text[:300]


def test_html_pages_show_only_readable_documents(setup: Setup) -> None:
    client = setup.client
    secret_titles = {d.title for d in setup.docs.values() if len(d.title) >= 8}
    try:
        for user, readable in setup.readable.items():
            _sign_in(client, user)
            unreadable_titles = secret_titles - {setup.docs[d].title for d in readable}
            for q in QUERIES:
                for page in (1, 2, 3):
                    body = client.get("/search", params={"q": q, "page": page}).text
                    shown = set(HREF_RE.findall(body))
                    assert shown <= readable, (user, q, page, shown - readable)
                    leaked = [t for t in unreadable_titles if html.escape(t) in body]
                    assert not leaked, (user, q, page, leaked)
            missing = client.get(f"/documents/{'0' * 64}")
            assert missing.status_code == 404
            for n, (doc_id, doc) in enumerate(setup.docs.items()):
                if doc_id in readable and n % 5:
                    continue  # every forbidden id, and every fifth readable one (rendering is the slow part)
                response = client.get(f"/documents/{doc_id}", params={"q": "valve"})
                if doc_id in readable:
                    assert response.status_code == 200 and html.escape(doc.title) in response.text
                else:
                    assert (response.status_code, response.text) == (404, missing.text), (user, doc_id)
    finally:
        client.cookies.clear()
