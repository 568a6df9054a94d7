"""ssm push, pull and diff tell the truth: exact typed round trips, nothing dropped silently, all or nothing.

Every round trip is judged by the library's own loads: a file loaded locally, the prefix loaded
from moto's server over HTTP, each through create_settings(), compared by type and value.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from clarity_settings import create_settings, data_values, file_formats, local_files, names
from clarity_settings.cli import main
from clarity_settings.errors import ConfigurationError
from clarity_settings.ssm.switch import SsmContext
from tests.conftest import LOADER_REFUSALS, PREFIX, Ssm
from tests.ssm_proxy import ACCESS_DENIED

_prefixes = itertools.count()
FORMATS = ("app.env", "publish.toml", "publish.json")


def run(*args: str) -> Result:
    """The command in this process, as a user types it."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def workdir(ssm_on: Ssm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SSM on, commands started in an empty project directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@contextmanager
def own_prefix() -> Iterator[str]:
    """A prefix no other example has used, active for the commands and the loads within."""
    prefix = f"/roundtrip/n{next(_prefixes)}"
    os.environ["CLARITY_SSM_PREFIX"] = prefix
    try:
        yield prefix
    finally:
        del os.environ["CLARITY_SSM_PREFIX"]


@contextmanager
def process_environment() -> Iterator[None]:
    """A local .env load copies its variables into os.environ; put the environment back afterwards."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        local_files.forget_dotenv()


def load_file(path: Path, keys: list[str]) -> dict[str, Any]:
    """What the library loads from one file with SSM off, for the given top-level keys."""
    with process_environment():
        if file_formats.file_kind(path) == "dotenv":
            options: dict[str, Any] = {"settings_files": [], "dotenv_path": str(path)}
        else:
            options = {"settings_files": [str(path)], "load_dotenv": False}
        settings = create_settings(
            root_path=str(path.parent), ssm_context=SsmContext(use_ssm=False), **options
        )
        return {key: data_values.plain(settings.get(key)) for key in keys}


def load_ssm(prefix: str, keys: list[str]) -> dict[str, Any]:
    """What the library loads from the prefix alone."""
    settings = create_settings(
        settings_files=[], load_dotenv=False, ssm_context=SsmContext(use_ssm=True, prefix=prefix)
    )
    try:
        return {key: data_values.plain(settings.get(key)) for key in keys}
    finally:
        settings.close()


def assert_same(left: dict[str, Any], right: dict[str, Any]) -> None:
    assert left.keys() == right.keys()
    for key, value in left.items():
        assert data_values.same(value, right[key]), key


def write_file(path: Path, values: dict[str, Any]) -> None:
    """A file holding values, written as the library writes pulled files."""
    levels = file_formats.leaves(values)
    if file_formats.file_kind(path) == "dotenv":
        path.write_text(file_formats.dotenv_text(file_formats.variables_for(levels)), encoding="utf-8")
    else:
        kind = path.suffix[1:]
        path.write_text(file_formats.settings_file_text(kind, levels, "development", {}), encoding="utf-8")


# NOTE: what users write: text that looks like a number, a boolean or a token, '$', quotes,
# newlines, unicode; numbers, booleans, null, lists and nested tables.
LOOKALIKES = st.sampled_from(
    ["8080", "false", "true", "0123", "1e3", "@int 3", "@str x", "@json [1]", "${HOME}", "pa$$word${HOME}x",
     'a "quoted" \\ line', "two\nlines", "tab\there", "", " padded ", "@", "naïve ☃", "a,b,c", "null"]
)  # fmt: skip
TEXT = st.one_of(
    LOOKALIKES, st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
)
SCALARS = st.one_of(
    TEXT,
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.none(),
)
NAMES = st.from_regex(r"[a-z][a-z0-9]{0,5}(_[a-z0-9]{1,3})?", fullmatch=True)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=4),
    st.dictionaries(NAMES, st.one_of(SCALARS, st.lists(SCALARS, max_size=3)), max_size=3),
)
SETTINGS = st.dictionaries(NAMES.map(lambda name: f"s_{name}"), VALUES, min_size=1, max_size=5)


def writable(values: dict[str, Any], kind: str) -> bool:
    """Whether a file of this kind can hold values: only .env holds text dynaconf would evaluate elsewhere."""
    if kind == "env":
        return True
    try:
        file_formats.settings_file_text(kind, file_formats.leaves(values), "development", {})
    except ConfigurationError:
        return False
    return True


ROUND_TRIP = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.parametrize("name", FORMATS)
@ROUND_TRIP
@given(values=SETTINGS)
def test_push_then_load_gives_what_the_file_gives_locally_and_diff_agrees(
    workdir: Path, name: str, values: dict[str, Any]
) -> None:
    kind = name.rpartition(".")[2]
    assume(writable(values, kind))
    source = workdir / name
    write_file(source, values)
    keys = [key.upper() for key in values]
    local = load_file(source, keys)
    assert_same(local, {key.upper(): data_values.plain(value) for key, value in values.items()})
    with own_prefix() as prefix:
        assert run("ssm", "push", name, "--apply").exit_code == 0
        assert_same(load_ssm(prefix, keys), local)
        assert run("ssm", "diff", name).exit_code == 0


@ROUND_TRIP
@given(values=SETTINGS, target=st.sampled_from(["pulled.env", "pulled.toml", "pulled.json"]))
def test_pull_then_load_gives_what_ssm_gives_and_diff_is_clean(
    workdir: Path, values: dict[str, Any], target: str
) -> None:
    kind = target.rpartition(".")[2]
    assume(writable(values, kind))
    source = workdir / "source.env"
    write_file(source, values)
    keys = [key.upper() for key in values]
    with own_prefix() as prefix:
        assert run("ssm", "push", "source.env", "--apply").exit_code == 0
        pulled = run("ssm", "pull", target, "--force")
        assert pulled.exit_code == 0, pulled.stderr
        assert_same(load_file(workdir / target, keys), load_ssm(prefix, keys))
        assert run("ssm", "diff", target).exit_code == 0


@ROUND_TRIP
@given(
    texts=st.dictionaries(NAMES.map(lambda name: f"CLARITY_S_{name.upper()}"), TEXT, min_size=1, max_size=5)
)
def test_any_dotenv_text_publishes_as_the_value_it_loads_as(workdir: Path, texts: dict[str, str]) -> None:
    source = workdir / "raw.env"
    source.write_text(file_formats.dotenv_text(texts), encoding="utf-8")
    keys = [variable.removeprefix("CLARITY_") for variable in texts]
    try:
        local = load_file(source, keys)
    except ConfigurationError:
        assume(False)
    with own_prefix() as prefix:
        assert run("ssm", "push", "raw.env", "--apply").exit_code == 0
        assert_same(load_ssm(prefix, keys), local)


@pytest.mark.parametrize(
    ("ssm_text", "file_line", "difference"),
    [
        ("false", "CLARITY_DEBUG=false", "change (str -> bool)"),
        ("@bool false", "CLARITY_DEBUG=false", None),
        ("8080", "CLARITY_DEBUG=8080", "change (str -> int)"),
        ("@int 8080", "CLARITY_DEBUG=8080", None),
        ("8080", 'CLARITY_DEBUG="@str 8080"', None),
        ("@float 8080.0", "CLARITY_DEBUG=8080", "change (float -> int)"),
        ("@int 8080", "CLARITY_DEBUG=8081", "change"),
    ],
)
def test_diff_agrees_exactly_when_the_typed_values_agree_and_names_a_change_of_type(
    workdir: Path, ssm_on: Ssm, ssm_text: str, file_line: str, difference: str | None
) -> None:
    ssm_on.put(f"{PREFIX}/debug", ssm_text)
    (workdir / "app.env").write_text(file_line + "\n")
    result = run("ssm", "diff", "app.env")
    expected = (
        (0, f"app.env and {PREFIX} agree\n") if difference is None else (1, f"{difference}: {PREFIX}/debug\n")
    )
    assert (result.exit_code, result.stdout) == expected


def test_ssm_put_keeps_a_parameters_type_unless_told(workdir: Path, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/port", "@int 8080")
    refused = CliRunner().invoke(main, ["ssm", "put", "port", "--overwrite"], input="8081")
    assert (refused.exit_code, refused.stderr) == (
        1,
        f"error: {PREFIX}/port loads as int now; the new value would load as str: write it with its token "
        "(e.g. '@int ...') to keep the type, or pass --retype; it was not written\n",
    )


@pytest.mark.parametrize(("text", "flags"), [("@int 8081", ()), ("8081", ("--retype",))])
def test_ssm_put_changes_the_type_when_a_token_or_retype_says_so(
    workdir: Path, ssm_on: Ssm, text: str, flags: tuple[str, ...]
) -> None:
    ssm_on.put(f"{PREFIX}/port", "@int 8080")
    result = CliRunner().invoke(main, ["ssm", "put", "port", "--overwrite", *flags], input=text)
    stored = ssm_on.client.get_parameter(Name=f"{PREFIX}/port", WithDecryption=True)["Parameter"]["Value"]
    assert (result.exit_code, stored) == (
        0,
        text,
    )


def test_a_new_signature_key_without_a_previous_one_warns_and_names_the_rotation(
    workdir: Path, ssm_on: Ssm
) -> None:
    ssm_on.put(f"{PREFIX}/model_signature_key", "k" * 40)
    result = CliRunner().invoke(main, ["ssm", "put", "model_signature_key", "--overwrite"], input="n" * 40)
    assert result.stderr.startswith(
        f"warning: models signed with the current MODEL_SIGNATURE_KEY stop verifying once services load the "
        f"new one, and no {PREFIX}/model_signature_key_previous keeps them verifying meanwhile: rotate as "
        "docs/rotation.md says"
    )


def test_a_new_signature_key_beside_a_previous_one_is_a_rotation(workdir: Path, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/model_signature_key", "k" * 40)
    ssm_on.put(f"{PREFIX}/model_signature_key_previous", "k" * 40)
    result = CliRunner().invoke(main, ["ssm", "put", "model_signature_key", "--overwrite"], input="n" * 40)
    assert (result.exit_code, result.stderr) == (0, "")


@pytest.mark.parametrize(
    ("line", "advice"),
    [
        ("database_url=postgres://db", "CLARITY_DATABASE_URL"),
        ("clarity_lower=1", "CLARITY_LOWER"),
        ("Clarity_Mixed=1", "CLARITY_MIXED"),
    ],
)
def test_a_variable_the_library_does_not_read_is_given_the_name_it_would(
    workdir: Path, line: str, advice: str
) -> None:
    (workdir / "app.env").write_text(line + "\n")
    assert f"(rename it {advice} to publish it)" in run("ssm", "push", "app.env").stderr


def test_every_line_not_carried_is_named_with_its_reason(workdir: Path, ssm_on: Ssm) -> None:
    (workdir / "app.env").write_text(
        "# a comment\nDATABASE_URL=postgres://db\nCLARITY_USE_SSM=true\nCLARITY_SSM_PREFIX=/x\n"
        "MODEL_SIGNATURE_KEY=guide-key-overridden-by-the-prefixed-one\n"
        "CLARITY_MODEL_SIGNATURE_KEY=prefixed-key-that-wins-0123456789abcdef\nNO_VALUE\n"
        "CLARITY_ENV_FOR_DYNACONF=production\nCLARITY_KEPT=1\n"
    )
    result = run("ssm", "push", "app.env")
    assert result.stderr.splitlines() == [
        "not carried: app.env:2 DATABASE_URL: not a setting: the library reads CLARITY_* variables and "
        "MODEL_SIGNATURE_KEY, MODEL_SIGNATURE_KEY_PREVIOUS, EXPECTED_MODEL_CHECKSUMS "
        "(rename it CLARITY_DATABASE_URL to publish it)",
        "not carried: app.env:3 CLARITY_USE_SSM: a control setting: it says how settings are read, so it "
        "is not published (set CLARITY_USE_SSM where the service runs)",
        "not carried: app.env:4 CLARITY_SSM_PREFIX: a control setting: it says how settings are read, so "
        "it is not published (set CLARITY_SSM_PREFIX where the service runs)",
        "not carried: app.env:5 MODEL_SIGNATURE_KEY: CLARITY_MODEL_SIGNATURE_KEY in the same file wins "
        "over it",
        "not carried: app.env:7: has no '=' (not a NAME=value line)",
        "not carried: app.env:8 CLARITY_ENV_FOR_DYNACONF: not a setting: the name maps to ENV_FOR_DYNACONF, "
        "a dynaconf option, which clarity-settings takes only from code (and the environment only from "
        "ENV_FOR_DYNACONF)",
        "dry run: 2 to write; add --apply to write them",
    ]
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == [
        f"{PREFIX}/kept",
        f"{PREFIX}/model_signature_key",
    ]
    strict = run("ssm", "push", "app.env", "--apply", "--strict")
    assert strict.exit_code == 1
    assert strict.stderr.splitlines()[-1] == (
        "error: 6 line(s) or key(s) of app.env are not carried (listed above) and --strict is on; "
        "nothing was written"
    )
    assert ssm_on.client.get_parameters_by_path(Path=PREFIX)["Parameters"] == []


def test_toml_keys_not_carried_are_named_and_diff_strict_fails_on_them(workdir: Path, ssm_on: Ssm) -> None:
    (workdir / "publish.toml").write_text(
        '[default]\nkept = 1\nssm_prefix = "/x"\nwhen = 2026-01-01\n'
        'greeting = "@format hello {this.KEPT}"\nodd-name = 2\n[production]\nkept = 2\n'
    )
    result = run("ssm", "diff", "publish.toml")
    assert result.stderr.splitlines() == [
        "not carried: publish.toml: [production]: another environment's section (this reads development)",
        "not carried: publish.toml: ssm_prefix: a control setting: it says how settings are read, so it is "
        "not published (set CLARITY_SSM_PREFIX where the service runs)",
        "not carried: publish.toml: when: a TOML date or time, which SSM cannot carry typed; quote it to "
        "publish it as text",
        "not carried: publish.toml: greeting: holds a dynaconf template or lookup (@format, @jinja, @get, "
        "...), which only a settings file evaluates; SSM values are data",
        "not carried: publish.toml: odd-name: a name no SSM parameter maps to (parameter names give "
        "letters, digits and '_' between them)",
    ]
    assert (result.exit_code, result.stdout.splitlines()) == (
        1,
        [
            f"add: {PREFIX}/kept",
            "only in the file: publish.toml: when",
            "only in the file: publish.toml: greeting",
            "only in the file: publish.toml: odd-name",
        ],
    )
    (workdir / "carried.toml").write_text("[development]\nkept = 1\n[production]\nkept = 2\n")
    assert run("ssm", "push", "carried.toml", "--apply").exit_code == 0
    assert run("ssm", "diff", "carried.toml").exit_code == 0
    assert run("ssm", "diff", "publish.toml", "--strict").exit_code == 1


def test_null_and_empty_values_are_published_and_load_back(workdir: Path, ssm_on: Ssm) -> None:
    (workdir / "publish.json").write_text(json.dumps({"development": {"nothing": None, "empty": ""}}))
    assert run("ssm", "push", "publish.json", "--apply").exit_code == 0
    assert load_ssm(PREFIX, ["NOTHING", "EMPTY"]) == {"NOTHING": None, "EMPTY": ""}
    (workdir / "app.env").write_text('CLARITY_EMPTY=\nCLARITY_NOTHING="@json null"\n')
    assert run("ssm", "diff", "app.env").exit_code == 0


def test_a_failed_write_names_what_was_written_and_what_was_not(workdir: Path, ssm_on: Ssm) -> None:
    (workdir / "app.env").write_text("".join(f"CLARITY_K{i}=v{i}\n" for i in range(5)))
    ssm_on.proxy.fail_operation_from("PutParameter", 3, ACCESS_DENIED)
    result = run("ssm", "push", "app.env", "--apply")
    written = ", ".join(f"{PREFIX}/k{i}" for i in range(2))
    not_written = ", ".join(f"{PREFIX}/k{i}" for i in range(2, 5))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "error: PutParameter failed (AccessDeniedException): the IAM policy does not allow ssm:PutParameter "
        f"(iam-policy --write prints one that does); written: {written}; not written: {not_written}"
    )
    stored = ssm_on.client.get_parameters_by_path(Path=PREFIX)["Parameters"]
    assert sorted(parameter["Name"] for parameter in stored) == [f"{PREFIX}/k0", f"{PREFIX}/k1"]


def test_a_value_that_cannot_be_stored_stops_the_push_before_any_write(workdir: Path, ssm_on: Ssm) -> None:
    (workdir / "app.env").write_text('CLARITY_A=1\nCLARITY_B="@int x"\nCLARITY_C=3\n')
    result = run("ssm", "push", "app.env", "--apply")
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (
        1,
        "error: app.env:2 CLARITY_B has @int but what follows is not a whole number; store the plain "
        "value, or put '@str ' in front to keep text that starts with '@'",
    )
    assert ssm_on.client.get_parameters_by_path(Path=PREFIX)["Parameters"] == []


def types_of(ssm: Ssm) -> dict[str, str]:
    stored = ssm.client.get_parameters_by_path(Path=PREFIX, Recursive=True)["Parameters"]
    return {parameter["Name"].rpartition("/")[2]: parameter["Type"] for parameter in stored}


def test_a_parameter_keeps_its_type_and_a_type_change_is_its_own_action(workdir: Path, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/hosts", "h1,h2,h3", kind="StringList")
    ssm_on.put(f"{PREFIX}/region", "eu-west-1", kind="String")
    assert run("ssm", "pull", "settings.toml").exit_code == 0
    edited = (workdir / "settings.toml").read_text().replace('"h3"', '"h4"').replace("eu-west-1", "eu-west-2")
    (workdir / "settings.toml").write_text(edited)
    assert run("ssm", "push", "settings.toml", "--apply").exit_code == 0
    assert types_of(ssm_on) == {"hosts": "StringList", "region": "String"}
    assert load_ssm(PREFIX, ["HOSTS", "REGION"]) == {"HOSTS": ["h1", "h2", "h4"], "REGION": "eu-west-2"}
    (workdir / "settings.toml").write_text(edited.replace('"h4"', '"h,4"'))
    plan = json.loads(run("ssm", "push", "settings.toml", "--format", "json").stdout)
    assert {row["name"]: (row["action"], row["previous_type"], row["type"]) for row in plan} == {
        f"{PREFIX}/hosts": ("retype", "StringList", "SecureString"),
        f"{PREFIX}/region": ("unchanged", "String", "String"),
    }
    forced = json.loads(run("ssm", "push", "settings.toml", "--type", "String", "--format", "json").stdout)
    assert [row["action"] for row in forced] == ["retype", "unchanged"]


def test_a_table_stored_whole_that_differs_is_a_conflict_refused_before_writing(
    workdir: Path, ssm_on: Ssm
) -> None:
    ssm_on.put(f"{PREFIX}/database", '@json {"host": "a", "port": 1}')
    (workdir / "same.json").write_text(json.dumps({"development": {"database": {"host": "a", "port": 1}}}))
    assert run("ssm", "diff", "same.json").exit_code == 0
    (workdir / "other.json").write_text(json.dumps({"development": {"database": {"host": "b", "port": 1}}}))
    assert run("ssm", "diff", "other.json").stdout == f"conflict: {PREFIX}/database\n"
    pushed = run("ssm", "push", "other.json", "--apply")
    assert pushed.exit_code == 1
    assert pushed.stderr.splitlines()[-1].startswith(f"error: SSM parameters {PREFIX}/database hold these")
    assert types_of(ssm_on) == {"database": "SecureString"}


def test_a_signature_key_in_the_guides_variable_reads_back_as_text(workdir: Path, ssm_on: Ssm) -> None:
    key = "@int-key-" + "k" * 30
    ssm_on.put(f"{PREFIX}/model_signature_key", f"@str {key}")
    assert run("ssm", "pull", ".env.development").exit_code == 0
    assert (workdir / ".env.development").read_text() == f"{names.SIGNATURE_KEY}='@str {key}'\n"
    assert run("ssm", "diff", ".env.development").exit_code == 0


def test_push_refuses_a_secret_the_environments_services_would_refuse(workdir: Path, ssm_on: Ssm) -> None:
    (workdir / ".env.production").write_text("MODEL_SIGNATURE_KEY=short\nCLARITY_API_TOKEN=token\n")
    result = run("--env", "production", "ssm", "push", ".env.production", "--apply")
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (
        1,
        "error: MODEL_SIGNATURE_KEY is shorter than the 32 characters production requires; nothing was "
        "written",
    )
    assert ssm_on.client.get_parameters_by_path(Path="/clarity/production")["Parameters"] == []


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        *LOADER_REFUSALS,
        ("model_signature_key", "short", "is shorter than the 32 characters production requires"),
    ],
)
def test_ssm_put_refuses_what_the_loader_would_refuse(
    workdir: Path, ssm_on: Ssm, name: str, value: str, message: str
) -> None:
    result = CliRunner().invoke(main, ["--env", "production", "ssm", "put", name], input=value)
    assert result.exit_code == 1
    assert f"/clarity/production/{name}" in result.stderr or name.upper() in result.stderr
    assert message in result.stderr
    assert ssm_on.client.get_parameters_by_path(Path="/clarity/production")["Parameters"] == []


def test_a_retype_that_drops_encryption_is_said_out_loud(workdir: Path, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/api_token", "token")
    (workdir / "app.env").write_text("CLARITY_API_TOKEN=token\n")
    result = run("ssm", "push", "app.env", "--type", "String")
    assert (
        f"warning: {PREFIX}/api_token loses its encryption (String is stored as plain text)" in result.stderr
    )


def test_dotenv_values_ssm_cannot_type_are_named_not_carried(workdir: Path, ssm_on: Ssm) -> None:
    (workdir / "app.env").write_text(
        "CLARITY_DAY=2024-01-01\nCLARITY_HUGE=inf\nENV_FOR_DYNACONF=production\n"
    )
    lines = run("ssm", "push", "app.env").stderr.splitlines()
    assert lines[:3] == [
        "not carried: app.env:1 CLARITY_DAY: a TOML date or time, which SSM cannot carry typed; quote it to "
        "publish it as text",
        "not carried: app.env:2 CLARITY_HUGE: not a finite number, which SSM cannot carry typed",
        "not carried: app.env:3 ENV_FOR_DYNACONF: not a setting: the library reads CLARITY_* variables and "
        "MODEL_SIGNATURE_KEY, MODEL_SIGNATURE_KEY_PREVIOUS, EXPECTED_MODEL_CHECKSUMS",
    ]


def test_a_pulled_json_file_holds_null_as_json_does(workdir: Path, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/nothing", "@json null")
    assert run("ssm", "pull", "pulled.json").exit_code == 0
    assert json.loads((workdir / "pulled.json").read_text()) == {"development": {"nothing": None}}


def test_the_published_file_never_chooses_where_it_goes(workdir: Path, ssm_on: Ssm) -> None:
    (workdir / ".env").write_text(
        "ENV_FOR_DYNACONF=production\nCLARITY_SSM_PREFIX=/clarity/production\nCLARITY_API_TOKEN=token\n"
    )
    assert run("ssm", "push", ".env", "--apply").exit_code == 0
    assert ssm_on.client.get_parameters_by_path(Path="/clarity/production")["Parameters"] == []
    assert [p["Name"] for p in ssm_on.client.get_parameters_by_path(Path=PREFIX)["Parameters"]] == [
        f"{PREFIX}/api_token"
    ]


def test_a_signing_key_is_only_ever_written_encrypted(workdir: Path, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/model_signature_key", "planted-" + "p" * 40, kind="String")
    (workdir / "app.env").write_text(f"MODEL_SIGNATURE_KEY={'real-' + 'r' * 40}\n")
    plan = json.loads(run("ssm", "push", "app.env", "--format", "json").stdout)
    assert [(row["action"], row["previous_type"], row["type"]) for row in plan] == [
        ("retype", "String", "SecureString")
    ]
    refused = CliRunner().invoke(
        main, ["ssm", "put", "model_signature_key", "--type", "String"], input="k" * 40
    )
    assert (refused.exit_code, refused.stderr) == (
        1,
        "error: MODEL_SIGNATURE_KEY is only ever stored as a SecureString; leave out --type\n",
    )


def test_a_global_section_counts_and_a_merging_section_is_refused(workdir: Path, ssm_on: Ssm) -> None:
    (workdir / "publish.toml").write_text("[development]\nx = 1\n[global]\nx = 2\n")
    assert run("ssm", "push", "publish.toml", "--apply").exit_code == 0
    assert load_ssm(PREFIX, ["X"]) == load_file(workdir / "publish.toml", ["X"]) == {"X": 2}
    merging = {"default": {"db": {"host": "h"}}, "development": {"dynaconf_merge": True, "db": {"port": 2}}}
    (workdir / "merge.json").write_text(json.dumps(merging))
    result = run("ssm", "diff", "merge.json")
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (
        1,
        "error: merge.json [development] merges with dynaconf_merge, which push and diff cannot reproduce: "
        "write the section's values whole",
    )


def test_a_nul_character_is_refused_where_no_variable_can_carry_it(workdir: Path, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/odd", "a\x00b")
    result = run("ssm", "pull", "pulled.env")
    assert (result.exit_code, result.stderr) == (
        1,
        "error: CLARITY_ODD holds a NUL character, which no environment variable can carry\n",
    )
    assert not (workdir / "pulled.env").exists()


@pytest.mark.parametrize(
    "shape", ["$(touch {marker})${{HOME}}", "x'$(touch {marker})'y", "a\\$(touch {marker})\n`touch {marker}`"]
)
def test_a_written_dotenv_is_literal_to_a_shell_too(workdir: Path, ssm_on: Ssm, shape: str) -> None:
    marker = workdir / "ran"
    payload = shape.format(marker=marker)
    ssm_on.put(f"{PREFIX}/payload", payload)
    assert run("ssm", "pull", "pulled.env").exit_code == 0
    subprocess.run(
        ["/bin/bash", "-c", "set -a; . ./pulled.env"], cwd=workdir, capture_output=True, check=False
    )
    assert not marker.exists()
    assert load_file(workdir / "pulled.env", ["PAYLOAD"]) == {"PAYLOAD": payload}


@pytest.mark.parametrize(
    ("name", "value", "kind", "message"),
    [
        ("/clarity/production/model_signature_key", "short", "SecureString", "production requires"),
        ("/clarity/production/model_signature_key", "k" * 40, "String", "only ever stored as a SecureString"),
        ("/clarity/production/allow_reduced_security", "true", "SecureString", "a clarity-settings control"),
        ("/clarity/production/greeting", "@format {env}", "SecureString", "does not evaluate"),
    ],
)
def test_ssm_put_judges_a_name_outside_its_prefixes_strictly(
    workdir: Path, ssm_on: Ssm, name: str, value: str, kind: str, message: str
) -> None:
    result = CliRunner().invoke(main, ["ssm", "put", name, "--type", kind], input=value)
    assert (result.exit_code, message in result.stderr) == (1, True), result.stderr
    assert ssm_on.client.get_parameters_by_path(Path="/clarity/production")["Parameters"] == []


def test_ssm_put_refuses_a_name_that_would_collide(workdir: Path, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/api_token", "token")
    result = CliRunner().invoke(main, ["ssm", "put", "API-TOKEN"], input="other")
    assert result.exit_code == 1
    assert "both map to the setting API_TOKEN" in result.stderr


def test_push_checks_a_secret_split_into_parameters_and_any_prefix_but_developments(
    workdir: Path, ssm_on: Ssm
) -> None:
    (workdir / "split.env").write_text("CLARITY_MODEL_SIGNATURE_KEY__X=abc\n")
    split = run("--env", "staging", "ssm", "push", "split.env")
    assert "MODEL_SIGNATURE_KEY must be text, not an object" in split.stderr
    (workdir / "short.env").write_text("MODEL_SIGNATURE_KEY=short\n")
    os.environ.pop("ENV_FOR_DYNACONF")
    os.environ["CLARITY_SSM_PREFIX"] = "/clarity/production"
    elsewhere = run("ssm", "push", "short.env", "--apply")
    assert elsewhere.exit_code == 1
    assert "shorter than the 32 characters /clarity/production requires" in elsewhere.stderr


def test_model_sizes_compare_in_their_own_case(workdir: Path, ssm_on: Ssm) -> None:
    upper = {size.upper(): "a" * 64 for size in names.MODEL_SIZES}
    ssm_on.put(f"{PREFIX}/expected_model_checksums", f"@json {json.dumps(upper)}")
    lower = {size: "a" * 64 for size in names.MODEL_SIZES}
    (workdir / "app.env").write_text(f"EXPECTED_MODEL_CHECKSUMS='{json.dumps(lower)}'\n")
    assert run("ssm", "diff", "app.env").stdout == f"change: {PREFIX}/expected_model_checksums\n"


def test_ssm_put_stores_a_value_over_4_kb_that_the_loader_accepts(workdir: Path, ssm_on: Ssm) -> None:
    value = "c" * 6000
    result = CliRunner().invoke(main, ["ssm", "put", "certificate"], input=value)
    stored = ssm_on.client.get_parameter(Name=f"{PREFIX}/certificate", WithDecryption=True)["Parameter"]
    assert (result.exit_code, stored["Value"]) == (0, value)


def test_ssm_put_keeps_the_stored_type_when_none_is_asked_for(workdir: Path, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/region_name", "eu-west-1", kind="String")
    CliRunner().invoke(main, ["ssm", "put", "region_name", "--overwrite"], input="eu-central-1")
    assert ssm_on.client.get_parameter(Name=f"{PREFIX}/region_name")["Parameter"]["Type"] == "String"


def test_ssm_put_names_json_as_the_token_that_keeps_a_table(workdir: Path, ssm_on: Ssm) -> None:
    ssm_on.put(f"{PREFIX}/limits", '@json {"a": 1}')
    refused = CliRunner().invoke(main, ["ssm", "put", "limits", "--overwrite"], input="plain")
    assert (
        "loads as dict now; the new value would load as str: write it with its token (e.g. '@json ...')"
        in (refused.stderr)
    )
