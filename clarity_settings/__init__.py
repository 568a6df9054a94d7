"""One settings object for a Python service: SSM Parameter Store when deployed, .env files on a laptop."""

from clarity_settings.errors import (
    ClaritySettingsError,
    ConfigurationError,
    InvalidSettingError,
    SsmMappingError,
    SsmUnavailableError,
)
from clarity_settings.options import create_settings, dynaconf_options
from clarity_settings.secrets_manager import SecretsManager, get_secrets_manager, reset_secrets_manager

settings = create_settings()
"""Loaded on first attribute access; ``settings.reload()`` reads every layer again."""

__all__ = [
    "ClaritySettingsError",
    "ConfigurationError",
    "InvalidSettingError",
    "SecretsManager",
    "SsmMappingError",
    "SsmUnavailableError",
    "create_settings",
    "dynaconf_options",
    "get_secrets_manager",
    "reset_secrets_manager",
    "settings",
]
