"""How fresh values are: TTL, jitter, single flight, atomic swaps, outages and fork(), against moto."""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from typing import Any

import pytest

from clarity_settings import SecretsManager
from clarity_settings.settings import JITTER
from tests.conftest import PREFIX, Project, Ssm, publish
from tests.ssm_proxy import THROTTLE, latency

TTL = 100.0


class FakeClock:
    """A monotonic clock the test moves by hand, so no test sleeps through a TTL."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Let time pass."""
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    """A fresh fake clock."""
    return FakeClock()


@pytest.fixture
def warm(project: Project, ssm: Ssm, clock: FakeClock) -> Any:
    """Settings loaded from SSM version 1 with a 100 s TTL; the request counter starts at zero after."""
    os.environ.update({"CLARITY_USE_SSM": "true", "CLARITY_SECRETS_CACHE_TTL": str(TTL)})
    publish(ssm, 1)
    settings = project.settings(clock=clock, rng=random.Random(7))  # noqa: S311 - jitter, not cryptography
    assert settings.MODEL_SIGNATURE_KEY == "key-1"
    ssm.proxy.reset()
    return settings


def test_reads_within_the_ttl_make_no_request(warm: Any, ssm: Ssm, clock: FakeClock) -> None:
    publish(ssm, 2)
    for _ in range(1000):
        assert warm.MODEL_SIGNATURE_KEY == "key-1"
    clock.advance(TTL * (1 - JITTER) - 0.001)
    assert warm["MODEL_SIGNATURE_KEY"] == "key-1"
    assert ssm.proxy.total == 0


def test_the_first_read_after_the_ttl_fetches_the_new_set(warm: Any, ssm: Ssm, clock: FakeClock) -> None:
    publish(ssm, 2)
    clock.advance(TTL * (1 + JITTER))
    assert warm.MODEL_SIGNATURE_KEY == "key-2"
    assert warm.EXPECTED_MODEL_CHECKSUMS["large"] == "2" * 64
    assert ssm.proxy.requests == {"GetParametersByPath": 1}


def test_the_ttl_is_jittered_within_ten_percent(project: Project, ssm: Ssm, clock: FakeClock) -> None:
    os.environ.update({"CLARITY_USE_SSM": "true", "CLARITY_SECRETS_CACHE_TTL": str(TTL)})
    publish(ssm, 1)
    expiries = set()
    for seed in range(20):
        settings = project.settings(clock=clock, rng=random.Random(seed))  # noqa: S311
        assert settings.MODEL_SIGNATURE_KEY == "key-1"
        expiry = settings.next_refresh_at - clock.now
        assert TTL * (1 - JITTER) <= expiry <= TTL * (1 + JITTER)
        expiries.add(round(expiry, 6))
    assert len(expiries) > 15


def test_a_ttl_of_zero_fetches_on_every_read(project: Project, ssm: Ssm, clock: FakeClock) -> None:
    os.environ.update({"CLARITY_USE_SSM": "true", "CLARITY_SECRETS_CACHE_TTL": "0"})
    publish(ssm, 1)
    settings = project.settings(clock=clock)
    for _ in range(3):
        assert settings.MODEL_SIGNATURE_KEY == "key-1"
    assert ssm.proxy.requests["GetParametersByPath"] == 3


def test_64_threads_on_an_expired_key_cause_one_request_and_keep_reading(
    warm: Any, ssm: Ssm, clock: FakeClock
) -> None:
    publish(ssm, 2)
    clock.advance(TTL * 2)
    ssm.proxy.fail_every(latency(0.3))
    barrier = threading.Barrier(64)
    seen: list[str] = []

    def read() -> None:
        barrier.wait()
        seen.append(warm.MODEL_SIGNATURE_KEY)

    threads = [threading.Thread(target=read) for _ in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ssm.proxy.requests == {"GetParametersByPath": 1}
    assert len(seen) == 64
    assert set(seen) <= {"key-1", "key-2"}
    assert seen.count("key-1") >= 62


def test_readers_always_see_one_complete_version_while_it_rotates(
    warm: Any, ssm: Ssm, clock: FakeClock
) -> None:
    stop = threading.Event()
    problems: list[str] = []

    def read() -> None:
        while not stop.is_set():
            key, checksums = warm.MODEL_SIGNATURE_KEY, warm.EXPECTED_MODEL_CHECKSUMS
            digits = {value[0] for value in checksums.values()}
            if key is None or len(checksums) != 3 or len(digits) != 1 or len(set(checksums["small"])) != 1:
                problems.append("incomplete or mixed checksums")
            time.sleep(0.0001)

    readers = [threading.Thread(target=read) for _ in range(8)]
    for reader in readers:
        reader.start()
    for version in range(2, 22):
        publish(ssm, version % 10)
        clock.advance(TTL * 2)
        assert warm.MODEL_SIGNATURE_KEY == f"key-{version % 10}"
    stop.set()
    for reader in readers:
        reader.join()
    assert problems == []
    assert warm.MODEL_SIGNATURE_KEY == f"key-{21 % 10}"


def test_after_a_failed_refresh_reads_do_not_retry_until_the_backoff_passes(
    warm: Any, ssm: Ssm, clock: FakeClock
) -> None:
    ssm.proxy.fail_every(THROTTLE)
    clock.advance(TTL * 2)
    assert warm.MODEL_SIGNATURE_KEY == "key-1"
    after_first_failure = ssm.proxy.total
    for _ in range(100):
        assert warm.MODEL_SIGNATURE_KEY == "key-1"
    assert ssm.proxy.total == after_first_failure
    clock.advance(2.0)
    assert warm.MODEL_SIGNATURE_KEY == "key-1"
    assert ssm.proxy.total > after_first_failure


def test_a_refresh_cut_off_halfway_keeps_the_previous_complete_set(
    warm: Any, ssm: Ssm, clock: FakeClock
) -> None:
    for number in range(25):
        ssm.put(f"{PREFIX}/extra/item_{number}", "new")
    publish(ssm, 2)
    ssm.proxy.fail_from(2, THROTTLE)
    clock.advance(TTL * 2)
    assert warm.MODEL_SIGNATURE_KEY == "key-1"
    assert "EXTRA" not in warm


def test_a_deleted_parameter_disappears_only_at_a_successful_refresh(
    warm: Any, ssm: Ssm, clock: FakeClock
) -> None:
    ssm.put(f"{PREFIX}/feature", "on")
    clock.advance(TTL * 2)
    assert warm.FEATURE == "on"
    ssm.delete(f"{PREFIX}/feature")
    ssm.proxy.fail_every(THROTTLE)
    clock.advance(TTL * 2)
    assert warm.FEATURE == "on"
    ssm.proxy.reset()
    clock.advance(TTL * 2)
    assert warm.get("FEATURE") is None


def test_a_refreshed_set_that_fails_validation_is_refused(
    project: Project, ssm: Ssm, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    os.environ.update(
        {"CLARITY_USE_SSM": "true", "ENV_FOR_DYNACONF": "production", "CLARITY_SECRETS_CACHE_TTL": "10"}
    )
    good = "p" * 40
    ssm.put("/clarity/production/model_signature_key", good)
    ssm.put(
        "/clarity/production/expected_model_checksums",
        json.dumps({s: "a" * 64 for s in ("small", "medium", "large")}),
    )
    settings = project.settings(clock=clock)
    assert settings.MODEL_SIGNATURE_KEY == good
    ssm.put("/clarity/production/model_signature_key", "too-short")
    clock.advance(20)
    with caplog.at_level(logging.ERROR, logger="clarity_settings"):
        assert settings.MODEL_SIGNATURE_KEY == good
    assert "MODEL_SIGNATURE_KEY is shorter than the 32 characters production requires" in caplog.text
    assert "too-short" not in caplog.text


def test_a_forked_child_refreshes_with_its_own_client_and_lock(warm: Any, ssm: Ssm, clock: FakeClock) -> None:
    publish(ssm, 2)
    ssm.proxy.plan = lambda _operation, _number: latency(1.0)
    clock.advance(TTL * 2)
    refreshing = threading.Thread(target=lambda: warm.MODEL_SIGNATURE_KEY)
    refreshing.start()
    deadline = time.monotonic() + 5
    while ssm.proxy.total == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    pid = os.fork()  # a thread of this process holds the refresh lock, mid-request
    if pid == 0:
        os._exit(0 if warm.MODEL_SIGNATURE_KEY == "key-2" else 1)
    _, status = os.waitpid(pid, 0)
    refreshing.join()
    assert (os.waitstatus_to_exitcode(status), warm.MODEL_SIGNATURE_KEY) == (0, "key-2")


def test_ssm_unreachable_at_start_is_picked_up_once_it_answers(
    project: Project, ssm: Ssm, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    os.environ.update({"CLARITY_USE_SSM": "true", "MODEL_SIGNATURE_KEY": "environment-fallback"})
    publish(ssm, 1)
    ssm.proxy.fail_every(THROTTLE)
    with caplog.at_level(logging.WARNING, logger="clarity_settings.ssm"):
        settings = project.settings(clock=clock)
        assert settings.MODEL_SIGNATURE_KEY == "environment-fallback"
        clock.advance(5)
        assert settings.MODEL_SIGNATURE_KEY == "environment-fallback"
    assert len([r for r in caplog.records if r.name == "clarity_settings.ssm"]) == 1
    ssm.proxy.reset()
    clock.advance(120)
    assert settings.MODEL_SIGNATURE_KEY == "key-1"
    assert SecretsManager(settings=settings).health_check()["ssm_status"] == "healthy"


class Calls:
    """What change callbacks received, with a way to wait for the thread that delivers them."""

    def __init__(self) -> None:
        self.received: list[frozenset[str]] = []
        self.arrived = threading.Event()

    def __call__(self, changed: frozenset[str]) -> None:
        self.received.append(changed)
        self.arrived.set()


def test_change_callbacks_get_the_changed_names_only_for_the_keys_they_asked_for(
    warm: Any, ssm: Ssm, clock: FakeClock
) -> None:
    everything, keys, unrelated = Calls(), Calls(), Calls()
    warm.on_change(everything)
    warm.on_change(keys, keys=["model_signature_key"])
    warm.on_change(unrelated, keys=["DATABASE"])
    ssm.put(f"{PREFIX}/model_signature_key", "rotated-secret-key-value")
    clock.advance(TTL * 2)
    assert warm.MODEL_SIGNATURE_KEY == "rotated-secret-key-value"
    assert everything.arrived.wait(5)
    assert keys.arrived.wait(5)
    assert (everything.received, keys.received, unrelated.received) == (
        [frozenset({"MODEL_SIGNATURE_KEY"})],
        [frozenset({"MODEL_SIGNATURE_KEY"})],
        [],
    )


def test_a_refresh_that_changes_nothing_calls_nobody(warm: Any, clock: FakeClock) -> None:
    calls = Calls()
    warm.on_change(calls)
    clock.advance(TTL * 2)
    assert warm.MODEL_SIGNATURE_KEY == "key-1"
    assert (calls.arrived.wait(0.5), warm.last_change_at) == (False, None)


def test_a_raising_callback_is_logged_by_name_and_the_others_still_run(
    warm: Any, ssm: Ssm, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    def rebuild_pool(changed: frozenset[str]) -> None:
        raise RuntimeError(f"cannot rebuild with {sorted(changed)}")

    calls = Calls()
    warm.on_change(rebuild_pool)
    warm.on_change(calls)
    publish(ssm, 2)
    clock.advance(TTL * 2)
    with caplog.at_level(logging.ERROR, logger="clarity_settings"):
        assert warm.MODEL_SIGNATURE_KEY == "key-2"
        assert calls.arrived.wait(5)
    assert "rebuild_pool raised RuntimeError; the other callbacks still run" in caplog.text
    assert "key-2" not in caplog.text


def test_health_reports_when_a_value_last_changed(project: Project, ssm: Ssm) -> None:
    os.environ["CLARITY_USE_SSM"] = "true"
    publish(ssm, 1)
    manager = SecretsManager(settings=project.settings())
    assert manager.health_check()["last_change"] is None
    publish(ssm, 2)
    manager.refresh_cache(wait=True)
    assert manager.health_check()["last_change"] is not None
