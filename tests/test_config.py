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
    assert "fix: remove it or check its spelling; valid keys here: backend, index_prefix, path" in str(
        err.value
    )


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


def test_embedding_models_are_checked_against_the_known_profiles(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError,
        match=r"embedding\.models: .*cjk: unknown model 'bge-large' \(fix: use .*bge-small-zh-v1\.5-q",
    ):
        load_config(write(tmp_path, "embedding: {models: {latin: bge-small-en-v1.5-q, cjk: bge-large}}\n"))
    with pytest.raises(ConfigError, match="name a model for both scripts"):
        load_config(write(tmp_path, "embedding: {models: {latin: bge-small-en-v1.5-q}}\n"))
    with pytest.raises(ConfigError, match=r"embedding\.profiles\.mine\.dimension: Field required"):
        load_config(write(tmp_path, "embedding: {model: mine, profiles: {mine: {path: /models/x}}}\n"))


def test_embedding_routes_default_to_one_model_per_script_and_accept_own_profiles(tmp_path: Path) -> None:
    routes = load_config(write(tmp_path, "{}\n")).embedding.routes()
    assert {s: p.name for s, p in routes.items()} == {
        "latin": "bge-small-en-v1.5-q",
        "cjk": "bge-small-zh-v1.5-q",
    }
    cfg = load_config(
        write(
            tmp_path,
            "embedding:\n  model: multi\n  profiles:\n    multi: {path: /models/m, "
            "dimension: 768, scripts: [latin, cjk], min_similarity: 0.5}\n",
        )
    )
    routes = cfg.embedding.routes()
    assert routes["latin"] is routes["cjk"]
    assert (routes["cjk"].name, routes["cjk"].dimension, routes["cjk"].min_similarity) == ("multi", 768, 0.5)
