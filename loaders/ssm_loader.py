"""Where a value comes from, SSM part: a dynaconf loader that reads one prefix of Parameter Store.

Add ``"loaders.ssm_loader"`` to ``LOADERS_FOR_DYNACONF`` (after the environment loader) and every
parameter under the prefix becomes a setting: ``<prefix>/database/password`` is
``settings.DATABASE.PASSWORD``. The whole prefix costs ceil(N/10) GetParametersByPath requests.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from dynaconf.loaders.base import SourceMetadata

from clarity_settings import control, data_values, log_redaction, ssm_state
from clarity_settings.errors import ConfigurationError, SsmMappingError, SsmUnavailableError

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

IDENTIFIER: Final = "ssm"
PAGE_SIZE: Final = 10
CONNECT_TIMEOUT_SECONDS: Final = 3.0
READ_TIMEOUT_SECONDS: Final = 10.0


@dataclass(frozen=True)
class Parameter:
    """One parameter as GetParametersByPath returned it."""

    name: str
    type: str
    value: str
    version: int


@dataclass(frozen=True)
class Entry:
    """A parameter placed in the settings tree."""

    path: tuple[str, ...]
    parameter: Parameter

    @property
    def key(self) -> str:
        """The dotted key dynaconf sets, e.g. DATABASE.PASSWORD."""
        return ".".join(self.path)


def load(
    obj: Any,
    env: str | None = None,
    silent: bool = True,
    key: str | None = None,
    filename: str | None = None,  # noqa: ARG001 - part of dynaconf's loader contract; SSM has no files
    validate: bool = False,
) -> None:
    """Read the active prefix into obj; on an SSM failure warn once per outage and leave obj as it is."""
    context = ssm_state.context_of(obj)
    if not control.ssm_enabled(obj, forced=context.use_ssm):
        context.health.record_disabled()
        return
    env_name = str(env or obj.current_env).lower()
    prefix = context.prefix or control.resolve_prefix(obj, env_name)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        parameters = fetch_parameters(context.injected_client() or ssm_client(context.region), prefix)
    except (BotoCoreError, ClientError) as error:
        code = error_code(error)
        context.health.record_failure(prefix, code)
        if not silent:
            raise SsmUnavailableError(f"SSM parameters under {prefix} could not be read ({code})") from None
        return
    context.health.record_success(prefix)
    wanted = key.upper() if key else None
    for entry in map_parameters(prefix, parameters):
        if wanted is None or entry.path[0] == wanted:
            _set(obj, entry, env_name, validate)
    ssm_state.mark_loaded(obj)


def _set(obj: Any, entry: Entry, env_name: str, validate: bool) -> None:
    parameter = entry.parameter
    source = SourceMetadata(IDENTIFIER, f"{parameter.name}:{parameter.version}", env_name)
    try:
        data_values.set_data(obj, entry.path, value_of(parameter), source=source, validate=validate)
    except ConfigurationError:
        raise
    except (TypeError, ValueError, AttributeError) as error:
        raise ConfigurationError(
            f"SSM parameter {parameter.name} could not become the setting {entry.key} "
            f"({type(error).__name__}); check the settings' shape at that key"
        ) from None


def fetch_parameters(client: SSMClient, prefix: str) -> list[Parameter]:
    """Every parameter under prefix, decrypted, all pages or an exception: never part of the set."""
    paginator = client.get_paginator("get_parameters_by_path")
    pages = paginator.paginate(
        Path=prefix,
        Recursive=True,
        WithDecryption=True,
        PaginationConfig={"PageSize": PAGE_SIZE},
    )
    return [
        Parameter(name=item["Name"], type=item["Type"], value=item["Value"], version=item["Version"])
        for page in pages
        for item in page["Parameters"]
    ]


def setting_path(prefix: str, name: str) -> tuple[str, ...]:
    """<prefix>/database/db-password is ("DATABASE", "DB_PASSWORD"), as data_values.setting_levels maps."""
    return data_values.setting_levels(name[len(prefix) :])


def map_parameters(prefix: str, parameters: Iterable[Parameter]) -> list[Entry]:
    """Place each parameter; refuse reserved names, two claiming one key, or a value another nests under."""
    claimed: dict[tuple[str, ...], Parameter] = {}
    for parameter in sorted(parameters, key=lambda item: item.name):
        path = setting_path(prefix, parameter.name)
        problem = data_values.name_problem(path)
        if problem is not None:
            raise SsmMappingError(f"SSM parameter {parameter.name} {problem}; rename or delete it")
        if path in claimed:
            raise SsmMappingError(
                f"SSM parameters {claimed[path].name} and {parameter.name} both map to the setting "
                f"{'.'.join(path)}; rename or delete one of them"
            )
        claimed[path] = parameter
    for path, parameter in claimed.items():
        for depth in range(1, len(path)):
            parent = claimed.get(path[:depth])
            if parent is not None:
                raise SsmMappingError(
                    f"SSM parameter {parent.name} holds a value for {'.'.join(path[:depth])}, but "
                    f"{parameter.name} nests a setting beneath it; rename or delete one of them"
                )
    return [Entry(path, parameter) for path, parameter in claimed.items()]


def value_of(parameter: Parameter) -> object:
    """The typing tokens parsed once, every other text kept as it is; a StringList is a list of such items."""
    label = f"SSM parameter {parameter.name}"
    if parameter.type != "StringList":
        return data_values.parse(parameter.value, label=label)
    items = [data_values.parse(item, label=label) for item in parameter.value.split(",")]
    data_values.refuse_merge_markers(items, label)
    return items


def ssm_client(region: str | None = None) -> SSMClient:
    """One client per process, region and AWS configuration: a fork or a changed endpoint gets a new one."""
    log_redaction.install()
    aws_environment = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))
    return _client(os.getpid(), region, aws_environment)


@functools.lru_cache(maxsize=4)
def _client(
    pid: int,  # noqa: ARG001 - part of the cache key
    region: str | None,
    aws_environment: tuple[tuple[str, str], ...],  # noqa: ARG001 - part of the cache key
) -> SSMClient:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session()
    config = Config(connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS)
    region_name = region or session.region_name or control.DEFAULT_REGION
    return session.client("ssm", region_name=region_name, config=config)


def error_code(error: Exception) -> str:
    """AWS's error code (AccessDeniedException, ThrottlingException) or the botocore failure's class name."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(error).__name__
