"""The index contract: every backend must pass these tests unchanged.

A backend test module provides a `backend` fixture (a fresh, empty index) and imports this module's tests
with `from tests.index.contract import *`. Documents are embedded with the real default models (English
and Chinese chunks land in different vector spaces) and queries go through kmingest.search.embed_query,
so each query is searched with its own script's model, floor and fusion weight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from kmingest.chunking import chunk_document
from kmingest.config import Config
from kmingest.embedding import Embedder
from kmingest.index.base import Caller, Filters, IndexBackend, IndexError_, SearchRequest, SearchResult
from kmingest.models import Document, document_id, sha256_hex
from kmingest.search import embed_query

CONFIG = Config()

ALICE_SALES = Caller(frozenset({"public", "user:alice", "dept:Sales"}))
HANA_HR = Caller(frozenset({"public", "user:hana", "dept:HR"}))


def make_doc(ext_id: str, title: str, text: str, department: str = "Quality", system: str = "oa",
             acl: Sequence[str] = ("public",), doc_type: str = "policy",
             updated: datetime | None = None) -> Document:  # fmt: skip
    return Document(
        doc_id=document_id("contract", ext_id), source="contract", external_id=ext_id, system=system,
        title=title, text=text, sections=(), doc_type=doc_type, department=department, acl=tuple(acl),
        content_hash=sha256_hex(text), updated_at=updated or datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip


CORPUS = [
    make_doc("leave", "Annual leave policy", "Employees receive ten working days of paid annual leave. "
             "Vacation requests are approved by the line manager.", department="HR", system="oa",
             updated=datetime(2026, 3, 1, tzinfo=UTC)),
    make_doc("calib", "Calibration rules", "Torque wrenches are calibrated every six months. Gauges out of "
             "tolerance are locked.", department="Quality", system="erp", doc_type="sop",
             updated=datetime(2025, 6, 1, tzinfo=UTC)),
    make_doc("zh", "来料检验规程", "质量部检验员按照抽样计划对每批来料进行检验。不合格品移入隔离区。",
             department="Quality", system="oa"),
    make_doc("price", "Secret discount list", "Key account Huadong gets a 31% discount on valve bodies.",
             department="Sales", system="crm", acl=("dept:Sales",), doc_type="note"),
    make_doc("xss", "Escaping <b>test</b>", "The string <script>alert('x')</script> must be shown as text "
             "in a valve report.", department="R&D", system="oa"),
]  # fmt: skip


def index_docs(backend: IndexBackend, embedder: Embedder, docs: Sequence[Document]) -> None:
    backend.ensure_spaces(embedder.spaces)
    items = []
    for doc in docs:
        chunks = chunk_document(doc)
        items.append((doc, chunks, embedder.embed(chunks)))
    backend.upsert(items)


def query(backend: IndexBackend, embedder: Embedder, text: str, caller: Caller = Caller.anonymous(),
          mode: str = "hybrid", filters: Filters = Filters(), limit: int = 10):  # type: ignore[no-untyped-def]  # fmt: skip
    semantic = embed_query(embedder, CONFIG, text, mode)  # type: ignore[arg-type]
    return backend.search(SearchRequest(query=text, mode=mode, filters=filters, limit=limit),  # type: ignore[arg-type]
                          caller, semantic)  # fmt: skip


def ext_ids(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.external_id for h in result.hits]


@pytest.fixture
def loaded(backend: IndexBackend, embedder: Embedder) -> IndexBackend:
    index_docs(backend, embedder, CORPUS)
    return backend


def test_bm25_finds_keyword_and_highlights_it(loaded, embedder) -> None:  # type: ignore[no-untyped-def]
    result = query(loaded, embedder, "torque wrenches", mode="bm25")
    assert ext_ids(result)[0] == "calib"
    assert "<mark>Torque</mark>" in result.hits[0].snippet_html
    assert "<mark>wrenches</mark>" in result.hits[0].snippet_html


def test_stemming_matches_other_word_forms(loaded, embedder) -> None:  # type: ignore[no-untyped-def]
    assert "calib" in ext_ids(query(loaded, embedder, "calibrating wrench", mode="bm25"))


def test_two_character_chinese_query_matches_inside_longer_text(loaded, embedder) -> None:  # type: ignore[no-untyped-def]
    result = query(loaded, embedder, "质量", mode="bm25")
    assert ext_ids(result) == ["zh"]
    assert "<mark>质量</mark>" in result.hits[0].snippet_html
    assert ext_ids(query(loaded, embedder, "隔离区", mode="bm25")) == ["zh"]


def test_vector_mode_finds_meaning_without_shared_words(loaded, embedder) -> None:  # type: ignore[no-untyped-def]
    assert ext_ids(query(loaded, embedder, "holiday entitlement for staff", mode="vector"))[0] == "leave"


def test_similarity_floor_drops_unrelated_neighbours_and_their_counts(loaded, embedder) -> None:  # type: ignore[no-untyped-def]
    def unfloored(text: str) -> SearchResult:
        semantic = replace(embed_query(embedder, CONFIG, text), min_similarity=None)  # type: ignore[type-var]
        return loaded.search(SearchRequest(query=text), Caller.anonymous(), semantic)  # type: ignore[no-any-return]

    for unrelated in ("football world cup final score", "世界杯足球决赛比分"):
        assert unfloored(unrelated).total > 0  # without a floor: the nearest documents anyway
        for mode in ("hybrid", "vector"):
            result = query(loaded, embedder, unrelated, mode=mode)
            assert (result.hits, result.total) == ([], 0)
            assert all(not values for values in result.facets.values())
    assert ext_ids(query(loaded, embedder, "holiday entitlement for staff", mode="vector"))[:1] == ["leave"]
    assert ext_ids(query(loaded, embedder, "torque wrenches"))[0] == "calib"  # related: still found
    assert ext_ids(query(loaded, embedder, "来料抽样检验", mode="vector")) == ["zh"]


def test_hybrid_ranks_the_document_both_rankings_agree_on(loaded, embedder) -> None:  # type: ignore[no-untyped-def]
    assert ext_ids(query(loaded, embedder, "how often are torque wrenches calibrated"))[0] == "calib"


def test_acl_hides_document_hits_counts_facets_and_fetch(loaded, embedder) -> None:  # type: ignore[no-untyped-def]
    for caller in (Caller.anonymous(), HANA_HR):
        result = query(loaded, embedder, "discount Huadong", caller=caller)
        assert "price" not in ext_ids(result)
        assert all("Huadong" not in h.snippet_html for h in result.hits)
        assert "Sales" not in dict(result.facets["department"])
        assert ("Sales",) not in loaded.counts(caller, ["department"])
        assert loaded.get_document(document_id("contract", "price"), caller) is None
    result = query(loaded, embedder, "discount Huadong", caller=ALICE_SALES)
    assert ext_ids(result)[0] == "price"
    assert dict(result.facets["department"])["Sales"] == 1
    assert loaded.get_document(document_id("contract", "price"), ALICE_SALES) is not None
    assert "price" in ext_ids(query(loaded, embedder, "discount Huadong", caller=Caller.system()))


def test_filters_restrict_results_and_facets(loaded, embedder) -> None:  # type: ignore[no-untyped-def]
    only_hr = query(loaded, embedder, "policy rules", filters=Filters(departments=("HR",)))
    assert ext_ids(only_hr) == ["leave"]
    assert only_hr.facets["department"] == [("HR", 1)]
    erp = query(loaded, embedder, "", filters=Filters(systems=("erp",)))
    assert ext_ids(erp) == ["calib"]
    sops = query(loaded, embedder, "", filters=Filters(doc_types=("sop",)))
    assert ext_ids(sops) == ["calib"]
    recent = query(loaded, embedder, "", filters=Filters(updated_from=datetime(2026, 2, 1, tzinfo=UTC)))
    assert ext_ids(recent) == ["leave"]
    old = query(loaded, embedder, "", filters=Filters(updated_to=datetime(2025, 12, 31, tzinfo=UTC)))
    assert ext_ids(old) == ["calib"]


def test_browse_lists_readable_documents_newest_first(loaded, embedder) -> None:  # type: ignore[no-untyped-def]
    result = query(loaded, embedder, "")
    assert result.total == 4  # the Sales-only document is not counted for an anonymous caller
    assert ext_ids(result)[0] == "leave"
    assert ext_ids(result)[-1] == "calib"


def test_snippets_escape_html_from_documents(loaded, embedder) -> None:  # type: ignore[no-untyped-def]
    result = query(loaded, embedder, "script alert valve report", mode="bm25")
    hit = next(h for h in result.hits if h.external_id == "xss")
    assert "<script" not in hit.snippet_html
    assert (
        "&lt;<mark>script</mark>&gt;<mark>alert</mark>(&#x27;x&#x27;)&lt;/<mark>script</mark>&gt;"
        in hit.snippet_html
    )


def test_upsert_replaces_instead_of_duplicating(loaded, embedder) -> None:  # type: ignore[no-untyped-def]
    before = loaded.stats()
    changed = make_doc("calib", "Calibration rules", "Gauges are calibrated yearly by an external lab.",
                       department="Quality", system="erp", doc_type="sop")  # fmt: skip
    index_docs(loaded, embedder, [changed])
    assert loaded.stats()["documents"] == before["documents"]
    assert ext_ids(query(loaded, embedder, "torque wrenches", mode="bm25")) == []
    assert ext_ids(query(loaded, embedder, "external lab", mode="bm25")) == ["calib"]


def test_delete_removes_document_chunks_and_counts(loaded, embedder) -> None:  # type: ignore[no-untyped-def]
    docs_before = loaded.stats()["documents"]
    assert loaded.delete([document_id("contract", "calib"), document_id("contract", "missing")]) == 1
    assert loaded.stats()["documents"] == docs_before - 1
    assert ext_ids(query(loaded, embedder, "torque wrenches")) == [] or "calib" not in ext_ids(
        query(loaded, embedder, "torque wrenches"))  # fmt: skip
    assert ("erp",) not in loaded.counts(Caller.system(), ["system"])


def test_counts_group_by_department_and_system(loaded) -> None:  # type: ignore[no-untyped-def]
    counts = loaded.counts(Caller.system(), ["department", "system"])
    assert counts == {("HR", "oa"): 1, ("Quality", "erp"): 1, ("Quality", "oa"): 1, ("Sales", "crm"): 1,
                      ("R&D", "oa"): 1}  # fmt: skip


def test_refuses_a_different_embedding_model(loaded, embedder) -> None:  # type: ignore[no-untyped-def]
    assert loaded.stored_spaces() == embedder.spaces
    loaded.ensure_spaces(embedder.spaces)  # the same models: fine
    with pytest.raises(IndexError_, match=r"bge-small-zh-v1\.5-q \(512-d\).*not.*some-other-model"):
        loaded.ensure_spaces({"some-other-model": 768})


def test_vectors_must_match_chunks(backend, embedder) -> None:  # type: ignore[no-untyped-def]
    doc = CORPUS[0]
    with pytest.raises(ValueError):
        backend.upsert([(doc, chunk_document(doc), [])])


def test_document_facts_list_metadata_sizes_and_chunks_acl_filtered(loaded) -> None:  # type: ignore[no-untyped-def]
    from kmingest.index.base import text_fingerprint

    facts = {f.external_id: f for f in loaded.document_facts(Caller.system())}
    assert set(facts) == {d.external_id for d in CORPUS}
    for doc in CORPUS:
        f = facts[doc.external_id]
        assert (f.doc_id, f.source, f.system, f.department, f.doc_type, f.title) == (
            doc.doc_id, doc.source, doc.system, doc.department, doc.doc_type, doc.title)  # fmt: skip
        assert f.updated_at == doc.updated_at
        assert f.text_chars == len(doc.text.strip())
        assert f.text_fingerprint == text_fingerprint(doc.text)
        assert f.chunks == len(chunk_document(doc)) and f.embedded_chunks == f.chunks >= 1
        assert f.public == ("public" in doc.acl)
    assert text_fingerprint("A  b\nC") == text_fingerprint("a b c")
    anonymous = {f.external_id for f in loaded.document_facts(Caller.anonymous())}
    assert anonymous == {d.external_id for d in CORPUS} - {"price"}
    only_oa = {f.external_id for f in loaded.document_facts(Caller.system(), Filters(systems=("oa",)))}
    assert only_oa == {"leave", "zh", "xss"}


def test_range_counts_are_what_each_date_filter_returns(loaded, embedder) -> None:  # type: ignore[no-untyped-def]
    years = tuple(
        (datetime(y, 1, 1, tzinfo=UTC), datetime(y, 12, 31, 23, 59, 59, tzinfo=UTC)) for y in (2026, 2025)
    )
    ranges = (*years, (None, datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)))
    browse = loaded.search(SearchRequest(query="", count_ranges=ranges), Caller.system(), None)
    assert browse.range_counts == [4, 1, 1]
    # vector_k=1: each year's own nearest neighbour differs from the unfiltered one (the count is not a split)
    for text, mode, k in (("valve", "hybrid", 50), ("annual leave for staff", "hybrid", 1),
                          ("annual leave for staff", "vector", 1), ("来料检验", "hybrid", 50), ("质量", "bm25", 50)):  # fmt: skip
        semantic = embed_query(embedder, CONFIG, text, mode)  # type: ignore[arg-type]
        request = SearchRequest(query=text, mode=mode, vector_k=k, count_ranges=ranges)  # type: ignore[arg-type]
        result = loaded.search(request, Caller.system(), semantic)
        assert result.total > 0
        expected = [loaded.search(replace(request, count_ranges=(), limit=0,
                                          filters=Filters(updated_from=lo, updated_to=hi)), Caller.system(), semantic).total
                    for lo, hi in ranges]  # fmt: skip
        assert result.range_counts == expected, (text, mode, k)
    assert query(loaded, embedder, "valve").range_counts is None  # only when asked for


FORKLIFT = "Forklift drivers renew their licence every three years at the plant safety office."
COPIES = [
    make_doc("inbox/1", "Forklift licence", FORKLIFT, department="HR", updated=datetime(2026, 5, 1, tzinfo=UTC)),
    # the same text with other case and line breaks: the same fingerprint
    make_doc("archive/1", "RE: Forklift licence", FORKLIFT.upper().replace(" at ", "\n at "),
             department="Production", updated=datetime(2026, 5, 2, tzinfo=UTC)),
    make_doc("sales/1", "Forklift licence", FORKLIFT, acl=("dept:Sales",), updated=datetime(2026, 5, 3, tzinfo=UTC)),
    make_doc("fleet", "Forklift fleet", "The forklift fleet is leased; the lease renews every three years.",
             updated=datetime(2026, 4, 1, tzinfo=UTC)),
]  # fmt: skip


def test_exact_duplicates_collapse_into_one_hit_that_lists_the_readable_copies(backend, embedder) -> None:  # type: ignore[no-untyped-def]
    index_docs(backend, embedder, COPIES)
    for mode in ("hybrid", "bm25", "vector"):
        result = query(backend, embedder, "forklift licence renewal", caller=HANA_HR, mode=mode)
        found = ext_ids(result)
        assert "sales/1" not in found  # not readable: neither a hit ...
        copy_hits = [h for h in result.hits if h.external_id in ("inbox/1", "archive/1")]
        assert len(copy_hits) == 1, (mode, found)  # one hit for both readable copies
        head = copy_hits[0]
        other = "archive/1" if head.external_id == "inbox/1" else "inbox/1"
        assert [d.external_id for d in head.duplicates] == [other]  # ... nor listed
        assert head.duplicates[0].source == "contract" and head.duplicates[0].doc_id == document_id(
            "contract", other
        )
        assert result.total == len(result.hits)  # totals count groups, as the page shows them
    as_sales = query(backend, embedder, "forklift licence renewal", caller=ALICE_SALES, mode="bm25")
    head = next(h for h in as_sales.hits if h.external_id != "fleet")
    others = {"inbox/1", "archive/1", "sales/1"} - {head.external_id}
    assert sorted(d.external_id for d in head.duplicates) == sorted(others)
    assert (as_sales.total, len(as_sales.hits)) == (2, 2)


def test_pages_browse_and_facets_count_duplicate_groups(backend, embedder) -> None:  # type: ignore[no-untyped-def]
    index_docs(backend, embedder, COPIES)
    pages = [backend.search(SearchRequest(query="forklift", mode="bm25", limit=1, offset=n), HANA_HR)
             for n in (0, 1, 2)]  # fmt: skip
    assert sorted(h.external_id in ("inbox/1", "archive/1") for p in pages for h in p.hits) == [False, True]
    assert [p.total for p in pages] == [2, 2, 2]
    browse = query(backend, embedder, "", caller=HANA_HR)
    assert ext_ids(browse) == ["archive/1", "fleet"]  # newest readable copy first; sales/1 is not readable
    assert [d.external_id for d in browse.hits[0].duplicates] == ["inbox/1"]
    assert browse.total == 2
    assert dict(browse.facets["department"]) == {"HR": 1, "Production": 1, "Quality": 1}
    production = query(backend, embedder, "forklift licence", caller=HANA_HR, mode="bm25",
                       filters=Filters(departments=("Production",)))  # fmt: skip
    assert ext_ids(production) == ["archive/1"] and production.total == 1
    assert production.hits[0].duplicates == ()  # the HR copy is outside the filter


def test_without_collapsing_every_copy_is_a_hit_and_counted(backend, embedder) -> None:  # type: ignore[no-untyped-def]
    index_docs(backend, embedder, COPIES)
    for text in ("forklift", ""):
        request = SearchRequest(query=text, mode="bm25", collapse_duplicates=False)
        result = backend.search(request, HANA_HR)  # what the knowledge map and evaluation count
        assert sorted(ext_ids(result)) == ["archive/1", "fleet", "inbox/1"]
        assert result.total == 3 and all(h.duplicates == () for h in result.hits)
        assert dict(result.facets["department"]) == {"HR": 1, "Production": 1, "Quality": 1}
