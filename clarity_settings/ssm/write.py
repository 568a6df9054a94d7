"""Publishing to Parameter Store: names under the prefix, plans of what would change, and writes.

The loader only ever reads; this module is what the command line uses to put and compare.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from clarity_settings.errors import ConfigurationError

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

PARAMETER_TYPES: Final = ("SecureString", "String", "StringList")


@dataclass(frozen=True)
class Change:
    """One line of a plan: a relative parameter name and what happens to it."""

    name: str
    action: str


def absolute_name(name: str, prefix: str) -> str:
    """A NAME from the command line: relative to the prefix unless it starts with '/'."""
    if not name or name.strip() != name:
        raise ConfigurationError("a parameter name must not be empty or have surrounding blanks")
    return name if name.startswith("/") else f"{prefix}/{name.lstrip('/')}"


def plan(current: Mapping[str, str], wanted: Mapping[str, str]) -> list[Change]:
    """What putting wanted would do: add, change or leave unchanged each name, sorted by name."""
    return [
        Change(name, "unchanged" if current.get(name) == value else "change" if name in current else "add")
        for name, value in sorted(wanted.items())
    ]


def delete(client: SSMClient, name: str) -> None:
    """Delete one parameter by its full name."""
    client.delete_parameter(Name=name)


def put(
    client: SSMClient, name: str, value: str, *, kind: str = "SecureString", overwrite: bool = False
) -> int:
    """Write one parameter and return its new version."""
    if kind not in PARAMETER_TYPES:
        raise ConfigurationError(f"the parameter type must be one of {', '.join(PARAMETER_TYPES)}")
    if not value:
        raise ConfigurationError(f"the value for {name} is empty; SSM stores no empty parameters")
    response = client.put_parameter(Name=name, Value=value, Type=kind, Overwrite=overwrite)  # type: ignore[arg-type]
    return int(response["Version"])
