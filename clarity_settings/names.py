"""The settings and variables this library knows by name, and how a switch variable reads."""

from typing import Final

from clarity_settings.errors import ConfigurationError

SIGNATURE_KEY: Final = "MODEL_SIGNATURE_KEY"
PREVIOUS_SIGNATURE_KEY: Final = "MODEL_SIGNATURE_KEY_PREVIOUS"
CHECKSUMS: Final = "EXPECTED_MODEL_CHECKSUMS"
SSM_PREFIX: Final = "SSM_PREFIX"
USE_SSM: Final = "USE_SSM"
CACHE_TTL: Final = "SECRETS_CACHE_TTL"
ALLOW_REDUCED_SECURITY: Final = "ALLOW_REDUCED_SECURITY"
SECRETS_DIR: Final = "SECRETS_DIR"
SSM_LABEL: Final = "SSM_LABEL"
MODEL_DIR: Final = "MODEL_DIR"
SNAPSHOT_PATH: Final = "SNAPSHOT_PATH"
SNAPSHOT_KMS_KEY_ID: Final = "SNAPSHOT_KMS_KEY_ID"
SNAPSHOT_KEY: Final = "SNAPSHOT_KEY"
SNAPSHOT_MAX_AGE: Final = "SNAPSHOT_MAX_AGE"
METRICS: Final = "METRICS"

ENVVAR_PREFIX: Final = "CLARITY"
VARIABLE_PREFIX: Final = f"{ENVVAR_PREFIX}_"
ENV_SWITCHER: Final = "ENV_FOR_DYNACONF"
FORCE_ENV: Final = "FORCE_ENV_FOR_DYNACONF"
DEVELOPMENT: Final = "development"

GUIDE_VARIABLES: Final = (SIGNATURE_KEY, PREVIOUS_SIGNATURE_KEY, CHECKSUMS)
"""Read from the environment without the CLARITY_ prefix, exactly as the guide names them."""

CONTROL_SETTINGS: Final = (
    USE_SSM,
    SSM_PREFIX,
    CACHE_TTL,
    ALLOW_REDUCED_SECURITY,
    SECRETS_DIR,
    SSM_LABEL,
    SNAPSHOT_PATH,
    SNAPSHOT_KMS_KEY_ID,
    SNAPSHOT_KEY,
    SNAPSHOT_MAX_AGE,
    METRICS,
)
"""This library's own switches: shown as they are, never handed on as app settings, never set from SSM."""
SECRET_CONTROL_SETTINGS: Final = frozenset({SNAPSHOT_KEY})
"""Control settings that are keys: shown redacted like any secret, never as they are."""

ENCRYPTED_ONLY: Final = frozenset({(SIGNATURE_KEY,), (PREVIOUS_SIGNATURE_KEY,)})
"""Settings only ever stored as SecureString: a signing key readable without kms:Decrypt is a leaked key."""

MODEL_SIZES: Final = ("small", "medium", "large")


def is_development(env: str) -> bool:
    """Only the development environment is lenient; every other one, custom names too, fails closed."""
    return env.lower() == DEVELOPMENT


def control_variable(setting: str) -> str:
    """The environment variable that sets a control setting, for error messages."""
    return f"{VARIABLE_PREFIX}{setting}"


def control_label(setting: str) -> str:
    """How messages name a control setting: as a setting and as the variable that sets it."""
    return f"{setting} ({control_variable(setting)})"


TRUE_WORDS: Final = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS: Final = frozenset({"false", "0", "no", "off"})
"""How a switch variable and a @bool value say yes and no, in any case."""


def parse_switch(value: object, setting: str, *, allow_auto: bool = False) -> bool | None:
    """true/1/yes or false/0/no (any case, or a TOML boolean); None when unset, or "auto" if allowed."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    if allow_auto and text == "auto":
        return None
    choices = "true, false or auto" if allow_auto else "true or false"
    raise ConfigurationError(
        f"{control_variable(setting)} must be {choices} (1/0, yes/no and on/off work too)"
    )
