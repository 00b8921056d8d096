"""Hostile files in a filesystem source (issue 13 rows 1, 3, 4, 7): each is reported for itself and the
rest of the folder is read. Extraction runs in a thread with a deadline, so a blocking read fails the test
instead of hanging it."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from kmingest.config import SourceConfig
from kmingest.connectors import ExtractError, build_connector
from kmingest.models import SourceRecord

DEADLINE_S = 20


def extract(path: Path, **options: object) -> list[SourceRecord | ExtractError]:
    source = SourceConfig(name="fs", connector="filesystem", path=path, **options)  # type: ignore[arg-type]
    out: list[SourceRecord | ExtractError] = []
    worker = threading.Thread(target=lambda: out.extend(build_connector(source).extract()), daemon=True)
    worker.start()
    worker.join(DEADLINE_S)
    assert not worker.is_alive(), f"extraction still running after {DEADLINE_S}s (blocked or unbounded read)"
    return out


def split(items: list[SourceRecord | ExtractError]) -> tuple[dict[str, SourceRecord], dict[str, str]]:
    records = {r.external_id: r for r in items if isinstance(r, SourceRecord)}
    errors = {r.external_id: r.reason for r in items if isinstance(r, ExtractError)}
    return records, errors


def test_file_symlink_out_of_the_root_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("salary list")
    root = tmp_path / "share"
    root.mkdir()
    (root / "good.txt").write_text("good")
    (root / "passwd.txt").symlink_to("/etc/passwd")
    (root / "secret.txt").symlink_to(outside / "secret.txt")
    (root / "relative.txt").symlink_to("../outside/secret.txt")
    (root / "inside-link.txt").symlink_to(root / "good.txt")
    records, errors = split(extract(root))
    assert set(records) == {"good.txt", "inside-link.txt"}
    reason = "path leads outside the source folder (symbolic link); not read"
    assert errors == {"passwd.txt": reason, "secret.txt": reason, "relative.txt": reason}


def test_folder_symlink_out_of_the_root_is_not_followed_even_when_links_are_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("salary list")
    root = tmp_path / "share"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.txt").write_text("a")
    (root / "escape").symlink_to(outside)
    (root / "alias").symlink_to(root / "docs")
    (root / "docs" / "loop").symlink_to(root)
    records, errors = split(extract(root, follow_symlinks=True))
    assert set(records) == {"docs/a.txt"}  # the alias and the loop reach a folder already read
    assert errors == {"escape/": "folder path leads outside the source folder (symbolic link); not read"}


def test_symlink_to_dev_zero_is_refused_quickly(tmp_path: Path) -> None:
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    (tmp_path / "ok.txt").write_text("fine")
    (tmp_path / "zero.txt.meta.json").write_text('{"acl": ["dept:HR"]}')
    (tmp_path / "ok.txt.meta.json").symlink_to("/dev/zero")
    records, errors = split(extract(tmp_path))
    assert records == {}
    assert errors == {
        "zero.txt": "path leads outside the source folder (symbolic link); not read",
        "ok.txt": "sidecar ok.txt.meta.json: path leads outside the source folder (symbolic link); not read",
    }


def test_fifo_in_the_folder_is_skipped_not_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "b.txt").write_text("b")
    records, errors = split(extract(tmp_path))
    assert list(records) == ["b.txt"]
    assert errors == {"pipe.txt": "a FIFO (named pipe), not a regular file; not read"}


def test_socket_in_the_folder_is_skipped(tmp_path: Path) -> None:
    import socket

    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "s.sock"))
        records, errors = split(extract(tmp_path))
    assert records == {} and errors == {"s.sock": "a socket, not a regular file; not read"}


def test_a_file_that_grows_past_the_limit_is_cut_at_the_limit(tmp_path: Path) -> None:
    from kmingest.connectors.guard import UnsafeFile, read_bounded

    big = tmp_path / "big.log"
    big.write_bytes(b"x" * 3000)
    assert read_bounded(big, 3000) == b"x" * 3000
    with pytest.raises(UnsafeFile, match=r"^file too large: more than 2999 bytes \(max_file_mb\)$"):
        read_bounded(big, 2999)  # as if it had grown after the size check


def test_name_in_gb18030_is_decoded_and_its_id_is_stable(tmp_path: Path) -> None:
    root = os.fsencode(tmp_path)
    with open(os.path.join(root, "质量报告.txt".encode("gb18030")), "wb") as fh:
        fh.write(b"quality report")
    os.mkdir(os.path.join(root, "部门".encode("gb18030")))
    with open(os.path.join(root, "部门".encode("gb18030"), b"bad\xff\xfe.txt"), "wb") as fh:
        fh.write(b"odd name")
    (tmp_path / "ok.txt").write_text("ok")
    first, errors = split(extract(tmp_path))
    assert errors == {}
    assert set(first) == {"质量报告.txt", "部门/bad\\xff\\xfe.txt", "ok.txt"}
    assert first["质量报告.txt"].content == b"quality report"
    assert first["部门/bad\\xff\\xfe.txt"].filename == "bad\\xff\\xfe.txt"
    again, _ = split(extract(tmp_path))
    assert [r.doc_id for r in again.values()] == [r.doc_id for r in first.values()]


def test_name_encoding_option_decodes_big5_and_rejects_unknown_codecs(tmp_path: Path) -> None:
    from kmingest.connectors.base import ConnectorConfigError

    with open(os.path.join(os.fsencode(tmp_path), "報告.txt".encode("big5")), "wb") as fh:
        fh.write(b"report")
    records, _ = split(extract(tmp_path, name_encoding="big5"))
    assert list(records) == ["報告.txt"]
    source = SourceConfig(name="fs", connector="filesystem", path=tmp_path, name_encoding="klingon")  # type: ignore[call-arg]
    with pytest.raises(ConnectorConfigError, match=r"name_encoding: Value error, unknown encoding 'klingon'"):
        build_connector(source)
