"""`kmingest` command line: a thin shell over the library (workspace, pipeline, search, eval, index,
coverage, portal). Every command parses its arguments, calls library functions and prints the outcome.

argv -> `main` -> the root group `cli` (common.py: global --config and -v, config loading, exit codes,
failure output) -> one command:

    ingest.py      ingest, status, reindex (its work: kmingest.index.reindex)
    search.py      search, eval
    connectors.py  connectors list | validate | preview
    models.py      models fetch | list
    report.py      report coverage
    portal.py      serve, quickstart, users hash-password | revoke-sessions

Exit codes: 0 ok, 1 a run failed, 2 bad usage or configuration (for `ingest`: of at least one source;
the other sources still run), 130 / 143 interrupted by Ctrl-C / SIGTERM.

The sample export generator is not part of the library: from a source checkout, `python -m samplegen`.
"""

from __future__ import annotations

from kmingest.cli.common import cli
from kmingest.cli.connectors import connectors
from kmingest.cli.ingest import ingest, reindex, status
from kmingest.cli.models import models
from kmingest.cli.portal import quickstart, serve, users
from kmingest.cli.report import report
from kmingest.cli.search import eval_cmd, search

__all__ = ["cli", "main"]

for _command in (
    ingest,
    status,
    reindex,
    search,
    eval_cmd,
    connectors,
    models,
    report,
    serve,
    quickstart,
    users,
):
    cli.add_command(_command)


def main() -> None:
    """The `kmingest` console script."""
    cli(obj={})
