"""scripts/env.sh sourced in a real bash, against prepared fake venvs (a `.complete` marker and a `bin/pip`
that only logs its arguments): it leaves the caller's shell options as they were, creates the venv once per
dependency set, and two clones sharing it each run their own code. Nothing is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO


def fake_pip(folder: Path, log: Path) -> Path:
    pip = folder / "bin" / "pip"
    pip.parent.mkdir(parents=True, exist_ok=True)
    pip.write_text(f'#!/bin/sh\necho "pip $*" >> "{log}"\n', encoding="utf-8")
    pip.chmod(0o755)
    return pip


def prepared_venv(tmp_path: Path, name: str = "venv") -> tuple[Path, Path]:
    venv, log = tmp_path / name, tmp_path / f"{name}.log"
    fake_pip(venv, log)
    (venv / ".complete").touch()
    return venv, log


def bash(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KMINGEST_")}
    return subprocess.run(
        ["bash", "-c", script], cwd=cwd, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def test_sourcing_leaves_the_callers_shell_options_as_they_were(tmp_path: Path) -> None:
    venv, log = prepared_venv(tmp_path)
    plain = bash("source scripts/env.sh; false; echo still here", REPO, KMINGEST_VENV=str(venv))
    assert plain.stdout.strip() == "still here", plain.stderr
    strict = bash(
        'set -eu; before=$(set +o); source scripts/env.sh; [ "$before" = "$(set +o)" ] && echo same; '
        '[[ $- == *e* ]] && echo errexit; echo "$VIRTUAL_ENV"',
        REPO,
        KMINGEST_VENV=str(venv),
    )
    assert strict.stdout.split() == ["same", "errexit", str(venv)], strict.stderr
    assert not log.exists()  # a complete venv is used as it is: nothing is installed or re-pointed
    failing = bash(
        "source scripts/env.sh || echo failed $?; echo still here",
        REPO,
        KMINGEST_VENV=str(tmp_path / "new"),
        PYTHON="false",
    )
    assert failing.stdout.split() == ["failed", "1", "still", "here"]  # an error returns, the shell stays


def test_two_clones_share_one_venv_and_each_runs_its_own_code(tmp_path: Path) -> None:
    log = tmp_path / "install.log"
    pip_template = fake_pip(tmp_path / "template", log)
    python = tmp_path / "python3"  # creates a venv as a folder with the fake pip; anything else: real Python
    python.write_text(
        f'#!/bin/sh\nif [ "$1" = "-m" ] && [ "$2" = "venv" ]; then mkdir -p "$3/bin" && '
        f'cp "{pip_template}" "$3/bin/pip" && echo "venv $3" >> "{log}"; exit; fi\n'
        f'exec "{sys.executable}" "$@"\n',
        encoding="utf-8",
    )
    python.chmod(0o755)
    clones = [tmp_path / "a" / "kmingest", tmp_path / "b" / "kmingest"]
    for clone in clones:
        (clone / "scripts").mkdir(parents=True)
        (clone / "kmingest").mkdir()
        (clone / "kmingest" / "__init__.py").write_text(f"CLONE = {str(clone)!r}\n", encoding="utf-8")
        shutil.copy(REPO / "scripts" / "env.sh", clone / "scripts")
        shutil.copy(REPO / "pyproject.toml", clone)
    seen = []
    for clone in [*clones, clones[0]]:
        done = bash(
            'source scripts/env.sh && echo "$VIRTUAL_ENV" && '
            f'"{python}" -c "import kmingest; print(kmingest.CLONE)"',
            clone,
            PYTHON=str(python),
            KMINGEST_VENV_ROOT=str(tmp_path / "venvs"),
        )
        assert done.returncode == 0, done.stderr
        seen.append(done.stdout.split())
    assert seen[0][0] == seen[1][0] == seen[2][0]  # one venv per dependency set, reused by every run
    assert [code for _, code in seen] == [str(clones[0]), str(clones[1]), str(clones[0])]
    installs = log.read_text(encoding="utf-8").splitlines()
    assert [line for line in installs if line.startswith("venv ")] == [f"venv {seen[0][0]}"]
    assert [line.rsplit(" ", 1)[1] for line in installs if " -e " in line] == [f"{clones[0]}[dev,airflow]"]


def test_a_new_venv_removes_the_ones_unused_for_two_weeks(tmp_path: Path) -> None:
    """Each venv is several GB: when the dependencies change, the old ones nobody sourced for
    KMINGEST_VENV_KEEP_DAYS (14) days go; recently used ones and anything else in the folder stay."""
    log = tmp_path / "install.log"
    pip_template = fake_pip(tmp_path / "template", log)
    python = tmp_path / "python3"
    python.write_text(
        f'#!/bin/sh\nif [ "$1" = "-m" ] && [ "$2" = "venv" ]; then mkdir -p "$3/bin" && '
        f'cp "{pip_template}" "$3/bin/pip"; exit; fi\nexec "{sys.executable}" "$@"\n',
        encoding="utf-8",
    )
    python.chmod(0o755)
    venvs = tmp_path / "venvs"
    month_ago = time.time() - 30 * 86400
    for name, used in (("venv-stale", month_ago), ("venv-recent", time.time())):
        prepared_venv(venvs, name)
        for marker in (".complete", ".last-used"):
            (venvs / name / marker).touch()
            os.utime(venvs / name / marker, (used, used))
    (venvs / "models").mkdir()  # the model cache lives beside the venvs
    done = bash(
        "source scripts/env.sh && echo $VIRTUAL_ENV", REPO, PYTHON=str(python), KMINGEST_VENV_ROOT=str(venvs)
    )
    assert done.returncode == 0, done.stderr
    current = Path(done.stdout.split()[-1])
    assert sorted(p.name for p in venvs.iterdir()) == sorted(["models", "venv-recent", current.name])
    assert "removing" in done.stderr and "venv-stale" in done.stderr
    assert (current / ".last-used").is_file()
    named = bash("source scripts/env.sh", REPO, KMINGEST_VENV=str(venvs / "venv-other"), PYTHON=str(python))
    assert named.returncode == 0 and (venvs / "venv-recent").is_dir()  # a named venv removes nothing
