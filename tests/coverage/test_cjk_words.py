"""Chinese words for topic labels (kmingest.coverage.cjk_words): a bigram becomes the word it belongs to in
the department's texts, judged by how many different contexts a string has on each side."""

from __future__ import annotations

from kmingest.coverage.cjk_words import CjkWords


def test_a_piece_of_a_word_grows_into_the_whole_word() -> None:
    words = CjkWords(["新版考勤管理制度发布", "考勤管理制度规定迟到处理", "关于考勤管理制度的说明"])
    assert words.word("勤管") == "考勤管理制度"
    assert words.word("考勤") == "考勤管理制度"  # the longest string that stands as a word
    fares = CjkWords(["乘坐高铁二等座出差", "高铁二等座，飞机经济舱", "可报销高铁二等座。"])
    assert fares.word("二等") == "高铁二等座"  # 等 is a particle in 螺栓等, not here


def test_a_repeated_sentence_gives_its_words_not_its_pieces() -> None:
    # generated exports repeat whole sentences: 如与国家法律 is always followed by 法规, and 与 is a particle
    words = CjkWords(["如与国家法律法规相抵触，以法律法规为准"] * 3 + ["员工须遵守国家法律法规"])
    assert words.word("国家") == "国家法律法规"
    assert words.word("如与") is None  # a particle inside: no word holds it
    assert words.word("法律") == "国家法律法规"


def test_a_bigram_that_is_in_no_word_gives_none() -> None:
    # 十个 is only ever in 后十个工作日内: one neighbour on a side wherever it stands
    words = CjkWords(["报销单须在出差结束后十个工作日内提交", "借款须在出差结束后十个工作日内归还"])
    assert words.word("十个") is None
    assert words.word("于安") is None  # 低于安全库存: 于 ends a word


def test_names_in_varied_contexts_are_words() -> None:
    texts = ["联系人：欧阳晓雯，电话", "欧阳晓雯 (总工程师)", "拜访欧阳晓雯并演示样机"]
    assert CjkWords(texts).word("晓雯") == "欧阳晓雯"


def test_only_the_first_max_chars_of_the_texts_are_read() -> None:
    texts = ["新版考勤管理制度发布", "考勤管理制度规定迟到处理", "关于考勤管理制度的说明"]
    assert CjkWords(texts, max_chars=100).word("勤管") == "考勤管理制度"
    # only the first text fits: one context on each side is not a word
    assert CjkWords(texts, max_chars=12).word("勤管") is None
