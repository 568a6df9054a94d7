"""Every environment side by side: the guide's "use different keys for different environments", checked.

Keys are compared by fingerprints keyed with a secret made for this one comparison (HMAC-SHA256
under 32 random bytes), so nothing compared here could be printed, logged or brute-forced later:
the fingerprints and their key die with the process, and only names and environments are reported.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from clarity_settings import names

NOT_ENVIRONMENTS: Final = frozenset({"default", "global", "dynaconf"})
"""Sections of a settings file that are not environments of their own."""
KEY_SETTINGS: Final = (names.SIGNATURE_KEY, names.PREVIOUS_SIGNATURE_KEY)
GUIDE_ENVIRONMENTS: Final = ("development", "staging", "production")
"""Compared even when no settings file names them: their keys may live in SSM alone."""


@dataclass(frozen=True)
class SharedKey:
    """Two places (environment, setting) that hold the same key; never the key."""

    first: tuple[str, str]
    second: tuple[str, str]

    def __str__(self) -> str:
        return (
            f"{self.first[0]} {self.first[1]} and {self.second[0]} {self.second[1]} are the same key: "
            "give each environment its own"
        )


def environments_of(files: Iterable[str], current: str) -> list[str]:
    """The guide's three environments, those the settings files name as sections, and the current one."""
    found = {current.lower(), *GUIDE_ENVIRONMENTS}
    for name in files:
        path = Path(name)
        if path.suffix not in {".toml", ".json"} or not path.is_file():
            continue
        text = path.read_text("utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        if isinstance(data, Mapping):
            found |= {
                str(key).lower()
                for key, value in data.items()
                if isinstance(value, Mapping) and str(key).lower() not in NOT_ENVIRONMENTS
            }
    return sorted(found)


def shared_keys(keys: Mapping[tuple[str, str], str]) -> list[SharedKey]:
    """Pairs of (environment, setting) in different environments whose keys are equal."""
    secret = os.urandom(32)
    fingerprints = {
        place: hmac.new(secret, key.encode("utf-8"), hashlib.sha256).digest() for place, key in keys.items()
    }
    places = sorted(fingerprints)
    return [
        SharedKey(first, second)
        for index, first in enumerate(places)
        for second in places[index + 1 :]
        if first[0] != second[0] and hmac.compare_digest(fingerprints[first], fingerprints[second])
    ]
