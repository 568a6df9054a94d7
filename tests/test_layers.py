"""Where a value comes from: the layers, their precedence, environments and the variables' names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dynaconf import Dynaconf

from tests.conftest import Project, Ssm

KEY = "MODEL_SIGNATURE_KEY"
CHECKSUMS_JSON = '{"small": "dev", "medium": "dev", "large": "dev"}'


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter from cwd, as an application started in that directory would be."""
    script = cwd / "app.py"
    script.write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "DOTENV_PATH_FOR_DYNACONF"}
    return subprocess.run(
        [sys.executable, str(script)], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_package_defaults_alone_give_a_working_development_configuration(tmp_path: Path) -> None:
    result = run_python(
        "from clarity_settings import settings\n"
        "print(settings.current_env, settings.SSM_PREFIX, settings.SECRETS_CACHE_TTL)\n"
        "print(sorted(settings.EXPECTED_MODEL_CHECKSUMS), len(settings.MODEL_SIGNATURE_KEY) > 0)\n",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "development /clarity/development 300",
        "['large', 'medium', 'small'] True",
    ]
    assert "insecure development placeholder" in result.stderr


def test_an_app_finds_the_settings_toml_and_env_of_its_own_directory(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text('[default]\ngreeting = "from toml"\n', encoding="utf-8")
    (tmp_path / ".env").write_text("CLARITY_FAREWELL=from-dotenv\n", encoding="utf-8")
    result = run_python(
        "from clarity_settings import settings\nprint(settings.GREETING, settings.FAREWELL)\n", tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "from toml from-dotenv"


def write_every_layer(project: Project, ssm: Ssm) -> None:
    """Give MODEL_SIGNATURE_KEY a distinct value in each layer above the package defaults."""
    project.write("settings.toml", f'[default]\n{KEY} = "toml-default"\n[development]\n{KEY} = "toml-env"\n')
    project.write(".secrets.toml", f'[development]\n{KEY} = "secrets-toml"\n')
    project.write(".env", f"{KEY}=dotenv\n")
    os.environ[KEY] = "environment"
    ssm.put("/clarity/development/model_signature_key", "ssm")
    os.environ["CLARITY_USE_SSM"] = "true"


def test_each_layer_overrides_every_layer_below_it(project: Project, ssm: Ssm) -> None:
    write_every_layer(project, ssm)

    def winner() -> str:
        return str(project.settings()[KEY])

    assert winner() == "ssm"
    ssm.delete("/clarity/development/model_signature_key")
    assert winner() == "environment"
    del os.environ[KEY]
    assert winner() == "dotenv"
    (project.root / ".env").unlink()
    del os.environ[KEY]  # dynaconf copied .env into os.environ; a new process would not have it
    assert winner() == "secrets-toml"
    (project.root / ".secrets.toml").unlink()
    assert winner() == "toml-env"
    project.write("settings.toml", f'[default]\n{KEY} = "toml-default"\n')
    assert winner() == "toml-default"
    (project.root / "settings.toml").unlink()
    assert winner() == "insecure-development-placeholder-model-signature-key"


def test_a_real_environment_variable_wins_over_the_same_one_in_dotenv(project: Project) -> None:
    project.write(".env", "CLARITY_REGION_NAME=dotenv\nCLARITY_ONLY_IN_DOTENV=kept\n")
    os.environ["CLARITY_REGION_NAME"] = "real"
    settings = project.settings()
    assert (settings.REGION_NAME, settings.ONLY_IN_DOTENV) == ("real", "kept")


def test_a_dotenv_shared_with_other_tools_loads_despite_variables_that_are_no_dynaconf_option(
    project: Project,
) -> None:
    project.write(".env", "DYNACONF_TESTING=true\nCLARITY_GREETING=hello\n")
    assert project.settings().GREETING == "hello"


def test_env_for_dynaconf_switches_section_and_ssm_prefix(project: Project, ssm: Ssm) -> None:
    project.write(
        "settings.toml",
        '[default]\nlabel = "default"\n[staging]\nlabel = "staging"\n[production]\nlabel = "production"\n',
    )
    ssm.put("/clarity/staging/model_signature_key", "s" * 40)
    ssm.put("/clarity/production/model_signature_key", "p" * 40)
    ssm.put("/clarity/staging/expected_model_checksums", checksums_json("a"))
    ssm.put("/clarity/production/expected_model_checksums", checksums_json("b"))
    os.environ["ENV_FOR_DYNACONF"] = "staging"
    staging = project.settings()
    assert (staging.LABEL, staging.SSM_PREFIX, staging[KEY]) == ("staging", "/clarity/staging", "s" * 40)
    production = staging.from_env("production")
    assert (production.LABEL, production[KEY]) == ("production", "p" * 40)
    assert production.EXPECTED_MODEL_CHECKSUMS["small"] == "b" * 64


def checksums_json(digit: str) -> str:
    """A production-shaped EXPECTED_MODEL_CHECKSUMS value."""
    return "{" + ", ".join(f'"{size}": "{digit * 64}"' for size in ("small", "medium", "large")) + "}"


def test_development_is_the_default_environment(project: Project) -> None:
    assert project.settings().current_env.lower() == "development"


def test_prefixed_variables_nest_with_double_underscores(project: Project) -> None:
    project.write("settings.toml", '[default]\ndatabase = { host = "db.local", port = 5432 }\n')
    os.environ["CLARITY_DATABASE__PASSWORD"] = "from-env"
    database = project.settings().DATABASE
    assert (database.HOST, database.PORT, database.PASSWORD) == ("db.local", 5432, "from-env")


def test_the_guides_unprefixed_variables_are_read_as_exact_text(project: Project) -> None:
    os.environ[KEY] = "0123"
    os.environ["MODEL_SIGNATURE_KEY_PREVIOUS"] = "1e10"
    os.environ["EXPECTED_MODEL_CHECKSUMS"] = CHECKSUMS_JSON
    settings = project.settings()
    assert settings[KEY] == "0123"
    assert settings.MODEL_SIGNATURE_KEY_PREVIOUS == "1e10"
    assert settings.EXPECTED_MODEL_CHECKSUMS == {"small": "dev", "medium": "dev", "large": "dev"}


def test_the_prefixed_form_wins_over_the_guides_unprefixed_name(project: Project) -> None:
    os.environ[KEY] = "unprefixed"
    os.environ[f"CLARITY_{KEY}"] = "prefixed"
    assert project.settings()[KEY] == "prefixed"


@pytest.mark.parametrize(
    ("filename", "text"),
    [
        ("settings.toml", f"[default]\nexpected_model_checksums = '{CHECKSUMS_JSON}'\n"),
        ("settings.toml", "[default]\nexpected_model_checksums = { small = 'dev' }\n"),
        (".secrets.toml", f"[development]\nexpected_model_checksums = '{CHECKSUMS_JSON}'\n"),
        (".env", f"EXPECTED_MODEL_CHECKSUMS={CHECKSUMS_JSON}\n"),
        (".env", f"CLARITY_EXPECTED_MODEL_CHECKSUMS={CHECKSUMS_JSON}\n"),
    ],
)
def test_expected_checksums_become_a_mapping_from_any_layer(
    project: Project, filename: str, text: str
) -> None:
    project.write(filename, text)
    checksums = project.settings().EXPECTED_MODEL_CHECKSUMS
    assert isinstance(checksums, dict)
    assert checksums["small"] == "dev"


def test_dynaconf_options_work_in_a_plain_dynaconf_object(project: Project) -> None:
    from clarity_settings import dynaconf_options

    project.write("settings.toml", '[development]\ncolour = "blue"\n')
    settings = Dynaconf(**dynaconf_options(settings_files=[str(project.root / "settings.toml")]))
    assert (settings.COLOUR, settings.SSM_PREFIX) == ("blue", "/clarity/development")


def test_python_dash_m_is_the_command_and_shows_sources_without_a_secret(tmp_path: Path) -> None:
    secret = "demo-secret-value-0a1b2c3d4e5f"
    (tmp_path / "settings.toml").write_text('[development]\nssm_prefix = "/team/dev"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "DOTENV_PATH_FOR_DYNACONF"}
    env.update({KEY: secret, "CLARITY_USE_SSM": "false"})
    result = subprocess.run(
        [sys.executable, "-m", "clarity_settings", "show"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [line.split() for line in result.stdout.splitlines()]
    assert [KEY, "<str,", str(len(secret)), "chars>", "env", KEY] in rows
    assert [
        "SSM_PREFIX",
        "/team/dev",
        "toml",
        str(tmp_path.resolve() / "settings.toml"),
        "[development]",
    ] in rows
    assert secret[:10] not in result.stdout + result.stderr
