"""`python -m kmingest.testing.hashed_cli ARGS...`: the `kmingest` command with the hashed test embedder
for configs that name it (kmingest.testing.embedder), for tests that run the CLI in a child process, where
a fixture of the parent cannot reach. Any other config keeps its real models."""

from __future__ import annotations

from kmingest.cli import main
from kmingest.testing.embedder import use_hashed_models


def run() -> None:
    with use_hashed_models():
        main()


if __name__ == "__main__":
    run()
