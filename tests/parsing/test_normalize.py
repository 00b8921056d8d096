"""Text normalisation after parsing (surrogates, controls, NFC, offsets) and binary detection over the whole
text (FITS-like files, base64 blobs)."""

from __future__ import annotations

import base64
import random
import struct

import pytest

from kmingest.models import ParsedContent
from kmingest.parsing import UnsupportedFormat, parse_bytes
from kmingest.parsing.binary import binary_reason, check_text
from kmingest.parsing.builder import TextBuilder
from kmingest.parsing.normalize import clean_text, normalize_content


def fits_like(header_cards: int, data_values: int) -> bytes:
    """An ASCII header of 80-character cards in 2880-byte blocks, then big-endian int16 pixels (FITS)."""
    cards = [
        "SIMPLE  =                    T / conforms to FITS standard",
        "BITPIX  =                   16",
        "OBJECT  = 'M31 Andromeda galaxy'",
        "TELESCOP= 'Schmidt 80cm'",
    ]
    cards += [f"HISTORY flat field and bias corrected, step {i}" for i in range(header_cards)] + ["END"]
    header = b"".join(card.ljust(80).encode("ascii") for card in cards)
    header = header.ljust(-(-len(header) // 2880) * 2880, b" ")
    rng = random.Random(7)
    data = b"".join(struct.pack(">h", int(rng.gauss(1000, 200))) for _ in range(data_values))
    return header + data


def test_lone_surrogates_are_replaced_and_split_pairs_joined() -> None:
    assert clean_text("Gothic \ud800 text") == "Gothic \ufffd text"
    assert clean_text("x\udc80") == "x\ufffd"
    assert clean_text("smile \ud83d\ude00") == "smile \U0001f600"
    clean_text("Gothic \ud800 text").encode("utf-8")  # encodable now


def test_controls_are_stripped_line_breaks_kept_and_text_is_nfc() -> None:
    assert clean_text("a\x00b\x07c\x1b[31md\x7fe\x85f\ufeffg") == "abc[31mdefg"
    assert clean_text("one\r\ntwo\rthree\ffour\tfive\n") == "one\ntwo\nthree\nfour\tfive\n"
    assert clean_text("Cafe\u0301 \ufb01") == "Café \ufb01"  # NFC composes, and keeps compatibility forms
    assert clean_text("\ufdd0\uffff ok") == " ok"


def test_section_offsets_stay_valid_after_normalisation() -> None:
    builder = TextBuilder(10_000)
    builder.heading(1, "Polic\u0065\u0301")
    builder.paragraph("Scope \x00\x01 covers e\u0301very site \ud800 here.")
    builder.heading(2, "Tools\x0b")
    builder.paragraph("Torque \x00wrenches\r\nare calibrated.")
    builder.heading(1, "Annex")
    builder.paragraph("Last \x07words.")
    raw = builder.build("md")
    assert len(raw.sections) == 3
    clean = normalize_content(raw)
    assert "\x00" not in clean.text and "\ud800" not in clean.text
    for before, after in zip(raw.sections, clean.sections, strict=True):
        assert clean.text[after.start : after.end] == clean_text(raw.text[before.start : before.end])
    assert [s.path for s in clean.sections] == [("Policé",), ("Policé", "Tools"), ("Annex",)]
    assert clean.text[clean.sections[1].start :].startswith("Tools\n\nTorque wrenches\nare calibrated.")
    assert clean.text[clean.sections[2].start : clean.sections[2].end] == "Annex\n\nLast words."


def test_page_offsets_and_title_follow_the_normalised_text() -> None:
    text = "Page\x00 one\n\nPage two"
    raw = ParsedContent(text, "Ti\x00tle\ud800", (), "pdf", {"page_offsets": [0, 11], "author": "A\x00B"})
    clean = normalize_content(raw)
    assert clean.text == "Page one\n\nPage two"
    assert clean.metadata["page_offsets"] == [0, 10]
    assert clean.text[10:] == "Page two"
    assert clean.title == "Title\ufffd" and clean.metadata["author"] == "AB"


def test_fits_like_file_with_a_text_header_is_skipped_as_binary() -> None:
    # 3 header blocks (8640 bytes) hide the binary data from the 8 KB sniffer; the data dominates the file
    data = fits_like(header_cards=100, data_values=128 * 128)
    parsed = parse_bytes(data, "m31.fits")
    with pytest.raises(UnsupportedFormat, match=r"^binary content: \d+% replacement or control characters"):
        check_text(parsed.text, parsed.doc_type)


def test_a_short_binary_tail_after_a_long_text_is_cut_out() -> None:
    data = fits_like(header_cards=100, data_values=60)  # 120 bytes of data after 8640 of header
    parsed = parse_bytes(data, "small.fits")
    check_text(parsed.text, parsed.doc_type)  # mostly text: not skipped
    clean = normalize_content(parsed).text
    assert "M31 Andromeda galaxy" in clean and "\ufffd" not in clean
    assert len(clean) < len(parsed.text)


def test_base64_blob_in_word_2003_xml_is_removed_and_the_text_kept() -> None:
    blob = base64.encodebytes(random.Random(3).randbytes(30_000)).decode("ascii")
    xml = (
        '<?xml version="1.0"?><w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml">'
        "<w:body><w:p><w:r><w:t>Pump maintenance schedule for the Suzhou plant.</w:t></w:r></w:p>"
        f'<w:pict><w:binData w:name="wordml://02000001.png">{blob}</w:binData></w:pict>'
        "<w:p><w:r><w:t>" + "Check the seals every month and log the pressure. " * 30 + "</w:t></w:r></w:p>"
        "</w:body></w:wordDocument>"
    ).encode("utf-8")
    parsed = parse_bytes(xml, "schedule.xml")
    assert blob.split()[5] in parsed.text  # the parser kept it
    check_text(parsed.text, parsed.doc_type)  # not skipped: there is real text beside the blob
    clean = normalize_content(parsed).text
    assert "Pump maintenance schedule" in clean and "log the pressure" in clean
    assert blob.split()[5] not in clean and len(clean) < 3000


def test_a_file_that_is_one_base64_blob_is_skipped() -> None:
    data = b"MIME-Version: 1.0\nContent-Transfer-Encoding: base64\n\n" + base64.encodebytes(
        bytes(range(256)) * 40
    )
    parsed = parse_bytes(data, "smime.p7m")
    with pytest.raises(UnsupportedFormat, match=r"^binary content: base64 blob, (99|100)% of the text"):
        check_text(parsed.text, parsed.doc_type)


def test_text_that_only_looks_like_base64_is_kept() -> None:
    dna = "\n".join("ACGT" * 15 for _ in range(100))  # long alphanumeric lines, but 4 symbols
    assert binary_reason(dna) is None and clean_text(dna) == dna
    short_key = "Key: " + base64.b64encode(bytes(range(200))).decode()  # 268 characters: kept
    assert clean_text(short_key) == short_key
    chinese = "员工请假需提前在OA系统提交申请。" * 200
    assert binary_reason(chinese) is None and clean_text(chinese) == chinese
