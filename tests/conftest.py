"""Fixtures: a real SSM endpoint (moto's server on 127.0.0.1) behind a counting proxy, and clean processes."""

from __future__ import annotations

import logging
import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from mypy_boto3_ssm import SSMClient

from clarity_settings import create_settings, local_files
from tests.ssm_proxy import SsmProxy

REGION = "us-east-1"
logging.getLogger("werkzeug").setLevel(logging.WARNING)
_OWNED_PREFIXES = ("CLARITY_", "AWS_", "DYNACONF_", "SETTINGS_FILE")
_OWNED_NAMES = (
    "ENV_FOR_DYNACONF",
    "MODEL_SIGNATURE_KEY",
    "MODEL_SIGNATURE_KEY_PREVIOUS",
    "EXPECTED_MODEL_CHECKSUMS",
)


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """moto's SSM implementation served over HTTP on a free loopback port."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def proxy(moto_url: str) -> Iterator[SsmProxy]:
    """The endpoint the library talks to: it forwards to moto, counts requests and injects faults."""
    ssm_proxy = SsmProxy(moto_url)
    ssm_proxy.start()
    yield ssm_proxy
    ssm_proxy.stop()


@pytest.fixture(autouse=True)
def clean_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test starts with no settings variables and no AWS configuration, and leaves none behind."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(_OWNED_PREFIXES) or name in _OWNED_NAMES:
            del os.environ[name]
    home = tmp_path_factory.mktemp("home")
    os.environ["HOME"] = str(home)
    os.environ["DOTENV_PATH_FOR_DYNACONF"] = str(home / "no.env")
    yield
    os.environ.clear()
    os.environ.update(saved)
    local_files.forget_dotenv()


@dataclass
class Ssm:
    """The SSM side of a test: seed parameters directly in moto, count what the library asks of the proxy."""

    client: SSMClient
    proxy: SsmProxy
    names: list[str] = field(default_factory=list)

    def put(self, name: str, value: str, *, kind: str = "SecureString") -> None:
        """Create or overwrite a parameter, bypassing the proxy so seeding is not counted."""
        self.client.put_parameter(Name=name, Value=value, Type=kind, Overwrite=True)  # type: ignore[arg-type]

    def delete(self, name: str) -> None:
        """Remove a parameter."""
        self.client.delete_parameter(Name=name)


@pytest.fixture
def ssm(moto_url: str, proxy: SsmProxy) -> Iterator[Ssm]:
    """An empty SSM reachable through AWS_ENDPOINT_URL_SSM, with test credentials and SSM on."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"))  # noqa: S310
    proxy.reset()
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL_SSM": proxy.url,
            "AWS_ENDPOINT_URL": proxy.url,
            "AWS_MAX_ATTEMPTS": "2",
        }
    )
    client = boto3.client(
        "ssm",
        region_name=REGION,
        endpoint_url=moto_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    yield Ssm(client=client, proxy=proxy)
    proxy.reset()


@dataclass
class Project:
    """An application directory with its own settings files, and settings objects built from it."""

    root: Path

    def write(self, name: str, text: str) -> Path:
        """Write one of the project's files (settings.toml, .secrets.toml, .env)."""
        path = self.root / name
        path.write_text(text, encoding="utf-8")
        return path

    def settings(self, **overrides: Any) -> Any:
        """A settings object that reads this project's files and nothing else on disk."""
        options: dict[str, Any] = {
            "root_path": str(self.root),
            "settings_files": [str(self.root / "settings.toml"), str(self.root / ".secrets.toml")],
            "dotenv_path": str(self.root / ".env"),
        }
        options.update(overrides)
        return create_settings(**options)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """An empty project directory; its .env is the one dynaconf loads."""
    os.environ["DOTENV_PATH_FOR_DYNACONF"] = str(tmp_path / ".env")
    return Project(root=tmp_path)
