"""Parse time per sniffed format over a folder of real files (default ../shared/data/files).

    python -m bench.parse_formats [--folder DIR] [--repeat N]

Each file is read once, then `parse_bytes` runs N times (default 3) and the fastest run counts, so disk
and first-import costs are not timed. Files are grouped by the format `sniff` names; skipped and failed
files are timed too (refusing a file is work as well) and counted per group. Prints a Markdown table:
files, MB, total seconds, ms per file (p50 / max), and how many were parsed, skipped or failed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from pathlib import Path

from kmingest.parsing import ParseError, UnsupportedFormat, parse_bytes, sniff

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "shared" / "data" / "files"


def _time_one(data: bytes, name: str, repeat: int) -> tuple[float, str]:
    best, outcome = float("inf"), "parsed"
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            parse_bytes(data, name)
            outcome = "parsed"
        except UnsupportedFormat:
            outcome = "skipped"
        except ParseError:
            outcome = "failed"
        best = min(best, time.perf_counter() - started)
    return best, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    seconds: dict[str, list[float]] = defaultdict(list)
    sizes: dict[str, int] = defaultdict(int)
    outcomes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    files = sorted(p for p in args.folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    for path in files:
        data = path.read_bytes()
        try:
            fmt = sniff(data, path.name)
        except Exception:
            fmt = "binary"
        elapsed, outcome = _time_one(data, path.name, args.repeat)
        seconds[fmt].append(elapsed)
        sizes[fmt] += len(data)
        outcomes[fmt][outcome] += 1
    print(f"{len(files)} files under {args.folder}, fastest of {args.repeat} runs each\n")
    print("| format | files | MB | total s | ms/file p50 | ms/file max | parsed / skipped / failed |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for fmt in sorted(seconds, key=lambda f: -sum(seconds[f])):
        times, counts = seconds[fmt], outcomes[fmt]
        print(
            f"| {fmt} | {len(times)} | {sizes[fmt] / 1e6:.2f} | {sum(times):.3f} | "
            f"{statistics.median(times) * 1000:.1f} | {max(times) * 1000:.1f} | "
            f"{counts['parsed']} / {counts['skipped']} / {counts['failed']} |"
        )
    total = sum(sum(t) for t in seconds.values())
    print(f"| **all** | {len(files)} | {sum(sizes.values()) / 1e6:.2f} | {total:.3f} | | | |")


if __name__ == "__main__":
    main()
