"""What every `kmingest` command shares: the root command group (global --config and -v), the config each
command works on, exit codes, and failure output.

argv -> `cli` (this module) -> one command of a group module (connectors.py, ingest.py, models.py,
portal.py, report.py, search.py) -> the library. Every group module imports this one; the only other
import between them is quickstart's (portal.py) of the ingest helpers (ingest.py).

Config: the global `--config FILE` (else $KMINGEST_CONFIG, else ./kmingest.yaml, see kmingest.config) is
loaded once per invocation. A command that also takes a config file as an argument (`connectors validate
FILE`) uses `command_config`, which accepts either and refuses two different files.

Exit codes (`ExitCode`): 0 ok, 1 a run failed, 2 bad usage or configuration, 130 interrupted by Ctrl-C,
143 stopped by SIGTERM. Failures print one line, `error: MESSAGE`, on stderr.
"""

from __future__ import annotations

import logging
import re
import signal
import sys
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import NoReturn

import click

from kmingest.config import Config, ConfigError, load_config


class ExitCode(IntEnum):
    OK = 0
    RUN_FAILED = 1
    USAGE = 2  # bad usage or configuration
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
    TERMINATED = 128 + signal.SIGTERM  # 143: stopped by SIGTERM


def fail(message: str, code: int = ExitCode.USAGE) -> NoReturn:
    """Print `error: MESSAGE` on stderr and exit with CODE (default 2: bad usage or configuration)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(int(code))


def fail_all(messages: list[str], code: int = ExitCode.USAGE) -> NoReturn:
    """Every problem found, one `error: MESSAGE` line each on stderr, then exit with CODE."""
    for message in messages:
        click.echo(f"error: {message}", err=True)
    sys.exit(int(code))


def load_or_fail(path: str | Path | None) -> Config:
    """The config at PATH (None: the default file), or one clear error and exit 2."""
    try:
        return load_config(path)
    except ConfigError as err:
        fail(str(err))


def cli_config(ctx: click.Context) -> Config:
    """The config named by the global --config (else the default file), loaded once per invocation and
    kept on the context; a bad config is one clear error and exit 2."""
    ctx.ensure_object(dict)
    root = ctx.find_root()
    root.ensure_object(dict)
    cfg = root.obj.get("config")
    if cfg is None:
        cfg = load_or_fail(root.obj.get("config_path"))
        root.obj["config"] = cfg
    assert isinstance(cfg, Config)
    return cfg


def command_config(ctx: click.Context, argument: Path | None) -> Config:
    """For a command that takes the config file as an argument too: the argument, else the global --config
    (else the default file). Two different files are a usage error (exit 2)."""
    root = ctx.find_root()
    root.ensure_object(dict)
    global_path = root.obj.get("config_path")
    if argument is None:
        return cli_config(ctx)
    if global_path is not None and Path(global_path).resolve() != argument.resolve():
        fail(f"two config files given: --config {global_path} and {argument} (fix: give one of them)")
    return load_or_fail(argument)


_UNPRINTABLE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\\\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def printable(text: str) -> str:
    """Control characters, line breaks, bidi controls and backslashes shown escaped (as Python writes
    them): a file name cannot forge a line or send an escape sequence to the terminal."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode(), text)


def aware(value: datetime | None) -> datetime | None:
    """Dates typed without a zone are taken as UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


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
