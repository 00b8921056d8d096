"""Same seed + scale -> byte-identical files; the checked-in default set equals a fresh generate()."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from samplegen import SYSTEMS, erp, generate

from .readers import tree

REPO_SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_same_seed_gives_identical_bytes(out: Path, tmp_path: Path) -> None:
    """Also: system folders left from an earlier run are replaced, other content of OUT stays."""
    (tmp_path / "crm").mkdir()
    (tmp_path / "crm" / "stale.csv").write_text("old")
    (tmp_path / "keep.txt").write_text("mine")
    generate(tmp_path, scale=1, seed=42)
    assert (tmp_path / "keep.txt").read_text() == "mine"
    (tmp_path / "keep.txt").unlink()
    first, second = tree(out), tree(tmp_path)
    assert sorted(first) == sorted(second)
    different = [name for name in first if first[name] != second[name]]
    assert different == []


def test_other_seed_gives_other_data(out: Path, tmp_path: Path) -> None:
    erp.generate(tmp_path, scale=1, seed=7)
    assert (tmp_path / "materials.csv").read_bytes() != (out / "erp" / "materials.csv").read_bytes()


def test_scale_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, scale=0)


def test_checked_in_samples_equal_a_fresh_generate(out: Path) -> None:
    """samples/{erp,crm,oa} + samples/expected.json are generated, never edited by hand.

    To refresh them: python -m samplegen --out samples
    """
    fresh = tree(out)
    checked_in = {
        f"{system}/{name}": data for system in SYSTEMS for name, data in tree(REPO_SAMPLES / system).items()
    }
    checked_in["expected.json"] = (REPO_SAMPLES / "expected.json").read_bytes()
    assert sorted(checked_in) == sorted(fresh)
    stale = [name for name in fresh if fresh[name] != checked_in[name]]
    assert stale == [], "samples/ is out of date: regenerate it (see this test's docstring)"


def test_machine_time_zone_does_not_matter(
    out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        erp.generate(tmp_path, scale=1, seed=42)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert tree(tmp_path) == tree(out / "erp")
