"""`kmingest` command line: a thin shell over the library (workspace, pipeline, search, eval).

This module holds the console script (`main`), the run and search commands (ingest, search, status,
eval) and registers every command group's commands on the root group from cli_common.py.

Exit codes: 0 ok, 1 a run failed, 2 bad usage or configuration (for `ingest`: of at least one source;
the other sources still run).
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from kmingest.cli_admin import connectors, reindex
from kmingest.cli_common import cli as cli  # re-exported: `from kmingest.cli import cli`
from kmingest.cli_common import cli_config, fail
from kmingest.cli_models import models
from kmingest.cli_portal import quickstart, serve, users
from kmingest.cli_report import report
from kmingest.config import ConfigError
from kmingest.connectors.base import ConnectorConfigError
from kmingest.embedding import EmbeddingError
from kmingest.index.base import Filters, IndexError_
from kmingest.pipeline import Interrupted
from kmingest.progress import expected_total, progress_for
from kmingest.workspace import Workspace


@cli.command()
@click.argument("sources", nargs=-1)
@click.option("--all", "all_sources", is_flag=True, help="Ingest every configured source.")
@click.option("--full", is_flag=True, help="Full sync: also delete documents the source no longer has.")
@click.option("--force", is_flag=True, help="Re-process records even if their content is unchanged.")
@click.option("--json", "as_json", is_flag=True, help="Print run stats as JSON.")
@click.pass_context
def ingest(ctx: click.Context, sources: tuple[str, ...], all_sources: bool, full: bool, force: bool,
           as_json: bool) -> None:  # fmt: skip
    """Run the pipeline for SOURCES (or --all)."""
    cfg = cli_config(ctx)
    names = [s.name for s in cfg.sources] if all_sources else list(sources)
    if not names:
        fail("name one or more sources, or pass --all" + (
            f" (configured: {', '.join(s.name for s in cfg.sources)})" if cfg.sources else
            f"; no sources are configured in {cfg.source_file}"))  # fmt: skip
    try:
        for name in names:
            cfg.source(name)
    except ConfigError as err:
        fail(str(err))
    results: dict[str, Any] = {}
    failed: dict[str, str] = {}
    config_errors = 0
    previous_handler = signal.signal(signal.SIGTERM, _interrupt)  # the run is recorded as interrupted
    try:
        with Workspace(cfg) as ws:
            ws.check_model()  # models installed and the index's own: else one clear error, exit 2
            for name in names:  # one source failing does not stop the others
                reporter = progress_for(name, expected_total(ws.state, name))
                try:
                    stats = ws.ingest([name], full=full, force=force, progress={name: reporter}.get)[name]
                except (ConnectorConfigError, ConfigError) as err:
                    failed[name] = str(err)
                    config_errors += 1
                    continue
                except Exception as err:  # the run is recorded as failed in the state store
                    failed[name] = f"run failed: {type(err).__name__}: {err}"
                    continue
                finally:
                    reporter.close()
                results[name] = {**stats.as_dict(), "problems": len(ws.state.dead_letters(name))}
    except (EmbeddingError, IndexError_) as err:
        fail(str(err))
    except (Interrupted, KeyboardInterrupt) as err:
        click.echo(f"interrupted ({err or 'Ctrl-C'}): the run is recorded as interrupted; run again to go on",
                   err=True)  # fmt: skip
        sys.exit(130 if isinstance(err, KeyboardInterrupt) else 128 + signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
    if as_json:
        click.echo(json.dumps({**results, **{n: {"error": e} for n, e in failed.items()}}, indent=2))
    else:
        for name, stats in results.items():
            shown = {k: v for k, v in stats.items() if k not in ("embedding_cache_hits", "problems")}
            click.echo(f"{name}: " + ", ".join(f"{k} {v}" for k, v in shown.items()))
            if stats["problems"]:
                click.echo(f"  {stats['problems']} record(s) skipped or failed; see `kmingest status {name}`")
        for name, error in failed.items():
            click.echo(f"{name}: error: {error}", err=True)
    if failed:
        sys.exit(2 if config_errors else 1)


@cli.command()
@click.argument("query")
@click.option("--dept", multiple=True, help="Only this department (repeatable).")
@click.option("--system", multiple=True, help="Only this source system (repeatable).")
@click.option("--type", "doc_type", multiple=True, help="Only this document type (repeatable).")
@click.option("--since", type=click.DateTime(), help="Updated on or after this date.")
@click.option("--until", type=click.DateTime(), help="Updated on or before this date.")
@click.option("--as-user", "user", help="Search with this user's access rights (default: public only).")
@click.option("--mode", type=click.Choice(["hybrid", "bm25", "vector"]), default="hybrid", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def search(ctx: click.Context, query: str, dept: tuple[str, ...], system: tuple[str, ...],
           doc_type: tuple[str, ...], since: datetime | None, until: datetime | None, user: str | None,
           mode: str, limit: int, as_json: bool) -> None:  # fmt: skip
    """Search the index as a user would (ACL-filtered)."""
    from kmingest.search import caller_for
    from kmingest.search import search as run_search
    from kmingest.workspace import SearchWorkspace

    cfg = cli_config(ctx)
    filters = Filters(departments=dept, systems=system, doc_types=doc_type,
                      updated_from=_aware(since), updated_to=_aware(until))  # fmt: skip
    try:
        with SearchWorkspace.open(cfg) as ws:  # reads only: never creates the index or state
            result = run_search(ws, query, caller_for(user, cfg.access), filters, mode, limit)  # type: ignore[arg-type]
    except (EmbeddingError, IndexError_) as err:
        fail(str(err))
    if as_json:
        hits = [{**dataclasses.asdict(h), "updated_at": h.updated_at.isoformat() if h.updated_at else None}
                for h in result.hits]  # fmt: skip
        click.echo(json.dumps({"total": result.total, "hits": hits, "facets": result.facets},
                              ensure_ascii=False, indent=2))  # fmt: skip
        return
    who = f"as {user}" if user else "as anonymous (public documents only; use --as-user)"
    click.echo(f"{result.total} matching document(s) {who}; exact copies count once")
    if result.total == 0 and query.strip():
        click.echo("Try the other language (e.g. 质量 for quality): meaning is matched within one language; "
                   "across languages only shared words match.")  # fmt: skip
    for i, h in enumerate(result.hits, start=1):
        snippet = h.snippet_html.replace("<mark>", "[").replace("</mark>", "]")
        click.echo(f"{i:>3}. {h.title}  [{h.department} · {h.system} · {h.doc_type}]")
        click.echo(f"     {html.unescape(snippet)[:200]}")
        if h.duplicates:
            click.echo("     also in: " + ", ".join(f"{d.source}:{d.external_id}" for d in h.duplicates))


def _interrupt(signum: int, _frame: object) -> None:
    raise Interrupted(f"stopped by {signal.Signals(signum).name}")


def _aware(value: datetime | None) -> datetime | None:
    """Dates typed without a zone are taken as UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@cli.command()
@click.argument("source", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status(ctx: click.Context, source: str | None, as_json: bool) -> None:
    """Per source: last run, counts, failures (with reasons, grouped)."""
    from kmingest.state import StateStore, group_problems

    cfg = cli_config(ctx)
    state = StateStore(cfg.state_dir / "state.db")
    state.mark_interrupted()  # a run whose process was killed is not "running"
    names = [source] if source else sorted({s.name for s in cfg.sources} | set(state.sources()))
    report: dict[str, Any] = {}
    for name in names:
        runs = state.runs(name, limit=1)
        last = runs[0].__dict__ if runs else None
        failures = state.failures(name)  # failed runs in a row, for records that failed in the pipeline
        problems = [{**p, "failures": failures[p["external_id"]]} if p["external_id"] in failures else p
                    for p in state.dead_letters(name)]  # fmt: skip
        report[name] = {"last_run": last, "records": state.record_counts(name), "problems": problems,
                        "problem_groups": group_problems(problems)}  # fmt: skip
    state.close()
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    if not names:
        click.echo("no sources configured and no runs yet")
    for name, info in report.items():
        last = info["last_run"]
        if last is None:
            click.echo(f"{name}: never run")
            continue
        s = last["stats"]
        click.echo(f"{name}: last run #{last['run_id']} {last['status']} at {last['finished_at'] or last['started_at']}"
                   + (" (full sync)" if last["full_sync"] else ""))  # fmt: skip
        click.echo("  " + ", ".join(f"{k} {s.get(k, 0)}" for k in
                                    ("seen", "new", "updated", "retried", "unchanged", "deleted", "skipped",
                                     "failed")))  # fmt: skip
        counts = info["records"]
        click.echo(
            "  records: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            if counts
            else "  records: none"
        )
        if last["error"]:
            click.echo(f"  error: {_printable(last['error'])}")
        if info["problem_groups"]:
            click.echo("  problems by reason:")
        for g in info["problem_groups"]:
            click.echo(f"  {g['count']:>6}  {g['kind']}: {_printable(g['reason'])}")
        if info["problems"]:
            click.echo("  records with problems:")
        for p in info["problems"]:
            runs_note = f" (failed {p['failures']} runs in a row)" if p.get("failures", 0) > 1 else ""
            click.echo(
                f"    {p['kind']}: {_printable(p['external_id'])}: {_printable(p['reason'])}{runs_note}"
            )


_UNPRINTABLE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\\\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _printable(text: str) -> str:
    """Control characters, line breaks, bidi controls and backslashes shown escaped (as Python writes
    them): a file name cannot forge a line or send an escape sequence to the terminal."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode(), text)


@cli.command(name="eval")
@click.argument("beir_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--split", default="test", show_default=True)
@click.option(
    "--mode", type=click.Choice(["bm25", "vector", "hybrid", "all"]), default="all", show_default=True
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def eval_cmd(ctx: click.Context, beir_dir: Path, split: str, mode: str, as_json: bool) -> None:
    """nDCG@10 and recall@100 on a BEIR-layout folder."""
    from kmingest.eval import MODES, EvalDataError, evaluate

    cfg = cli_config(ctx)
    modes = MODES if mode == "all" else (mode,)
    try:
        results = evaluate(cfg, beir_dir, split, modes)  # type: ignore[arg-type]
    except EvalDataError as err:
        fail(str(err))
    if as_json:
        click.echo(json.dumps(results, indent=2))
        return
    click.echo(f"{'mode':<8} {'nDCG@10':>8} {'recall@100':>11} queries")
    for m, r in results.items():
        click.echo(f"{m:<8} {r['ndcg@10']:>8.4f} {r['recall@100']:>11.4f} {int(r['queries'])}")


def main() -> None:
    cli(obj={})


cli.add_command(connectors)
cli.add_command(reindex)
cli.add_command(report)
cli.add_command(serve)
cli.add_command(quickstart)
cli.add_command(users)
cli.add_command(models)


if __name__ == "__main__":
    main()
