"""The deployment files: the guide's Dockerfile, compose service, and Kubernetes objects."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from clarity_settings import data_values, engines, names
from clarity_settings.cli import main
from clarity_settings.ssm import read
from tests import manifest_schemas
from tests.conftest import Project

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
AWS_VARIABLES = {
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL_SSM",
    "AWS_PROFILE",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
}


def library_reads(variable: str) -> bool:
    """Every variable README's table lists: the switcher, CLARITY_*, the guide's names, boto3's own."""
    return (
        variable == names.ENV_SWITCHER
        or variable.startswith(f"{names.ENVVAR_PREFIX}_")
        or variable in names.GUIDE_VARIABLES
        or variable in AWS_VARIABLES
    )


def dockerfile_environment() -> dict[str, str]:
    """The ENV lines of deploy/Dockerfile."""
    text = (DEPLOY / "Dockerfile").read_text()
    return dict(re.findall(r"^ENV (\w+)=(\S+)$", text, flags=re.MULTILINE))


def compose_environment() -> dict[str, str]:
    """The app service's environment in deploy/docker-compose.yml."""
    service = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]["app"]
    return dict(item.split("=", 1) for item in service["environment"])


def test_the_dockerfile_sets_what_the_guides_production_image_sets_and_nothing_unread() -> None:
    environment = dockerfile_environment()
    assert all(library_reads(variable) for variable in environment)
    assert environment["CLARITY_USE_SSM"] == "true"
    assert {"CLARITY_SSM_PREFIX", "AWS_DEFAULT_REGION"} <= set(environment)
    assert not set(names.GUIDE_VARIABLES) & set(environment), "no secret may be baked into the image"


def test_compose_sets_what_the_guides_local_service_sets_and_nothing_unread() -> None:
    environment = compose_environment()
    assert all(library_reads(variable) for variable in environment)
    assert environment["CLARITY_USE_SSM"] == "false"
    assert {"MODEL_SIGNATURE_KEY", "EXPECTED_MODEL_CHECKSUMS"} <= set(environment)


def test_the_compose_environment_is_a_working_development_configuration(project: Project) -> None:
    os.environ.update({**dockerfile_environment(), **compose_environment()})
    settings = project.settings()
    assert settings.MODEL_SIGNATURE_KEY == "dev-key"
    assert settings.EXPECTED_MODEL_CHECKSUMS == {"small": "dev", "medium": "dev", "large": "dev"}


def test_the_checked_in_kubernetes_objects_are_what_export_generates(project: Project) -> None:
    os.environ.update(
        {
            "SETTINGS_FILE_FOR_DYNACONF": str(ROOT / "settings.toml"),
            "ENV_FOR_DYNACONF": "production",
            "CLARITY_USE_SSM": "false",
            "CLARITY_ALLOW_REDUCED_SECURITY": "true",
        }
    )
    for kind, name in (
        ("k8s-configmap", "configmap.yaml"),
        ("k8s-secret", "secret.yaml"),
        ("external-secret", "external-secret.yaml"),
        ("csi-secret-provider", "csi-secret-provider.yaml"),
    ):
        result = CliRunner().invoke(main, ["export", "--format", kind], catch_exceptions=False)
        assert result.stdout == (DEPLOY / "k8s" / name).read_text(), f"run make k8s: {name} is out of date"


def test_the_kubernetes_objects_have_the_guides_shapes() -> None:
    config = yaml.safe_load((DEPLOY / "k8s" / "configmap.yaml").read_text())
    secret = yaml.safe_load((DEPLOY / "k8s" / "secret.yaml").read_text())
    assert (config["kind"], config["data"]["CLARITY_USE_SSM"]) == ("ConfigMap", "true")
    assert all(library_reads(variable) for variable in config["data"])
    assert (secret["kind"], secret["type"]) == ("Secret", "Opaque")
    assert {"MODEL_SIGNATURE_KEY", "EXPECTED_MODEL_CHECKSUMS"} <= set(secret["stringData"])
    assert all(library_reads(variable) for variable in secret["stringData"])


AWS_PROVIDER_OBJECT_FIELDS = {
    "objectName",
    "objectType",
    "objectAlias",
    "objectVersion",
    "objectVersionLabel",
    "jmesPath",
}
"""The fields of an entry in a SecretProviderClass's 'objects' text that the AWS provider documents."""


def documents(text: str) -> list[dict[str, Any]]:
    """A generated file's objects, and the Pod its pod-snippet comments describe, as a cluster gets them."""
    objects = [document for document in yaml.safe_load_all(text) if document]
    _, marker, snippet = text.partition("# the pod spec adds")
    if not marker:
        return objects
    comment = "\n".join(line[2:] for line in snippet.splitlines()[1:])
    return [*objects, manifest_schemas.pod_with(yaml.safe_load(comment))]


def refused(text: str, kubernetes: str) -> dict[str, list[str]]:
    """Each object that Kubernetes (with the engines' CRDs) would refuse: its kind -> why."""
    found = {document["kind"]: manifest_schemas.errors(document, kubernetes) for document in documents(text)}
    return {kind: reasons for kind, reasons in found.items() if reasons}


@pytest.mark.parametrize("kubernetes", manifest_schemas.KUBERNETES_VERSIONS)
@pytest.mark.parametrize(
    "name", ["configmap.yaml", "secret.yaml", "external-secret.yaml", "csi-secret-provider.yaml"]
)
def test_every_checked_in_manifest_applies_to_the_engines_and_kubernetes(name: str, kubernetes: str) -> None:
    assert refused((DEPLOY / "k8s" / name).read_text(), kubernetes) == {}


@pytest.mark.parametrize(
    "arguments",
    [
        ["--format", "external-secret", "--store-kind", "SecretStore", "--store", "team-ssm"],
        ["--format", "csi-secret-provider", "--parameter", "database/password", "--name", "api"],
    ],
    ids=["secret-store", "csi-parameter"],
)
def test_each_engine_export_applies_to_the_engines_and_kubernetes(
    project: Project, arguments: list[str]
) -> None:
    os.environ.update(
        {
            "ENV_FOR_DYNACONF": "production",
            "CLARITY_USE_SSM": "false",
            "CLARITY_SSM_PREFIX": "/clarity/shared,/clarity/production",
            "CLARITY_SSM_LABEL": "stable",
        }
    )
    exported = CliRunner().invoke(main, ["export", *arguments], catch_exceptions=False).stdout
    assert refused(exported, manifest_schemas.KUBERNETES_VERSIONS[-1]) == {}


def test_an_external_secret_of_the_api_the_operator_no_longer_serves_is_refused() -> None:
    external = documents((DEPLOY / "k8s" / "external-secret.yaml").read_text())[1]
    retired = {**external, "apiVersion": "external-secrets.io/v1beta1"}
    assert manifest_schemas.errors(retired, manifest_schemas.KUBERNETES_VERSIONS[-1]) != []


def test_a_field_the_engine_does_not_know_is_refused() -> None:
    external = documents((DEPLOY / "k8s" / "external-secret.yaml").read_text())[1]
    misspelt = {**external, "spec": {**external["spec"], "refreshIntervals": "300s"}}
    assert manifest_schemas.errors(misspelt, manifest_schemas.KUBERNETES_VERSIONS[-1]) == [
        "spec: Additional properties are not allowed ('refreshIntervals' was unexpected)"
    ]


def test_the_csi_objects_use_only_the_fields_the_aws_provider_documents() -> None:
    provider = documents((DEPLOY / "k8s" / "csi-secret-provider.yaml").read_text())[0]
    listed = yaml.safe_load(provider["spec"]["parameters"]["objects"])
    assert {field for entry in listed for field in entry} <= AWS_PROVIDER_OBJECT_FIELDS


def test_the_pod_snippets_point_the_library_at_the_mounted_volume() -> None:
    pod = documents((DEPLOY / "k8s" / "external-secret.yaml").read_text())[-1]
    assert {"name": "CLARITY_SECRETS_DIR", "value": engines.MOUNT_PATH} in pod["spec"]["containers"][0]["env"]


def rewritten(key: str, rewrites: list[dict[str, Any]]) -> str:
    """ESO's rewrites in order: regexp as RE2's ReplaceAll ('$1' groups unused), transform as its template."""
    for rewrite in rewrites:
        if "regexp" in rewrite:
            key = re.sub(rewrite["regexp"]["source"], rewrite["regexp"]["target"], key)
        else:
            key = transformed(key, rewrite["transform"]["template"])
    return key


def transformed(key: str, template: str) -> str:
    """A Go template of the one shape used, '{{ .value | f | ... }}', with sprig's lower and replace."""
    pipeline = re.fullmatch(r"\{\{ \.value((?: \| [^|]+)*) \}\}", template)
    assert pipeline is not None, template
    for step in pipeline.group(1).split(" | ")[1:]:
        function, *arguments = shlex.split(step)
        if function == "lower":
            key = key.lower()
        else:
            assert function == "replace", step
            old, new = arguments
            key = key.replace(old, new)
    return key


@pytest.mark.parametrize(
    "relative",
    ["model_signature_key", "MODEL_SIGNATURE_KEY", "database/password", "a/b-c/d.e", "Db/DB-Pass.word"],
)
def test_each_engine_names_a_file_as_the_setting_its_parameter_maps_to(relative: str) -> None:
    prefix = "/clarity/production"
    parameter = f"{prefix}/{relative}"
    external = documents((DEPLOY / "k8s" / "external-secret.yaml").read_text())[1]
    rewrites = external["spec"]["dataFrom"][0]["rewrite"]
    key = rewritten(parameter, rewrites)
    alias = next(iter(engines.mounted_files([(prefix, [parameter])])))
    assert key == alias
    assert data_values.setting_levels(key) == read.setting_path(prefix, parameter)
