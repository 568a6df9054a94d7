"""Readers never see a gap: threads read while another thread rotates SSM and refreshes hundreds of times;
and a process forked after use keeps reading and refreshing on its own."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable

import pytest

from clarity_settings import SecretsManager
from tests.conftest import Project, Ssm, publish
from tests.reliability.conftest import record

ROTATIONS = 200


def wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    """Until condition holds: the read that expires the set may be served the old one while another
    thread refreshes, exactly as single flight promises."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the refreshed set never arrived"
        time.sleep(0.001)


@pytest.mark.parametrize("readers", [8, 32])
def test_readers_see_only_complete_published_versions_during_hundreds_of_refreshes(
    project: Project, ssm: Ssm, readers: int
) -> None:
    os.environ["CLARITY_USE_SSM"] = "true"
    publish(ssm, 0)
    settings = project.settings()
    manager = SecretsManager(settings=settings)
    published = {"key-0"}
    stop = threading.Event()
    problems: list[str] = []
    reads = [0] * readers

    def read(index: int) -> None:
        while not stop.is_set():
            try:
                key = manager.get_model_signature_key()
                checksums = settings.EXPECTED_MODEL_CHECKSUMS
            except Exception as error:  # noqa: BLE001 - any exception is the finding
                problems.append(type(error).__name__)
                continue
            if (
                key not in published
                or len({value for value in checksums.values()}) != 1
                or len(checksums) != 3
            ):
                problems.append("a value that was never published whole")
            reads[index] += 1
            time.sleep(readers / 16000)

    threads = [threading.Thread(target=read, args=(index,), daemon=True) for index in range(readers)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    try:
        for version in range(1, ROTATIONS + 1):
            published.add(f"key-{version}")
            publish(ssm, version)
            manager.refresh_cache_in_background()
            wait_for(lambda: settings.MODEL_SIGNATURE_KEY == f"key-{version}")  # noqa: B023 - used at once
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    elapsed = time.perf_counter() - started
    assert problems == []
    assert min(reads) > 0
    record(
        f"rotation under {readers} reader threads",
        refreshes=ROTATIONS,
        reads=sum(reads),
        seconds=round(elapsed, 2),
        failed_reads=len(problems),
    )


def test_settings_and_manager_used_before_fork_keep_working_and_refreshing_in_the_child(
    project: Project, ssm: Ssm
) -> None:
    os.environ["CLARITY_USE_SSM"] = "true"
    publish(ssm, 1)
    settings = project.settings()
    manager = SecretsManager(settings=settings)
    assert manager.get_model_signature_key() == settings.MODEL_SIGNATURE_KEY == "key-1"
    publish(ssm, 2)
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        before = manager.get_model_signature_key()
        manager.refresh_cache(wait=True)
        after = (
            manager.get_model_signature_key(),
            settings.MODEL_SIGNATURE_KEY,
            manager.health_check()["ssm_status"],
        )
        os.write(writer, json.dumps([before, *after]).encode())
        os._exit(0)
    os.close(writer)
    os.waitpid(pid, 0)
    child = json.loads(os.read(reader, 4096))
    os.close(reader)
    assert child == ["key-1", "key-2", "key-2", "healthy"]
    assert manager.get_model_signature_key() == "key-1"
