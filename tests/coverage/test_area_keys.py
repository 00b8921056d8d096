"""The knowledge map's newer keys on a tiny project (real embedding models): areas described only in words
match by meaning, `exclude` takes out terms and sources, and accepted candidates live in
knowledge_map.accepted.yaml beside the map (the map wins on a name clash)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kmingest.config import Config
from kmingest.coverage.accepted import AcceptError, accept_candidate
from kmingest.coverage.knowledge_map import accepted_path, accepted_topics, load_knowledge_map
from kmingest.coverage.model import DiscoveredTopic, Report
from kmingest.coverage.report import build_report
from kmingest.workspace import Workspace

AS_OF = datetime(2026, 10, 1, tzinfo=UTC)


def report_with(root: Path, config: Config, kmap: str) -> Report:
    (root / "knowledge_map.yaml").write_text(kmap, encoding="utf-8")
    with Workspace(config) as ws:
        return build_report(config, ws, as_of=AS_OF)


def area(report: Report, name: str) -> tuple[int, int, int, set[str]]:
    found = next(a for a in report.areas if a.area == name)
    return (
        found.documents,
        found.keyword_documents,
        found.semantic_only_documents,
        {m.how for m in found.matches},
    )


def test_exclude_terms_and_sources_take_documents_out(tiny: tuple[Path, Config]) -> None:
    root, config = tiny
    report = report_with(
        root,
        config,
        """
departments:
  Quality:
    - name: Calibration
      keywords: [calibration]
    - name: Calibration without torque
      keywords: [calibration]
      exclude: {terms: [torque wrenches]}
    - name: Calibration outside the wiki
      keywords: [calibration]
      exclude: {sources: [wiki]}
""",
    )
    assert area(report, "Calibration")[0] == 3  # calibration.md, gauges.txt, the wiki copy
    calibration = next(a for a in report.areas if a.area == "Calibration")
    # all three have the same date: the examples come by title, the same every run (and on both backends)
    assert calibration.examples == ("calibration", "calibration-copy", "gauges")
    assert area(report, "Calibration without torque")[0] == 1  # only gauges.txt
    assert area(report, "Calibration outside the wiki")[0] == 2


def test_an_area_described_in_other_words_matches_by_meaning(tiny: tuple[Path, Config]) -> None:
    root, config = tiny
    report = report_with(
        root,
        config,
        """
departments:
  Quality:
    - name: Measuring tool checks
      description: periodic calibration of torque wrenches and gauges
  HR:
    - name: Holidays
      keywords: [vacation days]
""",
    )
    documents, by_keyword, by_meaning, hows = area(report, "Measuring tool checks")
    assert by_keyword == 0 and by_meaning == documents and documents >= 2 and hows == {"semantic"}
    assert area(report, "Holidays")[:2] == (0, 0)  # no keyword match; "annual leave" may match by meaning


def test_semantic_matching_can_be_switched_off(tiny: tuple[Path, Config]) -> None:
    root, config = tiny
    off = config.model_copy(update={"coverage": config.coverage.model_copy(update={"semantic_areas": False})})
    report = report_with(
        root,
        off,
        """
departments:
  Quality:
    - name: Measuring tool checks
      description: periodic calibration of torque wrenches and gauges
""",
    )
    assert area(report, "Measuring tool checks")[0] == 0 and report.area_similarity == {}


def topic(dept: str = "Quality", topic_id: str = "Quality/m/1") -> DiscoveredTopic:
    return DiscoveredTopic(
        department=dept,
        topic_id=topic_id,
        label="torque, wrench",
        terms=("torque", "wrench"),
        documents=3,
        chunks=4,
        representative="Torque wrench care",
        candidate=True,
    )


def test_accepting_a_candidate_writes_the_override_file_the_loader_merges(tmp_path: Path) -> None:
    kmap = tmp_path / "knowledge_map.yaml"
    kmap.write_text(
        "departments:\n  Quality:\n    - name: Calibration\n      keywords: [calibration]\n", encoding="utf-8"
    )
    written = accept_candidate(kmap, topic(), "Torque tools")
    assert written == accepted_path(kmap) == tmp_path / "knowledge_map.accepted.yaml"
    assert kmap.read_text(encoding="utf-8").count("name:") == 1  # the reviewed map itself is untouched
    loaded = load_knowledge_map(kmap)
    accepted = loaded.departments["Quality"][1]
    assert (accepted.name, accepted.accepted_from) == ("Torque tools", "Quality/m/1")
    assert "torque, wrench" in (accepted.description or "") and "Torque wrench care" in (
        accepted.description or ""
    )
    assert accepted_topics(loaded) == {"Quality/m/1"}
    accept_candidate(kmap, topic("Sales", "Sales/m/2"))  # no name given: the label
    assert [a.name for a in load_knowledge_map(kmap).departments["Sales"]] == ["torque, wrench"]
    with pytest.raises(AcceptError, match="already has an area named 'Calibration'"):
        accept_candidate(kmap, topic(), "calibration")


def test_an_accepted_area_named_like_a_map_area_is_left_out(tmp_path: Path) -> None:
    kmap = tmp_path / "knowledge_map.yaml"
    kmap.write_text("departments:\n  HR:\n    - name: Leave\n      keywords: [leave]\n", encoding="utf-8")
    accepted_path(kmap).write_text(
        "departments:\n  HR:\n    - name: leave\n      description: time off\n"
        "    - name: Payroll\n      description: salary payment dates\n",
        encoding="utf-8",
    )
    assert [a.name for a in load_knowledge_map(kmap).departments["HR"]] == ["Leave", "Payroll"]


def test_a_topic_of_restricted_documents_is_accepted_only_with_a_name(tmp_path: Path) -> None:
    kmap = tmp_path / "knowledge_map.yaml"
    kmap.write_text(
        "departments:\n  R&D:\n    - name: ECN\n      keywords: [engineering change]\n", encoding="utf-8"
    )
    hidden = DiscoveredTopic(
        department="R&D",
        topic_id="R&D/m/4",
        label="(restricted documents only)",
        terms=(),
        documents=4,
        chunks=6,
        representative="",
        candidate=True,
    )
    with pytest.raises(AcceptError, match="restricted, so it has no label"):
        accept_candidate(kmap, hidden)
    accept_candidate(kmap, hidden, "Design reviews")
    added = load_knowledge_map(kmap).departments["R&D"][1]
    assert (added.name, added.description) == ("Design reviews", "Design reviews")
