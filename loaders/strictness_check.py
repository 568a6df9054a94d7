"""Finishing check: how strict the process is comes from the process, never from a layer it loaded.

dynaconf lets any layer set ENV_FOR_DYNACONF or FORCE_ENV_FOR_DYNACONF, and the last one wins, so a
settings file could move production onto development's lenient rules; a file may also ask for
reduced security, which only the process may allow (clarity_settings.strictness).
"""

from __future__ import annotations

from typing import Any

from clarity_settings import strictness


def load(
    obj: Any,
    env: str | None = None,  # noqa: ARG001 - the check is the same in every environment
    silent: bool = True,  # noqa: ARG001 - a moved environment is never silent
    key: str | None = None,  # noqa: ARG001 - any load may have moved it
    filename: str | None = None,  # noqa: ARG001 - part of dynaconf's loader contract
    validate: bool = False,  # noqa: ARG001 - part of dynaconf's loader contract
) -> None:
    """Refuse a layer that chose the environment; warn when a file asked for reduced security."""
    strictness.refuse_moved_environment(obj)
    strictness.warn_if_a_file_asked_for_reduced_security(obj)
