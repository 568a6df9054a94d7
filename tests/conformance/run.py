"""Run dynaconf's own tests twice, as released and with ClaritySettings in place of Dynaconf/LazySettings.

``python -m tests.conformance.run`` (``make conformance``). The tests come from dynaconf's sdist for
the release pyproject.toml names as its upper bound (the release tested), downloaded once into
.cache/. Every test that passes with dynaconf must pass with ClaritySettings, except the expected
differences docs/dynaconf-compatibility.md lists; a listed test that now passes, or no longer passes
with dynaconf, is a stale entry. Either fails the run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import tomllib
from collections import Counter
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "dynaconf"
DOC = ROOT / "docs" / "dynaconf-compatibility.md"
FUNCTIONAL = Path(__file__).resolve().parent / "functional"
MODULES = (
    "test_base.py",
    "test_compat.py",
    "test_custom_lazy_format.py",
    "test_django.py",
    "test_dynabox.py",
    "test_endtoend.py",
    "test_env_loader.py",
    "test_envvar_prefix.py",
    "test_feature_flag.py",
    "test_flask.py",
    "test_hooking.py",
    "test_ini_loader.py",
    "test_inspect.py",
    "test_json_loader.py",
    "test_loaders.py",
    "test_nested_loading.py",
    "test_py_loader.py",
    "test_settings_loader.py",
    "test_toml_loader.py",
    "test_validators.py",
    "test_validators_conditions.py",
    "test_yaml_loader.py",
)
"""Base settings, env and .env, every file loader, validators, inspect, hooks, nesting, Django and Flask."""
_LISTED = re.compile(r"^\| `(tests/[^`]+)` \| (.+) \|$", re.MULTILINE)
_FOREIGN = ("CLARITY_", "DYNACONF_", "DYNATEST_", "FLASK_", "DJANGO_", "AWS_", "SETTINGS_FILE")
RUN_SECONDS = 900
PIP_DOWNLOAD = (sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:")
DOTENV = """DYNACONF_DOTENV_INT=@int 1
DYNACONF_DOTENV_STR=hello
DYNACONF_DOTENV_FLOAT=@float 4.2
DYNACONF_DOTENV_BOOL=@bool off
DYNACONF_DOTENV_JSON=@json ["1", "2"]
DYNACONF_DOTENV_NOTE=@note "hello"
DYNATEST_DOTENV_INT=@int 1
DYNACONF_LISTY_STRING_INT1=["'1'", "'2'"]
DYNACONF_LISTY_STRING_INT2=["1", "2"]
"""
"""The .env the sdist leaves out of tests/: the values its dotenv tests read back."""


def tested_release() -> str:
    """The dynaconf release pyproject.toml's upper bound names (<=): the one this suite ran on."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for line in project["dependencies"]:
        requirement = Requirement(line)
        if requirement.name == "dynaconf":
            return next(spec.version for spec in requirement.specifier if spec.operator == "<=")
    raise SystemExit("pyproject.toml declares no dynaconf dependency")


def dynaconf_tests(release: str) -> Path:
    """dynaconf's tests/ from its sdist, downloaded and unpacked once into .cache/."""
    unpacked = CACHE / f"dynaconf-{release}"
    if (unpacked / "tests").is_dir():
        return unpacked
    CACHE.mkdir(parents=True, exist_ok=True)
    sdist = CACHE / f"dynaconf-{release}.tar.gz"
    if not sdist.is_file():
        subprocess.run(
            [*PIP_DOWNLOAD, "--dest", str(CACHE), f"dynaconf=={release}"],
            check=True,
        )
    with tarfile.open(sdist) as archive:
        members = [m for m in archive.getmembers() if m.name.startswith(f"dynaconf-{release}/tests/")]
        archive.extractall(CACHE, members=members, filter="data")
    # NOTE: a pytest.ini of its own, so our pyproject's options (--strict-markers) do not apply.
    (unpacked / "pytest.ini").write_text("[pytest]\nmarkers =\n    integration: needs docker\n")
    (unpacked / "tests" / ".env").write_text(DOTENV)
    return unpacked


def run_pytest(suite: Path, name: str, plugins: list[str]) -> subprocess.Popen[bytes]:
    """Start one pytest run of the modules, recording outcomes to .cache/<name>.json."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(_FOREIGN)}
    environment.update(
        PYTHONPATH=os.pathsep.join([str(ROOT), str(FUNCTIONAL)]),
        CLARITY_CONFORMANCE_RECORD=str(CACHE / f"{name}.json"),
        COLUMNS="400",
    )
    arguments = ["-p", "tests.conformance.fixtures", "-p", "tests.conformance.record"]
    for plugin in plugins:
        arguments += ["-p", plugin]
    log = (CACHE / f"{name}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", "-c", "pytest.ini"]
        + ["--basetemp", str(CACHE / f"tmp-{name}"), *arguments]
        + [f"tests/{module}" for module in MODULES],
        cwd=suite,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def finish(process: subprocess.Popen[bytes], name: str) -> dict[str, str]:
    """The outcomes of a run; a run that did not get to its tests stops this one."""
    code = process.wait(timeout=RUN_SECONDS)
    if code not in (0, 1):
        print((CACHE / f"{name}.log").read_text()[-4000:])
        raise SystemExit(f"pytest ({name}) exited {code}; its log is .cache/dynaconf/{name}.log")
    outcomes: dict[str, str] = json.loads((CACHE / f"{name}.json").read_text())
    return outcomes


def expected_differences() -> dict[str, str]:
    """The tests docs/dynaconf-compatibility.md lists as deliberately failing with ours, with the reason."""
    return dict(_LISTED.findall(DOC.read_text()))


@dataclass(frozen=True)
class Verdict:
    """What the two runs say about the list."""

    unlisted: list[str]
    stale: list[str]
    expected: list[str]
    matching: list[str]


def compare(theirs: dict[str, str], ours: dict[str, str], listed: dict[str, str]) -> Verdict:
    """Each test that passes with dynaconf passes with ours or is listed; each listed one still differs."""
    passing = sorted(test for test, outcome in theirs.items() if outcome == "passed")
    differing = {test for test in passing if ours.get(test) != "passed"}
    return Verdict(
        unlisted=sorted(differing - listed.keys()),
        stale=sorted(test for test in listed if test not in differing),
        expected=sorted(differing & listed.keys()),
        matching=sorted(set(passing) - differing),
    )


def main() -> int:
    """Both runs at once (one core each), then the comparison; exit 1 on any difference not listed."""
    release = tested_release()
    installed = metadata.version("dynaconf")
    if installed != release:
        print(f"dynaconf {installed} is installed, but the release tested is {release} (pyproject.toml)")
        return 1
    suite = dynaconf_tests(release)
    runs = {
        "dynaconf": run_pytest(suite, "dynaconf", []),
        "clarity": run_pytest(suite, "clarity", ["tests.conformance.substitute"]),
    }
    theirs, ours = (finish(process, name) for name, process in runs.items())
    verdict = compare(theirs, ours, expected_differences())
    for name, outcomes in (("dynaconf", theirs), ("ClaritySettings", ours)):
        counts = Counter(outcomes.values())
        print(f"dynaconf {release}'s tests with {name}: " + ", ".join(f"{n} {o}" for o, n in counts.items()))
    for test in verdict.unlisted:
        print(f"passes with dynaconf, {ours.get(test, 'not run')} with ClaritySettings: {test}")
    for test in verdict.stale:
        print(f"listed in {DOC.name} but not a difference (stale entry): {test}")
    print(f"expected differences ({DOC.name}): {len(verdict.expected)}")
    failed = len(verdict.unlisted) + len(verdict.stale)
    print(f"conformance: {len(verdict.matching)} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
