"""Faults between boto3 and SSM: every load ends with all values, or keeps or falls back to a whole set."""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from typing import Any

import pytest

from clarity_settings import SsmUnavailableError
from clarity_settings.names import MODEL_SIZES
from tests.conftest import PREFIX, Project, Ssm, production
from tests.reliability.conftest import record
from tests.ssm_proxy import DROP, SERVER_ERROR, THROTTLE, Fault, FaultPlan, latency

COUNT = 35
PAGES = 4


def sometimes(fault: Fault, probability: float, seed: int = 7) -> FaultPlan:
    """Apply fault to each request with the given probability, reproducibly."""
    rng = random.Random(seed)  # noqa: S311 - fault injection, not cryptography
    return lambda _operation, _number: fault if rng.random() < probability else None


CASES: dict[str, tuple[Callable[[], FaultPlan], bool, bool]] = {
    "throttling 10 %": (lambda: sometimes(THROTTLE, 0.10), True, True),
    "throttling 50 %": (lambda: sometimes(THROTTLE, 0.50), False, False),
    "throttling 90 %": (lambda: sometimes(THROTTLE, 0.90), False, False),
    "latency 200 ms": (lambda: lambda _op, _n: latency(0.2), True, True),
    "5xx always": (lambda: lambda _op, _n: SERVER_ERROR, False, False),
    "5xx 30 %": (lambda: sometimes(SERVER_ERROR, 0.30), True, True),
    "dropped connections 30 %": (lambda: sometimes(DROP, 0.30), True, True),
    "server stops halfway through the pages": (lambda: lambda _op, n: DROP if n >= 3 else None, False, False),
}
"""Each fault plan (seeded, so it repeats), whether a development cold load gets every page through it
and whether a refresh does: botocore's retries only, as development falls back to its other layers
at once and a refresh leaves waiting to the refresher's backoff. Outside development a cold load also
waits out throttling (test_a_production_cold_load_with_half_the_requests_throttled_starts)."""


def publish_batch(ssm: Ssm, version: int) -> None:
    """COUNT parameters that all carry one version number."""
    for number in range(COUNT):
        ssm.put(f"{PREFIX}/batch/item_{number}", f"v{version}")


def versions(settings: Any) -> set[str | None]:
    """The versions the settings hold across the batch; one element means a complete set."""
    batch = settings.get("BATCH") or {}
    return {batch.get(f"ITEM_{number}") for number in range(COUNT)}


@pytest.fixture
def faulty(ssm: Ssm) -> Ssm:
    """SSM on with botocore's default three attempts."""
    os.environ.update({"CLARITY_USE_SSM": "true", "AWS_MAX_ATTEMPTS": "3"})
    publish_batch(ssm, 1)
    return ssm


def timed_versions(settings: Any, action: Callable[[], None] = lambda: None) -> tuple[set[str | None], float]:
    """What the settings hold after action, and how long getting there took."""
    started = time.perf_counter()
    action()
    held = versions(settings)
    return held, time.perf_counter() - started


def refresh_now(settings: Any, *, completes: bool) -> None:
    """A blocking refresh that returns when the new set is in, or raises why the previous one stays."""
    if completes:
        settings.refresh_now()
    else:
        with pytest.raises(SsmUnavailableError):
            settings.refresh_now()


def record_case(name: str, ssm: Ssm, *, complete: bool, outcomes: tuple[str, str], seconds: float) -> None:
    """Keep the requests, retries and time of one fault case for docs/RELIABILITY.md."""
    requests = ssm.proxy.requests["GetParametersByPath"]
    record(
        name,
        outcome=outcomes[0] if complete else outcomes[1],
        requests=requests,
        retries=requests - PAGES if complete else None,
        seconds=round(seconds, 2),
    )


@pytest.mark.parametrize("case", list(CASES))
def test_a_cold_load_under_faults_is_all_or_nothing(project: Project, faulty: Ssm, case: str) -> None:
    plan, completes, _ = CASES[case]
    faulty.proxy.plan = plan()
    settings = project.settings()
    held, seconds = timed_versions(settings)
    assert held == ({"v1"} if completes else {None})
    record_case(
        f"cold load, {case}",
        faulty,
        complete=completes,
        outcomes=("complete", "lower layers"),
        seconds=seconds,
    )


@pytest.mark.parametrize("case", list(CASES))
def test_a_refresh_under_faults_swaps_all_or_keeps_the_previous_set(
    project: Project, faulty: Ssm, case: str
) -> None:
    settings = project.settings()
    assert versions(settings) == {"v1"}
    publish_batch(faulty, 2)
    faulty.proxy.reset()
    plan, _, completes = CASES[case]
    faulty.proxy.plan = plan()
    held, seconds = timed_versions(settings, lambda: refresh_now(settings, completes=completes))
    assert held == ({"v2"} if completes else {"v1"})
    outcomes = ("new set", "previous set kept")
    record_case(f"refresh, {case}", faulty, complete=completes, outcomes=outcomes, seconds=seconds)


@pytest.mark.parametrize("seed", range(12))
def test_a_production_cold_load_with_half_the_requests_throttled_starts(
    project: Project, ssm: Ssm, seed: int
) -> None:
    # NOTE: one attempt per botocore call, so every throttled page is waited out by the cold load's own
    # patience (with botocore's retries on top, as by default, it only gets easier).
    production(use_ssm=True, AWS_MAX_ATTEMPTS="1")
    ssm.put("/clarity/production/model_signature_key", "p" * 40)
    ssm.put("/clarity/production/expected_model_checksums", json.dumps(dict.fromkeys(MODEL_SIZES, "a" * 64)))
    for number in range(COUNT - 2):
        ssm.put(f"/clarity/production/batch/item_{number}", "v1")
    ssm.proxy.plan = sometimes(THROTTLE, 0.50, seed=seed)
    settings = project.settings()
    assert (settings.MODEL_SIGNATURE_KEY, len(settings.BATCH)) == ("p" * 40, COUNT - 2)
