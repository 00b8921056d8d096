import json
from pathlib import Path

import pytest

from kmingest.config import parse_config
from kmingest.eval import EvalDataError, evaluate, ndcg_at, recall_at


def test_ndcg_and_recall_formulas() -> None:
    assert ndcg_at(["a", "b"], {"a": 1}) == 1.0
    assert ndcg_at(["b", "a"], {"a": 1}) == pytest.approx(1 / 1.5849625)
    assert ndcg_at(["x"], {"a": 1}) == 0.0
    assert recall_at(["a", "x", "b"], {"a": 1, "b": 1, "c": 1}) == pytest.approx(2 / 3)


def write_beir(root: Path) -> Path:
    docs = {
        "d1": (
            "Aspirin and heart attacks",
            "Daily low-dose aspirin reduces the risk of myocardial infarction.",
        ),
        "d2": ("Vitamin D and bones", "Vitamin D supplementation improves bone mineral density in adults."),
        "d3": ("Sleep and memory", "Sleep deprivation impairs the consolidation of long-term memory."),
        "d4": ("Exercise and mood", "Regular aerobic exercise lowers symptoms of depression."),
    }
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": k, "title": t, "text": x}) + "\n" for k, (t, x) in docs.items())
    )
    queries = {
        "q1": "aspirin prevents heart attack",
        "q2": "not sleeping hurts memory",
        "q3": "physical activity helps against depression",
    }
    (root / "queries-dev.jsonl").write_text(
        "".join(json.dumps({"_id": k, "text": v}) + "\n" for k, v in queries.items())
    )
    (root / "qrels" / "dev.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\nq3\td4\t1\n")
    return root


def test_eval_scores_every_mode_on_a_tiny_corpus(tmp_path: Path) -> None:
    beir = write_beir(tmp_path / "beir")
    cfg = parse_config({"state_dir": str(tmp_path / "state")}, tmp_path / "k.yaml")
    results = evaluate(cfg, beir, "dev", ("bm25", "vector", "hybrid"))
    assert set(results) == {"bm25", "vector", "hybrid"}
    assert results["vector"]["ndcg@10"] == pytest.approx(1.0)
    assert results["hybrid"]["recall@100"] == pytest.approx(1.0)
    assert results["bm25"]["queries"] == 3
    # the eval index lives apart from the main index, and a second eval reuses it
    assert not (tmp_path / "state" / "index.db").exists()
    assert evaluate(cfg, beir, "dev", ("hybrid",))["hybrid"] == results["hybrid"]


def test_missing_qrels_is_a_clear_error(tmp_path: Path) -> None:
    beir = write_beir(tmp_path / "beir")
    cfg = parse_config({"state_dir": str(tmp_path / "state")}, tmp_path / "k.yaml")
    with pytest.raises(EvalDataError, match=r"qrels/test\.tsv: missing"):
        evaluate(cfg, beir, "test", ("bm25",))
