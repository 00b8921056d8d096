"""What every `kmingest` command shares: the root command group (global --config and -v), loading the
config once per invocation, and failing with a clear message and an exit code.

The command modules (cli.py, cli_admin.py, cli_models.py, cli_portal.py, cli_report.py) import this
module and never each other; cli.py registers every command on the group and holds the console script.

Exit codes: 0 ok, 1 a run failed, 2 bad usage or configuration.
"""

from __future__ import annotations

import logging
import sys
from typing import NoReturn

import click

from kmingest.config import Config, ConfigError, load_config

EXIT_RUN_FAILED = 1
EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print `error: MESSAGE` on stderr and exit with CODE (2: bad usage or configuration)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def cli_config(ctx: click.Context) -> Config:
    """The config named by the global --config (else the default file), loaded once per invocation and
    kept on the context; a bad config is one clear error and exit 2."""
    if ctx.obj is None:
        ctx.obj = {}
    cfg = ctx.obj.get("config")
    if cfg is None:
        try:
            cfg = load_config(ctx.obj.get("config_path"))
        except ConfigError as err:
            fail(str(err))
        ctx.obj["config"] = cfg
    assert isinstance(cfg, Config)
    return cfg


def sibling_command(ctx: click.Context, name: str) -> click.Command:
    """Command NAME of the group this invocation started from (so one command can run another without
    importing its module)."""
    root = ctx.find_root().command
    command = root.get_command(ctx, name) if isinstance(root, click.Group) else None
    if command is None:
        fail(f"the `{name}` command is not available")
    return command


@click.group()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="YAML config file.")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int) -> None:
    """kmingest: ERP/CRM/OA exports in, one searchable knowledge index out."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kmingest.progress").setLevel(min(level, logging.INFO))  # progress at any verbosity
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path
