"""The benchmarks' SSM: moto's server on 127.0.0.1 behind the test proxy, adding 5 ms to every request."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from clarity_settings.ssm import local, write
from tests.ssm_proxy import SsmProxy, latency

NETWORK_DELAY_SECONDS = 0.005


@dataclass
class BenchSsm:
    """The endpoint every library in a comparison talks to, and its request counter."""

    server: local.LocalSsm
    proxy: SsmProxy

    def seed(self, prefix: str, count: int) -> list[str]:
        """count parameters under prefix; returns their names."""
        client = self.server.client()
        names = [f"{prefix}/param_{number:04d}" for number in range(count)]
        for name in names:
            write.put(client, name, f"value-{name}", overwrite=True)
        return names

    def count(self) -> int:
        """Requests since the last reset."""
        return self.proxy.total


@contextmanager
def bench_ssm(delay: float = NETWORK_DELAY_SECONDS) -> Iterator[BenchSsm]:
    """Start the server and the proxy, point boto3 at the proxy, and stop both afterwards."""
    with local.running() as server:
        proxy = SsmProxy(server.url)
        proxy.start()
        proxy.plan = lambda _operation, _number: latency(delay)
        saved = dict(os.environ)
        os.environ.update(
            {**server.environment(), "AWS_ENDPOINT_URL_SSM": proxy.url, "CLARITY_USE_SSM": "true"}
        )
        try:
            yield BenchSsm(server, proxy)
        finally:
            os.environ.clear()
            os.environ.update(saved)
            proxy.stop()
