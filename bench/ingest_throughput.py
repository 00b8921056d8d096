"""Ingestion throughput of the default embedding profiles against the torch all-MiniLM-L6-v2 pipeline,
measured in the same run, on a mixed English + Chinese corpus; peak memory and query-encoding latency
of each; and the cost of re-running an unchanged corpus.

    python -m bench.ingest_throughput [--corpus samples|mixed] [--en 300] [--zh 256] [--queries 200]

Each profile runs in its own fresh process (so peak RSS is its own): pipeline = read, hash, parse, chunk,
embed (empty cache), write the embedded index, commit state. Corpus `samples` (default): the bundled
ERP/CRM/OA/shared-drive exports through the sample config (mostly Chinese, as our users' data); `mixed`:
--en SciFact abstracts and --zh CMRC 2018 paragraphs as files (../shared/data). Query encoding: single
queries of both languages, one at a time, as the portal does.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import (
    CMRC,
    ROOT,
    bench_config,
    peak_rss_mb,
    percentile,
    scifact_docs,
    scifact_queries,
    write_files,
)
from kmingest.config import parse_config, read_yaml
from kmingest.search import query_space
from kmingest.workspace import Workspace

BASELINE = {
    "model": "all-MiniLM-L6-v2",
    "batch_size": 32,
}  # the pipeline before ONNX profiles: torch, one model


def _cmrc_queries(limit: int) -> list[str]:
    with (CMRC / "queries-train.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh][:limit]


def child(args: argparse.Namespace) -> None:
    embedding = json.loads(args.child)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        embedding = {**embedding, "cache_path": str(work / "state" / "embeddings.db")}
        if args.corpus == "samples":
            data = read_yaml(ROOT / "kmingest.yaml", ValueError)
            data |= {
                "state_dir": str(work / "state"),
                "index": {"path": str(work / "state" / "index.db")},
                "embedding": embedding,
            }
            cfg = parse_config(data, ROOT / "kmingest.yaml")
        else:
            write_files(scifact_docs(args.en), work / "docs" / "en")
            write_files(scifact_docs(args.zh, CMRC), work / "docs" / "zh")
            cfg = bench_config(work, embedding=embedding)
        names = [s.name for s in cfg.sources]
        with Workspace(cfg) as ws:
            ws.check_model()
            for enc in ws.embedder.encoders.values():  # load every model before the clock starts
                enc.passages(["warm up the model"] * 4)
            t0 = time.perf_counter()
            first = ws.ingest(names)
            pipeline_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            again = ws.ingest(names)
            rerun_s = time.perf_counter() - t0
            assert all(r.embedded == 0 and r.indexed == 0 for r in again.values())
            n = sum(r.indexed for r in first.values())
            chunks = sum(r.chunks for r in first.values())
            queries = scifact_queries(args.queries // 2) + _cmrc_queries(args.queries // 2)
            times = []
            for q in queries:
                enc = ws.embedder.encoders[query_space(cfg, q)]
                t0 = time.perf_counter()
                enc.queries([q])
                times.append(time.perf_counter() - t0)
    print(
        json.dumps(
            {
                "docs": n,
                "chunks": chunks,
                "pipeline_s": pipeline_s,
                "rerun_s": rerun_s,
                "rss_mb": peak_rss_mb(),
                "query_p50_ms": percentile(times, 50) * 1000,
                "query_p95_ms": percentile(times, 95) * 1000,
            }
        )
    )


def run(args: argparse.Namespace, embedding: dict[str, object]) -> dict[str, float]:
    cmd = [
        sys.executable,
        "-m",
        "bench.ingest_throughput",
        "--child",
        json.dumps(embedding),
        "--corpus",
        args.corpus,
        "--en",
        str(args.en),
        "--zh",
        str(args.zh),
        "--queries",
        str(args.queries),
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", choices=["samples", "mixed"], default="samples")
    ap.add_argument("--en", type=int, default=300, help="English documents (SciFact abstracts)")
    ap.add_argument("--zh", type=int, default=256, help="Chinese documents (CMRC 2018 paragraphs)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    base = run(args, BASELINE)
    new = run(args, {})  # the defaults: bge-small-en-v1.5-q + bge-small-zh-v1.5-q through onnxruntime
    what = (
        "the sample exports" if args.corpus == "samples" else f"{args.en} English + {args.zh} Chinese files"
    )
    print(f"corpus: {what}: {base['docs']:.0f} documents, {base['chunks']:.0f} chunks")
    print(f"{'':<34}{'chunks/s':>10}{'peak RSS':>11}{'query p50':>11}{'query p95':>11}{'re-run':>9}")
    for name, r in (("torch all-MiniLM-L6-v2 (before)", base), ("default profiles (ONNX int8)", new)):
        print(
            f"{name:<34}{r['chunks'] / r['pipeline_s']:>10.1f}{r['rss_mb']:>8.0f} MB"
            f"{r['query_p50_ms']:>8.1f} ms{r['query_p95_ms']:>8.1f} ms{r['rerun_s']:>7.2f} s"
        )
    speedup = (new["chunks"] / new["pipeline_s"]) / (base["chunks"] / base["pipeline_s"])
    print(f"throughput ratio (default / before): {speedup:.2f}x")


if __name__ == "__main__":
    main()
