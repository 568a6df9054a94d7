"""Publishing to Parameter Store: names under the prefix, plans of what would change, and writes.

The loader only ever reads; this module is what the command line uses to put, list and compare.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from clarity_settings.errors import ConfigurationError

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

PARAMETER_TYPES: Final = ("SecureString", "String", "StringList")


@dataclass(frozen=True)
class StoredParameter:
    """A parameter as SSM holds it; value is None when it was listed without decryption."""

    name: str
    type: str
    version: int
    last_modified: datetime | None
    value: str | None


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


def relative_name(name: str, prefix: str) -> str:
    """The part of a full parameter name below the prefix."""
    return name[len(prefix) :].lstrip("/")


def read_all(client: SSMClient, prefix: str, *, decrypt: bool) -> dict[str, StoredParameter]:
    """Every parameter under prefix by relative name; values only when decrypt is true."""
    pages = client.get_paginator("get_parameters_by_path").paginate(
        Path=prefix, Recursive=True, WithDecryption=decrypt, PaginationConfig={"PageSize": 10}
    )
    return {
        relative_name(item["Name"], prefix): StoredParameter(
            name=item["Name"],
            type=item["Type"],
            version=item["Version"],
            last_modified=item.get("LastModifiedDate"),
            value=item["Value"] if decrypt else None,
        )
        for page in pages
        for item in page["Parameters"]
    }


def read_values(client: SSMClient, prefix: str) -> dict[str, str]:
    """Every parameter's decrypted text under prefix, by relative name."""
    return {name: stored.value or "" for name, stored in read_all(client, prefix, decrypt=True).items()}


def plan(current: Mapping[str, str], wanted: Mapping[str, str]) -> list[Change]:
    """What putting wanted would do: add, change or leave unchanged each name, sorted by name."""
    return [
        Change(name, "unchanged" if current.get(name) == value else "change" if name in current else "add")
        for name, value in sorted(wanted.items())
    ]


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
