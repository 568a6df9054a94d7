"""CLARITY_SECRETS_DIR: a directory of real files, laid out and swapped as the kubelet does it."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from clarity_settings import mounted, provenance
from clarity_settings.errors import ConfigurationError
from tests.conftest import LOADER_REFUSALS, Project, eventually

KEYS = [f"key_{n:02d}" for n in range(12)]


class Kubelet:
    """A Secret volume as the kubelet writes it: hidden generations, ..data swapped, top-level symlinks."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.generation = 0

    def publish(self, files: dict[str, str]) -> None:
        """Write a new generation, swap ..data to it atomically, then remove the old one."""
        self.generation += 1
        new = self.root / f"..gen_{self.generation}"
        for name, text in files.items():
            path = new / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        temporary = self.root / "..data_tmp"
        os.symlink(new.name, temporary)
        old = (
            os.readlink(self.root / mounted.DATA_LINK)
            if (self.root / mounted.DATA_LINK).is_symlink()
            else None
        )
        os.replace(temporary, self.root / mounted.DATA_LINK)
        for top in {name.split("/")[0] for name in files}:
            link = self.root / top
            if not link.is_symlink():
                os.symlink(f"{mounted.DATA_LINK}/{top}", link)
        for link in self.root.iterdir():
            if not link.name.startswith(".") and not (new / link.name).exists():
                link.unlink()
        if old is not None:
            shutil.rmtree(self.root / old)


@pytest.fixture
def volume(tmp_path: Path) -> Kubelet:
    """An empty Secret volume, read by every settings object through CLARITY_SECRETS_DIR (SSM off)."""
    root = tmp_path / "secrets"
    root.mkdir()
    os.environ.update({"CLARITY_SECRETS_DIR": str(root), "CLARITY_USE_SSM": "false"})
    return Kubelet(root)


def generation_files(generation: int) -> dict[str, str]:
    return {name: f"gen-{generation}" for name in KEYS}


def test_each_file_is_a_setting_typed_and_nested_as_ssm_names_are(project: Project, volume: Kubelet) -> None:
    volume.publish(
        {
            "model_signature_key": "mounted-signature-key-" + "m" * 20,
            "database/password": "pw",
            "cache__host": "redis",
            "worker-count": "@int 4",
        }
    )
    settings = project.settings()
    assert (settings.DATABASE.PASSWORD, settings.CACHE.HOST, settings.WORKER_COUNT) == ("pw", "redis", 4)
    assert provenance.source_text(settings, "WORKER_COUNT") == f"secrets_dir {volume.root}/worker-count"
    assert settings.MODEL_SIGNATURE_KEY.startswith("mounted-signature-key-")


def test_the_directory_beats_variables_and_loses_to_ssm_read_directly(
    project: Project, volume: Kubelet
) -> None:
    volume.publish({"api_token": "from-the-volume"})
    os.environ["CLARITY_API_TOKEN"] = "from-the-environment"
    assert project.settings().API_TOKEN == "from-the-volume"


def test_16_readers_never_see_a_torn_generation_while_the_kubelet_swaps(volume: Kubelet) -> None:
    volume.publish(generation_files(1))
    stop = threading.Event()
    problems: list[str] = []
    reads = [0] * 16

    def reader(index: int) -> None:
        while not stop.is_set():
            found = mounted.read(volume.root)
            texts = {value.text for value in found}
            names = sorted(value.name.lower() for value in found)
            if len(texts) != 1 or names != KEYS:
                problems.append(f"{len(texts)} generations, {len(names)} keys")
            reads[index] += 1

    threads = [threading.Thread(target=reader, args=(index,)) for index in range(16)]
    for thread in threads:
        thread.start()
    for generation in range(2, 32):
        volume.publish(generation_files(generation))
        stop.wait(0.05)
    stop.set()
    for thread in threads:
        thread.join()
    assert problems == []
    assert min(reads) > 0


def test_a_refresh_picks_up_changed_added_and_deleted_files(project: Project, volume: Kubelet) -> None:
    volume.publish({"kept": "one", "gone": "soon"})
    settings = project.settings()
    changes: list[set[str]] = []
    settings.on_change(lambda changed: changes.append(set(changed)))
    assert (settings.KEPT, settings.GONE) == ("one", "soon")
    volume.publish({"kept": "two", "added": "new"})
    settings.refresh_now()
    assert (settings.KEPT, settings.ADDED, settings.get("GONE")) == ("two", "new", None)
    eventually(lambda: changes == [{"KEPT", "ADDED", "GONE"}])


def test_the_ttl_refreshes_the_directory_in_the_background(project: Project, volume: Kubelet) -> None:
    volume.publish({"api_token": "first"})
    os.environ["CLARITY_SECRETS_CACHE_TTL"] = "1"
    settings = project.settings()
    assert settings.API_TOKEN == "first"
    volume.publish({"api_token": "second"})
    eventually(lambda: settings.API_TOKEN == "second")


def test_an_unreadable_directory_keeps_the_last_set_marked_stale(project: Project, volume: Kubelet) -> None:
    volume.publish({"api_token": "kept"})
    settings = project.settings()
    assert settings.API_TOKEN == "kept"
    shutil.rmtree(volume.root)
    with pytest.raises(ConfigurationError, match="is not a directory"):
        settings.refresh_now()
    assert (settings.API_TOKEN, settings.stale) == ("kept", True)


@pytest.mark.parametrize("escape", ["file", "generation"])
def test_a_symlink_leaving_the_directory_is_refused(
    project: Project, volume: Kubelet, tmp_path: Path, escape: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "api_token").write_text("stolen")
    volume.publish({"kept": "one"})
    if escape == "file":
        os.symlink(outside / "api_token", volume.root / f"..gen_{volume.generation}" / "api_token")
    else:
        os.replace(volume.root / mounted.DATA_LINK, volume.root / "..old")
        os.symlink(outside, volume.root / mounted.DATA_LINK)
    message = "links are not followed" if escape == "file" else "not at a hidden generation beside it"
    with pytest.raises(ConfigurationError, match=message):
        project.settings().get("KEPT")


@pytest.mark.parametrize(("name", "text", "message"), LOADER_REFUSALS)
def test_a_file_is_data_under_the_rules_of_ssm_values(
    project: Project, volume: Kubelet, name: str, text: str, message: str
) -> None:
    volume.publish({name: text})
    with pytest.raises(ConfigurationError, match=message) as caught:
        project.settings().get("ANYTHING")
    assert f"The mounted file {volume.root}/{name}" in str(caught.value)
    assert text not in str(caught.value) or text == "false"


def test_a_plain_directory_without_data_link_is_read_as_it_is(project: Project, tmp_path: Path) -> None:
    root = tmp_path / "plain"
    (root / "database").mkdir(parents=True)
    (root / "database" / "host").write_text("db")
    (root / ".hidden").write_text("ignored")
    os.environ.update({"CLARITY_SECRETS_DIR": str(root), "CLARITY_USE_SSM": "false"})
    settings: Any = project.settings()
    assert (settings.DATABASE.HOST, settings.get("HIDDEN")) == ("db", None)
