"""Sample export generator: realistic, deterministic ERP / CRM / OA exports to test and demo the connectors.

`generate(out, scale, seed)` writes OUT/erp/, OUT/crm/, OUT/oa/ and OUT/expected.json (the ground
truth: valid document counts, broken items with reason classes, departments, search probes). The same
seed and scale always give byte-identical files: nothing reads the clock, all randomness is seeded.
Formats and broken items are described in docs/sample-exports.md; the default set (scale 1, seed 42)
is checked in under samples/.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from samplegen import crm, erp, oa
from samplegen.truth import counts, write_expected

__all__ = ["SYSTEMS", "generate"]

SYSTEMS = ("erp", "crm", "oa")


def generate(out: Path, scale: int = 1, seed: int = 42) -> dict[str, int]:
    """Write the three exports under `out` and return per system items written, valid and broken.

    Scale 1 is a few hundred documents; rows grow linearly with `scale`, OA files up to a cap of 2,000
    (beyond it OA tables get longer). Existing OUT/erp, OUT/crm and OUT/oa folders are replaced; other
    content of `out` is left alone.
    """
    if scale < 1:
        raise ValueError(f"scale must be >= 1, got {scale}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in SYSTEMS:
        if (out / name).exists():
            shutil.rmtree(out / name)
    systems = [
        erp.generate(out / "erp", scale, seed),
        crm.generate(out / "crm", scale, seed),
        oa.generate(out / "oa", scale, seed),
    ]
    write_expected(out, seed, scale, systems)
    return counts(systems)
