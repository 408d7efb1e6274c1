"""Uniform read access to a data directory or a tar archive of one."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

from .errors import DataError

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar")


class FileTree:
    """Files under a root, addressed by '/'-separated relative paths; the root may be a
    directory or a ``.tar``/``.tar.gz`` archive, whose common top folder is skipped."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self._tar: tarfile.TarFile | None = None
        self._members: dict[str, tarfile.TarInfo] = {}
        self._dirs: set[str] = set()
        if self.root.is_file() and self.root.name.endswith(ARCHIVE_SUFFIXES):
            self._open_archive()
        elif not self.root.is_dir():
            raise DataError(f"{self.root}: not a directory or a .tar/.tar.gz archive")

    def _open_archive(self) -> None:
        try:
            self._tar = tarfile.open(self.root)
            members = self._tar.getmembers()
        except (tarfile.TarError, OSError, EOFError) as error:
            first = (str(error).strip().splitlines() or [type(error).__name__])[0].rstrip(":")
            raise DataError(f"{self.root}: corrupt or truncated archive ({first}); re-download it") from None
        names = [m.name.strip("/").removeprefix("./") for m in members]
        tops = {name.split("/", 1)[0] for name in names}
        # A single wrapper folder (cifar-10-batches-py/) is skipped; a lone train/ is the data itself.
        skip_top = len(tops) == 1 and any("/" in name for name in names) and not tops <= {"train", "test"}
        for member, name in zip(members, names, strict=True):
            relative = name.split("/", 1)[1] if skip_top and "/" in name else ("" if skip_top else name)
            if member.isfile() and relative:
                self._members[relative] = member
                self._dirs.update(relative.rsplit("/", depth)[0] for depth in range(1, relative.count("/") + 1))
            elif member.isdir() and relative:
                self._dirs.add(relative)

    def files(self) -> list[str]:
        """All file paths, sorted."""
        if self._tar is not None:
            return sorted(self._members)
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())

    def dirs(self, prefix: str) -> list[str]:
        """Names of sub-folders directly under ``prefix`` (including ones holding no files)."""
        if self._tar is None:
            base = self.root / prefix
            return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []
        return sorted(
            d[len(prefix) + 1 :]
            for d in self._dirs
            if d.startswith(prefix + "/") and d.count("/") == prefix.count("/") + 1
        )

    def exists(self, name: str) -> bool:
        return name in self._members if self._tar is not None else (self.root / name).is_file()

    def read(self, name: str) -> bytes:
        """The bytes of one file; a DataError names the file when it cannot be read."""
        try:
            if self._tar is None:
                return (self.root / name).read_bytes()
            handle = self._tar.extractfile(self._members[name])
            if handle is None:
                raise DataError(f"{self.root}:{name}: not a regular file")
            return handle.read()
        except (OSError, EOFError, tarfile.TarError, KeyError) as error:
            raise DataError(f"{self.describe(name)}: cannot be read ({error}); re-download the data") from None

    def describe(self, name: str) -> str:
        return f"{self.root}:{name}" if self._tar is not None else str(self.root / name)
