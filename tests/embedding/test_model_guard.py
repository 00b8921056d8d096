"""The embedded index refuses other models than it was built with, and says how to re-embed."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kmingest.cli import cli
from tests.test_pipeline import folder  # noqa: F401  (a small folder of English and Chinese files)


def test_changing_the_models_is_refused_with_the_fix(folder: Path) -> None:  # noqa: F811
    config = {
        "state_dir": str(folder / "state"),
        "sources": [{"name": "docs", "connector": "filesystem", "path": str(folder / "docs")}],
    }
    (folder / "k.yaml").write_text(json.dumps(config))
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(folder / "k.yaml"), "ingest", "--all"], obj={}).exit_code == 0
    config["embedding"] = {"model": "all-MiniLM-L6-v2-q"}
    (folder / "k.yaml").write_text(json.dumps(config))
    for args in (["ingest", "--all"], ["search", "torque"]):
        result = runner.invoke(cli, ["--config", str(folder / "k.yaml"), *args], obj={})
        assert result.exit_code == 2, result.output
        assert (
            "built with embedding models bge-small-en-v1.5-q (384-d), bge-small-zh-v1.5-q (512-d)"
            in result.output
        )
        assert "not all-MiniLM-L6-v2-q (384-d)" in result.output
