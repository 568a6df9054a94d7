"""Whether SSM is read and where: what code said, the control variables, auto-detection, and THE prefix.

Nothing here touches the network. The prefix is resolved in one place (prefix_of) for the loader,
the validators' messages, health reports and the command line, so they never disagree; several
prefixes may be read (prefixes_of), the last winning and taking what is published.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from clarity_settings import data_values, local_files, names
from clarity_settings.errors import ConfigurationError
from clarity_settings.ssm import client
from clarity_settings.ssm.health import SsmHealth

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

AWS_COMPUTE_MARKERS: Final = (
    "AWS_EXECUTION_ENV",
    "ECS_CONTAINER_METADATA_URI",
    "ECS_CONTAINER_METADATA_URI_V4",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)
"""Set by AWS on its compute (ECS, Lambda, App Runner, EKS with IRSA): their presence means "deployed"."""

_CREDENTIAL_VARIABLES: Final = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AWS_CREDENTIAL_FILE",
    "BOTO_CONFIG",
)
_CREDENTIAL_FILES: Final = ("~/.aws/credentials", "~/.aws/config", "~/.boto", "/etc/boto.cfg")
_NETWORK_PROVIDERS: Final = ("iam-role", "container-role")

_PREFIX_LEVEL = re.compile(r"[A-Za-z0-9_.\-]+")
MAX_PREFIX_LEVELS: Final = 15
PREFIX_REMEDY: Final = "use a path such as /clarity/production"
_ATTRIBUTE: Final = "_clarity_ssm"


@dataclass
class SsmContext:
    """What code said about SSM (these beat the environment), a handed client, and the shared health."""

    use_ssm: bool | None = None
    prefix: str | None = None
    region: str | None = None
    client: SSMClient | None = None
    health: SsmHealth = field(default_factory=SsmHealth)
    client_pid: int = field(default_factory=os.getpid)

    def __post_init__(self) -> None:
        if self.prefix is not None:
            self.prefix = ",".join(checked_prefixes(self.prefix, "ssm_prefix"))

    def reading_client(self) -> SSMClient:
        """The caller's client in the process that gave it; otherwise (a forked child too) the shared one."""
        if self.client is not None and self.client_pid == os.getpid():
            return self.client
        return client.ssm_client(self.region)

    def __deepcopy__(self, memo: dict[int, Any]) -> SsmContext:
        """A refresh clones the settings: the clone keeps the same overrides, client and health."""
        return self


def context_of(obj: Any) -> SsmContext:
    """The context a settings instance carries, created on first use for plain Dynaconf objects."""
    context = obj.__dict__.get(_ATTRIBUTE)
    if context is None:
        context = SsmContext()
        attach(obj, context)
    return context  # type: ignore[no-any-return]


def attach(obj: Any, context: SsmContext) -> None:
    """Give a dynaconf Settings instance its context without making it a setting."""
    object.__setattr__(obj, _ATTRIBUTE, context)


def control_value(obj: Any, setting: str) -> object:
    """The real environment variable wins (the guide's names work in any Dynaconf object), else the setting.

    A value a .env put into os.environ is read through the setting instead, where a real variable
    in any spelling beats it.
    """
    real = local_files.real_variable(names.control_variable(setting))
    return real if real is not None else data_values.stored(obj, setting)


def ssm_enabled(obj: Any) -> bool:
    """Whether the SSM layer is read: forced in code, else CLARITY_USE_SSM, else auto-detection."""
    return ssm_decision(obj)[0]


def ssm_decision(obj: Any) -> tuple[bool, str]:
    """Whether the SSM layer is read, and why in words: what code said, the switch, or auto-detection."""
    forced = context_of(obj).use_ssm
    if forced is not None:
        return forced, f"use_ssm={forced} given in code"
    value = control_value(obj, names.USE_SSM)
    switch = names.parse_switch(value, names.USE_SSM, allow_auto=True)
    if switch is not None:
        return switch, f"{names.control_label(names.USE_SSM)} is {str(value).lower()}"
    how = (
        f"{names.control_variable(names.USE_SSM)} is not set"
        if value is None
        else f"{names.control_label(names.USE_SSM)} is auto"
    )
    others = tuple(
        os.environ.get(name, "") for name in (*AWS_COMPUTE_MARKERS, *_CREDENTIAL_VARIABLES, "HOME")
    )
    found, finding = detected(os.getpid(), (*client.aws_environment(), ("others", repr(others))))
    return found, f"{how} and auto-detection found {finding}"


@functools.lru_cache(maxsize=4)
def detected(pid: int, aws_environment: tuple[tuple[str, str], ...]) -> tuple[bool, str]:  # noqa: ARG001 - cache keys
    """Auto-detection and what it found, decided once per process (a fork decides again) and environment.

    Asking botocore's credential chain builds a session, which costs milliseconds; every load and
    refresh would pay that again for the same answer.
    """
    marker = next((name for name in AWS_COMPUTE_MARKERS if os.environ.get(name)), None)
    if marker is not None:
        return True, f"AWS compute ({marker})"
    if has_local_credentials(os.environ):
        return True, "AWS credentials"
    return False, "neither AWS credentials nor AWS compute"


def has_local_credentials(environ: Mapping[str, str]) -> bool:
    """Ask botocore's credential chain, minus its network providers, only when a local source could exist."""
    if not _may_have_local_credentials(environ):
        return False
    import botocore.exceptions
    import botocore.session

    resolver = botocore.session.get_session().get_component("credential_provider")
    for method in _NETWORK_PROVIDERS:
        resolver.remove(method)
    try:
        return resolver.load_credentials() is not None
    except botocore.exceptions.BotoCoreError:
        return False


def _may_have_local_credentials(environ: Mapping[str, str]) -> bool:
    if any(environ.get(variable) for variable in _CREDENTIAL_VARIABLES):
        return True
    return any(Path(name).expanduser().exists() for name in _CREDENTIAL_FILES)


def default_prefix(env: str) -> str:
    """Each environment reads its own branch of the parameter tree unless told otherwise."""
    return f"/clarity/{env.lower()}"


def prefix_of(obj: Any, env: str | None = None) -> str:
    """THE prefix: the last of prefixes_of, which wins over the others and is where publishing writes."""
    return prefixes_of(obj, env)[-1]


def prefixes_of(obj: Any, env: str | None = None) -> list[str]:
    """The prefixes read, lowest precedence first: given in code, else CLARITY_SSM_PREFIX, else the
    settings' ssm_prefix, else /clarity/<env>.

    A comma-separated list (or a TOML list) reads several, ``/clarity/shared,/clarity/production/api``,
    the later winning key by key. Each is checked and without a trailing '/'.
    """
    given = context_of(obj).prefix
    if given is not None:
        return given.split(",")
    value = control_value(obj, names.SSM_PREFIX)
    if value is None:
        return [default_prefix(str(env or obj.current_env))]
    return checked_prefixes(value, names.control_label(names.SSM_PREFIX))


_LABEL = re.compile(r"[A-Za-z_.\-][A-Za-z0-9_.\-]{0,99}")


def label_of(obj: Any) -> str | None:
    """CLARITY_SSM_LABEL (or ssm_label): read only the versions carrying it; None reads the latest."""
    value = control_value(obj, names.SSM_LABEL)
    if value is None or value == "":
        return None
    return checked_label(value, names.control_label(names.SSM_LABEL))


def checked_label(value: object, label: str) -> str:
    """A parameter label as SSM allows it, or a ConfigurationError naming label and the rule."""
    text = str(value)
    if _LABEL.fullmatch(text) is None or text.lower().startswith(("aws", "ssm")):
        raise ConfigurationError(
            f"{label} must be an SSM parameter label: up to 100 letters, digits, '.', '-' or '_', not "
            "starting with a digit, 'aws' or 'ssm'"
        )
    return text


def checked_prefixes(value: object, label: str) -> list[str]:
    """A prefix, a comma-separated list of them or a list, each checked; a ConfigurationError names label."""
    items = list(value) if isinstance(value, list | tuple) else str(value).split(",")
    if not items:
        raise ConfigurationError(f"{label} must name at least one prefix: {PREFIX_REMEDY}")
    return [checked_prefix(item.strip() if isinstance(item, str) else item, label) for item in items]


def checked_prefix(value: object, label: str) -> str:
    """value as a prefix without its trailing '/', or a ConfigurationError naming label and the rule."""
    problem = prefix_problem(value)
    if problem is not None:
        raise ConfigurationError(f"{label} {problem}: {PREFIX_REMEDY}")
    return str(value).rstrip("/")


def prefixes_problem(value: object) -> str | None:
    """prefix_problem for a prefix, a comma-separated list of them, or a list."""
    items = list(value) if isinstance(value, list | tuple) else str(value).split(",")
    if not isinstance(value, str | list | tuple):
        return prefix_problem(value)
    return next((problem for item in items if (problem := prefix_problem(_stripped(item)))), None)


def _stripped(item: object) -> object:
    return item.strip() if isinstance(item, str) else item


def prefix_problem(value: object) -> str | None:
    """An absolute SSM path of at most 15 levels in the characters SSM allows, or why not."""
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
