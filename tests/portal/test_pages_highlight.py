"""The document page's passage choice and marks on documents with very many matches (issue 13, row 11):
the densest passage is found in linear time and the page carries at most MAX_MARKS <mark> elements."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import overload

import pytest

from kmingest.analysis import densest_window
from kmingest.portal.render import MAX_MARKS, PASSAGE_CHARS, highlight_full_text


class CountingSpans(Sequence[tuple[int, int]]):
    """A span list that counts how often it is read (a complexity proxy that does not depend on timing)."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.spans = spans
        self.reads = 0

    @overload
    def __getitem__(self, index: int) -> tuple[int, int]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[tuple[int, int]]: ...
    def __getitem__(self, index: int | slice) -> tuple[int, int] | Sequence[tuple[int, int]]:
        self.reads += 1
        return self.spans[index]

    def __iter__(self) -> Iterator[tuple[int, int]]:
        for span in self.spans:
            self.reads += 1
            yield span

    def __len__(self) -> int:
        return len(self.spans)


def brute_force_best(spans: list[tuple[int, int]], width: int = 400) -> int:
    """The definition: the first match with the most match starts within `width` characters after it."""
    if not spans:
        return -1
    return max(range(len(spans)), key=lambda i: sum(1 for s, _ in spans if 0 <= s - spans[i][0] < width))


def many_matches(n: int) -> str:
    return "".join(f"valve {'x' * (i % 7)} " for i in range(n))


def test_best_span_matches_the_definition_on_random_spans() -> None:
    rng = random.Random(13)
    for _ in range(200):
        starts = sorted(rng.sample(range(3000), rng.randint(0, 40)))
        spans = [(s, s + 1) for s in starts]
        assert densest_window(spans, PASSAGE_CHARS) == brute_force_best(spans), spans


def test_best_span_reads_each_span_a_bounded_number_of_times() -> None:
    reads = {}
    for n in (20_000, 40_000):
        spans = CountingSpans([(i * 5, i * 5 + 3) for i in range(n)])
        assert densest_window(spans, PASSAGE_CHARS) == 0  # every window holds 80 starts: the first one wins
        reads[n] = spans.reads
    assert reads[20_000] <= 3 * 20_000  # quadratic would be 400 million reads
    assert reads[40_000] <= 2.2 * reads[20_000]  # twice the matches, about twice the work


@pytest.mark.parametrize("n", [20_000, 40_000])
def test_page_with_tens_of_thousands_of_matches_caps_its_marks(n: int) -> None:
    dense = "valve " * 200  # the densest passage sits in the middle of the document
    text = many_matches(n // 2) + "Seat leakage. " + dense + many_matches(n // 2 - 200)
    body, matches = highlight_full_text(text, "valves")
    html = str(body)
    assert matches == n
    assert html.count("<mark") == MAX_MARKS
    assert html.count('id="match"') == 1
    before_best = html[: html.index('id="match"')]
    assert "Seat leakage. " in before_best  # the jump target is in the dense passage, not at the top
    assert before_best.count("<mark") < MAX_MARKS  # and it is marked among the capped marks
    assert html.replace("<mark>", "").replace('<mark id="match" tabindex="-1">', "").replace(
        "</mark>", ""
    ) == text.replace("&", "&amp;")  # every character is still on the page


def test_few_matches_are_all_marked() -> None:
    body, matches = highlight_full_text("A valve. Another valve. " * 3, "valve")
    assert matches == 6 and str(body).count("<mark") == 6
