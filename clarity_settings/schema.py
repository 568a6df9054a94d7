"""The settings this library knows by name: the guide's secrets, their environment names and shapes."""

import json
import re
from collections.abc import Mapping
from typing import Final

SIGNATURE_KEY: Final = "MODEL_SIGNATURE_KEY"
PREVIOUS_SIGNATURE_KEY: Final = "MODEL_SIGNATURE_KEY_PREVIOUS"
CHECKSUMS: Final = "EXPECTED_MODEL_CHECKSUMS"
SSM_PREFIX: Final = "SSM_PREFIX"
USE_SSM: Final = "USE_SSM"
CACHE_TTL: Final = "SECRETS_CACHE_TTL"

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


def is_development(env: str) -> bool:
    """Only the development environment is lenient; every other one, custom names too, fails closed."""
    return env.lower() == DEVELOPMENT


def is_placeholder_key(value: str) -> bool:
    """Recognise the development placeholders and the guide's example keys, which never protect anything."""
    return DEVELOPMENT_PLACEHOLDER_MARK in value.lower() or value in GUIDE_EXAMPLE_KEYS


def is_hex_digest(value: str) -> bool:
    """A SHA-256 sized hexadecimal string, in either case."""
    return _HEX_DIGEST.fullmatch(value) is not None


def control_variable(setting: str) -> str:
    """The environment variable that sets a control setting, for error messages."""
    return f"{ENVVAR_PREFIX}_{setting}"


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
