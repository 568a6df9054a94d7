"""Shared by every command: one-line errors, --env and --format, loading settings, tables and JSON.

Every failure is one line on stderr (what failed, which key or parameter, what to do) and a non-zero
exit; --debug adds the traceback and DEBUG logging. No output shows a secret unless --reveal or
export asks for it. Every line goes out through say, hand_over, print_table or print_json, which
spell out control characters (contract.outbound), so no name or value can drive a terminal.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from clarity_settings import names, placeholders
from clarity_settings.contract import outbound
from clarity_settings.errors import ClaritySettingsError, ConfigurationError
from clarity_settings.settings import ClaritySettings, create_settings
from clarity_settings.ssm import client, policy, switch

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = click.Choice(["text", "json"])


class ClarityGroup(click.Group):
    """A click group that turns every failure into one line and an exit code (--debug: the traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a failure becomes one line on stderr and exit 1 (--debug re-raises)."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as error:
            if ctx.find_root().params.get("debug"):
                raise
            say(f"error: {_one_line(error) if _expected(error) else _unexpected(error)}", err=True)
            ctx.exit(1)


def _expected(error: Exception) -> bool:
    """Failures a user can act on; anything else is a bug and keeps its traceback."""
    return isinstance(error, (ClaritySettingsError, OSError, *client.aws_errors()))


def _unexpected(error: Exception) -> str:
    """Any other failure by its type only: its message and traceback may quote a value (a template's)."""
    return (
        f"unexpected {type(error).__name__}; --debug (before the subcommand) shows the traceback, "
        "which may show values"
    )


def _one_line(error: Exception) -> str:
    """The error in one line; AWS's own message is left out because it can quote a parameter value."""
    if getattr(error, "operation_name", None) is not None and isinstance(error, client.aws_errors()):
        return aws_failure(error)
    if isinstance(error, OSError) and error.filename:
        return f"{error.filename}: {error.strerror}"
    return " ".join(str(error).split()) or type(error).__name__


def aws_failure(error: Exception) -> str:
    """An AWS failure as operation, error code and what to do; never AWS's own text."""
    code = client.error_code(error)
    operation = str(getattr(error, "operation_name", "the request"))
    if code == "AccessDeniedException":
        policy_command = (
            "iam-policy --write" if f"ssm:{operation}" in policy.PUBLISH_ACTIONS else "iam-policy"
        )
        hint = f"the IAM policy does not allow ssm:{operation} ({policy_command} prints one that does)"
    else:
        hint = _AWS_HINTS.get(code, "check the credentials, the prefix and the IAM policy")
    return f"{operation} failed ({code}): {hint}"


_AWS_HINTS = {
    "ParameterAlreadyExists": "add --overwrite to replace it",
    "ParameterNotFound": "check the name and the prefix (ssm list shows what exists)",
    "ThrottlingException": "SSM is throttling; try again shortly",
    "ParameterMaxVersionLimitExceeded": (
        "the parameter has 100 versions, the most SSM keeps while its oldest carries a label: move that "
        "label to a newer version (ssm label) and try again"
    ),
}


def console() -> Console:
    """Rich output on stdout, wide enough off a terminal that rows never wrap."""
    return Console(width=None if sys.stdout.isatty() else 200, soft_wrap=False)


def env_option(function: F) -> F:
    """--env NAME: this command's environment, overriding ENV_FOR_DYNACONF."""

    @click.option("--env", "env", default=None, help="Environment to use (overrides ENV_FOR_DYNACONF).")
    @functools.wraps(function)
    def wrapper(*args: Any, env: str | None, **kwargs: Any) -> Any:
        if env is not None:
            os.environ[names.ENV_SWITCHER] = env
        return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def format_option(function: F) -> F:
    """--format text|json for commands that print data."""
    return click.option("--format", "output", type=FORMATS, default="text", show_default=True)(function)


def load_settings(*, validate: bool = False) -> ClaritySettings:
    """The settings this directory and environment resolve to; validated only for commands that hand them on.

    Inspecting and publishing must work on a configuration that is not valid yet: publishing the
    first key to production is how production becomes valid.
    """
    settings = create_settings(dynaconf_skip_validators=not validate)
    settings.instance  # noqa: B018 - load now, so a broken configuration fails here with its message
    settings.ttl_seconds()  # a TTL no service could use fails every command, with SSM off too
    return settings


def model_settings(*, checksums: bool) -> ClaritySettings:
    """Settings whose signature keys (and checksums, to verify) meet the rules verify_model's settings meet.

    Signing under the guide's example key in production would publish checksums anyone can forge, so
    outside development a placeholder key is refused even with reduced security.
    """
    settings = load_settings()
    settings.validators.validate(only=[names.SIGNATURE_KEY, *([names.CHECKSUMS] if checksums else [])])
    env = str(settings.current_env).lower()
    key = settings.get(names.SIGNATURE_KEY)
    if not names.is_development(env) and isinstance(key, str) and placeholders.is_placeholder_key(key):
        raise ConfigurationError(
            f"{names.SIGNATURE_KEY} is a development placeholder, which {env} never signs or verifies with, "
            f"even with reduced security: set the SSM parameter {switch.prefix_of(settings.instance)}/"
            "model_signature_key"
        )
    return settings


def prefix_settings() -> ClaritySettings:
    """Settings read without SSM, for commands that only need to know the prefix (and write there).

    Without .env: a .env is often the very file being published, and must not choose where it goes
    (CLARITY_SSM_PREFIX or ENV_FOR_DYNACONF in it would send a push to production).
    """
    settings = create_settings(
        dynaconf_skip_validators=True, ssm_context=switch.SsmContext(use_ssm=False), load_dotenv=False
    )
    settings.instance  # noqa: B018 - load now, so a broken configuration fails here with its message
    return settings


def active_prefix(settings: ClaritySettings | None = None) -> str:
    """The SSM prefix in force for the environment."""
    return switch.prefix_of((settings or prefix_settings()).instance)


def ssm_client() -> SSMClient:
    """The same client the loader uses."""
    return client.ssm_client()


def say(line: str, *, err: bool = False) -> None:
    """One line the command composed: no name or value in it can drive the terminal or start a line."""
    click.echo(outbound.escaped(line), err=err)


def hand_over(text: str) -> None:
    """Text written for another program (an export): exact to a pipe, escaped on a terminal."""
    # NOTE: color=True keeps click from stripping escape sequences off a pipe, which would change the bytes.
    click.echo(outbound.for_terminal(text, terminal=sys.stdout.isatty()), nl=False, color=True)


def print_table(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, revealed: int | None = None
) -> None:
    """A plain table on stdout, every cell escaped but a revealed column, which stays exact off a terminal."""
    exact = not sys.stdout.isatty()
    table = Table(*columns, box=None, pad_edge=False, header_style="bold")
    for row in rows:
        cells = [str(cell) for cell in row]
        table.add_row(
            *(
                Text(cell if exact and index == revealed else outbound.escaped(cell))
                for index, cell in enumerate(cells)
            )
        )
    console().print(table)


def print_json(data: object) -> None:
    """Data as indented JSON on stdout: JSON escapes every control character, so it is exact and inert."""
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=True))


def warn_reveal() -> None:
    """--reveal prints secrets: say so where the output's reader will see it."""
    say("warning: --reveal prints secret values; keep this output out of logs and shells' history", err=True)


def write_private(path: Path, text: str, *, replace: bool) -> None:
    """Create path with mode 0600; with replace, swap it in atomically, else refuse an existing file."""
    if path.exists() and not replace:
        raise ConfigurationError(f"{path} exists; add --force to replace it")
    descriptor, temporary = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
