"""Where a value comes from, environment part: CLARITY_<NAME> variables and the guide's unprefixed ones.

Values are data: the five typing tokens are honoured, nothing else is evaluated. ``CLARITY_*`` text is
typed the TOML way (``8080`` a number, ``true`` a boolean, ``"0123"`` quoted to stay text) and ``__``
nests (``CLARITY_DATABASE__PASSWORD``). The guide's ``MODEL_SIGNATURE_KEY``,
``MODEL_SIGNATURE_KEY_PREVIOUS`` and ``EXPECTED_MODEL_CHECKSUMS`` are the exact text; their
``CLARITY_`` forms are set afterwards and win when both are set. A variable whose name maps to a
dynaconf option (``CLARITY_ENV_FOR_DYNACONF``) is refused: options come from code.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any, Final

from dynaconf.loaders.base import SourceMetadata

from clarity_settings import data_values, local_files, names
from clarity_settings.errors import ConfigurationError

log = logging.getLogger("clarity_settings")

IDENTIFIER: Final = "env"
PREFIX: Final = names.VARIABLE_PREFIX


def load(
    obj: Any,
    env: str | None = None,
    silent: bool = True,  # noqa: ARG001 - reading os.environ cannot fail
    key: str | None = None,
    filename: str | None = None,  # noqa: ARG001 - part of dynaconf's loader contract
    validate: bool = False,
) -> None:
    """Set every variable that is present (only those of key when given), as data.

    Outside development, variables a .env put into the process (an earlier development load, in the
    same process) are not used: no .env value reaches staging or production.
    """
    wanted = key.upper() if key else None
    env = str(obj.current_env).lower()
    unused, placements = [], []
    for variable, levels, untyped in _variables():
        if wanted is not None and levels[0] != wanted:
            continue
        if not names.is_development(env) and not _is_real(variable):
            unused.append(variable)
            continue
        value = data_values.parse(os.environ[variable], label=_label(variable), untyped=untyped)
        placements.append((levels, value, SourceMetadata(IDENTIFIER, variable, "global")))
    data_values.set_layer(obj, placements, validate=validate)
    if unused:
        log.warning("%s from .env are not used: %s reads no .env value", ", ".join(unused), env)


Found = tuple[str, tuple[str, ...], Callable[[str], object]]


def _variables() -> list[Found]:
    """In the order they are set, the last winning: .env's before the real ones, guide names before CLARITY_*.

    So a real variable wins over .env whatever alias or spelling .env uses, and the CLARITY_ form wins
    over the guide's name from the same place.
    """
    found: list[Found] = [(name, (name,), str) for name in names.GUIDE_VARIABLES if name in os.environ]
    claimed: dict[tuple[tuple[str, ...], bool], str] = {}
    for variable in sorted(os.environ):
        if variable.startswith(PREFIX):
            levels = data_values.setting_levels(variable[len(PREFIX) :])
            problem = data_values.name_problem(levels, control_allowed=True)
            if problem is not None:
                raise ConfigurationError(f"{_label(variable)} {problem}; unset it")
            other = claimed.setdefault((levels, _is_real(variable)), variable)
            if other != variable:
                raise ConfigurationError(
                    f"The environment variables {other} and {variable} both set {'.'.join(levels)}; unset one"
                )
            found.append((variable, levels, data_values.variable_typed))
    return sorted(found, key=lambda item: (_is_real(item[0]), item[0].startswith(PREFIX)))


def _is_real(variable: str) -> bool:
    return local_files.dotenv_file_of(variable) is None


def _label(variable: str) -> str:
    """How messages name a variable: with the .env file it came from, if it did."""
    dotenv = local_files.dotenv_file_of(variable)
    return f"The environment variable {variable}" + ("" if dotenv is None else f" from {dotenv}")
