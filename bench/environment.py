"""The benchmarks' SSM: moto's server and the test proxy in a process of their own, driven over a pipe.

The proxy adds 5 ms to every request, as a network would. Neither server takes CPU or the GIL
from the process that measures, so a library's CPU time is its own (time.process_time).
Run as ``python -m bench.environment``, this module is that process: it prints the proxy's URL,
then answers one command a line (``delay S``, ``hang``, ``reset``, ``count``, ``seed PREFIX N``,
``put NAME VALUE``, ``kms-key``). KMS is served by the same moto server, through the same proxy.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from clarity_settings.ssm import local, write
from tests.ssm_proxy import FaultPlan, SsmProxy, latency

NETWORK_DELAY_SECONDS = 0.005
HANG_SECONDS = 3600.0
ROOT = Path(__file__).resolve().parent.parent


def parameter_names(prefix: str, count: int) -> list[str]:
    """The names seed() writes under prefix."""
    return [f"{prefix}/param_{number:04d}" for number in range(count)]


@dataclass
class BenchSsm:
    """The endpoint every library in a comparison talks to, its latency and its request counter."""

    process: subprocess.Popen[str]
    url: str

    def _ask(self, command: str) -> str:
        if self.process.stdin is None or self.process.stdout is None:
            raise RuntimeError("the SSM process has no pipes")
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def seed(self, prefix: str, count: int) -> list[str]:
        """count parameters under prefix (written once per process); returns their names."""
        self._ask(f"seed {prefix} {count}")
        return parameter_names(prefix, count)

    def put(self, name: str, value: str) -> None:
        """One SecureString parameter (the value must hold no whitespace)."""
        self._ask(f"put {name} {value}")

    def delay(self, seconds: float) -> None:
        """Every later request waits this long before it is answered."""
        self._ask(f"delay {seconds}")

    def hang(self) -> None:
        """Every later request waits an hour: SSM hangs."""
        self._ask("hang")

    def reset_counts(self) -> None:
        """Start counting requests from zero."""
        self._ask("reset")

    def count(self) -> int:
        """Requests since the last reset."""
        return int(self._ask("count"))

    def kms_key(self) -> str:
        """A new symmetric KMS key's id."""
        return self._ask("kms-key")


@contextmanager
def bench_ssm(delay: float = NETWORK_DELAY_SECONDS) -> Iterator[BenchSsm]:
    """Start the SSM process, point boto3 at its proxy, and stop it afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.environment"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    saved = dict(os.environ)
    try:
        if process.stdout is None:
            raise RuntimeError("the SSM process has no pipes")
        url = process.stdout.readline().strip()
        ssm = BenchSsm(process, url)
        ssm.delay(delay)
        os.environ.update(
            {
                **local.LocalSsm(url).environment(),
                "AWS_ENDPOINT_URL_SSM": url,
                "AWS_ENDPOINT_URL_KMS": url,
                "CLARITY_USE_SSM": "true",
            }
        )
        yield ssm
    finally:
        os.environ.clear()
        os.environ.update(saved)
        process.kill()
        process.wait()


def _delaying(seconds: float) -> FaultPlan:
    fault = latency(seconds)
    return lambda _operation, _number: fault


def serve() -> None:
    """The SSM process: moto behind the proxy, commands on stdin, one answer line each on stdout."""
    logging.disable(logging.WARNING)
    with local.running() as server:
        proxy = SsmProxy(server.url)
        proxy.start()
        client = server.client()
        kms = server.kms()
        seeded: set[tuple[str, int]] = set()
        print(proxy.url, flush=True)
        for line in sys.stdin:
            command, *arguments = line.split()
            answer = "ok"
            if command in {"delay", "hang"}:
                proxy.plan = _delaying(float(arguments[0]) if arguments else HANG_SECONDS)
            elif command == "reset":
                proxy.reset_counts()
            elif command == "count":
                answer = str(proxy.total)
            elif command == "seed" and (arguments[0], int(arguments[1])) not in seeded:
                for name in parameter_names(arguments[0], int(arguments[1])):
                    write.put(client, name, f"value-{name}", overwrite=True)
                seeded.add((arguments[0], int(arguments[1])))
            elif command == "kms-key":
                answer = kms.create_key()["KeyMetadata"]["KeyId"]
            elif command == "put":
                write.put(client, arguments[0], arguments[1], overwrite=True)
            print(answer, flush=True)


if __name__ == "__main__":
    serve()
