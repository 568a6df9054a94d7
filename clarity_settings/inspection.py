"""What a settings object holds and where each value came from, for people to read, secrets redacted."""

from __future__ import annotations

from collections.abc import Mapping, Sized
from dataclasses import dataclass
from typing import Any, Final

from clarity_settings import provenance, schema

PUBLIC_SETTINGS: Final = frozenset({schema.SSM_PREFIX, schema.USE_SSM, schema.CACHE_TTL})
"""Control settings, shown as they are; every other value is redacted to its type and length."""

_DYNACONF_OPTIONS: Final = frozenset({"LOAD_DOTENV"})


@dataclass(frozen=True)
class Row:
    """One setting as a person sees it."""

    key: str
    value: str
    source: str


def redact(value: object) -> str:
    """Say what kind of value is there and how big, never what it is."""
    kind = type(value).__name__
    if isinstance(value, Mapping):
        return f"<{kind}, {len(value)} keys>"
    if isinstance(value, Sized):
        return f"<{kind}, {len(value)} chars>" if isinstance(value, str) else f"<{kind}, {len(value)} items>"
    return f"<{kind}>"


def describe(settings: Any) -> list[Row]:
    """Every application setting, sorted by key, with its value redacted unless it is a control setting."""
    values = settings.as_dict()
    return [
        Row(key, str(value) if key in PUBLIC_SETTINGS else redact(value), provenance.describe(settings, key))
        for key, value in sorted(values.items())
        if key not in _DYNACONF_OPTIONS
    ]
