"""How strict this process is: its environment, and whether reduced security is allowed, per the process.

Only development is lenient. Whoever can drop a file beside the service, write a parameter or set a
CLARITY_* variable through .env must not be able to make production lenient, so both answers come
from the real environment or from code, never from a layer dynaconf loads later.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from clarity_settings import data_values, local_files, names, provenance
from clarity_settings.errors import ConfigurationError

log = logging.getLogger("clarity_settings")

ENVIRONMENT_OPTIONS: Final = (names.ENV_SWITCHER, names.FORCE_ENV)
_FIRST_LOAD: Final = "set_method"
"""dynaconf's loader name for options given in code and for its first read of the environment."""


def refuse_moved_environment(obj: Any) -> None:
    """Raise when a settings file or a later layer set the environment (only the first load may)."""
    for option in ENVIRONMENT_OPTIONS:
        source = provenance.last_source(obj, option)
        if source is not None and source.loader != _FIRST_LOAD:
            raise ConfigurationError(
                f"{option} is set by {source.loader} {source.identifier}; the environment comes from the "
                "process only (ENV_FOR_DYNACONF in the environment or the working directory's .env, "
                "or env= in code): remove it there"
            )


REDUCED_SECURITY_VARIABLE: Final = names.control_variable(names.ALLOW_REDUCED_SECURITY)


def reduced_security_allowed(obj: Any) -> bool:
    """The real CLARITY_ALLOW_REDUCED_SECURITY, else a keyword in code; a file saying true is ignored."""
    real = local_files.real_variable(REDUCED_SECURITY_VARIABLE)
    if real is not None:
        return names.parse_switch(real, names.ALLOW_REDUCED_SECURITY) is True
    return _asked_by_a_layer(obj) and not _asked_by_a_file(obj)


def warn_if_a_file_asked_for_reduced_security(obj: Any) -> None:
    """Say once per load that a .env or settings file asked for reduced security and was not heard."""
    if (
        local_files.real_variable(REDUCED_SECURITY_VARIABLE) is None
        and _asked_by_a_layer(obj)
        and _asked_by_a_file(obj)
    ):
        log.warning(
            "%s from %s is ignored: only the real environment variable %s or code can allow reduced security",
            names.ALLOW_REDUCED_SECURITY,
            provenance.source_text(obj, names.ALLOW_REDUCED_SECURITY),
            REDUCED_SECURITY_VARIABLE,
        )


def _asked_by_a_layer(obj: Any) -> bool:
    return (
        names.parse_switch(
            data_values.stored(obj, names.ALLOW_REDUCED_SECURITY), names.ALLOW_REDUCED_SECURITY
        )
        is True
    )


def _asked_by_a_file(obj: Any) -> bool:
    source = provenance.last_source(obj, names.ALLOW_REDUCED_SECURITY)
    return source is not None and source.loader != _FIRST_LOAD
