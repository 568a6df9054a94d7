"""The dynaconf releases the package supports, and the dynaconf internals it uses, said in one place each."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from clarity_settings import DynaconfVersionError, dynaconf_internals

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = frozenset(
    {
        "dynaconf.DjangoDynaconf",
        "dynaconf.DynaconfParseError",
        "dynaconf.FlaskDynaconf",
        "dynaconf.LazySettings",
        "dynaconf.Validator",
        "dynaconf.base.LazySettings",
        "dynaconf.base.Settings",
        "dynaconf.loaders.base.SourceMetadata",
        "dynaconf.nodes.DataDict",
        "dynaconf.utils.parse_conf.DynaconfParseError",
        "dynaconf.validator.ValidationError",
    }
)
"""dynaconf's documented API: the classes, the loader metadata custom loaders record, the errors."""


def dynaconf_imports() -> set[str]:
    """Every dynaconf name the package and its loaders import, as module.name."""
    imported: set[str] = set()
    for path in [*ROOT.joinpath("clarity_settings").rglob("*.py"), *ROOT.joinpath("loaders").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dynaconf"):
                imported |= {f"{node.module}.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names if alias.name.startswith("dynaconf")}
    return imported


def test_every_dynaconf_name_imported_is_public_or_listed_as_an_internal() -> None:
    listed = set(dynaconf_internals.INTERNALS)
    unlisted = {
        name
        for name in dynaconf_imports() - PUBLIC - listed
        if not any(internal.startswith(f"{name}.") for internal in listed)
    }
    assert unlisted == set()


def test_architecture_explains_every_internal_and_no_other() -> None:
    section = (
        (ROOT / "docs" / "ARCHITECTURE.md")
        .read_text()
        .split("## What the package uses of dynaconf's inside")[1]
    )
    explained = set(re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE))
    assert explained == set(dynaconf_internals.INTERNALS)


def test_the_installed_dynaconf_has_every_internal() -> None:
    assert dynaconf_internals.missing() == []


def test_the_supported_range_is_the_one_pyproject_declares() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"dynaconf{dynaconf_internals.SUPPORTED}" in dependencies


def test_a_release_lacking_an_internal_is_refused_naming_it_and_the_range() -> None:
    with pytest.raises(DynaconfVersionError) as caught:
        dynaconf_internals.require("3.3.3", ["dynaconf.utils.functional.is_lazy"])
    assert str(caught.value) == (
        "clarity-settings supports dynaconf >=3.3.4,<=3.3.5; dynaconf 3.3.3 lacks "
        "dynaconf.utils.functional.is_lazy, which it needs; install a supported release: "
        "pip install 'dynaconf>=3.3.4,<=3.3.5'"
    )


def test_a_newer_release_with_every_internal_is_used_with_a_warning() -> None:
    with pytest.warns(
        RuntimeWarning, match=r"dynaconf 3\.4\.0 is outside the releases clarity-settings was tested"
    ):
        dynaconf_internals.require("3.4.0", [])


def test_a_missing_internal_stops_import_clarity_settings_with_the_message() -> None:
    script = "import dynaconf.utils.functional as f; del f.is_lazy; import clarity_settings"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.stderr.splitlines()[-1].startswith(
        "clarity_settings.errors.DynaconfVersionError: clarity-settings supports dynaconf >=3.3.4,<=3.3.5; "
        f"dynaconf {metadata.version('dynaconf')} lacks dynaconf.utils.functional.is_lazy"
    )
