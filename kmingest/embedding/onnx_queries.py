"""The query side of an ONNX profile, without sentence-transformers: the model folder's tokenizer.json,
one onnxruntime session and the pooling in numpy. A search encodes one short query; sentence-transformers'
per-call work (feature dicts, torch tensors around the ONNX session, pooling modules) cost about 1 ms of
the 4-5 ms that takes. Passages (batches at ingest) still go through sentence-transformers.

Used only where the folder is the plain pipeline this reproduces exactly: modules Transformer, Pooling
(CLS or mean) and optionally Normalize, a `tokenizer.json` and `onnx/model.onnx` with a
`last_hidden_state` output. Anything else (a custom module, another pooling) returns None from
`load_query_model` and the caller keeps sentence-transformers. tests/embedding/test_onnx_queries.py checks
the vectors match sentence-transformers' for every built-in ONNX profile.

No lock: onnxruntime's `run` is thread-safe and releases the GIL, and a `tokenizers.Tokenizer` whose
truncation is set once at load only reads itself in `encode`, so portal threads encode in parallel.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]
_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"


class QueryModel:
    """tokenizer.json + an onnxruntime session + CLS or mean pooling, L2-normalised."""

    def __init__(self, tokenizer: Any, session: Any, pooling: str, lowercase: bool) -> None:
        self.tokenizer = tokenizer
        self.session = session
        self.pooling = pooling
        self.lowercase = lowercase
        self.inputs = {i.name for i in session.get_inputs()}

    def encode(self, texts: Sequence[str]) -> Matrix:
        # as sentence-transformers' Transformer.tokenize: stripped, lower-cased where the folder says so
        prepared = [t.strip().lower() if self.lowercase else t.strip() for t in texts]
        encodings = self.tokenizer.encode_batch(prepared)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            n = len(e.ids)
            ids[row, :n] = e.ids
            mask[row, :n] = e.attention_mask
            types[row, :n] = e.type_ids
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        hidden = self.session.run(["last_hidden_state"], {k: v for k, v in feed.items() if k in self.inputs})[
            0
        ]
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.clip(norms, 1e-12, None), dtype=np.float32)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _plain_pipeline(folder: Path) -> tuple[str, bool] | None:
    """(pooling, lowercase) where the folder is Transformer + Pooling (+ Normalize); else None."""
    modules = _read_json(folder / "modules.json")
    if not isinstance(modules, list):
        return None
    types = [m.get("type") for m in modules if isinstance(m, dict)]
    if types not in ([_TRANSFORMER, _POOLING], [_TRANSFORMER, _POOLING, _NORMALIZE]):
        return None
    if modules[0].get("path", "") != "":
        return None
    pooling = _read_json(folder / modules[1].get("path", "") / "config.json")
    if not isinstance(pooling, dict):
        return None
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode_") and v is True}
    kind = {"pooling_mode_cls_token": "cls", "pooling_mode_mean_tokens": "mean"}.get(next(iter(modes), ""))
    if len(modes) != 1 or kind is None:
        return None
    bert = _read_json(folder / "sentence_bert_config.json")
    return kind, bool(isinstance(bert, dict) and bert.get("do_lower_case"))


@functools.lru_cache(maxsize=8)
def load_query_model(folder: str, max_seq_length: int, threads: int) -> QueryModel | None:
    """The query model of a sentence-transformers ONNX folder, or None where this module cannot
    reproduce its pipeline exactly (the caller then uses sentence-transformers)."""
    root = Path(folder)
    plan = _plain_pipeline(root)
    if (
        plan is None
        or not (root / "tokenizer.json").is_file()
        or not (root / "onnx" / "model.onnx").is_file()
    ):
        return None
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
    tokenizer.enable_truncation(max_seq_length)  # counts the special tokens, as sentence-transformers does
    tokenizer.no_padding()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(
        str(root / "onnx" / "model.onnx"), options, providers=["CPUExecutionProvider"]
    )
    if "last_hidden_state" not in {o.name for o in session.get_outputs()}:
        return None
    return QueryModel(tokenizer, session, *plan)


def direct_queries_enabled() -> bool:
    """KMINGEST_DIRECT_QUERIES=0 sends queries through sentence-transformers too (for comparisons)."""
    return os.environ.get("KMINGEST_DIRECT_QUERIES", "1") != "0"
