"""`python -m samplegen`: write the deterministic ERP/CRM/OA sample exports from a source checkout.

The generator is a development tool beside `bench/`, not part of the installed library: the `kmingest`
wheel neither ships nor imports it. Output: OUT/erp, OUT/crm, OUT/oa and OUT/expected.json, then one line
of per-system counts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from samplegen import generate


def _at_least_one(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 10_000:
        raise argparse.ArgumentTypeError(f"{value} is not in the range 1..10000")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m samplegen", description="Write deterministic ERP/CRM/OA sample exports."
    )
    parser.add_argument("--out", type=Path, default=Path("samples"), help="output folder (default: samples)")
    parser.add_argument(
        "--scale", type=_at_least_one, default=1, help="size multiplier, 1..10000 (default: 1)"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    args = parser.parse_args(argv)
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} exists and is not a folder")
    counts = generate(args.out, scale=args.scale, seed=args.seed)
    print(", ".join(f"{name} {count}" for name, count in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
