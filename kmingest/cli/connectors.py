"""Admin commands of the CLI: `kmingest connectors list|validate|preview` and `kmingest reindex`.
Registered on the main group in kmingest.cli."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import click

from kmingest.cli_common import cli_config, fail
from kmingest.config import ConfigError, load_config
from kmingest.connectors import ExtractError, available_connectors, build_connector
from kmingest.connectors.base import Connector, ConnectorConfigError
from kmingest.models import SourceRecord
from kmingest.parsing.base import ParseError
from kmingest.pipeline import Skip, to_document


@click.group()
def connectors() -> None:
    """List, validate and preview connectors (nothing is indexed)."""


@connectors.command(name="list")
def list_connectors() -> None:
    """Built-in connectors and plugins found in the kmingest.connectors entry-point group."""
    for name, origin in sorted(available_connectors().items()):
        click.echo(f"{name:<12} {origin}")


def mapped_fields(item: SourceRecord | ExtractError) -> dict[str, object]:
    """What a record maps to (department, date, ACL, title...), or the error of a row that failed."""
    if isinstance(item, ExtractError):
        return {"external_id": item.external_id, "error": item.reason}
    return {"external_id": item.external_id, "title": item.title, "department": item.department,
            "acl": list(item.acl), "updated_at": item.updated_at.isoformat() if item.updated_at else None,
            "author": item.author, "metadata": item.metadata}  # fmt: skip


def _first_records(connector: Connector, rows: int) -> Iterator[SourceRecord | ExtractError]:
    """`rows` mapped records per table (connectors with a `sample` method), else the first `rows` items."""
    sample = getattr(connector, "sample", None)
    return sample(rows) if sample else islice(connector.extract(), rows)


def _preview_line(item: SourceRecord | ExtractError) -> str:
    """One line per record: the mapped fields, and where date/author/language came from when known."""
    if isinstance(item, ExtractError):
        return f"  {item.external_id}: error: {item.reason}"
    fields = mapped_fields(item)
    shown = {k: fields[k] for k in ("title", "department", "updated_at", "acl", "author")}
    shown |= {k: item.metadata[k] for k in ("date_source", "author_source", "lang") if k in item.metadata}
    return f"  {item.external_id}: " + ", ".join(f"{k}={json.dumps(v, ensure_ascii=False, default=str)}"
                                                 for k, v in shown.items())  # fmt: skip


@connectors.command()
@click.argument("config_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--rows", type=click.IntRange(0, 100), default=3, show_default=True,
              help="mapped rows shown per table (per source for non-tabular connectors); 0: none")  # fmt: skip
def validate(config_file: Path, rows: int) -> None:
    """Check CONFIG_FILE: YAML schema, each source's connector and options, its files and columns; warn
    about empty or repeated header cells; show how the first rows map (title, department, date, ACL)."""
    try:
        cfg = load_config(config_file)
    except ConfigError as err:
        click.echo(str(err), err=True)
        sys.exit(2)
    problems = []
    for source in cfg.sources:
        try:
            connector = build_connector(source, str(config_file))
            connector.check()
            warnings: list[str] = getattr(connector, "header_problems", list)()
            preview = [_preview_line(item) for item in _first_records(connector, rows)] if rows else []
        except ConnectorConfigError as err:
            problems.append(str(err))
            continue
        click.echo(f"ok: sources[{source.name}] ({source.connector})")
        for warning in warnings:
            click.echo(f"warning: {warning}")
        if preview:
            click.echo("  first rows as mapped (check title, department, updated_at, acl):")
            click.echo("\n".join(preview))
    for p in problems:
        click.echo(f"error: {p}", err=True)
    if problems:
        sys.exit(2)


@connectors.command()
@click.argument("source")
@click.option("--limit", type=click.IntRange(1, 1000), default=5, show_default=True)
@click.pass_context
def preview(ctx: click.Context, source: str, limit: int) -> None:
    """Show the first mapped documents of SOURCE as JSON lines; nothing is indexed."""
    cfg = cli_config(ctx)
    try:
        src = cfg.source(source)
        items = list(islice(build_connector(src, str(cfg.source_file)).extract(), limit))
    except (ConfigError, ConnectorConfigError) as err:
        fail(str(err))
    for item in items:
        out = mapped_fields(item)
        if isinstance(item, SourceRecord):
            try:
                doc = to_document(item, item.content_hash(), src.parse_limits(cfg.limits), src.title_from)
                out |= {"title": doc.title, "doc_type": doc.doc_type, "text": doc.text[:300],
                        "updated_at": doc.updated_at.isoformat() if doc.updated_at else None,
                        "author": doc.author, "metadata": doc.metadata}  # fmt: skip
            except (ParseError, Skip) as err:
                out["parse"] = str(err)
        click.echo(json.dumps(out, ensure_ascii=False, default=str))


@click.command()
@click.pass_context
def reindex(ctx: click.Context) -> None:
    """Rebuild the Elasticsearch index from the sources into a new version, then swap the aliases.

    Searches keep using the current version until the atomic swap; use it after a mapping or embedding
    model change. The old version is deleted after the swap."""
    from kmingest.index.elastic import ElasticIndex
    from kmingest.index.es_schema import Layout, make_client
    from kmingest.workspace import Workspace

    cfg = cli_config(ctx)
    if cfg.index.backend != "elasticsearch":
        fail("reindex is for index.backend: elasticsearch; for the embedded index set a new "
             "index.path and run `kmingest ingest --all --full`")  # fmt: skip
    client = make_client(cfg.index)
    layout = Layout(client, cfg.index.index_prefix, cfg.index.shards, cfg.index.replicas)
    old = layout.current_version()
    new = (old or 0) + 1
    layout.drop_version(new)  # a leftover of an earlier, failed reindex
    click.echo(f"building {cfg.index.index_prefix} v{new} from {len(cfg.sources)} source(s)")
    with Workspace(cfg, target=ElasticIndex(client, cfg.index.index_prefix, version=new)) as ws:
        for name, stats in ws.ingest([s.name for s in cfg.sources], full=True, force=True).items():
            click.echo(f"  {name}: indexed {stats.indexed}, failed {stats.failed}, skipped {stats.skipped}")
        layout.swap(new)
        if old is not None:
            layout.drop_version(old)
        ws.state.bind_index(ElasticIndex(client, cfg.index.index_prefix).index_id)
    click.echo(f"aliases now point at v{new}" + (f"; v{old} deleted" if old is not None else ""))
