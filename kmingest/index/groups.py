"""Duplicate groups of the embedded index's snapshot (index/snapshot.py): documents with the same text
fingerprint (index/base.py `group_fingerprint`) share an integer code, and the documents of each code lie
in one run, so a page's copies are found and result sets are counted as groups by touching only the
documents that have copies. Used by index/embedded_search.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


@dataclass
class Groups:
    """Duplicate groups: a code per document (a document without text has a code of its own)."""

    codes: IntArray
    members: IntArray  # documents ordered by group code
    starts: IntArray  # where each code's run begins in `members` (one more entry: the end)
    shared: Mask  # per document: its group has other documents

    @classmethod
    def build(cls, fingerprints: Sequence[str | None]) -> Groups:
        table: dict[str, int] = {}
        codes = np.array([-1 if fp is None else table.setdefault(fp, len(table)) for fp in fingerprints],
                         dtype=np.int64)  # fmt: skip
        alone = np.flatnonzero(codes < 0)
        codes[alone] = len(table) + np.arange(len(alone))
        sizes = np.bincount(codes, minlength=len(table) + len(alone))
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        return cls(codes, np.argsort(codes, kind="stable"), starts, sizes[codes] > 1)

    def count(self, docs: IntArray, by_group: bool = True) -> int:
        """Distinct groups (by_group False: documents) among these documents."""
        if not by_group:
            return len(docs)
        shared = docs[self.shared[docs]]
        return len(docs) - len(shared) + len(np.unique(self.codes[shared]))

    def copies(self, doc: int, mask: Mask) -> IntArray:
        """The other documents of `doc`'s group within the mask, in index order."""
        if not self.shared[doc]:
            return np.arange(0)
        code = self.codes[doc]
        run = self.members[self.starts[code] : self.starts[code + 1]]
        found: IntArray = run[mask[run] & (run != doc)]
        return found
