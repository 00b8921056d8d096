import itertools

from kmingest.chunking import chunk_document, estimate_tokens
from kmingest.models import Document, Section


def doc(text: str, sections: tuple[Section, ...] = (), title: str = "T") -> Document:
    return Document(
        doc_id="d1",
        source="s",
        external_id="e",
        system="oa",
        title=title,
        text=text,
        sections=sections,
        doc_type="txt",
        department="HR",
        acl=("public",),
        content_hash="h",
    )


def test_offsets_point_at_the_chunk_text() -> None:
    text = " ".join(f"Sentence number {i} talks about valves and pumps." for i in range(200))
    chunks = chunk_document(doc(text), target_tokens=100, max_tokens=150, overlap_tokens=20)
    assert len(chunks) > 5
    for c in chunks:
        assert text[c.start : c.end] == c.text
        assert estimate_tokens(c.text) <= 150
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert chunks[0].chunk_id.startswith("d1:")


def test_consecutive_chunks_overlap_and_cover_everything() -> None:
    text = " ".join(f"Sentence {i} is here." for i in range(300))
    chunks = chunk_document(doc(text), target_tokens=60, max_tokens=80, overlap_tokens=10)
    for a, b in itertools.pairwise(chunks):
        assert b.start < a.end  # overlap
        assert b.start > a.start  # progress
    assert chunks[0].start == 0 and chunks[-1].end == len(text)


def test_headings_start_new_chunks_and_name_the_section() -> None:
    intro = "Intro text about the manual. " * 20
    scope = "Scope applies to all plants and all shifts. " * 20
    rules = "Rules say to calibrate gauges every year. " * 20
    text = f"{intro}\n\n{scope}\n\n{rules}"
    a, b = text.index("Scope"), text.index("Rules")
    sections = (Section(("Manual", "Scope"), a, b), Section(("Manual", "Rules"), b, len(text)))
    chunks = chunk_document(doc(text, sections, title="Quality manual"))
    assert [c.section for c in chunks] == ["", "Manual > Scope", "Manual > Rules"]
    assert chunks[1].text.startswith("Scope") and chunks[2].text.startswith("Rules")
    assert all(c.title == "Quality manual" for c in chunks)
    assert chunks[2].embedding_input().startswith("Quality manual / Manual > Rules\n")


def test_tiny_sections_join_the_next_one_instead_of_making_heading_only_chunks() -> None:
    text = "Leave policy\n\nEntitlement\n\nTen days per year.\n\nRequests\n\nAsk your manager."
    sections = (
        Section(("Leave policy",), 0, 12),
        Section(("Leave policy", "Entitlement"), 14, 43),
        Section(("Leave policy", "Requests"), 45, len(text)),
    )
    chunks = chunk_document(doc(text, sections))
    assert len(chunks) == 1 and chunks[0].text == text


def test_chinese_text_splits_on_chinese_punctuation() -> None:
    sentence = "质量部检验员按照抽样计划对每批来料进行外观尺寸和性能检验。"
    text = sentence * 40
    chunks = chunk_document(doc(text), target_tokens=100, max_tokens=150, overlap_tokens=0)
    assert len(chunks) > 5
    assert all(c.text.endswith("。") for c in chunks)


def test_one_huge_line_without_punctuation_is_cut_within_the_limit() -> None:
    text = "x" * 5000 + " " + "词" * 3000
    chunks = chunk_document(doc(text), target_tokens=200, max_tokens=300, overlap_tokens=0)
    assert all(estimate_tokens(c.text) <= 300 for c in chunks)
    assert "".join(c.text for c in chunks).replace(" ", "") == text.replace(" ", "")


def test_same_text_gives_same_chunk_hashes() -> None:
    a = chunk_document(doc("Alpha. Beta. Gamma."))
    b = chunk_document(doc("Alpha. Beta. Gamma."))
    assert [c.text_hash for c in a] == [c.text_hash for c in b]
