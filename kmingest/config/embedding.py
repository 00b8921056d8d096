"""Configuration of how documents become vectors and chunks: the embedding models per script (`embedding`,
with models of your own under `embedding.profiles`) and the chunk sizes (`chunking`).

The pipeline chunks and embeds with these settings, search embeds queries with the same models, coverage
compares chunks with them; a bad model name or size order names the key and the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from kmingest.config.base import _Strict
from kmingest.embedding.profiles import BUILTIN, DEFAULT_MODELS, ModelProfile, Script


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
