"""Chinese words for discovered topics' labels, found without a dictionary (discovery.label_terms uses it).

The lexical analysis indexes CJK text as overlapping bigrams, so the terms that set a topic apart are
bigrams, and a bigram is often a piece of a word (勤管 from 考勤管理) or spans two words (阀阀 from
安全阀阀体). `CjkWords.word` turns a bigram into the word it belongs to in the department's own texts, by
accessor variety (Feng et al., 2004, "Accessor variety criteria for Chinese word extraction"): a word occurs
in several contexts, so it has at least VARIETY different characters before it and VARIETY after it. A text
edge, a character that is not CJK, or a particle such as 的 (WORD_STOPS) ends a word: each such neighbour
counts as a context of its own (a text that occurs twice, such as a copied document, counts once). A string
inside a sentence the texts repeat has one neighbour on some side: 如与国家法律 is always followed by 法规.

Of the strings of at most MAX_WORD characters that hold the bigram and pass, the longest is the word (then
the one with more variety, then more occurrences): 铸造有限公司 rather than 造有限公司. A bigram in no word,
or holding a particle (于安 from 低于安全), gives None: the label takes the next term instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from kmingest.analysis import is_cjk

MAX_WORD = 6  # the longest word a label shows
# every lookup scans the texts: at most this many characters of them are kept (a lookup then takes 3-25 ms,
# bench/cjk_words.py); the caller orders the texts so that the cap keeps some text of every document
MAX_CHARS = 8_000_000
VARIETY = 2  # distinct contexts a word needs on each side
# particles and function characters: they end a word rather than belong to it (放假安排的 -> 放假安排)
WORD_STOPS = frozenset("的了和与及或在是将请须各对由为把被并其之以于")


@dataclass
class _Contexts:
    """Where one candidate string occurs: its distinct CJK neighbours and its word ends, per side."""

    starts: set[int] = field(default_factory=set)
    left: set[str] = field(default_factory=set)
    right: set[str] = field(default_factory=set)
    left_ends: int = 0
    right_ends: int = 0

    def variety(self) -> int:
        return min(len(self.left) + self.left_ends, len(self.right) + self.right_ends)


def _inside_word(char: str) -> bool:
    return is_cjk(char) and char not in WORD_STOPS


class CjkWords:
    """The words of one department's texts, looked up by bigram (each bigram searched once)."""

    def __init__(self, texts: Sequence[str], max_chars: int = MAX_CHARS) -> None:
        kept: list[str] = []
        size = 0
        for text in dict.fromkeys(texts):  # a text twice (a copied document) adds no context
            size += len(text) + 1
            if size > max_chars:
                break
            kept.append(text)
        self._text = "\n".join(kept)
        self._found: dict[str, str | None] = {}

    @property
    def characters(self) -> int:
        """How many characters of the texts are read (at most max_chars)."""
        return len(self._text)

    def word(self, bigram: str) -> str | None:
        if bigram not in self._found:
            self._found[bigram] = self._word(bigram)
        return self._found[bigram]

    def _word(self, bigram: str) -> str | None:
        if len(bigram) != 2 or not all(_inside_word(c) for c in bigram):
            return None
        seen: dict[str, _Contexts] = {}
        text, reach = self._text, MAX_WORD - len(bigram)
        for match in re.finditer(re.escape(bigram), text):
            at, end = match.start(), match.end()
            for left in range(reach + 1):
                start = at - left
                if left and (start < 0 or not _inside_word(text[start])):
                    break
                for right in range(reach - left + 1):
                    stop = end + right
                    if right and (stop > len(text) or not _inside_word(text[stop - 1])):
                        break
                    self._record(seen.setdefault(text[start:stop], _Contexts()), start, stop)
        words = [(len(w), c.variety(), len(c.starts), w) for w, c in seen.items() if c.variety() >= VARIETY]
        if not words:
            return None
        # longest, then most contexts, then most occurrences; the smaller string on a full tie (every run)
        return min(words, key=lambda x: (-x[0], -x[1], -x[2], x[3]))[3]

    def _record(self, ctx: _Contexts, start: int, stop: int) -> None:
        if start in ctx.starts:  # the bigram twice in one occurrence (阀阀阀): count the occurrence once
            return
        ctx.starts.add(start)
        before = self._text[start - 1] if start > 0 else ""
        after = self._text[stop] if stop < len(self._text) else ""
        if _inside_word(before):
            ctx.left.add(before)
        else:
            ctx.left_ends += 1
        if _inside_word(after):
            ctx.right.add(after)
        else:
            ctx.right_ends += 1
