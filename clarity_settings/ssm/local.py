"""A Parameter Store on 127.0.0.1 for development: moto's server, seeded from a settings file.

It speaks SSM's real HTTP protocol, so the library reaches it exactly as it reaches AWS, through
AWS_ENDPOINT_URL_SSM; local_aws answers as AWS where moto would not. moto comes with the ``local``
extra (``pip install clarity-settings[local]``).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from clarity_settings.errors import ClaritySettingsError
from clarity_settings.ssm import write
from clarity_settings.ssm.client import DEFAULT_REGION, endpoint_client, endpoint_kms_client
from clarity_settings.ssm.local_aws import WsgiApp, as_aws

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
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
            "AWS_DEFAULT_REGION": DEFAULT_REGION,
            **TEST_CREDENTIALS,
        }

    def client(self) -> SSMClient:
        """A client for the local endpoint, whatever the environment says."""
        return endpoint_client(
            self.url,
            access_key=TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            secret_key=TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def kms(self) -> KMSClient:
        """A KMS client for the same endpoint (moto serves both), for tests and benchmarks of the snapshot."""
        return endpoint_kms_client(
            self.url,
            access_key=TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            secret_key=TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def seed(self, prefix: str, values: Mapping[str, str]) -> None:
        """Put each relative name under prefix as a SecureString."""
        client = self.client()
        for name, value in values.items():
            write.put(client, write.absolute_name(name, prefix), value, overwrite=True)


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


_BROWSER_HEADERS: Final = ("HTTP_ORIGIN", "HTTP_SEC_FETCH_SITE", "HTTP_SEC_FETCH_MODE")
"""Browsers send these on every request they make for a page; boto3 and the AWS CLI never do."""


def refusal(environ: Mapping[str, Any], port: int) -> str | None:
    """Why a request is not for local-ssm: moto's admin API, a web page, or a host name other than loopback.

    A page open in the developer's browser could otherwise read the seeded secrets (through CORS,
    which moto's server allows, or by rebinding a DNS name to 127.0.0.1), or reset the store.
    """
    if str(environ.get("PATH_INFO", "")).startswith("/moto-api"):
        return "moto's admin API is not served by local-ssm"
    if environ.get("REQUEST_METHOD") == "OPTIONS" or any(environ.get(name) for name in _BROWSER_HEADERS):
        return "requests from web pages are refused; use an AWS SDK or the AWS CLI"
    if str(environ.get("HTTP_HOST", "")).lower() not in {f"{HOST}:{port}", f"localhost:{port}"}:
        return f"only {HOST}:{port} is served"
    return None


def local_only(app: WsgiApp, port: int) -> WsgiApp:
    """Wrap moto's application so that only local programs reach it (see refusal)."""

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        reason = refusal(environ, port)
        if reason is None:
            return app(environ, start_response)
        start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8")])
        return [f"local-ssm: {reason}\n".encode()]

    return guarded


@contextmanager
def running(port: int = 0) -> Iterator[LocalSsm]:
    """Serve SSM on 127.0.0.1:port (a free one for 0), for local programs only, until the block ends."""
    try:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server
    except ImportError:
        raise ClaritySettingsError(
            "local-ssm needs moto's server: pip install 'clarity-settings[local]'"
        ) from None
    logging.getLogger("werkzeug").setLevel(max(logging.WARNING, logging.getLogger().getEffectiveLevel()))
    bound = port or free_port()
    app = local_only(as_aws(DomainDispatcherApplication(create_backend_app)), bound)
    server = make_server(HOST, bound, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="local-ssm", daemon=True)
    thread.start()
    try:
        yield LocalSsm(url=f"http://{HOST}:{bound}")
    finally:
        server.shutdown()
        thread.join()
