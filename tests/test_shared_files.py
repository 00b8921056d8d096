"""Ingest every real-world file under ../shared/data/files: each one ends indexed with text, or recorded
as skipped/failed with a reason; nothing aborts the run. The subject is reading the files, not the model:
chunks are embedded by the hashed test embedder (the real model took minutes here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmingest.config import parse_config
from kmingest.index.base import Caller, SearchRequest
from kmingest.testing.embedder import hashed_embedding
from kmingest.workspace import Workspace
from tests.conftest import SHARED_DATA

FILES = SHARED_DATA / "files"
FORMAT_PHRASES = {
    "unstructured/fake-power-point.pptx": "Use _TextFrame.text for first bullet",
    "unstructured/fake-power-point-table.pptx": "Purple | Orange | Yellow",
    "unstructured/fake.odt": "Lorem ipsum dolor sit amet.",
    "unstructured/fake-doc.rtf": "My first paragraph.",
    "unstructured/fake-doc-emphasized-text.doc": "I am a bold italic bold-italic text.",
    "unstructured/fake.doc": "Lorem ipsum dolor sit amet.",
    "unstructured/tests-example.xls": "Bagpipes are awesome.",
    "unstructured/fake-email.msg": "This is a test email to use for unit tests.",
}


@pytest.mark.slow  # a large corpus (about 220 files of every format)
def test_every_shared_file_is_indexed_or_recorded_with_a_reason(tmp_path: Path) -> None:
    assert FILES.is_dir(), f"{FILES} is missing"
    cfg = parse_config(
        {
            "state_dir": str(tmp_path),
            "embedding": hashed_embedding(),
            "sources": [{"name": "files", "connector": "filesystem", "path": str(FILES)}],
        },
        tmp_path / "kmingest.yaml",
    )
    all_files = sorted(
        p.relative_to(FILES).as_posix()
        for p in FILES.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )
    with Workspace(cfg) as ws:
        stats = ws.ingest(["files"])["files"]
        known = ws.state.known("files")
        problems = {d["external_id"]: d for d in ws.state.dead_letters("files")}
        assert stats.seen == len(all_files)
        for rel in all_files:
            if rel in problems:
                assert problems[rel]["reason"].strip(), rel
                continue
            assert known[rel][1] == "indexed", rel
            doc = ws.index.get_document(known[rel][2], Caller.system())
            assert doc is not None and str(doc["text"]).strip(), rel
        assert stats.indexed > 0.7 * len(all_files)
        # the GB2312 pages come out as readable Chinese
        hits = ws.index.search(SearchRequest(query="PicoBlogger", mode="bm25"), Caller.system(), None).hits
        assert any(h.external_id == "chardet-gb2312/cnblog.org.xml" for h in hits)
        doc = ws.index.get_document(known["chardet-gb2312/cnblog.org.xml"][2], Caller.system())
        assert doc is not None and "Picostation的PicoBlogger是" in str(doc["text"])
        # the office formats of issue 12 are indexed with readable text, not skipped
        for rel, phrase in FORMAT_PHRASES.items():
            assert known[rel][1] == "indexed", (rel, problems.get(rel))
            doc = ws.index.get_document(known[rel][2], Caller.system())
            assert doc is not None and phrase in str(doc["text"]), rel
