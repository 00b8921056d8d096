"""Configuration: one YAML file validated into typed models at load time.

Lookup order: `--config FILE`, then `$KMINGEST_CONFIG`, then `./kmingest.yaml`. Relative paths in the file
are resolved against the file's folder. Every error names the file, the key and a fix.
Secrets (e.g. an Elasticsearch API key) are never read from this file: only from the environment.
"""

from __future__ import annotations

import ipaddress
import os
import zoneinfo
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from kmingest.config_keys import valid_keys
from kmingest.embedding.profiles import BUILTIN, DEFAULT_MODELS, ModelProfile, Script
from kmingest.models import PUBLIC
from kmingest.parsing.base import ParseLimits

DEFAULT_CONFIG_NAME = "kmingest.yaml"


class ConfigError(Exception):
    """A configuration problem, phrased as `file: key: problem (fix: ...)`."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IndexConfig(_Strict):
    backend: Literal["embedded", "elasticsearch"] = "embedded"
    path: Path = Path(".kmingest/index.db")
    url: str = "http://127.0.0.1:9200"  # one node, or several separated by commas (the client fails over)
    index_prefix: str = "kmingest"
    verify_certs: bool = True
    shards: int = Field(default=1, ge=1, le=1024)  # Elasticsearch: primary shards of each new index
    replicas: int = Field(default=0, ge=0, le=16)  # Elasticsearch: copies of each shard (1+ on a cluster)


class StateConfig(_Strict):
    """Where pipeline state (checkpoints, record hashes, run history, dead letters) and the embedding cache
    live. `sqlite`: files on this machine (state_dir/state.db, embedding.cache_path). `postgres`: one
    PostgreSQL database that workers on several hosts share (docs/state-and-staging.md)."""

    backend: Literal["sqlite", "postgres"] = "sqlite"
    # postgres: the environment variable holding the DSN (it carries a password, so never this file)
    url_env: str = Field(default="KMINGEST_STATE_URL", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    schema_name: str = Field(default="kmingest", pattern=r"^[a-z_][a-z0-9_]{0,62}$")  # postgres: its tables

    def postgres_url(self, config_file: Path | None) -> str:
        """The DSN from the environment; ConfigError naming the key and the fix when it is not set."""
        url = os.environ.get(self.url_env, "").strip()
        if not url:
            raise ConfigError(
                f"{config_file or 'config'}: state.url_env: environment variable {self.url_env} is not set, "
                f"and state.backend is postgres (fix: export {self.url_env}=postgresql://USER:PASSWORD@HOST:"
                "5432/DATABASE for every worker, or set state.backend: sqlite)"
            )
        return url


class StagingConfig(_Strict):
    """Where a staged (Airflow) run keeps its batches between tasks (docs/state-and-staging.md)."""

    # a folder (relative to this file) or an fsspec URL (s3://bucket/kmingest, file:///mnt/shared/staging);
    # default <state_dir>/staging: fine on one machine, not with workers on several hosts
    url: str | None = None
    retention_days: float = Field(default=7, gt=0)  # staged batches of failed runs are removed after this

    @field_validator("url")
    @classmethod
    def _known_protocol(cls, value: str | None) -> str | None:
        if value is None or "://" not in value:
            return value
        import fsspec

        protocol = value.split("://", 1)[0]
        if protocol not in fsspec.available_protocols():
            raise ValueError(
                f"unknown storage protocol {protocol!r} (fix: a folder, file:///shared/mount/staging, "
                "or a URL fsspec knows such as s3://bucket/prefix or gs://bucket/prefix)"
            )
        return value

    def location(self, state_dir: Path, base: Path) -> str:
        """The staging root: the URL as configured, a folder resolved against `base` (the config file's
        folder), or <state_dir>/staging."""
        if self.url is None:
            return str(state_dir / "staging")
        if "://" in self.url:
            return self.url.rstrip("/")
        folder = Path(self.url).expanduser()
        return str(folder if folder.is_absolute() else (base / folder).resolve())


class ProfileConfig(_Strict):
    """A model of your own (`embedding.profiles.<name>`): a sentence-transformers folder or hub id."""

    path: str
    dimension: int = Field(ge=1, le=8192)
    backend: Literal["torch", "onnx"] = "torch"
    max_seq_length: int = Field(default=256, ge=8, le=8192)
    scripts: tuple[Script, ...] = ("latin",)  # query scripts whose meaning it captures ("latin", "cjk")
    min_similarity: float = Field(default=0.3, ge=-1, le=1)  # cosine below which a neighbour is noise
    query_prefix: str = ""
    passage_prefix: str = ""


class EmbeddingConfig(_Strict):
    """Which model reads which script; see README, section "Embedding models and bilingual search"."""

    profiles: dict[str, ProfileConfig] = Field(default_factory=dict)  # your own models, by name
    models: dict[Script, str] = Field(default_factory=lambda: dict(DEFAULT_MODELS))
    model: str | None = None  # one model for every script (e.g. a multilingual one); replaces `models`
    cjk_share: float = Field(default=0.3, gt=0, le=1)  # texts with this share of CJK go to models.cjk
    model_dir: Path | None = None  # default $KMINGEST_MODEL_DIR, else ~/.cache/kmingest/models
    # texts per model call; default: 4 for ONNX models, 32 for torch (measured fastest on 2 cores: small
    # batches of similar length waste no padding; BENCHMARKS.md)
    batch_size: int | None = Field(default=None, ge=1, le=1024)
    device: str | None = None
    cache_path: Path = Path(".kmingest/embeddings.db")
    # recent query vectors kept per process: paging, facet and year clicks repeat a query (0: none)
    query_cache: int = Field(default=1024, ge=0, le=1_000_000)

    @field_validator("models", "model")
    @classmethod
    def _known(cls, value: Any, info: ValidationInfo) -> Any:
        known = sorted({*BUILTIN, *info.data.get("profiles", {})})
        names = value.items() if isinstance(value, dict) else [("", value)]
        for script, name in names:
            if name is not None and name not in known:
                where = f"{script}: " if script else ""
                raise ValueError(
                    f"{where}unknown model {name!r} (fix: use a built-in model or one defined "
                    f"under embedding.profiles: {', '.join(known)})"
                )
        if isinstance(value, dict) and set(value) != {"latin", "cjk"}:
            raise ValueError(
                "name a model for both scripts, latin and cjk (fix: add the missing one, or set "
                "`embedding.model` for one model for everything)"
            )
        return value

    def profile(self, name: str) -> ModelProfile:
        own = self.profiles.get(name)
        if own is None:
            return BUILTIN[name]
        return ModelProfile(
            name=name,
            dimension=own.dimension,
            backend=own.backend,
            pooling="mean",
            max_seq_length=own.max_seq_length,
            scripts=own.scripts,
            min_similarity=own.min_similarity,
            query_prefix=own.query_prefix,
            passage_prefix=own.passage_prefix,
            path=own.path,
            description=f"embedding.profiles.{name}: {own.path}",
        )

    def routes(self) -> dict[Script, ModelProfile]:
        """The model of each script (the same profile twice when one model reads everything)."""
        if self.model is not None:
            one = self.profile(self.model)
            return {"latin": one, "cjk": one}
        return {script: self.profile(name) for script, name in self.models.items()}


class ChunkingConfig(_Strict):
    target_tokens: int = Field(default=220, ge=20, le=2000)
    max_tokens: int = Field(default=300, ge=20, le=4000)
    overlap_tokens: int = Field(default=30, ge=0, le=500)

    @model_validator(mode="after")
    def _order(self) -> ChunkingConfig:
        if not self.overlap_tokens < self.target_tokens <= self.max_tokens:
            raise ValueError("need overlap_tokens < target_tokens <= max_tokens")
        return self


class LimitsConfig(_Strict):
    max_file_mb: float = Field(default=50, gt=0, description="largest file read; bigger ones fail")
    max_chars: int = Field(default=2_000_000, gt=0, description="most characters extracted from one file")
    max_uncompressed_mb: float = Field(
        default=200, gt=0, description="zip-based formats: most bytes after decompression"
    )
    max_seconds_per_file: float = Field(default=60, gt=0, description="parsing time of one file")

    def parse_limits(self) -> ParseLimits:
        return ParseLimits(
            max_file_bytes=int(self.max_file_mb * 1024 * 1024),
            max_chars=self.max_chars,
            max_uncompressed_bytes=int(self.max_uncompressed_mb * 1024 * 1024),
            max_seconds=self.max_seconds_per_file,
        )


class DagConfig(_Strict):
    """How Airflow schedules one source (`dags/`); the schedule itself is the source's `schedule`."""

    owner: str = Field(default="kmingest", description="the DAG's owner in Airflow")
    retries: int = Field(default=2, ge=0, le=20, description="retries of a failed task")
    retry_delay_minutes: float = Field(default=5, gt=0, description="wait before the first retry")
    max_retry_delay_minutes: float = Field(default=60, gt=0, description="cap of the exponential backoff")
    timeout_minutes: float = Field(default=240, gt=0, description="longest run of one task")
    batch_records: int = Field(default=64, ge=1, le=100_000, description="records per mapped process task")


class SourceConfig(BaseModel):
    """One source. Keys other than the common ones are options for its connector."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$",
        description="the source's name: in ids, `kmingest ingest NAME` and the DAG id",
    )
    connector: str = Field(description="a built-in connector (below) or a plugin's (connectors list)")
    path: Path | None = Field(default=None, description="the export folder (relative: to the config file)")
    system: str | None = Field(
        default=None,
        description="the source system's name shown with each "
        "document (and its `portal.source_links` key); default: the connector name",
    )
    department: str | None = Field(
        default=None, description="department of records that name none; default: `unassigned`"
    )
    acl: tuple[str, ...] = Field(
        default=(PUBLIC,),
        description="readers of records that carry no ACL: "
        "`public`, `dept:<name>`, `user:<login>`, `group:<name>`; `[]`: admins only",
    )
    schedule: str | None = Field(
        default="@daily",
        description="Airflow schedule of the source's DAG (cron or preset); null: triggered by hand only",
    )
    dag: DagConfig = Field(default=DagConfig(), description="how Airflow runs the source's DAG (keys below)")
    title_from: Literal["auto", "property", "heading", "filename"] = Field(
        default="auto",
        description="Where a document's title comes from when the connector gives none: `property` (the "
        "file's title property: Word/PowerPoint core title, PDF /Title, mail subject, html <title>), "
        "`heading` (the document's first heading or title-like first line), `filename`; `auto` uses the "
        "title property only when the document shows it in its first lines (template titles such as "
        "a stale core title are not used), else the first heading or line",
    )
    limits: LimitsConfig | None = Field(
        default=None,
        description="Parse limits for this source only (max_file_mb, max_chars, max_uncompressed_mb, "
        "max_seconds_per_file); a key not set here keeps the global `limits` value",
    )
    near_empty_chars: int | None = Field(
        default=None,
        ge=0,
        description="Coverage: documents of this source with fewer characters of text count as near-empty "
        "(default: the global coverage.near_empty_chars)",
    )
    retry_failed: int = Field(
        default=3,
        ge=0,
        description="Runs that retry a record whose last outcome was failed while its content is unchanged "
        "(a changed record is always processed); 0: wait for a change or --force",
    )

    def parse_limits(self, defaults: LimitsConfig) -> ParseLimits:
        """The global limits with the keys this source sets replaced."""
        if self.limits is None:
            return defaults.parse_limits()
        own = {key: getattr(self.limits, key) for key in self.limits.model_fields_set}
        return defaults.model_copy(update=own).parse_limits()

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    @field_validator("acl", mode="before")
    @classmethod
    def _acl_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class UserConfig(_Strict):
    departments: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    display_name: str | None = None
    # "pbkdf2_sha256$<iterations>$<salt>$<hex digest>"; made by `kmingest users hash-password`
    password_hash: str | None = None


class AccessConfig(_Strict):
    users: dict[str, UserConfig] = Field(default_factory=dict)
    admins: tuple[str, ...] = ()  # see every document
    km_leads: tuple[str, ...] = ()  # may open the coverage report in the portal


class FusionConfig(_Strict):
    """How keyword and semantic rankings are combined (index/fusion.py); weights per query script."""

    # fitted on the SciFact and CMRC 2018 train sets (python -m bench.fusion_sweep; BENCHMARKS.md): both peak
    # at 0.8-0.85 with the default models; 0.75 sits on that plateau with more room for exact keywords
    method: Literal["convex", "rrf"] = "convex"
    latin_weight: float = Field(default=0.75, ge=0, le=1)  # semantic share for Latin-script queries
    cjk_weight: float = Field(default=0.75, ge=0, le=1)  # semantic share for Chinese/Japanese/Korean queries


class SearchConfig(_Strict):
    # semantic neighbours less similar than this (cosine, -1..1) are not results, so a query that matches
    # nothing gets "no results" instead of the nearest 50 documents. Default (null): each model's own floor
    # (`kmingest models list`); a number here overrides them all
    min_similarity: float | None = Field(default=None, ge=-1, le=1)
    fusion: FusionConfig = FusionConfig()


class AirflowConfig(_Strict):
    pool: str = "kmingest_index_writes"  # Airflow pool that bounds concurrent index writes


class SignInLimits(_Strict):
    """Sign-in throttling (portal/throttle.py): wrong sign-ins allowed within the window before 429."""

    user_failures: int = Field(default=5, ge=1)  # per user name (known or not)
    ip_failures: int = Field(default=20, ge=1)  # per client address (an office behind one NAT shares it)
    window_minutes: float = Field(default=15, gt=0)


class PortalConfig(_Strict):
    """The knowledge portal (`kmingest serve`). Secrets come from the environment variables named here.
    docs/portal.md "Production deployment" says what each security setting protects against."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    auth: Literal["config", "header"] = "config"  # header: trust an SSO proxy's user header
    demo_logins: bool = False  # configured users without a password_hash may sign in by name (samples only)
    trusted_header: str = "X-Forwarded-User"
    groups_header: str | None = "X-Forwarded-Groups"
    group_map: dict[str, str] = Field(default_factory=dict)  # SSO group -> principal, e.g. "dept:Sales"
    session_secret_env: str = "KMINGEST_SESSION_SECRET"
    api_tokens_env: str = "KMINGEST_API_TOKENS"  # "token1=user1,token2=user2"
    page_size: int = Field(default=10, ge=1, le=100)
    query_log_retention_days: int = Field(default=180, ge=1)
    source_links: dict[str, str] = Field(default_factory=dict)  # system -> URL template with {external_id}
    session_hours: float = Field(default=12, gt=0)  # a signed-in session expires after this long
    secure_cookies: bool = False  # set the Secure flag on the session cookie (serve behind HTTPS)
    allowed_hosts: tuple[str, ...] = ()  # Host header values served, e.g. portal.example.com; empty: any
    trusted_proxies: tuple[str, ...] = ()  # proxy addresses or networks (10.0.0.0/8): SSO headers and
    # X-Forwarded-For are believed only from these peers; empty: from any peer (header mode warns)
    proxy_secret_env: str | None = None  # header mode: env variable with a secret the proxy must send
    proxy_secret_header: str = "X-Kmingest-Proxy-Secret"  # ... in this header (the proxy sets it)
    sign_in_limits: SignInLimits = SignInLimits()
    timezone: str = "local"  # year facet boundaries: an IANA zone (Asia/Shanghai) or the machine's zone

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network (fix: e.g. 10.0.0.5)") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value != "local":
            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"unknown time zone {value!r} (fix: an IANA name such as Asia/Shanghai, or 'local')"
                ) from None
        return value


class CoverageConfig(_Strict):
    """Coverage reports for KM leads (`kmingest report coverage`, the coverage DAG, `/coverage`)."""

    knowledge_map: Path | None = None  # knowledge_map.yaml; relative to this file
    reports_dir: Path | None = None  # default: <state_dir>/reports
    thin_below: int = Field(default=3, ge=1)  # an area with fewer matching documents is "thin"
    stale_after_days: int = Field(default=365, ge=1)  # an area whose freshest document is older is "stale"
    near_empty_chars: int = Field(default=200, ge=0)
    attribute_problems: bool = True  # file problems by the department/type/ACL kept in state; false: unknown
    query_window_days: int = Field(default=30, ge=1)  # search analytics over the last N days of the query log
    top_queries: int = Field(default=20, ge=1, le=1000)  # rows per query list in the report
    pilot_departments: tuple[str, ...] = ()  # the rollout's pilot; the report compares them with the rest
    semantic_areas: bool = True  # areas also match by meaning (embedding similarity), not only keywords
    # per embedding model (profile name): a document counts for an area when its best chunk is at least this
    # similar to the area's name, description or a keyword; unset models use the calibrated defaults
    area_min_similarity: dict[str, float] = Field(default_factory=dict)
    discover_topics: bool = True  # cluster each department's chunks into topics; unmapped ones are candidates
    topic_min_documents: int = Field(default=2, ge=1)  # smaller clusters are not proposed as candidates
    demand_min_similarity: float = Field(
        default=0.8, gt=0, le=1
    )  # queries this similar form one demand topic


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
