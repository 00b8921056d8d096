"""Fusion of keyword and semantic rankings (index/fusion.py): scores keep their size, weights per script."""

from __future__ import annotations

from kmingest.index.fusion import fuse


def test_a_neighbour_just_above_the_floor_does_not_bury_the_best_keyword_match() -> None:
    lexical = [("exact", 12.0), ("partial", 3.0)]
    semantic = [("weak", 0.52), ("partial", 0.51)]  # floor 0.5: barely related
    ranked = [k for k, _ in fuse(lexical, semantic, weight=0.75, floor=0.5)]
    assert ranked[0] == "exact"
    assert ranked.index("partial") < ranked.index("weak")


def test_a_strong_meaning_match_outranks_a_weak_keyword_match() -> None:
    lexical = [("mentions-word", 2.0)]
    semantic = [("answers-question", 0.92), ("mentions-word", 0.55)]
    ranked = fuse(lexical, semantic, weight=0.75, floor=0.5)
    assert [k for k, _ in ranked] == ["answers-question", "mentions-word"]


def test_weight_zero_is_keyword_order_and_weight_one_is_semantic_order() -> None:
    lexical = [("a", 3.0), ("b", 2.0), ("c", 1.0)]
    semantic = [("c", 0.9), ("b", 0.8)]
    assert [k for k, _ in fuse(lexical, semantic, 0.0, 0.5)] == ["a", "b", "c"]
    assert [k for k, _ in fuse(lexical, semantic, 1.0, 0.5)][:2] == ["c", "b"]


def test_rrf_uses_ranks_only() -> None:
    lexical = [("a", 100.0), ("b", 1.0)]
    semantic = [("b", 0.99)]
    scores = dict(fuse(lexical, semantic, 0.5, None, method="rrf"))
    assert scores["b"] > scores["a"]
    assert abs(scores["a"] - 0.5 / 21) < 1e-9


def test_top_is_the_head_of_the_full_ranking_ties_included() -> None:
    lexical = [(f"d{i}", float(i % 4)) for i in range(40)]  # many ties
    semantic = [(f"d{i}", 0.5 + (i % 3) / 10) for i in range(0, 60, 2)]
    for method in ("convex", "rrf"):
        full = fuse(lexical, semantic, 0.6, 0.5, method=method)  # type: ignore[arg-type]
        assert len(full) == 50  # d0..d39 and the even d40..d58
        for top in (0, 1, 7, 10, 49, 50, 100):
            assert fuse(lexical, semantic, 0.6, 0.5, method=method, top=top) == full[:top]  # type: ignore[arg-type]
