from pathlib import Path

import pytest

from kmingest.config import ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kmingest.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_config_resolves_paths_against_the_file(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "sources:\n  - {name: docs, connector: filesystem, path: files}\n"))
    assert cfg.sources[0].path == tmp_path / "files"
    assert cfg.index.path == tmp_path / ".kmingest" / "index.db"
    assert cfg.index.backend == "embedded"


def test_unknown_key_names_file_key_and_fix(tmp_path: Path) -> None:
    path = write(tmp_path, "index:\n  backnd: embedded\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value)
    assert "index.backnd" in str(err.value)
    assert "fix: remove it or check its spelling" in str(err.value)


def test_bad_value_lists_allowed_values(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"index\.backend: Input should be 'embedded' or 'elasticsearch'"):
        load_config(write(tmp_path, "index: {backend: solr}\n"))


def test_missing_source_key_and_duplicate_names(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"sources\[0\]\.connector: Field required \(fix: add this key\)"):
        load_config(write(tmp_path, "sources:\n  - {name: a}\n"))
    with pytest.raises(ConfigError, match="duplicate source name 'a'"):
        load_config(write(tmp_path, "sources:\n  - {name: a, connector: x}\n  - {name: a, connector: y}\n"))


def test_yaml_syntax_error_gives_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="YAML syntax error at line 3"):
        load_config(write(tmp_path, "index:\n  backend: [embedded\n"))


def test_missing_file_and_env_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    path = write(tmp_path, "embedding: {batch_size: 8}\n")
    monkeypatch.setenv("KMINGEST_CONFIG", str(path))
    assert load_config().embedding.batch_size == 8


def test_chunking_bounds_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="overlap_tokens < target_tokens <= max_tokens"):
        load_config(write(tmp_path, "chunking: {target_tokens: 300, max_tokens: 200}\n"))
