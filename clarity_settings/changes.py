"""Change callbacks: who hears that a refresh changed a key, and how, without ever being given a value."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Final

from clarity_settings.metrics import recording

log = logging.getLogger("clarity_settings")

ChangeCallback = Callable[[frozenset[str]], object]


class ChangeListeners:
    """The callbacks of one settings object, and when a refresh last changed a value."""

    def __init__(self) -> None:
        self._listeners: list[tuple[ChangeCallback, frozenset[str] | None]] = []
        self.last_change_at: float | None = None

    def add(self, callback: ChangeCallback, keys: Iterable[str] | None) -> None:
        """Call back after each swap that changed any of keys (any key if None)."""
        wanted = None if keys is None else frozenset(key.upper() for key in keys)
        self._listeners.append((callback, wanted))

    def announce(self, old: Any, new: Any) -> frozenset[str]:
        """Compare two loaded sets; if any key changed, record when and tell the interested callbacks."""
        changed = changed_keys(old, new)
        if not changed:
            return changed
        self.last_change_at = time.time()
        due = [callback for callback, wanted in self._listeners if wanted is None or wanted & changed]
        if due:
            # NOTE: a thread of their own: never the reader's, and never the refresher's schedule.
            threading.Thread(
                target=_call_each, args=(due, changed), name="clarity-on-change", daemon=True
            ).start()
        return changed


_ABSENT: Final = object()


def changed_keys(old: Any, new: Any) -> frozenset[str]:
    """The top-level keys whose values differ between two loaded sets (added and removed ones too)."""
    before, after = old.store, new.store
    return frozenset(
        key
        for key in dict.keys(before) | dict.keys(after)
        if dict.get(before, key, _ABSENT) != dict.get(after, key, _ABSENT)
    )


def _call_each(callbacks: list[ChangeCallback], changed: frozenset[str]) -> None:
    for callback in callbacks:
        try:
            callback(changed)
            recording.callback_ran(failed=False)
        except Exception as error:  # noqa: BLE001 - one callback's failure must not stop the others
            recording.callback_ran(failed=True)
            name = getattr(callback, "__qualname__", type(callback).__name__)
            # NOTE: no traceback: a callback's own message could quote a value.
            log.error(  # noqa: TRY400
                "change callback %s raised %s; the other callbacks still run", name, type(error).__name__
            )
