"""Configuration: one YAML file validated into typed models at load time.

Lookup order: `--config FILE`, then `$KMINGEST_CONFIG`, then `./kmingest.yaml`. Relative paths in the file
are resolved against the file's folder. Every error names the file, the key and a fix.
Secrets (e.g. an Elasticsearch API key) are never read from this file: only from the environment.

The sections live in one module per concern: storage (index, state, staging), embedding (models, chunking),
sources (sources, limits, DAGs, Airflow), people (access, search, portal, coverage) and loading (the root
`Config`, finding and parsing the file). Import them from here: `from kmingest.config import Config`.
"""

from __future__ import annotations

from kmingest.config.base import ConfigError
from kmingest.config.embedding import ChunkingConfig, EmbeddingConfig, ProfileConfig
from kmingest.config.loading import (
    DEFAULT_CONFIG_NAME,
    Config,
    find_config_path,
    load_config,
    parse_config,
    read_yaml,
)
from kmingest.config.people import (
    AccessConfig,
    CoverageConfig,
    FusionConfig,
    PortalConfig,
    SearchConfig,
    SignInLimits,
    UserConfig,
)
from kmingest.config.sources import AirflowConfig, DagConfig, LimitsConfig, SourceConfig
from kmingest.config.storage import IndexConfig, StagingConfig, StateConfig

__all__ = [
    "DEFAULT_CONFIG_NAME",
    "AccessConfig",
    "AirflowConfig",
    "ChunkingConfig",
    "Config",
    "ConfigError",
    "CoverageConfig",
    "DagConfig",
    "EmbeddingConfig",
    "FusionConfig",
    "IndexConfig",
    "LimitsConfig",
    "PortalConfig",
    "ProfileConfig",
    "SearchConfig",
    "SignInLimits",
    "SourceConfig",
    "StagingConfig",
    "StateConfig",
    "UserConfig",
    "find_config_path",
    "load_config",
    "parse_config",
    "read_yaml",
]
