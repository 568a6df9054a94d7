"""The deployment files: the guide's Dockerfile, compose service, and Kubernetes objects."""

from __future__ import annotations

import json
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


ENGINE_FIELDS = json.loads((ROOT / "tests" / "data" / "engine_fields.json").read_text())


def field_paths(value: object, base: str = "") -> set[str]:
    """Every leaf of a manifest as a dotted path, '[]' for a list item."""
    if isinstance(value, dict):
        return {
            path
            for key, item in value.items()
            for path in field_paths(item, f"{base}.{key}" if base else key)
        }
    if isinstance(value, list):
        return {path for item in value for path in field_paths(item, f"{base}[]")}
    return {base}


def engine_documents(name: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A generated engine file: its objects, and the pod snippet its comments carry."""
    text = (DEPLOY / "k8s" / name).read_text()
    objects = [document for document in yaml.safe_load_all(text) if document]
    _, _, snippet = text.partition("# the pod spec adds")
    comment = "\n".join(line[2:] for line in snippet.splitlines()[1:])
    return objects, yaml.safe_load(comment)


@pytest.mark.parametrize("name", ["external-secret.yaml", "csi-secret-provider.yaml"])
def test_the_engine_manifests_use_only_the_engines_published_fields(name: str) -> None:
    objects, pod = engine_documents(name)
    for document in objects:
        allowed = set(ENGINE_FIELDS[f"{document['apiVersion']} {document['kind']}"])
        assert field_paths(document) <= allowed, document["kind"]
        if document["kind"] == "SecretProviderClass":
            listed = yaml.safe_load(document["spec"]["parameters"]["objects"])
            assert field_paths(listed) <= set(ENGINE_FIELDS["aws provider objects"])
    assert field_paths(pod) <= set(ENGINE_FIELDS["pod spec"])
    assert {"name": "CLARITY_SECRETS_DIR", "value": engines.MOUNT_PATH} in pod["containers"][0]["env"]


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
    external, _ = engine_documents("external-secret.yaml")
    rewrites = external[1]["spec"]["dataFrom"][0]["rewrite"]
    key = rewritten(parameter, rewrites)
    alias = next(iter(engines.mounted_files([(prefix, [parameter])])))
    assert key == alias
    assert data_values.setting_levels(key) == read.setting_path(prefix, parameter)
