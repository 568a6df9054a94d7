"""How a read is answered: from a snapshot published at each swap, at the speed of a plain attribute.

CPython turns an attribute read into a few machine instructions only on a class whose attribute
lookup is the generic one. A class with ``__getattr__`` (dynaconf's LazySettings) pays about three
times that on every read, found or not. So a settings object that has nothing to do before a read
is *settled*: its class has no ``__getattr__`` and its instance ``__dict__`` is the snapshot, every
top-level setting under its UPPER and its lower case name, swapped in with one assignment. An object
that has something to do first (its first load, TTL 0, fresh reads, an injected clock) is
*attending*: its class adds ``__getattr__`` and its ``__dict__`` is empty, so every read reaches
that code. Nothing here decides which; settings.py does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from dynaconf.utils.functional import is_lazy

SNAPSHOT_SLOT: Final = "_items"
"""Where an object keeps the snapshot for settings[...] (the same dict as its __dict__ when settled)."""

_SET_CLASS: Final = object.__dict__["__class__"].__set__


def snapshot_of(instance: Any, reserved: frozenset[str]) -> dict[str, Any] | None:
    """Every top-level setting of a loaded dynaconf Settings by UPPER and lower case name, or None.

    A value dynaconf evaluates (``@format``, ``@jinja``) is held evaluated, as dynaconf's own cache
    holds it for attribute reads (get() evaluates it again). None when a read must go through
    dynaconf: a value that fails to evaluate (the read raises, as in dynaconf) or a missing key it
    looks up in the environment (SYSENV_FALLBACK_FOR_DYNACONF). reserved are the names the settings
    class answers itself (methods, properties): no setting shadows them, as in dynaconf.
    """
    store = instance.store
    if store.get("SYSENV_FALLBACK_FOR_DYNACONF"):
        return None
    deleted = instance.__core__.config.deleted
    lower_case = store.get("LOWERCASE_READ_FOR_DYNACONF", True) is not False
    snapshot: dict[str, Any] = {}
    for key, stored in dict.items(store):
        if not isinstance(key, str) or key in deleted:
            continue
        value = stored
        if is_lazy(stored):
            try:
                value = instance.get(key)
            except Exception:  # noqa: BLE001 - the reader gets dynaconf's own error, at the read
                return None
        # NOTE: interned, the key is the very object a name in compiled code is; CPython's fast read
        # compares the two by identity and falls back to a full lookup on every read otherwise.
        snapshot[sys.intern(key)] = value
        # NOTE: dynaconf finds "spaced key" as spaced_key too (find_the_correct_casing).
        spellings = [key.replace(" ", "_")]
        if lower_case:
            spellings += [key.lower(), spellings[0].lower()]
        for name in spellings:
            if name not in reserved:
                snapshot.setdefault(sys.intern(name), value)
    return snapshot


def show(obj: Any, snapshot: Mapping[str, Any] | None, *, settled: type, attending: type) -> None:
    """Make obj answer reads from snapshot (settled), or through its __getattr__ (attending, None).

    Each change is one assignment, ordered so that a reader in another thread always finds either
    the snapshot it had or the one given, never nothing where a value should be.
    """
    if snapshot is None:
        _SET_CLASS(obj, attending)
        object.__setattr__(obj, SNAPSHOT_SLOT, {})
        object.__setattr__(obj, "__dict__", {})
        return
    items = dict(snapshot)
    object.__setattr__(obj, "__dict__", items)
    object.__setattr__(obj, SNAPSHOT_SLOT, items)
    _SET_CLASS(obj, settled)


_FORMS: dict[type, tuple[type, type]] = {}


def forms_of(base: type) -> tuple[type, type]:
    """base's settled form (no __getattr__) and attending form (base's _read_attribute as __getattr__)."""
    common = {"__slots__": (), "__module__": base.__module__, "__qualname__": base.__qualname__}
    if base not in _FORMS:
        reader = base._read_attribute  # type: ignore[attr-defined]
        _FORMS[base] = (
            type(base.__name__, (base,), common),
            type(base.__name__, (base,), {**common, "__getattr__": reader}),
        )
    return _FORMS[base]


def forwarding(names: Iterable[str], read: Callable[[Any, str], Any]) -> dict[str, property]:
    """A property per name answering read(obj, name): dynaconf's API on a class without __getattr__."""
    return {name: property(_reader(name, read), doc=f"dynaconf's {name}") for name in names}


def _reader(name: str, read: Callable[[Any, str], Any]) -> Callable[[Any], Any]:
    def answer(obj: Any) -> Any:
        return read(obj, name)

    return answer


def case_problem(name: str) -> str | None:
    """Attribute reads take UPPER or lower case, as the snapshot holds them; other spellings use get()."""
    if name in (name.upper(), name.lower()):
        return None
    return (
        f"{name}: read a setting as settings.{name.upper()}, settings.{name.lower()} "
        f"or settings.get({name!r})"
    )
