"""Measure how many Chinese terms of discovered topics' labels are whole words, judged by an independent
segmenter (jieba, not a kmingest dependency: `pip install jieba` into any environment to run this).

    python -m tests.coverage.measure_labels REPORT.json INDEX.db

A label term is whole when, at most of its occurrences in its department's documents, jieba's segmentation
has a word boundary just before and just after it (the term may span several of jieba's words, as
考勤管理制度 does: 考勤 / 管理制度). Prints the share of whole terms and the terms that are not.
"""

from __future__ import annotations

import json
import re
import sqlite3
import sys
from collections import defaultdict
from functools import cache
from pathlib import Path

import jieba  # type: ignore[import-untyped]

from kmingest.analysis import is_cjk


@cache
def boundaries(text: str) -> frozenset[int]:
    """Character offsets where jieba starts or ends a word."""
    out, at = {0}, 0
    for token in jieba.lcut(text):
        at += len(token)
        out.add(at)
    return frozenset(out)


def whole(term: str, texts: list[str]) -> bool | None:
    hits = aligned = 0
    for text in texts:
        for m in re.finditer(re.escape(term), text):
            hits += 1
            cuts = boundaries(text)
            aligned += m.start() in cuts and m.end() in cuts
    return None if hits == 0 else aligned * 2 >= hits


def main(report_path: str, index_path: str) -> None:
    jieba.setLogLevel(60)
    report = json.loads(Path(report_path).read_text(encoding="utf-8"))
    texts: dict[str, list[str]] = defaultdict(list)
    for title, dept, text in sqlite3.connect(index_path).execute(
        "SELECT title, department, text FROM documents"
    ):
        texts[dept or "unassigned"] += [title, text]
    judged = good = 0
    bad: list[str] = []
    for topic in report["topics"]:
        for term in topic["terms"]:
            if not is_cjk(term):
                continue
            verdict = whole(term, texts[topic["department"]])
            if verdict is None:
                continue
            judged, good = judged + 1, good + verdict
            if not verdict:
                bad.append(term)
    print(f"whole words: {good}/{judged} = {good / max(judged, 1):.3f} of the Chinese label terms")
    print("not whole:", ", ".join(bad))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
