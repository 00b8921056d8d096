"""Semantic area matching on the bundled samples with the real embedding models, measured against the sample
generator's ground truth (tests/coverage/area_truth.py; the same figures `python -m
tests.coverage.measure_areas` prints and docs/coverage.md records)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kmingest.coverage import write_formats
from kmingest.coverage.report import build_report
from kmingest.coverage.semantic import CALIBRATED
from kmingest.workspace import Workspace
from tests.coverage.area_truth import paraphrased
from tests.coverage.conftest import AS_OF, SampleProject
from tests.coverage.measure_areas import OaTruth, agreement, calibration, oa_truth


@pytest.fixture(scope="module")
def measured(samples: SampleProject) -> Iterator[tuple[OaTruth, Workspace]]:
    with Workspace(samples.config) as ws:
        yield oa_truth(samples.config, ws), ws


def test_the_recorded_thresholds_are_the_calibrated_ones(measured: tuple[OaTruth, Workspace]) -> None:
    truth, ws = measured
    assert len(truth.topics) == len(truth.facts) == 76  # every OA document has its generator topic
    found = calibration(truth, ws)
    assert set(found) == {"bge-small-en-v1.5-q", "bge-small-zh-v1.5-q"}
    for space, (best, f1, _) in found.items():
        assert best == CALIBRATED[space], (space, best, f1)
    assert found["bge-small-en-v1.5-q"][1] == pytest.approx(0.5263, abs=0.002)
    assert found["bge-small-zh-v1.5-q"][1] == pytest.approx(0.6098, abs=0.002)


def test_semantic_matching_agrees_with_the_truth_at_least_as_well_and_better_on_paraphrases(
    measured: tuple[OaTruth, Workspace],
) -> None:
    truth, ws = measured
    keyword, _ = agreement(truth, ws, AS_OF, 3, 365, semantic=False)
    both, wrong = agreement(truth, ws, AS_OF, 3, 365, semantic=True)
    assert both >= keyword
    assert both == pytest.approx(20 / 22), wrong
    words = paraphrased(truth.kmap)
    keyword_p, _ = agreement(truth, ws, AS_OF, 3, 365, semantic=False, kmap=words)
    both_p, _ = agreement(truth, ws, AS_OF, 3, 365, semantic=True, kmap=words)
    assert keyword_p == pytest.approx(11 / 22)
    assert both_p == pytest.approx(16 / 22)


def test_the_report_shows_how_each_document_matched(samples: SampleProject, tmp_path: Path) -> None:
    with Workspace(samples.config) as ws:
        report = build_report(samples.config, ws, as_of=AS_OF)
    assert set(report.area_similarity) == {"bge-small-en-v1.5-q", "bge-small-zh-v1.5-q"}
    shown = [(a, m) for a in report.areas for m in a.matches]
    assert {m.how for _, m in shown} >= {"keyword", "semantic", "keyword+semantic"}
    for _area, match in shown:
        if match.how == "keyword":
            assert match.score is None
        else:  # a semantic match carries its cosine, at least the threshold of some model
            assert match.score is not None and match.score >= min(report.area_similarity.values())
    semantic_only = [a for a in report.areas if a.semantic_only_documents]
    assert semantic_only and all(
        a.documents == a.keyword_documents + a.semantic_only_documents for a in report.areas
    )
    html = write_formats(report, tmp_path, ["html", "csv"])[0].read_text(encoding="utf-8")
    assert 'data-how="semantic"' in html and 'data-metric="semantic_only_documents"' in html
    rows = (tmp_path / "area_matches.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows[0] == "department,area,doc_id,title,how,score" and len(rows) == len(shown) + 1
