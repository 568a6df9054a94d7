"""One settings object for a Python service: SSM Parameter Store when deployed, .env files on a laptop."""

from typing import TYPE_CHECKING, Any

from clarity_settings import dynaconf_internals  # noqa: F401 - checks dynaconf before any module reaches inside
from clarity_settings.contract.outbound import guard_package_logs
from clarity_settings.errors import (
    ClaritySettingsError,
    ConfigurationError,
    DynaconfVersionError,
    InvalidSettingError,
    ModelIntegrityError,
    ModelSetIntegrityError,
    SsmMappingError,
    SsmUnavailableError,
)
from clarity_settings.layers import dynaconf_options
from clarity_settings.secrets_manager import SecretsManager, get_secrets_manager, reset_secrets_manager
from clarity_settings.settings import create_settings
from clarity_settings.ssm.client import install_redaction

if TYPE_CHECKING:
    from clarity_settings.integrity import (
        VerifiedModel,
        expected_checksums,
        expected_checksums_json,
        sha256_file,
        sign_digest,
        signed_checksum,
        verify_model,
        verify_models,
    )

_INTEGRITY = frozenset(
    {
        "VerifiedModel",
        "expected_checksums",
        "expected_checksums_json",
        "sha256_file",
        "sign_digest",
        "signed_checksum",
        "verify_model",
        "verify_models",
    }
)


def __getattr__(name: str) -> Any:
    """The model-integrity API, imported on first use: a service that only reads settings never loads it."""
    if name in _INTEGRITY:
        from clarity_settings import integrity

        return getattr(integrity, name)
    raise AttributeError(f"module 'clarity_settings' has no attribute {name!r}")


install_redaction()
"""Every SSM client in the process, this package's or the application's, logs no parameter value."""

guard_package_logs()
"""No name or value from outside (a file name, a parameter) can forge or restyle a line of its logs."""

settings = create_settings()
"""Loaded on first attribute access; ``settings.reload()`` reads every layer again."""

__all__ = [
    "ClaritySettingsError",
    "ConfigurationError",
    "DynaconfVersionError",
    "InvalidSettingError",
    "ModelIntegrityError",
    "ModelSetIntegrityError",
    "SecretsManager",
    "SsmMappingError",
    "SsmUnavailableError",
    "VerifiedModel",
    "create_settings",
    "dynaconf_options",
    "expected_checksums",
    "expected_checksums_json",
    "get_secrets_manager",
    "reset_secrets_manager",
    "settings",
    "sha256_file",
    "sign_digest",
    "signed_checksum",
    "verify_model",
    "verify_models",
]
