"""What never protects anything (development placeholders, the guide's examples); what a digest looks like."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

DEVELOPMENT_PLACEHOLDER_MARK: Final = "insecure-development"
GUIDE_EXAMPLE_KEYS: Final = frozenset(
    {"dev-test-key-only", "dev-key", "fallback-key", "your-secure-hmac-key-here"}
)
GUIDE_EXAMPLE_CHECKSUMS: Final = frozenset({"dev", "fallback-checksum"})
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


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
