"""`python -m kmingest.cli`: the `kmingest` console script, for environments without it on PATH (the
portal's worker tests and benchmarks start it this way)."""

from kmingest.cli import main

main()
