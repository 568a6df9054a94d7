"""Leak hunting: unique secrets, DEBUG logging everywhere, every path a secret could escape by.

botocore logs decrypted SSM responses at DEBUG; the library's redaction must hide them. Nothing
below may show a secret or any 10-character piece of one, unless --reveal or export asked for it.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import string
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from clarity_settings import ClaritySettingsError, SecretsManager
from clarity_settings.cli import main
from clarity_settings.integrity import MODEL_FILES, verify_models
from tests.conftest import Project, Ssm
from tests.ssm_proxy import ACCESS_DENIED

LOGGERS = ("", "botocore", "boto3", "urllib3", "dynaconf", "clarity_settings")
PREFIX = "/clarity/production"
SECRETS = st.text(alphabet=string.ascii_letters + string.digits, min_size=32, max_size=48).filter(
    lambda s: len(set(s)) >= 12 and re.search(r"(.)\1{2}", s) is None
)
"""ASCII, so bytes reprs and JSON show them plainly; varied, so a window cannot match by chance."""


def pieces(secret: str) -> list[str]:
    """Every 10-character window of a secret."""
    return [secret[i : i + 10] for i in range(len(secret) - 9)]


def leaked(text: str, *secrets: str) -> list[str]:
    """The windows of the secrets that appear in text."""
    return [piece for secret in secrets for piece in pieces(secret) if piece in text]


@pytest.fixture
def debug_everywhere() -> Iterator[io.StringIO]:
    """Every named logger at DEBUG into one buffer, as an operator chasing a bug would set it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    saved = {name: logging.getLogger(name).level for name in LOGGERS}
    root = logging.getLogger()
    root.addHandler(handler)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def cli(*args: str, stdin: str | None = None) -> str:
    """A command's stdout, stderr and any traceback, as one text."""
    result = CliRunner().invoke(main, list(args), input=stdin)
    shown = "".join(traceback.format_exception(result.exception)) if result.exception else ""
    return result.stdout + result.stderr + shown


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), phases=[Phase.generate])
@given(key=SECRETS, password=SECRETS, short=SECRETS)
def test_no_path_shows_a_secret(
    project: Project,
    ssm: Ssm,
    tmp_path: Path,
    debug_everywhere: io.StringIO,
    key: str,
    password: str,
    short: str,
) -> None:
    ssm.proxy.reset()
    models = tmp_path / "models"
    models.mkdir(exist_ok=True)
    for name in MODEL_FILES.values():
        (models / name).write_bytes(b"weights " + name.encode())
    os.environ.update(
        {
            "ENV_FOR_DYNACONF": "production",
            "CLARITY_USE_SSM": "true",
            "SETTINGS_FILE_FOR_DYNACONF": str(project.root / "settings.toml"),
        }
    )
    seen: list[str] = []
    seen.append(cli("ssm", "put", "model_signature_key", "--overwrite", stdin=key))
    seen.append(cli("ssm", "put", "database/password", "--overwrite", stdin=password))
    seen.append(cli("models", "publish", str(models)))

    settings_object = project.settings()
    manager = SecretsManager(settings=settings_object)
    assert manager.get_model_signature_key() == key
    verify_models(models, manager=manager)
    seen += [
        repr(settings_object),
        str(settings_object),
        repr(manager),
        json.dumps(manager.health_check(probe=True)),
    ]
    settings_object.expire()
    seen.append(json.dumps(manager.health_check()))
    ssm.proxy.fail_every(ACCESS_DENIED)
    settings_object.expire()
    seen.append(json.dumps(manager.health_check(probe=True)))
    ssm.proxy.reset()

    os.environ["MODEL_SIGNATURE_KEY"] = short[:20]
    os.environ["CLARITY_USE_SSM"] = "false"
    with pytest.raises(ClaritySettingsError) as caught:
        project.settings().get("ANYTHING")
    seen.append("".join(traceback.format_exception(caught.value)))
    os.environ["CLARITY_USE_SSM"] = "true"
    del os.environ["MODEL_SIGNATURE_KEY"]

    push_file = tmp_path / "push.json"
    push_file.write_text(json.dumps({"database": {"password": password}, "model_signature_key": key}))
    for debug in ([], ["--debug"]):
        seen.append(cli(*debug, "ssm", "put", "extra/token", "--overwrite", stdin=password))
        seen.append(cli(*debug, "ssm", "delete", "extra/token"))
        seen.append(cli(*debug, "ssm", "pull", str(tmp_path / "pulled.env"), "--force"))
        for command in (
            ["show"],
            ["ssm", "push", str(push_file)],
            ["models", "sign", str(models / MODEL_FILES["small"]), "--size", "small"],
            ["models", "publish", str(models)],
            ["show", "--format", "json"],
            ["check"],
            ["check", "--format", "json"],
            ["ssm", "get", "model_signature_key"],
            ["ssm", "list"],
            ["ssm", "diff", str(tmp_path / "absent.json")],
            ["models", "verify", str(models)],
            ["iam-policy"],
        ):
            seen.append(cli(*debug, *command))
    seen.append(debug_everywhere.getvalue())

    everything = "\n".join(seen)
    assert "Response body" in everything, "botocore logged no body: the test would prove nothing"
    assert leaked(everything, key, password, short[:20]) == []
    assert key in cli("ssm", "get", "model_signature_key", "--reveal"), (
        "--reveal shows it, so a leak would show"
    )
