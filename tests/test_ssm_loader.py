"""The SSM layer against moto's server over HTTP: cost, mapping, values, provenance, reloads, failures."""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from dynaconf import Dynaconf
from dynaconf.utils.inspect import get_history
from hypothesis import given
from hypothesis import strategies as st

from clarity_settings import ConfigurationError, SsmMappingError, SsmUnavailableError
from clarity_settings.ssm import read, switch
from clarity_settings.ssm.client import aws_errors, ssm_client
from clarity_settings.ssm.read import Parameter, map_parameters, setting_path
from loaders import ssm_loader
from tests.conftest import PREFIX, REGION, Project, Ssm
from tests.ssm_proxy import ACCESS_DENIED, DROP, SERVER_ERROR, THROTTLE, latency


def test_a_cold_load_of_35_parameters_costs_four_requests_and_nothing_else(
    project: Project, ssm_on: Ssm
) -> None:
    for number in range(35):
        ssm_on.put(f"{PREFIX}/batch/item_{number}", f"value-{number}")
    settings = project.settings()
    assert [settings.BATCH[f"ITEM_{n}"] for n in range(35)] == [f"value-{n}" for n in range(35)]
    assert dict(ssm_on.proxy.requests) == {"GetParametersByPath": math.ceil(35 / 10)}


def test_deeper_paths_nest_and_names_are_case_insensitive(project: Project, ssm_on: Ssm) -> None:
    project.write("settings.toml", '[default]\ndatabase = { host = "db.local" }\n')
    ssm_on.put(f"{PREFIX}/database/password", "from-ssm")
    ssm_on.put(f"{PREFIX}/Feature-Flags/new.checkout", "on")
    settings = project.settings()
    assert (settings.DATABASE.HOST, settings.DATABASE.PASSWORD) == ("db.local", "from-ssm")
    assert settings.FEATURE_FLAGS.NEW_CHECKOUT == "on"


def test_two_parameters_that_map_to_one_key_are_an_error_naming_both(project: Project, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/api-token", "one")
    ssm_on.put(f"{PREFIX}/API_TOKEN", "two")
    with pytest.raises(SsmMappingError) as caught:
        project.settings().get("API_TOKEN")
    assert f"{PREFIX}/api-token" in str(caught.value)
    assert f"{PREFIX}/API_TOKEN" in str(caught.value)
    assert "one" not in str(caught.value).replace("one of them", "")


def test_a_value_with_a_setting_nested_beneath_it_is_an_error_naming_both() -> None:
    parameters = [
        Parameter(f"{PREFIX}/database", "String", "x", 1),
        Parameter(f"{PREFIX}/database/password", "String", "y", 1),
    ]
    with pytest.raises(SsmMappingError, match=f"{PREFIX}/database holds .* {PREFIX}/database/password"):
        map_parameters(PREFIX, parameters)


LEVEL = st.text(alphabet="abcXYZ019_.-", min_size=1, max_size=12).filter(
    lambda level: "__" not in level.replace("-", "_").replace(".", "_")
)
"""One level each: a double underscore in any spelling nests, as dynaconf nests it."""
NAMES = st.lists(LEVEL, min_size=1, max_size=5)


@given(NAMES)
def test_every_name_maps_to_upper_case_identifier_levels(levels: list[str]) -> None:
    path = setting_path(PREFIX, PREFIX + "/" + "/".join(levels))
    assert len(path) == len(levels)
    assert all(set(level) <= set("ABCXYZ019_") for level in path)


def _spelling_variant(level: str) -> str:
    return level.swapcase().replace("-", ".").replace("_", "-")


@given(NAMES)
def test_case_dashes_and_dots_do_not_change_the_key(levels: list[str]) -> None:
    variant = [_spelling_variant(level) for level in levels]
    assert setting_path(PREFIX, PREFIX + "/" + "/".join(levels)) == setting_path(
        PREFIX, PREFIX + "/" + "/".join(variant)
    )


@given(NAMES, NAMES)
def test_names_that_differ_in_more_than_spelling_map_to_different_keys(
    first: list[str], second: list[str]
) -> None:
    def canonical(levels: list[str]) -> list[str]:
        return [level.lower().replace("-", "_").replace(".", "_") for level in levels]

    same_key = setting_path(PREFIX, PREFIX + "/" + "/".join(first)) == setting_path(
        PREFIX, PREFIX + "/" + "/".join(second)
    )
    assert same_key == (canonical(first) == canonical(second))


@pytest.mark.parametrize("text", ["0123", "1e10", "true", "2024-01-01", "null", "[1, 2]", " padded ", "a,b"])
def test_values_stay_exactly_the_text_stored(project: Project, ssm_on: Ssm, text: str) -> None:
    ssm_on.put(f"{PREFIX}/opaque", text)
    assert text == project.settings().OPAQUE


def test_explicit_typing_tokens_are_honoured(project: Project, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/workers", "@int 8")
    ssm_on.put(f"{PREFIX}/debug", "@bool false")
    ssm_on.put(f"{PREFIX}/limits", '@json {"rps": 40}')
    ssm_on.put(f"{PREFIX}/literal", "@str 0123")
    settings = project.settings()
    assert (settings.WORKERS, settings.DEBUG, settings.LIMITS.rps, settings.LITERAL) == (8, False, 40, "0123")


@pytest.mark.parametrize(
    "text", ["@format {this.HOME}", "@jinja {{ 1 }}", "@read_file /etc/hostname", "@get X"]
)
def test_lazy_dynaconf_tokens_from_ssm_are_refused_without_echoing_the_value(
    project: Project, ssm_on: Ssm, text: str
) -> None:
    ssm_on.put(f"{PREFIX}/templated", text)
    with pytest.raises(
        ConfigurationError, match=f"{PREFIX}/templated starts with a dynaconf token"
    ) as caught:
        project.settings().get("TEMPLATED")
    assert text.rsplit(" ", maxsplit=1)[-1] not in str(caught.value)


def test_a_string_list_becomes_a_list_of_text(project: Project, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/allowed_hosts", "a.example,0123,true", kind="StringList")
    assert list(project.settings().ALLOWED_HOSTS) == ["a.example", "0123", "true"]


def test_expected_checksums_from_ssm_are_decoded_from_json(project: Project, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/expected_model_checksums", json.dumps({"small": "A" * 64}))
    assert project.settings().EXPECTED_MODEL_CHECKSUMS == {"small": "a" * 64}


def test_provenance_names_the_parameter_and_its_version(project: Project, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/model_signature_key", "first")
    ssm_on.put(f"{PREFIX}/model_signature_key", "second")
    ssm_on.put(f"{PREFIX}/expected_model_checksums", '{"small": "dev"}')
    settings = project.settings()
    latest = get_history(settings, "MODEL_SIGNATURE_KEY")[-1]
    assert (latest["loader"], latest["identifier"]) == ("ssm", f"{PREFIX}/model_signature_key:2")
    checksums = get_history(settings, "EXPECTED_MODEL_CHECKSUMS")[-1]
    assert (checksums["loader"], checksums["identifier"]) == ("ssm", f"{PREFIX}/expected_model_checksums:1")


def seed_three_keys(ssm: Ssm) -> None:
    """A top-level secret, a nested one, and a neighbour that a reload must not drop."""
    ssm.put(f"{PREFIX}/model_signature_key", "old-key")
    ssm.put(f"{PREFIX}/database/password", "old-password")
    ssm.put(f"{PREFIX}/neighbour", "kept")


def test_a_fresh_get_reloads_that_key_and_keeps_every_other(project: Project, ssm_on: Ssm) -> None:
    project.write("settings.toml", '[default]\nfrom_toml = "kept"\n')
    seed_three_keys(ssm_on)
    settings = project.settings()
    assert settings.MODEL_SIGNATURE_KEY == "old-key"
    ssm_on.put(f"{PREFIX}/model_signature_key", "new-key")
    ssm_on.put(f"{PREFIX}/neighbour", "changed")
    assert settings.get("MODEL_SIGNATURE_KEY", fresh=True) == "new-key"
    assert (settings.NEIGHBOUR, settings.FROM_TOML, settings.DATABASE.PASSWORD) == (
        "kept",
        "kept",
        "old-password",
    )


def test_a_fresh_nested_key_reloads_its_whole_subtree(project: Project, ssm_on: Ssm) -> None:
    project.write("settings.toml", '[default]\ndatabase = { host = "db.local" }\n')
    seed_three_keys(ssm_on)
    settings = project.settings()
    assert settings.DATABASE.PASSWORD == "old-password"
    ssm_on.put(f"{PREFIX}/database/password", "new-password")
    assert settings.get("DATABASE.PASSWORD", fresh=True) == "new-password"
    assert (settings.DATABASE.HOST, settings.MODEL_SIGNATURE_KEY) == ("db.local", "old-key")


def test_fresh_vars_and_the_fresh_context_read_ssm_again(project: Project, ssm_on: Ssm) -> None:
    seed_three_keys(ssm_on)
    settings = project.settings(fresh_vars=["MODEL_SIGNATURE_KEY"])
    assert settings.MODEL_SIGNATURE_KEY == "old-key"
    ssm_on.put(f"{PREFIX}/model_signature_key", "new-key")
    assert settings.MODEL_SIGNATURE_KEY == "new-key"
    ssm_on.put(f"{PREFIX}/neighbour", "changed")
    with settings.fresh():
        assert settings.NEIGHBOUR == "changed"
    assert settings.DATABASE.PASSWORD == "old-password"


def test_a_parameter_deleted_from_ssm_falls_back_to_the_lower_layer_on_reload(
    project: Project, ssm_on: Ssm
) -> None:
    os.environ["MODEL_SIGNATURE_KEY"] = "from-environment"
    seed_three_keys(ssm_on)
    settings = project.settings()
    assert settings.MODEL_SIGNATURE_KEY == "old-key"
    ssm_on.delete(f"{PREFIX}/model_signature_key")
    assert settings.get("MODEL_SIGNATURE_KEY", fresh=True) == "from-environment"
    assert settings.NEIGHBOUR == "kept"


@pytest.mark.parametrize("value", ["false", "0", "no", "FALSE"])
def test_ssm_off_makes_no_aws_request(project: Project, ssm: Ssm, value: str) -> None:
    ssm.put(f"{PREFIX}/model_signature_key", "from-ssm")
    os.environ["CLARITY_USE_SSM"] = value
    assert project.settings().MODEL_SIGNATURE_KEY != "from-ssm"
    assert ssm.proxy.total == 0


@pytest.mark.parametrize("value", ["true", "1", "yes", "Yes"])
def test_ssm_on_reads_the_prefix(project: Project, ssm: Ssm, value: str) -> None:
    ssm.put(f"{PREFIX}/model_signature_key", "from-ssm")
    os.environ["CLARITY_USE_SSM"] = value
    assert project.settings().MODEL_SIGNATURE_KEY == "from-ssm"


def test_use_ssm_from_settings_toml_is_honoured(project: Project, ssm: Ssm) -> None:
    ssm.put(f"{PREFIX}/model_signature_key", "from-ssm")
    project.write("settings.toml", "[development]\nuse_ssm = false\n")
    assert project.settings().MODEL_SIGNATURE_KEY != "from-ssm"
    assert ssm.proxy.total == 0


def test_auto_mode_reads_ssm_when_credentials_resolve_locally(project: Project, ssm: Ssm) -> None:
    ssm.put(f"{PREFIX}/model_signature_key", "from-ssm")
    assert "CLARITY_USE_SSM" not in os.environ
    assert project.settings().MODEL_SIGNATURE_KEY == "from-ssm"


def test_auto_mode_reads_ssm_with_a_credentials_file_profile(
    project: Project, ssm: Ssm, tmp_path: Path
) -> None:
    ssm.put(f"{PREFIX}/model_signature_key", "from-ssm")
    credentials = tmp_path / "credentials"
    credentials.write_text("[dev]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    del os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    os.environ.update({"AWS_SHARED_CREDENTIALS_FILE": str(credentials), "AWS_PROFILE": "dev"})
    assert project.settings().MODEL_SIGNATURE_KEY == "from-ssm"


def test_auto_mode_stays_off_without_credentials_or_aws_compute(project: Project, ssm: Ssm) -> None:
    ssm.put(f"{PREFIX}/model_signature_key", "from-ssm")
    del os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    assert project.settings().MODEL_SIGNATURE_KEY != "from-ssm"
    assert ssm.proxy.total == 0


def test_auto_mode_is_decided_once_per_process_and_aws_environment(project: Project, ssm: Ssm) -> None:
    """A credentials file that appears later changes nothing until the AWS environment or process does."""
    ssm.put(f"{PREFIX}/model_signature_key", "from-ssm")
    del os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    assert project.settings().MODEL_SIGNATURE_KEY != "from-ssm"
    credentials = Path(os.environ["HOME"]) / ".aws" / "credentials"
    credentials.parent.mkdir()
    credentials.write_text("[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    assert project.settings().MODEL_SIGNATURE_KEY != "from-ssm"
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(reader)
        os.write(writer, str(project.settings().MODEL_SIGNATURE_KEY == "from-ssm").encode())
        os._exit(0)
    os.close(writer)
    os.waitpid(child, 0)
    assert os.read(reader, 16) == b"True", "a forked child decides again"
    os.close(reader)
    os.environ["AWS_PROFILE"] = "default"
    assert project.settings().MODEL_SIGNATURE_KEY == "from-ssm"


@pytest.mark.parametrize("marker", switch.AWS_COMPUTE_MARKERS)
def test_auto_mode_turns_on_for_aws_compute_without_local_credentials(marker: str) -> None:
    assert not switch.ssm_enabled(Dynaconf())
    os.environ[marker] = "present"
    assert switch.ssm_enabled(Dynaconf())


@pytest.mark.parametrize("value", ["maybe", "", "2", "enabled"])
def test_an_unknown_use_ssm_value_is_an_error_naming_the_variable(project: Project, value: str) -> None:
    os.environ["CLARITY_USE_SSM"] = value
    with pytest.raises(ConfigurationError, match="CLARITY_USE_SSM must be true, false or auto"):
        project.settings().get("ANYTHING")


def test_reading_a_setting_with_ssm_off_imports_only_what_it_uses(tmp_path: Path) -> None:
    """No boto3, and none of what the command line, model checks or a .env need (start-up time)."""
    env = {**os.environ, "CLARITY_USE_SSM": "false", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}
    unused = ["boto3", "botocore", "clarity_settings.integrity", "clarity_settings.cli", "dotenv"]
    code = (
        "import sys\nfrom clarity_settings import settings\nsettings.MODEL_SIGNATURE_KEY\n"
        f"print([name for name in {unused!r} if name in sys.modules])\n"
        "from clarity_settings import verify_model\n"
        "print('clarity_settings.integrity' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split("\n")[:2] == ["[]", "True"]


def test_the_prefix_variable_wins_and_a_trailing_slash_is_dropped(project: Project, ssm_on: Ssm) -> None:
    project.write("settings.toml", '[development]\nssm_prefix = "/elsewhere"\n')
    ssm_on.put("/team/app/model_signature_key", "from-team-prefix")
    os.environ["CLARITY_SSM_PREFIX"] = "/team/app/"
    assert project.settings().MODEL_SIGNATURE_KEY == "from-team-prefix"


def test_the_environments_ssm_prefix_from_settings_toml_is_used(project: Project, ssm_on: Ssm) -> None:
    project.write("settings.toml", '[development]\nssm_prefix = "/team/dev"\n')
    ssm_on.put("/team/dev/model_signature_key", "from-toml-prefix")
    assert project.settings().MODEL_SIGNATURE_KEY == "from-toml-prefix"


@pytest.mark.parametrize(
    ("prefix", "rule"),
    [
        ("clarity/production", "must start with '/'"),
        ("/clarity/prod uction", "characters SSM does not allow"),
        ("/clarity/prod$", "characters SSM does not allow"),
        ("/clarity//production", "empty level"),
        ("/", "at least one level"),
        ("/" + "/".join(f"l{n}" for n in range(16)), "16 levels; SSM allows at most 15"),
    ],
)
def test_an_invalid_prefix_is_refused_naming_the_variable(
    project: Project, ssm_on: Ssm, prefix: str, rule: str
) -> None:
    os.environ["CLARITY_SSM_PREFIX"] = prefix
    with pytest.raises(ConfigurationError, match="CLARITY_SSM_PREFIX") as caught:
        project.settings().get("ANYTHING")
    assert rule in str(caught.value)
    assert ssm_on.proxy.total == 0


def unused_port() -> int:
    """A loopback port with nothing listening, standing in for an unreachable endpoint."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_ssm_warns_once_and_the_lower_layers_stand(
    project: Project, ssm_on: Ssm, caplog: pytest.LogCaptureFixture
) -> None:
    os.environ["AWS_ENDPOINT_URL_SSM"] = f"http://127.0.0.1:{unused_port()}"
    os.environ["MODEL_SIGNATURE_KEY"] = "environment-fallback"
    with caplog.at_level(logging.WARNING, logger="clarity_settings"):
        assert project.settings().MODEL_SIGNATURE_KEY == "environment-fallback"
    warnings = [r.getMessage() for r in caplog.records if r.name == "clarity_settings.ssm"]
    assert len(warnings) == 1
    assert PREFIX in warnings[0]
    assert "EndpointConnectionError" in warnings[0]


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        (THROTTLE, "ThrottlingException"),
        (ACCESS_DENIED, "AccessDeniedException"),
        (SERVER_ERROR, "InternalServerError"),
        (DROP, "ConnectionClosedError"),
    ],
)
def test_an_ssm_error_warns_with_its_code_after_botocores_retries(
    project: Project, ssm_on: Ssm, caplog: pytest.LogCaptureFixture, fault: object, code: str
) -> None:
    ssm_on.put(f"{PREFIX}/model_signature_key", "secret-in-ssm")
    ssm_on.proxy.fail_every(fault)  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="clarity_settings"):
        settings = project.settings()
        assert settings.MODEL_SIGNATURE_KEY == "insecure-development-placeholder-model-signature-key"
    warning = next(r.getMessage() for r in caplog.records if r.name == "clarity_settings.ssm")
    assert code in warning
    assert "secret-in-ssm" not in caplog.text
    retried = fault is not ACCESS_DENIED
    assert ssm_on.proxy.total == (int(os.environ["AWS_MAX_ATTEMPTS"]) if retried else 1)


def test_a_load_cut_off_halfway_through_its_pages_sets_nothing_from_ssm(
    project: Project, ssm_on: Ssm
) -> None:
    for number in range(35):
        ssm_on.put(f"{PREFIX}/batch/item_{number}", "from-ssm")
    ssm_on.proxy.fail_from(3, ACCESS_DENIED)
    assert "BATCH" not in project.settings()
    assert ssm_on.proxy.requests["GetParametersByPath"] == 3


def test_a_caller_that_wants_errors_gets_ssm_unavailable(project: Project, ssm_on: Ssm) -> None:
    ssm_on.proxy.fail_every(ACCESS_DENIED)
    settings = project.settings()
    with pytest.raises(SsmUnavailableError, match=f"{PREFIX} could not be read \\(AccessDeniedException\\)"):
        ssm_loader.load(settings, silent=False)


def test_the_loader_works_in_any_dynaconf_object(tmp_path: Path, ssm_on: Ssm) -> None:
    ssm_on.put("/myapp/prod/api/token", "from-ssm")
    os.environ["CLARITY_SSM_PREFIX"] = "/myapp/prod"
    settings = Dynaconf(
        envvar_prefix="MYAPP",
        root_path=str(tmp_path),
        LOADERS_FOR_DYNACONF=["clarity_settings.loaders.env_loader", "clarity_settings.loaders.ssm_loader"],
    )
    assert settings.API.TOKEN == "from-ssm"


def test_botocore_debug_logging_never_shows_a_value_from_ssm(
    project: Project, ssm_on: Ssm, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "unique-secret-value-7f3a9c"
    ssm_on.put(f"{PREFIX}/model_signature_key", secret)
    with caplog.at_level(logging.DEBUG):
        assert project.settings().MODEL_SIGNATURE_KEY == secret
    bodies = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Response body")]
    assert bodies, "botocore logged no response body: the test would prove nothing"
    assert secret[:10] not in caplog.text
    assert all("redacted by clarity-settings" in body for body in bodies)


def test_a_signing_key_stored_unencrypted_is_reported_once(
    project: Project, ssm_on: Ssm, caplog: pytest.LogCaptureFixture
) -> None:
    ssm_on.put(f"{PREFIX}/model_signature_key", "plain-" + "k" * 40, kind="String")
    with caplog.at_level(logging.WARNING, logger="clarity_settings.ssm"):
        settings = project.settings()
        settings.get("MODEL_SIGNATURE_KEY")
        settings.refresh_now()
    warnings = [r.getMessage() for r in caplog.records if "as a String" in r.getMessage()]
    assert warnings == [
        f"SSM parameter {PREFIX}/model_signature_key holds MODEL_SIGNATURE_KEY as a String: whoever may read "
        "parameters reads the key without kms:Decrypt; store it as a SecureString (clarity-settings ssm put)"
    ]
    assert "plain-kkkk" not in caplog.text


def test_botocore_debug_logging_never_hashes_a_written_value(
    project: Project, ssm_on: Ssm, caplog: pytest.LogCaptureFixture
) -> None:
    from clarity_settings.ssm import client as ssm_client_module

    with caplog.at_level(logging.DEBUG):
        ssm_client_module.ssm_client().put_parameter(
            Name=f"{PREFIX}/x", Value="guessable", Type="SecureString"
        )
    signing = [r.getMessage() for r in caplog.records if r.name == "botocore.auth"]
    assert any("redacted by clarity-settings" in message for message in signing)
    assert not any("CanonicalRequest:\n" in message or "StringToSign:\n" in message for message in signing)


def test_ssm_forced_on_without_credentials_warns_and_falls_back(
    project: Project, ssm_on: Ssm, caplog: pytest.LogCaptureFixture
) -> None:
    del os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    os.environ["MODEL_SIGNATURE_KEY"] = "environment-fallback"
    with caplog.at_level(logging.WARNING, logger="clarity_settings.ssm"):
        assert project.settings().MODEL_SIGNATURE_KEY == "environment-fallback"
    assert "(NoCredentialsError)" in caplog.text
    assert ssm_on.proxy.total == 0


def test_a_typing_token_that_does_not_fit_is_refused_without_the_value(project: Project, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/workers", "@int eight-workers-please")
    with pytest.raises(
        ConfigurationError, match=f"{PREFIX}/workers has @int but what follows is not a whole number"
    ) as caught:
        project.settings().get("WORKERS")
    assert "eight" not in str(caught.value)


def bare_read_cost(ssm: Ssm, path: str) -> dict[str, int]:
    """The requests a bare paginator sends for path, through the counting proxy."""
    ssm.proxy.reset()
    read.fetch(ssm_client(REGION), path)
    cost = dict(ssm.proxy.requests)
    ssm.proxy.reset()
    return cost


def seed_unrelated(ssm: Ssm) -> None:
    """Parameters a fresh read of another key must not pay for."""
    for number in range(25):
        ssm.put(f"{PREFIX}/other/item_{number}", "unrelated")


@pytest.mark.parametrize("children", [0, 1, 2, 30])
def test_a_fresh_read_of_a_subtree_costs_that_subtree_only(
    project: Project, ssm_on: Ssm, children: int
) -> None:
    seed_unrelated(ssm_on)
    for number in range(children):
        ssm_on.put(f"{PREFIX}/db/item_{number}", "v1")
    settings = project.settings()
    assert len(settings.get("DB") or {}) == children
    for number in range(children):
        ssm_on.put(f"{PREFIX}/db/item_{number}", "v2")
    expected = bare_read_cost(ssm_on, f"{PREFIX}/db")
    if children == 0:
        expected["GetParameters"] = 1  # not in SSM yet: <prefix>/db is tried as a name too
    with settings.fresh():
        tree = settings.get("DB")
    assert (dict(tree or {}), dict(ssm_on.proxy.requests)) == (
        {f"ITEM_{number}": "v2" for number in range(children)},
        expected,
    )


def test_a_fresh_read_of_a_leaf_costs_one_get_parameters(project: Project, ssm_on: Ssm) -> None:
    seed_unrelated(ssm_on)
    seed_three_keys(ssm_on)
    settings = project.settings()
    assert settings.MODEL_SIGNATURE_KEY == "old-key"
    ssm_on.put(f"{PREFIX}/model_signature_key", "new-key")
    ssm_on.proxy.reset()
    assert settings.get("MODEL_SIGNATURE_KEY", fresh=True) == "new-key"
    assert dict(ssm_on.proxy.requests) == {"GetParameters": 1}


def test_a_fresh_read_finds_every_spelling_the_mapping_allows(project: Project, ssm_on: Ssm) -> None:
    seed_unrelated(ssm_on)
    for name in ("db/password", "DB/user", "db__port"):
        ssm_on.put(f"{PREFIX}/{name}", "v1")
    settings = project.settings()
    assert dict(settings.DB) == {"PASSWORD": "v1", "USER": "v1", "PORT": "v1"}
    for name in ("db/password", "DB/user", "db__port"):
        ssm_on.put(f"{PREFIX}/{name}", "v2")
    ssm_on.proxy.reset()
    with settings.fresh():
        assert dict(settings.DB) == {"PASSWORD": "v2", "USER": "v2", "PORT": "v2"}
    assert dict(ssm_on.proxy.requests) == {"GetParameters": 1, "GetParametersByPath": 2}


def test_fresh_vars_read_a_subtree_of_many_children_again(project: Project, ssm_on: Ssm) -> None:
    for number in range(12):
        ssm_on.put(f"{PREFIX}/db/item_{number}", "v1")
    settings = project.settings(FRESH_VARS_FOR_DYNACONF=["DB"])
    assert settings.DB.ITEM_11 == "v1"
    ssm_on.put(f"{PREFIX}/db/item_11", "v2")
    assert settings.DB.ITEM_11 == "v2"


def test_a_fresh_read_never_shows_other_threads_the_key_missing_nor_makes_them_fetch(
    project: Project, ssm_on: Ssm
) -> None:
    seed_three_keys(ssm_on)
    settings = project.settings()
    assert settings.MODEL_SIGNATURE_KEY == "old-key"
    ssm_on.put(f"{PREFIX}/model_signature_key", "new-key")
    ssm_on.proxy.reset()
    ssm_on.proxy.fail_every(latency(0.5))
    seen: set[object] = set()
    done = threading.Event()

    def read_fresh() -> None:
        with settings.fresh():
            seen.add(("fresh", settings.MODEL_SIGNATURE_KEY))
        done.set()

    reader = threading.Thread(target=read_fresh)
    reader.start()
    while not done.is_set():
        seen.add(settings.get("MODEL_SIGNATURE_KEY", "missing"))
    reader.join()
    assert seen <= {"old-key", "new-key", ("fresh", "new-key")}
    assert ("fresh", "new-key") in seen
    assert dict(ssm_on.proxy.requests) == {"GetParameters": 1}


def test_a_fresh_read_that_cannot_reach_ssm_keeps_the_current_value(project: Project, ssm_on: Ssm) -> None:
    seed_three_keys(ssm_on)
    settings = project.settings()
    assert settings.MODEL_SIGNATURE_KEY == "old-key"
    ssm_on.proxy.fail_every(THROTTLE)
    assert settings.get("MODEL_SIGNATURE_KEY", fresh=True) == "old-key"
    assert (settings.MODEL_SIGNATURE_KEY, settings.stale) == ("old-key", True)


def test_a_refused_child_in_a_fresh_read_raises_and_keeps_the_whole_subtree(
    project: Project, ssm_on: Ssm
) -> None:
    seed_three_keys(ssm_on)
    ssm_on.put(f"{PREFIX}/database/user", "old-user")
    settings = project.settings()
    assert dict(settings.DATABASE) == {"PASSWORD": "old-password", "USER": "old-user"}
    ssm_on.put(f"{PREFIX}/database/password", "new-password")
    ssm_on.put(f"{PREFIX}/database/user", "@jinja {{ this.MODEL_SIGNATURE_KEY }}")
    with pytest.raises(ConfigurationError, match=f"{PREFIX}/database/user"):
        settings.get("DATABASE", fresh=True)
    assert dict(settings.get("DATABASE")) == {"PASSWORD": "old-password", "USER": "old-user"}
    ssm_on.put(f"{PREFIX}/database/includes_for_dynaconf", "/tmp/x.toml")  # noqa: S108 - a name, never read
    with pytest.raises(SsmMappingError):
        settings.get("DATABASE", fresh=True)
    assert dict(settings.DATABASE) == {"PASSWORD": "old-password", "USER": "old-user"}


def test_fresh_mode_ends_with_its_block_even_when_the_block_raises(project: Project, ssm_on: Ssm) -> None:
    seed_three_keys(ssm_on)
    settings = project.settings()
    assert settings.MODEL_SIGNATURE_KEY == "old-key"
    with pytest.raises(RuntimeError), settings.fresh():
        raise RuntimeError
    settings.refresh_now()
    ssm_on.proxy.reset()
    for _ in range(20):
        assert settings.get("MODEL_SIGNATURE_KEY") == "old-key"
    assert ssm_on.proxy.total == 0


def test_get_fresh_and_exists_fresh_read_the_key_into_a_copy(project: Project, ssm_on: Ssm) -> None:
    seed_three_keys(ssm_on)
    settings = project.settings()
    assert not settings.exists("LATE")
    ssm_on.put(f"{PREFIX}/late", "arrived")
    ssm_on.put(f"{PREFIX}/model_signature_key", "new-key")
    assert settings.exists("LATE", fresh=True)
    assert settings.get_fresh("MODEL_SIGNATURE_KEY") == "new-key"
    assert settings.NEIGHBOUR == "kept"


def test_inside_fresh_a_key_in_any_case_is_read_again(project: Project, ssm_on: Ssm) -> None:
    seed_three_keys(ssm_on)
    settings = project.settings()
    assert settings.DATABASE.PASSWORD == "old-password"
    ssm_on.put(f"{PREFIX}/neighbour", "changed")
    ssm_on.put(f"{PREFIX}/database/password", "new-password")
    with settings.fresh():
        assert (settings.get("neighbour"), settings["Database"]["PASSWORD"]) == ("changed", "new-password")


def test_a_patient_read_gives_up_once_no_page_comes_through_within_its_patience(ssm: Ssm) -> None:
    ssm.put(f"{PREFIX}/api_token", "t")
    ssm.proxy.fail_every(THROTTLE)
    os.environ["AWS_MAX_ATTEMPTS"] = "1"
    with pytest.raises(aws_errors()):
        read.fetch(ssm_client(), PREFIX, patience=read.Patience(seconds=1.0))
    assert ssm.proxy.requests["GetParametersByPath"] > 1
