"""Reading a prefix: one paginator, one Parameter type, and how a parameter becomes a setting.

``<prefix>/database/db-password`` is ``settings.DATABASE.DB_PASSWORD``: names are case-insensitive,
``-`` and ``.`` read as ``_``, ``/`` and ``__`` nest (as data_values.setting_levels maps them). Values
are data (data_values.parse). The whole prefix costs ceil(N/10) GetParametersByPath requests; one
setting read fresh costs only its own parameters (fetch_setting).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from dynaconf.loaders.base import SourceMetadata

from clarity_settings import data_values
from clarity_settings.contract import inbound
from clarity_settings.errors import SsmMappingError
from clarity_settings.ssm.client import aws_errors, error_code

if TYPE_CHECKING:
    from datetime import datetime

    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_ssm.type_defs import ParameterTypeDef

PAGE_SIZE: Final = 10
SOURCE: Final = "ssm"
"""The loader id SSM values are recorded under (dynaconf's loaded_by_loaders)."""


@dataclass(frozen=True)
class Parameter:
    """One parameter as GetParametersByPath returned it; value is None when read without decryption."""

    name: str
    type: str
    value: str | None
    version: int
    last_modified: datetime | None = None


@dataclass(frozen=True)
class Entry:
    """A parameter placed in the settings tree."""

    path: tuple[str, ...]
    parameter: Parameter

    @property
    def key(self) -> str:
        """The dotted key dynaconf sets, e.g. DATABASE.PASSWORD."""
        return ".".join(self.path)


def fetch(
    client: SSMClient, prefix: str, *, decrypt: bool = True, label: str | None = None
) -> list[Parameter]:
    """Every parameter under prefix (with label, the versions carrying it), all pages or an exception."""
    filters = [{"Key": "Label", "Option": "Equals", "Values": [label]}] if label else []
    pages = client.get_paginator("get_parameters_by_path").paginate(
        Path=prefix,
        Recursive=True,
        WithDecryption=decrypt,
        ParameterFilters=filters,  # type: ignore[arg-type]
        PaginationConfig={"PageSize": PAGE_SIZE},
    )
    return [_parameter(item, decrypt=decrypt) for page in pages for item in page["Parameters"]]


def fetch_named(client: SSMClient, names: list[str], *, label: str | None = None) -> list[Parameter]:
    """The named parameters that exist (with label, the version carrying it), decrypted: ten a request."""
    selected = [f"{name}:{label}" if label else name for name in names]
    found: list[Parameter] = []
    for start in range(0, len(selected), PAGE_SIZE):
        answer = client.get_parameters(Names=selected[start : start + PAGE_SIZE], WithDecryption=True)
        found += [_parameter(item, decrypt=True) for item in answer["Parameters"]]
    return found


def fetch_setting(
    client: SSMClient, prefix: str, setting: str, known: Iterable[str], *, label: str | None = None
) -> list[Parameter]:
    """The parameters of one top-level setting: its own names by GetParameters, its subtrees by path.

    known are the parameters the setting was last read from, so every spelling the mapping allows
    is read again; with none, the setting's plain spelling (<prefix>/database) as a name and a path.
    """
    relatives = {relative_name(name, prefix) for name in known if name.startswith(f"{prefix}/")}
    if not relatives:
        relatives = {setting.lower(), f"{setting.lower()}/"}
    names = sorted(f"{prefix}/{relative}" for relative in relatives if "/" not in relative)
    roots = sorted({relative.split("/")[0] for relative in relatives if "/" in relative})
    return fetch_named(client, names, label=label) + [
        found for root in roots for found in fetch(client, f"{prefix}/{root}", label=label)
    ]


def _parameter(item: ParameterTypeDef, *, decrypt: bool) -> Parameter:
    return Parameter(
        name=item["Name"],
        type=item["Type"],
        value=item["Value"] if decrypt else None,
        version=item["Version"],
        last_modified=item.get("LastModifiedDate"),
    )


def one(client: SSMClient, name: str) -> Parameter:
    """One parameter by its full name, decrypted (the command line's `ssm get`)."""
    found = client.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    return Parameter(name=found["Name"], type=found["Type"], value=found["Value"], version=found["Version"])


def probe(client: SSMClient, prefix: str) -> str:
    """ "ok", or the error code of one undecrypted read of at most one parameter: it shows no value."""
    try:
        client.get_parameters_by_path(Path=prefix, Recursive=True, WithDecryption=False, MaxResults=1)
    except aws_errors() as error:
        return error_code(error)
    return "ok"


def parameter_for(prefix: str, setting: str) -> str:
    """The parameter a setting is read from (setting_path's inverse): <prefix>/model_signature_key."""
    return f"{prefix}/{setting.lower().replace('.', '/')}"


def relative_name(name: str, prefix: str) -> str:
    """The part of a full parameter name below the prefix."""
    return name[len(prefix) :].lstrip("/")


def setting_path(prefix: str, name: str) -> tuple[str, ...]:
    """The setting a parameter name maps to, as levels: <prefix>/database/password is (DATABASE, PASSWORD)."""
    return data_values.setting_levels(relative_name(name, prefix))


def text_of(prefix: str, parameter: Parameter, env: str = "global") -> inbound.Text:
    """A parameter as the contract reads every source: its name below the prefix and its text."""
    return inbound.Text(
        relative_name(parameter.name, prefix),
        parameter.value or "",
        f"SSM parameter {parameter.name}",
        SourceMetadata(SOURCE, f"{parameter.name}:{parameter.version}", env),
        scope=prefix,
        items=parameter.type == "StringList",
    )


def map_parameters(prefix: str, parameters: Iterable[Parameter]) -> list[Entry]:
    """Place each parameter by the contract's name rules: reserved names, two claiming one key, nesting."""
    ordered = sorted(parameters, key=lambda item: item.name)
    placed = inbound.place([text_of(prefix, parameter) for parameter in ordered], error=SsmMappingError)
    return [Entry(item.levels, parameter) for item, parameter in zip(placed, ordered, strict=True)]


def value_of(parameter: Parameter) -> object:
    """The typing tokens parsed once, every other text kept as it is; a StringList is a list of such items."""
    return inbound.value_of(text_of("", parameter), error=SsmMappingError)
