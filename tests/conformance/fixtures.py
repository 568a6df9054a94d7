"""The fixtures dynaconf's test modules expect from the conftest.py that its sdist does not ship.

Written from what the tests use: a module-scoped ``settings`` read from DYNATEST_* variables, each
test in a temporary working directory whose .env sets DYNACONF_TESTING (a variable that is no
dynaconf option), ``clean_env``, ``create_file``, ``testdir`` and ``no_deprecations``.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

_PREFIX = "DYNATEST"
_VARIABLES = {
    "HOSTNAME": "host.com",
    "PORT": "@int 5000",
    "VALUE": "@float 42.1",
    "ALIST": '@json ["item1", "item2", "item3"]',
    "ADICT": '@json {"key": "value"}',
    "DEBUG": "@bool true",
    "TODELETE": "@bool true",
}
_BOXED_DATA = {
    "HOST": "server.com",
    "port": 8080,
    "PARAMS": {"username": "admin", "PASSWORD": "secret", "token": {"TYPE": 1, "value": 2}},
}


@pytest.fixture(scope="module")
def settings(request: pytest.FixtureRequest) -> Any:
    """A LazySettings (whatever class dynaconf.base names now) over DYNATEST_* variables, loaded."""
    from dynaconf import base

    for name, value in _VARIABLES.items():
        os.environ[f"{_PREFIX}_{name}"] = value
    loaded = base.LazySettings(
        LOADERS_FOR_DYNACONF=["dynaconf.loaders.env_loader"],
        ENVVAR_PREFIX_FOR_DYNACONF=_PREFIX,
        ROOT_PATH_FOR_DYNACONF=str(request.path.parent),
        environments=True,
        boxed_data=_BOXED_DATA,
    )
    loaded.SIMPLE_BOOL = False
    loaded.configure()
    return loaded


@pytest.fixture
def create_file(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a dedented file under tmp_path and return its path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(dedent(text))
        return path

    return write


@pytest.fixture(scope="module")
def testdir(request: pytest.FixtureRequest) -> str:
    """The directory of the test modules."""
    return str(request.path.parent)


@pytest.fixture(autouse=True)
def go_to_tmpdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test runs in its own directory, importable, beside a .env that sets DYNACONF_TESTING."""
    (tmp_path / ".env").write_text("DYNACONF_TESTING=true\n")
    saved = list(sys.path)
    sys.path.insert(0, str(tmp_path))
    monkeypatch.chdir(tmp_path)
    yield
    sys.path[:] = saved


@pytest.fixture(scope="module")
def clean_env() -> Iterator[None]:
    """No DYNACONF_, FLASK_ or DJANGO_ variable for the module's tests; the rest restored after."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("DYNACONF_", "FLASK_", "DJANGO_")):
            del os.environ[name]
    yield
    os.environ.update(saved)


@pytest.fixture
def no_deprecations() -> Iterator[None]:
    """dynaconf's DeprecationWarnings raise."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=DeprecationWarning, module="dynaconf")
        yield
