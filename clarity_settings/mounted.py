"""A directory of mounted secrets, one setting per file, read one consistent generation at a time.

Kubernetes projects a Secret (and the Secrets Store CSI driver its parameters) as files: each key a
file, nested keys in sub-directories or with ``__`` in the name, mapped to settings by the rules of
SSM names (``db-password`` is ``DB_PASSWORD``). The kubelet updates such a volume atomically: it
writes a new hidden generation directory, then swaps the ``..data`` symlink to it and deletes the
old one. So a read opens the generation ``..data`` names once, reads every file below it through
that descriptor (contract.files: regular files only, no link followed, none past the size bound),
and keeps the result only if ``..data`` still names it afterwards; otherwise it reads again.
Names and values then pass the contract every source passes (contract.inbound).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from dynaconf.loaders.base import SourceMetadata

from clarity_settings import names
from clarity_settings.contract import files, inbound
from clarity_settings.contract.outbound import shown_name
from clarity_settings.errors import ConfigurationError
from clarity_settings.ssm import switch

DATA_LINK: Final = "..data"
ATTEMPTS: Final = 10
"""Generations to try before giving up: each retry means the kubelet swapped during the read."""
IDENTIFIER: Final = "secrets_dir"


def directory_of(obj: Any) -> Path | None:
    """The mounted secrets directory in force: CLARITY_SECRETS_DIR (or secrets_dir), None when off."""
    value = switch.control_value(obj, names.SECRETS_DIR)
    return Path(str(value)) if value else None


def read(root: Path) -> list[inbound.Text]:
    """Every file of one generation of root as a Text; a ConfigurationError names the file or rule."""
    for _ in range(ATTEMPTS):
        with _opened_root(root) as root_fd:
            generation = _generation(root_fd, root)
            try:
                found = _read_generation(root_fd, generation, root)
            except FileNotFoundError:
                if generation == _generation(root_fd, root):
                    raise
                continue
            # NOTE: the kubelet deletes a generation only after ..data has left it, so one still current
            # after the read was read whole; one that is not may have lost files while it was listed.
            if generation == _generation(root_fd, root):
                return found
    raise ConfigurationError(f"{root} changed during {ATTEMPTS} reads in a row; nothing was read from it")


@contextmanager
def _opened_root(root: Path) -> Iterator[int]:
    if not root.is_dir():
        raise ConfigurationError(
            f"the secrets directory {root} (CLARITY_SECRETS_DIR) is not a directory; mount it or unset it"
        )
    with files.opened_directory(str(root)) as fd:
        yield fd


def _generation(root_fd: int, root: Path) -> str | None:
    """The name of the generation directory ..data points at (beside it), or None for a plain directory."""
    try:
        target = os.readlink(DATA_LINK, dir_fd=root_fd)
    except (FileNotFoundError, OSError):
        return None
    if "/" in target or not target.startswith("..") or target == "..":
        raise ConfigurationError(
            f"{root / DATA_LINK} points at {shown_name(target)}, not at a hidden generation beside it "
            "(the kubelet's ..<timestamp> directories); nothing else is read as the directory's contents"
        )
    return target


def _read_generation(root_fd: int, generation: str | None, root: Path) -> list[inbound.Text]:
    with files.opened_directory(generation or ".", beside=root_fd) as directory:
        found = files.read_tree(
            directory,
            shown=f"The mounted file {root}",
            limit=inbound.MAX_VALUE_BYTES,
            levels=inbound.MAX_NAME_LEVELS,
        )
    return [_text(item, root) for item in found]


def _text(found: files.Found, root: Path) -> inbound.Text:
    """One file as a text for the contract: its relative path names it, its bytes are UTF-8 data."""
    relative = "/".join(found.parts)
    shown = f"{root}/{shown_name(relative)}"
    label = f"The mounted file {shown}"
    try:
        text = found.content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigurationError(
            f"The mounted file {shown} is not valid UTF-8 (byte {error.start})"
        ) from None
    return inbound.Text(relative, text, label, SourceMetadata(IDENTIFIER, shown, "global"))
