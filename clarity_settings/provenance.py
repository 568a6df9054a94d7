"""Where each value came from (dynaconf's own record of what every loader set), and the rows `show` prints."""

from __future__ import annotations

from collections.abc import Mapping, Sized
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from dynaconf.loaders.base import SourceMetadata

from clarity_settings import data_values, local_files, names

_FILE_LOADERS: Final = frozenset({"toml", "yaml", "json", "ini", "py"})


def last_source(settings: Any, key: str) -> SourceMetadata | None:
    """The loader call that set key last, which is the one whose value the settings hold."""
    found = None
    for metadata, data in settings.loaded_by_loaders.items():
        if key in data:
            found = metadata
    return found


def last_source_of_path(settings: Any, levels: tuple[str, ...]) -> SourceMetadata | None:
    """The loader call that set a nested setting (DATABASE.PASSWORD) last: the last whose data holds it."""
    found = None
    for metadata, data in settings.loaded_by_loaders.items():
        if _holds(data, levels):
            found = metadata
    return found


def _holds(data: object, levels: tuple[str, ...]) -> bool:
    for level in levels:
        if not isinstance(data, Mapping):
            return False
        key = next((key for key in data if str(key).upper() == level), None)
        if key is None:
            return False
        data = data[key]
    return True


def source_text(settings: Any, key: str) -> str:
    """Where key came from: SSM parameter and version, variable (and its .env), file's full path, default."""
    return describe_source(last_source(settings, key))


def describe_source(metadata: SourceMetadata | None) -> str:
    """A loader call as a person reads it (source_text's words)."""
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


def source_words(metadata: SourceMetadata | None) -> str | None:
    """Where a value was set, as a remedy names it; None for a default or an unknown source."""
    if metadata is None or metadata.loader == "default":
        return None
    if metadata.loader in _FILE_LOADERS:
        return f"{Path(metadata.identifier).resolve()} [{metadata.env}]"
    if metadata.loader == "env":
        dotenv = local_files.dotenv_file_of(metadata.identifier)
        variable = metadata.identifier
        return f"the environment variable {variable}" if dotenv is None else f"{variable} in {dotenv}"
    if metadata.loader == "ssm":
        name, _, version = str(metadata.identifier).rpartition(":")
        return f"the SSM parameter {name} (version {version})"
    if metadata.loader == "secrets_dir":
        return f"the mounted file {metadata.identifier}"
    return f"{metadata.loader} {metadata.identifier}"


def overridden(settings: Any) -> list[str]:
    """Settings that more than one SSM parameter set (several prefixes): which one wins over which."""
    setters: dict[tuple[str, ...], list[str]] = {}
    for metadata, data in settings.loaded_by_loaders.items():
        if metadata.loader == "ssm":
            for path in _leaf_paths(data):
                setters.setdefault(path, []).append(str(metadata.identifier))
    return [
        f"{'.'.join(path)}: {names_[-1]} wins over {', '.join(reversed(names_[:-1]))}"
        for path, names_ in sorted(setters.items())
        if len(names_) > 1
    ]


def _leaf_paths(data: Mapping[str, Any], base: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for key, value in data.items():
        path = (*base, str(key).upper())
        paths += _leaf_paths(value, path) if isinstance(value, Mapping) and value else [path]
    return paths


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


@dataclass(frozen=True)
class Row:
    """One setting as a person sees it."""

    key: str
    value: object
    """Redacted (type and length), a control setting as text, or with reveal the value itself (JSON types)."""
    source: str
    stale: bool = False


def redact(value: object) -> str:
    """Say what kind of value is there and how big, never what it is."""
    kind = type(value).__name__
    if isinstance(value, Mapping):
        return f"<{kind}, {len(value)} keys>"
    if isinstance(value, Sized):
        return f"<{kind}, {len(value)} chars>" if isinstance(value, str) else f"<{kind}, {len(value)} items>"
    return f"<{kind}>"


def application_settings(settings: Any) -> dict[str, Any]:
    """The settings an application sees, without dynaconf's own options."""
    return {
        key: value for key, value in settings.as_dict().items() if not data_values.is_dynaconf_option(key)
    }


def nested_row(settings: Any, levels: tuple[str, ...], *, reveal: bool = False) -> Row | None:
    """One nested setting (DATABASE.PASSWORD) as show prints it, or None if there is none."""
    missing = object()
    try:
        value = settings.get(".".join(levels), missing)
    except (AttributeError, KeyError, TypeError):
        return None
    if value is missing:
        return None
    metadata = last_source_of_path(settings, levels)
    stale = bool(getattr(settings, "stale", False)) and metadata is not None and metadata.loader == "ssm"
    return Row(".".join(levels), _shown(value, reveal=reveal), describe_source(metadata), stale)


def _shown_as_is(key: str) -> bool:
    """A control setting is shown as it is, unless it is a key (CLARITY_SNAPSHOT_KEY)."""
    return key in names.CONTROL_SETTINGS and key not in names.SECRET_CONTROL_SETTINGS


def _shown(value: object, *, reveal: bool) -> object:
    return data_values.plain(value) if reveal else redact(value)


def rows(settings: Any, *, reveal: bool = False) -> list[Row]:
    """Every application setting by key; values redacted unless a control setting or reveal is asked for."""
    stale = bool(getattr(settings, "stale", False))
    return [
        Row(
            key,
            str(value) if _shown_as_is(key) and not reveal else _shown(value, reveal=reveal),
            source_text(settings, key),
            stale and source_kind(settings, key) == "ssm",
        )
        for key, value in sorted(application_settings(settings).items())
    ]
