"""The attacker who writes one parameter, one variable, one mounted file or one file *name*: every source
goes through one contract (clarity_settings.contract), so what SSM refuses, every other source refuses.

Each case asserts the one outcome users need: a refusal naming the origin and the rule (never the
value, never a raw control character), the previous values kept, and no marker file created.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from dynaconf.loaders.base import SourceMetadata
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from clarity_settings import ConfigurationError, SecretsManager, SsmMappingError
from clarity_settings.contract import code_settings, inbound
from clarity_settings.errors import RefreshDeadlineError
from tests.conftest import PREFIX, Project, Ssm, publish
from tests.ssm_proxy import latency
from tests.test_examples import manage

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
KEY = "k" * 40


def dict_config_running(marker: Path) -> dict[str, Any]:
    """A logging dictConfig whose filter factory is os.system: configuring logging runs a command."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"x": {"()": "os.system", "command": f"touch {marker}"}},
    }


@pytest.fixture
def mounted_dir(tmp_path: Path) -> Path:
    """A plain mounted directory (no kubelet generations), read through CLARITY_SECRETS_DIR, SSM off."""
    root = tmp_path / "secrets"
    root.mkdir()
    os.environ.update({"CLARITY_SECRETS_DIR": str(root), "CLARITY_USE_SSM": "false"})
    return root


def refusal(project: Project) -> str:
    """The message a settings object's first load refuses with."""
    with pytest.raises(ConfigurationError) as caught:
        project.settings().get("ANYTHING")
    return str(caught.value)


# Settings that name code ---------------------------------------------------------------------------


def test_a_logging_parameter_does_not_run_a_command_under_django(ssm: Ssm, tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    os.environ["CLARITY_USE_SSM"] = "true"
    publish(ssm, 1)
    ssm.put(f"{PREFIX}/logging", "@json " + json.dumps(dict_config_running(marker)))
    shown = manage("check")
    assert not marker.exists()
    assert f"SSM parameter {PREFIX}/logging sets LOGGING.FILTERS" in shown.stderr


def test_installed_apps_from_a_mounted_file_is_refused_under_django(
    mounted_dir: Path, tmp_path: Path
) -> None:
    (mounted_dir / "installed_apps").write_text('@json ["secrets_check", "attacker_app"]')
    shown = manage("check")
    assert f"The mounted file {mounted_dir}/installed_apps sets INSTALLED_APPS" in shown.stderr


@pytest.mark.parametrize(
    ("variable", "path"),
    [
        ("CLARITY_LOGGING", "LOGGING.VERSION"),
        ("CLARITY_LOGGING_CONFIG", "LOGGING_CONFIG"),
        ("CLARITY_LOGGING__HANDLERS", "LOGGING.HANDLERS.H.CLASS"),
    ],
)
def test_logging_is_refused_from_the_environment_everywhere(
    project: Project, variable: str, path: str
) -> None:
    os.environ[variable] = (
        "os.system"
        if variable.endswith("CONFIG")
        else '@json {"h": {"class": "os.system"}}'
        if variable.endswith("HANDLERS")
        else '@json {"version": 1}'
    )
    message = refusal(project)
    assert f"The environment variable {variable} sets {path}" in message
    assert "os.system" not in message


def test_a_mounted_logging_file_is_refused(project: Project, mounted_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    (mounted_dir / "logging").write_text("@json " + json.dumps(dict_config_running(marker)))
    assert f"The mounted file {mounted_dir}/logging sets LOGGING.FILTERS.X." in refusal(project)
    assert not marker.exists()


def test_names_the_user_adds_are_refused_from_ssm(ssm: Ssm, project: Project) -> None:
    os.environ["CLARITY_USE_SSM"] = "true"
    ssm.put(f"{PREFIX}/celery_task_cls", "attacker.Task")
    with pytest.raises(SsmMappingError, match=f"SSM parameter {PREFIX}/celery_task_cls sets CELERY_TASK_CLS"):
        project.settings(code_settings=["CELERY_TASK_CLS"]).get("CELERY_TASK_CLS")


def test_a_built_in_name_is_accepted_from_outside_only_when_code_names_it(project: Project) -> None:
    os.environ["CLARITY_LOGGING"] = '@json {"version": 1}'
    settings = project.settings(code_settings_from_outside=["LOGGING"])
    assert dict(settings.LOGGING) == {"version": 1}


def test_allowing_a_name_that_is_not_built_in_is_an_error(project: Project) -> None:
    with pytest.raises(ConfigurationError, match="CELERY_TASK_CLS, which is not a built-in code setting"):
        project.settings(code_settings_from_outside=["CELERY_TASK_CLS"])


def test_a_settings_file_may_still_configure_logging(project: Project) -> None:
    project.write("settings.toml", "[default]\nlogging = {version = 1, disable_existing_loggers = false}\n")
    assert project.settings().LOGGING.VERSION == 1


def test_a_database_password_may_still_come_from_ssm_under_django_rules(ssm: Ssm, project: Project) -> None:
    os.environ["CLARITY_USE_SSM"] = "true"
    ssm.put(f"{PREFIX}/databases/default/password", "from-ssm")
    builtin = ("LOGGING", "DATABASES.*.ENGINE")
    settings = project.settings(code_settings=builtin)
    assert settings.DATABASES.default.PASSWORD == "from-ssm"
    ssm.put(f"{PREFIX}/databases/default/engine", "attacker.backend")
    with pytest.raises(SsmMappingError, match=r"sets DATABASES\.DEFAULT\.ENGINE, under DATABASES"):
        project.settings(code_settings=builtin).get("DATABASES")


@pytest.mark.parametrize(
    ("name", "text", "path"),
    [
        (
            "caches/default/location",
            "redis://127.0.0.1:56379",
            "CACHES.DEFAULT.LOCATION, under CACHES.*.LOCATION",
        ),
        (
            "databases/default/options",
            '@json {"init_command": "ATTACH DATABASE \'/tmp/x.db\' AS e"}',
            "DATABASES.DEFAULT.OPTIONS.INIT_COMMAND, under DATABASES.*.OPTIONS",
        ),
    ],
)
def test_settings_that_lead_django_to_run_code_are_refused_from_ssm(
    ssm: Ssm, project: Project, name: str, text: str, path: str
) -> None:
    os.environ["CLARITY_USE_SSM"] = "true"
    ssm.put(f"{PREFIX}/{name}", text)
    with pytest.raises(SsmMappingError, match=re.escape(f"SSM parameter {PREFIX}/{name} sets {path}")):
        project.settings(code_settings=code_settings.DJANGO).get("ANYTHING")


# Names: one rule set, one collision check -----------------------------------------------------------


def test_two_spellings_of_the_signing_key_in_the_mounted_directory_are_refused(
    project: Project, mounted_dir: Path
) -> None:
    (mounted_dir / "MODEL_SIGNATURE_KEY").write_text("attacker")
    (mounted_dir / "model_signature_key").write_text("genuine")
    message = refusal(project)
    assert (
        f"The mounted file {mounted_dir}/MODEL_SIGNATURE_KEY and the mounted file "
        f"{mounted_dir}/model_signature_key both map to the setting MODEL_SIGNATURE_KEY"
    ) in message


@pytest.mark.parametrize(
    "name",
    ["x;$'\\145cho';y", "a\nBASH_ENV=$(touch x)", "key\x1b[31mred", "name with space", "caf\u00e9"],
)
def test_a_mounted_file_name_outside_ssm_characters_is_refused_and_shown_escaped(
    project: Project, mounted_dir: Path, name: str
) -> None:
    (mounted_dir / name).write_text("value")
    message = refusal(project)
    assert "has characters in its name that SSM does not allow" in message
    assert not any(character in message for character in "\n\x1b")


def test_a_name_nesting_past_fifteen_levels_is_refused(project: Project) -> None:
    os.environ["CLARITY_" + "__".join(["a"] * 16)] = "x"
    assert "nests 16 levels ('/' and '__'); at most 15 are allowed" in refusal(project)


def test_a_name_of_600_levels_is_refused_by_its_length_before_any_recursion(project: Project) -> None:
    os.environ["CLARITY_" + "__".join(["a"] * 600)] = "x"
    assert "has a name of 1798 characters; SSM allows 1011" in refusal(project)


def name_refusal(name: str) -> str | None:
    """Why the contract refuses a name, or None."""
    text = inbound.Text(name, "v", "the test name", SourceMetadata("test", "t", "global"))
    try:
        inbound.levels_of(text)
    except ConfigurationError as error:
        return str(error)
    return None


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_a_name_outside_ssm_characters_is_never_admitted(name: str) -> None:
    outside = not all(c.isascii() and (c.isalnum() or c in "_.-/") for c in name)
    assume(outside)
    assert "has characters in its name that SSM does not allow" in str(name_refusal(name))


def test_a_data_link_to_a_plain_sub_directory_is_refused(project: Project, mounted_dir: Path) -> None:
    (mounted_dir / "sub").mkdir()
    (mounted_dir / "sub" / "model_signature_key").write_text("attacker")
    os.symlink("sub", mounted_dir / "..data")
    assert "..data points at sub, not at a hidden generation beside it" in refusal(project)


def test_a_directory_tree_deeper_than_fifteen_levels_is_refused_before_it_is_walked(
    project: Project, mounted_dir: Path
) -> None:
    deep = mounted_dir.joinpath(*["d"] * 40)
    deep.mkdir(parents=True)
    (deep / "x").write_text("v")
    assert "nests directories more than 15 levels deep" in refusal(project)


# Values: a size bound and a depth bound ---------------------------------------------------------------


def test_a_value_nested_350_deep_is_refused_at_a_cold_load(ssm: Ssm, project: Project) -> None:
    os.environ["CLARITY_USE_SSM"] = "true"
    ssm.put(f"{PREFIX}/deep", "@json " + "[" * 350 + "]" * 350)
    with pytest.raises(SsmMappingError, match=f"SSM parameter {PREFIX}/deep nests its value more than 32"):
        project.settings().get("DEEP")


def test_a_deep_value_at_a_refresh_keeps_the_previous_set(ssm: Ssm, project: Project) -> None:
    os.environ["CLARITY_USE_SSM"] = "true"
    publish(ssm, 1)
    manager = SecretsManager(settings=project.settings())
    assert manager.get_model_signature_key() == "key-1"
    ssm.put(f"{PREFIX}/deep", "@json " + "[" * 350 + "]" * 350)
    with pytest.raises(SsmMappingError, match="nests its value more than 32"):
        manager.refresh_cache(wait=True)
    assert (manager.get_model_signature_key(), manager.health_check()["ssm_status"]) == ("key-1", "unhealthy")


def test_a_sparse_gigabyte_file_is_refused_from_its_size_alone(project: Project, mounted_dir: Path) -> None:
    with (mounted_dir / "huge").open("wb") as handle:
        handle.truncate(1 << 30)
    assert f"The mounted file {mounted_dir}/huge holds 1073741824 bytes; at most 8192" in refusal(project)


@pytest.mark.parametrize("text", ["@int " + "9" * 5000, "9" * 5000])
def test_a_number_past_pythons_digit_limit_is_refused_naming_the_variable(
    project: Project, text: str
) -> None:
    os.environ["CLARITY_HUGE"] = text
    assert "The environment variable CLARITY_HUGE holds a value past what Python reads" in refusal(project)


def test_an_oversized_variable_is_refused_naming_it(project: Project) -> None:
    os.environ["CLARITY_BLOB"] = "x" * 8193
    assert "The environment variable CLARITY_BLOB holds 8193 bytes" in refusal(project)


# Only regular files, never through a link -------------------------------------------------------------


def test_a_fifo_refuses_a_cold_start_at_once(project: Project, mounted_dir: Path) -> None:
    os.mkfifo(mounted_dir / "api_token")
    assert "api_token is a FIFO, not a regular file" in refusal(project)


def test_a_fifo_in_a_running_service_leaves_the_refresh_free(project: Project, mounted_dir: Path) -> None:
    (mounted_dir / "model_signature_key").write_text("first-key-" + KEY)
    manager = SecretsManager(settings=project.settings())
    assert manager.get_model_signature_key() == "first-key-" + KEY
    os.mkfifo(mounted_dir / "api_token")
    with pytest.raises(ConfigurationError, match="is a FIFO"):
        manager.refresh_cache(wait=True)
    assert manager.health_check()["secrets"]["MODEL_SIGNATURE_KEY"]["stale"] is True
    (mounted_dir / "api_token").unlink()
    (mounted_dir / "model_signature_key").write_text("rotated-key-" + KEY)
    manager.refresh_cache(wait=True)
    assert manager.get_model_signature_key() == "rotated-key-" + KEY


def test_dev_zero_linked_into_the_directory_is_not_followed(project: Project, mounted_dir: Path) -> None:
    os.symlink("/dev/zero", mounted_dir / "api_token")
    assert "api_token is a symbolic link; links are not followed" in refusal(project)


def test_a_hard_link_to_a_file_elsewhere_is_refused(
    project: Project, mounted_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside_secret"
    outside.write_text("stolen")
    os.link(outside, mounted_dir / "api_token")
    assert "api_token has 2 hard links" in refusal(project)


def test_a_socket_is_refused(project: Project, mounted_dir: Path) -> None:
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(mounted_dir / "api_token"))
    try:
        assert "api_token is a socket, not a regular file" in refusal(project)
    finally:
        listener.close()


def test_a_symlink_swapped_in_during_reads_never_leaks_the_file_outside(
    project: Project, mounted_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside_secret"
    outside.write_text("stolen")
    settings = project.settings()
    (mounted_dir / "api_token").write_text("inside")
    stop = threading.Event()

    def swap() -> None:
        spare = mounted_dir / ".spare"
        while not stop.is_set():
            os.symlink(outside, spare)
            os.replace(spare, mounted_dir / "api_token")
            spare.write_text("inside")
            os.replace(spare, mounted_dir / "api_token")

    swapper = threading.Thread(target=swap)
    swapper.start()
    seen: set[str] = set()
    try:
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            try:
                settings.refresh_now()
                seen.add(settings.API_TOKEN)
            except ConfigurationError as error:
                seen.add("refused" if "symbolic link" in str(error) else str(error))
    finally:
        stop.set()
        swapper.join()
    assert seen <= {"inside", "refused"}


# Nothing in a refresh blocks forever ---------------------------------------------------------------


def test_a_refresh_past_its_deadline_is_abandoned_and_the_next_runs(ssm: Ssm, project: Project) -> None:
    os.environ["CLARITY_USE_SSM"] = "true"
    publish(ssm, 1)
    settings = project.settings(refresh_deadline_seconds=0.5)
    manager = SecretsManager(settings=settings)
    assert manager.get_model_signature_key() == "key-1"
    publish(ssm, 2)
    ssm.proxy.fail_every(latency(5.0))
    with pytest.raises(RefreshDeadlineError, match=r"a refresh did not finish within 0\.5 s"):
        settings.refresh_now()
    assert (manager.get_model_signature_key(), settings.stale) == ("key-1", True)
    ssm.proxy.reset()
    settings.refresh_now()
    assert (manager.get_model_signature_key(), settings.stale) == ("key-2", False)


def test_a_first_load_past_its_deadline_fails_closed(ssm: Ssm, project: Project) -> None:
    os.environ["CLARITY_USE_SSM"] = "true"
    ssm.proxy.fail_every(latency(5.0))
    with pytest.raises(
        RefreshDeadlineError, match=r"the first load did not finish within 0\.5 s.*nothing was loaded"
    ):
        project.settings(refresh_deadline_seconds=0.5).get("MODEL_SIGNATURE_KEY")
