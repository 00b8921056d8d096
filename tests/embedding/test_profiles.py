"""Each model profile loads offline through sentence-transformers and embeds by meaning, in its language."""

from __future__ import annotations

import numpy as np
import pytest

from kmingest.embedding import BUILTIN, Encoder, default_model_dir

# the profiles .ci/run installs: the defaults, the int8 MiniLM and the torch MiniLM from PyPI
PROFILES = ["bge-small-en-v1.5-q", "bge-small-zh-v1.5-q", "all-MiniLM-L6-v2-q", "all-MiniLM-L6-v2"]
EN = (
    "how often are torque wrenches calibrated",
    ["Torque wrenches are calibrated every six months.", "Employees receive ten days of annual leave."],
)
ZH = ("员工年假有几天", ["员工每年享有十天带薪年假。", "扭力扳手每六个月校准一次。"])


@pytest.mark.parametrize("name", PROFILES)
def test_profile_loads_offline_and_ranks_by_meaning(name: str) -> None:
    profile = BUILTIN[name]
    enc = Encoder(profile, default_model_dir())
    query, (good, bad) = ZH if "zh" in name else EN
    q = enc.queries([query])[0]
    passages = enc.passages([good, bad])
    assert passages.shape == (2, profile.dimension)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    sims = passages @ q
    assert sims[0] > sims[1]
    assert sims[0] >= profile.min_similarity > sims[1] or name.startswith(
        "all-MiniLM"
    )  # floors: BENCHMARKS.md


def test_query_instruction_is_applied_to_queries_only() -> None:
    profile = BUILTIN["bge-small-zh-v1.5-q"]
    assert profile.query_prefix and not profile.passage_prefix
    enc = Encoder(profile, default_model_dir())
    as_query, as_passage = enc.queries(["质量管理"])[0], enc.passages(["质量管理"])[0]
    assert float(as_query @ as_passage) < 0.999  # the instruction changes the query's vector


def test_int8_minilm_stays_close_to_the_torch_weights() -> None:
    texts = ["Torque wrenches are calibrated every six months.", "Gauges out of tolerance are locked."]
    torch = Encoder(BUILTIN["all-MiniLM-L6-v2"], default_model_dir()).passages(texts)
    int8 = Encoder(BUILTIN["all-MiniLM-L6-v2-q"], default_model_dir()).passages(texts)
    assert np.all(np.sum(torch * int8, axis=1) > 0.97)
