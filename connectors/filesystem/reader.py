"""Reads a folder: walks it (bounded depth, no symlink loops), yields each file's bytes and sidecar."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from pydantic import Field

from kmingest.connectors.base import ConnectorConfigError, ConnectorOptions, ExtractError


class FilesystemOptions(ConnectorOptions):
    include: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()
    sidecar_suffix: str = ".meta.json"
    department_from_folder: bool = False
    department_map: dict[str, str] = Field(default_factory=dict)  # raw (sidecar/folder) -> portal name
    follow_symlinks: bool = False
    max_depth: int = Field(default=32, ge=0)
    max_file_mb: float = Field(default=50, gt=0)


@dataclass(frozen=True)
class RawFile:
    relpath: str
    content: bytes
    modified: datetime
    sidecar: dict[str, Any]


class FileReader:
    def __init__(self, root: Path, options: FilesystemOptions) -> None:
        self.root = root
        self.options = options

    def _wanted(self, rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]
        if name.startswith(".") or name.endswith(self.options.sidecar_suffix):
            return False
        if not any(fnmatch(name, p) or fnmatch(rel, p) for p in self.options.include):
            return False
        return not any(fnmatch(name, p) or fnmatch(rel, p) for p in self.options.exclude)

    def paths(self) -> Iterator[tuple[str, Path]]:
        if not self.root.is_dir():
            raise ConnectorConfigError(f"source folder {self.root} does not exist or is not a folder "
                                       "(fix: correct the source's path)")  # fmt: skip
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=self.options.follow_symlinks):
            rel_dir = Path(dirpath).relative_to(self.root)
            depth = 0 if str(rel_dir) == "." else len(rel_dir.parts)
            dirnames[:] = (
                sorted(d for d in dirnames if not d.startswith(".")) if depth < self.options.max_depth else []
            )
            for name in sorted(filenames):
                rel = (rel_dir / name).as_posix()
                if self._wanted(rel):
                    yield rel, Path(dirpath) / name

    def read(self) -> Iterator[RawFile | ExtractError]:
        limit = int(self.options.max_file_mb * 1024 * 1024)
        for rel, path in self.paths():
            try:
                stat = path.stat()
                if stat.st_size > limit:
                    yield ExtractError(rel, f"file is {stat.st_size} bytes, over the limit of "
                                       f"{self.options.max_file_mb} MB (max_file_mb)")  # fmt: skip
                    continue
                content = path.read_bytes()
            except OSError as err:
                yield ExtractError(rel, f"cannot read file: {err.strerror or err}")
                continue
            sidecar_path = path.with_name(path.name + self.options.sidecar_suffix)
            sidecar: dict[str, Any] = {}
            if sidecar_path.exists():
                try:
                    loaded = json.loads(sidecar_path.read_text(encoding="utf-8"))
                except (OSError, ValueError) as err:
                    yield ExtractError(rel, f"sidecar {sidecar_path.name} is not valid JSON: {err}")
                    continue
                if not isinstance(loaded, dict):
                    yield ExtractError(rel, f"sidecar {sidecar_path.name} must hold a JSON object")
                    continue
                sidecar = loaded
            modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
            yield RawFile(rel, content, modified, sidecar)
