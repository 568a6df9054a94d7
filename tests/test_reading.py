"""How reads are answered (reading.py): a settled object reads its snapshot, an attending one attends first.

Speed is for bench/hot_read.py; these check the behaviour the speed must not cost: every spelling
dynaconf documents, changes made in place seen at once, reads never seeing a mixture of two sets.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
from dynaconf.utils.parse_conf import DynaconfFormatError
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from clarity_settings import data_values
from clarity_settings.settings import ClaritySettings
from tests.conftest import PREFIX, Project, Ssm, eventually


def has_getattr(obj: object) -> bool:
    """Whether an attribute read that misses would reach code (a class in obj's MRO defines __getattr__)."""
    return any("__getattr__" in vars(cls) for cls in type(obj).__mro__)


def test_a_loaded_object_with_nothing_to_attend_to_reads_without_getattr(project: Project) -> None:
    project.write("settings.toml", '[default]\nservice_name = "svc"\n')
    settings = project.settings()
    assert has_getattr(settings), "before its first load every read must reach the loader"
    assert settings.SERVICE_NAME == "svc"
    assert not has_getattr(settings)
    assert isinstance(settings, ClaritySettings)
    assert type(settings).__name__ == "ClaritySettings"


def test_settings_read_in_upper_and_lower_case_by_attribute_and_any_case_by_item(project: Project) -> None:
    project.write("settings.toml", '[default]\nservice_name = "svc"\n[default.database]\nhost = "db"\n')
    settings = project.settings()
    settings.SERVICE_NAME  # noqa: B018 - the first load
    assert settings.SERVICE_NAME == settings.service_name == "svc"
    assert settings["SERVICE_NAME"] == settings["service_name"] == settings["Service_Name"] == "svc"
    assert settings["database.host"] == settings.DATABASE.HOST == settings.database.host == "db"
    assert settings.get("Service_Name") == "svc"


def test_a_mixed_case_attribute_is_refused_in_every_state(project: Project) -> None:
    project.write("settings.toml", '[default]\nservice_name = "svc"\n')
    settings = project.settings()
    with pytest.raises(AttributeError, match="Service_Name"):
        settings.Service_Name  # noqa: B018 - attending: before the first load
    with pytest.raises(AttributeError, match="Service_Name"):
        settings.Service_Name  # noqa: B018 - settled
    with settings.fresh(), pytest.raises(AttributeError, match=r"settings\.SERVICE_NAME"):
        settings.Service_Name  # noqa: B018 - attending: fresh reads


def test_a_setting_never_shadows_dynaconfs_api(project: Project) -> None:
    project.write("settings.toml", '[default]\nget = "a value"\nas_dict = 1\n')
    settings = project.settings()
    assert settings.GET == "a value"
    assert callable(settings.get)
    assert settings.get("GET") == "a value"
    assert settings.as_dict()["AS_DICT"] == 1


def test_dynaconfs_api_answers_on_a_settled_object(project: Project) -> None:
    project.write("settings.toml", '[default]\nservice_name = "svc"\n[production]\nservice_name = "prod"\n')
    settings = project.settings()
    assert settings.current_env == "development"
    assert not has_getattr(settings)
    assert settings.from_env("production").SERVICE_NAME == "prod"
    assert settings.as_dict()["SERVICE_NAME"] == "svc"
    assert "SERVICE_NAME" in settings
    assert settings.exists("SERVICE_NAME")
    assert settings("SERVICE_NAME") == "svc"
    assert settings.configured


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s.set("SERVICE_NAME", "set"), "set"),
        (lambda s: s.update({"SERVICE_NAME": "updated"}), "updated"),
        (lambda s: setattr(s, "SERVICE_NAME", "assigned"), "assigned"),
        (lambda s: s.__setitem__("SERVICE_NAME", "item"), "item"),
        (lambda s: s.instance.set("SERVICE_NAME", "underneath"), "underneath"),
    ],
)
def test_a_change_made_in_place_is_read_at_once(project: Project, change: Any, expected: str) -> None:
    project.write("settings.toml", '[default]\nservice_name = "svc"\n')
    settings = project.settings()
    assert settings.SERVICE_NAME == "svc"
    change(settings)
    assert settings.SERVICE_NAME == settings.service_name == settings["SERVICE_NAME"] == expected
    assert not has_getattr(settings)


def test_an_unset_setting_is_gone_from_every_read(project: Project) -> None:
    project.write("settings.toml", '[default]\nservice_name = "svc"\nextra = 1\n')
    settings = project.settings()
    assert settings.EXTRA == 1
    settings.unset("EXTRA")
    with pytest.raises(AttributeError):
        settings.EXTRA  # noqa: B018 - gone
    with pytest.raises(AttributeError):
        settings.extra  # noqa: B018 - its lower-case name too
    assert "EXTRA" not in settings.as_dict()


def test_a_value_dynaconf_evaluates_reads_as_dynaconf_reads_it(project: Project) -> None:
    """dynaconf caches an attribute read of a @format value and evaluates it again at each get()."""
    project.write("settings.toml", '[default]\ngreeting = "@format hello {env[TEST_NAME]}"\n')
    os.environ["TEST_NAME"] = "ada"
    settings = project.settings()
    assert settings.GREETING == settings.greeting == settings["GREETING"] == "hello ada"
    assert not has_getattr(settings)
    os.environ["TEST_NAME"] = "grace"
    assert settings.get("GREETING") == "hello grace"
    settings.set("OTHER", 1)
    assert settings.GREETING == "hello grace"


def test_a_value_that_fails_to_evaluate_fails_the_read_as_in_dynaconf(project: Project) -> None:
    project.write("settings.toml", '[default]\ngreeting = "@format hello {env[NOT_SET_ANYWHERE]}"\n')
    settings = project.settings()
    with pytest.raises(DynaconfFormatError, match="NOT_SET_ANYWHERE"):
        settings.GREETING  # noqa: B018 - dynaconf's own error, at the read
    assert has_getattr(settings)


def test_reads_attend_inside_fresh_and_settle_after_it(project: Project, ssm: Ssm) -> None:
    ssm.put(f"{PREFIX}/model_signature_key", "k" * 40)
    settings = project.settings(cache_ttl_seconds=300)
    assert settings.MODEL_SIGNATURE_KEY == "k" * 40
    assert not has_getattr(settings)
    ssm.put(f"{PREFIX}/model_signature_key", "n" * 40)
    with settings.fresh():
        assert has_getattr(settings)
        assert settings.MODEL_SIGNATURE_KEY == "n" * 40
    assert not has_getattr(settings)
    assert settings.MODEL_SIGNATURE_KEY == settings["MODEL_SIGNATURE_KEY"] == "n" * 40


def test_a_ttl_of_zero_keeps_every_read_attending(project: Project, ssm: Ssm) -> None:
    ssm.put(f"{PREFIX}/model_signature_key", "k" * 40)
    settings = project.settings(cache_ttl_seconds=0)
    assert settings.MODEL_SIGNATURE_KEY == "k" * 40
    assert has_getattr(settings)
    ssm.put(f"{PREFIX}/model_signature_key", "n" * 40)
    assert settings["MODEL_SIGNATURE_KEY"] == "n" * 40


def test_a_background_refresh_is_read_from_the_new_snapshot(project: Project, ssm: Ssm) -> None:
    ssm.put(f"{PREFIX}/model_signature_key", "k" * 40)
    settings = project.settings(cache_ttl_seconds=1)
    assert settings.MODEL_SIGNATURE_KEY == "k" * 40
    ssm.put(f"{PREFIX}/model_signature_key", "n" * 40)
    eventually(lambda: settings.MODEL_SIGNATURE_KEY == "n" * 40)
    assert settings.model_signature_key == settings["MODEL_SIGNATURE_KEY"] == "n" * 40
    assert not has_getattr(settings)


SETTING_NAMES = st.lists(
    st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,5}(_[A-Za-z0-9]{1,4}){0,2}", fullmatch=True).filter(
        lambda name: not data_values.is_dynaconf_option(name)
    ),
    min_size=1,
    max_size=8,
    unique_by=str.upper,
)


@examples(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=SETTING_NAMES)
def test_every_setting_reads_the_same_from_the_snapshot_as_from_dynaconf(
    project: Project, names: list[str]
) -> None:
    settings = project.settings()
    settings.update({name: f"value of {name}" for name in names})
    for name in names:
        expected = settings.instance.get(name)
        assert expected == f"value of {name}"
        assert getattr(settings, name.upper()) == settings[name] == expected
        if not hasattr(ClaritySettings, name.lower()):
            assert getattr(settings, name.lower()) == expected


def test_readers_never_see_two_updates_out_of_order(project: Project) -> None:
    """One update() sets FIRST and SECOND to n; reading FIRST then SECOND never finds SECOND older."""
    project.write("settings.toml", "[default]\nfirst = 0\nsecond = 0\n")
    settings = project.settings()
    settings.FIRST  # noqa: B018 - the first load
    stop = threading.Event()
    anomalies: list[tuple[int, int]] = []

    def read() -> None:
        while not stop.is_set():
            first = settings.FIRST
            second = settings.SECOND
            if second < first:
                anomalies.append((first, second))

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    for version in range(1, 400):
        settings.update({"FIRST": version, "SECOND": version})
    stop.set()
    for reader in readers:
        reader.join()
    assert anomalies == []
    assert (settings.FIRST, settings.SECOND) == (399, 399)
