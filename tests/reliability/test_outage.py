"""An outage timeline: warm, SSM down for three TTLs, SSM back. No read fails, values turn stale then
fresh, one warning per outage, and health goes healthy, unhealthy, healthy."""

from __future__ import annotations

import logging
import math
import os
from typing import Any

import pytest

from clarity_settings import SecretsManager
from tests.conftest import Ssm, eventually, publish
from tests.reliability.conftest import record
from tests.ssm_proxy import THROTTLE
from tests.test_freshness import TTL, FakeClock, clock, warm

__all__ = ["clock", "warm"]


def status(manager: SecretsManager) -> tuple[str, bool]:
    """The SSM status and whether the signature key is stale."""
    health = manager.health_check()
    return health["ssm_status"], health["secrets"]["MODEL_SIGNATURE_KEY"]["stale"]


def test_three_ttls_of_outage_then_recovery(
    warm: Any, ssm: Ssm, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    manager = SecretsManager(settings=warm)
    timeline = [status(manager)]
    publish(ssm, 2)
    ssm.proxy.fail_every(THROTTLE)
    reads = 0
    with caplog.at_level(logging.WARNING, logger="clarity_settings"):
        for outage_ttl in range(1, 4):
            clock.advance(TTL * 1.2)
            for _ in range(50):
                assert warm.MODEL_SIGNATURE_KEY == "key-1"
                reads += 1
            attempts = outage_ttl * int(os.environ["AWS_MAX_ATTEMPTS"])
            eventually(lambda: ssm.proxy.requests["GetParametersByPath"] == attempts)  # noqa: B023 - waited for here
            eventually(lambda: warm.next_refresh_at < math.inf)
            timeline.append(status(manager))
    requests_during_outage = ssm.proxy.requests["GetParametersByPath"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert requests_during_outage == 3 * int(os.environ["AWS_MAX_ATTEMPTS"])
    assert len(warnings) == 1
    assert "ThrottlingException" in warnings[0]
    assert manager.health_check()["last_error"]["code"] == "ThrottlingException"

    ssm.proxy.reset()
    clock.advance(TTL * 1.2)
    assert warm.MODEL_SIGNATURE_KEY == "key-1"
    eventually(lambda: warm.MODEL_SIGNATURE_KEY == "key-2")
    timeline.append(status(manager))
    assert timeline == [
        ("healthy", False),
        ("unhealthy", True),
        ("unhealthy", True),
        ("unhealthy", True),
        ("healthy", False),
    ]
    record(
        "outage of three TTLs",
        reads=reads + 1,
        failed_reads=0,
        requests_during_outage=requests_during_outage,
        warnings=len(warnings),
        health=[state for state, _ in timeline],
    )
