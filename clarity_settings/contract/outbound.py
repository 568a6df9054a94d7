"""Text written for other programs: .env lines, Kubernetes YAML, terminal lines and log lines.

Names and values come from whoever can write a parameter, a variable or a mounted file's name, so
each writer here either carries a name or value exactly to the program at the other end (bash's
``set -a; . file``, python-dotenv with or without interpolation, Docker Compose's env_file, a YAML
parser, a terminal, a log reader) or refuses it with a message naming the variable or key and the
rule, never the value. Every sink of the package writes through these functions.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Final

from clarity_settings.errors import ConfigurationError

if TYPE_CHECKING:
    from yaml import SafeDumper, ScalarNode

_CONTROL_CLASS: Final = "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
CONTROL: Final = re.compile(f"[{_CONTROL_CLASS}]")
"""What can drive a terminal or start a new line: C0, DEL, C1 (U+009B alone opens an escape sequence)
and the bidi overrides and isolates, which make a line read other than it is."""

DOTENV_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""A name that bash, python-dotenv and Docker Compose all read as the whole name of a variable."""
_JSON_AWKWARD: Final = re.compile(f"\\\\\\\\|[$'{_CONTROL_CLASS}]")
"""In JSON text: an escaped backslash, and what single quotes cannot carry to every reader."""

KUBERNETES_KEY: Final = re.compile(r"[-._a-zA-Z0-9]+")
KUBERNETES_KEY_LENGTH: Final = 253
"""Kubernetes' own rule for a Secret or ConfigMap key (IsConfigMapKey), and so for a file in a volume."""

PACKAGE_LOGGERS: Final = ("clarity_settings", "clarity_settings.integrity", "clarity_settings.ssm")
"""Every logger the package logs to (tests/test_outbound.py checks each getLogger call names one)."""


def escaped(text: str) -> str:
    """text with each control character spelled out (\\x1b, \\u202e): shown to a person, never obeyed."""
    return CONTROL.sub(_spelled, text)


def _spelled(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


SHOWN_CHARACTERS: Final = 80
"""How much of a name a message shows: enough to find it, never a page of it."""


def shown_name(name: str) -> str:
    """A name someone else chose, as a message shows it: control characters spelled out, a long one cut.

    A file name may hold a newline (forging a second log line) or an ESC sequence (rewriting the
    terminal); spelled out, it is only text, in an exception as much as on a terminal.
    """
    shown = escaped(name)
    return (
        shown if len(shown) <= SHOWN_CHARACTERS else f"{shown[:SHOWN_CHARACTERS]}... ({len(name)} characters)"
    )


def for_terminal(text: str, *, terminal: bool) -> str:
    """Text for a program (an export, a revealed value): exact to a pipe, each line escaped on a terminal."""
    return "\n".join(escaped(line) for line in text.split("\n")) if terminal else text


class LogLineGuard(logging.Filter):
    """Escapes control characters in a record's message: a newline in a file name cannot forge a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; its message becomes one line with nothing a terminal would obey."""
        message = record.getMessage()
        if CONTROL.search(message):
            record.msg, record.args = escaped(message), None
        return True


_GUARD: Final = LogLineGuard()


def guard_package_logs() -> None:
    """Attach the guard to each of the package's loggers once: a logger's filters see only its own records."""
    attach_once(_GUARD, PACKAGE_LOGGERS)


def attach_once(guard: logging.Filter, loggers: Iterable[str]) -> None:
    """Put guard on each named logger unless it is there already (import and setup may ask twice)."""
    for name in loggers:
        logger = logging.getLogger(name)
        if guard not in logger.filters:
            logger.addFilter(guard)


def single_quotable(text: str) -> bool:
    """Whether bash, python-dotenv (interpolating or not) and Docker Compose all read 'text' as text.

    bash ends the value at a quote; python-dotenv decodes a doubled backslash and a backslash before the
    closing quote, and expands ${NAME} even between single quotes when it interpolates; Compose keeps a
    doubled backslash. A control character stays out too, so that reading the file on a terminal is safe.
    """
    awkward = "'" in text or "\\\\" in text or text.endswith("\\") or "${" in text
    return not awkward and CONTROL.search(text) is None


def single_quotable_json(value: object) -> str:
    """JSON for value that single_quotable accepts: backslashes, quotes, '$' and controls as \\u escapes."""
    encoded = json.dumps(value, ensure_ascii=False, allow_nan=False)
    # NOTE: json.dumps writes a backslash only to start an escape, and every escape but '\\' has a
    # second character that is no backslash, so the pairs found left to right are exactly its '\\'.
    return _JSON_AWKWARD.sub(_json_escape, encoded)


def _json_escape(match: re.Match[str]) -> str:
    found = match.group()
    return "\\u005c" if found == "\\\\" else f"\\u{ord(found):04x}"


def dotenv_line(name: str, text: str) -> str:
    """NAME='text', which every reader reads back as exactly name and text, or a refusal saying why."""
    if not DOTENV_NAME.fullmatch(name):
        raise ConfigurationError(
            f"{escaped(name)} cannot be written to a .env: a variable name there is letters, digits and "
            "'_', not starting with a digit (what bash, python-dotenv and Docker Compose all read as a name)"
        )
    if not single_quotable(text):
        raise ConfigurationError(
            f"{name} cannot be written to a .env exactly: its text holds a quote, a backslash pair or a "
            "final backslash, a control character or '${', which single quotes do not carry to every "
            "reader, and it does not load as a setting, so it has no @json form either"
        )
    return f"{name}='{text}'"


def kubernetes_key(key: str, *, what: str) -> str:
    """key, when Kubernetes takes it as a Secret or ConfigMap key (and so as a file name in a volume).

    what says what the key would have been ("Secret key"), for the refusal.
    """
    dots = key in {".", ".."} or key.startswith("..")
    if len(key) > KUBERNETES_KEY_LENGTH or not KUBERNETES_KEY.fullmatch(key) or dots:
        raise ConfigurationError(
            f"{escaped(key)} cannot be a {what}: Kubernetes takes letters, digits, '-', '_' and '.', "
            f"at most {KUBERNETES_KEY_LENGTH} characters, neither '.' nor starting with '..'"
        )
    return key


def kubernetes_data(data: Mapping[str, str], *, kind: str) -> dict[str, str]:
    """A Secret's or ConfigMap's data, every key checked against Kubernetes' own rule."""
    return {kubernetes_key(key, what=f"{kind} key"): value for key, value in data.items()}


def yaml_text(document: object) -> str:
    """One YAML document that a parser reads back exactly: ASCII only (the rest escaped), never folded."""
    import yaml  # only the exports write YAML: a service reading settings never imports it

    return yaml.dump(document, Dumper=_dumper(), sort_keys=False, allow_unicode=False, width=float("inf"))


@functools.cache
def _dumper() -> type[SafeDumper]:
    """safe_dump's representers, with text of several lines as a literal block, as people write it."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(str, _represent_text)
    return Dumper


def _represent_text(dumper: SafeDumper, value: str) -> ScalarNode:
    # NOTE: the emitter falls back to a quoted style whenever a block could not carry the text exactly.
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


def yaml_comment(text: str) -> str:
    """text as YAML comment lines: every line a parser could see (any line break) starts with '#'."""
    return "".join(f"# {escaped(line)}\n" for line in text.splitlines())
