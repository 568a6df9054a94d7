"""How the SSM layer is doing: the latest read's outcome and once-per-outage warnings.

A settings object and every refreshed copy of it share one SsmHealth (copying returns the same
object), so health and the once-per-outage warning survive refreshes.
"""

from __future__ import annotations

import enum
import logging
import time
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("clarity_settings.ssm")


class Status(enum.StrEnum):
    """The SSM layer's state as health_check() reports it."""

    UNKNOWN = "unknown"
    """Nothing was read yet."""
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    DISABLED = "disabled"


@dataclass
class SsmHealth:
    """The outcome of the latest SSM read, and whether the current outage has been reported yet."""

    status: Status = Status.UNKNOWN
    last_error_code: str | None = None
    last_error_at: float | None = None
    last_success_at: float | None = None
    reason: str = ""
    """Why SSM is read or not (what code said, the switch, or what auto-detection found)."""
    prefix: str | None = None
    region: str | None = None
    parameters: int | None = None
    """How many parameters the latest complete read found."""
    unencrypted: set[str] = field(default_factory=set)
    """Parameters already reported as holding a signing key unencrypted (each is said once)."""

    def record_reading(self, reason: str, prefix: str, region: str | None) -> None:
        """SSM is on, and about to be read: why, where and in which region."""
        self.reason, self.prefix, self.region = reason, prefix, region

    def record_success(self, prefix: str, parameters: int | None) -> None:
        """Note a complete read (of the whole prefix when parameters counts it); say once that SSM is back."""
        if self.status is Status.UNHEALTHY:
            log.info("SSM parameters under %s are readable again", prefix)
        self.status = Status.HEALTHY
        self.last_success_at = time.time()
        if parameters is not None:
            self.parameters = parameters

    def record_failure(self, prefix: str, code: str, *, development: bool) -> None:
        """Note a failed read; warn on the first failure of an outage only, naming what stands in.

        Only development reads .env, so only there does the warning name it.
        """
        if self.status is not Status.UNHEALTHY:
            log.warning(
                "SSM parameters under %s could not be read (%s); keeping the values already loaded, "
                "or %s when none are",
                prefix,
                code,
                "the environment, .env and settings files"
                if development
                else "the environment and settings files",
            )
        self.record_rejection(code)

    def record_rejection(self, code: str) -> None:
        """Note a refresh whose values were refused (the caller has already said why)."""
        self.status = Status.UNHEALTHY
        self.last_error_code = code
        self.last_error_at = time.time()

    def record_unencrypted(self, name: str, kind: str, setting: str) -> None:
        """A signing key read from a String or StringList: say so once per parameter, loudly."""
        if name not in self.unencrypted:
            self.unencrypted.add(name)
            log.warning(
                "SSM parameter %s holds %s as a %s: whoever may read parameters reads the key without "
                "kms:Decrypt; store it as a SecureString (clarity-settings ssm put)",
                name,
                setting,
                kind,
            )

    def record_disabled(self, reason: str) -> None:
        """SSM is off, and why: nothing to read, nothing to report."""
        self.status = Status.DISABLED
        self.reason = reason

    def describe(self) -> str:
        """What happened to SSM, in words for an error message: on or off and why, where, what was found."""
        if self.status is Status.DISABLED:
            return f"SSM was off ({self.reason})"
        if self.status is Status.UNKNOWN:
            return "SSM was not read"
        where = f"{self.prefix} in {self.region or 'no region'}"
        if self.status is Status.UNHEALTHY:
            return f"SSM was on ({self.reason}) but {where} could not be read ({self.last_error_code})"
        return f"SSM was on ({self.reason}) and {where} held {self.parameters} parameter(s)"

    @property
    def reported_status(self) -> Status:
        """What health_check() says: an object that never read SSM reports it disabled."""
        return Status.DISABLED if self.status is Status.UNKNOWN else self.status

    def __deepcopy__(self, memo: dict[int, Any]) -> SsmHealth:
        """A refresh clones the settings: the clone must report into the same health, not a copy."""
        return self
