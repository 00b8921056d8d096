"""The document page's full-text highlighting (render.highlight_full_text) for a Chinese question."""

from kmingest.portal.render import highlight_full_text


def test_full_text_marks_chinese_question_terms_and_escapes_text() -> None:
    lone = "费用审批见附件。"
    passage = "<b>注意</b>：进入有限空间后的作业须经审批。"
    text = lone + "无关内容。" * 100 + passage
    body, marks = highlight_full_text(text, "有限空间作业需要哪些审批")
    assert marks == 4
    assert str(body).startswith("费用<mark>审批</mark>见附件。")  # the lone match is marked, without the id
    assert str(body).endswith(
        '&lt;b&gt;注意&lt;/b&gt;：进入<mark id="match" tabindex="-1">有限空间</mark>后的'
        "<mark>作业</mark>须经<mark>审批</mark>。"
    )
