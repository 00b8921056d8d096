"""The cases of the index contract (index_contract.py holds the fixtures): keyword, vector and hybrid search,
ACLs on hits, counts, facets and fetches, keyword matches, filters, browsing, snippets, writes, the model
guard, document facts, date-range counts and duplicate collapsing. Any embedder whose vectors bring texts
that share words together passes them; the fixtures `loaded` and `copies` are shared by a class and never
written.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from kmingest.chunking import chunk_document
from kmingest.index.base import (
    Caller,
    Filters,
    IndexBackend,
    IndexError_,
    Mode,
    SearchRequest,
    text_fingerprint,
)
from kmingest.models import document_id
from kmingest.testing.index_corpus import (
    ALICE_SALES,
    CORPUS,
    HANA_HR,
    SOURCE,
    ContractSearch,
    ext_ids,
    make_doc,
)

MODES: tuple[Mode, ...] = ("hybrid", "bm25", "vector")


class IndexContractCases:
    def test_bm25_finds_keyword_and_highlights_it(self, loaded: IndexBackend, search: ContractSearch) -> None:
        result = search.query(loaded, "torque wrenches", mode="bm25")
        assert ext_ids(result)[0] == "calib"
        assert "<mark>Torque</mark>" in result.hits[0].snippet_html
        assert "<mark>wrenches</mark>" in result.hits[0].snippet_html

    def test_stemming_matches_other_word_forms(self, loaded: IndexBackend, search: ContractSearch) -> None:
        assert "calib" in ext_ids(search.query(loaded, "calibrating wrench", mode="bm25"))

    def test_two_character_chinese_query_matches_inside_longer_text(
        self, loaded: IndexBackend, search: ContractSearch
    ) -> None:
        result = search.query(loaded, "质量", mode="bm25")
        assert ext_ids(result) == ["zh"]
        assert "<mark>质量</mark>" in result.hits[0].snippet_html
        assert ext_ids(search.query(loaded, "隔离区", mode="bm25")) == ["zh"]

    def test_similarity_floor_drops_unrelated_neighbours_and_their_counts(
        self, loaded: IndexBackend, search: ContractSearch
    ) -> None:
        for unrelated in ("football world cup final score", "世界杯足球决赛比分"):
            semantic = search.semantic(unrelated)
            assert semantic is not None
            unfloored = replace(semantic, min_similarity=None)
            # without a floor: the nearest documents anyway
            assert loaded.search(SearchRequest(query=unrelated), Caller.anonymous(), unfloored).total > 0
            for mode in MODES[::2]:  # hybrid, vector
                result = search.query(loaded, unrelated, mode=mode)
                assert (result.hits, result.total) == ([], 0)
                assert all(not values for values in result.facets.values())
        assert ext_ids(search.query(loaded, "torque wrenches"))[0] == "calib"  # related: still found
        assert ext_ids(search.query(loaded, "来料抽样检验", mode="vector")) == ["zh"]

    def test_hybrid_ranks_the_document_both_rankings_agree_on(
        self, loaded: IndexBackend, search: ContractSearch
    ) -> None:
        assert ext_ids(search.query(loaded, "how often are torque wrenches calibrated"))[0] == "calib"

    def test_acl_hides_document_hits_counts_facets_and_fetch(
        self, loaded: IndexBackend, search: ContractSearch
    ) -> None:
        price = document_id(SOURCE, "price")
        for caller in (Caller.anonymous(), HANA_HR):
            result = search.query(loaded, "discount Huadong", caller=caller)
            assert "price" not in ext_ids(result)
            assert all("Huadong" not in h.snippet_html for h in result.hits)
            assert "Sales" not in dict(result.facets["department"])
            assert ("Sales",) not in loaded.counts(caller, ["department"])
            assert loaded.get_document(price, caller) is None
        result = search.query(loaded, "discount Huadong", caller=ALICE_SALES)
        assert ext_ids(result)[0] == "price"
        assert dict(result.facets["department"])["Sales"] == 1
        assert loaded.get_document(price, ALICE_SALES) is not None
        assert "price" in ext_ids(search.query(loaded, "discount Huadong", caller=Caller.system()))

    def test_keyword_matches_are_every_readable_document_a_bm25_search_matches(
        self, loaded: IndexBackend, search: ContractSearch
    ) -> None:
        for text in ("discount Huadong", "torque wrenches", "质量", "policy rules", "zzyzx"):
            for caller in (Caller.anonymous(), ALICE_SALES, Caller.system()):
                request = SearchRequest(query=text, mode="bm25", limit=100, collapse_duplicates=False)
                found = {h.doc_id for h in loaded.search(request, caller).hits}
                assert loaded.keyword_matches(text, caller) == found, (text, caller)
        price = document_id(SOURCE, "price")
        assert price not in loaded.keyword_matches("discount Huadong", HANA_HR)  # not readable
        assert price in loaded.keyword_matches("discount Huadong", ALICE_SALES)
        only_hr = loaded.keyword_matches("policy rules", Caller.system(), Filters(departments=("HR",)))
        assert only_hr == {document_id(SOURCE, "leave")}
        assert loaded.keyword_matches("", Caller.system()) == frozenset()

    def test_filters_restrict_results_and_facets(self, loaded: IndexBackend, search: ContractSearch) -> None:
        only_hr = search.query(loaded, "policy rules", filters=Filters(departments=("HR",)))
        assert ext_ids(only_hr) == ["leave"]
        assert only_hr.facets["department"] == [("HR", 1)]
        assert ext_ids(search.query(loaded, "", filters=Filters(systems=("erp",)))) == ["calib"]
        assert ext_ids(search.query(loaded, "", filters=Filters(doc_types=("sop",)))) == ["calib"]
        recent = Filters(updated_from=datetime(2026, 2, 1, tzinfo=UTC))
        assert ext_ids(search.query(loaded, "", filters=recent)) == ["leave"]
        old = Filters(updated_to=datetime(2025, 12, 31, tzinfo=UTC))
        assert ext_ids(search.query(loaded, "", filters=old)) == ["calib"]

    def test_browse_lists_readable_documents_newest_first(
        self, loaded: IndexBackend, search: ContractSearch
    ) -> None:
        result = search.query(loaded, "")
        assert result.total == 4  # the Sales-only document is not counted for an anonymous caller
        assert ext_ids(result)[0] == "leave"
        assert ext_ids(result)[-1] == "calib"

    def test_snippets_escape_html_from_documents(self, loaded: IndexBackend, search: ContractSearch) -> None:
        result = search.query(loaded, "script alert valve report", mode="bm25")
        hit = next(h for h in result.hits if h.external_id == "xss")
        assert "<script" not in hit.snippet_html
        escaped = "&lt;<mark>script</mark>&gt;<mark>alert</mark>(&#x27;x&#x27;)&lt;/<mark>script</mark>&gt;"
        assert escaped in hit.snippet_html

    def test_upsert_replaces_instead_of_duplicating(
        self, loaded_for_writes: IndexBackend, search: ContractSearch
    ) -> None:
        index = loaded_for_writes
        before = index.stats()
        text = "Gauges are calibrated yearly by an external lab."
        changed = make_doc("calib", "Calibration rules", text, "Quality", "erp", doc_type="sop")
        search.index(index, [changed])
        assert index.stats()["documents"] == before["documents"]
        assert ext_ids(search.query(index, "torque wrenches", mode="bm25")) == []
        assert ext_ids(search.query(index, "external lab", mode="bm25")) == ["calib"]

    def test_delete_removes_document_chunks_and_counts(
        self, loaded_for_writes: IndexBackend, search: ContractSearch
    ) -> None:
        index = loaded_for_writes
        docs_before = index.stats()["documents"]
        assert index.delete([document_id(SOURCE, "calib"), document_id(SOURCE, "missing")]) == 1
        assert index.stats()["documents"] == docs_before - 1
        assert "calib" not in ext_ids(search.query(index, "torque wrenches"))
        assert ("erp",) not in index.counts(Caller.system(), ["system"])

    def test_counts_group_by_department_and_system(self, loaded: IndexBackend) -> None:
        counts = loaded.counts(Caller.system(), ["department", "system"])
        expected = {("HR", "oa"), ("Quality", "erp"), ("Quality", "oa"), ("Sales", "crm"), ("R&D", "oa")}
        assert counts == dict.fromkeys(expected, 1)

    def test_refuses_a_different_embedding_model(self, loaded: IndexBackend, search: ContractSearch) -> None:
        spaces = search.embedder.spaces
        assert loaded.stored_spaces() == spaces
        loaded.ensure_spaces(spaces)  # the same models: fine
        last, dimension = sorted(spaces.items())[-1]
        with pytest.raises(IndexError_, match=rf"{last} \({dimension}-d\).*not.*some-other-model"):
            loaded.ensure_spaces({"some-other-model": 768})

    def test_vectors_must_match_chunks(self, backend: IndexBackend) -> None:
        doc = CORPUS[0]
        with pytest.raises(ValueError):
            backend.upsert([(doc, chunk_document(doc), [])])

    def test_document_facts_list_metadata_sizes_and_chunks_acl_filtered(self, loaded: IndexBackend) -> None:
        facts = {f.external_id: f for f in loaded.document_facts(Caller.system())}
        assert set(facts) == {d.external_id for d in CORPUS}
        for doc in CORPUS:
            f = facts[doc.external_id]
            assert (f.doc_id, f.source, f.system) == (doc.doc_id, doc.source, doc.system)
            assert (f.department, f.doc_type, f.title) == (doc.department, doc.doc_type, doc.title)
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

    def test_range_counts_are_what_each_date_filter_returns(
        self, loaded: IndexBackend, search: ContractSearch
    ) -> None:
        years = tuple(
            (datetime(y, 1, 1, tzinfo=UTC), datetime(y, 12, 31, 23, 59, 59, tzinfo=UTC)) for y in (2026, 2025)
        )
        ranges = (*years, (None, datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)))
        browse = loaded.search(SearchRequest(query="", count_ranges=ranges), Caller.system(), None)
        assert browse.range_counts == [4, 1, 1]
        # vector_k=1: each year's own nearest neighbour differs from the unfiltered one (not a split)
        cases: list[tuple[str, Mode, int]] = [
            ("valve", "hybrid", 50),
            ("annual leave for staff", "hybrid", 1),
            ("annual leave for staff", "vector", 1),
            ("来料检验", "hybrid", 50),
            ("质量", "bm25", 50),
        ]
        for text, mode, k in cases:
            semantic = search.semantic(text, mode)
            request = SearchRequest(query=text, mode=mode, vector_k=k, count_ranges=ranges)
            result = loaded.search(request, Caller.system(), semantic)
            assert result.total > 0
            expected = []
            for lo, hi in ranges:
                filtered = replace(
                    request, count_ranges=(), limit=0, filters=Filters(updated_from=lo, updated_to=hi)
                )
                expected.append(loaded.search(filtered, Caller.system(), semantic).total)
            assert result.range_counts == expected, (text, mode, k)
        assert search.query(loaded, "valve").range_counts is None  # only when asked for


class DuplicateCases:
    """Exact duplicates (the same text after case and whitespace folding) collapse into one hit."""

    def test_exact_duplicates_collapse_into_one_hit_that_lists_the_readable_copies(
        self, copies: IndexBackend, search: ContractSearch
    ) -> None:
        for mode in MODES:
            result = search.query(copies, "forklift licence renewal", caller=HANA_HR, mode=mode)
            found = ext_ids(result)
            assert "sales/1" not in found  # not readable: neither a hit ...
            copy_hits = [h for h in result.hits if h.external_id in ("inbox/1", "archive/1")]
            assert len(copy_hits) == 1, (mode, found)  # one hit for both readable copies
            head = copy_hits[0]
            other = "archive/1" if head.external_id == "inbox/1" else "inbox/1"
            assert [d.external_id for d in head.duplicates] == [other]  # ... nor listed
            assert head.duplicates[0].source == SOURCE
            assert head.duplicates[0].doc_id == document_id(SOURCE, other)
            assert result.total == len(result.hits)  # totals count groups, as the page shows them
        as_sales = search.query(copies, "forklift licence renewal", caller=ALICE_SALES, mode="bm25")
        head = next(h for h in as_sales.hits if h.external_id != "fleet")
        others = {"inbox/1", "archive/1", "sales/1"} - {head.external_id}
        assert sorted(d.external_id for d in head.duplicates) == sorted(others)
        assert (as_sales.total, len(as_sales.hits)) == (2, 2)

    def test_pages_browse_and_facets_count_duplicate_groups(
        self, copies: IndexBackend, search: ContractSearch
    ) -> None:
        pages = [
            copies.search(SearchRequest(query="forklift", mode="bm25", limit=1, offset=n), HANA_HR)
            for n in (0, 1, 2)
        ]
        is_copy = sorted(h.external_id in ("inbox/1", "archive/1") for p in pages for h in p.hits)
        assert is_copy == [False, True]
        assert [p.total for p in pages] == [2, 2, 2]
        browse = search.query(copies, "", caller=HANA_HR)
        # the newest readable copy first; sales/1 is not readable
        assert ext_ids(browse) == ["archive/1", "fleet"]
        assert [d.external_id for d in browse.hits[0].duplicates] == ["inbox/1"]
        assert browse.total == 2
        assert dict(browse.facets["department"]) == {"HR": 1, "Production": 1, "Quality": 1}
        production_only = Filters(departments=("Production",))
        production = search.query(copies, "forklift licence", HANA_HR, "bm25", production_only)
        assert ext_ids(production) == ["archive/1"] and production.total == 1
        assert production.hits[0].duplicates == ()  # the HR copy is outside the filter

    def test_without_collapsing_every_copy_is_a_hit_and_counted(self, copies: IndexBackend) -> None:
        for text in ("forklift", ""):
            request = SearchRequest(query=text, mode="bm25", collapse_duplicates=False)
            result = copies.search(request, HANA_HR)  # what the knowledge map and evaluation count
            assert sorted(ext_ids(result)) == ["archive/1", "fleet", "inbox/1"]
            assert result.total == 3 and all(h.duplicates == () for h in result.hits)
            assert dict(result.facets["department"]) == {"HR": 1, "Production": 1, "Quality": 1}
