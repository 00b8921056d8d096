"""`python -m samplegen`: the command line of the sample generator (a development tool, not in the wheel)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from samplegen.__main__ import main
from tests.conftest import REPO


def test_main_writes_the_exports_and_prints_the_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--out", str(tmp_path / "out"), "--seed", "7"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("erp_written 195, erp_valid 192, erp_broken 3, crm_written 260")
    expected = json.loads((tmp_path / "out" / "expected.json").read_text(encoding="utf-8"))
    assert expected["generator"]["seed"] == 7
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"erp", "crm", "oa", "expected.json"}


def test_a_scale_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "samplegen", "--out", str(tmp_path), "--scale", "0"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "argument --scale: 0 is not in the range 1..10000" in proc.stderr
    assert not (tmp_path / "expected.json").exists()
