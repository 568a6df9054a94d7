"""Where each value came from, read from dynaconf's own record of what every loader set."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from dynaconf.loaders.base import SourceMetadata

_FILE_LOADERS: Final = frozenset({"toml", "yaml", "json", "ini", "py"})


def last_source(settings: Any, key: str) -> SourceMetadata | None:
    """The loader call that set key last, which is the one whose value the settings hold."""
    found = None
    for metadata, data in settings.loaded_by_loaders.items():
        if key in data:
            found = metadata
    return found


def describe(settings: Any, key: str) -> str:
    """Say where key came from: an SSM parameter and version, a variable, a file and section, a default."""
    metadata = last_source(settings, key)
    if metadata is None:
        return "unknown"
    if metadata.loader in _FILE_LOADERS:
        return f"{metadata.loader} {Path(metadata.identifier).name} [{metadata.env}]"
    if metadata.loader == "env_global":
        return f"env {metadata.identifier}_{key}"
    if metadata.loader == "default":
        return f"default [{metadata.env}]"
    return f"{metadata.loader} {metadata.identifier}"


def source_kind(settings: Any, key: str, real_environment: frozenset[str] | None = None) -> str:
    """The layer as one word: ssm, env, dotenv, toml, default (or the loader's own name).

    real_environment holds the variable names that existed before dynaconf copied .env into
    os.environ; a variable outside it came from .env.
    """
    metadata = last_source(settings, key)
    if metadata is None:
        return "unknown"
    if metadata.loader in {"env", "env_global"}:
        variable = metadata.identifier if metadata.loader == "env" else f"{metadata.identifier}_{key}"
        return "dotenv" if real_environment is not None and variable not in real_environment else "env"
    return str(metadata.loader)
