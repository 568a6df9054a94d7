"""What each remote source handed a loaded set, and when: the texts a snapshot keeps, the ages metrics show.

The remote sources are the ones a refresh reads again (SSM, the mounted directory) and the snapshot
that stands in for them at a cold start. Each whole read of one is recorded on the dynaconf Settings
it was loaded into; a refresh's copy of the set starts from the same record (its loaders overwrite
what they read again) and knows it is not a first load.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from clarity_settings import mounted
from clarity_settings.contract import inbound
from clarity_settings.ssm import read

SSM: Final = read.SOURCE
SECRETS_DIR: Final = mounted.IDENTIFIER
SNAPSHOT: Final = "snapshot"
SOURCES: Final = (SECRETS_DIR, SSM)
"""The sources a snapshot keeps, lowest precedence first, as the loaders run."""
_ATTRIBUTE: Final = "_clarity_remote"


@dataclass(frozen=True)
class Reading:
    """One whole read of a source: its texts as the contract admitted them, and when (time.time())."""

    texts: tuple[inbound.Text, ...]
    at: float


class Readings(dict[str, Reading]):
    """A set's readings by source; first_load is false in every copy a refresh or a fresh read makes."""

    first_load: bool = True

    def __deepcopy__(self, memo: dict[int, Any]) -> Readings:
        # NOTE: readings are immutable, so the copy shares them; it is a copy, hence no first load.
        copied = Readings(self)
        copied.first_load = False
        return copied


def readings(obj: Any) -> Readings:
    """The readings of a loaded set (dynaconf Settings), made empty on first use."""
    found = obj.__dict__.get(_ATTRIBUTE)
    if not isinstance(found, Readings):
        found = Readings()
        object.__setattr__(obj, _ATTRIBUTE, found)
    return found


def record(obj: Any, source: str, texts: Iterable[inbound.Text], *, at: float | None = None) -> None:
    """A whole read of source went into obj (fresh reads of one key are not whole reads)."""
    readings(obj)[source] = Reading(tuple(texts), time.time() if at is None else at)


def sources_held(obj: Any) -> set[str]:
    """The remote sources whose values obj holds now, by dynaconf's own record of who set what."""
    return {metadata.loader for metadata in obj.loaded_by_loaders} & {*SOURCES, SNAPSHOT}


def ages(obj: Any) -> dict[str, float]:
    """Seconds since each remote source held in obj was read (for the snapshot: since it was written)."""
    now, found = time.time(), readings(obj)
    return {source: max(0.0, now - found[source].at) for source in sources_held(obj) if source in found}


def from_snapshot(obj: Any) -> bool:
    """Whether obj holds values a snapshot restored: stale until a refresh reads the sources again."""
    return SNAPSHOT in sources_held(obj)


def value_counts(obj: Any) -> dict[str, int]:
    """How many parameters or files each remote source held in obj set (one provenance entry each)."""
    counts: dict[str, int] = {}
    for metadata in obj.loaded_by_loaders:
        if metadata.loader in {*SOURCES, SNAPSHOT}:
            counts[metadata.loader] = counts.get(metadata.loader, 0) + 1
    return counts
