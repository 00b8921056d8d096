"""Cost of turning label bigrams into Chinese words (kmingest.coverage.cjk_words) on a large department.

    python -m bench.cjk_words [--corpus DIR] [--copies N] [--lookups N]

The department's text is the CMRC 2018 passages (../shared/data/cmrc2018-trial) N times over (default 60,
about 8 M characters; each copy is marked so that copies do not collapse into one). Bigrams are taken from
the passages and timed in three bands of corpus frequency: the most common, the middle and the rarest
(a topic label looks up a few of its most distinctive bigrams, which are mostly rare). Each lookup is a
first lookup (the cache is per CjkWords, built once per department and model). Prints ms per lookup,
p50 / p95 / max per band.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from pathlib import Path

from bench.common import CMRC, scifact_docs
from kmingest.analysis import analyze, is_cjk
from kmingest.coverage.cjk_words import CjkWords


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CMRC)
    parser.add_argument("--copies", type=int, default=60)
    parser.add_argument("--lookups", type=int, default=100, help="bigrams timed per band")
    args = parser.parse_args()
    rows = scifact_docs(folder=args.corpus)
    passages = [f"{r.get('title', '')}\n{r['text']}" for r in rows]
    texts = [f"{p}{copy}" for copy in range(args.copies) for p in passages]
    started = time.perf_counter()
    words = CjkWords(texts)
    built = time.perf_counter() - started
    total, read = sum(map(len, texts)) / 1e6, words.characters / 1e6
    print(f"{total:.1f} M characters, {read:.1f} M read (cjk_words.MAX_CHARS); built in {built:.2f} s")
    documents = Counter(t for p in passages for t in set(analyze(p)) if is_cjk(t) and len(t) == 2)
    ranked = [t for t, _ in sorted(documents.items(), key=lambda item: (-item[1], item[0]))]
    middle = len(ranked) // 2 - args.lookups // 2
    bands = {
        "most common": ranked[: args.lookups],
        "middle": ranked[middle : middle + args.lookups],
        "rarest": ranked[-args.lookups :],
    }
    print("| bigrams | lookups | ms p50 | ms p95 | ms max | found a word |")
    print("|---|---|---|---|---|---|")
    for band, bigrams in bands.items():
        times, found = [], 0
        for bigram in bigrams:
            started = time.perf_counter()
            found += words.word(bigram) is not None
            times.append(1000 * (time.perf_counter() - started))
        p95 = statistics.quantiles(times, n=20)[-1]
        print(
            f"| {band} | {len(times)} | {statistics.median(times):.1f} | {p95:.1f} | {max(times):.1f} | "
            f"{found}/{len(times)} |"
        )


if __name__ == "__main__":
    main()
