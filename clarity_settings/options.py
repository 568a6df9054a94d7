"""How the layers are assembled: the Dynaconf options behind clarity_settings.settings."""

from __future__ import annotations

from typing import Any, Final

from clarity_settings import schema
from clarity_settings.freshness import ClaritySettings
from clarity_settings.validators import build_validators

LOADERS: Final = (
    "loaders.guide_env_loader",
    "dynaconf.loaders.env_loader",
    "loaders.ssm_loader",
    "loaders.defaults_loader",
    "loaders.json_settings_loader",
)
"""Run after the files: guide variables, CLARITY_* variables, SSM, defaults, then JSON decoding."""

SETTINGS_FILES: Final = ("settings.toml", ".secrets.toml")


def dynaconf_options(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments that make any Dynaconf object read settings as clarity_settings.settings does."""
    options: dict[str, Any] = {
        "envvar_prefix": schema.ENVVAR_PREFIX,
        "environments": True,
        "env_switcher": schema.ENV_SWITCHER,
        "env": schema.DEVELOPMENT,
        "settings_files": list(SETTINGS_FILES),
        "load_dotenv": True,
        "merge_enabled": False,
        "loaders": list(LOADERS),
        "validators": build_validators(),
    }
    options.update(overrides)
    return options


def create_settings(**overrides: Any) -> ClaritySettings:
    """A new, lazily loaded settings object whose SSM values stay fresh; ``settings`` is one of these."""
    return ClaritySettings(**dynaconf_options(**overrides))
