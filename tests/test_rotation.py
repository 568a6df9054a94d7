"""docs/rotation.md, step by step, with the clarity-settings command against moto's server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from clarity_settings import ModelIntegrityError, SecretsManager, verify_model
from clarity_settings.cli import main
from clarity_settings.integrity import MODEL_FILES
from tests.conftest import Project, Ssm

OLD_KEY = "rotation-old-key-" + "o" * 30
NEW_KEY = "rotation-new-key-" + "n" * 30


def clarity(*args: str, stdin: str | None = None) -> str:
    """One command of the runbook; it must succeed."""
    result = CliRunner().invoke(main, ["--debug", *args], input=stdin, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture
def production(project: Project, ssm: Ssm, tmp_path: Path) -> tuple[Project, Path]:
    """Production on SSM with OLD_KEY and checksums it signed, as before a rotation."""
    models = tmp_path / "models"
    models.mkdir()
    for name in MODEL_FILES.values():
        (models / name).write_bytes(os.urandom(4096))
    os.environ.update(
        {
            "ENV_FOR_DYNACONF": "production",
            "CLARITY_USE_SSM": "true",
            "SETTINGS_FILE_FOR_DYNACONF": str(project.root / "settings.toml"),
        }
    )
    clarity("ssm", "put", "model_signature_key", stdin=OLD_KEY)
    clarity("models", "publish", str(models))
    return project, models


def verifying_key(project: Project, models: Path) -> str:
    """Which key a service started now verifies the small model with."""
    manager = SecretsManager(settings=project.settings())
    return verify_model(models / MODEL_FILES["small"], "small", manager=manager).signed_by


def test_the_rotation_runbook_never_leaves_a_moment_without_a_verifying_key(
    production: tuple[Project, Path],
) -> None:
    project, models = production
    assert verifying_key(project, models) == "current"

    clarity("ssm", "put", "model_signature_key_previous", stdin=OLD_KEY)
    clarity("ssm", "put", "model_signature_key", "--overwrite", stdin=NEW_KEY)
    assert verifying_key(project, models) == "previous"

    clarity("models", "publish", str(models))
    assert verifying_key(project, models) == "current"

    clarity("ssm", "delete", "model_signature_key_previous")
    assert verifying_key(project, models) == "current"
    assert SecretsManager(settings=project.settings()).get_model_signature_keys() == [NEW_KEY]


def test_after_the_rotation_checksums_signed_with_the_old_key_are_refused(
    production: tuple[Project, Path],
) -> None:
    project, models = production
    clarity("ssm", "put", "model_signature_key", "--overwrite", stdin=NEW_KEY)
    with pytest.raises(ModelIntegrityError, match="does not match its signed checksum"):
        verifying_key(project, models)
