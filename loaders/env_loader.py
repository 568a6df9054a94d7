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
from clarity_settings.contract import inbound
from clarity_settings.contract.outbound import shown_name

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
    env = str(obj.current_env).lower()
    development = names.is_development(env)
    texts = _texts()
    unused = [text.source.identifier for text in texts if not development and text.scope.startswith(_DOTENV)]
    used = [text for text in texts if development or not text.scope.startswith(_DOTENV)]
    inbound.set_admitted(obj, used, key=key, validate=validate, control_allowed=True)
    if unused:
        log.warning("%s from .env are not used: %s reads no .env value", ", ".join(unused), env)


_DOTENV: Final = ".env"


def _texts() -> list[inbound.Text]:
    """In the order they are set, the last winning: .env's before the real ones, guide names before CLARITY_*.

    So a real variable wins over .env whatever alias or spelling .env uses, and the CLARITY_ form wins
    over the guide's name from the same place; two spellings from one place collide.
    """
    found = [_text(name, name, str) for name in names.GUIDE_VARIABLES if name in os.environ]
    found += [
        _text(variable, variable[len(PREFIX) :], data_values.variable_typed)
        for variable in sorted(os.environ)
        if variable.startswith(PREFIX)
    ]
    order = [f"{_DOTENV} guide", f"{_DOTENV} {PREFIX}", "real guide", f"real {PREFIX}"]
    return sorted(found, key=lambda text: order.index(text.scope))


def _text(variable: str, name: str, untyped: Callable[[str], object]) -> inbound.Text:
    dotenv = local_files.dotenv_file_of(variable)
    place = "real" if dotenv is None else _DOTENV
    kind = PREFIX if variable.startswith(PREFIX) else "guide"
    origin = f"The environment variable {shown_name(variable)}" + (
        "" if dotenv is None else f" from {dotenv}"
    )
    return inbound.Text(
        name,
        os.environ[variable],
        origin,
        SourceMetadata(IDENTIFIER, variable, "global"),
        scope=f"{place} {kind}",
        untyped=untyped,
        remedy="unset it",
    )
