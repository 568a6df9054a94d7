"""What a settings object holds and where each value came from, for people to read, secrets redacted."""

from __future__ import annotations

from collections.abc import Mapping, Sized
from dataclasses import dataclass
from typing import Any, Final

from clarity_settings import provenance, schema

PUBLIC_SETTINGS: Final = frozenset({schema.SSM_PREFIX, schema.USE_SSM, schema.CACHE_TTL})
"""Control settings, shown as they are; every other value is redacted to its type and length."""

_DYNACONF_OPTIONS: Final = frozenset(
    {"LOAD_DOTENV", "VALIDATORS", "DEFAULT_SETTINGS_PATHS", "DYNACONF_SKIP_VALIDATORS"}
)
"""Options that dynaconf and its Flask extension leave behind as settings."""


@dataclass(frozen=True)
class Row:
    """One setting as a person sees it."""

    key: str
    value: str
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
    return {key: value for key, value in settings.as_dict().items() if key not in _DYNACONF_OPTIONS}


def describe(settings: Any, *, reveal: bool = False) -> list[Row]:
    """Every application setting, sorted by key; values redacted unless public or reveal is asked for."""
    stale = bool(getattr(settings, "stale", False))
    rows = []
    for key, value in sorted(application_settings(settings).items()):
        shown = str(value) if reveal or key in PUBLIC_SETTINGS else redact(value)
        source = provenance.describe(settings, key)
        rows.append(Row(key, shown, source, stale and source.startswith("ssm ")))
    return rows
