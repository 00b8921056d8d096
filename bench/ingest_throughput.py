"""Ingestion throughput against `model.encode` alone on the same chunks, measured in the same run, and the
cost of re-running an unchanged corpus.

    python bench/ingest_throughput.py [--docs 300]

Pipeline = list files, hash, parse, chunk, embed (empty cache), write the embedded index, commit state.
Encode-only = the same chunk texts through Embedder.encode (same batch size), nothing else.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.common import bench_config, scifact_docs, write_files
from connectors.filesystem import FilesystemConnector
from kmingest.chunking import chunk_document
from kmingest.connectors import ExtractError
from kmingest.pipeline import to_document
from kmingest.workspace import Workspace


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        n = write_files(scifact_docs(args.docs), work / "docs")
        cfg = bench_config(work)
        with Workspace(cfg) as ws:
            ws.check_model()
            ws.embedder.encode(["warm up the model"] * 8)
            # the exact chunks the pipeline will embed
            source = cfg.sources[0]
            connector = FilesystemConnector(source, FilesystemConnector.Options())
            texts = []
            for rec in connector.extract():
                if isinstance(rec, ExtractError):
                    continue
                doc = to_document(rec, "x", cfg.limits.parse_limits())
                c = cfg.chunking
                texts += [
                    ch.embedding_input()
                    for ch in chunk_document(doc, c.target_tokens, c.max_tokens, c.overlap_tokens)
                ]
            # encode-only before and after the pipeline run; their mean is the baseline (drift-robust)
            t0 = time.perf_counter()
            ws.embedder.encode(texts)
            encode_before = time.perf_counter() - t0

            t0 = time.perf_counter()
            stats = ws.ingest(["bench"])["bench"]
            pipeline_s = time.perf_counter() - t0
            assert stats.chunks == len(texts), (stats.chunks, len(texts))

            t0 = time.perf_counter()
            ws.embedder.encode(texts)
            encode_s = (encode_before + time.perf_counter() - t0) / 2

            t0 = time.perf_counter()
            again = ws.ingest(["bench"])["bench"]
            rerun_s = time.perf_counter() - t0
            assert again.unchanged == n and again.embedded == 0
    print(f"documents            {n}")
    print(f"chunks               {len(texts)}")
    print(f"encode-only          {len(texts) / encode_s:8.1f} chunks/s ({encode_s:.1f} s, mean of 2 runs)")
    print(f"pipeline             {len(texts) / pipeline_s:8.1f} chunks/s ({pipeline_s:.1f} s)")
    print(f"pipeline / encode    {encode_s / pipeline_s:8.3f}   (target >= 0.85)")
    print(
        f"unchanged re-run     {rerun_s:8.2f} s = {rerun_s / pipeline_s:.4f} of the first run (target <= 0.02)"
    )


if __name__ == "__main__":
    main()
