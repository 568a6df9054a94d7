"""Where a value comes from, last resort: the package's built-in defaults, for keys no other layer set.

It runs after every other loader and fills only what is still missing, which makes it the lowest
layer: a fresh clone with no settings.toml, no .env and no AWS still gets a working development
configuration, and any real value anywhere else wins.
"""

from __future__ import annotations

import copy
import functools
import tomllib
from pathlib import Path
from typing import Any, Final

from dynaconf.loaders.base import SourceMetadata

from clarity_settings import data_values, names, strictness
from clarity_settings.ssm import switch

IDENTIFIER: Final = "default"
DEFAULTS_FILE: Final = Path(names.__file__).with_name("defaults.toml")


@functools.cache
def _sections() -> dict[str, dict[str, Any]]:
    with DEFAULTS_FILE.open("rb") as handle:
        return {section.lower(): values for section, values in tomllib.load(handle).items()}


def package_defaults(env: str, *, reduced_security: bool = False) -> dict[str, Any]:
    """The built-in values for env: [default], then [<env>], then the environment's SSM prefix.

    With reduced security allowed, an environment other than development also falls back on the
    development placeholders, the guide's "hardcoded defaults as last resort".
    """
    sections = _sections()
    merged = dict(sections.get("default", {}))
    if reduced_security and not names.is_development(env):
        merged.update(sections.get(names.DEVELOPMENT, {}))
    merged.update(sections.get(env.lower(), {}))
    merged.setdefault(names.SSM_PREFIX.lower(), switch.default_prefix(env))
    return {name.upper(): copy.deepcopy(value) for name, value in merged.items()}


def load(
    obj: Any,
    env: str | None = None,
    silent: bool = True,  # noqa: ARG001 - a packaged file cannot be missing
    key: str | None = None,
    filename: str | None = None,  # noqa: ARG001 - part of dynaconf's loader contract
    validate: bool = False,
) -> None:
    """Set each built-in default that no higher layer provided (read from the store: no fresh reload)."""
    env_name = str(env or obj.current_env).lower()
    source = SourceMetadata(IDENTIFIER, "clarity_settings", env_name)
    defaults = package_defaults(env_name, reduced_security=strictness.reduced_security_allowed(obj))
    missing = [
        ((name,), value, source)
        for name, value in defaults.items()
        if key is None or name == key.upper()
        if name not in dict.keys(obj.store)
    ]
    data_values.set_layer(obj, missing, validate=validate)
