import sqlite3

import numpy as np
import pytest

from kmingest.index.lexical import Postings, Vocabulary, chunk_terms, query_term_ids


@pytest.fixture
def vocab() -> Vocabulary:
    return Vocabulary(sqlite3.connect(":memory:"))


def build(vocab: Vocabulary, chunks: list[tuple[str, str, str]]) -> Postings:
    rows = [chunk_terms(vocab, *c) for c in chunks]
    return Postings.build([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


def test_bm25_prefers_rarer_terms_higher_frequency_and_title_matches(vocab: Vocabulary) -> None:
    postings = build(
        vocab,
        [
            ("Pumps", "", "valve valve valve seal"),
            ("Valves", "", "valve seal"),
            ("Other", "", "pump housing seal"),
            ("Misc", "", "gasket"),
        ],
    )
    scores = postings.scores(query_term_ids(vocab, "valve"))
    assert scores[3] == 0 and scores[2] == 0
    assert scores[1] > scores[0] > 0  # the title match (x1.5) of a short chunk beats tf 3 in a longer one
    seal = postings.scores(query_term_ids(vocab, "seal gasket"))
    assert seal[3] > seal[0]  # gasket is rarer than seal


def test_prefix_terms_for_single_cjk_characters(vocab: Vocabulary) -> None:
    postings = build(vocab, [("", "", "质量部"), ("", "", "品质"), ("", "", "数量")])
    scores = postings.scores(query_term_ids(vocab, "质"))
    assert scores[0] > 0 and scores[1] > 0 and scores[2] == 0


def test_unknown_terms_and_empty_index_score_nothing(vocab: Vocabulary) -> None:
    assert query_term_ids(vocab, "nothing here") == []
    empty = Postings.build([], [], [])
    assert empty.scores([[1]]).shape == (0,)
    postings = build(vocab, [("", "", "alpha")])
    assert np.all(postings.scores(query_term_ids(vocab, "beta")) == 0)


def test_vocabulary_ids_are_shared_between_connections(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "v.db"
    a, b = Vocabulary(sqlite3.connect(path)), Vocabulary(sqlite3.connect(path))
    ids_a = a.ids_for_write(["valve", "pump"])
    a._db.commit()
    assert b.ids_for_write(["pump", "seal", "valve"])[::2] == [ids_a[1], ids_a[0]]
