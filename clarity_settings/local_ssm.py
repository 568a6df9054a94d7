"""A Parameter Store on 127.0.0.1 for development: moto's server, seeded from a settings file.

It speaks SSM's real HTTP protocol, so the library reaches it exactly as it reaches AWS, through
AWS_ENDPOINT_URL_SSM. moto comes with the ``local`` extra (``pip install clarity-settings[local]``).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from clarity_settings import control, parameters
from clarity_settings.errors import ClaritySettingsError

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

HOST: Final = "127.0.0.1"
TEST_CREDENTIALS: Final = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
"""moto accepts any credentials; these make boto3's chain resolve without touching a real account."""


@dataclass(frozen=True)
class LocalSsm:
    """A running local endpoint."""

    url: str

    def environment(self) -> dict[str, str]:
        """The variables that point boto3, and so this library, at the local endpoint."""
        return {
            "AWS_ENDPOINT_URL_SSM": self.url,
            "AWS_DEFAULT_REGION": control.DEFAULT_REGION,
            **TEST_CREDENTIALS,
        }

    def client(self) -> SSMClient:
        """A boto3 client for the local endpoint, whatever the environment says."""
        import boto3

        return boto3.client(
            "ssm",
            region_name=control.DEFAULT_REGION,
            endpoint_url=self.url,
            aws_access_key_id=TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def seed(self, prefix: str, values: Mapping[str, str]) -> None:
        """Put each relative name under prefix as a SecureString."""
        client = self.client()
        for name, value in values.items():
            parameters.put(client, parameters.absolute_name(name, prefix), value, overwrite=True)


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(port: int = 0) -> Iterator[LocalSsm]:
    """Serve SSM on 127.0.0.1:port (a free one for 0) until the block ends."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise ClaritySettingsError(
            "local-ssm needs moto's server: pip install 'clarity-settings[local]'"
        ) from None
    logging.getLogger("werkzeug").setLevel(max(logging.WARNING, logging.getLogger().getEffectiveLevel()))
    server = ThreadedMotoServer(ip_address=HOST, port=port or free_port(), verbose=False)
    server.start()
    host, bound = server.get_host_and_port()
    try:
        yield LocalSsm(url=f"http://{host}:{bound}")
    finally:
        server.stop()
