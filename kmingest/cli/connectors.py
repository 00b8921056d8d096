"""`kmingest connectors list|validate|preview`: check sources before anything is indexed.

config -> each source's connector (built-in or plugin) -> `check()` (options, files, columns) -> the first
records as mapped (title, department, date, ACL) or the first documents as parsed. Nothing is written.
validate: the config is its CONFIG_FILE argument or the global --config (else the default file); every
problem is listed, then exit 2 if there was one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import click

from kmingest.cli.common import cli_config, command_config, fail, fail_all
from kmingest.config import ConfigError
from kmingest.connectors import ExtractError, available_connectors, build_connector
from kmingest.connectors.base import Connector, ConnectorConfigError
from kmingest.models import SourceRecord
from kmingest.parsing.base import ParseError
from kmingest.record_document import Skip, to_document


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
    return {
        "external_id": item.external_id,
        "title": item.title,
        "department": item.department,
        "acl": list(item.acl),
        "updated_at": item.updated_at.isoformat() if item.updated_at else None,
        "author": item.author,
        "metadata": item.metadata,
    }


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
    pairs = (f"{k}={json.dumps(v, ensure_ascii=False, default=str)}" for k, v in shown.items())
    return f"  {item.external_id}: " + ", ".join(pairs)


@connectors.command()
@click.argument("config_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--rows",
    type=click.IntRange(0, 100),
    default=3,
    show_default=True,
    help="mapped rows shown per table (per source for non-tabular connectors); 0: none",
)
@click.pass_context
def validate(ctx: click.Context, config_file: Path | None, rows: int) -> None:
    """Check CONFIG_FILE (default: the global --config, else the default file): YAML schema, each source's
    connector and options, its files and columns; warn about empty or repeated header cells; show how the
    first rows map (title, department, date, ACL)."""
    cfg = command_config(ctx, config_file)
    problems = []
    for source in cfg.sources:
        try:
            connector = build_connector(source, str(cfg.source_file))
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
    if problems:
        fail_all(problems)


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
                out |= {
                    "title": doc.title,
                    "doc_type": doc.doc_type,
                    "text": doc.text[:300],
                    "updated_at": doc.updated_at.isoformat() if doc.updated_at else None,
                    "author": doc.author,
                    "metadata": doc.metadata,
                }
            except (ParseError, Skip) as err:
                out["parse"] = str(err)
        click.echo(json.dumps(out, ensure_ascii=False, default=str))
