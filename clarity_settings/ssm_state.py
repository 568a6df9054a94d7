"""What one settings object knows about its SSM layer: explicit overrides, the client, and its health.

A settings object and every refreshed copy of it share one SsmContext (copying returns the same
object), so health and the once-per-outage warning survive refreshes.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

log = logging.getLogger("clarity_settings.ssm")

HEALTHY: Final = "healthy"
UNHEALTHY: Final = "unhealthy"
DISABLED: Final = "disabled"
UNKNOWN: Final = "unknown"

_ATTRIBUTE: Final = "_clarity_ssm"
_LOADED_AT: Final = "_clarity_ssm_loaded_at"


@dataclass
class SsmHealth:
    """The outcome of the latest SSM read, and whether the current outage has been reported yet."""

    status: str = UNKNOWN
    last_error_code: str | None = None
    last_error_at: float | None = None
    last_success_at: float | None = None

    def record_success(self, prefix: str) -> None:
        """Note a complete read; say once that SSM is back after an outage."""
        if self.status == UNHEALTHY:
            log.info("SSM parameters under %s are readable again", prefix)
        self.status = HEALTHY
        self.last_success_at = time.time()

    def record_failure(self, prefix: str, code: str) -> None:
        """Note a failed read; warn on the first failure of an outage only."""
        if self.status != UNHEALTHY:
            log.warning(
                "SSM parameters under %s could not be read (%s); keeping the values already loaded, "
                "or the environment, .env and settings files when none are",
                prefix,
                code,
            )
        self.status = UNHEALTHY
        self.last_error_code = code
        self.last_error_at = time.time()

    def record_rejection(self, code: str) -> None:
        """Note a refresh whose values were refused (the caller has already said why)."""
        self.status = UNHEALTHY
        self.last_error_code = code
        self.last_error_at = time.time()

    def record_disabled(self) -> None:
        """SSM is off: nothing to read, nothing to report."""
        self.status = DISABLED

    def __deepcopy__(self, memo: dict[int, Any]) -> SsmHealth:
        return self


@dataclass
class SsmContext:
    """Overrides given in code (they beat the environment), an injected client, and the shared health."""

    use_ssm: bool | None = None
    prefix: str | None = None
    region: str | None = None
    client: SSMClient | None = None
    health: SsmHealth = field(default_factory=SsmHealth)
    client_pid: int = field(default_factory=os.getpid)

    def injected_client(self) -> SSMClient | None:
        """The caller's client in the process that gave it; a forked child builds its own instead."""
        return self.client if self.client is not None and self.client_pid == os.getpid() else None

    def __deepcopy__(self, memo: dict[int, Any]) -> SsmContext:
        return self


def context_of(obj: Any) -> SsmContext:
    """The context a settings object carries, created on first use for plain Dynaconf objects."""
    context = obj.__dict__.get(_ATTRIBUTE)
    if context is None:
        context = SsmContext()
        attach(obj, context)
    return context  # type: ignore[no-any-return]


def attach(obj: Any, context: SsmContext) -> None:
    """Give a dynaconf Settings instance its context without making it a setting."""
    object.__setattr__(obj, _ATTRIBUTE, context)


def mark_loaded(obj: Any) -> None:
    """Remember when this settings instance last took values from SSM, for age_seconds."""
    object.__setattr__(obj, _LOADED_AT, time.time())


def loaded_at(obj: Any) -> float | None:
    """When this settings instance last took values from SSM, or None if it never did."""
    value = obj.__dict__.get(_LOADED_AT)
    return value if isinstance(value, float) else None
