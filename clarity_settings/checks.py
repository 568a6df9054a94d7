"""`check`: the validators and the health of a settings object, as lines and an exit code.

Shared by `clarity-settings check` and the Django example's `check_secrets` command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from clarity_settings.secrets_manager import SecretsManager

EXIT_HEALTHY: Final = 0
EXIT_INVALID: Final = 1
EXIT_SSM: Final = 2


@dataclass(frozen=True)
class CheckReport:
    """Every failing rule, and the health report (with a live SSM probe when SSM is on)."""

    problems: list[str]
    health: dict[str, Any]

    @property
    def degraded(self) -> bool:
        """SSM is on but unreachable, failing, or refusing the probe."""
        return bool(self.health["use_ssm"]) and (
            self.health["ssm_status"] != "healthy" or self.health.get("ssm_probe") != "ok"
        )

    @property
    def exit_code(self) -> int:
        """0 healthy, 1 a validation failure, 2 SSM unreachable or degraded."""
        if self.problems:
            return EXIT_INVALID
        return EXIT_SSM if self.degraded else EXIT_HEALTHY

    def lines(self) -> list[str]:
        """One line per failing rule, one for a degraded SSM, or one saying all is well."""
        lines = [f"invalid: {problem}" for problem in self.problems]
        if self.degraded:
            health = self.health
            lines.append(
                f"ssm: {health['ssm_prefix']} is {health['ssm_status']} (probe: {health['ssm_probe']})"
            )
        if not lines:
            health = self.health
            lines.append(
                f"ok: {health['environment']}, ssm {health['ssm_status']}, security {health['security']}"
            )
        return lines


def run_check(settings: Any) -> CheckReport:
    """Run every validator (collecting all failures) and a probing health check."""
    problems = [str(error) for error in settings.validators.validate_all(raise_error=False)]
    return CheckReport(problems, SecretsManager(settings=settings).health_check(probe=True))
