from kmingest.analysis import analyze, densest_window, highlight_spans, query_terms
from kmingest.index.base import make_snippet


def test_latin_terms_are_lowercased_stemmed_and_stopwords_dropped() -> None:
    assert analyze("The Calibrated Wrenches") == ["calibr", "wrench"]


def test_cjk_runs_become_bigrams_plus_final_character() -> None:
    assert analyze("质量管理") == ["质量", "量管", "管理", "理"]
    assert analyze("ISO9001质量") == ["iso9001", "质量", "量"]


def test_query_terms_for_cjk_use_bigrams_and_single_characters_as_prefix() -> None:
    assert query_terms("质量管理") == ["质量", "量管", "管理"]
    assert query_terms("质") == ["质*"]


def test_query_with_only_stop_words_or_punctuation_has_no_terms() -> None:
    assert query_terms("the of ?!") == []
    assert query_terms('say "hi" say') == ["say", "hi"]


def test_highlight_spans_cover_word_forms_and_chinese_substrings() -> None:
    text = "Calibrating gauges; 质量部检验员"
    spans = highlight_spans(text, "calibration 质量")
    assert [text[s:e] for s, e in spans] == ["Calibrating", "质量"]


def _marked(text: str, query: str) -> list[str]:
    return [text[s:e] for s, e in highlight_spans(text, query)]


def test_highlight_chinese_question_marks_runs_covered_by_its_bigrams() -> None:
    # 间作 is a query bigram too, and 作业|审批 touch: each maximal covered run is one mark
    text = "进入有限空间作业前须办理作业审批。"
    assert _marked(text, "有限空间作业需要哪些审批") == ["有限空间作业", "作业审批"]
    text = "进入有限空间后的作业须经审批"
    assert _marked(text, "有限空间作业需要哪些审批") == ["有限空间", "作业", "审批"]


def test_highlight_chinese_without_shared_bigram_marks_nothing() -> None:
    # 空 and 作 occur in the text, but no bigram of the query does: no single characters on their own
    assert highlight_spans("空气压缩机的操作规程", "有限空间作业") == []


def test_highlight_single_chinese_character_query_marks_each_occurrence() -> None:
    assert _marked("质量部：来料质检", "质") == ["质", "质"]


def test_highlight_mixed_chinese_and_latin_query_marks_both() -> None:
    text = "依据ISO9001标准开展质量审核，审核周期为一年。"
    assert _marked(text, "ISO9001 质量审核") == ["ISO9001", "质量审核", "审核"]


def test_highlight_latin_marks_word_forms_but_not_stop_words() -> None:
    text = "Calibrate the wrench. Calibration of wrenches; calibrated-wrench"
    marked = ["Calibrate", "wrench", "Calibration", "wrenches", "calibrated", "wrench"]
    assert _marked(text, "the calibration of wrenches") == marked


def test_make_snippet_centres_on_chinese_matches_and_escapes_text() -> None:
    filler = "本段与问题无关，只是填充内容。" * 30
    passage = "<script>注意</script>进入有限空间作业前须办理作业审批。"
    text = "费用审批见附件。" + filler + passage + filler  # one lone match first, the dense passage later
    snippet = make_snippet(text, "有限空间作业需要哪些审批")
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "附件" not in snippet and snippet.count("<mark>") == 2
    assert "&lt;script&gt;注意&lt;/script&gt;进入<mark>有限空间作业</mark>前须办理" in snippet
    assert "办理<mark>作业审批</mark>。" in snippet
    assert "<script>" not in snippet


def test_highlight_marks_words_whose_stem_changes_their_start_and_normalised_forms() -> None:
    text = "Patients dying early. ＦＵＬＬ text, É cole, and the 﨑 family"  # fullwidth, compat ideograph
    marked = [text[s:e] for s, e in highlight_spans(text, "die full 﨑")]
    assert marked == ["dying", "ＦＵＬＬ", "﨑"]


def test_densest_window_is_the_first_window_with_the_most_match_starts() -> None:
    spans = [(0, 2), (5, 7), (300, 302), (310, 312), (320, 322), (900, 902), (905, 907), (910, 912)]

    def brute(width: int) -> int:
        counts = [sum(1 for s, _ in spans if 0 <= s - spans[i][0] < width) for i in range(len(spans))]
        return counts.index(max(counts))

    for width in (1, 10, 21, 240, 1000):
        assert densest_window(spans, width) == brute(width)
    assert densest_window(spans, 240) == 2  # the first of the two windows holding three matches
    assert densest_window([], 240) == -1
