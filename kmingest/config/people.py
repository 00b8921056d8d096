"""Configuration of what people get from the index: who may read what (`access`), how search ranks
(`search`, with its `fusion` weights), the knowledge portal (`portal`, with its sign-in limits) and the
coverage reports for KM leads (`coverage`).

The portal, search service and coverage reports read these sections; an error names the file, the key and
the fix. Secrets (session secret, API tokens, proxy secret) come from the environment variables named here.
"""

from __future__ import annotations

import ipaddress
import zoneinfo
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from kmingest.config.base import _Strict


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
