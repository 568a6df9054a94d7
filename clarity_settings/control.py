"""The control variables that decide whether SSM is read and where, resolved without touching the network."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from clarity_settings import local_files, provenance, schema
from clarity_settings.errors import ConfigurationError

log = logging.getLogger("clarity_settings")

DEFAULT_REGION: Final = "us-east-1"
_CODE: Final = "set_method"
"""dynaconf's loader name for options given in code (and its first read of the environment)."""

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


def parse_use_ssm(value: object) -> bool | None:
    """True or False when SSM is forced on or off, None for auto-detection."""
    return schema.parse_switch(value, schema.USE_SSM, allow_auto=True)


def reduced_security_allowed(obj: Any) -> bool:
    """Only the process may weaken itself: the real CLARITY_ALLOW_REDUCED_SECURITY, else a keyword in code.

    A .env or settings file saying true is ignored (with a warning): whoever can drop a file beside
    the service must not be able to run production on the placeholders.
    """
    variable = schema.control_variable(schema.ALLOW_REDUCED_SECURITY)
    real = local_files.real_variable(variable)
    if real is not None:
        return schema.parse_switch(real, schema.ALLOW_REDUCED_SECURITY) is True
    source = provenance.last_source(obj, schema.ALLOW_REDUCED_SECURITY)
    asked = schema.parse_switch(obj.get(schema.ALLOW_REDUCED_SECURITY), schema.ALLOW_REDUCED_SECURITY) is True
    if asked and source is not None and source.loader != _CODE:
        log.warning(
            "%s from %s is ignored: only the real environment variable %s or code can allow reduced security",
            schema.ALLOW_REDUCED_SECURITY,
            provenance.describe(obj, schema.ALLOW_REDUCED_SECURITY),
            variable,
        )
        return False
    return asked


def ssm_enabled(obj: Any, *, forced: bool | None = None) -> bool:
    """Whether the SSM layer is read: forced in code, else CLARITY_USE_SSM, else auto-detection."""
    if forced is None:
        forced = parse_use_ssm(schema.control_value(obj, schema.USE_SSM))
    if forced is not None:
        return forced
    return running_on_aws(os.environ) or has_local_credentials(os.environ)


def running_on_aws(environ: Mapping[str, str]) -> bool:
    """AWS compute announces itself through environment variables; no metadata call is needed."""
    return any(environ.get(marker) for marker in AWS_COMPUTE_MARKERS)


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


def resolve_prefix(obj: Any, env: str) -> str:
    """CLARITY_SSM_PREFIX, else the settings' ssm_prefix, else /clarity/<env>; checked and normalised."""
    value = schema.control_value(obj, schema.SSM_PREFIX)
    if value is None:
        return default_prefix(env)
    problem = schema.ssm_prefix_problem(value)
    if problem is not None:
        raise ConfigurationError(schema.prefix_message(problem))
    return str(value).rstrip("/")
