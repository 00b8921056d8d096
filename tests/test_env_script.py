"""scripts/env.sh sourced in a real bash, against prepared fake venvs (a `.complete` marker and a `bin/pip`
that only logs its arguments): it leaves the caller's shell options as they were, gives each clone its own
venv, and never re-points a venv that runs another clone's code. Nothing is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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
    return subprocess.run(["bash", "-c", script], cwd=cwd, env={**clean, **env}, capture_output=True,
                          text=True, timeout=60)  # fmt: skip


def test_sourcing_leaves_the_callers_shell_options_as_they_were(tmp_path: Path) -> None:
    venv, log = prepared_venv(tmp_path)
    plain = bash("source scripts/env.sh; false; echo still here", REPO, KMINGEST_VENV=str(venv))
    assert plain.stdout.strip() == "still here", plain.stderr
    strict = bash('set -eu; before=$(set +o); source scripts/env.sh; [ "$before" = "$(set +o)" ] && echo same; '
                  '[[ $- == *e* ]] && echo errexit; echo "$VIRTUAL_ENV"', REPO, KMINGEST_VENV=str(venv))  # fmt: skip
    assert strict.stdout.split() == ["same", "errexit", str(venv)], strict.stderr
    assert (
        log.read_text(encoding="utf-8").splitlines()
        == [f"pip install --quiet --no-deps --no-build-isolation -e {REPO}"] * 2
    )
    assert (venv / ".kmingest-clone").read_text(encoding="utf-8").strip() == str(REPO)


def test_a_venv_of_another_clone_that_exists_is_not_re_pointed(tmp_path: Path) -> None:
    venv, log = prepared_venv(tmp_path)
    other = tmp_path / "other-clone"
    other.mkdir()
    (other / "pyproject.toml").write_text("[project]\nname = 'kmingest'\n", encoding="utf-8")
    (venv / ".kmingest-clone").write_text(f"{other}\n", encoding="utf-8")
    refused = bash("source scripts/env.sh || echo refused $?; echo still here", REPO, KMINGEST_VENV=str(venv))
    assert refused.stdout.split() == ["refused", "1", "still", "here"]
    assert (
        f"runs the code of the clone at {other}" in refused.stderr and "unset KMINGEST_VENV" in refused.stderr
    )
    assert not log.exists()  # pip never ran: the other clone keeps its venv
    ci_like = bash("set -e; source scripts/env.sh; echo not reached", REPO, KMINGEST_VENV=str(venv))
    assert ci_like.returncode == 1 and "not reached" not in ci_like.stdout  # set -e callers stop there
    shutil.rmtree(other)  # that clone is gone: its venv may be taken over
    adopted = bash("source scripts/env.sh && echo ok", REPO, KMINGEST_VENV=str(venv))
    assert adopted.stdout.strip() == "ok", adopted.stderr
    assert (venv / ".kmingest-clone").read_text(encoding="utf-8").strip() == str(REPO)


def test_two_clones_on_one_machine_get_a_venv_each_and_reuse_it(tmp_path: Path) -> None:
    log = tmp_path / "install.log"
    pip_template = fake_pip(tmp_path / "template", log)
    python = tmp_path / "python3"  # creates a venv as a folder with the fake pip; anything else: real Python
    python.write_text(f'#!/bin/sh\nif [ "$1" = "-m" ] && [ "$2" = "venv" ]; then mkdir -p "$3/bin" && '
                      f'cp "{pip_template}" "$3/bin/pip" && echo "venv $3" >> "{log}"; exit; fi\n'
                      f'exec "{sys.executable}" "$@"\n', encoding="utf-8")  # fmt: skip
    python.chmod(0o755)
    clones = [tmp_path / "a" / "kmingest", tmp_path / "b" / "kmingest"]
    for clone in clones:
        (clone / "scripts").mkdir(parents=True)
        shutil.copy(REPO / "scripts" / "env.sh", clone / "scripts")
        shutil.copy(REPO / "pyproject.toml", clone)
    venvs = []
    for clone in [*clones, clones[0]]:
        done = bash('source scripts/env.sh && echo "$VIRTUAL_ENV"', clone,
                    PYTHON=str(python), KMINGEST_VENV_ROOT=str(tmp_path / "venvs"))  # fmt: skip
        assert done.returncode == 0, done.stderr
        venvs.append(done.stdout.strip())
    assert venvs[0] == venvs[2] != venvs[1]  # one per clone, reused by the next run of the same clone
    installs = log.read_text(encoding="utf-8").splitlines()
    assert [line for line in installs if line.startswith("venv ")] == [f"venv {venvs[0]}", f"venv {venvs[1]}"]
    editable = [line.rsplit(" ", 1)[1] for line in installs if " -e " in line]
    assert editable == [f"{clones[0]}[dev,airflow]", str(clones[0]), f"{clones[1]}[dev,airflow]", str(clones[1]),
                        str(clones[0])]  # fmt: skip
