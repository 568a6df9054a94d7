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


def describe(settings: Any, key: str, real_environment: frozenset[str] | None = None) -> str:
    """Say where key came from: an SSM parameter and version, a variable, a file and section, a default."""
    metadata = last_source(settings, key)
    if metadata is None:
        return "unknown"
    kind = source_kind(settings, key, real_environment)
    if metadata.loader in _FILE_LOADERS:
        return f"{kind} {Path(metadata.identifier).name} [{metadata.env}]"
    if kind in {"env", "dotenv"}:
        return f"{kind} {_variable(metadata, key)}"
    if kind == "default":
        return f"default [{metadata.env}]"
    return f"{kind} {metadata.identifier}"


def _variable(metadata: SourceMetadata, key: str) -> str:
    return str(metadata.identifier) if metadata.loader == "env" else f"{metadata.identifier}_{key}"


def source_kind(settings: Any, key: str, real_environment: frozenset[str] | None = None) -> str:
    """The layer as one word: ssm, env, dotenv, toml, default (or the loader's own name).

    real_environment holds the variable names that existed before dynaconf copied .env into
    os.environ; a variable outside it came from .env.
    """
    metadata = last_source(settings, key)
    if metadata is None:
        return "unknown"
    if metadata.loader in {"env", "env_global"}:
        variable = _variable(metadata, key)
        return "dotenv" if real_environment is not None and variable not in real_environment else "env"
    return str(metadata.loader)
