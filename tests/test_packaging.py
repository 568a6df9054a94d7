"""What ships: the wheel built from this tree, installed alone, beside a project with its own `loaders`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel pip builds from the files git tracks, copied apart: no earlier build/ can leak into it."""
    out, source = tmp_path_factory.mktemp("wheel"), tmp_path_factory.mktemp("source")
    tracked = subprocess.run(
        ["git", "ls-files", "-z"],  # noqa: S607 - git from PATH, as a developer runs it
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    for name in filter(None, tracked):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    return next(out.glob("clarity_settings-*.whl"))


def test_the_wheel_installs_no_top_level_loaders_package(wheel: Path) -> None:
    top_levels = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {name for name in top_levels if not name.endswith(".dist-info")} == {"clarity_settings"}


def test_the_wheel_carries_the_loaders_inside_the_package(wheel: Path) -> None:
    files = set(zipfile.ZipFile(wheel).namelist())
    assert {"clarity_settings/loaders/ssm_loader.py", "clarity_settings/defaults.toml"} <= files


def test_the_wheel_carries_every_package_of_the_source(wheel: Path) -> None:
    files = set(zipfile.ZipFile(wheel).namelist())
    packages = {
        f"clarity_settings/{init.parent.relative_to(ROOT / 'clarity_settings').as_posix()}/__init__.py"
        for init in (ROOT / "clarity_settings").rglob("__init__.py")
        if init.parent != ROOT / "clarity_settings"
    }
    assert packages - files == set()


def test_the_wheel_offers_exactly_the_extras_readme_installs(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        name = next(item for item in archive.namelist() if item.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode()
    offered = set(re.findall(r"^Provides-Extra: (\S+)$", metadata, flags=re.MULTILINE))
    documented = set(re.findall(r"pip install 'clarity-settings\[(\w+)\]'", (ROOT / "README.md").read_text()))
    assert documented == offered - {"dev", "bench", "conformance"}


def test_a_project_with_its_own_loaders_package_loads_settings(wheel: Path, tmp_path: Path) -> None:
    installed = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(installed), str(wheel)],
        check=True,
        capture_output=True,
    )
    project = tmp_path / "project"
    (project / "loaders").mkdir(parents=True)
    (project / "loaders" / "__init__.py").write_text("")
    (project / "loaders" / "guide_env_loader.py").write_text("OWN = 'the project loader'\n")
    script = (
        "import clarity_settings, loaders.guide_env_loader as own\n"
        "print(own.OWN)\n"
        "print(clarity_settings.__file__)\n"
        "print(clarity_settings.settings.SSM_PREFIX)\n"
    )
    environment = {key: value for key, value in os.environ.items() if key != "DOTENV_PATH_FOR_DYNACONF"}
    environment.update({"PYTHONPATH": str(installed), "CLARITY_USE_SSM": "false"})
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.splitlines() == [
        "the project loader",
        str(installed / "clarity_settings" / "__init__.py"),
        "/clarity/development",
    ]
