"""docs/connectors.md documents every option of every built-in connector: its options reference is generated
from the option models (kmingest.connectors.docs), and this test fails when the file and the models differ."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmingest.config import SourceConfig
from kmingest.connectors.docs import DOC_PATH, END, REGENERATE, START, main, render_reference, replace_section
from kmingest.connectors.registry import BUILTIN, connector_class


def test_connectors_md_holds_the_generated_options_reference() -> None:
    current = DOC_PATH.read_text(encoding="utf-8")
    generated = render_reference()
    assert replace_section(current, generated) == current, (
        f"docs/connectors.md: the options reference differs from the option models (fix: run `{REGENERATE}`)"
    )


def test_every_option_of_every_builtin_connector_is_listed_with_a_description() -> None:
    reference = render_reference()
    for name in BUILTIN:
        for key in connector_class(name).Options.model_fields:
            assert f"| `{key}` |" in reference, f"{name}.{key} missing from the reference"
    for model in (SourceConfig, *(connector_class(n).Options for n in ("filesystem", "tabular", "oa"))):
        undocumented = [k for k, f in model.model_fields.items() if not f.description]
        assert undocumented == [], f"{model.__name__}: add Field(description=...) to {undocumented}"


def test_the_reference_says_what_the_once_undocumented_options_do() -> None:
    lines = {line.split(" | ")[0]: line for line in render_reference().splitlines() if line.startswith("| `")}
    assert "glob patterns (fnmatch)" in lines["| `include`"]
    assert "not read, even when `include` matches" in lines["| `exclude`"]
    assert "| `max_depth` | integer, >= 0 | `32` | folders deeper than this" in lines["| `max_depth`"]
    assert "`auto` or `csv` or `tsv` or `xlsx` or `jsonl` | `auto` |" in lines["| `format`"]
    assert "| `where` | map of str to str or list of str | `{}` | row filter" in lines["| `where`"]


def test_a_preset_lists_only_the_defaults_it_changes() -> None:
    reference = render_reference()
    erp = reference.split("### `erp` connector options")[1].split("###")[0]
    assert "The keys of `tabular`; these defaults differ:" in erp
    assert "| `tables` | `[material, supplier, bom, sop]` |" in erp and "| `timezone` | `+08:00` |" in erp
    assert "max_row_kb" not in erp


def test_check_mode_reports_a_stale_file_and_how_to_regenerate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = f"# Adding a source\n\n{START}\nold text\n{END}\nafter\n"
    path = tmp_path / "connectors.md"
    path.write_text(stale, encoding="utf-8")
    monkeypatch.setattr("kmingest.connectors.docs.DOC_PATH", path)
    assert main(["--check"]) == 1
    assert f"options reference out of date (fix: run `{REGENERATE}`)" in capsys.readouterr().err
    assert main([]) == 0 and main(["--check"]) == 0
    rewritten = path.read_text(encoding="utf-8")
    assert rewritten.startswith("# Adding a source\n\n" + START) and rewritten.endswith(END + "\nafter\n")
    assert "old text" not in rewritten


def test_a_document_without_markers_is_an_error_naming_them() -> None:
    with pytest.raises(ValueError, match="markers not found"):
        replace_section("# no markers here\n", render_reference())
