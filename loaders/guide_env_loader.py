"""Where a value comes from, guide part: the unprefixed variables the secrets guide documents.

``MODEL_SIGNATURE_KEY``, ``MODEL_SIGNATURE_KEY_PREVIOUS`` and ``EXPECTED_MODEL_CHECKSUMS`` are read
as the exact text in the environment (a key "0123" stays a string). Their ``CLARITY_`` forms are
read afterwards by dynaconf's environment loader and win when both are set.
"""

from __future__ import annotations

import os
from typing import Any, Final

from dynaconf.loaders.base import SourceMetadata
from dynaconf.utils.parse_conf import DynaconfParseError

from clarity_settings import schema
from clarity_settings.errors import ConfigurationError
from clarity_settings.validators import token_problem

IDENTIFIER: Final = "env"


def load(
    obj: Any,
    env: str | None = None,  # noqa: ARG001 - environment variables apply to every environment
    silent: bool = True,  # noqa: ARG001 - reading os.environ cannot fail
    key: str | None = None,
    filename: str | None = None,  # noqa: ARG001 - part of dynaconf's loader contract
    validate: bool = False,
) -> None:
    """Copy the guide's variables that are set into obj, as text."""
    names = schema.GUIDE_VARIABLES if key is None else [n for n in schema.GUIDE_VARIABLES if n == key.upper()]
    for name in names:
        value = os.environ.get(name)
        if value is None:
            continue
        problem = token_problem(value)
        if problem is not None:
            raise ConfigurationError(f"The environment variable {name} {problem}; set the plain value")
        source = SourceMetadata(IDENTIFIER, name, "global")
        try:
            obj.set(name, value, loader_identifier=source, tomlfy=False, validate=validate)
        except DynaconfParseError:
            raise ConfigurationError(
                f"The environment variable {name} has a typing token its value does not fit; "
                "set the plain value"
            ) from None
