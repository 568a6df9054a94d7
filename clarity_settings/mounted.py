"""A directory of mounted secrets, one setting per file, read one consistent generation at a time.

Kubernetes projects a Secret (and the Secrets Store CSI driver its parameters) as files: each key a
file, nested keys in sub-directories or with ``__`` in the name, mapped to settings by the rules of
SSM names (``db-password`` is ``DB_PASSWORD``). The kubelet updates such a volume atomically: it
writes a new hidden generation directory, then swaps the ``..data`` symlink to it and deletes the
old one. So a read resolves ``..data`` once, reads every file below that generation, and keeps the
result only if ``..data`` still names it afterwards; otherwise (a swap landed) it reads again. Nothing
outside the directory is read: a file or sub-directory whose real path leaves it is refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from clarity_settings import data_values, names
from clarity_settings.errors import ConfigurationError
from clarity_settings.ssm import switch

DATA_LINK: Final = "..data"
ATTEMPTS: Final = 10
"""Generations to try before giving up: each retry means the kubelet swapped during the read."""


@dataclass(frozen=True)
class MountedValue:
    """One file's setting: its levels, its typed value, and the file it came from (as mounted)."""

    levels: tuple[str, ...]
    value: object
    path: Path


def directory_of(obj: Any) -> Path | None:
    """The mounted secrets directory in force: CLARITY_SECRETS_DIR (or secrets_dir), None when off."""
    value = switch.control_value(obj, names.SECRETS_DIR)
    return Path(str(value)) if value else None


def read(root: Path) -> list[MountedValue]:
    """Every setting of one generation of root; a ConfigurationError names the file or rule at fault."""
    for _ in range(ATTEMPTS):
        generation = _generation(root)
        try:
            found = _read_generation(root, generation)
        except FileNotFoundError:
            if generation == _generation(root):
                raise
            continue
        # NOTE: the kubelet deletes a generation only after ..data has left it, so one still current
        # after the read was read whole; one that is not may have lost files while it was listed.
        if generation == _generation(root):
            return found
    raise ConfigurationError(f"{root} changed during {ATTEMPTS} reads in a row; nothing was read from it")


def _generation(root: Path) -> Path:
    """The directory holding the current generation: what ..data names, else root itself."""
    if not root.is_dir():
        raise ConfigurationError(
            f"the secrets directory {root} (CLARITY_SECRETS_DIR) is not a directory; mount it or unset it"
        )
    real_root = root.resolve()
    link = root / DATA_LINK
    if not link.is_symlink():
        return real_root
    generation = (root / os.readlink(link)).resolve()
    _refuse_outside(generation, real_root, link)
    return generation


def _read_generation(root: Path, generation: Path) -> list[MountedValue]:
    real_root = root.resolve()
    found: list[MountedValue] = []
    for directory, subdirectories, files in os.walk(generation, onerror=_raise, followlinks=True):
        here = Path(directory)
        _refuse_outside(here.resolve(), real_root, here)
        subdirectories[:] = sorted(name for name in subdirectories if not name.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                found.append(_value(here / name, generation, real_root, root))
    return found


def _raise(error: OSError) -> None:
    """os.walk skips what it cannot list; a generation deleted midway must be read again instead."""
    raise error


def _value(path: Path, generation: Path, real_root: Path, root: Path) -> MountedValue:
    """One file as a setting: its relative path names it, its text is data like an SSM value."""
    _refuse_outside(path.resolve(), real_root, path)
    relative = path.relative_to(generation)
    shown = root / relative
    levels = data_values.setting_levels("/".join(relative.parts))
    problem = data_values.name_problem(levels)
    label = f"The mounted file {shown}"
    if problem is not None:
        raise ConfigurationError(f"{label} {problem}; rename or remove it")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigurationError(f"{label} is not valid UTF-8 (byte {error.start})") from None
    return MountedValue(levels, data_values.parse(text, label=label), shown)


def _refuse_outside(real: Path, real_root: Path, shown: Path) -> None:
    if real != real_root and real_root not in real.parents:
        raise ConfigurationError(
            f"{shown} leads outside the secrets directory {real_root}; nothing outside it is read"
        )
