"""Where each value came from, read from dynaconf's own record of what every loader set."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from dynaconf.loaders.base import SourceMetadata

from clarity_settings import local_files

_FILE_LOADERS: Final = frozenset({"toml", "yaml", "json", "ini", "py"})


def last_source(settings: Any, key: str) -> SourceMetadata | None:
    """The loader call that set key last, which is the one whose value the settings hold."""
    found = None
    for metadata, data in settings.loaded_by_loaders.items():
        if key in data:
            found = metadata
    return found


def describe(settings: Any, key: str) -> str:
    """Where key came from: SSM parameter and version, variable (and its .env), file's full path, default."""
    metadata = last_source(settings, key)
    if metadata is None:
        return "unknown"
    if metadata.loader in _FILE_LOADERS:
        return f"{metadata.loader} {Path(metadata.identifier).resolve()} [{metadata.env}]"
    if metadata.loader == "env":
        dotenv = local_files.dotenv_file_of(metadata.identifier)
        return f"env {metadata.identifier}" if dotenv is None else f"dotenv {dotenv} {metadata.identifier}"
    if metadata.loader == "default":
        return f"default [{metadata.env}]"
    return f"{metadata.loader} {metadata.identifier}"


def files_used(settings: Any) -> list[str]:
    """Every settings file dynaconf read, and the .env file, as full paths."""
    instance = getattr(settings, "instance", settings)
    files = [str(Path(name).resolve()) for name in instance.__core__.config.loaded_files]
    dotenv = instance.__dict__.get(local_files.DOTENV_ATTRIBUTE)
    return files + ([str(dotenv)] if dotenv is not None else [])


def source_kind(settings: Any, key: str) -> str:
    """The layer as one word: ssm, env, dotenv, toml, default (or the loader's own name)."""
    metadata = last_source(settings, key)
    if metadata is None:
        return "unknown"
    if metadata.loader == "env":
        return "env" if local_files.dotenv_file_of(metadata.identifier) is None else "dotenv"
    return str(metadata.loader)
