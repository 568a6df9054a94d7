"""Text from outside, one contract: every source's names and values pass the same rules, here.

A source (SSM, the environment and ``.env``, a mounted directory, and any added later) reads names
and texts and hands each over as a ``Text``; ``admit`` turns them into a layer's placements or raises
an error that names the origin and the rule, never the value. The rules are SSM's own where SSM has
one, so what one source accepts another does too:

- a name: SSM's characters (letters, digits, ``_ . - /``), at most 1,011 characters and 15 levels
  (``/`` and ``__`` nest), no empty level, no dynaconf option, no control setting (but from the
  environment, which is where control settings live);
- two spellings of one setting (``MODEL_SIGNATURE_KEY`` and ``model-signature-key``) in one scope,
  or a value with another setting nested beneath it, are refused naming both origins;
- a value: at most 8,192 bytes (SSM's advanced tier), data only (the five typing tokens, parsed by
  data_values), and at most 32 levels of nested JSON or TOML;
- a setting whose value names code (code_settings) is refused wherever the value lands in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, NamedTuple

from dynaconf.loaders.base import SourceMetadata

from clarity_settings import data_values
from clarity_settings.contract.code_settings import CodeSettings
from clarity_settings.errors import ConfigurationError

MAX_NAME_CHARACTERS: Final = 1011
MAX_NAME_LEVELS: Final = 15
MAX_VALUE_BYTES: Final = 8192
MAX_VALUE_DEPTH: Final = 32
NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9_.\-/]+")

Levels = tuple[str, ...]


class Text(NamedTuple):
    """One name and its text as a source read them, before any rule.

    name is relative to the source (``database/password``, ``DATABASE__PASSWORD``); origin is how a
    message names it, starting a sentence ("SSM parameter /x", "The mounted file /d/x"); a later scope wins
    over an earlier one and two spellings collide only within one; items marks an SSM StringList;
    remedy says what to do about a refused name.
    """

    name: str
    text: str
    origin: str
    source: SourceMetadata
    scope: str = ""
    untyped: Callable[[str], object] = str
    items: bool = False
    remedy: str = "rename or delete it"


class Placed(NamedTuple):
    """A text whose name passed: the setting levels it goes to."""

    levels: Levels
    text: Text


def levels_of(
    text: Text, *, control_allowed: bool = False, error: type[ConfigurationError] = ConfigurationError
) -> Levels:
    """The setting a name maps to, or an error naming the origin and the rule it breaks."""
    name = text.name
    if len(name) > MAX_NAME_CHARACTERS:
        raise error(f"{text.origin} has a name of {len(name)} characters; SSM allows {MAX_NAME_CHARACTERS}")
    if NAME_PATTERN.fullmatch(name) is None:
        raise error(
            f"{text.origin} has characters in its name that SSM does not allow (letters, digits, "
            f"'_', '.', '-' and '/' only); {text.remedy}"
        )
    levels = data_values.setting_levels(name)
    if len(levels) > MAX_NAME_LEVELS:
        raise error(
            f"{text.origin} nests {len(levels)} levels ('/' and '__'); at most {MAX_NAME_LEVELS} are allowed"
        )
    problem = data_values.name_problem(levels, control_allowed=control_allowed)
    if problem is not None:
        raise error(f"{text.origin} {problem}; {text.remedy}")
    return levels


def place(
    texts: Iterable[Text],
    *,
    control_allowed: bool = False,
    error: type[ConfigurationError] = ConfigurationError,
) -> list[Placed]:
    """Every name checked and placed, scope by scope in the order given; collisions in a scope refused."""
    placed = [Placed(levels_of(text, control_allowed=control_allowed, error=error), text) for text in texts]
    by_scope: dict[str, dict[Levels, Text]] = {}
    for item in placed:
        claimed = by_scope.setdefault(item.text.scope, {})
        other = claimed.setdefault(item.levels, item.text)
        if other is not item.text:
            first, second = sorted((other.origin, item.text.origin))
            raise error(
                f"{first} and {_within(second)} both map to the setting {'.'.join(item.levels)}; "
                "rename or delete one of them"
            )
    for claimed in by_scope.values():
        _refuse_nesting(claimed, error)
    return placed


def _refuse_nesting(claimed: Mapping[Levels, Text], error: type[ConfigurationError]) -> None:
    """A value at DATABASE and another at DATABASE.PASSWORD from one scope: which one is meant is unclear."""
    for levels, text in claimed.items():
        for depth in range(1, len(levels)):
            parent = claimed.get(levels[:depth])
            if parent is not None:
                raise error(
                    f"{parent.origin} holds a value for {'.'.join(levels[:depth])}, "
                    f"but {_within(text.origin)} nests a setting beneath it; rename or delete one of them"
                )


def admit(
    texts: Iterable[Text],
    *,
    code_settings: CodeSettings,
    control_allowed: bool = False,
    error: type[ConfigurationError] = ConfigurationError,
) -> list[data_values.Placement]:
    """A source's texts as a layer's placements, in order (a later scope wins), after every rule."""
    placements: list[data_values.Placement] = []
    for item in place(texts, control_allowed=control_allowed, error=error):
        value = value_of(item.text, error=error)
        if item.levels[0] in code_settings.tops:
            _refuse_code(item.levels, value, item.text, code_settings, error)
        placements.append((item.levels, value, item.text.source))
    return placements


def set_admitted(
    obj: Any,
    texts: Iterable[Text],
    *,
    key: str | None,
    validate: bool,
    control_allowed: bool = False,
    error: type[ConfigurationError] = ConfigurationError,
) -> None:
    """A source's whole layer into obj (only key's top-level setting, for a fresh read), every rule first.

    This is the one call a loader makes: a new source reads its names and texts into Texts, and the
    rules, the code settings in force for obj and the one-step write to dynaconf's store follow.
    """
    admitted = admit(texts, code_settings=CodeSettings.of(obj), control_allowed=control_allowed, error=error)
    wanted = key.upper().split(".")[0] if key else None
    data_values.set_layer(obj, [item for item in admitted if wanted in (None, item[0][0])], validate=validate)


def value_of(text: Text, *, error: type[ConfigurationError] = ConfigurationError) -> object:
    """A text as its value: size bound, typing tokens, depth bound; a StringList as a list of such values."""
    # NOTE: a character is at most 4 bytes in UTF-8, so a short text needs no encoding to be measured.
    size = (
        len(text.text)
        if len(text.text) * 4 <= MAX_VALUE_BYTES
        else len(text.text.encode("utf-8", "surrogatepass"))
    )
    if size > MAX_VALUE_BYTES:
        raise error(
            f"{text.origin} holds {size} bytes; values are limited to {MAX_VALUE_BYTES} bytes, as in SSM"
        )
    try:
        if text.items:
            value: object = [
                data_values.parse(item, label=f"An item of {text.origin}") for item in text.text.split(",")
            ]
            data_values.refuse_merge_markers(value, text.origin)
        else:
            value = data_values.parse(text.text, label=text.origin, untyped=text.untyped)
    except RecursionError:
        value = None
        depth = MAX_VALUE_DEPTH + 1
    except ConfigurationError:
        raise
    except ValueError:
        # NOTE: Python's own limits, such as an int of more than 4,300 digits, raise a bare ValueError.
        raise error(
            f"{text.origin} holds a value past what Python reads (a number of thousands of digits?)"
        ) from None
    else:
        depth = depth_of(value) if isinstance(value, Mapping | list) else 0
    if depth > MAX_VALUE_DEPTH:
        raise error(
            f"{text.origin} nests its value more than {MAX_VALUE_DEPTH} levels deep; store a flatter value"
        )
    return value


def depth_of(value: object) -> int:
    """How many containers deep value nests (a scalar is 0), without recursion."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, Mapping) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_VALUE_DEPTH:
            return deepest
        pending += [(child, depth + 1) for child in children]
    return deepest


def _refuse_code(
    levels: Levels, value: object, text: Text, code_settings: CodeSettings, error: type[ConfigurationError]
) -> None:
    for path in leaf_paths(levels, value):
        pattern = code_settings.match(path)
        if pattern is not None:
            raise error(
                f"{text.origin} sets {_under(path, pattern)}: a setting whose value is "
                "imported or called, which comes only from code or a settings file (README: the trust "
                "boundary); set it there"
            )


def leaf_paths(levels: Levels, value: object) -> list[Levels]:
    """Every path value sets below levels, upper case as dynaconf reads it (list items by index)."""
    paths: list[Levels] = []
    pending: list[tuple[Levels, object]] = [(levels, value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, Mapping) and item:
            pending += [((*path, str(key).upper()), child) for key, child in item.items()]
        elif isinstance(item, list) and item:
            pending += [((*path, str(index)), child) for index, child in enumerate(item)]
        else:
            paths.append(path)
    return paths


def _within(origin: str) -> str:
    """An origin in the middle of a sentence."""
    return "t" + origin[1:] if origin.startswith("The ") else origin


def _under(path: Levels, pattern: str) -> str:
    shown = ".".join(path)
    return shown if shown == pattern else f"{shown}, under {pattern}"
