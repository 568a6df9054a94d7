"""docs/troubleshooting.md quotes the messages the library prints: trigger each and find it there."""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from clarity_settings import (
    ClaritySettingsError,
    InvalidSettingError,
    ModelIntegrityError,
    SecretsManager,
    verify_model,
)
from clarity_settings.cli import main
from clarity_settings.integrity import MODEL_FILES
from tests.conftest import PRODUCTION_PREFIX as PREFIX
from tests.conftest import Project, Ssm, production
from tests.ssm_proxy import ACCESS_DENIED, DROP

DOC = (Path(__file__).resolve().parent.parent / "docs" / "troubleshooting.md").read_text()


def test_the_outage_warning_and_recovery_notice(
    project: Project, ssm: Ssm, caplog: pytest.LogCaptureFixture
) -> None:
    production(
        use_ssm=True,
        MODEL_SIGNATURE_KEY="k" * 40,
        EXPECTED_MODEL_CHECKSUMS=json.dumps({s: "a" * 64 for s in MODEL_FILES}),
    )
    ssm.proxy.fail_every(ACCESS_DENIED)
    with caplog.at_level(logging.INFO, logger="clarity_settings.ssm"):
        settings = project.settings()
        settings.get("MODEL_SIGNATURE_KEY")
        ssm.proxy.reset()
        settings.refresh_now()
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert all(message in DOC for message in messages)


def test_the_development_outage_warning_names_dotenv_which_only_development_reads(
    project: Project, ssm: Ssm, caplog: pytest.LogCaptureFixture
) -> None:
    os.environ.update({"ENV_FOR_DYNACONF": "development", "CLARITY_USE_SSM": "true"})
    ssm.proxy.fail_every(ACCESS_DENIED)
    with caplog.at_level(logging.WARNING, logger="clarity_settings.ssm"):
        project.settings().get("MODEL_SIGNATURE_KEY")
    (warning,) = [record.getMessage() for record in caplog.records if record.name == "clarity_settings.ssm"]
    assert warning in DOC


def test_the_snapshot_messages(project: Project, ssm: Ssm, caplog: pytest.LogCaptureFixture) -> None:
    path = project.root / "settings.snapshot"
    production(
        use_ssm=True,
        CLARITY_SNAPSHOT_PATH=str(path),
        CLARITY_SNAPSHOT_KEY=base64.b64encode(bytes(32)).decode(),
        MODEL_SIGNATURE_KEY="k" * 40,
        EXPECTED_MODEL_CHECKSUMS=json.dumps({s: "a" * 64 for s in MODEL_FILES}),
    )
    project.settings().instance  # noqa: B018 - the first load writes the snapshot
    ssm.proxy.fail_every(DROP)
    with caplog.at_level(logging.WARNING, logger="clarity_settings"):
        project.settings().instance  # noqa: B018 - a cold start from the snapshot
        os.environ["CLARITY_SSM_PREFIX"] = f"/clarity/shared,{PREFIX}"
        project.settings().instance  # noqa: B018 - a cold start that refuses it
    messages = [
        re.sub(r"written \d+ s ago", "written 3600 s ago", record.getMessage()).replace(
            str(path), "/var/lib/app/settings.snapshot"
        )
        for record in caplog.records
        if record.name == "clarity_settings"
    ]
    assert [message in DOC for message in messages] == [True, True]


@pytest.mark.parametrize(
    "ssm_state", ["off by auto-detection", "off by the switch", "on and empty", "on and denied"]
)
def test_the_missing_key_message_says_what_ssm_did(project: Project, ssm: Ssm, ssm_state: str) -> None:
    production(use_ssm=ssm_state != "off by the switch")
    if ssm_state == "off by auto-detection":
        for variable in ("CLARITY_USE_SSM", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            del os.environ[variable]
    if ssm_state == "on and denied":
        ssm.proxy.fail_every(ACCESS_DENIED)
    with pytest.raises(InvalidSettingError) as caught:
        project.settings().get("ANYTHING")
    assert str(caught.value) in DOC


def test_a_refused_value_names_the_variable_that_set_it(project: Project) -> None:
    production(use_ssm=False, CLARITY_MODEL_SIGNATURE_KEY="short")
    with pytest.raises(InvalidSettingError) as caught:
        project.settings().get("ANYTHING")
    assert str(caught.value) in DOC


def exit_codes_documented() -> dict[int, str]:
    """The check exit-code table: exit code to the first line quoted for it."""
    section = DOC.split("## `check` exit codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([0-9]) \| [^|]+ \| `([^`]+)` \|$", section, flags=re.MULTILINE)
    return {int(code): line for code, line in rows}


def test_check_exit_codes_are_the_documented_ones(
    project: Project, ssm: Ssm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    documented = exit_codes_documented()
    assert set(documented) == {0, 1, 2}
    production(use_ssm=True)
    for name in ("model_signature_key", "expected_model_checksums", "api_token"):
        ssm.put(
            f"{PREFIX}/{name}",
            "k" * 40
            if name != "expected_model_checksums"
            else json.dumps({s: "a" * 64 for s in MODEL_FILES}),
        )
    healthy = CliRunner().invoke(main, ["check"])
    assert (healthy.exit_code, healthy.stdout.splitlines()[0]) == (0, documented[0])
    ssm.delete(f"{PREFIX}/model_signature_key")
    invalid = CliRunner().invoke(main, ["check"])
    assert invalid.exit_code == 1
    assert invalid.stdout.startswith(documented[1].removesuffix("..."))
    ssm.proxy.fail_every(ACCESS_DENIED)
    degraded = CliRunner().invoke(main, ["check"])
    assert (degraded.exit_code, degraded.stdout.splitlines()[0]) == (2, documented[2])
    ssm.proxy.reset()
    for name in ("expected_model_checksums", "api_token"):
        ssm.delete(f"{PREFIX}/{name}")
    empty = CliRunner().invoke(main, ["check"])
    assert in_doc(empty.stdout.splitlines()[-1], project)


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


def in_doc(message: str, project: Project) -> bool:
    """The message as the page quotes it, with the project directory written as /srv/app."""
    return (
        message.replace(str(project.root.resolve()), "/srv/app").replace(str(project.root), "/srv/app") in DOC
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("api_token", "@format {env}"),
        ("workers", "@int eight"),
        ("limits", '@json {"dynaconf_merge": true}'),
        ("includes_for_dynaconf", "/srv/attack.py"),
        ("allow_reduced_security", "true"),
    ],
)
def test_the_trust_boundary_messages_for_ssm(project: Project, ssm: Ssm, name: str, value: str) -> None:
    production(use_ssm=True)
    ssm.put(f"{PREFIX}/{name}", value)
    with pytest.raises(ClaritySettingsError) as caught:
        project.settings().get("ANYTHING")
    assert in_doc(str(caught.value), project)


def test_the_trust_boundary_messages_for_variables_and_files(project: Project) -> None:
    os.environ["CLARITY_ENV_FOR_DYNACONF"] = "development"
    with pytest.raises(ClaritySettingsError) as caught:
        project.settings().get("ANYTHING")
    assert in_doc(str(caught.value), project)
    del os.environ["CLARITY_ENV_FOR_DYNACONF"]
    project.write(".env", "INCLUDES_FOR_DYNACONF=/srv/attack.py\n")
    with pytest.raises(ClaritySettingsError) as caught:
        project.settings().get("ANYTHING")
    assert in_doc(str(caught.value), project)
    (project.root / ".env").unlink()
    project.write("settings.toml", "[default]\nenv_for_dynaconf = 'development'\n")
    with pytest.raises(ClaritySettingsError) as caught:
        project.settings().get("ANYTHING")
    assert in_doc(str(caught.value), project)


@pytest.mark.parametrize(
    ("real_environment", "dotenv", "marker"),
    [
        ({"ENV_FOR_DYNACONF": "production"}, "CLARITY_ANYTHING=1\n", "is not read"),
        ({}, "ENV_FOR_DYNACONF=staging\nCLARITY_ANYTHING=1\n", "are not used"),
    ],
    ids=["a .env outside development", "a .env that chose staging"],
)
def test_the_dotenv_warnings(
    project: Project,
    caplog: pytest.LogCaptureFixture,
    real_environment: dict[str, str],
    dotenv: str,
    marker: str,
) -> None:
    os.environ.update({"CLARITY_USE_SSM": "false", **real_environment})
    project.write(".env", dotenv)
    with pytest.raises(InvalidSettingError):
        project.settings().get("ANYTHING")
    warnings = [record.getMessage() for record in caplog.records if marker in record.getMessage()]
    assert warnings
    assert all(in_doc(message, project) for message in warnings)


def test_the_ignored_reduced_security_warning(project: Project, caplog: pytest.LogCaptureFixture) -> None:
    production(use_ssm=False)
    project.write("settings.toml", "[production]\nallow_reduced_security = true\n")
    with pytest.raises(InvalidSettingError):
        project.settings().get("ANYTHING")
    warnings = [record.getMessage() for record in caplog.records if "is ignored" in record.getMessage()]
    assert warnings
    assert all(in_doc(message, project) for message in warnings)


def test_the_pull_and_models_messages(project: Project, ssm: Ssm, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project.root)
    production(use_ssm=True)
    ssm.put(f"{PREFIX}/api_token", "@str @format {env}")
    pulled = CliRunner().invoke(main, ["ssm", "pull", "pulled.toml"])
    assert in_doc(pulled.stderr.removeprefix("error: ").strip(), project)
    os.environ["MODEL_SIGNATURE_KEY"] = "dev-test-key-only"
    signed = CliRunner().invoke(main, ["models", "verify", str(project.root)])
    assert in_doc(signed.stderr.removeprefix("error: ").strip(), project)


def test_the_mixed_case_attribute_message(project: Project) -> None:
    settings = project.settings()
    with pytest.raises(AttributeError) as caught:
        settings.Model_Signature_Key  # noqa: B018 - before the first load: the object's own message
    assert str(caught.value) in DOC
    settings.MODEL_SIGNATURE_KEY  # noqa: B018 - the first load
    with pytest.raises(AttributeError) as settled:
        settings.Model_Signature_Key  # noqa: B018 - loaded: Python's own message
    assert str(settled.value) in DOC.replace("\n", " ")


def command_line_table() -> set[tuple[int, str]]:
    """The command-line table: (exit code, message) rows."""
    section = DOC.split("## Command-line messages and exit codes", 1)[1].split("\n## ", 1)[0]
    return {
        (int(code), message)
        for code, message in re.findall(r"^\| ([0-9]+) \| [^|]+ \| `(.+)` \|$", section, flags=re.MULTILINE)
    }


def cli_line(project: Project, *args: str) -> tuple[int, str]:
    """A command's exit code and its last line (stderr first), as the page quotes it."""
    result = CliRunner().invoke(main, list(args))
    output = (result.stderr or result.stdout).strip().splitlines()[-1]
    return result.exit_code, output.replace(str(project.root.resolve()), "/srv/app")


def test_the_command_line_table(project: Project, ssm: Ssm, monkeypatch: pytest.MonkeyPatch) -> None:
    table = command_line_table()
    monkeypatch.chdir(project.root)
    production(use_ssm=True)
    project.write("settings.toml", "[production]\nworkers = \n")
    assert cli_line(project, "show") in table
    project.write("settings.toml", '[production]\nworkers = "@int eight"\n')
    assert cli_line(project, "show") in table
    (project.root / "settings.toml").unlink()
    os.environ["CLARITY_API_TOKEN"] = "@int x"
    assert cli_line(project, "show") in table
    del os.environ["CLARITY_API_TOKEN"]
    os.environ["CLARITY_SECRETS_CACHE_TTL"] = "5m"
    assert cli_line(project, "check") in table
    del os.environ["CLARITY_SECRETS_CACHE_TTL"]
    project.write("app.env", "DATABASE_URL=postgres://db\nCLARITY_API_TOKEN=token\n")
    assert (0, CliRunner().invoke(main, ["ssm", "push", "app.env"]).stderr.splitlines()[0]) in table
    assert cli_line(project, "ssm", "push", "app.env", "--strict") in table
    ssm.proxy.fail_every(ACCESS_DENIED, operation="PutParameter")
    assert cli_line(project, "ssm", "push", "app.env", "--apply") in table
    ssm.proxy.reset()
    ssm.put(f"{PREFIX}/database", '@json {"host": "a"}')
    project.write("split.json", json.dumps({"production": {"database": {"host": "b"}}}))
    assert cli_line(project, "ssm", "push", "split.json") in table


def test_the_shared_key_and_exec_lines(project: Project, ssm: Ssm, monkeypatch: pytest.MonkeyPatch) -> None:
    table = command_line_table()
    monkeypatch.chdir(project.root)
    os.environ.update(
        {"CLARITY_USE_SSM": "true", "SETTINGS_FILE_FOR_DYNACONF": str(project.root / "settings.toml")}
    )
    project.write("settings.toml", "[staging]\nworkers = 2\n[production]\nworkers = 8\n")
    ssm.put("/clarity/staging/model_signature_key", "one-key-" + "s" * 30)
    ssm.put("/clarity/production/model_signature_key", "other-key-" + "p" * 30)
    ssm.put("/clarity/production/model_signature_key_previous", "one-key-" + "s" * 30)
    assert cli_line(project, "check", "--all-envs") in table
    os.environ.update({"CLARITY_USE_SSM": "false", "PATH": str(project.root)})
    for command, code in (("gunicorn", 127), ("./start.sh", 126)):
        project.write("start.sh", "#!/bin/sh\n")
        process = subprocess.run(
            [sys.executable, "-m", "clarity_settings", "exec", "--", command],
            cwd=project.root, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert (process.returncode, process.stderr.strip().splitlines()[-1]) in table
        assert process.returncode == code


def test_the_unencrypted_key_warning(project: Project, ssm: Ssm, caplog: pytest.LogCaptureFixture) -> None:
    production(use_ssm=True)
    ssm.put(f"{PREFIX}/model_signature_key", "k" * 40, kind="String")
    with caplog.at_level(logging.WARNING, logger="clarity_settings.ssm"), pytest.raises(InvalidSettingError):
        project.settings().get("ANYTHING")
    assert any(
        record.getMessage() in DOC for record in caplog.records if "as a String" in record.getMessage()
    )


def test_the_export_refusals(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    table = command_line_table()
    monkeypatch.chdir(project.root)
    os.environ.update(
        {"CLARITY_USE_SSM": "false", "SETTINGS_FILE_FOR_DYNACONF": str(project.root / "settings.toml")}
    )
    project.write("settings.toml", '[default]\n"a b" = 1\n')
    assert cli_line(project, "export", "--format", "dotenv") in table
    assert cli_line(project, "export", "--format", "k8s-secret") in table
