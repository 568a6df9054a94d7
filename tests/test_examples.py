"""The examples as their users run them: Flask's test client, a plain script, against moto over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from clarity_settings.integrity import MODEL_FILES, expected_checksums
from examples.flask_app.app import create_app
from tests.conftest import Project, Ssm, eventually

KEY = "example-signature-key-" + "e" * 30
ROTATION_TTL = 1.0
PREFIX = "/clarity/production"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def models(tmp_path: Path, ssm: Ssm) -> Path:
    """Three model files whose key and signed checksums are published in SSM for production."""
    directory = tmp_path / "models"
    directory.mkdir()
    for n, name in enumerate(MODEL_FILES.values(), start=1):
        (directory / name).write_bytes(os.urandom(500 * n))
    paths = {size: directory / name for size, name in MODEL_FILES.items()}
    ssm.put(f"{PREFIX}/model_signature_key", KEY)
    ssm.put(f"{PREFIX}/expected_model_checksums", json.dumps(expected_checksums(paths, KEY)))
    os.environ.update({"ENV_FOR_DYNACONF": "production", "CLARITY_USE_SSM": "true"})
    return directory


def app_for(project: Project, models: Path) -> Flask:
    """The example app reading only this project's files, with its models in models."""
    return create_app(
        root_path=str(project.root),
        settings_files=[str(project.root / "settings.toml")],
        model_dir=str(models),
    )


def test_the_flask_app_reads_ssm_into_app_config(project: Project, models: Path) -> None:
    app = app_for(project, models)
    assert app.config["MODEL_SIGNATURE_KEY"] == KEY
    assert set(app.config["EXPECTED_MODEL_CHECKSUMS"]) == set(MODEL_FILES)


def test_a_rotation_in_ssm_reaches_flask_app_config_within_the_ttl(
    project: Project, models: Path, ssm: Ssm
) -> None:
    os.environ["CLARITY_SECRETS_CACHE_TTL"] = str(ROTATION_TTL)
    app = app_for(project, models)
    assert app.config["MODEL_SIGNATURE_KEY"] == KEY
    assert app.dynaconf.next_refresh_at - time.monotonic() > 0  # type: ignore[attr-defined]
    rotated = "rotated-" + KEY
    ssm.put(f"{PREFIX}/model_signature_key", rotated)
    eventually(lambda: app.config["MODEL_SIGNATURE_KEY"] == rotated, within=ROTATION_TTL + 1)
    config: Any = app.config  # dynaconf's DynaconfConfig answers attributes too
    assert config.get("MODEL_SIGNATURE_KEY") == config.MODEL_SIGNATURE_KEY == rotated


def test_a_parameter_deleted_from_ssm_leaves_flask_app_config(
    project: Project, models: Path, ssm: Ssm
) -> None:
    ssm.put(f"{PREFIX}/api_token", "token-1")
    app = app_for(project, models)
    assert (app.config["API_TOKEN"], "API_TOKEN" in app.config) == ("token-1", True)
    ssm.delete(f"{PREFIX}/api_token")
    app.dynaconf.refresh_now()  # type: ignore[attr-defined]
    assert (app.config.get("API_TOKEN"), "API_TOKEN" in app.config) == (None, False)
    with pytest.raises(KeyError):
        app.config["API_TOKEN"]


def test_the_flask_health_route_reports_sources_and_no_value(project: Project, models: Path) -> None:
    client = app_for(project, models).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    health = response.get_json()
    assert (health["ssm_status"], health["environment"], health["security"]) == (
        "healthy",
        "production",
        "full",
    )
    assert health["secrets"]["MODEL_SIGNATURE_KEY"]["source"] == "ssm"
    assert KEY[:10] not in response.get_data(as_text=True)


def test_the_flask_metrics_route_serves_prometheus_text(project: Project, models: Path) -> None:
    client = app_for(project, models).test_client()
    client.get("/healthz")
    assert "clarity_source_requests_total{" in client.get("/metrics").get_data(as_text=True)


def test_the_flask_health_route_names_dotenv_as_the_source_of_a_dotenv_key(project: Project) -> None:
    project.write(".env", f"MODEL_SIGNATURE_KEY={KEY}\n")
    os.environ.update({"CLARITY_USE_SSM": "false", "DOTENV_PATH_FOR_DYNACONF": str(project.root / ".env")})
    client = create_app(root_path=str(project.root), settings_files=[]).test_client()
    source = client.get("/healthz").get_json()["secrets"]["MODEL_SIGNATURE_KEY"]["source"]
    assert source == "dotenv"


def test_the_flask_verify_route_accepts_genuine_and_refuses_tampered_models(
    project: Project, models: Path
) -> None:
    client = app_for(project, models).test_client()
    genuine = client.post("/models/medium/verify").get_json()
    assert genuine["verified"] is True, genuine
    (models / MODEL_FILES["medium"]).write_bytes(b"tampered")
    refused = client.post("/models/medium/verify")
    assert refused.status_code == 409
    assert "does not match its signed checksum" in refused.get_json()["error"]
    assert client.post("/models/huge/verify").status_code == 404


def test_the_flask_health_route_says_503_while_ssm_is_down(project: Project, models: Path) -> None:
    os.environ["AWS_ENDPOINT_URL_SSM"] = "http://127.0.0.1:9"
    os.environ["MODEL_SIGNATURE_KEY"] = KEY
    os.environ["EXPECTED_MODEL_CHECKSUMS"] = json.dumps({size: "a" * 64 for size in MODEL_FILES})
    client = app_for(project, project.root).test_client()
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()["ssm_status"]) == (503, "unhealthy")


def test_the_plain_script_verifies_and_reports(models: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "plain" / "app.py"), str(models)],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "DOTENV_PATH_FOR_DYNACONF"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "small: verified (PAT-S_29k_weights.h5, key current)" in result.stdout
    assert "signature key configured: True" in result.stdout
    assert KEY[:10] not in result.stdout + result.stderr


def manage(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the Django example's manage.py as a user would, from its directory."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=EXAMPLES / "django_project",
        env={k: v for k, v in os.environ.items() if k != "DOTENV_PATH_FOR_DYNACONF"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_django_settings_hold_the_secret_from_ssm(models: Path) -> None:
    shown = manage(
        "shell", "-c", "from django.conf import settings; print(len(settings.MODEL_SIGNATURE_KEY))"
    )
    assert (shown.returncode, shown.stdout.strip().splitlines()[-1]) == (0, str(len(KEY))), shown.stderr


def test_django_runserver_names_the_django_settings_module() -> None:
    os.environ["CLARITY_USE_SSM"] = "false"
    with subprocess.Popen(
        [sys.executable, "-u", "manage.py", "runserver", "--noreload", "127.0.0.1:0"],
        cwd=EXAMPLES / "django_project",
        env={k: v for k, v in os.environ.items() if k != "DOTENV_PATH_FOR_DYNACONF"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as server:
        assert server.stdout is not None
        announced = next(line for line in server.stdout if "using settings" in line)
        server.send_signal(signal.SIGINT)
    assert announced.rstrip().endswith("using settings 'clarity_site.settings'")


def test_django_settings_module_stays_the_module_name_after_a_refresh() -> None:
    os.environ["CLARITY_USE_SSM"] = "false"
    shown = manage(
        "shell",
        "-c",
        "from django.conf import settings; settings.DYNACONF.refresh_now(); print(settings.SETTINGS_MODULE)",
    )
    assert shown.stdout.strip().splitlines()[-1] == "clarity_site.settings", shown.stderr


ROTATION_WATCH = """
import os, sys, time
from django.conf import settings
before = os.environ["WATCHED_KEY"]
print("before:", settings.MODEL_SIGNATURE_KEY == before, flush=True)
sys.stdin.readline()
deadline = time.monotonic() + {within}
while settings.MODEL_SIGNATURE_KEY == before and time.monotonic() < deadline:
    time.sleep(0.01)
print("after:", settings.MODEL_SIGNATURE_KEY == "rotated-" + before, flush=True)
"""


def test_the_django_metrics_view_serves_prometheus_text(models: Path) -> None:
    shown = manage(
        "shell",
        "-c",
        "from django.test import Client; "
        "print(b'clarity_source_requests_total{' in Client().get('/metrics', HTTP_HOST='localhost').content)",
    )
    assert shown.stdout.strip().splitlines()[-1] == "True", shown.stderr


def test_a_rotation_in_ssm_reaches_django_conf_settings_within_the_ttl(models: Path, ssm: Ssm) -> None:
    os.environ["CLARITY_SECRETS_CACHE_TTL"] = str(ROTATION_TTL)
    watch = ROTATION_WATCH.format(within=ROTATION_TTL + 1)
    with subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", watch],
        cwd=EXAMPLES / "django_project",
        env={**{k: v for k, v in os.environ.items() if k != "DOTENV_PATH_FOR_DYNACONF"}, "WATCHED_KEY": KEY},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as django:
        assert django.stdout is not None
        assert django.stdin is not None
        started = django.stdout.readline()
        while started and not started.startswith("before:"):
            started = django.stdout.readline()
        ssm.put(f"{PREFIX}/model_signature_key", "rotated-" + KEY)
        django.stdin.write("rotated\n")
        django.stdin.flush()
        finished, errors = django.communicate(timeout=60)
    assert (started, finished, django.returncode) == ("before: True\n", "after: True\n", 0), errors


def test_the_secrets_manager_reports_on_the_object_django_reads(models: Path) -> None:
    shown = manage(
        "shell",
        "-c",
        "from django.conf import settings; from clarity_settings import SecretsManager; "
        "freshness = SecretsManager(settings=settings).freshness; "
        "print('kept fresh by', type(freshness).__name__, freshness.next_refresh_at < float('inf'))",
    )
    assert shown.stdout.strip().splitlines()[-1] == "kept fresh by ClaritySettings True", shown.stderr


def test_django_refreshes_report_real_changes_only_and_the_manager_reads_django(models: Path) -> None:
    shown = manage(
        "shell",
        "-c",
        "from django.conf import settings; from clarity_settings import get_secrets_manager; "
        "fresh = settings.DYNACONF; fresh.refresh_now(); fresh.refresh_now(); "
        "print('refreshed:', fresh.last_change_at, get_secrets_manager().settings is fresh)",
    )
    assert shown.stdout.strip().splitlines()[-1] == "refreshed: None True", shown.stderr


def test_django_conf_fresh_reads_keep_the_good_key_when_the_new_one_is_refused(
    models: Path, ssm: Ssm
) -> None:
    shown = manage(
        "shell",
        "-c",
        "import boto3\nfrom django.conf import settings\n"
        "settings.MODEL_SIGNATURE_KEY\n"
        f"boto3.client('ssm').put_parameter(Name='{PREFIX}/model_signature_key', Value='too-short', "
        "Type='SecureString', Overwrite=True)\n"
        "try:\n    settings.get('MODEL_SIGNATURE_KEY', fresh=True)\n"
        "except Exception as error:\n    print('refused:', type(error).__name__)\n"
        "print('kept:', len(settings.MODEL_SIGNATURE_KEY))",
    )
    assert shown.stdout.strip().splitlines()[-2:] == ["refused: InvalidSettingError", f"kept: {len(KEY)}"], (
        shown.stderr
    )


def test_django_check_secrets_is_0_when_healthy_and_2_when_ssm_refuses(models: Path, ssm: Ssm) -> None:
    healthy = manage("check_secrets")
    expected = f"ok: production, ssm healthy ({PREFIX} in us-east-1, 2 parameter(s)), security full\n"
    assert (healthy.returncode, healthy.stdout) == (0, expected), healthy.stderr
    os.environ["MODEL_SIGNATURE_KEY"] = KEY
    os.environ["EXPECTED_MODEL_CHECKSUMS"] = json.dumps({size: "a" * 64 for size in MODEL_FILES})
    os.environ["AWS_ENDPOINT_URL_SSM"] = "http://127.0.0.1:9"
    degraded = manage("check_secrets")
    assert degraded.returncode == 2
    assert degraded.stdout.startswith(
        f"ssm: {PREFIX} in us-east-1 is unhealthy (probe: EndpointConnectionError)"
    )


def test_django_refuses_to_start_in_production_without_a_key(ssm: Ssm) -> None:
    os.environ.update({"ENV_FOR_DYNACONF": "production", "CLARITY_USE_SSM": "true"})
    refused = manage("check_secrets")
    assert refused.returncode == 1
    assert "MODEL_SIGNATURE_KEY is required in production" in refused.stderr
