"""Settings files as typed settings, read the way the library loads them, and files that load back the same.

A setting is named by its levels, ``("DATABASE", "PASSWORD")``. A .env file is read as the
environment loader reads its variables (``CLARITY_*`` typed the TOML way, the guide's three names as
text, the five typing tokens honoured everywhere); a TOML or JSON file as dynaconf reads a settings
file ([default] overlaid with the environment's section, typing tokens evaluated at every depth).
A line or key that no load would use as a setting, or that SSM cannot carry, is not carried: it
comes back as a Skipped with the reason, so no command drops anything in silence.
"""

from __future__ import annotations

import datetime
import io
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from dotenv.parser import parse_stream

from clarity_settings import data_values, names
from clarity_settings.contract import outbound
from clarity_settings.errors import ConfigurationError

Levels = tuple[str, ...]

_PREFIX: Final = names.VARIABLE_PREFIX
_NAME_LEVEL: Final = re.compile(r"[A-Za-z0-9_]+")
_TEMPLATE: Final = (
    "holds a dynaconf template or lookup (@format, @jinja, @get, ...), which only a settings file "
    "evaluates; SSM values are data"
)


@dataclass(frozen=True)
class Skipped:
    """A line or key that a command does not carry, and why.

    setting: it is a setting the file's load has and SSM's will not (a date, a template, a name no
    parameter maps to), so the two loads differ; otherwise it is no setting at all (a foreign variable,
    a control setting, another environment's section).
    """

    where: str
    reason: str
    setting: bool = False


@dataclass
class FileSettings:
    """A file's settings by levels (tables split where SSM names can hold their keys), and what is skipped."""

    values: dict[Levels, object] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)


class _NotCarriedError(Exception):
    """A value SSM cannot carry with its type; the message is the reason."""


def read_settings(path: Path, env: str) -> FileSettings:
    """A .env, TOML or JSON file as the typed settings the library would load from it."""
    kind = file_kind(path)
    text = _text_of(path)
    if kind == "dotenv":
        return _dotenv_settings(path, text)
    data = _decoded(path, kind, text)
    found = FileSettings()
    for key, value in _environment_view(data, env, path, found).items():
        _add_file_setting(found, str(key), value, f"{path}: {key}")
    return found


def settings_file_problem(path: Path) -> ConfigurationError | None:
    """What dynaconf stumbles on in a TOML or JSON settings file, naming the file and line or key.

    A syntax error, or a typing token whose value does not fit it, in any section; None if neither.
    """
    if path.suffix not in {".toml", ".json"} or not path.is_file():
        return None
    try:
        _check_tokens(_decoded(path, path.suffix[1:], _text_of(path)), f"{path}:")
    except ConfigurationError as error:
        return error
    return None


def _check_tokens(value: object, where: str) -> None:
    if isinstance(value, str) and value.partition(" ")[0] in data_values.TYPING_TOKENS:
        data_values.parse(value, label=where)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_tokens(item, f"{where} {key}" if where.endswith(":") else f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            _check_tokens(item, where)


def file_kind(path: Path) -> str:
    """dotenv, toml or json, from the file name (.env, .env.<name> and <name>.env are dotenv)."""
    if path.name == ".env" or path.name.startswith(".env.") or path.suffix == ".env":
        return "dotenv"
    if path.suffix in {".toml", ".json"}:
        return path.suffix[1:]
    raise ConfigurationError(f"{path} must be a .env (or .env.<name>), .toml or .json file")


def _text_of(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigurationError(
            f"{path} is not valid UTF-8 (byte {error.start}); save it as UTF-8"
        ) from None


def _decoded(path: Path, kind: str, text: str) -> Mapping[str, Any]:
    """The file's data; a syntax error names the file and line, never the text there."""
    try:
        data = tomllib.loads(text) if kind == "toml" else json.loads(text, parse_constant=_no_constant)
    except tomllib.TOMLDecodeError as error:
        reason, _, position = str(error).partition(" (at ")
        raise ConfigurationError(f"{path} is not valid TOML ({reason}, {position.rstrip(')')})") from None
    except json.JSONDecodeError as error:
        raise ConfigurationError(
            f"{path} is not valid JSON ({error.msg}, line {error.lineno}, column {error.colno})"
        ) from None
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"{path} must hold an object of settings")
    return data


def _no_constant(name: str) -> object:
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def _environment_view(
    data: Mapping[str, Any], env: str, path: Path, found: FileSettings
) -> Mapping[str, Any]:
    """dynaconf's view of a file laid out in environments: [default], the environment's, then [global]."""
    sections = {str(key).lower(): value for key, value in data.items()}
    env = env.lower()
    if env not in sections and "default" not in sections:
        return data
    if not all(isinstance(value, Mapping) for value in sections.values()):
        return data
    merging = [
        name
        for name in ("default", env, "global")
        if any(str(k).lower() in data_values.MERGE_MARKERS for k in sections.get(name, {}))
    ]
    if merging:
        raise ConfigurationError(
            f"{path} [{merging[0]}] merges with dynaconf_merge, which push and diff cannot reproduce: "
            "write the section's values whole"
        )
    for other in sorted(set(sections) - {"default", env, "global"}):
        reason = f"another environment's section (this reads {env})"
        found.skipped.append(Skipped(f"{path}: [{other}]", reason))
    return {**sections.get("default", {}), **sections.get(env, {}), **sections.get("global", {})}


def _add_file_setting(found: FileSettings, key: str, value: object, where: str) -> None:
    """A top-level key of a TOML or JSON file: dynaconf upper-cases it and nests it at '__'."""
    levels = tuple(key.upper().split("__"))
    problem = _setting_name_problem(levels)
    if problem is not None:
        setting = levels[0] not in names.CONTROL_SETTINGS and data_values.name_problem(levels) is None
        found.skipped.append(Skipped(where, problem, setting=setting))
        return
    try:
        typed = _evaluated(value, label=where)
    except _NotCarriedError as reason:
        found.skipped.append(Skipped(where, str(reason), setting=True))
        return
    _place(found.values, levels, typed)


def _setting_name_problem(levels: Levels) -> str | None:
    """Why a setting name cannot be published: a control setting, a dynaconf option, or no SSM name for it."""
    if levels[0] in names.CONTROL_SETTINGS and len(levels) == 1:
        return (
            f"a control setting: it says how settings are read, so it is not published "
            f"(set {names.control_variable(levels[0])} where the service runs)"
        )
    problem = data_values.name_problem(levels)
    if problem is not None:
        return f"not a setting: the name {problem}"
    if not all(_NAME_LEVEL.fullmatch(level) and "__" not in level for level in levels):
        return "a name no SSM parameter maps to (parameter names give letters, digits and '_' between them)"
    return None


def _evaluated(value: object, *, label: str) -> object:
    """A settings-file value as dynaconf evaluates it: typing tokens at every depth, data otherwise."""
    if isinstance(value, str):
        if _evaluates(value):
            raise _NotCarriedError(_TEMPLATE)
        return data_values.parse(value, label=label)
    _refuse_untyped(value)
    if isinstance(value, list):
        return [_evaluated(item, label=label) for item in value]
    if isinstance(value, Mapping):
        if any(str(key).lower() in data_values.MERGE_MARKERS for key in value):
            raise _NotCarriedError(
                "uses dynaconf's merge marker, which SSM values never carry; write the whole value"
            )
        return {str(key): _evaluated(item, label=label) for key, item in value.items()}
    return value


def _refuse_untyped(value: object) -> None:
    """Values a settings file or a CLARITY_* variable can hold but no typing token can: dates, inf, nan."""
    if isinstance(value, float) and not math.isfinite(value):
        raise _NotCarriedError("not a finite number, which SSM cannot carry typed")
    if isinstance(value, datetime.date | datetime.time):
        raise _NotCarriedError(
            "a TOML date or time, which SSM cannot carry typed; quote it to publish it as text"
        )


def _carried(value: object) -> object:
    """A value already typed (from a .env) that SSM can carry, checked at every depth."""
    _refuse_untyped(value)
    if isinstance(value, list):
        return [_carried(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _carried(item) for key, item in value.items()}
    return value


def _evaluates(text: str) -> bool:
    """Whether dynaconf runs text as a template or lookup: any token but the typing ones, even after @str."""
    rest = text.removeprefix("@str ")
    return data_values.starts_with_token(rest) and rest.partition(" ")[0] not in data_values.TYPING_TOKENS


def _place(values: dict[Levels, object], levels: Levels, value: object) -> None:
    """A setting as parameters: a table whose keys SSM names can hold is split, anything else is one value."""
    if _splits(levels, value):
        assert isinstance(value, Mapping)  # noqa: S101 - _splits checked it
        for key, item in value.items():
            _place(values, (*levels, str(key).upper()), item)
    else:
        values[levels] = value


def _splits(levels: Levels, value: object) -> bool:
    if not isinstance(value, Mapping) or not value or levels == (names.CHECKSUMS,):
        return False
    keys = [str(key).upper() for key in value]
    return len(set(keys)) == len(keys) and all(
        "__" not in key and _NAME_LEVEL.fullmatch(key) and not data_values.is_dynaconf_option(key)
        for key in keys
    )


def _dotenv_settings(path: Path, text: str) -> FileSettings:
    """A .env file's variables as the environment loader reads them; the last line for a name wins."""
    skipped: list[tuple[int, Skipped]] = []
    lines: dict[str, tuple[int, str]] = {}
    for binding in parse_stream(io.StringIO(text)):
        line = binding.original.line
        if binding.error:
            skipped.append((line, Skipped(f"{path}:{line}", "not a NAME=value line")))
        elif binding.key is not None and binding.value is None:
            # NOTE: a line without '=' may be a wrapped secret (a PEM body): only its number is shown.
            skipped.append((line, Skipped(f"{path}:{line}", "has no '=' (not a NAME=value line)")))
        elif binding.key is not None and binding.value is not None:
            lines[binding.key] = (line, binding.value)
    values: dict[Levels, object] = {}
    for variable, (line, value) in sorted(lines.items(), key=lambda item: item[0].startswith(_PREFIX)):
        where = f"{path}:{line} {variable}"
        reason = _variable_problem(variable, lines)
        if reason is not None:
            skipped.append((line, Skipped(where, reason)))
            continue
        guide = variable in names.GUIDE_VARIABLES
        levels = (variable,) if guide else data_values.setting_levels(variable[len(_PREFIX) :])
        untyped = str if guide else data_values.variable_typed
        try:
            values[levels] = _carried(data_values.parse(value, label=where, untyped=untyped))
        except _NotCarriedError as reason:
            skipped.append((line, Skipped(where, str(reason), setting=True)))
    return FileSettings(values, [entry for _, entry in sorted(skipped, key=lambda item: item[0])])


def _variable_problem(variable: str, variables: Mapping[str, object]) -> str | None:
    """Why a .env variable is not a setting the library reads."""
    if variable in names.GUIDE_VARIABLES:
        winner = _PREFIX + variable
        return f"{winner} in the same file wins over it" if winner in variables else None
    if not variable.startswith(_PREFIX):
        # NOTE: a lower-case clarity_lower already carries the prefix: upper-casing is the whole fix.
        upper = variable.upper()
        renamed = upper if upper.startswith(_PREFIX) else f"{_PREFIX}{upper}"
        advice = "" if _variable_problem(renamed, {}) else f" (rename it {renamed} to publish it)"
        return (
            f"not a setting: the library reads {_PREFIX}* variables and "
            f"{', '.join(names.GUIDE_VARIABLES)}{advice}"
        )
    return _setting_name_problem(data_values.setting_levels(variable[len(_PREFIX) :]))


def leaves(settings: Mapping[str, Any], base: Levels = ()) -> dict[Levels, object]:
    """Loaded settings (top-level names to values) by levels, tables split as a file's are."""
    found: dict[Levels, object] = {}
    for key, value in settings.items():
        _place(found, (*base, str(key).upper()), data_values.plain(value))
    return found


def variable_name(levels: Levels) -> str:
    """The variable for a setting: the guide's unprefixed names as they are, else CLARITY_<A>__<B>."""
    if len(levels) == 1 and levels[0] in names.GUIDE_VARIABLES:
        return levels[0]
    return _PREFIX + "__".join(levels)


def variables_for(values: Mapping[Levels, object]) -> dict[str, str]:
    """Settings as the variables that the environment loader reads back to the very same values.

    A NUL character cannot be in a variable (or a .env the library reads): such a value is refused.
    """
    variables = {variable_name(levels): variable_text(levels, value) for levels, value in values.items()}
    for variable, text in variables.items():
        if "\x00" in text:
            raise ConfigurationError(
                f"{variable} holds a NUL character, which no environment variable can carry"
            )
    return variables


def variable_text(levels: Levels, value: object) -> str:
    """A variable's text for value: as a person would write it if that reads back the same, else typed."""
    untyped = str if variable_name(levels) in names.GUIDE_VARIABLES else data_values.variable_typed
    natural = _natural_text(value)
    if natural is not None and _reads_back(natural, value, untyped):
        return natural
    if isinstance(value, str):
        return f"@str {value}"
    return data_values.setting_text(levels, value)


def _natural_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return None


def _reads_back(text: str, value: object, untyped: Any) -> bool:
    try:
        return data_values.same(data_values.parse(text, label="", untyped=untyped), value)
    except (ConfigurationError, ValueError):
        return False


def dotenv_text(variables: Mapping[str, str]) -> str:
    """A .env file that bash, python-dotenv (interpolating or not) and Docker Compose all read alike.

    Each value single-quoted as it is when every reader takes it literally; otherwise as ``@json`` of the
    value it stands for, with what single quotes cannot carry (a quote, a backslash, ``$``, a control
    character) as JSON unicode escapes, which the library decodes. A name or a text that neither form
    carries is refused, naming the variable (outbound.dotenv_line).
    """
    lines = []
    for variable, value in variables.items():
        text = value if outbound.single_quotable(value) else _as_json_text(variable, value)
        lines.append(outbound.dotenv_line(variable, text))
    return "\n".join(lines) + "\n"


def _as_json_text(variable: str, text: str) -> str:
    """``@json`` text the library loads as the value text stands for; text itself when it stands for none."""
    untyped = data_values.variable_typed if variable.startswith(_PREFIX) else str
    try:
        value = data_values.parse(text, label=variable, untyped=untyped)
        return f"@json {outbound.single_quotable_json(value)}"
    except (ConfigurationError, TypeError, ValueError):
        return text


def settings_file_text(
    kind: str, values: Mapping[Levels, object], section: str, sources: Mapping[Levels, str]
) -> str:
    """A TOML or JSON settings file with values under [section], protected from dynaconf's evaluation.

    sources name where each value came from, for the message that refuses text dynaconf would run.
    """
    protected = {}
    for levels, value in values.items():
        try:
            protected[levels] = _protected(value, null="@json null" if kind == "toml" else None)
        except _NotCarriedError:
            raise ConfigurationError(
                f"{sources.get(levels, '.'.join(levels))} holds text that starts with a dynaconf token, "
                "which dynaconf would evaluate in a TOML or JSON settings file; pull to a .env file instead"
            ) from None
    tree = _tree(protected)
    if kind == "json":
        return json.dumps({section: tree}, indent=2, ensure_ascii=False) + "\n"
    return _toml_table([section], tree)


def _protected(value: object, *, null: str | None) -> object:
    """value as a settings file must hold it for dynaconf to load value itself (it evaluates '@...').

    null is how the file says None: JSON has null, TOML has none, so there it is '@json null'.
    """
    if isinstance(value, str):
        if _evaluates(f"@str {value}"):
            raise _NotCarriedError(_TEMPLATE)
        return f"@str {value}" if value.startswith("@") else value
    if value is None:
        return null
    if isinstance(value, list):
        return [_protected(item, null=null) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _protected(item, null=null) for key, item in value.items()}
    return value


def _tree(values: Mapping[Levels, object]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for levels, value in sorted(values.items()):
        node = tree
        for level in levels[:-1]:
            node = node.setdefault(level.lower(), {})
        node[levels[-1].lower()] = value
    return tree


def _toml_table(path: list[str], table: Mapping[str, Any]) -> str:
    """A TOML table and its sub-tables; every other value inline."""
    inline = {key: value for key, value in table.items() if not (isinstance(value, Mapping) and value)}
    header = ".".join(_toml_key(part) for part in path)
    lines = [f"[{header}]", *(f"{_toml_key(key)} = {_toml_value(value)}" for key, value in inline.items())]
    blocks = ["\n".join(lines) + "\n"]
    blocks += [
        _toml_table([*path, key], value)
        for key, value in table.items()
        if isinstance(value, Mapping) and value
    ]
    return "\n".join(blocks)


def _toml_value(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise ConfigurationError(f"a {type(value).__name__} cannot be written to TOML")


def _toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key, ensure_ascii=False)
