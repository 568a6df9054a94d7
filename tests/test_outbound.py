"""The outbound contract against the real readers: bash, python-dotenv (interpolating or not), PyYAML, a log.

Docker Compose is not installed here; its env_file reader takes single-quoted text literally, keeps a
backslash pair and ends at an unescaped quote, which the rules below keep out of single quotes too.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml
from dotenv import dotenv_values
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import clarity_settings
from clarity_settings import data_values, file_formats
from clarity_settings.cli.handoff import kubernetes_object
from clarity_settings.contract import outbound
from clarity_settings.errors import ConfigurationError

READERS = settings(max_examples=40, deadline=None)
PACKAGE = Path(clarity_settings.__file__).parent
AWKWARD = "$'\"\\{}\n\r\t\x00\x1b\x7f\x9b\u202e\u2066 @=#;`é"
"""What breaks quoting somewhere: quotes, backslashes, '${', line breaks, terminal controls, bidi."""
TEXTS = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=AWKWARD, max_size=12),
    st.builds("{}${{{}}}{}".format, st.text(max_size=4), st.text(max_size=6), st.text(max_size=4)),
    st.sampled_from(["@int 8", "@json [1]", "@str ${HOME}", "@bool maybe", "@int 1'", "8080", "true", "x\\"]),
)


@functools.cache
def bash_own_variables() -> frozenset[str]:
    """The variables bash sets or reads itself (PWD, SHLVL, UID, ...), which no .env can set as data."""
    listed = subprocess.run(
        ["/usr/bin/bash", "-c", "compgen -v"], env={}, capture_output=True, text=True, check=True
    )
    return frozenset(listed.stdout.split())


NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True).filter(
    lambda name: name not in bash_own_variables()
)


def bash_reads(path: Path) -> dict[str, str]:
    """What `set -a; . FILE` puts in the environment of the next command, byte for byte."""
    shown = subprocess.run(
        ["/usr/bin/bash", "-c", 'set -a; . "$1"; exec /usr/bin/env -0', "bash", str(path)],
        env={},
        capture_output=True,
        check=True,
    )
    pairs = (item.decode().partition("=") for item in shown.stdout.split(b"\0") if item)
    return {name: value for name, _, value in pairs}


def loaded(variable: str, text: str) -> object:
    """What the library loads from a variable's text (the refusal's type when it refuses it)."""
    untyped = data_values.variable_typed if variable.startswith("CLARITY_") else str
    try:
        return data_values.parse(text, label=variable, untyped=untyped)
    except ConfigurationError:
        return ConfigurationError


def written_or_refused(variables: dict[str, str]) -> str | ConfigurationError:
    """The .env text for variables, or the refusal of one of them."""
    try:
        return file_formats.dotenv_text(variables)
    except ConfigurationError as refusal:
        return refusal


@READERS
@given(variables=st.dictionaries(NAMES, TEXTS, max_size=4))
def test_bash_and_python_dotenv_read_a_written_dotenv_alike_and_as_the_values_written(
    variables: dict[str, str],
) -> None:
    text = written_or_refused(variables)
    if isinstance(text, ConfigurationError):
        assert any(str(text).startswith(f"{name} cannot be written to a .env exactly") for name in variables)
        return
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "app.env"
        path.write_text(text, encoding="utf-8")
        read = {name: value for name, value in bash_reads(path).items() if name in variables}
        plain = dotenv_values(path, interpolate=False)
        interpolating = dotenv_values(path, interpolate=True)
    assert read == plain == interpolating
    assert {name: loaded(name, value) for name, value in read.items()} == {
        name: loaded(name, value) for name, value in variables.items()
    }


@READERS
@given(variables=st.dictionaries(NAMES, TEXTS, min_size=1, max_size=4))
def test_text_single_quotes_carry_to_every_reader_is_written_as_it_is(variables: dict[str, str]) -> None:
    carried = {name: value for name, value in variables.items() if outbound.single_quotable(value)}
    assume(carried)
    text = file_formats.dotenv_text(carried)
    assert text == "".join(f"{name}='{value}'\n" for name, value in carried.items())


@given(name=st.text(min_size=1).filter(lambda name: not outbound.DOTENV_NAME.fullmatch(name)))
def test_a_name_not_every_reader_reads_as_a_name_is_refused_naming_it(name: str) -> None:
    with pytest.raises(ConfigurationError, match="a variable name there is letters") as refusal:
        file_formats.dotenv_text({name: "secret-value-4d1c"})
    assert str(refusal.value).startswith(outbound.escaped(name))


def test_a_refused_dotenv_value_is_named_never_shown() -> None:
    with pytest.raises(
        ConfigurationError, match=r"CLARITY_PORT cannot be written to a \.env exactly"
    ) as refusal:
        file_formats.dotenv_text({"CLARITY_PORT": "@int not-a-number-'quoted'"})
    assert "not-a-number" not in str(refusal.value)


def test_a_dollar_brace_value_is_written_so_no_interpolation_can_see_it() -> None:
    line = file_formats.dotenv_text({"CLARITY_URL": "https://x.example/?c=${AWS_SECRET_ACCESS_KEY}"})
    assert line == "CLARITY_URL='@json \"https://x.example/?c=\\u0024{AWS_SECRET_ACCESS_KEY}\"'\n"


DOCUMENTS = st.recursive(
    st.one_of(st.text(), st.booleans(), st.integers(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(), inner, max_size=3)),
    max_leaves=8,
)


@settings(max_examples=200)
@given(document=DOCUMENTS)
def test_yaml_text_reads_back_exactly(document: object) -> None:
    assert yaml.safe_load(outbound.yaml_text(document)) == document


@given(document=DOCUMENTS)
def test_yaml_text_is_ascii_so_no_terminal_or_line_break_hides_in_it(document: object) -> None:
    assert outbound.yaml_text(document).isascii()


KUBERNETES_KEYS = st.from_regex(r"[-._a-zA-Z0-9]{1,253}", fullmatch=True).filter(
    lambda key: not key.startswith("..") and key != "."
)


@settings(max_examples=100)
@given(data=st.dictionaries(KUBERNETES_KEYS, st.text(), max_size=5), name=st.text(min_size=1))
def test_a_secret_carries_every_key_and_value_exactly(data: dict[str, str], name: str) -> None:
    document = yaml.safe_load(kubernetes_object("Secret", name, data))
    assert (document["metadata"]["name"], document["stringData"]) == (name, data)


KUBERNETES_KEY_SHAPE = re.compile(r"(?!\.\.)(?!\.\Z)[-._a-zA-Z0-9]{1,253}")
"""Kubernetes' IsConfigMapKey, written as one expression to check the module's rule against."""


@given(key=st.text().filter(lambda key: not KUBERNETES_KEY_SHAPE.fullmatch(key)))
def test_a_key_kubernetes_would_refuse_is_refused_naming_it(key: str) -> None:
    with pytest.raises(ConfigurationError, match="cannot be a ConfigMap key: Kubernetes takes") as refusal:
        kubernetes_object("ConfigMap", "config", {key: "value-7e2b"})
    assert "value-7e2b" not in str(refusal.value)


@pytest.mark.parametrize("key", [".", "..", "..data", "a" * 254, "a b", "a\nb", "a/b", ""])
def test_kubernetes_own_key_rule_is_the_one_applied(key: str) -> None:
    with pytest.raises(ConfigurationError, match="cannot be a Secret key"):
        outbound.kubernetes_key(key, what="Secret key")


@given(text=st.text())
def test_a_yaml_comment_holds_nothing_a_parser_would_read(text: str) -> None:
    assert yaml.safe_load(outbound.yaml_comment(text)) is None


@given(text=st.text())
def test_escaped_text_holds_no_control_character_and_no_line_break(text: str) -> None:
    assert outbound.CONTROL.search(outbound.escaped(text)) is None


@given(text=st.text().filter(lambda text: outbound.CONTROL.search(text) is None))
def test_escaped_leaves_text_without_controls_as_it_is(text: str) -> None:
    assert outbound.escaped(text) == text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[2J", "\\x1b[2J"),
        ("\x9b31m", "\\x9b31m"),
        ("a\u202eb", "a\\u202eb"),
        ("a\nb\tc", "a\\x0ab\\x09c"),
    ],
)
def test_a_control_character_is_spelled_out_visibly(text: str, shown: str) -> None:
    assert outbound.escaped(text) == shown


def test_text_for_a_program_is_exact_to_a_pipe_and_escaped_on_a_terminal() -> None:
    text = "A='\x1b[2J'\nB='\u202e'\n"
    assert (outbound.for_terminal(text, terminal=False), outbound.for_terminal(text, terminal=True)) == (
        text,
        "A='\\x1b[2J'\nB='\\u202e'\n",
    )


def test_every_logger_of_the_package_is_guarded() -> None:
    named = {
        name
        for path in (*PACKAGE.rglob("*.py"), *(PACKAGE.parent / "loaders").rglob("*.py"))
        for name in re.findall(r"getLogger\(\"(clarity_settings[\w.]*)\"\)", path.read_text())
    }
    assert named <= set(outbound.PACKAGE_LOGGERS)


@pytest.mark.parametrize("logger", outbound.PACKAGE_LOGGERS)
def test_a_log_line_stays_one_line_whatever_its_arguments_hold(logger: str) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        logging.getLogger(logger).warning(
            "%s is not read", "/srv/x\nINFO clarity_settings: key rotation verified"
        )
    finally:
        root.removeHandler(handler)
    assert stream.getvalue().splitlines() == [
        f"WARNING {logger}: /srv/x\\x0aINFO clarity_settings: key rotation verified is not read"
    ]
