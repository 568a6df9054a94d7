"""docs/troubleshooting.md quotes the messages the library prints: trigger each and find it there."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import pytest

from clarity_settings import (
    ClaritySettingsError,
    InvalidSettingError,
    ModelIntegrityError,
    SecretsManager,
    verify_model,
)
from clarity_settings.integrity import MODEL_FILES
from tests.conftest import Project, Ssm
from tests.ssm_proxy import ACCESS_DENIED

DOC = (Path(__file__).resolve().parent.parent / "docs" / "troubleshooting.md").read_text()
PREFIX = "/clarity/production"


def production(**environment: str) -> None:
    """Production with SSM on, plus the given variables."""
    os.environ.update({"ENV_FOR_DYNACONF": "production", "CLARITY_USE_SSM": "true", **environment})


def test_the_outage_warning_and_recovery_notice(
    project: Project, ssm: Ssm, caplog: pytest.LogCaptureFixture
) -> None:
    production(
        MODEL_SIGNATURE_KEY="k" * 40, EXPECTED_MODEL_CHECKSUMS=json.dumps({s: "a" * 64 for s in MODEL_FILES})
    )
    ssm.proxy.fail_every(ACCESS_DENIED)
    with caplog.at_level(logging.INFO, logger="clarity_settings.ssm"):
        settings = project.settings()
        settings.get("MODEL_SIGNATURE_KEY")
        ssm.proxy.reset()
        settings.expire()
        settings.get("MODEL_SIGNATURE_KEY")
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert all(message in DOC for message in messages)


def test_the_missing_key_message(project: Project, ssm: Ssm) -> None:
    production()
    with pytest.raises(InvalidSettingError) as caught:
        project.settings().get("ANYTHING")
    assert str(caught.value).split(";")[0] in DOC


@pytest.mark.parametrize(
    ("variable", "value"), [("CLARITY_USE_SSM", "maybe"), ("CLARITY_SSM_PREFIX", "clarity")]
)
def test_the_configuration_messages(project: Project, variable: str, value: str) -> None:
    os.environ[variable] = value
    with pytest.raises(ClaritySettingsError) as caught:
        project.settings().get("ANYTHING")
    assert str(caught.value) in DOC


def test_the_model_messages(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    path = Path("models") / MODEL_FILES["small"]
    path.write_bytes(b"weights")
    os.environ.update({"CLARITY_USE_SSM": "false"})
    placeholder = SecretsManager(settings=project.settings())
    with pytest.raises(ModelIntegrityError) as caught:
        verify_model(path, "small", manager=placeholder)
    assert str(caught.value) in DOC
    os.environ.update(
        {"MODEL_SIGNATURE_KEY": "k" * 40, "EXPECTED_MODEL_CHECKSUMS": json.dumps({"small": "b" * 64})}
    )
    with pytest.raises(ModelIntegrityError) as caught:
        verify_model(path, "small", manager=SecretsManager(settings=project.settings()))
    shape = re.sub(r"[0-9a-f]{8}\.\.\.", "HEX...", str(caught.value))
    assert shape in re.sub(r"[0-9a-f]{8}\.\.\.", "HEX...", DOC)
