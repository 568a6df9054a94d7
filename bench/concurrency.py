"""Scenario 3: a stampede of 64 threads on a value whose TTL has passed.

Counted from the end of the first load to the end of the stampede: the peers fetch in the readers,
so each of the 64 sends a request; clarity-settings' readers never fetch, and its refresher thread
sent its one request of the TTL before the readers arrived.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import boto3

from bench.environment import BenchSsm
from clarity_settings import create_settings, refresher
from clarity_settings.ssm.switch import SsmContext

THREADS = 64
EXPIRY_SECONDS = 1.0
PREFIX = "/stampede/development"
NAME = f"{PREFIX}/param_0000"


def stampede(read: Callable[[], object]) -> None:
    """64 threads released together on a value that has just expired."""
    barrier = threading.Barrier(THREADS)

    def worker() -> None:
        barrier.wait()
        read()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def clarity_reader() -> Callable[[], object]:
    """settings.PARAM_0000 on a TTL shorter than the pause before the stampede."""
    settings = create_settings(cache_ttl_seconds=EXPIRY_SECONDS, ssm_context=SsmContext(prefix=PREFIX))
    settings.get("PARAM_0000")
    return lambda: settings.PARAM_0000


def powertools_reader() -> Callable[[], object]:
    """SSMProvider.get with a max_age shorter than the pause."""
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    provider = SSMProvider(boto3_client=boto3.client("ssm"))
    provider.get(NAME, max_age=1, decrypt=True)
    return lambda: provider.get(NAME, max_age=1, decrypt=True)


def ssm_cache_reader() -> Callable[[], object]:
    """ssm-cache's SSMParameter with max_age 1 s."""
    from ssm_cache import SSMParameter

    SSMParameter.set_ssm_client(boto3.client("ssm"))
    parameter = SSMParameter(NAME, max_age=1)
    parameter.value  # noqa: B018 - the first load
    return lambda: parameter.value


def original_reader() -> Callable[[], object]:
    """The original pattern: a dict with timestamps, no lock."""
    client = boto3.client("ssm")
    cache: dict[str, tuple[float, str]] = {}

    def read() -> str:
        hit = cache.get(NAME)
        if hit is None or time.monotonic() - hit[0] > 1:
            cache[NAME] = (
                time.monotonic(),
                client.get_parameter(Name=NAME, WithDecryption=True)["Parameter"]["Value"],
            )
        return cache[NAME][1]

    read()
    return read


READERS = {
    "clarity-settings": (clarity_reader, EXPIRY_SECONDS),
    "aws-lambda-powertools": (powertools_reader, 1.0),
    "ssm-cache": (ssm_cache_reader, 1.0),
    "original": (original_reader, 1.0),
}


def run_stampede(ssm: BenchSsm) -> dict[str, int]:
    """SSM requests caused by one stampede, per library."""
    ssm.seed(PREFIX, 5)
    results = {}
    for name, (make, expiry) in READERS.items():
        read = make()
        ssm.reset_counts()
        time.sleep(expiry * 1.2)
        stampede(read)
        results[name] = ssm.count()
    refresher.stop_all()
    return results
