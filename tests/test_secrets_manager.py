"""The guide's secrets-manager API: one truth with settings, health without values, fail closed."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clarity_settings
from clarity_settings import (
    ConfigurationError,
    InvalidSettingError,
    SecretsManager,
    SsmUnavailableError,
    get_secrets_manager,
    reset_secrets_manager,
)
from clarity_settings.names import MODEL_SIZES
from tests.conftest import PREFIX, PRODUCTION_PREFIX, REGION, Project, Ssm, production, publish
from tests.ssm_proxy import ACCESS_DENIED

CHECKSUMS = {size: str(n) * 64 for n, size in enumerate(("small", "medium", "large"), start=1)}
GUIDE_HEALTH_KEYS = {"service", "use_ssm", "ssm_prefix", "cache_size", "cache_ttl_seconds", "ssm_status"}


@pytest.fixture
def ssm_with_model_secrets(ssm_on: Ssm) -> Ssm:
    """SSM forced on, holding a signature key and checksums under the development prefix."""
    ssm_on.put(f"{PREFIX}/model_signature_key", "ssm-key")
    ssm_on.put(f"{PREFIX}/expected_model_checksums", json.dumps(CHECKSUMS))
    return ssm_on


def test_the_guides_api_reads_the_model_integrity_secrets(
    project: Project, ssm_with_model_secrets: Ssm
) -> None:
    ssm_with_model_secrets.put(f"{PREFIX}/model_signature_key_previous", "old-key")
    manager = SecretsManager(settings=project.settings())
    assert manager.get_model_signature_key() == "ssm-key"
    assert manager.get_model_signature_keys() == ["ssm-key", "old-key"]
    assert manager.get_model_checksums() == CHECKSUMS
    assert type(manager.get_model_checksums()) is dict


def test_the_manager_and_settings_agree_before_and_after_a_rotation(
    project: Project, ssm_with_model_secrets: Ssm
) -> None:
    settings = project.settings()
    manager = SecretsManager(settings=settings)
    assert manager.get_model_signature_key() == settings.MODEL_SIGNATURE_KEY == "ssm-key"
    ssm_with_model_secrets.put(f"{PREFIX}/model_signature_key", "rotated-key")
    manager.refresh_cache("model_signature_key")
    assert settings.MODEL_SIGNATURE_KEY == manager.get_model_signature_key() == "rotated-key"


def test_get_string_and_get_json_fall_back_to_env_var_then_default(project: Project) -> None:
    manager = SecretsManager(settings=project.settings())
    os.environ.update({"LEGACY_TOKEN": "from-legacy-variable", "LEGACY_MAP": '{"a": 1}'})
    assert manager.get_string("api_token", env_var="LEGACY_TOKEN") == "from-legacy-variable"
    assert manager.get_string("api_token", default="fallback") == "fallback"
    assert manager.get_json("limits", env_var="LEGACY_MAP") == {"a": 1}
    assert manager.get_json("limits", default={"b": 2}) == {"b": 2}
    with pytest.raises(
        ConfigurationError, match="EXPECTED_MODEL_CHECKSUMS is not text; read it with get_json"
    ):
        manager.get_string("expected_model_checksums")


def test_get_json_refuses_what_is_not_an_object_without_echoing_it(project: Project) -> None:
    os.environ.update({"CLARITY_RATES": "@json [1, 2]", "CLARITY_BROKEN": "{not json secret-ish"})
    manager = SecretsManager(settings=project.settings())
    with pytest.raises(ConfigurationError, match="RATES is not a JSON object"):
        manager.get_json("rates")
    with pytest.raises(ConfigurationError, match="BROKEN is not valid JSON") as caught:
        manager.get_json("broken")
    assert "secret-ish" not in str(caught.value)


def test_health_has_the_originals_keys_and_per_secret_provenance(
    project: Project, ssm_with_model_secrets: Ssm
) -> None:
    project.write(".env", "MODEL_SIGNATURE_KEY_PREVIOUS=from-dotenv\n")
    health = SecretsManager(settings=project.settings()).health_check()
    assert set(health) >= GUIDE_HEALTH_KEYS | {"environment", "security", "last_error", "secrets"}
    assert (health["ssm_status"], health["ssm_prefix"], health["use_ssm"]) == ("healthy", PREFIX, True)
    assert (health["security"], health["cache_size"], health["last_error"]) == ("full", 2, None)
    secrets = health["secrets"]
    assert secrets["MODEL_SIGNATURE_KEY"]["source"] == "ssm"
    assert 0 <= secrets["MODEL_SIGNATURE_KEY"]["age_seconds"] < 60
    assert secrets["MODEL_SIGNATURE_KEY_PREVIOUS"]["source"] == "dotenv"


@pytest.mark.parametrize(
    ("where", "source"),
    [("environment", "env"), ("settings.toml", "toml"), ("nowhere", "default")],
)
def test_health_names_each_kind_of_source(project: Project, where: str, source: str) -> None:
    if where == "environment":
        os.environ["MODEL_SIGNATURE_KEY"] = "from-environment"
    if where == "settings.toml":
        project.write("settings.toml", '[development]\nmodel_signature_key = "from-toml"\n')
    health = SecretsManager(settings=project.settings()).health_check()
    assert health["secrets"]["MODEL_SIGNATURE_KEY"]["source"] == source


def test_ssm_off_means_no_request_even_for_a_health_probe(project: Project, ssm: Ssm) -> None:
    os.environ["CLARITY_USE_SSM"] = "false"
    health = SecretsManager(settings=project.settings()).health_check(probe=True)
    assert (health["ssm_status"], health["use_ssm"], health["ssm_probe"]) == ("disabled", False, "disabled")
    assert ssm.proxy.total == 0


def test_the_health_probe_is_one_undecrypted_read_and_reports_denial(
    project: Project, ssm_with_model_secrets: Ssm
) -> None:
    manager = SecretsManager(settings=project.settings())
    manager.get_model_signature_key()
    ssm_with_model_secrets.proxy.reset()
    assert manager.health_check(probe=True)["ssm_probe"] == "ok"
    assert ssm_with_model_secrets.proxy.requests == {"GetParametersByPath": 1}
    ssm_with_model_secrets.proxy.fail_every(ACCESS_DENIED)
    assert manager.health_check(probe=True)["ssm_probe"] == "AccessDeniedException"


SECRET = st.text(alphabet="αβγδεζηθικλμνξπρστυφχψωΔΘΛΞΠΣΦΨΩ-_#", min_size=12, max_size=40)
"""Letters no report text uses, so any 10-character window found in a report is a leak, not chance."""


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(key=SECRET, previous=SECRET)
def test_no_value_or_piece_of_one_appears_in_health_or_repr(
    project: Project, key: str, previous: str
) -> None:
    os.environ.update(
        {"MODEL_SIGNATURE_KEY": key, "MODEL_SIGNATURE_KEY_PREVIOUS": previous, "CLARITY_USE_SSM": "0"}
    )
    manager = SecretsManager(settings=project.settings())
    assert manager.get_model_signature_key() == key
    text = json.dumps(manager.health_check(), ensure_ascii=False) + repr(manager)
    for secret in (key, previous):
        assert all(secret[i : i + 10] not in text for i in range(len(secret) - 9))


def test_production_without_a_key_refuses_unless_reduced_security_is_allowed(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    os.environ.update({"ENV_FOR_DYNACONF": "production", "CLARITY_USE_SSM": "false"})
    with pytest.raises(
        clarity_settings.InvalidSettingError, match="MODEL_SIGNATURE_KEY is required in production"
    ):
        SecretsManager(settings=project.settings()).get_model_signature_key()
    os.environ["CLARITY_ALLOW_REDUCED_SECURITY"] = "true"
    with caplog.at_level(logging.ERROR, logger="clarity_settings"):
        manager = SecretsManager(settings=project.settings())
        assert manager.get_model_signature_key().startswith("insecure-development")
    assert "production runs with reduced security" in caplog.text
    assert manager.health_check()["security"] == "reduced"


def test_reduced_security_still_refuses_a_real_but_weak_key(project: Project) -> None:
    os.environ.update(
        {
            "ENV_FOR_DYNACONF": "production",
            "CLARITY_USE_SSM": "false",
            "CLARITY_ALLOW_REDUCED_SECURITY": "true",
            "MODEL_SIGNATURE_KEY": "short-real-key",
        }
    )
    with pytest.raises(clarity_settings.InvalidSettingError, match="shorter than the 32 characters"):
        project.settings().get("ANYTHING")


def test_an_unknown_reduced_security_value_is_an_error_naming_the_variable(project: Project) -> None:
    os.environ["CLARITY_ALLOW_REDUCED_SECURITY"] = "sometimes"
    with pytest.raises(ConfigurationError, match="CLARITY_ALLOW_REDUCED_SECURITY must be true or false"):
        project.settings().get("ANYTHING")


def test_code_options_and_an_injected_client_beat_the_environment(
    project: Project, ssm: Ssm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    ssm.put("/team/app/model_signature_key", "team-key")
    os.environ.update({"CLARITY_USE_SSM": "false", "CLARITY_SSM_PREFIX": "/ignored"})
    client = boto3.client("ssm", region_name=REGION, endpoint_url=ssm.proxy.url)
    manager = SecretsManager(ssm_prefix="/team/app/", use_ssm=True, client=client, cache_ttl_seconds=5)
    assert manager.get_model_signature_key() == "team-key"
    health = manager.health_check()
    assert (health["ssm_prefix"], health["cache_ttl_seconds"]) == ("/team/app", 5.0)


def test_invalid_constructor_options_are_refused(project: Project) -> None:
    with pytest.raises(ConfigurationError, match="ssm_prefix must start with '/'"):
        SecretsManager(ssm_prefix="team/app")
    with pytest.raises(ConfigurationError, match="cache_ttl_seconds must be a finite, non-negative number"):
        SecretsManager(cache_ttl_seconds=-1)
    with pytest.raises(ConfigurationError, match="either settings or the SSM options"):
        SecretsManager(settings=project.settings(), ssm_prefix="/team/app")


def test_there_is_one_manager_per_process_until_reset(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    os.environ.update({"CLARITY_USE_SSM": "false", "MODEL_SIGNATURE_KEY": "first"})
    reset_secrets_manager()
    manager = get_secrets_manager()
    assert get_secrets_manager() is manager
    assert manager.settings is clarity_settings.settings
    assert manager.get_model_signature_key() == "first"
    os.environ["MODEL_SIGNATURE_KEY"] = "second"
    reset_secrets_manager()
    assert get_secrets_manager() is not manager
    assert (
        get_secrets_manager().get_model_signature_key()
        == clarity_settings.settings.MODEL_SIGNATURE_KEY
        == "second"
    )
    reset_secrets_manager()


def test_a_missing_key_names_the_prefix_given_in_code(
    project: Project, ssm: Ssm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    os.environ["ENV_FOR_DYNACONF"] = "production"
    manager = SecretsManager(ssm_prefix="/team/app", use_ssm=True)
    with pytest.raises(InvalidSettingError) as caught:
        manager.get_model_signature_key()
    assert "set the SSM parameter /team/app/model_signature_key or" in str(caught.value)


def test_refresh_cache_returns_once_the_new_set_is_in(project: Project, ssm_on: Ssm) -> None:
    publish(ssm_on, 1)
    manager = SecretsManager(settings=project.settings())
    assert manager.get_model_signature_key() == "key-1"
    publish(ssm_on, 2)
    manager.refresh_cache()
    assert ssm_on.proxy.requests["GetParametersByPath"] == 2
    assert manager.get_model_signature_key() == "key-2"


def test_refresh_cache_says_why_the_previous_set_stays(project: Project, ssm_on: Ssm) -> None:
    publish(ssm_on, 1)
    manager = SecretsManager(settings=project.settings())
    assert manager.get_model_signature_key() == "key-1"
    publish(ssm_on, 2)
    ssm_on.proxy.fail_every(ACCESS_DENIED)
    with pytest.raises(SsmUnavailableError, match=r"SSM could not be read \(AccessDeniedException\)"):
        manager.refresh_cache("model_signature_key")
    assert manager.get_model_signature_key() == "key-1"


def test_refresh_cache_refuses_a_set_that_breaks_a_rule(project: Project, ssm_on: Ssm) -> None:
    production(use_ssm=True, EXPECTED_MODEL_CHECKSUMS=json.dumps({size: "a" * 64 for size in MODEL_SIZES}))
    ssm_on.put(f"{PRODUCTION_PREFIX}/model_signature_key", "k" * 40)
    manager = SecretsManager(settings=project.settings())
    assert manager.get_model_signature_key() == "k" * 40
    ssm_on.put(f"{PRODUCTION_PREFIX}/model_signature_key", "too-short")
    with pytest.raises(InvalidSettingError, match="shorter than the 32 characters production requires"):
        manager.refresh_cache()
    assert manager.get_model_signature_key() == "k" * 40
