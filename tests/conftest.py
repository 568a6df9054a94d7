"""Fixtures: a real SSM endpoint (moto's server on 127.0.0.1) behind a counting proxy, and clean processes."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mypy_boto3_ssm import SSMClient

from clarity_settings import SecretsManager, create_settings, local_files, metrics, refresher
from clarity_settings.names import MODEL_SIZES
from clarity_settings.ssm import local
from clarity_settings.ssm.local import LocalSsm
from tests.ssm_proxy import SsmProxy

REGION = "us-east-1"
PREFIX = "/clarity/development"
PRODUCTION_PREFIX = "/clarity/production"
logging.getLogger("werkzeug").setLevel(logging.WARNING)
_OWNED_PREFIXES = ("CLARITY_", "AWS_", "DYNACONF_", "SETTINGS_FILE")
_OWNED_NAMES = (
    "ENV_FOR_DYNACONF",
    "MODEL_SIGNATURE_KEY",
    "MODEL_SIGNATURE_KEY_PREVIOUS",
    "EXPECTED_MODEL_CHECKSUMS",
)


@pytest.fixture(scope="session")
def local_ssm() -> Iterator[LocalSsm]:
    """moto's SSM served over HTTP on a free loopback port, through the package's own local SSM."""
    with local.running() as server:
        yield server


@pytest.fixture(scope="session")
def proxy(local_ssm: LocalSsm) -> Iterator[SsmProxy]:
    """The endpoint the library talks to: it forwards to moto, counts requests and injects faults."""
    ssm_proxy = SsmProxy(local_ssm.url)
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
    refresher.stop_all()
    metrics.disable()  # an example app turns them on for the whole process
    metrics.reset()
    os.environ.clear()
    os.environ.update(saved)
    local_files.forget_dotenv()


def eventually(condition: Callable[[], object], *, within: float = 15.0) -> None:
    """Wait until condition() holds, as a background refresh makes it; fail if it never does."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still not true after {within} s: {getattr(condition, '__name__', condition)}")
        time.sleep(0.005)


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
def ssm(local_ssm: LocalSsm, proxy: SsmProxy) -> Iterator[Ssm]:
    """An empty SSM reachable through AWS_ENDPOINT_URL_SSM, with test credentials (SSM auto-detects on)."""
    client = local_ssm.client()
    empty(client)
    proxy.reset()
    os.environ.update(
        {
            **local_ssm.environment(),
            "AWS_ENDPOINT_URL_SSM": proxy.url,
            "AWS_ENDPOINT_URL_KMS": proxy.url,
            "AWS_ENDPOINT_URL": proxy.url,
            "AWS_MAX_ATTEMPTS": "2",
        }
    )
    yield Ssm(client=client, proxy=proxy)
    proxy.reset()


@pytest.fixture
def kms_key(local_ssm: LocalSsm, ssm: Ssm) -> str:
    """A new symmetric key in moto's KMS (the same server; the library reaches it through the proxy)."""
    return local_ssm.kms().create_key(Description="clarity-settings snapshot tests")["KeyMetadata"]["KeyId"]


def empty(client: SSMClient) -> None:
    """Delete every parameter, so each test starts from an empty store."""
    pages = client.get_paginator("describe_parameters").paginate()
    found = [parameter["Name"] for page in pages for parameter in page["Parameters"]]
    for start in range(0, len(found), 10):
        client.delete_parameters(Names=found[start : start + 10])


@pytest.fixture
def ssm_on(ssm: Ssm) -> Ssm:
    """An empty SSM, forced on as CLARITY_USE_SSM=true does."""
    os.environ["CLARITY_USE_SSM"] = "true"
    return ssm


def publish(ssm: Ssm, version: int, prefix: str = PREFIX) -> None:
    """One complete version of the model secrets: a key and checksums that all carry the version."""
    ssm.put(f"{prefix}/model_signature_key", f"key-{version}")
    digit = str(version % 10)
    ssm.put(f"{prefix}/expected_model_checksums", json.dumps({s: digit * 64 for s in MODEL_SIZES}))


def production(*, use_ssm: bool, **environment: str) -> None:
    """The real environment says production, with SSM forced on or off, plus the given variables."""
    os.environ.update(
        {"ENV_FOR_DYNACONF": "production", "CLARITY_USE_SSM": "true" if use_ssm else "false", **environment}
    )


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


MODEL_KEY = "current-signature-key-" + "k" * 20
"""The signature key model checksums are signed with in tests."""


def manager_for(
    project: Project, checksums: dict[str, str], *, key: str = MODEL_KEY, previous: str | None = None
) -> SecretsManager:
    """A manager whose model secrets come from the environment, SSM off."""
    os.environ.update(
        {
            "CLARITY_USE_SSM": "false",
            "MODEL_SIGNATURE_KEY": key,
            "EXPECTED_MODEL_CHECKSUMS": json.dumps(checksums),
        }
    )
    if previous is not None:
        os.environ["MODEL_SIGNATURE_KEY_PREVIOUS"] = previous
    return SecretsManager(settings=project.settings())


def write_in_place(path: Path, offset: int, data: bytes = b"tampered") -> None:
    """The attacker writes into the model file itself: same inode, same length."""
    with path.open("r+b") as handle:
        handle.seek(offset)
        handle.write(data)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """An empty project directory; its .env is the one dynaconf loads."""
    os.environ["DOTENV_PATH_FOR_DYNACONF"] = str(tmp_path / ".env")
    return Project(root=tmp_path)


LOADER_REFUSALS: list[tuple[str, str, str]] = [
    ("use_ssm", "false", "maps to USE_SSM, a clarity-settings control setting"),
    ("includes_for_dynaconf", "/srv/attack.py", "a dynaconf option"),
    (
        "api_token",
        "@format {env[HOME]}",
        "starts with a dynaconf token that clarity-settings does not evaluate",
    ),
    ("workers", "@int many", "has @int but what follows is not a whole number"),
    ("logging", '@json {"version": 1}', "a setting whose value is imported or called"),
    ("deep", "@json " + "[" * 40 + "]" * 40, "nests its value more than 32 levels deep"),
]
"""A name or text the loader refuses from SSM (and from anything under SSM's rules), and the words it uses."""
