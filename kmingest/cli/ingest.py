"""Run commands of the CLI: `kmingest ingest`, `kmingest status` and `kmingest reindex`, plus the ingest
helpers `quickstart` (portal.py) calls.

ingest: config -> Workspace (models checked, index created if new) -> one pipeline run per source (one
source failing does not stop the others) -> per-source stats or errors -> exit 0, 1 (a run failed) or 2 (a
source's configuration is bad). SIGTERM and Ctrl-C end the run as "interrupted" (exit 143 / 130).
status: the state store -> last run, record counts, problems grouped by reason (names escaped).
reindex: argument parsing and output only; the work is kmingest.index.reindex.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import click

from kmingest.cli.common import ExitCode, cli_config, fail, printable
from kmingest.config import Config, ConfigError
from kmingest.connectors.base import ConnectorConfigError
from kmingest.embedding import EmbeddingError
from kmingest.index.base import IndexError_
from kmingest.pipeline import Interrupted
from kmingest.progress import expected_total, progress_for
from kmingest.workspace import Workspace


@dataclass
class IngestOutcome:
    """Per source: its stats (with `problems`, the records skipped or failed) or its error."""

    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    config_errors: int = 0

    @property
    def exit_code(self) -> ExitCode:
        if not self.errors:
            return ExitCode.OK
        return ExitCode.USAGE if self.config_errors else ExitCode.RUN_FAILED


def _interrupt(signum: int, _frame: object) -> None:
    raise Interrupted(f"stopped by {signal.Signals(signum).name}")


@contextmanager
def interrupts_end_the_run() -> Iterator[None]:
    """SIGTERM ends the run like Ctrl-C: recorded as interrupted, exit 143 (130 for Ctrl-C)."""
    previous_handler = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    except (Interrupted, KeyboardInterrupt) as err:
        click.echo(
            f"interrupted ({err or 'Ctrl-C'}): the run is recorded as interrupted; run again to go on",
            err=True,
        )
        sys.exit(int(ExitCode.INTERRUPTED if isinstance(err, KeyboardInterrupt) else ExitCode.TERMINATED))
    finally:
        signal.signal(signal.SIGTERM, previous_handler)


def ingest_sources(cfg: Config, names: list[str], full: bool, force: bool) -> IngestOutcome:
    """Run the pipeline for each named source with a progress line; a source's failure is recorded and
    the others still run. Models or an index that do not fit raise EmbeddingError / IndexError_ before
    any source runs."""
    outcome = IngestOutcome()
    with Workspace(cfg) as ws:
        ws.check_model()  # models installed and the index's own
        for name in names:
            reporter = progress_for(name, expected_total(ws.state, name))
            try:
                stats = ws.ingest([name], full=full, force=force, progress={name: reporter}.get)[name]
            except (ConnectorConfigError, ConfigError) as err:
                outcome.errors[name] = str(err)
                outcome.config_errors += 1
                continue
            except Exception as err:  # the run is recorded as failed in the state store
                outcome.errors[name] = f"run failed: {type(err).__name__}: {err}"
                continue
            finally:
                reporter.close()
            outcome.results[name] = {**stats.as_dict(), "problems": len(ws.state.dead_letters(name))}
    return outcome


def echo_outcome(outcome: IngestOutcome, as_json: bool) -> None:
    if as_json:
        errors = {name: {"error": error} for name, error in outcome.errors.items()}
        click.echo(json.dumps({**outcome.results, **errors}, indent=2))
        return
    for name, stats in outcome.results.items():
        shown = {k: v for k, v in stats.items() if k not in ("embedding_cache_hits", "problems")}
        click.echo(f"{name}: " + ", ".join(f"{k} {v}" for k, v in shown.items()))
        if stats["problems"]:
            click.echo(f"  {stats['problems']} record(s) skipped or failed; see `kmingest status {name}`")
    for name, error in outcome.errors.items():
        click.echo(f"{name}: error: {error}", err=True)


@click.command()
@click.argument("sources", nargs=-1)
@click.option("--all", "all_sources", is_flag=True, help="Ingest every configured source.")
@click.option("--full", is_flag=True, help="Full sync: also delete documents the source no longer has.")
@click.option("--force", is_flag=True, help="Re-process records even if their content is unchanged.")
@click.option("--json", "as_json", is_flag=True, help="Print run stats as JSON.")
@click.pass_context
def ingest(
    ctx: click.Context, sources: tuple[str, ...], all_sources: bool, full: bool, force: bool, as_json: bool
) -> None:
    """Run the pipeline for SOURCES (or --all)."""
    cfg = cli_config(ctx)
    names = [s.name for s in cfg.sources] if all_sources else list(sources)
    if not names:
        configured = ", ".join(s.name for s in cfg.sources)
        fail(
            f"name one or more sources, or pass --all (configured: {configured})"
            if cfg.sources
            else f"name one or more sources, or pass --all; no sources are configured in {cfg.source_file}"
        )
    try:
        for name in names:
            cfg.source(name)
    except ConfigError as err:
        fail(str(err))
    try:
        with interrupts_end_the_run():
            outcome = ingest_sources(cfg, names, full, force)
    except (EmbeddingError, IndexError_) as err:
        fail(str(err))
    echo_outcome(outcome, as_json)
    sys.exit(int(outcome.exit_code))


def _echo_status(report: dict[str, Any]) -> None:
    for name, info in report.items():
        last = info["last_run"]
        if last is None:
            click.echo(f"{name}: never run")
            continue
        s = last["stats"]
        when = last["finished_at"] or last["started_at"]
        full = " (full sync)" if last["full_sync"] else ""
        click.echo(f"{name}: last run #{last['run_id']} {last['status']} at {when}{full}")
        kinds = ("seen", "new", "updated", "retried", "unchanged", "deleted", "skipped", "failed")
        click.echo("  " + ", ".join(f"{k} {s.get(k, 0)}" for k in kinds))
        counts = info["records"]
        records = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) if counts else "none"
        click.echo(f"  records: {records}")
        if last["error"]:
            click.echo(f"  error: {printable(last['error'])}")
        if info["problem_groups"]:
            click.echo("  problems by reason:")
        for g in info["problem_groups"]:
            click.echo(f"  {g['count']:>6}  {g['kind']}: {printable(g['reason'])}")
        if info["problems"]:
            click.echo("  records with problems:")
        for p in info["problems"]:
            runs_note = f" (failed {p['failures']} runs in a row)" if p.get("failures", 0) > 1 else ""
            click.echo(f"    {p['kind']}: {printable(p['external_id'])}: {printable(p['reason'])}{runs_note}")


@click.command()
@click.argument("source", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status(ctx: click.Context, source: str | None, as_json: bool) -> None:
    """Per source: last run, counts, failures (with reasons, grouped)."""
    from kmingest.state import group_problems, open_state

    cfg = cli_config(ctx)
    state = open_state(cfg)  # the configured state database (state.backend: SQLite or PostgreSQL)
    state.mark_interrupted()  # a run whose process was killed is not "running"
    names = [source] if source else sorted({s.name for s in cfg.sources} | set(state.sources()))
    report: dict[str, Any] = {}
    for name in names:
        runs = state.runs(name, limit=1)
        failures = state.failures(name)  # failed runs in a row, for records that failed in the pipeline
        problems = [
            {**p, "failures": failures[p["external_id"]]} if p["external_id"] in failures else p
            for p in state.dead_letters(name)
        ]
        report[name] = {
            "last_run": runs[0].__dict__ if runs else None,
            "records": state.record_counts(name),
            "problems": problems,
            "problem_groups": group_problems(problems),
        }
    state.close()
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    elif not names:
        click.echo("no sources configured and no runs yet")
    else:
        _echo_status(report)


@click.command()
@click.pass_context
def reindex(ctx: click.Context) -> None:
    """Rebuild the Elasticsearch index from the sources into a new version, then swap the aliases.

    Searches keep using the current version until the atomic swap; use it after a mapping or embedding
    model change. The old version is deleted after the swap."""
    from kmingest.index.reindex import ReindexFailed, plan_reindex, run_reindex

    cfg = cli_config(ctx)
    try:
        plan = plan_reindex(cfg)
        click.echo(f"building {plan.prefix} v{plan.new_version} from {len(plan.sources)} source(s)")
        result = run_reindex(cfg, plan)
    except ReindexFailed as err:
        fail(str(err), ExitCode.USAGE if err.config_error else ExitCode.RUN_FAILED)
    except (EmbeddingError, IndexError_) as err:
        fail(str(err))
    for name, stats in result.stats.items():
        click.echo(f"  {name}: indexed {stats.indexed}, failed {stats.failed}, skipped {stats.skipped}")
    old = plan.old_version
    click.echo(f"aliases now point at v{plan.new_version}" + (f"; v{old} deleted" if old is not None else ""))
