"""Read commands of the CLI: `kmingest search` (as a user would, ACL-filtered) and `kmingest eval`
(retrieval quality on a BEIR folder).

search: config -> SearchWorkspace (opens an existing index read-only; never creates an index or state)
-> kmingest.search with the caller's rights and the filters -> hits as text or JSON.
eval: config + BEIR folder -> kmingest.eval (its own eval index) -> nDCG@10 and recall@100 per mode.
Exit codes: 0 ok, 2 no index yet, models that do not fit the index, or a bad BEIR folder.
"""

from __future__ import annotations

import dataclasses
import html
import json
from datetime import datetime
from pathlib import Path
from typing import Any, cast, get_args

import click

from kmingest.cli.common import aware, cli_config, fail
from kmingest.embedding import EmbeddingError
from kmingest.index.base import Filters, IndexError_, Mode, SearchHit

NO_MATCH_HINT = (
    "Try the other language (e.g. 质量 for quality): meaning is matched within one language; "
    "across languages only shared words match."
)
PARTIAL_WARNING = (
    "Warning: part of the Elasticsearch index did not answer (a node is away): some documents may be "
    "missing from these results and counts. Check `kmingest status`, then search again."
)


def _hit_json(hit: SearchHit) -> dict[str, Any]:
    return {**dataclasses.asdict(hit), "updated_at": hit.updated_at.isoformat() if hit.updated_at else None}


def _echo_hit(rank: int, hit: SearchHit) -> None:
    snippet = hit.snippet_html.replace("<mark>", "[").replace("</mark>", "]")
    click.echo(f"{rank:>3}. {hit.title}  [{hit.department} · {hit.system} · {hit.doc_type}]")
    click.echo(f"     {html.unescape(snippet)[:200]}")
    if hit.duplicates:
        click.echo("     also in: " + ", ".join(f"{d.source}:{d.external_id}" for d in hit.duplicates))


@click.command()
@click.argument("query")
@click.option("--dept", multiple=True, help="Only this department (repeatable).")
@click.option("--system", multiple=True, help="Only this source system (repeatable).")
@click.option("--type", "doc_type", multiple=True, help="Only this document type (repeatable).")
@click.option("--since", type=click.DateTime(), help="Updated on or after this date.")
@click.option("--until", type=click.DateTime(), help="Updated on or before this date.")
@click.option("--as-user", "user", help="Search with this user's access rights (default: public only).")
@click.option("--mode", type=click.Choice(get_args(Mode)), default="hybrid", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def search(
    ctx: click.Context,
    query: str,
    dept: tuple[str, ...],
    system: tuple[str, ...],
    doc_type: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    user: str | None,
    mode: str,
    limit: int,
    as_json: bool,
) -> None:
    """Search the index as a user would (ACL-filtered)."""
    from kmingest.search import caller_for
    from kmingest.search import search as run_search
    from kmingest.workspace import SearchWorkspace

    cfg = cli_config(ctx)
    filters = Filters(
        departments=dept,
        systems=system,
        doc_types=doc_type,
        updated_from=aware(since),
        updated_to=aware(until),
    )
    try:
        with SearchWorkspace.open(cfg) as ws:  # reads only: never creates the index or state
            result = run_search(ws, query, caller_for(user, cfg.access), filters, cast(Mode, mode), limit)
    except (EmbeddingError, IndexError_) as err:
        fail(str(err))
    if as_json:
        hits = [_hit_json(h) for h in result.hits]
        body = {"total": result.total, "hits": hits, "facets": result.facets, "partial": result.partial}
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    who = f"as {user}" if user else "as anonymous (public documents only; use --as-user)"
    click.echo(f"{result.total} matching document(s) {who}; exact copies count once")
    if result.partial:
        click.echo(PARTIAL_WARNING, err=True)
    if result.total == 0 and query.strip():
        click.echo(NO_MATCH_HINT)
    for rank, hit in enumerate(result.hits, start=1):
        _echo_hit(rank, hit)


@click.command(name="eval")
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
    modes = MODES if mode == "all" else (cast(Mode, mode),)
    try:
        results = evaluate(cfg, beir_dir, split, modes)
    except EvalDataError as err:
        fail(str(err))
    if as_json:
        click.echo(json.dumps(results, indent=2))
        return
    click.echo(f"{'mode':<8} {'nDCG@10':>8} {'recall@100':>11} queries")
    for m, r in results.items():
        click.echo(f"{m:<8} {r['ndcg@10']:>8.4f} {r['recall@100']:>11.4f} {int(r['queries'])}")
