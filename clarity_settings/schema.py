"""The settings this library knows by name: the guide's secrets, their environment names and shapes."""

import json
import os
import re
from collections.abc import Mapping
from typing import Any, Final

from clarity_settings.errors import ConfigurationError

SIGNATURE_KEY: Final = "MODEL_SIGNATURE_KEY"
PREVIOUS_SIGNATURE_KEY: Final = "MODEL_SIGNATURE_KEY_PREVIOUS"
CHECKSUMS: Final = "EXPECTED_MODEL_CHECKSUMS"
SSM_PREFIX: Final = "SSM_PREFIX"
USE_SSM: Final = "USE_SSM"
CACHE_TTL: Final = "SECRETS_CACHE_TTL"
ALLOW_REDUCED_SECURITY: Final = "ALLOW_REDUCED_SECURITY"

ENVVAR_PREFIX: Final = "CLARITY"
ENV_SWITCHER: Final = "ENV_FOR_DYNACONF"
DEVELOPMENT: Final = "development"

GUIDE_VARIABLES: Final = (SIGNATURE_KEY, PREVIOUS_SIGNATURE_KEY, CHECKSUMS)
"""Read from the environment without the CLARITY_ prefix, exactly as the guide names them."""

MODEL_SIZES: Final = ("small", "medium", "large")

DEVELOPMENT_PLACEHOLDER_MARK: Final = "insecure-development"
GUIDE_EXAMPLE_KEYS: Final = frozenset(
    {"dev-test-key-only", "dev-key", "fallback-key", "your-secure-hmac-key-here"}
)

_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")
PREFIX_REMEDY: Final = "set CLARITY_SSM_PREFIX to a path such as /clarity/production"
_PREFIX_LEVEL = re.compile(r"[A-Za-z0-9_.\-]+")
MAX_PREFIX_LEVELS: Final = 15
GUIDE_EXAMPLE_CHECKSUMS: Final = frozenset({"dev", "fallback-checksum"})


def is_development(env: str) -> bool:
    """Only the development environment is lenient; every other one, custom names too, fails closed."""
    return env.lower() == DEVELOPMENT


def is_placeholder_key(value: str) -> bool:
    """Recognise the development placeholders and the guide's example keys, which never protect anything."""
    return DEVELOPMENT_PLACEHOLDER_MARK in value.lower() or value in GUIDE_EXAMPLE_KEYS


def are_placeholder_checksums(checksums: Mapping[str, object]) -> bool:
    """The development defaults and the guide's examples: every value a placeholder, none a digest."""
    return bool(checksums) and all(
        isinstance(value, str) and (value in GUIDE_EXAMPLE_CHECKSUMS or value.startswith("dev-checksum-"))
        for value in checksums.values()
    )


def is_hex_digest(value: str) -> bool:
    """A SHA-256 sized hexadecimal string, in either case."""
    return _HEX_DIGEST.fullmatch(value) is not None


def control_variable(setting: str) -> str:
    """The environment variable that sets a control setting, for error messages."""
    return f"{ENVVAR_PREFIX}_{setting}"


def control_label(setting: str) -> str:
    """How messages name a control setting: as a setting and as the variable that sets it."""
    return f"{setting} ({control_variable(setting)})"


def prefix_message(problem: str) -> str:
    """The one message for a bad SSM prefix, whether the loader or a validator finds it."""
    return f"{control_label(SSM_PREFIX)} {problem}: {PREFIX_REMEDY}"


def control_value(obj: Any, setting: str) -> object:
    """The environment variable wins, so the guide's names work in any Dynaconf object."""
    variable = control_variable(setting)
    if variable in os.environ:
        return os.environ[variable]
    return obj.get(setting)


_ON: Final = frozenset({"true", "1", "yes"})
_OFF: Final = frozenset({"false", "0", "no"})


def parse_switch(value: object, setting: str, *, allow_auto: bool = False) -> bool | None:
    """true/1/yes or false/0/no (any case, or a TOML boolean); None when unset, or "auto" if allowed."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _ON:
        return True
    if text in _OFF:
        return False
    if allow_auto and text == "auto":
        return None
    choices = "true, false or auto" if allow_auto else "true or false"
    raise ConfigurationError(f"{control_variable(setting)} must be {choices} (1/0 and yes/no work too)")


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
            size: checksum.lower() if isinstance(checksum, str) and is_hex_digest(checksum) else checksum
            for size, checksum in value.items()
        }
    return value


def ssm_prefix_problem(value: Any) -> str | None:
    """SSM_PREFIX: an absolute SSM path of at most 15 levels in the characters SSM allows."""
    if not isinstance(value, str):
        return f"must be text, not {type(value).__name__}"
    if not value.startswith("/"):
        return "must start with '/'"
    levels = value.rstrip("/").split("/")[1:]
    if not levels:
        return "must name at least one level below '/'"
    if any(not level for level in levels):
        return "has an empty level ('//')"
    if any(_PREFIX_LEVEL.fullmatch(level) is None for level in levels):
        return "has characters SSM does not allow (letters, digits, '_', '.', '-' and '/' only)"
    if len(levels) > MAX_PREFIX_LEVELS:
        return f"has {len(levels)} levels; SSM allows at most {MAX_PREFIX_LEVELS}"
    return None
