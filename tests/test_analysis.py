from kmingest.analysis import analyze, highlight_spans, query_terms


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
