"""Topic discovery: with the knowledge map cut in half, the removed areas come back as candidates (judged by
the sample generator's ground truth, real embedding models), and the top candidates are not noise; plus the
clustering and labelling rules on small hand-made inputs."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pytest

from kmingest.coverage.cjk_words import CjkWords
from kmingest.coverage.discovery import cluster, label_terms, newest
from kmingest.coverage.vectors import normalised
from kmingest.index.base import DocumentFacts
from kmingest.workspace import Workspace
from tests.coverage.conftest import AS_OF, SampleProject
from tests.coverage.measure_discovery import measure


def test_half_the_map_removed_comes_back_among_the_candidates(samples: SampleProject) -> None:
    expected: list[str] = []
    proposed: list[str] = []
    not_noise = judged = 0
    with Workspace(samples.config) as ws:
        for keep in (0, 1):  # remove the even areas, then the odd ones
            figures = measure(samples.config, ws, AS_OF, keep)
            expected += figures.expected
            proposed += [a for a in figures.expected if a in figures.proposed]
            not_noise, judged = not_noise + figures.top_pure, judged + figures.top_judged
    assert len(expected) == 7  # removed areas with at least two documents of their generator topics
    assert len(proposed) / len(expected) >= 0.7, (proposed, expected)
    assert len(proposed) == 7  # the figure docs/coverage.md records
    assert judged >= 20 and not_noise / judged >= 0.9, (not_noise, judged)


def test_cluster_separates_directions_and_keeps_one_for_a_single_row() -> None:
    rng = np.random.default_rng(7)
    a = normalised((np.array([1.0, 0.0, 0.0]) + 0.05 * rng.standard_normal((4, 3))).astype(np.float32))
    b = normalised((np.array([0.0, 1.0, 0.0]) + 0.05 * rng.standard_normal((3, 3))).astype(np.float32))
    labels = cluster(np.vstack([a, b]))
    assert len(set(labels[:4])) == 1 and len(set(labels[4:])) == 1 and labels[0] != labels[4]
    assert cluster(a[:1]) == [0]


def test_labels_prefer_what_sets_a_cluster_apart_and_show_whole_cjk_words() -> None:
    doc_terms = {
        "d1": {"calibr", "gaug", "lab", "record"},
        "d2": {"calibr", "gaug", "torqu", "record"},
        "d3": {"leav", "annual", "record"},
        "d4": {"leav", "annual", "record"},
    }
    terms = label_terms(["d1", "d2"], doc_terms, spellings={"calibr": "calibration", "gaug": "gauges"})
    assert (
        terms[:2] == ("calibration", "gauges") and "record" not in terms
    )  # in every document: not distinctive
    texts = ["考勤管理制度规定迟到处理", "新版考勤管理制度发布", "关于考勤管理制度的说明", "员工手册"]
    cjk_terms = {"d1": {"勤管", "手册"}, "d2": {"勤管", "员工"}, "d3": {"员工", "手册"}}
    assert label_terms(["d1", "d2"], cjk_terms, words=CjkWords(texts)) == ("考勤管理制度",)


def test_equally_distinctive_terms_come_by_how_often_the_topic_uses_them() -> None:
    # a topic of one document: every term of its own is equally rare in the department
    doc_terms = {
        "d1": Counter({"afterward": 1, "canteen": 4, "closur": 2}),
        "d2": Counter({"leav": 2, "annual": 1}),
    }
    assert label_terms(["d1"], doc_terms, top=2, spellings={"closur": "closure"}) == ("canteen", "closure")


def test_a_cjk_bigram_in_no_word_is_left_out_of_the_label() -> None:
    texts = ["报销单须在出差结束后十个工作日内提交", "借款须在出差结束后十个工作日内归还", "出差申请"]
    doc_terms = {
        "d1": Counter({"十个": 1, "报销": 1}),
        "d2": Counter({"十个": 1, "借款": 1}),
        "d3": Counter(),
    }
    assert label_terms(["d1", "d2"], doc_terms, words=CjkWords(texts)) == ()


@pytest.mark.parametrize("rows", [0, 1])
def test_cluster_of_tiny_inputs(rows: int) -> None:
    assert cluster(np.ones((rows, 3), dtype=np.float32)) == [0] * rows


def test_only_the_newest_documents_are_clustered_past_the_limit() -> None:
    def fact(doc_id: str, day: int | None) -> DocumentFacts:
        when = datetime(2026, 1, day, tzinfo=UTC) if day else None
        return DocumentFacts(
            doc_id, "s", doc_id, "OA", "HR", "docx", doc_id, None, when, 100, "f", 1, 1, True
        )

    facts = {f.doc_id: f for f in (fact("a", 3), fact("b", None), fact("c", 9), fact("d", 5))}
    assert newest(set(facts), facts, 2) == ["c", "d"]
    assert newest(set(facts), facts, 10) == ["c", "d", "a", "b"]  # undated last
