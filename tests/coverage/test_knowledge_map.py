"""knowledge_map.yaml: the repo's map is valid; every error names the file, the key and a fix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kmingest.coverage.areas import status_of
from kmingest.coverage.knowledge_map import KnowledgeMapError, load_knowledge_map
from tests.coverage.conftest import REPO

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_the_repo_map_is_valid_and_names_areas_for_every_sample_department() -> None:
    kmap = load_knowledge_map(REPO / "knowledge_map.yaml")
    assert set(kmap.departments) == {"Quality", "Production", "R&D", "Sales", "HR"}
    assert all(len(areas) >= 3 for areas in kmap.departments.values())


@pytest.mark.parametrize(
    ("text", "key", "fix"),
    [
        ("departments:\n  Quality:\n    - name: Audits\n", "departments.Quality[0]", "keywords: [...]"),
        (
            "departments:\n  Quality:\n    - name: Audits\n      keyword: [audit]\n",
            "departments.Quality[0].keyword",
            "check its spelling",
        ),
        (
            "departments:\n  Quality:\n    - name: Audits\n      keywords: [audit]\n      thin_below: zero\n",
            "departments.Quality[0].thin_below",
            "whole number",
        ),
        (
            "departments:\n  HR:\n    - name: Leave\n      keywords: [leave]\n"
            "    - name: leave\n      keywords: [x]\n",
            "departments.HR[1].name",
            "its own name",
        ),
        (
            "departments:\n  HR:\n    - name: Leave\n      keywords: ['the of']\n",
            "departments.HR[0]",
            "real words",
        ),
        (
            "departments:\n  HR:\n    - name: Leave\n      keywords: [leave]\n      match: most\n",
            "departments.HR[0].match",
            "values listed",
        ),
        ("areas: []\n", "(top level)", "departments:"),
        (
            "departments:\n  HR:\n    - name: Leave\n      keywords: [leave]\n"
            "      exclude: {term: [news]}\n",
            "departments.HR[0].exclude.term",
            "exclude (terms, sources)",
        ),
        (
            "departments:\n  HR:\n    - name: Leave\n      keywords: [leave]\n"
            "      exclude: {terms: ['--']}\n",
            "departments.HR[0].exclude.terms",
            "real words",
        ),
        (
            "departments:\n  HR:\n    - name: Leave\n      description: ''\n",
            "departments.HR[0]",
            "description",
        ),
        ("departments: [oops\n", "YAML syntax error at line", "correct the YAML"),
    ],
)
def test_errors_name_file_key_and_fix(tmp_path: Path, text: str, key: str, fix: str) -> None:
    path = tmp_path / "knowledge_map.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeMapError) as err:
        load_knowledge_map(path)
    message = str(err.value)
    assert str(path) in message and key in message and "fix:" in message and fix in message, message


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeMapError, match=r"not found \(fix: create it, or set coverage.knowledge_map"):
        load_knowledge_map(tmp_path / "nope.yaml")


def test_status_thresholds() -> None:
    fresh, old = NOW - timedelta(days=10), NOW - timedelta(days=400)
    assert status_of(0, None, NOW, 3, 365) == "missing"
    assert status_of(5, old, NOW, 3, 365) == "stale"
    assert status_of(1, old, NOW, 3, 365) == "stale"  # stale wins over thin: the newest text is outdated
    assert status_of(2, fresh, NOW, 3, 365) == "thin"
    assert status_of(3, fresh, NOW, 3, 365) == "covered"
    assert status_of(3, None, NOW, 3, 365) == "stale"  # undated documents cannot show freshness
