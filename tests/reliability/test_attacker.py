"""The attacker who can write one SSM parameter, one variable, one .env or one file beside the service.

Whatever they write is data: it never reads a file, an environment variable or another setting, never
runs code, and never makes production lenient. Each payload has one expected outcome, computed here
from where the token sits: the exact data, or a refusal that names the parameter or variable and holds
no piece of the payload.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clarity_settings import (
    ClaritySettingsError,
    ConfigurationError,
    InvalidSettingError,
    SecretsManager,
    SsmMappingError,
    create_settings,
    data_values,
    file_formats,
    names,
)
from clarity_settings.cli import main
from clarity_settings.flask import init_app
from tests.conftest import PREFIX, REGION, Project, Ssm, production
from tests.reliability.conftest import record

CANARY_VARIABLE = "ATTACK_CANARY"
CANARY_ENVIRONMENT = "canary-environment-value-7f3a9c"
CANARY_FILE = "canary-file-content-51be0d"
CANARY_SETTING = "canary-other-setting-9d2e"
REFUSED: Any = object()
"""The expected outcome of a payload the library must refuse rather than hold."""

EXAMPLES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@dataclass
class Target:
    """What the attacker would like to reach, and the canaries that show they did."""

    project: Project
    marker: Path
    executed: Path

    @property
    def canaries(self) -> tuple[str, ...]:
        return (CANARY_ENVIRONMENT, CANARY_FILE, CANARY_SETTING)

    def tokens(self) -> list[str]:
        """dynaconf tokens that would reach the canaries if evaluated (no commas, for StringList)."""
        return [
            f"@format {{env[{CANARY_VARIABLE}]}}",
            "@format {env}",
            "@format {this.OTHER_SECRET}",
            f"@format{{env[{CANARY_VARIABLE}]}}",
            f"@jinja {{{{ env.{CANARY_VARIABLE} }}}}",
            f"@read_file {self.marker}",
            f"@read_file{self.marker}",
            "@get OTHER_SECRET",
            "@merge [1]",
            "@insert 0 OTHER_SECRET",
            "@upper x",
            "@del",
        ]

    def assert_untouched(self, loaded: object) -> None:
        """No canary in what was loaded, and no code ran."""
        text = json.dumps(loaded, default=str)
        assert not any(canary in text for canary in self.canaries)
        assert not self.executed.exists()

    def assert_refusal(self, error: BaseException, names: str) -> None:
        """The refusal names where the payload came from and holds nothing of it or of the canaries."""
        message = str(error)
        assert names in message
        for piece in (*self.canaries, CANARY_VARIABLE, str(self.marker), "OTHER_SECRET", "env[", "{{"):
            assert piece not in message
        assert not self.executed.exists()


@pytest.fixture
def target(project: Project, tmp_path_factory: pytest.TempPathFactory) -> Target:
    """A project with another secret in settings.toml, a canary variable and a local file to steal."""
    outside = tmp_path_factory.mktemp("outside")
    marker = outside / "private.txt"
    marker.write_text(CANARY_FILE)
    executed = outside / "executed"
    project.write("settings.toml", f'[default]\nother_secret = "{CANARY_SETTING}"\n')
    os.environ[CANARY_VARIABLE] = CANARY_ENVIRONMENT
    return Target(project, marker, executed)


def nest(value: object, depth: int) -> object:
    """value at the bottom of depth levels of alternating lists and objects."""
    for level in range(depth):
        value = [value] if level % 2 == 0 else {"k": value}
    return value


def placed(token: str, placement: str, depth: int) -> tuple[str, object]:
    """The text stored and what the service must read from it (REFUSED or the exact data)."""
    if placement == "bare":
        return token, REFUSED
    if placement == "after_str":
        return f"@str {token}", token
    if placement == "after_str_without_space":
        return f"@str{token}", REFUSED
    if placement == "later_word":
        return f"x {token}", f"x {token}"
    if placement == "json":
        data = nest(token, depth)
        return f"@json {json.dumps(data)}", data
    data = {"dynaconf_merge": True, "a": nest(token, depth)}
    return f"@json {json.dumps(data)}", REFUSED


PLACEMENTS = st.sampled_from(
    ["bare", "after_str", "after_str_without_space", "later_word", "json", "json_with_merge_marker"]
)
DEPTHS = st.integers(min_value=0, max_value=4)
TOKEN_INDEX = st.integers(min_value=0, max_value=11)


def outcome(target: Target, expected: object, names: str, read: Any) -> None:
    """Read the payload setting and check it against its one expected outcome."""
    if expected is REFUSED:
        with pytest.raises(ClaritySettingsError) as caught:
            read()
        target.assert_refusal(caught.value, names)
        return
    value = read()
    assert _plain(value) == expected
    target.assert_untouched(_plain(value))


def _plain(value: object) -> object:
    return data_values.plain(value)


@EXAMPLES
@given(
    index=TOKEN_INDEX, placement=PLACEMENTS, depth=DEPTHS, kind=st.sampled_from(["String", "SecureString"])
)
def test_an_ssm_value_is_data_wherever_the_token_sits(
    target: Target, ssm_on: Ssm, index: int, placement: str, depth: int, kind: str
) -> None:
    text, expected = placed(target.tokens()[index], placement, depth)
    ssm_on.put(f"{PREFIX}/payload", text, kind=kind)
    settings_object = target.project.settings()
    outcome(target, expected, f"{PREFIX}/payload", lambda: settings_object.PAYLOAD)


@EXAMPLES
@given(
    index=TOKEN_INDEX,
    placement=st.sampled_from(["bare", "after_str", "after_str_without_space", "later_word"]),
)
def test_a_string_list_item_is_data_wherever_the_token_sits(
    target: Target, ssm_on: Ssm, index: int, placement: str
) -> None:
    item, expected = placed(target.tokens()[index], placement, 0)
    ssm_on.put(f"{PREFIX}/payload", f"ok,{item}", kind="StringList")
    settings_object = target.project.settings()
    outcome(
        target,
        REFUSED if expected is REFUSED else ["ok", expected],
        f"{PREFIX}/payload",
        lambda: settings_object.PAYLOAD,
    )


@EXAMPLES
@given(index=TOKEN_INDEX, placement=PLACEMENTS, depth=DEPTHS)
def test_a_clarity_variable_is_data_wherever_the_token_sits(
    target: Target, index: int, placement: str, depth: int
) -> None:
    text, expected = placed(target.tokens()[index], placement, depth)
    os.environ["CLARITY_PAYLOAD"] = text
    settings_object = target.project.settings()
    outcome(target, expected, "CLARITY_PAYLOAD", lambda: settings_object.PAYLOAD)


@EXAMPLES
@given(
    index=TOKEN_INDEX,
    placement=st.sampled_from(["bare", "after_str", "after_str_without_space", "later_word"]),
)
def test_the_guides_unprefixed_variable_is_data_wherever_the_token_sits(
    target: Target, index: int, placement: str
) -> None:
    text, expected = placed(target.tokens()[index], placement, 0)
    os.environ["MODEL_SIGNATURE_KEY_PREVIOUS"] = text
    settings_object = target.project.settings()
    outcome(
        target, expected, "MODEL_SIGNATURE_KEY_PREVIOUS", lambda: settings_object.MODEL_SIGNATURE_KEY_PREVIOUS
    )


@EXAMPLES
@given(index=TOKEN_INDEX, placement=PLACEMENTS, depth=DEPTHS)
def test_a_dotenv_value_is_data_wherever_the_token_sits(
    target: Target, index: int, placement: str, depth: int
) -> None:
    text, expected = placed(target.tokens()[index], placement, depth)
    os.environ.pop("CLARITY_PAYLOAD", None)
    target.project.write(".env", file_formats.dotenv_text({"CLARITY_PAYLOAD": text}))
    settings_object = target.project.settings()
    outcome(target, expected, "CLARITY_PAYLOAD", lambda: settings_object.PAYLOAD)


def test_a_dotenv_value_is_not_expanded_from_the_environment(target: Target) -> None:
    target.project.write(".env", f"CLARITY_PAYLOAD=x${{{CANARY_VARIABLE}}}y\nCLARITY_OTHER='${{HOME}}'\n")
    settings_object = target.project.settings()
    assert (settings_object.PAYLOAD, settings_object.OTHER) == (f"x${{{CANARY_VARIABLE}}}y", "${HOME}")


@pytest.fixture
def pulled(target: Target, ssm_on: Ssm) -> Iterator[Path]:
    """Commands run from the project directory; yields where ssm pull writes."""
    cwd = Path.cwd()
    os.chdir(target.project.root)
    yield target.project.root / "pulled.env"
    os.chdir(cwd)


@pytest.mark.parametrize("placement", ["after_str", "later_word", "json"])
def test_a_pulled_dotenv_file_reads_back_as_the_service_reads_ssm(
    target: Target, ssm_on: Ssm, pulled: Path, placement: str
) -> None:
    text, expected = placed(target.tokens()[0], placement, 2)
    ssm_on.put(f"{PREFIX}/payload", text)
    assert CliRunner().invoke(main, ["ssm", "pull", str(pulled)]).exit_code == 0
    os.environ["CLARITY_USE_SSM"] = "false"
    settings_object = target.project.settings(dotenv_path=str(pulled))
    outcome(target, expected, "CLARITY_PAYLOAD", lambda: settings_object.PAYLOAD)


@pytest.mark.parametrize("suffix", [".env", ".toml", ".json"])
def test_a_pull_refuses_a_value_the_service_refuses(
    target: Target, ssm_on: Ssm, pulled: Path, suffix: str
) -> None:
    ssm_on.put(f"{PREFIX}/payload", target.tokens()[0])
    result = CliRunner().invoke(main, ["ssm", "pull", str(pulled.with_suffix(suffix))])
    assert result.exit_code == 1
    target.assert_refusal(ValueError(result.stderr), f"{PREFIX}/payload starts with a dynaconf token")
    assert not pulled.with_suffix(suffix).exists()


@pytest.mark.parametrize("placement", ["after_str", "json"])
def test_a_pull_into_toml_refuses_text_dynaconf_would_evaluate(
    target: Target, ssm_on: Ssm, pulled: Path, placement: str
) -> None:
    text, _ = placed(target.tokens()[0], placement, 2)
    ssm_on.put(f"{PREFIX}/payload", text)
    result = CliRunner().invoke(main, ["ssm", "pull", str(pulled.with_suffix(".toml"))])
    assert result.exit_code == 1
    target.assert_refusal(ValueError(result.stderr), f"{PREFIX}/payload")
    assert not pulled.with_suffix(".toml").exists()


RESERVED_NAMES = sorted(
    {name.lower() for name in data_values.DYNACONF_OPTIONS}
    | {
        "dynaconf_include",
        "dynaconf_merge",
        "dynaconf_merge_unique",
        "Includes-For-Dynaconf",
        "_registered_hooks",
    }
    | {name.lower() for name in names.CONTROL_SETTINGS}
)


def code_to_run(target: Target) -> Path:
    """A Python file that leaves a mark if anything executes it."""
    script = target.project.root / "attack.py"
    script.write_text(f"from pathlib import Path\nPath({str(target.executed)!r}).write_text('ran')\n")
    return script


@pytest.mark.parametrize("name", RESERVED_NAMES)
def test_a_parameter_named_after_an_option_or_control_is_refused_by_name(
    target: Target, ssm_on: Ssm, name: str
) -> None:
    ssm_on.put(f"{PREFIX}/{name}", str(code_to_run(target)))
    with pytest.raises(SsmMappingError) as caught:
        target.project.settings().get("OTHER_SECRET")
    assert f"SSM parameter {PREFIX}/{name} maps to " in str(caught.value)
    target.assert_refusal(caught.value, f"{PREFIX}/{name}")


def test_a_reserved_parameter_added_later_keeps_the_previous_set(target: Target, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/api_token", "first-token")
    manager = SecretsManager(settings=target.project.settings())
    assert manager.get_string("api_token") == "first-token"
    ssm_on.put(f"{PREFIX}/api_token", "second-token")
    ssm_on.put(f"{PREFIX}/preload_for_dynaconf", str(code_to_run(target)))
    with pytest.raises(SsmMappingError, match="preload_for_dynaconf"):
        manager.refresh_cache(wait=True)
    assert manager.get_string("api_token") == "first-token"
    assert manager.health_check()["last_error"]["code"] == "SsmMappingError"
    assert not target.executed.exists()


def test_a_double_underscore_name_collides_with_the_nested_one(ssm_on: Ssm, project: Project) -> None:
    ssm_on.put(f"{PREFIX}/database/password", "nested")
    ssm_on.put(f"{PREFIX}/database__password", "flattened")
    with pytest.raises(
        SsmMappingError, match=f"{PREFIX}/database/password and SSM parameter {PREFIX}/database__password"
    ):
        project.settings().get("DATABASE")


@pytest.mark.parametrize(
    "variable", ["CLARITY_INCLUDES_FOR_DYNACONF", "CLARITY_ENV_FOR_DYNACONF", "CLARITY_DYNACONF_INCLUDE"]
)
def test_a_clarity_variable_named_after_an_option_is_refused(target: Target, variable: str) -> None:
    os.environ[variable] = str(code_to_run(target))
    with pytest.raises(ConfigurationError) as caught:
        target.project.settings().get("OTHER_SECRET")
    target.assert_refusal(caught.value, f"The environment variable {variable} maps to ")


@pytest.mark.parametrize(
    "variable", ["INCLUDES_FOR_DYNACONF", "SETTINGS_FILE_FOR_DYNACONF", "CLARITY_PRELOAD_FOR_DYNACONF"]
)
def test_a_dotenv_option_is_refused_naming_the_file(target: Target, variable: str) -> None:
    env_file = target.project.write(".env", f"{variable}={code_to_run(target)}\n")
    with pytest.raises(ConfigurationError) as caught:
        target.project.settings().get("OTHER_SECRET")
    target.assert_refusal(caught.value, f"{env_file} sets {variable}, a dynaconf option")


def production_without_secrets(project: Project) -> None:
    """The real environment says production; SSM off; no secret anywhere."""
    production(use_ssm=False)
    project.write("settings.toml", "[production]\nservice_name = 'svc'\n")


def test_a_dotenv_beside_a_production_service_is_not_read(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    production_without_secrets(project)
    project.write(".env", "CLARITY_ALLOW_REDUCED_SECURITY=true\nAWS_CONFIG_FILE=.env\n")
    with pytest.raises(InvalidSettingError, match="MODEL_SIGNATURE_KEY is required in production"):
        project.settings().get("SERVICE_NAME")
    assert "AWS_CONFIG_FILE" not in os.environ
    assert f"{project.root / '.env'} is not read: outside development no .env is read" in caplog.text


@pytest.mark.parametrize(
    ("real_environment", "options"),
    [
        ({}, {"FORCE_ENV_FOR_DYNACONF": "production"}),
        ({}, {"ENV_FOR_DYNACONF": "production"}),
        ({}, {"Env": "production"}),
        ({"APP_ENV": "production"}, {"env_switcher": "APP_ENV"}),
        ({"ENV_FOR_DYNACONF": "production", "LOAD_DOTENV_FOR_DYNACONF": "true"}, {}),
    ],
    ids=["force_env in code", "ENV_FOR_DYNACONF in code", "Env in code", "own switcher", "LOAD_DOTENV"],
)
def test_no_spelling_of_production_reads_dotenv(
    project: Project, real_environment: dict[str, str], options: dict[str, str]
) -> None:
    os.environ.update(
        {"CLARITY_USE_SSM": "false", "CLARITY_ALLOW_REDUCED_SECURITY": "true", **real_environment}
    )
    project.write(".env", "AWS_CONFIG_FILE=.env\nCLARITY_FROM_DOTENV=yes\n")
    settings_object = project.settings(**options)
    assert (str(settings_object.current_env).lower(), settings_object.get("FROM_DOTENV")) == (
        "production",
        None,
    )
    assert "AWS_CONFIG_FILE" not in os.environ


def test_values_a_development_load_took_from_dotenv_never_reach_production(project: Project) -> None:
    os.environ.update({"CLARITY_USE_SSM": "false", "CLARITY_ALLOW_REDUCED_SECURITY": "true"})
    project.write(".env", "CLARITY_FROM_DOTENV=yes\n")
    assert project.settings().FROM_DOTENV == "yes"
    assert project.settings(env="production").get("FROM_DOTENV") is None


def test_a_real_control_variable_in_any_spelling_wins_over_dotenv(project: Project) -> None:
    os.environ.update({"CLARITY_USE_SSM": "false", "CLARITY_ssm_prefix": "/clarity/real"})
    project.write(".env", "CLARITY_SSM_PREFIX=/clarity/evil\n")
    assert SecretsManager(settings=project.settings()).health_check()["ssm_prefix"] == "/clarity/real"


def test_a_pull_refuses_a_reserved_name(target: Target, ssm_on: Ssm, pulled: Path) -> None:
    ssm_on.put(f"{PREFIX}/yaml", str(target.marker))
    result = CliRunner().invoke(main, ["ssm", "pull", str(pulled.with_suffix(".toml"))])
    assert result.exit_code == 1
    assert f"SSM parameter {PREFIX}/yaml maps to YAML, a dynaconf option" in result.stderr
    assert not pulled.with_suffix(".toml").exists()


def test_a_dotenv_that_chose_staging_feeds_it_nothing(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    os.environ["CLARITY_USE_SSM"] = "false"
    project.write(
        ".env",
        "ENV_FOR_DYNACONF=staging\nCLARITY_ALLOW_REDUCED_SECURITY=true\nMODEL_SIGNATURE_KEY=" + "k" * 40,
    )
    with pytest.raises(InvalidSettingError, match="MODEL_SIGNATURE_KEY is required in staging"):
        project.settings().get("SERVICE_NAME")
    assert "MODEL_SIGNATURE_KEY, CLARITY_ALLOW_REDUCED_SECURITY from .env are not used" in caplog.text


def test_reduced_security_in_a_settings_file_is_ignored_once_per_load(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    production_without_secrets(project)
    project.write("settings.toml", "[production]\nallow_reduced_security = true\n")
    with pytest.raises(InvalidSettingError, match="MODEL_SIGNATURE_KEY is required in production"):
        project.settings().get("SERVICE_NAME")
    assert caplog.text.count("ALLOW_REDUCED_SECURITY from toml") == 1


def test_a_real_variable_wins_over_any_alias_or_spelling_in_dotenv(project: Project) -> None:
    os.environ.update({"MODEL_SIGNATURE_KEY": "real-key", "CLARITY_DATABASE__PASSWORD": "real-password"})
    project.write(".env", "CLARITY_MODEL_SIGNATURE_KEY=evil-key\nCLARITY_database__password=evil-password\n")
    settings_object = project.settings()
    assert (settings_object.MODEL_SIGNATURE_KEY, settings_object.DATABASE.PASSWORD) == (
        "real-key",
        "real-password",
    )


def test_two_spellings_of_one_setting_in_the_environment_are_refused(project: Project) -> None:
    os.environ.update({"CLARITY_DATABASE__PASSWORD": "one", "CLARITY_database__password": "two"})
    with pytest.raises(
        ConfigurationError,
        match="CLARITY_DATABASE__PASSWORD and the environment variable CLARITY_database__password both",
    ):
        project.settings().get("DATABASE")


def test_a_dotenv_environment_name_is_not_evaluated(project: Project) -> None:
    project.write(".env", "ENV_FOR_DYNACONF=@upper production\n")
    with pytest.raises(
        ConfigurationError, match="sets ENV_FOR_DYNACONF to something other than a plain name"
    ):
        project.settings().get("SERVICE_NAME")


def test_reduced_security_in_a_settings_file_does_not_weaken_production(project: Project) -> None:
    production_without_secrets(project)
    project.write("settings.toml", "[production]\nallow_reduced_security = true\n")
    with pytest.raises(InvalidSettingError, match="MODEL_SIGNATURE_KEY is required in production"):
        project.settings().get("SERVICE_NAME")


def test_reduced_security_from_the_real_environment_still_works(project: Project) -> None:
    production_without_secrets(project)
    os.environ["CLARITY_ALLOW_REDUCED_SECURITY"] = "true"
    assert project.settings().SERVICE_NAME == "svc"


def test_reduced_security_given_in_code_still_works(project: Project) -> None:
    production_without_secrets(project)
    assert project.settings(allow_reduced_security=True).SERVICE_NAME == "svc"


def test_dotenv_cannot_move_production_to_development(project: Project) -> None:
    production_without_secrets(project)
    os.environ["MODEL_SIGNATURE_KEY"] = "short"
    project.write(".env", "ENV_FOR_DYNACONF=development\n")
    with pytest.raises(InvalidSettingError, match="shorter than the 32 characters production requires"):
        project.settings().get("SERVICE_NAME")


def test_dotenv_picks_the_environment_when_the_real_environment_is_silent(project: Project) -> None:
    os.environ["CLARITY_USE_SSM"] = "false"
    project.write(".env", "ENV_FOR_DYNACONF=staging\n")
    project.write("settings.toml", "[staging]\nservice_name = 'staging-svc'\n")
    os.environ["CLARITY_ALLOW_REDUCED_SECURITY"] = "true"
    settings_object = project.settings()
    assert (settings_object.current_env, settings_object.SERVICE_NAME) == ("staging", "staging-svc")


@pytest.mark.parametrize("option", ["env_for_dynaconf", "force_env_for_dynaconf"])
def test_a_settings_file_cannot_choose_the_environment(project: Project, option: str) -> None:
    production_without_secrets(project)
    path = project.write("settings.toml", f"[default]\n{option} = 'development'\n")
    with pytest.raises(ConfigurationError) as caught:
        project.settings().get("SERVICE_NAME")
    assert f"{option.upper()} is set by toml {path}" in str(caught.value)


@pytest.fixture
def nested_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory two levels below a directory holding a .env and a settings.toml."""
    (tmp_path / ".env").write_text("CLARITY_FROM_PARENT=dotenv\n")
    (tmp_path / "parent.toml").write_text("[default]\nfrom_parent_toml = 'toml'\n")
    deep = tmp_path / "app" / "service"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    del os.environ["DOTENV_PATH_FOR_DYNACONF"]
    os.environ["CLARITY_USE_SSM"] = "false"
    return deep


def test_files_in_parent_directories_are_not_read(nested_directory: Path) -> None:
    settings_object = create_settings(settings_files=["parent.toml"])
    assert (settings_object.get("FROM_PARENT"), settings_object.get("FROM_PARENT_TOML")) == (None, None)


def test_parent_directories_are_searched_when_asked(nested_directory: Path) -> None:
    settings_object = create_settings(settings_files=["parent.toml"], search_parent_directories=True)
    assert (settings_object.FROM_PARENT, settings_object.FROM_PARENT_TOML) == ("dotenv", "toml")


def test_a_handed_ssm_client_logs_no_value_at_debug(ssm_on: Ssm, caplog: pytest.LogCaptureFixture) -> None:
    secret = "handed-client-secret-4c1e8b7a"
    ssm_on.put(f"{PREFIX}/api_token", secret)
    client = boto3.client("ssm", region_name=REGION, endpoint_url=ssm_on.proxy.url)
    manager = SecretsManager(client=client, use_ssm=True, ssm_prefix=PREFIX)
    with caplog.at_level(logging.DEBUG):
        assert manager.get_string("api_token") == secret
    assert any("redacted by clarity-settings" in record.getMessage() for record in caplog.records)
    assert secret[:10] not in caplog.text


def test_every_token_form_in_first_position_is_refused_and_counted(target: Target, ssm_on: Ssm) -> None:
    """The figures docs/RELIABILITY.md quotes: every token form refused from SSM, none evaluated."""
    refused = 0
    for token in target.tokens():
        ssm_on.put(f"{PREFIX}/payload", token)
        with pytest.raises(ConfigurationError) as caught:
            target.project.settings().get("PAYLOAD")
        target.assert_refusal(caught.value, f"{PREFIX}/payload")
        refused += 1
    record(
        "attacker",
        token_forms=len(target.tokens()),
        refused_in_first_position=refused,
        placements=6,
        reserved_names=len(RESERVED_NAMES),
        hypothesis_examples_per_layer=40,
    )
    assert refused == len(target.tokens())


def test_a_flask_app_in_production_reads_no_env_file_at_any_refresh(
    project: Project, ssm_on: Ssm, monkeypatch: pytest.MonkeyPatch
) -> None:
    production(use_ssm=True)
    ssm_on.put("/clarity/production/model_signature_key", "p" * 40)
    ssm_on.put(
        "/clarity/production/expected_model_checksums",
        json.dumps({s: "a" * 64 for s in ("small", "medium", "large")}),
    )
    for directory in (project.root, project.root.parent):
        (directory / ".env").write_text(
            "CLARITY_API_TOKEN=from-dotenv\nCLARITY_DATABASE__HOST=evil.example\n"
        )
    monkeypatch.delenv("DOTENV_PATH_FOR_DYNACONF")
    monkeypatch.chdir(project.root)
    settings = project.settings(dotenv_path=None)
    init_app(Flask(__name__), settings)
    settings.refresh_now()
    assert (settings.get("API_TOKEN"), settings.get("DATABASE"), "CLARITY_API_TOKEN" in os.environ) == (
        None,
        None,
        False,
    )
