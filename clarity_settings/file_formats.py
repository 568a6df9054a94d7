"""Settings as files and variables: .env, TOML and JSON read as SSM parameter names, and written back out.

A parameter name here is relative to the prefix, lower case, '/' between levels
(``database/password``). Values travel as text; a non-text value carries a dynaconf typing token
(``@int 8``) so it reads back as the same type, except the settings declared JSON, which travel
as plain JSON text as the guide stores them.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from dotenv import dotenv_values
from dynaconf.utils.parse_conf import parse_with_toml

from clarity_settings import data_values, names
from clarity_settings.errors import ConfigurationError

_PREFIX: Final = names.VARIABLE_PREFIX
_ENV_ESCAPES: Final = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def read_parameters(path: Path, env: str) -> dict[str, str]:
    """A .env, TOML or JSON file as parameter name → text, ready to compare with or put in SSM.

    A TOML or JSON file laid out in environments ([default], [production], ...) gives its
    [default] values overlaid with those of env.
    """
    kind = file_kind(path)
    try:
        if kind == "dotenv":
            values = dotenv_values(path, interpolate=False)
            return _from_variables({k: v for k, v in values.items() if v is not None})
        data = (
            tomllib.loads(path.read_text("utf-8")) if kind == "toml" else json.loads(path.read_text("utf-8"))
        )
    except (OSError, ValueError) as error:
        raise ConfigurationError(f"{path} cannot be read as {kind} ({type(error).__name__})") from None
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"{path} must hold an object of settings")
    return flatten(_environment_view(data, env))


def _environment_view(data: Mapping[str, Any], env: str) -> Mapping[str, Any]:
    sections = {str(key).lower(): value for key, value in data.items()}
    if env.lower() not in sections and "default" not in sections:
        return data
    if not all(isinstance(value, Mapping) for value in sections.values()):
        return data
    return {**sections.get("default", {}), **sections.get(env.lower(), {})}


def file_kind(path: Path) -> str:
    """dotenv, toml or json, from the file name."""
    if path.name == ".env" or path.suffix == ".env":
        return "dotenv"
    if path.suffix in {".toml", ".json"}:
        return path.suffix[1:]
    raise ConfigurationError(f"{path} must be a .env, .toml or .json file")


def _from_variables(variables: Mapping[str, str]) -> dict[str, str]:
    """The guide's names and CLARITY_* settings (not the control variables) as parameter names."""
    found: dict[str, str] = {}
    for variable, value in variables.items():
        if variable in names.GUIDE_VARIABLES:
            found[variable.lower()] = value
        elif variable.startswith(_PREFIX) and variable[len(_PREFIX) :].upper() not in names.CONTROL_SETTINGS:
            found[variable[len(_PREFIX) :].lower().replace("__", "/")] = value
    return found


def flatten(data: Mapping[str, Any]) -> dict[str, str]:
    """Nested settings as parameter names and texts; declared JSON settings stay whole."""
    return {name: as_text(name, value) for name, value in leaves(data).items()}


def leaves(data: Mapping[str, Any], base: str = "") -> dict[str, Any]:
    """Nested settings as parameter names and raw values, control settings left out."""
    found: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{base}{str(key).lower()}"
        if isinstance(value, Mapping) and name.upper() != names.CHECKSUMS:
            found.update(leaves(value, f"{name}/"))
        elif base or name.upper() not in names.CONTROL_SETTINGS:
            found[name] = value
    return found


def as_text(name: str, value: object) -> str:
    """The text to store for a value, typed with a dynaconf token unless it is text already."""
    if name.upper() == names.CHECKSUMS or isinstance(value, Mapping | list):
        text = json.dumps(data_values.plain(value))
        return text if name.upper() == names.CHECKSUMS else f"@json {text}"
    if isinstance(value, bool):
        return f"@bool {str(value).lower()}"
    if isinstance(value, int):
        return f"@int {value}"
    if isinstance(value, float):
        return f"@float {value!r}"
    return str(value)


def environment_variables(settings: Mapping[str, Any]) -> dict[str, str]:
    """Settings as the environment variables that reproduce them: guide names, else CLARITY_*.

    CLARITY_* values are written the way they are typed back (``4``, ``true``), so only text that
    would change type needs ``@str``.
    """
    return {
        variable_name(name): _guide_text(name, value)
        if variable_name(name) == name.upper()
        else _typed_text(value)
        for name, value in leaves(settings).items()
    }


def variable_name(name: str) -> str:
    """The variable for a parameter name: the guide's unprefixed names as they are, else CLARITY_<NAME>."""
    key = name.upper()
    return key if key in names.GUIDE_VARIABLES else _PREFIX + key.replace("/", "__")


def _typed_text(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return value if _reads_back_as_text(value) and not value.startswith("@") else f"@str {value}"
    return as_text("", value)


def _guide_text(name: str, value: object) -> str:
    """The guide's variables are text; one starting with '@' would read as a token, so it keeps @str."""
    return f"@str {value}" if isinstance(value, str) and value.startswith("@") else as_text(name, value)


def variables_for(parameters: Mapping[str, str]) -> dict[str, str]:
    """Parameter names and texts as environment variables that read back to the same values."""
    return {
        variable_name(name): text
        if variable_name(name) == name.upper() or _reads_back_as_text(text)
        else f"@str {text}"
        for name, text in parameters.items()
    }


def _reads_back_as_text(text: str) -> bool:
    """dynaconf types CLARITY_* values the TOML way: would this text survive as text?"""
    return text.startswith("@") or isinstance(parse_with_toml(text), str)


def dotenv_text(variables: Mapping[str, str]) -> str:
    """A .env file that python-dotenv reads back to exactly these values."""
    lines = []
    for variable, value in variables.items():
        escaped = "".join(_ENV_ESCAPES.get(character, character) for character in value)
        lines.append(f'{variable}="{escaped}"')
    return "\n".join(lines) + "\n"


def refuse_unloadable(parameters: Mapping[str, str], prefix: str, *, evaluated: bool) -> None:
    """Refuse to write a value the service would refuse, and token text into a file dynaconf evaluates.

    A .env file is read by this library's own parser, like SSM; TOML and JSON settings files are
    read by dynaconf, which would evaluate a token (evaluated=True).
    """
    for name, text in sorted(parameters.items()):
        label = f"SSM parameter {prefix}/{name}"
        problem = data_values.name_problem(data_values.setting_levels(name))
        if problem is not None:
            raise ConfigurationError(f"{label} {problem}; it is not written to a file")
        value = data_values.parse(text, label=label)
        if evaluated and _holds_token(value):
            raise ConfigurationError(
                f"{label} holds text that starts with a dynaconf token, which dynaconf would evaluate in a "
                "TOML or JSON settings file; pull to a .env file instead"
            )


def _holds_token(value: object) -> bool:
    if isinstance(value, str):
        return data_values.starts_with_token(value)
    if isinstance(value, Mapping):
        return any(_holds_token(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_token(item) for item in value)
    return False


def toml_text(parameters: Mapping[str, str], section: str) -> str:
    """A TOML file with the parameters under [section], nested levels as sub-tables."""
    tables: dict[str, dict[str, str]] = {}
    for name, value in sorted(parameters.items()):
        table, _, leaf = name.rpartition("/")
        tables.setdefault(table, {})[leaf] = value
    blocks = []
    for table, values in sorted(tables.items()):
        header = ".".join(_toml_key(part) for part in [section, *([] if not table else table.split("/"))])
        body = "\n".join(
            f"{_toml_key(key)} = {json.dumps(value, ensure_ascii=False)}" for key, value in values.items()
        )
        blocks.append(f"[{header}]\n{body}\n")
    return "\n".join(blocks)


def _toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key, ensure_ascii=False)


def nested(parameters: Mapping[str, str]) -> dict[str, Any]:
    """Parameter names as a nested object, for JSON files."""
    tree: dict[str, Any] = {}
    for name, value in sorted(parameters.items()):
        *tables, leaf = name.split("/")
        node = tree
        for table in tables:
            node = node.setdefault(table, {})
        node[leaf] = value
    return tree
