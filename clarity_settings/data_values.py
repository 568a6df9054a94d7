"""Text from SSM and the environment is data: the five typing tokens are parsed here, once, and nothing else.

dynaconf evaluates tokens in every string it is handed (``@format`` renders a template, ``@read_file``
reads a file, ``@get`` copies another setting, ``dynaconf_merge`` merges), and it does so again at
every level of a dotted key. Whoever can write one SSM parameter or one variable must not gain any of
that, so values from these layers are converted here and written to dynaconf's store directly,
never through its evaluator.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import dynaconf.default_settings
from dynaconf.loaders.base import SourceMetadata
from dynaconf.nodes import DataDict, DataList
from dynaconf.utils.parse_conf import boolean_fix, converters, parse_with_toml

from clarity_settings import names, placeholders
from clarity_settings.errors import ConfigurationError

TYPING_TOKENS: Final = ("@bool", "@float", "@int", "@json", "@str")
_DYNACONF_TOKEN = re.compile(
    "@(?:"
    + "|".join(re.escape(token[1:]) for token in sorted(converters, key=len, reverse=True))
    + ")(?![A-Za-z0-9_])"
)
"""Text starting with a token dynaconf knows (``@format``, ``@read_file/x``), but not ``@nonexistent``."""

MERGE_MARKERS: Final = frozenset({"dynaconf_merge", "dynaconf_merge_unique"})
DEFAULT_SETTING_NAMES: Final = frozenset(name for name in vars(dynaconf.default_settings) if name.isupper())
"""dynaconf's default settings: with every *_FOR_DYNACONF name, the options it reads from the environment."""
DYNACONF_OPTIONS: Final = DEFAULT_SETTING_NAMES | {
    "YAML",
    "DYNABOXIFY",
    "LOAD_DOTENV",
    "DEFAULT_SETTINGS_PATHS",
    "VALIDATORS",
    "SETTINGS_MODULE",
    "TOML",
    "JSON",
    "INI",
    "PY",
}
"""dynaconf's default settings and the other keys it reads back from the settings themselves (YAML
names a file to load, DYNABOXIFY changes how every later value is stored)."""

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")

TOKEN_REMEDY: Final = "store the plain value, or put '@str ' in front to keep text that starts with '@'"  # noqa: S105 - advice, not a password


def parse(text: str, *, label: str, untyped: Callable[[str], object] = str) -> object:
    """The value text stands for: a typing token's conversion of the rest, else untyped(text).

    label names where the text came from ("SSM parameter /clarity/production/x"); messages use it
    and never the text.
    """
    token, space, rest = text.partition(" ")
    if space and token in TYPING_TOKENS:
        return _CONVERTERS[token](rest, label)
    if token in TYPING_TOKENS:
        raise ConfigurationError(f"{label} is {token} with no value after it; write e.g. '@int 8'")
    if starts_with_token(text):
        raise ConfigurationError(
            f"{label} starts with a dynaconf token that clarity-settings does not evaluate "
            f"(allowed: {' '.join(TYPING_TOKENS)}, each followed by a space); {TOKEN_REMEDY}"
        )
    value = untyped(text)
    refuse_merge_markers(value, label)
    return value


def text_for(value: object) -> str:
    """Text that parse() reads back as value: the text itself when it reads as itself, else a typing token."""
    if isinstance(value, str):
        reads_as_itself = value.partition(" ")[0] not in TYPING_TOKENS and not starts_with_token(value)
        return value if value and reads_as_itself else f"@str {value}"
    if isinstance(value, bool):
        return "@bool true" if value else "@bool false"
    if isinstance(value, int):
        return f"@int {value}"
    if isinstance(value, float) and math.isfinite(value):
        return f"@float {value!r}"
    try:
        return f"@json {json.dumps(plain(value), ensure_ascii=False, allow_nan=False)}"
    except (TypeError, ValueError):
        kind = type(value).__name__
        raise ConfigurationError(f"a {kind} cannot be stored as text that reads back the same") from None


def setting_text(levels: tuple[str, ...], value: object) -> str:
    """Text for SSM or a guide variable: the model checksums as the guide's JSON text, else text_for."""
    if levels == (names.CHECKSUMS,) and isinstance(value, Mapping):
        return json.dumps(plain(value), ensure_ascii=False)
    return text_for(value)


def variable_typed(text: str) -> object:
    """How a CLARITY_* variable's text is typed (dynaconf's way): a TOML literal, anything else text."""
    return parse_with_toml(boolean_fix(text))


def starts_with_token(text: str) -> bool:
    """Whether dynaconf would read text as (or a user might mean it as) one of its tokens."""
    return _DYNACONF_TOKEN.match(text) is not None


def _as_text(rest: str, label: str) -> str:  # noqa: ARG001 - same signature as every converter
    return rest


def _as_int(rest: str, label: str) -> int:
    if _WHOLE_NUMBER.fullmatch(rest) is None:
        raise ConfigurationError(f"{label} has @int but what follows is not a whole number; {TOKEN_REMEDY}")
    return int(rest)


def _as_float(rest: str, label: str) -> float:
    try:
        number = float(rest)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or "_" in rest:
        raise ConfigurationError(
            f"{label} has @float but what follows is not a finite number; {TOKEN_REMEDY}"
        )
    return number


def _as_bool(rest: str, label: str) -> bool:
    word = rest.strip().lower()
    if word in names.TRUE_WORDS | names.FALSE_WORDS:
        return word in names.TRUE_WORDS
    raise ConfigurationError(f"{label} has @bool but what follows is not true or false; {TOKEN_REMEDY}")


def _as_json(rest: str, label: str) -> object:
    try:
        value = json.loads(rest, parse_constant=_no_constant)
        refuse_merge_markers(value, label)
    except RecursionError:
        raise ConfigurationError(f"{label} has @json nested too deeply; {TOKEN_REMEDY}") from None
    except ConfigurationError:
        raise
    except ValueError:
        raise ConfigurationError(
            f"{label} has @json but what follows is not valid JSON; {TOKEN_REMEDY}"
        ) from None
    return value


def _no_constant(name: str) -> object:
    raise ValueError(name)


_CONVERTERS: Final[dict[str, Callable[[str, str], object]]] = {
    "@str": _as_text,
    "@int": _as_int,
    "@float": _as_float,
    "@bool": _as_bool,
    "@json": _as_json,
}


def refuse_merge_markers(value: object, label: str) -> None:
    """dynaconf merges a dict or list that carries its merge marker: data may not ask for that."""
    if isinstance(value, Mapping):
        if any(str(key).lower() in MERGE_MARKERS for key in value):
            raise ConfigurationError(
                f"{label} holds dynaconf's merge marker as a key; values from here are never merged: "
                "store the whole value"
            )
        for item in value.values():
            refuse_merge_markers(item, label)
    elif isinstance(value, list):
        if any(isinstance(item, str) and item.lower() in MERGE_MARKERS for item in value):
            raise ConfigurationError(
                f"{label} holds dynaconf's merge marker as a list item; values from here are never merged: "
                "store the whole value"
            )
        for item in value:
            refuse_merge_markers(item, label)


def setting_levels(name: str) -> tuple[str, ...]:
    """A relative name as dynaconf would nest it: upper case, '-' and '.' read as '_', '/' and '__' nest."""
    normalised = name.strip("/").upper().replace("-", "_").replace(".", "_")
    return tuple(level for part in normalised.split("/") for level in part.split("__"))


def name_problem(levels: tuple[str, ...], *, control_allowed: bool = False) -> str | None:
    """Why levels cannot name a setting: an empty level, a dynaconf option, or (SSM) a control setting."""
    if any(not level for level in levels):
        return "has an empty level (a leading, trailing or doubled '/' or '__')"
    reserved = [level for level in levels if is_dynaconf_option(level)]
    if reserved:
        return (
            f"maps to {reserved[0]}, a dynaconf option, which clarity-settings takes only from code "
            "(and the environment only from ENV_FOR_DYNACONF)"
        )
    if levels[0] in names.CONTROL_SETTINGS and not control_allowed:
        return (
            f"maps to {levels[0]}, a clarity-settings control setting, which SSM may not set: "
            f"use {names.control_variable(levels[0])}"
        )
    return None


def is_dynaconf_option(level: str) -> bool:
    """dynaconf's own options, includes and merge markers in any case, and its internal '_' attributes."""
    upper = level.upper()
    return (
        upper.startswith(("DYNACONF_", "_")) or upper.endswith("_FOR_DYNACONF") or upper in DYNACONF_OPTIONS
    )


def is_option_variable(variable: str) -> bool:
    """Whether dynaconf reads a variable as its option: a default setting's name or any *_FOR_DYNACONF."""
    upper = variable.upper()
    return upper.endswith("_FOR_DYNACONF") or upper in DEFAULT_SETTING_NAMES


Placement = tuple[tuple[str, ...], object, SourceMetadata]
"""One value of a layer: the setting levels it goes to, the value, and where it came from."""


def set_layer(obj: Any, placements: Iterable[Placement], *, validate: bool) -> None:
    """Set a layer's values in one step, each exactly as given: nothing is evaluated or merged into it.

    dynaconf's set() looks each new key up, case-insensitively, among every key already held, so a
    layer of N values set one by one costs N^2; here each top-level key is written to the store once.
    A nested value lands in the setting's current tree, later values of the layer winning, and each
    value is recorded in dynaconf's own provenance (loaded_by_loaders) under its source, a nested
    one as the path it set.
    """
    store, history = obj.store, obj.loaded_by_loaders
    pending: dict[str, object] = {}
    own_trees: set[str] = set()
    keys = _KeyIndex()
    for levels, value, source in placements:
        top, *below = levels
        if below:
            if top not in own_trees:
                current = pending[top] if top in pending else store.get(top)
                pending[top] = plain(current) if isinstance(current, Mapping) else {}
                own_trees.add(top)
            _place(pending[top], below, value, keys)  # type: ignore[arg-type]
            _record(history.setdefault(source, {}), top, below, value, keys)
        else:
            pending[top] = value
            own_trees.discard(top)
            history.setdefault(source, {})[top] = value
    boxing = store.get("DYNABOXIFY", True)
    deleted = obj.__core__.config.deleted
    for top, value in pending.items():
        store[top] = _boxed(value, obj, boxing=boxing)
        deleted.discard(top)
    obj.__core__.clear_cache()
    if validate and pending:
        obj.validators.validate()


def _record(entry: dict[str, Any], top: str, below: list[str], value: object, keys: _KeyIndex) -> None:
    """Provenance of a nested value: the source's entry holds the path it set, not the whole tree."""
    if not isinstance(entry.get(top), dict):
        entry[top] = {}
    _place(entry[top], below, value, keys)


def stored(obj: Any, key: str) -> object:
    """A setting as the store holds it now: unlike get(), never a fresh read that runs the loaders.

    The store's keys are upper case: dynaconf's own get() on a missing key would compare every key
    held, case-insensitively.
    """
    return dict.get(obj.store, key.upper())


def _place(tree: dict[str, Any], path: list[str], value: object, keys: _KeyIndex) -> None:
    """Put value at path in tree; a level matches an existing key in any case."""
    node = tree
    for level in path[:-1]:
        key = keys.existing(node, level)
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[keys.existing(node, path[-1])] = value


class _KeyIndex:
    """Each tree node's keys by their upper case, so a level is found in one look, not a scan of the node.

    A layer of N values under one folder would otherwise compare every key of that folder for each
    value: N^2 str.upper() calls. Nodes are held by the index while it lives, so an id never names
    a node that has gone and another that took its place.
    """

    def __init__(self) -> None:
        self._nodes: dict[int, tuple[Mapping[str, Any], dict[str, str]]] = {}

    def existing(self, node: Mapping[str, Any], level: str) -> str:
        """The key node already holds for level in any case, else level itself (now taken)."""
        entry = self._nodes.get(id(node))
        if entry is None or entry[0] is not node:
            entry = (node, {str(key).upper(): key for key in node})
            self._nodes[id(node)] = entry
        return entry[1].setdefault(level.upper(), level)


def _boxed(value: object, obj: Any, *, boxing: bool) -> object:
    """dynaconf's own containers, as its set() makes them, so that settings.DATABASE.PASSWORD reads."""
    if boxing and isinstance(value, dict) and not isinstance(value, DataDict):
        return DataDict(value, box_settings=obj)
    if isinstance(value, list) and not isinstance(value, DataList):
        return DataList(value, box_settings=obj)
    return value


def plain(value: object) -> object:
    """dynaconf's boxes and lists as plain dicts and lists, for callers that keep or serialise them."""
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def same(left: object, right: object) -> bool:
    """Whether two settings values are the same to a reader: equal, of the same types, keys in any case."""
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        upper_left = {str(key).upper(): item for key, item in left.items()}
        upper_right = {str(key).upper(): item for key, item in right.items()}
        return upper_left.keys() == upper_right.keys() and all(
            same(item, upper_right[key]) for key, item in upper_left.items()
        )
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(same(a, b) for a, b in zip(left, right, strict=True))
    return type(left) is type(right) and left == right


def decode_checksums(value: object) -> object:
    """Decode the guide's JSON text and lower-case hex digests; bad input is left for the validator."""
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        if isinstance(decoded, str):
            return value
        value = decoded
    if isinstance(value, Mapping):
        return {
            size: checksum.lower()
            if isinstance(checksum, str) and placeholders.is_hex_digest(checksum)
            else checksum
            for size, checksum in value.items()
        }
    return value
