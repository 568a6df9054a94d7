"""How the layers are assembled: the Dynaconf options behind clarity_settings.settings."""

from __future__ import annotations

from typing import Any, Final

from clarity_settings import local_files, schema
from clarity_settings.freshness import ClaritySettings
from clarity_settings.validators import build_validators

LOADERS: Final = (
    "loaders.env_loader",
    "loaders.ssm_loader",
    "loaders.defaults_loader",
    "loaders.json_settings_loader",
    "loaders.environment_guard",
)
"""Run after the files: variables, SSM, defaults, JSON decoding, then the check that the environment held."""

SETTINGS_FILES: Final = local_files.SETTINGS_FILES


def _options(overrides: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {
        "envvar_prefix": schema.ENVVAR_PREFIX,
        "environments": True,
        "env_switcher": schema.ENV_SWITCHER,
        "env": schema.DEVELOPMENT,
        "settings_files": list(SETTINGS_FILES),
        "merge_enabled": False,
        "loaders": list(LOADERS),
        "validators": build_validators(),
    }
    options.update(overrides)
    return options


def dynaconf_options(*, search_parent_directories: bool = False, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments that make any Dynaconf object (Flask, Django) read settings as ``settings`` does.

    Relative settings files are resolved against root_path or the working directory now, and .env
    is read now, because dynaconf's own search climbs parent directories.
    """
    options = _options(overrides)
    files, _, _ = local_files.prepare(
        options.pop("settings_file", None) or options.pop("settings_files"),
        None,
        root_path=options.get("root_path"),
        dotenv=options.get("dotenv_path"),
        load_dotenv=bool(options.pop("load_dotenv", True)),
        search_parents=search_parent_directories,
    )
    return {**options, "settings_files": files, "load_dotenv": False}


def create_settings(**overrides: Any) -> ClaritySettings:
    """A new, lazily loaded settings object whose SSM values stay fresh; ``settings`` is one of these."""
    return ClaritySettings(**_options(overrides))
