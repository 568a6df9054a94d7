"""Bad input: each gets a clear error naming the variable or key and the rule, never the value.

The .env, TOML and SSM paths and the checksum validator are fuzzed: a key arrives exactly as
written, and the one rule fuzzed text can break is reported with a message that holds no piece of it.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clarity_settings import ClaritySettingsError, file_formats
from clarity_settings.placeholders import DEVELOPMENT_PLACEHOLDER_MARK
from clarity_settings.rules import RuleContext, checksums_problem
from tests.conftest import Project, Ssm

GOOD_CHECKSUMS = json.dumps({size: "a" * 64 for size in ("small", "medium", "large")})
GOOD_KEY = "k" * 40


def pieces(text: str, size: int = 10) -> list[str]:
    """Every window of a value that a message must not contain."""
    return [text[i : i + size] for i in range(max(0, len(text) - size + 1))]


def refused(project: Project, **environment: str) -> str:
    """Load production settings (SSM off) with these variables; return the error message."""
    os.environ.update(
        {
            "ENV_FOR_DYNACONF": "production",
            "CLARITY_USE_SSM": "false",
            "MODEL_SIGNATURE_KEY": GOOD_KEY,
            "EXPECTED_MODEL_CHECKSUMS": GOOD_CHECKSUMS,
            **environment,
        }
    )
    with pytest.raises(ClaritySettingsError) as caught:
        project.settings().get("ANYTHING")
    return str(caught.value)


BAD = [
    ("MODEL_SIGNATURE_KEY", "", "MODEL_SIGNATURE_KEY is empty"),
    ("MODEL_SIGNATURE_KEY", " \t ", "MODEL_SIGNATURE_KEY is empty"),
    ("MODEL_SIGNATURE_KEY", "q" * 5000, "MODEL_SIGNATURE_KEY is longer than 4096 characters"),
    ("MODEL_SIGNATURE_KEY", "q" * 8200, "holds 8200 bytes; values are limited to 8192 bytes"),
    (
        "MODEL_SIGNATURE_KEY",
        "valid-looking-key-\udcff-" + "z" * 20,
        "MODEL_SIGNATURE_KEY holds bytes that are not UTF-8",
    ),
    (
        "EXPECTED_MODEL_CHECKSUMS",
        '["aaaa", "bbbb"]',
        "EXPECTED_MODEL_CHECKSUMS must be a JSON object mapping model size",
    ),
    (
        "EXPECTED_MODEL_CHECKSUMS",
        "12345",
        "EXPECTED_MODEL_CHECKSUMS must be a JSON object mapping model size",
    ),
    ("EXPECTED_MODEL_CHECKSUMS", "null", "EXPECTED_MODEL_CHECKSUMS must be a JSON object mapping model size"),
    (
        "EXPECTED_MODEL_CHECKSUMS",
        '{"SMALL": "abcd"}',
        "EXPECTED_MODEL_CHECKSUMS names unknown model sizes 'SMALL'",
    ),
    (
        "EXPECTED_MODEL_CHECKSUMS",
        '{"huge": "abcd"}',
        "EXPECTED_MODEL_CHECKSUMS names unknown model sizes 'huge'",
    ),
    (
        "EXPECTED_MODEL_CHECKSUMS",
        json.dumps({s: "b" * 63 for s in ("small", "medium", "large")}),
        "not 64 hexadecimal",
    ),
    (
        "EXPECTED_MODEL_CHECKSUMS",
        json.dumps({s: "b" * 65 for s in ("small", "medium", "large")}),
        "not 64 hexadecimal",
    ),
    ("EXPECTED_MODEL_CHECKSUMS", "x" * 6000, "EXPECTED_MODEL_CHECKSUMS is not valid JSON"),
    ("CLARITY_SSM_PREFIX", "team/application", "SSM_PREFIX (CLARITY_SSM_PREFIX) must start with '/'"),
    (
        "CLARITY_SSM_PREFIX",
        "/team/appli cation",
        "SSM_PREFIX (CLARITY_SSM_PREFIX) has characters SSM does not",
    ),
    (
        "CLARITY_SECRETS_CACHE_TTL",
        "-5",
        "SECRETS_CACHE_TTL (CLARITY_SECRETS_CACHE_TTL) must be a finite, non-negative",
    ),
    (
        "CLARITY_SECRETS_CACHE_TTL",
        "soon",
        "SECRETS_CACHE_TTL (CLARITY_SECRETS_CACHE_TTL) must be a non-negative number",
    ),
    ("CLARITY_USE_SSM", "maybe", "CLARITY_USE_SSM must be true, false or auto"),
    (
        "MODEL_SIGNATURE_KEY",
        "@int forty-secret-words",
        "MODEL_SIGNATURE_KEY has @int but what follows is not a whole number",
    ),
    (
        "CLARITY_WORKERS",
        "@int several-secret-workers",
        "CLARITY_WORKERS has @int but what follows is not a whole",
    ),
]


@pytest.mark.parametrize(("variable", "value", "message"), BAD, ids=[f"{v}={x[:12]!r}" for v, x, _ in BAD])
def test_bad_input_is_refused_naming_the_variable_and_rule_but_not_the_value(
    project: Project, variable: str, value: str, message: str
) -> None:
    error = refused(project, **{variable: value})
    assert message in error
    assert all(piece not in error for piece in pieces(value) if piece.strip() and len(set(piece)) > 1)


def test_a_settings_file_that_is_not_utf8_is_a_one_line_error(project: Project) -> None:
    (project.root / ".env").write_bytes(b"MODEL_SIGNATURE_KEY=abc\xff\xfe-secret-bytes\n")
    with pytest.raises(ClaritySettingsError, match="not valid UTF-8") as caught:
        project.settings().get("ANYTHING")
    assert "secret-bytes" not in str(caught.value)


KEYS = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    min_size=1,
    max_size=80,
).filter(lambda text: DEVELOPMENT_PLACEHOLDER_MARK not in text.lower())
"""Any printable text, '$' included (.env is read literally), that does not spell the placeholder mark."""

LONG_ENOUGH = "K3y-" * 8
"""Fuzzed text is appended to 32 valid characters, so values pass the length rule and truly arrive."""


def arrives_exactly_unless_it_has_surrounding_blanks(
    project: Project, value: str, *, from_dotenv: bool = False
) -> None:
    """Load production settings: the key is the very text written, unless it ends in whitespace.

    The fuzzed text is printable and follows 32 valid characters, so the only rule it can break is
    the one against surrounding blanks; that refusal holds no piece of the value.
    """
    os.environ["CLARITY_USE_SSM"] = os.environ.get("CLARITY_USE_SSM", "false")
    if not from_dotenv:
        os.environ["ENV_FOR_DYNACONF"] = "production"  # in the real environment; only development reads .env
    os.environ["EXPECTED_MODEL_CHECKSUMS"] = GOOD_CHECKSUMS
    settings_object = project.settings()
    if value == value.strip():
        assert settings_object.MODEL_SIGNATURE_KEY == value
        return
    with pytest.raises(ClaritySettingsError, match="has leading or trailing whitespace") as caught:
        settings_object.get("MODEL_SIGNATURE_KEY")
    assert all(piece not in str(caught.value) for piece in pieces(value) if len(set(piece)) > 2)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=KEYS)
def test_fuzzed_keys_through_dotenv(project: Project, value: str) -> None:
    value = LONG_ENOUGH + value
    os.environ.pop("MODEL_SIGNATURE_KEY", None)
    # Only development reads .env; the whitespace rule holds there too.
    project.write(".env", file_formats.dotenv_text({"MODEL_SIGNATURE_KEY": value}))
    arrives_exactly_unless_it_has_surrounding_blanks(project, value, from_dotenv=True)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=KEYS)
def test_fuzzed_keys_through_toml(project: Project, value: str) -> None:
    value = LONG_ENOUGH + value
    os.environ.pop("MODEL_SIGNATURE_KEY", None)
    project.write(
        "settings.toml", f"[production]\nmodel_signature_key = {json.dumps(value, ensure_ascii=False)}\n"
    )
    arrives_exactly_unless_it_has_surrounding_blanks(project, value)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=KEYS.filter(lambda v: v.strip() == v and v))
def test_fuzzed_keys_through_ssm(project: Project, ssm: Ssm, value: str) -> None:
    value = LONG_ENOUGH + value
    os.environ.pop("MODEL_SIGNATURE_KEY", None)
    os.environ["CLARITY_USE_SSM"] = "true"
    ssm.put("/clarity/production/model_signature_key", value)
    arrives_exactly_unless_it_has_surrounding_blanks(project, value)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=70),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def strings_in(value: Any) -> list[str]:
    """Every text leaf of a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings_in(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings_in(item)]
    return []


@given(value=JSON | st.dictionaries(st.sampled_from(["small", "medium", "large", "SMALL", "xl"]), JSON))
def test_the_checksum_validator_never_crashes_and_never_repeats_a_checksum(value: Any) -> None:
    for context in (RuleContext("production", "/p"), RuleContext("development", "/p")):
        problem = checksums_problem(value, context)
        assert problem is None or isinstance(problem, str)
        if problem is not None:
            assert all(
                piece not in problem
                for text in strings_in(value)
                for piece in pieces(text[:64])
                if len(set(piece)) > 2
            )
