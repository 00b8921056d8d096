"""Peak memory (max RSS) of an ingest at two corpus sizes 10x apart, each in a fresh process.

    python -m bench.ingest_memory [--small 500] [--large 5000] [--cached]

Each run ingests SciFact abstracts as files into a fresh embedded index with an empty embedding cache, so
every chunk goes through the model (the large run takes about 6 minutes on 2 CPU cores). With --cached,
the cache that `kmingest eval` fills is copied in first and nothing is embedded. Flat means: the large run's
peak is close to the small one's (bounded batches).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import SHARED_CACHE, bench_config, peak_rss_mb, scifact_docs, write_files


def child(n_docs: int, cached: bool) -> None:
    from kmingest.workspace import Workspace

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        copies = max(1, -(-n_docs // 5183))
        docs = scifact_docs()
        written = write_files((docs * copies)[:n_docs], work / "docs")
        cache = work / "emb.db"
        if cached and SHARED_CACHE.exists():
            shutil.copy(SHARED_CACHE, cache)
        with Workspace(bench_config(work, cache)) as ws:
            stats = ws.ingest(["bench"])["bench"]
        print(f"{written} {stats.chunks} {stats.embedded} {peak_rss_mb():.0f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=500)
    ap.add_argument("--large", type=int, default=5000)
    ap.add_argument("--cached", action="store_true")
    ap.add_argument("--child", type=int)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.cached)
        return
    for n in (args.small, args.large):
        extra = ["--cached"] if args.cached else []
        out = subprocess.run(
            [sys.executable, "-m", "bench.ingest_memory", "--child", str(n), *extra],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        docs, chunks, embedded, rss = out[-4:]
        print(f"{docs:>6} documents, {chunks:>6} chunks ({embedded} embedded now): peak RSS {rss} MB")


if __name__ == "__main__":
    main()
