"""The direct ONNX query path (embedding/onnx_queries.py) gives sentence-transformers' vectors, for every
built-in ONNX profile the tests install, and steps aside for folders it cannot reproduce."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from kmingest.embedding.encoder import Encoder, default_model_dir
from kmingest.embedding.onnx_queries import load_query_model
from kmingest.embedding.profiles import BUILTIN

QUERIES = [
    "有限空间作业需要哪些审批",
    "  汽蚀噪声 pump cavitation noise  ",
    "How do I apply for annual leave?",
    "ERP 物料编码 MAT-10023 供应商 Acme GmbH",
    "word " * 700,  # longer than every profile's max_seq_length: truncated the same way
    "x",
]


@pytest.mark.parametrize("name", ["bge-small-en-v1.5-q", "bge-small-zh-v1.5-q", "all-MiniLM-L6-v2-q"])
def test_direct_query_vectors_equal_sentence_transformers(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    encoder = Encoder(BUILTIN[name], default_model_dir())
    assert encoder._direct_query_model() is not None, f"{name} should take the direct path"
    one_by_one = np.vstack([encoder.queries([q]) for q in QUERIES])  # a search encodes one query
    reference = np.vstack([encoder._encode([q], encoder.profile.query_prefix) for q in QUERIES])  # s-t
    assert one_by_one.shape == reference.shape == (len(QUERIES), encoder.profile.dimension)
    assert np.abs(one_by_one - reference).max() < 1e-5
    # in a batch, int8 models quantize activations per batch (padding included), in both paths alike:
    # the vectors move a little with the batch's composition, never in meaning
    batch = encoder.queries(QUERIES)
    assert (np.sum(batch * reference, axis=1) > 0.95).all()  # seen: 0.97-0.997, s-t batches alike


def test_threads_encode_in_parallel_and_get_the_same_vectors() -> None:
    encoder = Encoder(BUILTIN["bge-small-zh-v1.5-q"], default_model_dir())
    expected = np.vstack([encoder.queries([q]) for q in QUERIES[:4]])
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: encoder.queries([QUERIES[i % 4]])[0], range(64)))
    for i, vector in enumerate(results):
        assert np.abs(vector - expected[i % 4]).max() < 1e-5


def test_a_folder_with_a_module_it_cannot_reproduce_keeps_sentence_transformers(tmp_path: Path) -> None:
    source = default_model_dir() / "bge-small-zh-v1.5-q"
    folder = tmp_path / "custom"
    shutil.copytree(source, folder)
    modules = json.loads((folder / "modules.json").read_text())
    modules.insert(
        2, {"idx": 9, "name": "9", "path": "9_Dense", "type": "sentence_transformers.models.Dense"}
    )
    (folder / "modules.json").write_text(json.dumps(modules))
    assert load_query_model(str(folder), 512, 1) is None
    pooling = folder / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    (folder / "modules.json").write_text((source / "modules.json").read_text())
    config.update(pooling_mode_cls_token=False, pooling_mode_max_tokens=True)
    pooling.write_text(json.dumps(config))
    assert load_query_model(str(folder), 512, 1) is None  # max pooling: not reproduced here


def test_the_switch_sends_queries_through_sentence_transformers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KMINGEST_DIRECT_QUERIES", "0")
    encoder = Encoder(BUILTIN["bge-small-en-v1.5-q"], default_model_dir())
    assert encoder._direct_query_model() is None
    assert encoder.queries(["leave policy"]).shape == (1, 384)
