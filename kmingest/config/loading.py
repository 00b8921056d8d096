"""The root `Config` and how a YAML file becomes one: the first step of every command, DAG and portal start.

Lookup order: `--config FILE`, then `$KMINGEST_CONFIG`, then `./kmingest.yaml`. The file is validated into
the typed sections of kmingest.config.storage, .embedding, .sources and .people; every error names the
file, the key and a fix. Relative paths in the file are resolved against the file's folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, model_validator

from kmingest.config.base import ConfigError, _Strict
from kmingest.config.embedding import ChunkingConfig, EmbeddingConfig
from kmingest.config.people import AccessConfig, CoverageConfig, PortalConfig, SearchConfig
from kmingest.config.sources import AirflowConfig, LimitsConfig, SourceConfig
from kmingest.config.storage import IndexConfig, StagingConfig, StateConfig
from kmingest.config_keys import valid_keys

DEFAULT_CONFIG_NAME = "kmingest.yaml"


class Config(_Strict):
    state_dir: Path = Path(".kmingest")
    index: IndexConfig = IndexConfig()
    state: StateConfig = StateConfig()
    staging: StagingConfig = StagingConfig()
    embedding: EmbeddingConfig = EmbeddingConfig()
    chunking: ChunkingConfig = ChunkingConfig()
    limits: LimitsConfig = LimitsConfig()
    sources: tuple[SourceConfig, ...] = ()
    access: AccessConfig = AccessConfig()
    search: SearchConfig = SearchConfig()
    airflow: AirflowConfig = AirflowConfig()
    portal: PortalConfig = PortalConfig()
    coverage: CoverageConfig = CoverageConfig()
    source_file: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _unique_sources(self) -> Config:
        seen: set[str] = set()
        for i, src in enumerate(self.sources):
            if src.name in seen:
                raise ValueError(f"sources[{i}].name: duplicate source name {src.name!r}")
            seen.add(src.name)
        return self

    def source(self, name: str) -> SourceConfig:
        for src in self.sources:
            if src.name == name:
                return src
        known = ", ".join(s.name for s in self.sources) or "(none configured)"
        raise ConfigError(f"{self.source_file or 'config'}: no source named {name!r}; known: {known}")


_FIXES = {
    "missing": "add this key",
    "extra_forbidden": "remove it or check its spelling",
    "literal_error": "use one of the values listed",
    "string_pattern_mismatch": "use letters, digits, '_', '.' or '-' only",
    "int_parsing": "use a whole number",
    "float_parsing": "use a number",
    "bool_parsing": "use true or false",
}


def _format_errors(path: Path, err: ValidationError) -> str:
    lines = [f"{path}: invalid configuration ({err.error_count()} problem(s))"]
    for e in err.errors():
        key = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in e["loc"]).replace(".[", "[")
        fix = _FIXES.get(e["type"], "see README.md, section Configuration")
        if e["type"] == "extra_forbidden" and (keys := valid_keys(Config, e["loc"])):
            fix = f"remove it or check its spelling; valid keys here: {', '.join(keys)}"
        hint = "" if "(fix: " in e["msg"] else f" (fix: {fix})"
        lines.append(f"  {path}: {key or '(top level)'}: {e['msg']}{hint}")
    return "\n".join(lines)


def _resolve_paths(cfg: Config, base: Path) -> Config:
    def absolute(p: Path) -> Path:
        return p if p.is_absolute() else (base / p).resolve()

    state_dir = absolute(cfg.state_dir)
    index = cfg.index.model_copy(update={"path": absolute(cfg.index.path)})
    model_dir = cfg.embedding.model_dir
    embedding = cfg.embedding.model_copy(
        update={
            "cache_path": absolute(cfg.embedding.cache_path),
            "model_dir": absolute(model_dir) if model_dir is not None else None,
        }
    )
    sources = tuple(
        s.model_copy(update={"path": absolute(s.path)}) if s.path is not None else s for s in cfg.sources
    )
    km_map = cfg.coverage.knowledge_map
    coverage = cfg.coverage.model_copy(
        update={
            "reports_dir": absolute(cfg.coverage.reports_dir or state_dir / "reports"),
            "knowledge_map": absolute(km_map) if km_map is not None else None,
        }
    )
    return cfg.model_copy(
        update={
            "state_dir": state_dir,
            "index": index,
            "embedding": embedding,
            "sources": sources,
            "coverage": coverage,
        }
    )


def parse_config(data: Any, path: Path) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: (top level): expected a mapping of keys (fix: start with 'sources:')")
    try:
        cfg = Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_errors(path, err)) from None
    cfg = _resolve_paths(cfg, path.parent.resolve())
    return cfg.model_copy(update={"source_file": path})


def find_config_path(explicit: str | Path | None = None) -> Path | None:
    if explicit:
        return Path(explicit)
    env = os.environ.get("KMINGEST_CONFIG")
    if env:
        return Path(env)
    local = Path(DEFAULT_CONFIG_NAME)
    return local if local.exists() else None


def load_config(explicit: str | Path | None = None) -> Config:
    """Load and validate the config; with no file anywhere, defaults rooted at the current folder."""
    path = find_config_path(explicit)
    if path is None:
        return parse_config({}, Path.cwd() / DEFAULT_CONFIG_NAME)
    if not path.exists():
        raise ConfigError(f"{path}: config file not found (fix: pass --config FILE or create {path})")
    return parse_config(read_yaml(path, ConfigError), path)


def read_yaml(path: Path, error: type[Exception]) -> Any:
    """A YAML file's data; a syntax error raises `error` naming the file, line and column."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise error(f"{path}: YAML syntax error at {where}: {err} (fix: correct the YAML)") from None
