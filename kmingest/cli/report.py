"""`kmingest report ...`: reports for KM leads (a thin shell over kmingest.coverage).

kmingest report coverage --format html,csv --out reports/     # also kept under coverage.reports_dir

Failed and skipped records that are not public are counted, not named, in every file written; an admin
who needs them named asks for it with --include-restricted (the files then hold restricted ids and reasons).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from kmingest.cli.common import cli_config, fail
from kmingest.config import ConfigError


@click.group()
def report() -> None:
    """Reports for knowledge-management leads."""


def _formats(values: tuple[str, ...]) -> list[str]:
    from kmingest.coverage import FORMATS

    out: list[str] = []
    for value in values or FORMATS:
        for part in value.split(","):
            name = part.strip().lower()
            if name and name not in out:
                out.append(name)
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise click.BadParameter(
            f"{', '.join(bad) or '(none)'}: use {', '.join(FORMATS)}", param_hint="--format"
        )
    return out


@report.command()
@click.option(
    "--format",
    "formats",
    multiple=True,
    metavar="html|json|csv",
    help="Output format; repeat it or give a comma list (default: all three).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the files (default: the report's folder under coverage.reports_dir).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Measure ages and freshness from this date (default: now).",
)
@click.option(
    "--include-restricted",
    is_flag=True,
    help="Name every failed/skipped record, restricted ones too (default: those counted only).",
)
@click.pass_context
def coverage(
    ctx: click.Context,
    formats: tuple[str, ...],
    out_dir: Path | None,
    as_of: datetime | None,
    include_restricted: bool,
) -> None:
    """Coverage per department, knowledge-map gaps and search gaps (HTML, JSON, CSV).

    Every report is also kept (report.json) under coverage.reports_dir and compared with the previous one.
    Records not in the index are named only if public, unless --include-restricted is given.
    """
    from kmingest.coverage import KnowledgeMapError, make_report, write_formats, write_report
    from kmingest.coverage.report import REPORT_FILE, read_full_report
    from kmingest.embedding import EmbeddingError
    from kmingest.index.base import IndexError_

    chosen = _formats(formats)
    if include_restricted and out_dir is None:  # the history folder names only public records
        raise click.UsageError("--include-restricted needs --out DIR (a folder outside the report history)")
    when = as_of.replace(tzinfo=UTC) if as_of else None
    cfg = cli_config(ctx)
    try:
        if include_restricted and out_dir is not None:
            _, folder = make_report(cfg, when)
            paths = [*write_formats(read_full_report(folder), out_dir, chosen), folder / REPORT_FILE]
        else:
            paths = write_report(cfg, out_dir, chosen, as_of=when)
    except (ConfigError, KnowledgeMapError, EmbeddingError, IndexError_) as err:
        fail(str(err))
    for path in paths:
        click.echo(str(path))


@report.command("candidates")
@click.pass_context
def candidates_cmd(ctx: click.Context) -> None:
    """Candidate key knowledge areas of the newest kept coverage report, largest first (tab-separated:
    topic id, documents, label, representative document)."""
    from kmingest.coverage.accepted import candidates

    found = candidates(cli_config(ctx))
    if not found:
        click.echo("no candidates (run `kmingest report coverage` first, or every topic is mapped)", err=True)
    for topic in found:
        click.echo(f"{topic.topic_id}\t{topic.documents} docs\t{topic.label}\t{topic.representative}")


@report.command("accept-candidate")
@click.argument("topic_id")
@click.option(
    "--name",
    default=None,
    help="Area name (default: the topic's label; required for a topic of restricted documents).",
)
@click.pass_context
def accept_candidate_cmd(ctx: click.Context, topic_id: str, name: str | None) -> None:
    """Add a candidate to the knowledge map (knowledge_map.accepted.yaml beside it)."""
    from kmingest.coverage import KnowledgeMapError
    from kmingest.coverage.accepted import AcceptError, accept_topic

    try:
        path = accept_topic(cli_config(ctx), topic_id, name)
    except (AcceptError, KnowledgeMapError, ConfigError) as err:
        fail(str(err))
    click.echo(f"accepted {topic_id} into {path}")
