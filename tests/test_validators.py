"""Whether a value is acceptable: each rule, in development and in the environments that fail closed."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import pytest
from dynaconf.validator import ValidationError
from hypothesis import assume, given
from hypothesis import strategies as st

from clarity_settings import ClaritySettingsError, InvalidSettingError
from clarity_settings.rules import RuleContext, checksums_problem, signature_key_problem
from tests.conftest import Project, production

GOOD_KEY = "k3y-" + "x" * 40
SIZES = ("small", "medium", "large")
HEX = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


def good_checksums() -> dict[str, str]:
    """A production-shaped EXPECTED_MODEL_CHECKSUMS."""
    return {size: str(n) * 64 for n, size in enumerate(SIZES, start=1)}


def production_settings(project: Project, **environment: str) -> Any:
    """Settings for production from the environment only, SSM off."""
    production(use_ssm=False, **environment)
    return project.settings()


def failure(project: Project, **environment: str) -> str:
    """The validation message production settings fail with at first use."""
    with pytest.raises(InvalidSettingError) as caught:
        production_settings(project, **environment).get("ANYTHING")
    return str(caught.value)


def complete(**changes: str) -> dict[str, str]:
    """A valid production environment, with some variables changed."""
    return {
        "MODEL_SIGNATURE_KEY": GOOD_KEY,
        "EXPECTED_MODEL_CHECKSUMS": json.dumps(good_checksums()),
        **changes,
    }


def test_a_complete_production_configuration_loads(project: Project) -> None:
    settings = production_settings(project, **complete())
    assert settings.MODEL_SIGNATURE_KEY == GOOD_KEY
    assert good_checksums() == settings.EXPECTED_MODEL_CHECKSUMS


@pytest.mark.parametrize("env", ["production", "staging", "qa"])
def test_no_signature_key_in_any_layer_fails_closed_at_first_use(project: Project, env: str) -> None:
    os.environ.update({"ENV_FOR_DYNACONF": env, "CLARITY_USE_SSM": "false"})
    os.environ["EXPECTED_MODEL_CHECKSUMS"] = json.dumps(good_checksums())
    with pytest.raises(ValidationError) as caught:
        project.settings().get("ANYTHING")
    message = str(caught.value)
    assert message.startswith(
        f"MODEL_SIGNATURE_KEY is required in {env}: set the SSM parameter /clarity/{env}"
    )
    assert isinstance(caught.value, ClaritySettingsError)


def test_the_validation_error_is_dynaconfs_and_the_packages(project: Project) -> None:
    with pytest.raises(ValidationError):
        production_settings(project).get("ANYTHING")
    with pytest.raises(ClaritySettingsError):
        production_settings(project).get("ANYTHING")


@pytest.mark.parametrize(
    ("key", "rule"),
    [
        ("short-key", "is shorter than the 32 characters production requires"),
        ("insecure-development-placeholder-model-signature-key", "is a development placeholder"),
        ("your-secure-hmac-key-here", "is a development placeholder"),
        ("   ", "is empty"),
        (" " + GOOD_KEY, "has leading or trailing whitespace"),
        (GOOD_KEY + "\n", "has leading or trailing whitespace"),
    ],
)
def test_a_weak_signature_key_is_refused_in_production_without_echoing_it(
    project: Project, key: str, rule: str
) -> None:
    message = failure(project, **complete(MODEL_SIGNATURE_KEY=key))
    assert message.startswith(f"MODEL_SIGNATURE_KEY {rule}")
    assert not key.strip() or key.strip() not in message


def test_a_signature_key_typed_as_a_number_by_dynaconf_is_refused(project: Project) -> None:
    message = failure(project, **complete(), CLARITY_MODEL_SIGNATURE_KEY="1" * 40)
    assert "must be text, not a number" in message
    assert "1" * 10 not in message


def test_a_development_placeholder_is_accepted_in_development_with_a_warning(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="clarity_settings"):
        key = project.settings().MODEL_SIGNATURE_KEY
    assert "insecure-development" in key
    assert "MODEL_SIGNATURE_KEY is an insecure development placeholder" in caplog.text


def test_the_previous_key_is_optional_but_held_to_the_same_rules(project: Project) -> None:
    assert production_settings(project, **complete()).get("MODEL_SIGNATURE_KEY_PREVIOUS") is None
    message = failure(project, **complete(MODEL_SIGNATURE_KEY_PREVIOUS="dev-key"))
    assert message.startswith("MODEL_SIGNATURE_KEY_PREVIOUS is a development placeholder")


@pytest.mark.parametrize(
    ("checksums", "rule"),
    [
        ('["a", "b"]', "must be a JSON object mapping model size to checksum, not a list"),
        ("42", "must be a JSON object mapping model size to checksum, not a number"),
        ("null", "must be a JSON object mapping model size to checksum, not null"),
        ('{"small": ', "is not valid JSON (Expecting value, line 1 column 11)"),
        ('"text"', "must be a JSON object mapping model size to checksum, not a JSON string"),
        ('{"tiny": "x"}', "names unknown model sizes 'tiny'"),
        ('{"SMALL": "x"}', "names unknown model sizes 'SMALL'"),
        ('{"' + "ab" * 32 + '": "small"}', "names unknown model sizes <a name of 64 characters>"),
        ('{"small": 7}', "has checksums that are not text or are empty for 'small'"),
        ('{"small": ""}', "has checksums that are not text or are empty for 'small'"),
    ],
)
@pytest.mark.parametrize("env", ["development", "production"])
def test_malformed_checksums_are_refused_in_every_environment(
    project: Project, checksums: str, rule: str, env: str
) -> None:
    os.environ.update(complete(EXPECTED_MODEL_CHECKSUMS=checksums, ENV_FOR_DYNACONF=env))
    with pytest.raises(InvalidSettingError) as caught:
        project.settings().get("ANYTHING")
    assert str(caught.value).startswith(f"EXPECTED_MODEL_CHECKSUMS {rule}")


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"large": None}, "lacks 'large'; production needs all of"),
        ({"small": "dev-checksum-small"}, "has checksums for 'small' that are not 64 hexadecimal"),
        ({"medium": "a" * 63}, "has checksums for 'medium' that are not 64 hexadecimal"),
        ({"medium": "a" * 65}, "has checksums for 'medium' that are not 64 hexadecimal"),
        ({"medium": "g" * 64}, "has checksums for 'medium' that are not 64 hexadecimal"),
    ],
)
def test_production_needs_three_hex_checksums(
    project: Project, change: dict[str, str | None], rule: str
) -> None:
    checksums = {size: value for size, value in {**good_checksums(), **change}.items() if value is not None}
    message = failure(project, **complete(EXPECTED_MODEL_CHECKSUMS=json.dumps(checksums)))
    assert message.startswith(f"EXPECTED_MODEL_CHECKSUMS {rule}")


def test_upper_case_hex_checksums_are_normalised_to_lower_case(project: Project) -> None:
    upper = {size: checksum.upper().replace("1", "A") for size, checksum in good_checksums().items()}
    settings = production_settings(project, **complete(EXPECTED_MODEL_CHECKSUMS=json.dumps(upper)))
    assert settings.EXPECTED_MODEL_CHECKSUMS["small"] == "a" * 64


def test_the_guides_development_placeholders_are_accepted_in_development(project: Project) -> None:
    os.environ["EXPECTED_MODEL_CHECKSUMS"] = '{"small": "dev", "medium": "dev", "large": "dev"}'
    assert project.settings().EXPECTED_MODEL_CHECKSUMS["large"] == "dev"


def test_checksums_are_required_outside_development(project: Project) -> None:
    message = failure(project, MODEL_SIGNATURE_KEY=GOOD_KEY)
    assert message.startswith("EXPECTED_MODEL_CHECKSUMS is required in production: publish signed checksums")


STRICT = RuleContext(env="production", prefix="/clarity/production")
LENIENT = RuleContext(env="development", prefix="/clarity/development")
SIZE_SUBSETS = st.lists(st.sampled_from(SIZES), unique=True)


@given(st.dictionaries(st.sampled_from(SIZES), HEX))
def test_hex_checksums_pass_in_production_exactly_when_all_three_sizes_are_there(
    checksums: dict[str, str],
) -> None:
    problem = checksums_problem(checksums, STRICT)
    assert (problem is None) == (set(checksums) == set(SIZES))


@given(st.dictionaries(st.sampled_from(SIZES), st.text(min_size=1)))
def test_any_non_empty_checksum_text_passes_in_development(checksums: dict[str, str]) -> None:
    assert checksums_problem(checksums, LENIENT) is None


@given(st.fixed_dictionaries({size: st.text(min_size=12) for size in SIZES}))
def test_a_checksum_problem_never_repeats_a_checksum(checksums: dict[str, str]) -> None:
    problem = checksums_problem(checksums, STRICT) or ""
    assert all(value[:10] not in problem for value in checksums.values() if value.strip())


KEY_MESSAGES = " ".join(
    signature_key_problem(key, STRICT) or ""
    for key in ["", " padded ", "short", "k" * 5000, "dev-test-key-only"]
)
"""The words every key message is made of: a key that happens to spell them proves nothing."""


@given(st.text(min_size=10))
def test_a_key_problem_never_repeats_the_key(key: str) -> None:
    assume(key.strip() and key.strip()[:10] not in KEY_MESSAGES)
    problem = signature_key_problem(key, STRICT) or ""
    assert key.strip()[:10] not in problem


@pytest.mark.parametrize(
    ("ttl", "accepted"),
    [
        ("300", True),
        ("0", True),
        ("1", True),
        ("1.5", True),
        ("0.5", False),
        ("1e-300", False),
        ("-1", False),
        ("soon", False),
        ("nan", False),
        ("inf", False),
    ],
)
def test_the_cache_ttl_is_0_or_at_least_one_second(project: Project, ttl: str, accepted: bool) -> None:
    os.environ["CLARITY_SECRETS_CACHE_TTL"] = ttl
    settings = project.settings()
    if accepted:
        assert float(ttl) == settings.SECRETS_CACHE_TTL
        return
    with pytest.raises(InvalidSettingError, match=r"SECRETS_CACHE_TTL \(CLARITY_SECRETS_CACHE_TTL\) must be"):
        settings.get("ANYTHING")


def test_an_invalid_prefix_in_settings_toml_is_reported_by_validation(project: Project) -> None:
    project.write("settings.toml", '[development]\nssm_prefix = "no-slash"\n')
    with pytest.raises(InvalidSettingError, match=r"SSM_PREFIX \(CLARITY_SSM_PREFIX\) must start with '/'"):
        project.settings().get("ANYTHING")


def test_validate_all_reports_one_line_per_failing_rule(project: Project) -> None:
    settings = production_settings(project, **complete())
    settings.set("MODEL_SIGNATURE_KEY", "short")
    settings.set("SECRETS_CACHE_TTL", -5)
    errors = settings.validators.validate_all(raise_error=False)
    assert [str(error).split(" ")[0] for error in errors] == ["MODEL_SIGNATURE_KEY", "SECRETS_CACHE_TTL"]
    with pytest.raises(ValidationError):
        settings.validators.validate()
