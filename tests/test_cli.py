"""The clarity-settings command through click's CliRunner, and as a real process against local-ssm."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from clarity_settings.cli import main
from clarity_settings.cli.models import PROGRESS_THRESHOLD, hashing_progress
from clarity_settings.integrity import MODEL_FILES, expected_checksums
from clarity_settings.names import MODEL_SIZES
from tests.conftest import PREFIX, Project, Ssm
from tests.ssm_proxy import ACCESS_DENIED

SECRET = "cli-secret-value-9f8e7d6c5b4a"
KEY = "cli-signature-key-" + "s" * 30


@pytest.fixture
def cli(project: Project) -> Iterator[Project]:
    """Commands run as if started in the project directory, reading its files and nothing else."""
    os.environ["SETTINGS_FILE_FOR_DYNACONF"] = f"{project.root}/settings.toml,{project.root}/.secrets.toml"
    os.environ["ROOT_PATH_FOR_DYNACONF"] = str(project.root)
    cwd = Path.cwd()
    os.chdir(project.root)
    yield project
    os.chdir(cwd)


@pytest.fixture
def ssm_with_secret(ssm_on: Ssm) -> Ssm:
    """SSM on, holding one secret under the development prefix."""
    ssm_on.put(f"{PREFIX}/api_token", SECRET)
    return ssm_on


def run(*args: str, stdin: str | None = None) -> Result:
    """Invoke the command in this process."""
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def assert_no_secret(result: Result, secret: str = SECRET) -> None:
    """Neither stream holds the secret or any 10-character piece of it."""
    text = result.stdout + result.stderr
    assert all(secret[i : i + 10] not in text for i in range(len(secret) - 9))


def test_show_redacts_and_names_each_source(cli: Project, ssm_with_secret: Ssm) -> None:
    cli.write("settings.toml", '[development]\ncolour = "blue"\n')
    result = run("show")
    assert result.exit_code == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["API_TOKEN", "<str,", str(len(SECRET)), "chars>", "ssm", f"{PREFIX}/api_token:1"] in rows
    assert [
        "COLOUR",
        "<str,",
        "4",
        "chars>",
        "toml",
        str(cli.root.resolve() / "settings.toml"),
        "[development]",
    ] in rows
    assert f"file read: {cli.root.resolve() / 'settings.toml'}" in result.stdout.splitlines()
    assert_no_secret(result)


def test_show_reveals_only_when_asked_and_warns_on_stderr(cli: Project, ssm_with_secret: Ssm) -> None:
    result = run("show", "api_token", "--reveal", "--format", "json")
    assert json.loads(result.stdout) == [
        {"key": "API_TOKEN", "value": SECRET, "source": f"ssm {PREFIX}/api_token:1", "stale": False}
    ]
    assert "warning: --reveal prints secret values" in result.stderr
    ssm_with_secret.put(f"{PREFIX}/port", "@int 8080")
    ssm_with_secret.put(f"{PREFIX}/port_text", "8080")
    typed = run("show", "port", "port_text", "--reveal", "--format", "json")
    assert [row["value"] for row in json.loads(typed.stdout)] == [8080, "8080"]
    table = run("show", "port", "port_text", "--reveal").stdout.splitlines()
    assert [line.split()[1] for line in table[1:3]] == ["8080", '"8080"']


def test_show_of_an_unknown_key_is_one_line_and_exit_1(cli: Project) -> None:
    result = run("show", "nope")
    assert (result.exit_code, result.stderr) == (
        1,
        "error: no setting named nope; clarity-settings show lists them\n",
    )


def test_show_finds_nested_keys_dotted_or_slashed_with_the_parameter_that_set_each(
    cli: Project, ssm_with_secret: Ssm
) -> None:
    ssm_with_secret.put(f"{PREFIX}/database/password", SECRET)
    ssm_with_secret.put(f"{PREFIX}/database/host", "db.internal")
    result = run("show", "database.password", "DATABASE/host", "--format", "json")
    assert [(row["key"], row["value"], row["source"]) for row in json.loads(result.stdout)] == [
        ("DATABASE.PASSWORD", f"<str, {len(SECRET)} chars>", f"ssm {PREFIX}/database/password:1"),
        ("DATABASE.HOST", "<str, 11 chars>", f"ssm {PREFIX}/database/host:1"),
    ]
    assert run("show", "database.port").stderr == (
        "error: no setting named database.port; clarity-settings show lists them\n"
    )


def test_env_option_overrides_env_for_dynaconf(cli: Project) -> None:
    cli.write("settings.toml", '[staging]\ncolour = "green"\n[production]\ncolour = "red"\n')
    os.environ.update({"ENV_FOR_DYNACONF": "staging", "CLARITY_USE_SSM": "false", "MODEL_SIGNATURE_KEY": KEY})
    os.environ["EXPECTED_MODEL_CHECKSUMS"] = json.dumps({s: "a" * 64 for s in MODEL_FILES})
    assert json.loads(run("show", "colour", "--format", "json").stdout)[0]["value"] == "<str, 5 chars>"
    result = run("show", "colour", "ssm_prefix", "--env", "production", "--format", "json")
    assert [row["value"] for row in json.loads(result.stdout)] == ["<str, 3 chars>", "/clarity/production"]
    os.environ["ENV_FOR_DYNACONF"] = "staging"
    before = run("--env", "production", "show", "ssm_prefix", "--format", "json")
    assert json.loads(before.stdout)[0]["value"] == "/clarity/production"


def test_check_is_0_when_healthy_1_when_invalid_2_when_ssm_is_degraded(
    cli: Project, ssm_with_secret: Ssm
) -> None:
    healthy = run("check")
    assert (healthy.exit_code, healthy.stdout) == (
        0,
        f"ok: development, ssm healthy ({PREFIX} in us-east-1, 1 parameter(s)), security reduced\n",
    )
    invalid = run("check", "--env", "production")
    assert invalid.exit_code == 1
    production = "/clarity/production"
    assert invalid.stdout.splitlines() == [
        "invalid: MODEL_SIGNATURE_KEY is required in production: set the SSM parameter "
        f"{production}/model_signature_key or the environment variable MODEL_SIGNATURE_KEY; SSM was on "
        f"(USE_SSM (CLARITY_USE_SSM) is true) and {production} in us-east-1 held 0 parameter(s)",
        "invalid: EXPECTED_MODEL_CHECKSUMS is required in production: publish signed checksums as the SSM "
        f"parameter {production}/expected_model_checksums or the environment variable "
        f"EXPECTED_MODEL_CHECKSUMS; SSM was on (USE_SSM (CLARITY_USE_SSM) is true) and {production} in "
        "us-east-1 held 0 parameter(s)",
        f"warning: {production} in us-east-1 holds no parameters; check the prefix (CLARITY_SSM_PREFIX) and "
        "the region (AWS_DEFAULT_REGION)",
    ]
    ssm_with_secret.proxy.fail_every(ACCESS_DENIED)
    degraded = run("check", "--env", "production")
    assert degraded.exit_code == 2
    assert degraded.stdout.splitlines()[0] == (
        f"ssm: {production} in us-east-1 is unhealthy (probe: AccessDeniedException)"
    )


def test_check_says_why_ssm_was_off(cli: Project) -> None:
    os.environ["ENV_FOR_DYNACONF"] = "production"
    result = run("check")
    assert result.stdout.splitlines()[0].endswith(
        "; SSM was off (CLARITY_USE_SSM is not set and auto-detection found neither AWS credentials nor "
        "AWS compute)"
    )
    os.environ["CLARITY_USE_SSM"] = "false"
    assert run("check").stdout.splitlines()[0].endswith("; SSM was off (USE_SSM (CLARITY_USE_SSM) is false)")


def test_a_bad_value_names_the_variable_that_set_it(cli: Project) -> None:
    os.environ.update({"ENV_FOR_DYNACONF": "production", "CLARITY_USE_SSM": "false"})
    os.environ["CLARITY_MODEL_SIGNATURE_KEY"] = "short"
    assert run("check").stdout.splitlines()[0] == (
        "invalid: MODEL_SIGNATURE_KEY is shorter than the 32 characters production requires: fix it in the "
        "environment variable "
        "CLARITY_MODEL_SIGNATURE_KEY"
    )


def test_ssm_list_warns_of_an_empty_prefix_outside_development(cli: Project, ssm_with_secret: Ssm) -> None:
    assert run("ssm", "list").stderr == ""
    listed = run("--env", "production", "ssm", "list")
    assert (listed.exit_code, listed.stderr) == (
        0,
        "warning: no parameters under /clarity/production in us-east-1; check the prefix "
        "(CLARITY_SSM_PREFIX) and the region (AWS_DEFAULT_REGION)\n",
    )


def test_check_all_envs_fails_when_two_environments_share_a_key(cli: Project, ssm_with_secret: Ssm) -> None:
    cli.write(
        "settings.toml", '[default]\ncolour = "blue"\n[staging]\nworkers = 2\n[production]\nworkers = 8\n'
    )
    staging_key, production_key = "first-key-" + "s" * 30, "other-key-" + "p" * 30
    publish_environment(ssm_with_secret, "staging", staging_key)
    publish_environment(ssm_with_secret, "production", production_key)
    distinct = run("check", "--all-envs")
    assert (distinct.exit_code, distinct.stdout) == (
        0,
        "ok: every environment passes its checks and has its own keys (development, production, staging)\n",
    )
    ssm_with_secret.put("/clarity/production/model_signature_key_previous", staging_key)
    shared = run("check", "--all-envs")
    assert (shared.exit_code, shared.stdout) == (
        1,
        "shared: production MODEL_SIGNATURE_KEY_PREVIOUS and staging MODEL_SIGNATURE_KEY are the same key: "
        "give each environment its own\n",
    )
    assert_no_secret(shared, staging_key)
    assert_no_secret(shared, production_key)


def test_check_all_envs_compares_the_guides_environments_without_a_settings_file(
    cli: Project, ssm_with_secret: Ssm
) -> None:
    key = "one-key-for-two-" + "k" * 30
    publish_environment(ssm_with_secret, "staging", key)
    publish_environment(ssm_with_secret, "production", key)
    shared = run("check", "--all-envs")
    assert (shared.exit_code, shared.stdout) == (
        1,
        "shared: production MODEL_SIGNATURE_KEY and staging MODEL_SIGNATURE_KEY are the same key: give each "
        "environment its own\n",
    )


def test_check_all_envs_fails_naming_an_environment_that_breaks_its_rules(
    cli: Project, ssm_with_secret: Ssm
) -> None:
    publish_environment(ssm_with_secret, "production", "production-key-" + "p" * 30)
    result = run("check", "--all-envs")
    assert (result.exit_code, result.stdout.splitlines()[0]) == (
        1,
        "staging: invalid: MODEL_SIGNATURE_KEY is required in staging: set the SSM parameter "
        "/clarity/staging/model_signature_key or the environment variable MODEL_SIGNATURE_KEY; SSM was on "
        "(USE_SSM (CLARITY_USE_SSM) is true) and /clarity/staging in us-east-1 held 0 parameter(s)",
    )


def publish_environment(ssm: Ssm, env: str, key: str) -> None:
    """A complete set of the guide's secrets under an environment's prefix: the key and valid checksums."""
    ssm.put(f"/clarity/{env}/model_signature_key", key)
    ssm.put(f"/clarity/{env}/expected_model_checksums", json.dumps(dict.fromkeys(MODEL_SIZES, "a" * 64)))


def test_a_ttl_no_service_could_use_fails_show_too(cli: Project) -> None:
    os.environ.update({"CLARITY_USE_SSM": "false", "CLARITY_SECRETS_CACHE_TTL": "abc"})
    result = run("show")
    assert (result.exit_code, result.stderr) == (
        1,
        "error: SECRETS_CACHE_TTL (CLARITY_SECRETS_CACHE_TTL) must be a non-negative number of seconds, not "
        "text: set CLARITY_SECRETS_CACHE_TTL to a number of seconds such as 300\n",
    )


def test_ssm_put_reads_stdin_and_never_echoes_the_value(cli: Project, ssm_with_secret: Ssm) -> None:
    result = run("ssm", "put", "db/password", stdin=SECRET + "\n")
    assert result.stdout == f"put {PREFIX}/db/password (SecureString, version 1)\n"
    stored = ssm_with_secret.client.get_parameter(Name=f"{PREFIX}/db/password", WithDecryption=True)[
        "Parameter"
    ]
    assert (stored["Value"], stored["Type"]) == (SECRET, "SecureString")
    assert_no_secret(result)


def test_ssm_put_refuses_to_overwrite_without_the_flag(
    cli: Project, ssm_with_secret: Ssm, tmp_path: Path
) -> None:
    value_file = tmp_path / "value.txt"
    value_file.write_text("replacement-value")
    refused = run("ssm", "put", "api_token", "--from-file", str(value_file))
    assert (refused.exit_code, refused.stderr) == (
        1,
        "error: PutParameter failed (ParameterAlreadyExists): add --overwrite to replace it\n",
    )
    replaced = run(
        "ssm", "put", f"{PREFIX}/api_token", "--from-file", str(value_file), "--overwrite", "--type", "String"
    )
    assert replaced.stdout == f"put {PREFIX}/api_token (String, version 2)\n"


def test_ssm_get_redacts_unless_revealed(cli: Project, ssm_with_secret: Ssm) -> None:
    redacted = json.loads(run("ssm", "get", "api_token", "--format", "json").stdout)
    assert redacted == {
        "name": f"{PREFIX}/api_token",
        "type": "SecureString",
        "version": 1,
        "value": f"<str, {len(SECRET)} chars>",
    }
    assert (
        json.loads(run("ssm", "get", "api_token", "--reveal", "--format", "json").stdout)["value"] == SECRET
    )


def test_ssm_get_of_a_missing_parameter_says_what_to_do(cli: Project, ssm_with_secret: Ssm) -> None:
    result = run("ssm", "get", "absent")
    assert result.stderr.startswith(
        "error: GetParameter failed (ParameterNotFound): check the name and the prefix"
    )


def test_ssm_list_shows_names_types_versions_and_never_values(cli: Project, ssm_with_secret: Ssm) -> None:
    ssm_with_secret.put(f"{PREFIX}/hosts", "a,b", kind="StringList")
    result = run("ssm", "list", "--format", "json")
    listed = {(row["name"], row["type"], row["version"]) for row in json.loads(result.stdout)}
    assert listed == {(f"{PREFIX}/api_token", "SecureString", 1), (f"{PREFIX}/hosts", "StringList", 1)}
    assert all(row["last_modified"] for row in json.loads(result.stdout))
    assert_no_secret(result)


def test_ssm_push_plans_then_applies(cli: Project, ssm_with_secret: Ssm, tmp_path: Path) -> None:
    source = tmp_path / "push.env"
    source.write_text(
        f'API_TOKEN=ignored\nCLARITY_API_TOKEN="{SECRET}"\nCLARITY_DATABASE__PASSWORD="p@ss"\nMODEL_SIGNATURE_KEY="{KEY}"\nCLARITY_USE_SSM=true\n'
    )
    plan = run("ssm", "push", str(source), "--format", "json")
    assert [(row["name"], row["action"], row["type"]) for row in json.loads(plan.stdout)] == [
        (f"{PREFIX}/api_token", "unchanged", "SecureString"),
        (f"{PREFIX}/database/password", "add", "SecureString"),
        (f"{PREFIX}/model_signature_key", "add", "SecureString"),
    ]
    assert "dry run: 2 to write; add --apply to write them" in plan.stderr
    assert ssm_with_secret.client.get_parameters_by_path(Path=f"{PREFIX}/database")["Parameters"] == []
    applied = run("ssm", "push", str(source), "--apply")
    assert "applied: 2 written" in applied.stderr
    stored = ssm_with_secret.client.get_parameter(Name=f"{PREFIX}/database/password", WithDecryption=True)[
        "Parameter"
    ]
    assert (stored["Value"], stored["Type"]) == ("p@ss", "SecureString")
    assert_no_secret(plan, KEY)
    assert_no_secret(applied, KEY)


def test_ssm_pull_writes_a_private_file_that_loads_back_to_the_same_values(
    cli: Project, ssm_with_secret: Ssm
) -> None:
    ssm_with_secret.put(f"{PREFIX}/model_signature_key", "0123-" + KEY)
    ssm_with_secret.put(f"{PREFIX}/database/port", "0123")
    ssm_with_secret.put(f"{PREFIX}/quoted", 'a "quoted"\nline')
    target = cli.root / ".env"
    result = run("ssm", "pull", str(target))
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    os.environ["CLARITY_USE_SSM"] = "false"
    settings = cli.settings()
    assert (settings.API_TOKEN, settings.MODEL_SIGNATURE_KEY) == (SECRET, "0123-" + KEY)
    assert (settings.DATABASE.PORT, settings.QUOTED) == ("0123", 'a "quoted"\nline')
    refused = run("ssm", "pull", str(target))
    assert (refused.exit_code, refused.stderr) == (1, f"error: {target} exists; add --force to replace it\n")
    assert run("ssm", "pull", str(target), "--force").exit_code == 0


def test_ssm_pull_to_toml_writes_the_environments_section(cli: Project, ssm_with_secret: Ssm) -> None:
    ssm_with_secret.put(f"{PREFIX}/database/password", "pw")
    target = cli.root / ".secrets.toml"
    assert run("ssm", "pull", str(target)).exit_code == 0
    assert tomllib.loads(target.read_text()) == {
        "development": {"api_token": SECRET, "database": {"password": "pw"}}
    }


def test_ssm_diff_exits_0_when_equal_and_1_listing_names_otherwise(
    cli: Project, ssm_with_secret: Ssm, tmp_path: Path
) -> None:
    same = tmp_path / "same.json"
    same.write_text(json.dumps({"api_token": SECRET}))
    assert run("ssm", "diff", str(same)).exit_code == 0
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"api_token": "different", "new": {"key": "x"}}))
    result = run("ssm", "diff", str(other))
    assert (result.exit_code, result.stdout) == (1, f"change: {PREFIX}/api_token\nadd: {PREFIX}/new/key\n")
    ssm_with_secret.put(f"{PREFIX}/extra", "x")
    assert f"only in ssm: {PREFIX}/extra" in run("ssm", "diff", str(same)).stdout


def test_export_dotenv_and_json_hold_the_resolved_settings(cli: Project, ssm_with_secret: Ssm) -> None:
    cli.write("settings.toml", "[development]\nworkers = 4\ndebug = true\n")
    dotenv = run("export", "--format", "dotenv").stdout
    assert f"CLARITY_API_TOKEN='{SECRET}'" in dotenv.splitlines()
    assert "CLARITY_WORKERS='4'" in dotenv.splitlines()
    exported = json.loads(run("export", "--format", "json").stdout)
    assert (exported["API_TOKEN"], exported["WORKERS"], exported["DEBUG"]) == (SECRET, 4, True)


def test_export_kubernetes_objects_in_the_guides_shapes(cli: Project, ssm_with_secret: Ssm) -> None:
    secret = yaml.safe_load(run("export", "--format", "k8s-secret").stdout)
    assert (secret["kind"], secret["type"], secret["metadata"]["name"]) == (
        "Secret",
        "Opaque",
        "clarity-secrets",
    )
    assert secret["stringData"]["CLARITY_API_TOKEN"] == SECRET
    assert json.loads(secret["stringData"]["EXPECTED_MODEL_CHECKSUMS"])["small"] == "dev-checksum-small"
    config = yaml.safe_load(run("export", "--format", "k8s-configmap", "--name", "app-config").stdout)
    assert config["data"] == {
        "ENV_FOR_DYNACONF": "development",
        "CLARITY_USE_SSM": "true",
        "CLARITY_SSM_PREFIX": PREFIX,
        "CLARITY_SECRETS_CACHE_TTL": "300",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    assert config["metadata"]["name"] == "app-config"


def test_export_csi_secret_provider_lists_the_parameters_ssm_holds(
    cli: Project, ssm_with_secret: Ssm
) -> None:
    ssm_with_secret.put(f"{PREFIX}/database/password", SECRET)
    result = run("export", "--format", "csi-secret-provider")
    provider_class = next(yaml.safe_load_all(result.stdout))
    listed = yaml.safe_load(provider_class["spec"]["parameters"]["objects"])
    assert [(item["objectName"], item["objectAlias"]) for item in listed] == [
        (f"{PREFIX}/api_token", "api_token"),
        (f"{PREFIX}/database/password", "database__password"),
    ]
    assert_no_secret(result)


def exec_process(project: Project, *command: str, **popen: Any) -> subprocess.Popen[str]:
    """`clarity-settings exec -- COMMAND` as a real process in the project, SSM off, one setting set."""
    environment = {**os.environ, "CLARITY_USE_SSM": "false", "CLARITY_API_TOKEN": SECRET}
    return subprocess.Popen(
        [sys.executable, "-m", "clarity_settings", "exec", "--", *command],
        cwd=project.root,
        env=environment,
        text=True,
        **popen,
    )


def test_exec_becomes_the_command_with_the_settings_and_its_exit_status(cli: Project) -> None:
    token_passed = f"os.environ['CLARITY_API_TOKEN'] == {SECRET!r}"
    code = f"import os, sys; print(os.getpid()); sys.exit(7 if {token_passed} else 3)"
    process = exec_process(cli, sys.executable, "-c", code, stdout=subprocess.PIPE)
    output, _ = process.communicate(timeout=60)
    assert (process.returncode, int(output)) == (7, process.pid)


HANDLES_SIGNALS = """
import signal, sys
for name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"):
    signal.signal(getattr(signal, name), lambda number, frame: sys.exit(100 + number))
print("ready", flush=True)
signal.pause()
"""


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"])
def test_exec_hands_every_signal_to_the_command(cli: Project, name: str) -> None:
    process = exec_process(cli, sys.executable, "-c", HANDLES_SIGNALS, stdout=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    number = getattr(signal, name)
    process.send_signal(number)
    assert process.wait(timeout=30) == 100 + number


def test_exec_exits_127_for_a_missing_command_and_126_for_one_that_cannot_run(cli: Project) -> None:
    missing = exec_process(cli, "no-such-command-here", stderr=subprocess.PIPE)
    assert (missing.wait(timeout=60), missing.communicate()[1].splitlines()[-1]) == (
        127,
        "error: no-such-command-here: command not found",
    )
    (cli.root / "a-directory").mkdir()
    directory = exec_process(cli, "./a-directory", stderr=subprocess.PIPE)
    assert (directory.wait(timeout=60), directory.communicate()[1].splitlines()[-1]) == (
        126,
        "error: ./a-directory: is a directory",
    )
    cli.write("not-executable.sh", "#!/bin/sh\nexit 0\n")
    refused = exec_process(cli, "./not-executable.sh", stderr=subprocess.PIPE)
    assert (refused.wait(timeout=60), refused.communicate()[1].splitlines()[-1]) == (
        126,
        "error: ./not-executable.sh: permission denied (not executable)",
    )


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    """The three standard PAT files."""
    directory = tmp_path / "models"
    directory.mkdir()
    for n, name in enumerate(MODEL_FILES.values(), start=1):
        (directory / name).write_bytes(os.urandom(2000 * n))
    return directory


def test_models_sign_publish_and_verify(cli: Project, ssm_with_secret: Ssm, model_dir: Path) -> None:
    ssm_with_secret.put(f"{PREFIX}/model_signature_key", KEY)
    small = model_dir / MODEL_FILES["small"]
    signed = json.loads(run("models", "sign", str(small), "--size", "small").stdout)
    assert signed == {"small": expected_checksums({"small": small}, KEY)["small"]}
    published = run("models", "publish", str(model_dir))
    assert (
        published.stdout
        == f"published {PREFIX}/expected_model_checksums (version 1) for small, medium, large\n"
    )
    verified = run("models", "verify", str(model_dir), "--format", "json")
    assert (verified.exit_code, [(row["status"], row["key"]) for row in json.loads(verified.stdout)]) == (
        0,
        [("ok", "current")] * 3,
    )
    ssm_with_secret.put(f"{PREFIX}/model_signature_key_previous", KEY)
    ssm_with_secret.put(f"{PREFIX}/model_signature_key", "rotated-" + KEY)
    rotating = run("models", "verify", str(model_dir), "--format", "json")
    assert [row["key"] for row in json.loads(rotating.stdout)] == ["previous"] * 3
    small.write_bytes(b"tampered")
    failed = run("models", "verify", str(model_dir), "--format", "json")
    assert failed.exit_code == 1
    assert "does not match its signed checksum" in json.loads(failed.stdout)[0]["status"]
    assert_no_secret(failed, KEY)


def test_check_and_models_verify_agree_on_a_key_that_no_longer_verifies(
    cli: Project, ssm_with_secret: Ssm, model_dir: Path
) -> None:
    ssm_with_secret.put(f"{PREFIX}/model_signature_key", KEY)
    run("models", "publish", str(model_dir))
    os.environ["CLARITY_MODEL_DIR"] = str(model_dir)
    assert run("check").exit_code == 0
    ssm_with_secret.put(f"{PREFIX}/model_signature_key", "rotated-without-previous-" + KEY)
    checked = run("check")
    assert (checked.exit_code, checked.stdout.splitlines()[0].partition(" (expected")[0]) == (
        1,
        f"invalid: model small at {model_dir / MODEL_FILES['small']} does not match its signed checksum",
    )
    assert run("models", "verify").exit_code == 1


@pytest.mark.parametrize("command", ["sign", "publish", "verify"])
def test_models_commands_refuse_the_guides_example_key_outside_development(
    cli: Project, model_dir: Path, command: str
) -> None:
    os.environ.update({"ENV_FOR_DYNACONF": "production", "MODEL_SIGNATURE_KEY": "dev-test-key-only"})
    files = (
        [str(model_dir / MODEL_FILES["small"]), "--size", "small"] if command == "sign" else [str(model_dir)]
    )
    result = CliRunner().invoke(main, ["models", command, *files])
    assert (result.exit_code, result.stdout) == (1, "")
    assert "MODEL_SIGNATURE_KEY is a development placeholder, which production refuses" in result.stderr


def test_models_sign_refuses_a_placeholder_key_even_with_reduced_security(
    cli: Project, model_dir: Path
) -> None:
    os.environ.update({"ENV_FOR_DYNACONF": "staging", "CLARITY_ALLOW_REDUCED_SECURITY": "true"})
    result = CliRunner().invoke(
        main, ["models", "sign", str(model_dir / MODEL_FILES["small"]), "--size", "small"]
    )
    assert (result.exit_code, result.stdout) == (1, "")
    assert "which staging never signs or verifies with, even with reduced security" in result.stderr


def test_models_sign_needs_one_size_per_file(cli: Project, model_dir: Path) -> None:
    files = [str(model_dir / name) for name in MODEL_FILES.values()]
    result = CliRunner().invoke(main, ["models", "sign", *files[:2], "--size", "small"])
    assert result.exit_code == 2
    assert "give one --size for each FILE" in result.stderr


def test_iam_policy_grants_exactly_what_the_library_uses(cli: Project) -> None:
    policy = json.loads(run("iam-policy", "--prefix", "/clarity/production/").stdout)
    read, decrypt = policy["Statement"]
    assert read["Action"] == ["ssm:GetParameters", "ssm:GetParametersByPath"]
    assert read["Resource"] == [
        "arn:aws:ssm:*:*:parameter/clarity/production",
        "arn:aws:ssm:*:*:parameter/clarity/production/*",
    ]
    assert decrypt["Action"] == ["kms:Decrypt"]
    assert decrypt["Condition"] == {
        "StringLike": {
            "kms:ViaService": "ssm.*.amazonaws.com",
            "kms:EncryptionContext:PARAMETER_ARN": "arn:aws:ssm:*:*:parameter/clarity/production/*",
        }
    }
    assert "ssm:DescribeParameters" not in json.dumps(policy)
    bad = run("iam-policy", "--prefix", "clarity")
    assert bad.stderr == "error: --prefix must start with '/': use a path such as /clarity/production\n"


def test_iam_policy_write_grants_what_publishing_uses_and_a_denial_names_it(
    cli: Project, ssm_with_secret: Ssm
) -> None:
    publish, crypt = json.loads(run("iam-policy", "--prefix", PREFIX, "--write").stdout)["Statement"]
    assert (publish["Sid"], publish["Action"]) == (
        "PublishSettingsUnderPrefix",
        [
            "ssm:GetParameters",
            "ssm:GetParametersByPath",
            "ssm:GetParameter",
            "ssm:PutParameter",
            "ssm:DeleteParameter",
            "ssm:LabelParameterVersion",
        ],
    )
    assert crypt["Action"] == ["kms:Decrypt", "kms:Encrypt"]
    ssm_with_secret.proxy.fail_every(ACCESS_DENIED)
    assert run("ssm", "get", "api_token").stderr == (
        "error: GetParameter failed (AccessDeniedException): the IAM policy does not allow "
        "ssm:GetParameter (iam-policy --write prints one that does)\n"
    )
    assert run("ssm", "list").stderr == (
        "error: GetParametersByPath failed (AccessDeniedException): the IAM policy does not allow "
        "ssm:GetParametersByPath (iam-policy prints one that does)\n"
    )


def test_iam_policy_bound_to_an_account_region_and_key(cli: Project) -> None:
    key = "1234abcd-12ab-34cd-56ef-1234567890ab"
    args = ["--prefix", "/clarity/production", "--account", "123456789012", "--region", "eu-west-1"]
    read, decrypt = json.loads(run("iam-policy", *args, "--kms-key", key).stdout)["Statement"]
    parameters = "arn:aws:ssm:eu-west-1:123456789012:parameter/clarity/production"
    assert read["Resource"] == [parameters, f"{parameters}/*"]
    assert decrypt["Resource"] == [f"arn:aws:kms:eu-west-1:123456789012:key/{key}"]
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": "ssm.eu-west-1.amazonaws.com"},
        "StringLike": {"kms:EncryptionContext:PARAMETER_ARN": f"{parameters}/*"},
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "12345"], "--account must be a 12-digit AWS account ID"),
        (["--region", "mars"], "--region must be an AWS region such as eu-west-1"),
        (["--kms-key", "alias/aws/ssm"], "--kms-key must be a key ID or key ARN"),
        (["--kms-key", "1234abcd-12ab-34cd-56ef-1234567890ab"], "--kms-key needs --region and --account"),
    ],
)
def test_iam_policy_refuses_bindings_it_cannot_scope(cli: Project, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["iam-policy", "--prefix", "/clarity/production", *args])
    assert result.exit_code == 1
    assert message in result.stderr


def test_a_template_that_fails_is_one_line_that_never_shows_the_value(cli: Project) -> None:
    cli.write(
        "settings.toml", '[development]\npw = "hunter2-secret-value"\nx = "@format {this.pw:{this.pw}}"\n'
    )
    os.environ["CLARITY_USE_SSM"] = "false"
    result = run("show")
    assert (result.exit_code, result.stderr) == (
        1,
        "error: unexpected ValueError; --debug (before the subcommand) shows the traceback, which may show "
        "values\n",
    )
    assert_no_secret(result, "hunter2-secret-value")


def test_debug_shows_the_traceback(cli: Project) -> None:
    result = CliRunner().invoke(main, ["--debug", "show", "nope"])
    assert result.exit_code == 1
    assert isinstance(result.exception, Exception)
    assert "no setting named nope" in str(result.exception)


def command(*args: str) -> list[str]:
    """The installed console script."""
    script = shutil.which("clarity-settings", path=str(Path(sys.executable).parent))
    assert script is not None
    return [script, *args]


@pytest.fixture
def local_server(cli: Project, tmp_path: Path) -> Iterator[dict[str, str]]:
    """`clarity-settings local-ssm --seed` as a real process; yields the environment it printed."""
    seed = tmp_path / "seed.env"
    seed.write_text(f'CLARITY_API_TOKEN="{SECRET}"\nMODEL_SIGNATURE_KEY="{KEY}"\n')
    process = subprocess.Popen(command("local-ssm", "--seed", str(seed)), stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    exported = dict(process.stdout.readline().removeprefix("export ").strip().split("=", 1) for _ in range(4))
    yield {**os.environ, **exported, "CLARITY_USE_SSM": "true"}
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0


def test_real_processes_against_local_ssm(local_server: dict[str, str], model_dir: Path) -> None:
    def cli_process(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(command(*args), env=local_server, capture_output=True, text=True, check=False)

    shown = cli_process("show", "api_token", "--format", "json")
    assert json.loads(shown.stdout)[0]["source"] == f"ssm {PREFIX}/api_token:1"
    listed = cli_process("ssm", "list", "--format", "json")
    assert {row["name"] for row in json.loads(listed.stdout)} == {
        f"{PREFIX}/api_token",
        f"{PREFIX}/model_signature_key",
    }
    assert cli_process("models", "publish", str(model_dir)).returncode == 0
    verified = cli_process("models", "verify", str(model_dir))
    assert verified.returncode == 0, verified.stderr
    for result in (shown, listed, verified):
        assert SECRET[:10] not in result.stdout + result.stderr


def test_the_demo_runs_start_to_finish(cli: Project) -> None:
    result = run("demo")
    assert result.exit_code == 0, result.stderr
    assert (
        "after the TTL:   MODEL_SIGNATURE_KEY from ssm /clarity/production/model_signature_key:2"
        in result.stdout
    )
    assert result.stdout.count("verified small") == 2


def test_a_progress_bar_appears_on_a_terminal_for_files_over_64_mib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small, large = tmp_path / "small.h5", tmp_path / "large.h5"
    small.write_bytes(b"x")
    with large.open("wb") as handle:
        handle.truncate(PROGRESS_THRESHOLD + 1)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with hashing_progress([small]) as advance:
        assert advance is None
    with hashing_progress([small, large]) as advance:
        assert advance is not None
        advance(PROGRESS_THRESHOLD + 2)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    with hashing_progress([large]) as advance:
        assert advance is None


def test_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    assert run("--version").stdout.strip().endswith(version("clarity-settings"))


def test_the_configmap_carries_every_prefix_and_the_label_this_shell_reads(cli: Project) -> None:
    os.environ.update(
        {"CLARITY_SSM_PREFIX": "/clarity/shared,/clarity/production", "CLARITY_SSM_LABEL": "stable"}
    )
    data = yaml.safe_load(run("export", "--format", "k8s-configmap").stdout)["data"]
    assert (data["CLARITY_SSM_PREFIX"], data["CLARITY_SSM_LABEL"]) == (
        "/clarity/shared,/clarity/production",
        "stable",
    )


def test_the_csi_export_with_a_label_lists_only_parameters_carrying_it(cli: Project, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/api_token", "labelled")
    version = ssm_on.client.get_parameter(Name=f"{PREFIX}/api_token")["Parameter"]["Version"]
    ssm_on.client.label_parameter_version(
        Name=f"{PREFIX}/api_token", ParameterVersion=version, Labels=["stable"]
    )
    ssm_on.put(f"{PREFIX}/newer", "not labelled")
    os.environ["CLARITY_SSM_LABEL"] = "stable"
    documents = list(yaml.safe_load_all(run("export", "--format", "csi-secret-provider").stdout))
    objects = yaml.safe_load(documents[0]["spec"]["parameters"]["objects"])
    assert [item["objectName"] for item in objects] == [f"{PREFIX}/api_token"]
