"""Reading files from a directory someone else writes: regular files only, never past a bound or a link.

Every file is opened relative to its directory's descriptor with O_NOFOLLOW (a symbolic link is
refused, not followed, so swapping one in between a check and the read leads nowhere) and O_NONBLOCK
(a FIFO cannot hang the reader), then checked on the open descriptor: a regular file with one link
(a hard link to a file elsewhere is refused), no larger than the bound, of which no more is read.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

from clarity_settings.contract.outbound import shown_name
from clarity_settings.errors import ConfigurationError

_FILE_FLAGS: Final = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_DIRECTORY_FLAGS: Final = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_KINDS: Final = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFDIR: "a directory",
}


@dataclass(frozen=True)
class Found:
    """One regular file of a tree: its path below the root (as parts) and its bytes."""

    parts: tuple[str, ...]
    content: bytes


@contextmanager
def opened_directory(name: str, *, beside: int | None = None) -> Iterator[int]:
    """A directory's descriptor (name relative to beside's, if given), never through a final link."""
    try:
        fd = os.open(name, _DIRECTORY_FLAGS, dir_fd=beside)
    except OSError as error:
        raise _refused(name, error) from None
    try:
        yield fd
    finally:
        os.close(fd)


def read_tree(directory: int, *, shown: str, limit: int, levels: int) -> list[Found]:
    """Every regular file below an open directory, dot-names skipped, in name order; the rest refused.

    No file is read more than levels directories deep: a deeper tree is refused before it is walked.
    """
    found: list[Found] = []
    _read_into(found, directory, (), shown=shown, limit=limit, levels=levels)
    return found


def _read_into(
    found: list[Found], directory: int, parts: tuple[str, ...], *, shown: str, limit: int, levels: int
) -> None:
    if len(parts) >= levels:
        deepest = "/".join((shown, *(shown_name(part) for part in parts)))
        raise ConfigurationError(f"{deepest} nests directories more than {levels} levels deep; flatten it")
    with os.scandir(directory) as listing:
        entries = sorted((entry.name, entry.is_dir(follow_symlinks=False)) for entry in listing)
    for name, is_directory in entries:
        if name.startswith("."):
            continue
        where = (*parts, name)
        label = "/".join((shown, *(shown_name(part) for part in where)))
        if is_directory:
            with opened_directory(name, beside=directory) as below:
                _read_into(found, below, where, shown=shown, limit=limit, levels=levels)
        else:
            found.append(Found(where, read_file(name, beside=directory, label=label, limit=limit)))


def read_file(name: str, *, beside: int, label: str, limit: int) -> bytes:
    """A regular file's bytes, at most limit of them; anything else refused naming label and the rule."""
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=beside)
    except OSError as error:
        raise _refused(label, error) from None
    try:
        status = os.fstat(fd)
        kind = _KINDS.get(stat.S_IFMT(status.st_mode))
        if kind is not None:
            raise ConfigurationError(f"{label} is {kind}, not a regular file; only regular files are read")
        if status.st_nlink > 1:
            raise ConfigurationError(
                f"{label} has {status.st_nlink} hard links; a mounted file has one (a link may reach a file "
                "outside the directory)"
            )
        if status.st_size > limit:
            raise ConfigurationError(f"{label} holds {status.st_size} bytes; at most {limit} are read")
        content = _read_at_most(fd, limit + 1)
    finally:
        os.close(fd)
    if len(content) > limit:
        raise ConfigurationError(f"{label} holds more than {limit} bytes; at most {limit} are read")
    return content


def _read_at_most(fd: int, count: int) -> bytes:
    chunks, total = [], 0
    while total < count:
        chunk = os.read(fd, count - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _refused(label: str, error: OSError) -> Exception:
    """Why a name could not be opened: a link (refused), a socket, or the system's own reason."""
    if error.errno in {errno.ELOOP, errno.ENOTDIR}:
        return ConfigurationError(f"{label} is a symbolic link; links are not followed")
    if error.errno == errno.ENXIO:
        return ConfigurationError(f"{label} is a socket, not a regular file; only regular files are read")
    if error.errno == errno.ENOENT:
        return FileNotFoundError(error.errno, error.strerror, label)
    return ConfigurationError(f"{label} cannot be read ({error.strerror})")
