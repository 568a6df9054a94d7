"""Finishing check: the environment a process runs in comes from the process, never from a layer.

dynaconf lets any layer set ENV_FOR_DYNACONF or FORCE_ENV_FOR_DYNACONF, and the last one wins, so a
settings file could move production onto development's lenient rules. Only dynaconf's first load
(the process environment, a .env the real environment did not override, or code) may choose it.
"""

from __future__ import annotations

from typing import Any, Final

from clarity_settings import provenance
from clarity_settings.errors import ConfigurationError

ENVIRONMENT_OPTIONS: Final = ("ENV_FOR_DYNACONF", "FORCE_ENV_FOR_DYNACONF")
_FIRST_LOAD: Final = "set_method"
"""dynaconf records options from code and from the environment at its first load under this loader name."""


def load(
    obj: Any,
    env: str | None = None,  # noqa: ARG001 - the check is the same in every environment
    silent: bool = True,  # noqa: ARG001 - a moved environment is never silent
    key: str | None = None,  # noqa: ARG001 - any load may have moved it
    filename: str | None = None,  # noqa: ARG001 - part of dynaconf's loader contract
    validate: bool = False,  # noqa: ARG001 - part of dynaconf's loader contract
) -> None:
    """Raise ConfigurationError when a settings file or other layer chose the environment."""
    for option in ENVIRONMENT_OPTIONS:
        source = provenance.last_source(obj, option)
        if source is not None and source.loader != _FIRST_LOAD:
            raise ConfigurationError(
                f"{option} is set by {source.loader} {source.identifier}; the environment comes from the "
                "process only (ENV_FOR_DYNACONF in the environment, or env= in code): remove it there"
            )
