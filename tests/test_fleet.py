"""Fleet features against moto over HTTP: several prefixes with precedence, and label-pinned rollouts."""

from __future__ import annotations

import json
import os
from typing import Any

from click.testing import CliRunner, Result

from clarity_settings import provenance
from clarity_settings.cli import main
from tests.conftest import Project, Ssm

SHARED = "/clarity/shared"
SERVICE = "/clarity/production/api"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_later_prefixes_win_key_by_key_and_each_costs_its_own_pages(project: Project, ssm_on: Ssm) -> None:
    for n in range(12):
        ssm_on.put(f"{SHARED}/flags/flag_{n:02d}", f"shared-{n}")
    ssm_on.put(f"{SHARED}/database/host", "shared-db")
    ssm_on.put(f"{SHARED}/database/port", "@int 5432")
    ssm_on.put(f"{SERVICE}/database/host", "api-db")
    os.environ["CLARITY_SSM_PREFIX"] = f"{SHARED},{SERVICE}/"
    ssm_on.proxy.reset_counts()
    settings: Any = project.settings()
    assert (settings.DATABASE.HOST, settings.DATABASE.PORT, settings.FLAGS.FLAG_11) == (
        "api-db",
        5432,
        "shared-11",
    )
    assert ssm_on.proxy.requests["GetParametersByPath"] == 2 + 1
    host = provenance.describe_source(provenance.last_source_of_path(settings, ("DATABASE", "HOST")))
    port = provenance.describe_source(provenance.last_source_of_path(settings, ("DATABASE", "PORT")))
    assert (host, port) == (f"ssm {SERVICE}/database/host:1", f"ssm {SHARED}/database/port:1")


def test_show_reports_what_a_later_prefix_overrides(project: Project, ssm_on: Ssm, monkeypatch: Any) -> None:
    monkeypatch.chdir(project.root)
    ssm_on.put(f"{SHARED}/api_token", "shared-token")
    ssm_on.put(f"{SERVICE}/api_token", "service-token")
    os.environ["CLARITY_SSM_PREFIX"] = f"{SHARED},{SERVICE}"
    shown = run("show", "api_token").stdout.splitlines()
    assert f"overridden: API_TOKEN: {SERVICE}/api_token:1 wins over {SHARED}/api_token:1" in shown


def test_iam_policy_covers_every_prefix(project: Project, monkeypatch: Any) -> None:
    monkeypatch.chdir(project.root)
    os.environ["CLARITY_SSM_PREFIX"] = f"{SHARED},{SERVICE}"
    read_statement, decrypt = json.loads(run("iam-policy").stdout)["Statement"]
    assert read_statement["Resource"] == [
        f"arn:aws:ssm:*:*:parameter{SHARED}",
        f"arn:aws:ssm:*:*:parameter{SHARED}/*",
        f"arn:aws:ssm:*:*:parameter{SERVICE}",
        f"arn:aws:ssm:*:*:parameter{SERVICE}/*",
    ]
    assert decrypt["Condition"]["StringLike"]["kms:EncryptionContext:PARAMETER_ARN"] == [
        f"arn:aws:ssm:*:*:parameter{SHARED}/*",
        f"arn:aws:ssm:*:*:parameter{SERVICE}/*",
    ]


def test_a_label_pins_the_fleet_and_moving_it_moves_the_fleet(
    project: Project, ssm_on: Ssm, monkeypatch: Any
) -> None:
    monkeypatch.chdir(project.root)
    prefix = "/clarity/development"
    for name, value in (("api_token", "token-v1"), ("database/password", "password-v1")):
        ssm_on.put(f"{prefix}/{name}", value)
    assert run("ssm", "label", "stable", "--apply").exit_code == 0
    for name, value in (("api_token", "token-v2"), ("database/password", "password-v2")):
        ssm_on.put(f"{prefix}/{name}", value)
    os.environ["CLARITY_SSM_LABEL"] = "stable"
    settings: Any = project.settings()
    assert (settings.API_TOKEN, settings.DATABASE.PASSWORD) == ("token-v1", "password-v1")
    assert settings.get("API_TOKEN", fresh=True) == "token-v1"
    dry = run("ssm", "label", "stable")
    assert "dry run: 2 to label stable; add --apply to label them" in dry.stderr
    settings.refresh_now()
    assert settings.API_TOKEN == "token-v1"
    assert run("ssm", "label", "stable", "--apply").exit_code == 0
    settings.refresh_now()
    assert (settings.API_TOKEN, settings.DATABASE.PASSWORD) == ("token-v2", "password-v2")
    assert provenance.source_text(settings, "API_TOKEN") == f"ssm {prefix}/api_token:2"


def test_a_label_ssm_does_not_allow_is_refused(project: Project) -> None:
    os.environ.update({"CLARITY_SSM_LABEL": "aws-reserved", "CLARITY_USE_SSM": "true"})
    result = run("ssm", "label", "9lives")
    assert result.exit_code == 1
    assert "LABEL must be an SSM parameter label" in result.stderr


def test_an_environments_ssm_prefix_may_be_a_toml_list(project: Project, ssm_on: Ssm) -> None:
    project.write("settings.toml", f'[development]\nssm_prefix = ["{SHARED}", "{SERVICE}"]\n')
    ssm_on.put(f"{SHARED}/region", "eu-west-1")
    ssm_on.put(f"{SERVICE}/region", "eu-central-1")
    ssm_on.put(f"{SHARED}/colour", "blue")
    settings: Any = project.settings()
    assert (settings.REGION, settings.COLOUR) == ("eu-central-1", "blue")


def test_engine_exports_cover_every_prefix_and_the_label(
    project: Project, ssm_on: Ssm, monkeypatch: Any
) -> None:
    import yaml

    monkeypatch.chdir(project.root)
    ssm_on.put(f"{SHARED}/region", "eu")
    ssm_on.put(f"{SERVICE}/region", "us")
    ssm_on.put(f"{SERVICE}/api_token", "token")
    os.environ["CLARITY_SSM_PREFIX"] = f"{SHARED},{SERVICE}"
    external = list(yaml.safe_load_all(run("export", "--format", "external-secret").stdout))[1]
    assert [entry["find"]["path"] for entry in external["spec"]["dataFrom"]] == [SHARED, SERVICE]
    for name in (f"{SERVICE}/api_token", f"{SERVICE}/region"):
        ssm_on.client.label_parameter_version(Name=name, ParameterVersion=1, Labels=["stable"])
    os.environ["CLARITY_SSM_LABEL"] = "stable"
    provider = next(yaml.safe_load_all(run("export", "--format", "csi-secret-provider").stdout))
    listed = yaml.safe_load(provider["spec"]["parameters"]["objects"])
    assert [(item["objectName"], item["objectVersionLabel"]) for item in listed] == [
        (f"{SERVICE}/api_token", "stable"),
        (f"{SERVICE}/region", "stable"),
    ]
