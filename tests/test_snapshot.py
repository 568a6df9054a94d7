"""The encrypted last-known-good snapshot: written after a validated load, standing in at a cold start.

SSM and KMS are moto's, reached over HTTP through the proxy, which makes SSM fail for the outages.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clarity_settings import SecretsManager
from clarity_settings.cli import main
from clarity_settings.errors import ConfigurationError, InvalidSettingError, SnapshotError
from clarity_settings.names import MODEL_SIZES
from clarity_settings.snapshot import keys, last_good, sealed
from tests.conftest import PRODUCTION_PREFIX, Project, Ssm, production
from tests.ssm_proxy import ACCESS_DENIED, DROP

KEY = "production-signature-key-" + "p" * 24
PASSWORD = "database-password-7c1e9a"
CHECKSUMS = {size: digit * 64 for size, digit in zip(MODEL_SIZES, "abc", strict=True)}
VALUES = [KEY, PASSWORD, *CHECKSUMS.values()]
PLATFORM_KEY = base64.b64encode(bytes(range(32))).decode()


@pytest.fixture
def snapshot_file(project: Project, ssm: Ssm, kms_key: str) -> Path:
    """Production with SSM on, the model secrets and a password in SSM, a snapshot under a KMS key."""
    path = project.root / "last-good.snapshot"
    production(use_ssm=True, CLARITY_SNAPSHOT_PATH=str(path), CLARITY_SNAPSHOT_KMS_KEY_ID=kms_key)
    ssm.put(f"{PRODUCTION_PREFIX}/model_signature_key", KEY)
    ssm.put(f"{PRODUCTION_PREFIX}/expected_model_checksums", json.dumps(CHECKSUMS))
    ssm.put(f"{PRODUCTION_PREFIX}/database/password", PASSWORD)
    return path


def started(project: Project) -> Any:
    """A settings object after its first load."""
    settings = project.settings()
    settings.instance  # noqa: B018 - the first load
    return settings


def outage(ssm: Ssm) -> None:
    """SSM stops answering (every connection dropped); KMS still answers."""
    ssm.proxy.fail_every(DROP, operation="GetParametersByPath")


@pytest.fixture
def cold_from_snapshot(project: Project, ssm: Ssm, snapshot_file: Path) -> Any:
    """A first start wrote the snapshot; SSM is down; a second process starts cold."""
    started(project).close()
    outage(ssm)
    ssm.proxy.reset_counts()
    return started(project)


def test_a_validated_load_writes_the_snapshot_for_the_owner_only(
    project: Project, snapshot_file: Path
) -> None:
    started(project)
    assert stat.S_IMODE(snapshot_file.stat().st_mode) == 0o600


def test_the_snapshot_holds_no_value_in_plain_text(project: Project, snapshot_file: Path) -> None:
    started(project)
    data = snapshot_file.read_bytes()
    assert [value for value in VALUES if value.encode() in data] == []


def test_a_set_loaded_without_its_validators_is_not_kept(project: Project, snapshot_file: Path) -> None:
    project.settings(dynaconf_skip_validators=True).instance  # noqa: B018 - the first load
    assert not snapshot_file.exists()


def test_the_write_leaves_no_temporary_file_beside_it(project: Project, snapshot_file: Path) -> None:
    started(project)
    assert [path.name for path in snapshot_file.parent.iterdir() if path.name.endswith(".tmp")] == []


def test_a_cold_start_during_an_ssm_outage_takes_the_snapshots_values(cold_from_snapshot: Any) -> None:
    assert (cold_from_snapshot.MODEL_SIGNATURE_KEY, cold_from_snapshot.DATABASE.PASSWORD) == (KEY, PASSWORD)


def test_a_set_from_the_snapshot_is_stale(cold_from_snapshot: Any) -> None:
    assert cold_from_snapshot.stale


def test_health_says_the_secrets_come_from_the_snapshot(cold_from_snapshot: Any) -> None:
    report = SecretsManager(settings=cold_from_snapshot).health_check()
    assert (
        report["secrets"]["MODEL_SIGNATURE_KEY"]["source"],
        report["secrets"]["MODEL_SIGNATURE_KEY"]["stale"],
    ) == (
        "snapshot",
        True,
    )


def test_health_gives_the_snapshots_age(cold_from_snapshot: Any, snapshot_file: Path) -> None:
    snapshot = SecretsManager(settings=cold_from_snapshot).health_check()["snapshot"]
    assert (snapshot["path"], 0 <= snapshot["age_seconds"] < 60) == (str(snapshot_file), True)


def test_a_restore_costs_one_kms_decrypt(cold_from_snapshot: Any, ssm: Ssm) -> None:
    assert (ssm.proxy.requests["Decrypt"], ssm.proxy.requests["GenerateDataKey"]) == (1, 0)


def test_a_set_from_the_snapshot_is_not_written_back_over_it(
    project: Project, ssm: Ssm, snapshot_file: Path
) -> None:
    started(project).close()
    written = snapshot_file.read_bytes()
    outage(ssm)
    started(project)
    assert snapshot_file.read_bytes() == written


def test_the_first_successful_refresh_replaces_the_snapshots_set(cold_from_snapshot: Any, ssm: Ssm) -> None:
    ssm.proxy.reset()
    cold_from_snapshot.refresh_now()
    report = SecretsManager(settings=cold_from_snapshot).health_check()
    assert (report["secrets"]["MODEL_SIGNATURE_KEY"]["source"], report["snapshot"]) == ("ssm", None)


def test_after_the_refresh_the_set_is_no_longer_stale(cold_from_snapshot: Any, ssm: Ssm) -> None:
    ssm.proxy.reset()
    cold_from_snapshot.refresh_now()
    assert not cold_from_snapshot.stale


def test_the_refreshed_set_is_written_over_the_snapshot(
    cold_from_snapshot: Any, ssm: Ssm, snapshot_file: Path
) -> None:
    written = snapshot_file.read_bytes()
    ssm.proxy.reset()
    cold_from_snapshot.refresh_now()
    assert snapshot_file.read_bytes() != written


def test_a_refresh_during_the_outage_keeps_the_snapshots_set(cold_from_snapshot: Any) -> None:
    with pytest.raises(Exception, match="SSM could not be read"):
        cold_from_snapshot.refresh_now()
    assert cold_from_snapshot.MODEL_SIGNATURE_KEY == KEY


def test_restored_texts_are_typed_as_the_ssm_loader_types_them(
    project: Project, ssm: Ssm, snapshot_file: Path
) -> None:
    ssm.put(f"{PRODUCTION_PREFIX}/workers", "@int 8")
    ssm.put(f"{PRODUCTION_PREFIX}/hosts", "a.example,b.example", kind="StringList")
    started(project).close()
    outage(ssm)
    restored = started(project)
    assert (restored.WORKERS, list(restored.HOSTS)) == (8, ["a.example", "b.example"])


def _tamper_header(path: Path) -> None:
    line, _, sealed_part = path.read_bytes().partition(b"\n")
    header = json.loads(line)
    header["written_at"] += 1
    path.write_bytes(json.dumps(header).encode() + b"\n" + sealed_part)


def _tamper_ciphertext(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))


REFUSALS = {
    "too old": ({"CLARITY_SNAPSHOT_MAX_AGE": "0.000001"}, None, "s old; CLARITY_SNAPSHOT_MAX_AGE allows"),
    "foreign prefixes": (
        {"CLARITY_SSM_PREFIX": "/clarity/shared,/clarity/production"},
        None,
        "was written for production /clarity/production, not for production /clarity/shared,",
    ),
    "changed header": ({}, _tamper_header, "does not decrypt: it was changed after it was written"),
    "changed ciphertext": ({}, _tamper_ciphertext, "does not decrypt: it was changed after it was written"),
    "missing": ({}, Path.unlink, "does not exist"),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_a_refused_snapshot_is_named_and_production_fails_closed(
    case: str, project: Project, ssm: Ssm, snapshot_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    environment, change, words = REFUSALS[case]
    started(project).close()
    if change is not None:
        change(snapshot_file)
    os.environ.update(environment)
    outage(ssm)
    with caplog.at_level(logging.ERROR, logger="clarity_settings"), pytest.raises(InvalidSettingError):
        started(project)
    assert words in caplog.text


def test_a_snapshot_under_another_kms_key_is_refused(
    project: Project, ssm: Ssm, snapshot_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    started(project).close()
    os.environ["CLARITY_SNAPSHOT_KMS_KEY_ID"] = "alias/another-key"
    outage(ssm)
    with caplog.at_level(logging.ERROR, logger="clarity_settings"), pytest.raises(InvalidSettingError):
        started(project)
    assert "has a data key KMS would not decrypt" in caplog.text


def test_a_write_that_kms_refuses_is_logged_and_the_load_goes_on(
    project: Project, snapshot_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    os.environ["CLARITY_SNAPSHOT_KMS_KEY_ID"] = "alias/no-such-key"
    with caplog.at_level(logging.ERROR, logger="clarity_settings"):
        settings = started(project)
    assert (settings.MODEL_SIGNATURE_KEY, "the snapshot was not written: KMS answered" in caplog.text) == (
        KEY,
        True,
    )


def test_a_platform_key_seals_and_opens_without_kms(project: Project, ssm: Ssm, snapshot_file: Path) -> None:
    del os.environ["CLARITY_SNAPSHOT_KMS_KEY_ID"]
    os.environ["CLARITY_SNAPSHOT_KEY"] = PLATFORM_KEY
    started(project).close()
    outage(ssm)
    ssm.proxy.reset_counts()
    restored = started(project)
    assert (restored.MODEL_SIGNATURE_KEY, ssm.proxy.requests["Decrypt"]) == (KEY, 0)


@pytest.mark.parametrize("text", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_platform_key_is_refused_without_being_shown(text: str, project: Project) -> None:
    os.environ.update({"CLARITY_SNAPSHOT_PATH": str(project.root / "s"), "CLARITY_SNAPSHOT_KEY": text})
    settings = project.settings()
    with pytest.raises(ConfigurationError) as refused:
        last_good.target_of(settings.instance, "production")
    assert text not in str(refused.value)


def test_both_keys_at_once_are_refused(project: Project) -> None:
    os.environ.update(
        {
            "CLARITY_SNAPSHOT_PATH": str(project.root / "s"),
            "CLARITY_SNAPSHOT_KEY": PLATFORM_KEY,
            "CLARITY_SNAPSHOT_KMS_KEY_ID": "alias/k",
        }
    )
    with pytest.raises(ConfigurationError, match="needs exactly one key"):
        last_good.target_of(project.settings().instance, "production")


def test_the_snapshot_key_is_shown_redacted(project: Project) -> None:
    os.environ.update({"CLARITY_USE_SSM": "false", "CLARITY_SNAPSHOT_KEY": PLATFORM_KEY})
    result = CliRunner().invoke(main, ["show", "--format", "json"], catch_exceptions=False)
    assert PLATFORM_KEY not in result.stdout


def test_a_mounted_directory_missing_at_start_is_stood_in_for(
    project: Project, ssm: Ssm, snapshot_file: Path
) -> None:
    mounted = project.root / "mounted"
    mounted.mkdir()
    (mounted / "api_token").write_text("mounted-token-1f2e3d")
    os.environ["CLARITY_SECRETS_DIR"] = str(mounted)
    started(project).close()
    shutil.rmtree(mounted)
    outage(ssm)
    assert started(project).API_TOKEN == "mounted-token-1f2e3d"


VARIABLE_TARGET = keys.VariableKey(bytes(range(32)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_any_changed_byte_of_the_file_is_refused(tmp_path: Path, position: int, flip: int) -> None:
    path = tmp_path / "s.snapshot"
    header = sealed.Header("production", ("/clarity/production",), 0.0, VARIABLE_TARGET.new_key({})[1])
    data = bytearray(sealed.seal(header, b'{"ssm": []}', VARIABLE_TARGET.key))
    data[position % len(data)] ^= flip
    path.write_bytes(bytes(data))
    with pytest.raises(SnapshotError):
        last_good.contents(last_good.read_sealed(path), VARIABLE_TARGET)


def cli(*args: str) -> Any:
    """The command in this process."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_snapshot_write_bakes_a_snapshot_for_an_image(
    project: Project, snapshot_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    result = cli("snapshot", "write")
    assert (result.exit_code, snapshot_file.exists()) == (0, True)


def test_snapshot_show_names_settings_and_sources(
    project: Project, snapshot_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    cli("snapshot", "write")
    shown = cli("snapshot", "show", "--format", "json")
    entries = json.loads(shown.stdout)["entries"]
    assert sorted(entry["setting"] for entry in entries) == [
        "DATABASE.PASSWORD",
        "EXPECTED_MODEL_CHECKSUMS",
        "MODEL_SIGNATURE_KEY",
    ]


def test_snapshot_show_prints_no_value(
    project: Project, snapshot_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    cli("snapshot", "write")
    shown = cli("snapshot", "show")
    assert [value for value in VALUES if value in shown.stdout + shown.stderr] == []


def test_kms_plaintext_data_keys_never_reach_a_debug_log(
    project: Project, snapshot_file: Path, ssm: Ssm, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        started(project).close()
        outage(ssm)
        started(project).close()
    assert [record.name for record in caplog.records if "Plaintext" in record.getMessage()] == []


def test_a_denied_ssm_does_not_fall_back_on_the_snapshot(
    project: Project, ssm: Ssm, snapshot_file: Path
) -> None:
    started(project).close()
    ssm.proxy.fail_every(ACCESS_DENIED, operation="GetParametersByPath")
    with pytest.raises(InvalidSettingError):
        started(project)


def test_a_fifo_at_the_snapshot_path_is_refused_at_once(
    project: Project, ssm: Ssm, snapshot_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    os.mkfifo(snapshot_file)
    outage(ssm)
    with caplog.at_level(logging.ERROR, logger="clarity_settings"), pytest.raises(InvalidSettingError):
        started(project)
    assert "is a FIFO, not a regular file" in caplog.text


def test_development_neither_writes_nor_reads_a_snapshot(
    project: Project, ssm: Ssm, snapshot_file: Path
) -> None:
    os.environ["ENV_FOR_DYNACONF"] = "development"
    started(project).close()
    assert not snapshot_file.exists()


def test_snapshot_show_judges_a_file_named_by_path_for_this_environment(
    project: Project, snapshot_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    cli("snapshot", "write")
    os.environ.pop("CLARITY_SNAPSHOT_PATH")
    shown = cli("--env", "staging", "snapshot", "show", "--path", str(snapshot_file), "--format", "json")
    assert json.loads(shown.stdout)["usable_here"].startswith("no: it was written for production")
