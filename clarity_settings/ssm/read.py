"""Reading a prefix: one paginator, one Parameter type, and how a parameter becomes a setting.

``<prefix>/database/db-password`` is ``settings.DATABASE.DB_PASSWORD``: names are case-insensitive,
``-`` and ``.`` read as ``_``, ``/`` and ``__`` nest (as data_values.setting_levels maps them). Values
are data (data_values.parse). The whole prefix costs ceil(N/10) GetParametersByPath requests; one
setting read fresh costs only its own parameters (fetch_setting).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

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
COLD_LOAD_PATIENCE_SECONDS: Final = 60.0
"""How long a cold load waits for its next page through throttling before it fails (closed, outside
development)."""
FIRST_PAUSE_SECONDS: Final = 0.1
MAX_PAUSE_SECONDS: Final = 5.0
RETRIED_CODES: Final = frozenset({"ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"})
"""SSM's answers for "over the request rate": botocore already retries server errors on its own."""
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
    client: SSMClient,
    prefix: str,
    *,
    decrypt: bool = True,
    label: str | None = None,
    patience: Patience | None = None,
) -> list[Parameter]:
    """Every parameter under prefix (with label, the versions carrying it), all pages or an exception.

    With patience, a page that SSM throttles is asked for again after a jittered backoff, resuming
    where the read stopped, until patience runs out; without it, the first failure is the answer.
    """
    request: dict[str, Any] = {
        "Path": prefix,
        "Recursive": True,
        "WithDecryption": decrypt,
        "MaxResults": PAGE_SIZE,
        "ParameterFilters": [{"Key": "Label", "Option": "Equals", "Values": [label]}] if label else [],
    }
    found: list[Parameter] = []
    while True:
        page = _page(client, request, patience)
        if patience is not None:
            patience.progressed()
        found += [_parameter(item, decrypt=decrypt) for item in page["Parameters"]]
        if not page.get("NextToken"):
            return found
        request["NextToken"] = page["NextToken"]


def _page(client: SSMClient, request: dict[str, Any], patience: Patience | None) -> Any:
    """One page; a throttled or failed-on-the-server one again while patience allows."""
    attempt = 0
    while True:
        try:
            return client.get_parameters_by_path(**request)
        except aws_errors() as error:
            attempt += 1
            pause = None if patience is None else patience.pause(error_code(error), attempt)
            if pause is None:
                raise
            time.sleep(pause)


@dataclass
class Patience:
    """How long a cold load rides out throttling: full-jitter exponential backoff while pages still come.

    AWS's advice for a throttled request is to wait a random time up to a doubling cap and ask again;
    a fleet restarting against the account's 40 requests a second then spreads out instead of failing
    closed. The load gives up once seconds pass without a page coming through (the whole load is
    bounded by the first load's deadline). Only throttling is waited out: a denied request or a dead
    endpoint fails at once.
    """

    seconds: float = COLD_LOAD_PATIENCE_SECONDS
    rng: random.Random = field(default_factory=random.Random)
    last_progress: float = field(default_factory=time.monotonic)

    def progressed(self) -> None:
        """A page came through: the wait for the next one starts now."""
        self.last_progress = time.monotonic()

    def pause(self, code: str, attempt: int) -> float | None:
        """Seconds to wait before asking again, or None: not worth waiting for, or no time left."""
        if code not in RETRIED_CODES:
            return None
        cap = min(MAX_PAUSE_SECONDS, FIRST_PAUSE_SECONDS * 2.0 ** (attempt - 1))
        pause = self.rng.uniform(0, cap)
        left = self.last_progress + self.seconds - time.monotonic()
        return pause if pause < left else None


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
