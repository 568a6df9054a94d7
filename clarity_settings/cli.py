"""The clarity-settings command: what a process gets and from where, publishing secrets, 3 a.m. debugging.

Every failure is one line on stderr (what failed, which key or parameter, what to do) and a non-zero
exit; --debug adds the traceback and DEBUG logging. No output shows a secret unless --reveal or
export asks for it.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from clarity_settings import (
    control,
    documents,
    iam,
    inspection,
    integrity,
    local_ssm,
    parameters,
    provenance,
    schema,
)
from clarity_settings.checks import run_check
from clarity_settings.errors import ClaritySettingsError, ConfigurationError
from clarity_settings.freshness import ClaritySettings
from clarity_settings.options import create_settings
from clarity_settings.secrets_manager import SecretsManager
from clarity_settings.ssm_state import SsmContext

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

F = TypeVar("F", bound=Callable[..., Any])

PROGRESS_THRESHOLD = 64 << 20
FORMATS = click.Choice(["text", "json"])
EXPORT_FORMATS = click.Choice(["dotenv", "json", "k8s-secret", "k8s-configmap"])


class ClarityGroup(click.Group):
    """A click group that turns expected failures into one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as error:
            if ctx.find_root().params.get("debug") or not _expected(error):
                raise
            click.echo(f"error: {_one_line(error)}", err=True)
            ctx.exit(1)


def _expected(error: Exception) -> bool:
    """Failures a user can act on; anything else is a bug and keeps its traceback."""
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(error, ClaritySettingsError | OSError | BotoCoreError | ClientError)


def _one_line(error: Exception) -> str:
    """The error in one line; AWS's own message is left out because it can quote a parameter value."""
    from botocore.exceptions import ClientError

    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "error")
        hint = _AWS_HINTS.get(code, "check the credentials, the prefix and the IAM policy")
        return f"{error.operation_name} failed ({code}): {hint}"
    if isinstance(error, OSError) and error.filename:
        return f"{error.filename}: {error.strerror}"
    return " ".join(str(error).split()) or type(error).__name__


_AWS_HINTS = {
    "ParameterAlreadyExists": "add --overwrite to replace it",
    "ParameterNotFound": "check the name and the prefix (ssm list shows what exists)",
    "AccessDeniedException": "the IAM policy does not allow it (iam-policy prints one that does)",
    "ThrottlingException": "SSM is throttling; try again shortly",
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
            os.environ[schema.ENV_SWITCHER] = env
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
    settings.get(schema.SSM_PREFIX)
    return settings


def model_settings(*, checksums: bool) -> ClaritySettings:
    """Settings whose signature keys (and checksums, to verify) meet the rules verify_model's settings meet.

    Signing under the guide's example key in production would publish checksums anyone can forge.
    """
    settings = load_settings()
    settings.validators.validate(only=[schema.SIGNATURE_KEY, *([schema.CHECKSUMS] if checksums else [])])
    return settings


def prefix_settings() -> ClaritySettings:
    """Settings read without SSM, for commands that only need to know the prefix."""
    settings = create_settings(dynaconf_skip_validators=True, ssm_context=SsmContext(use_ssm=False))
    settings.get(schema.SSM_PREFIX)
    return settings


def active_prefix(settings: ClaritySettings | None = None) -> str:
    """The SSM prefix in force for the environment."""
    settings = settings or prefix_settings()
    return control.resolve_prefix(settings, str(settings.current_env))


def ssm_client() -> SSMClient:
    """The same client the loader uses."""
    from loaders.ssm_loader import ssm_client as loader_client

    return loader_client()


def print_table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """A plain table on stdout."""
    table = Table(*columns, box=None, pad_edge=False, header_style="bold")
    for row in rows:
        table.add_row(*(Text(str(cell)) for cell in row))
    console().print(table)


def print_json(data: object) -> None:
    """Data as indented JSON on stdout."""
    click.echo(json.dumps(data, indent=2, default=str))


def warn_reveal() -> None:
    """--reveal prints secrets: say so where the output's reader will see it."""
    click.echo(
        "warning: --reveal prints secret values; keep this output out of logs and shells' history", err=True
    )


@click.group(cls=ClarityGroup)
@click.option("--debug", is_flag=True, help="Show tracebacks and DEBUG logs (secrets stay redacted).")
@click.version_option(package_name="clarity-settings")
def main(debug: bool) -> None:
    """Settings and secrets from SSM Parameter Store, .env and settings.toml."""
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


@main.command()
@click.argument("keys", nargs=-1)
@click.option("--reveal", is_flag=True, help="Print secret values instead of their type and length.")
@env_option
@format_option
def show(keys: tuple[str, ...], reveal: bool, output: str) -> None:
    """The resolved settings: value (redacted), source and staleness, one row per key."""
    settings = load_settings()
    rows = inspection.describe(settings, reveal=reveal)
    wanted = {key.upper() for key in keys}
    missing = wanted - {row.key for row in rows}
    if missing:
        raise ConfigurationError(
            f"no setting named {', '.join(sorted(missing))}; clarity-settings show lists them"
        )
    rows = [row for row in rows if not wanted or row.key in wanted]
    if reveal:
        warn_reveal()
    if output == "json":
        print_json([row.__dict__ for row in rows])
        return
    print_table(
        ["key", "value", "source", "stale"],
        [(r.key, r.value, r.source, "stale" if r.stale else "") for r in rows],
    )
    for path in provenance.files_used(settings):
        click.echo(f"file read: {path}")


@main.command()
@env_option
@format_option
def check(output: str) -> None:
    """Validators and health: exit 0 healthy, 1 a validation failure, 2 SSM unreachable or degraded."""
    report = run_check(load_settings())
    if output == "json":
        print_json({"valid": not report.problems, "problems": report.problems, "health": report.health})
    else:
        for line in report.lines():
            click.echo(line)
    sys.exit(report.exit_code)


@main.group(cls=ClarityGroup)
def ssm() -> None:
    """Read and write Parameter Store under the active prefix."""


def _read_value(from_file: Path | None) -> str:
    """The value from a file or stdin (a prompt on a terminal), one trailing newline dropped."""
    if from_file is not None:
        text = from_file.read_text("utf-8")
    elif sys.stdin.isatty():
        text = click.prompt("value", hide_input=True, confirmation_prompt=True)
    else:
        text = sys.stdin.read()
    return text.removesuffix("\n").removesuffix("\r")


@ssm.command("put")
@click.argument("name")
@click.option(
    "--from-file", type=click.Path(dir_okay=False, path_type=Path), help="Read the value from this file."
)
@click.option("--type", "kind", type=click.Choice(list(parameters.PARAMETER_TYPES)), default="SecureString")
@click.option("--overwrite", is_flag=True, help="Replace an existing parameter.")
@env_option
def ssm_put(name: str, from_file: Path | None, kind: str, overwrite: bool) -> None:
    """Store the value from stdin or --from-file (never from the command line) as NAME."""
    full = parameters.absolute_name(name, active_prefix())
    version = parameters.put(ssm_client(), full, _read_value(from_file), kind=kind, overwrite=overwrite)
    click.echo(f"put {full} ({kind}, version {version})")


@ssm.command("get")
@click.argument("name")
@click.option("--reveal", is_flag=True, help="Print the value instead of its type and length.")
@env_option
@format_option
def ssm_get(name: str, reveal: bool, output: str) -> None:
    """One parameter, its value redacted unless --reveal."""
    full = parameters.absolute_name(name, active_prefix())
    found = ssm_client().get_parameter(Name=full, WithDecryption=True)["Parameter"]
    value = found["Value"] if reveal else inspection.redact(found["Value"])
    if reveal:
        warn_reveal()
    row = {"name": full, "type": found["Type"], "version": found["Version"], "value": value}
    if output == "json":
        print_json(row)
    else:
        print_table(list(row), [list(row.values())])


@ssm.command("delete")
@click.argument("name")
@env_option
def ssm_delete(name: str) -> None:
    """Delete one parameter (the last step of a key rotation removes model_signature_key_previous)."""
    full = parameters.absolute_name(name, active_prefix())
    ssm_client().delete_parameter(Name=full)
    click.echo(f"deleted {full}")


@ssm.command("list")
@env_option
@format_option
def ssm_list(output: str) -> None:
    """Names, types, versions and last-modified times under the prefix; never values."""
    stored = parameters.read_all(ssm_client(), active_prefix(), decrypt=False)
    rows = [
        {"name": p.name, "type": p.type, "version": p.version, "last_modified": str(p.last_modified or "")}
        for p in stored.values()
    ]
    if output == "json":
        print_json(rows)
    else:
        print_table(["name", "type", "version", "last modified"], [list(row.values()) for row in rows])


def _comparison(path: Path) -> tuple[str, dict[str, str], dict[str, str]]:
    """The prefix, what the file holds and what SSM holds, as parameter names and texts."""
    settings = prefix_settings()
    prefix = active_prefix(settings)
    wanted = documents.read_parameters(path, str(settings.current_env))
    return prefix, wanted, parameters.read_values(ssm_client(), prefix)


@ssm.command("push")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--apply", "apply_changes", is_flag=True, help="Write the changes; without it this is a dry run."
)
@env_option
@format_option
def ssm_push(file: Path, apply_changes: bool, output: str) -> None:
    """Plan (and with --apply, write) a .env, TOML or JSON file as SecureStrings under the prefix."""
    prefix, wanted, current = _comparison(file)
    changes = parameters.plan(current, wanted)
    if output == "json":
        print_json([{"name": f"{prefix}/{c.name}", "action": c.action} for c in changes])
    else:
        print_table(["parameter", "action"], [(f"{prefix}/{c.name}", c.action) for c in changes])
    pending = [c for c in changes if c.action != "unchanged"]
    if not apply_changes:
        click.echo(f"dry run: {len(pending)} to write; add --apply to write them", err=True)
        return
    client = ssm_client()
    for change in pending:
        parameters.put(client, f"{prefix}/{change.name}", wanted[change.name], overwrite=True)
    click.echo(f"applied: {len(pending)} written under {prefix}", err=True)


@ssm.command("pull")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@env_option
def ssm_pull(file: Path, force: bool) -> None:
    """Write the prefix's parameters to a .env, TOML or JSON file readable only by you (mode 0600)."""
    settings = prefix_settings()
    prefix = active_prefix(settings)
    values = parameters.read_values(ssm_client(), prefix)
    kind = documents.file_kind(file)
    if kind != "dotenv":
        documents.refuse_evaluated(values, prefix)
    if kind == "dotenv":
        text = documents.dotenv_text(documents.variables_for(values))
    elif kind == "toml":
        text = documents.toml_text(values, str(settings.current_env).lower())
    else:
        text = json.dumps(documents.nested(values), indent=2) + "\n"
    write_private(file, text, replace=force)
    click.echo(f"pulled {len(values)} parameters from {prefix} into {file}", err=True)


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


@ssm.command("diff")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@env_option
def ssm_diff(file: Path) -> None:
    """Exit 0 when SSM and FILE agree, 1 otherwise, listing the names that differ (never values)."""
    prefix, wanted, current = _comparison(file)
    differences = [
        (f"{prefix}/{c.name}", c.action) for c in parameters.plan(current, wanted) if c.action != "unchanged"
    ]
    differences += [(f"{prefix}/{name}", "only in ssm") for name in sorted(set(current) - set(wanted))]
    for name, action in differences:
        click.echo(f"{action}: {name}")
    if differences:
        sys.exit(1)
    click.echo(f"{file} and {prefix} agree")


@main.command("export")
@click.option("--format", "output", type=EXPORT_FORMATS, default="dotenv", show_default=True)
@click.option("--name", default=None, help="metadata.name for Kubernetes objects.")
@env_option
def export(output: str, name: str | None) -> None:
    """The resolved settings as a .env file, JSON, or the guide's Kubernetes Secret and ConfigMap."""
    settings = load_settings(validate=True)
    values = handed_on(settings)
    if output == "json":
        print_json(documents.plain(values))
    elif output == "dotenv":
        click.echo(documents.dotenv_text(documents.environment_variables(values)), nl=False)
    elif output == "k8s-secret":
        click.echo(
            kubernetes_object("Secret", name or "clarity-secrets", documents.environment_variables(values))
        )
    else:
        click.echo(kubernetes_object("ConfigMap", name or "clarity-config", control_variables(settings)))


def handed_on(settings: ClaritySettings) -> dict[str, Any]:
    """What export and exec pass to another process: every application setting but the control ones."""
    return {
        key: value
        for key, value in inspection.application_settings(settings).items()
        if key not in documents.CONTROL_SETTINGS
    }


def control_variables(settings: ClaritySettings) -> dict[str, str]:
    """The guide's ConfigMap: whether and where to read SSM, in which region."""
    return {
        schema.ENV_SWITCHER: str(settings.current_env).lower(),
        schema.control_variable(schema.USE_SSM): "true",
        schema.control_variable(schema.SSM_PREFIX): active_prefix(settings),
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", control.DEFAULT_REGION),
    }


def kubernetes_object(kind: str, name: str, data: Mapping[str, str]) -> str:
    """A Secret (stringData) or ConfigMap (data) in YAML; values are JSON strings, which YAML reads as-is."""
    field = "stringData" if kind == "Secret" else "data"
    lines = ["apiVersion: v1", f"kind: {kind}", "metadata:", f"  name: {json.dumps(name)}"]
    if kind == "Secret":
        lines.append("type: Opaque")
    lines.append(f"{field}:")
    lines += [f"  {key}: {json.dumps(value, ensure_ascii=False)}" for key, value in data.items()]
    return "\n".join(lines)


@main.command("exec", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@env_option
def exec_command(command: tuple[str, ...]) -> None:
    """Run COMMAND with the resolved settings in its environment; its exit code is passed through."""
    environment = {**os.environ, **documents.environment_variables(handed_on(load_settings(validate=True)))}
    try:
        completed = subprocess.run(list(command), env=environment, check=False)  # noqa: S603 - the user's own command
    except FileNotFoundError:
        raise ConfigurationError(f"{command[0]}: command not found") from None
    sys.exit(completed.returncode)


@main.group(cls=ClarityGroup)
def models() -> None:
    """Sign, publish and verify PAT model files."""


@models.command("sign")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--size",
    "sizes",
    multiple=True,
    required=True,
    type=click.Choice(list(schema.MODEL_SIZES)),
    help="One per FILE, in order.",
)
@env_option
def models_sign(files: tuple[Path, ...], sizes: tuple[str, ...]) -> None:
    """Print the signed checksums of FILES under the current key, as EXPECTED_MODEL_CHECKSUMS JSON."""
    if len(files) != len(sizes):
        raise click.UsageError("give one --size for each FILE, in the same order")
    key = SecretsManager(settings=model_settings(checksums=False)).get_model_signature_key()
    with hashing_progress(files) as advance:
        signed = integrity.expected_checksums(dict(zip(sizes, files, strict=True)), key, on_progress=advance)
    print_json(signed)


@models.command("publish")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@env_option
def models_publish(directory: Path | None) -> None:
    """Sign the standard PAT files in DIRECTORY and store them as <prefix>/expected_model_checksums."""
    settings = model_settings(checksums=False)
    paths = integrity.model_paths(directory or Path(str(settings.get("MODEL_DIR", "models"))))
    key = SecretsManager(settings=settings).get_model_signature_key()
    with hashing_progress(paths.values()) as advance:
        signed = integrity.expected_checksums(paths, key, on_progress=advance)
    name = f"{active_prefix(settings)}/expected_model_checksums"
    version = parameters.put(ssm_client(), name, json.dumps(signed), overwrite=True)
    click.echo(f"published {name} (version {version}) for {', '.join(signed)}")


@models.command("verify")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@env_option
@format_option
def models_verify(directory: Path | None, output: str) -> None:
    """Verify the standard PAT files in DIRECTORY against the expected checksums; exit 1 if any fails."""
    settings = model_settings(checksums=True)
    paths = integrity.model_paths(directory or Path(str(settings.get("MODEL_DIR", "models"))))
    manager = SecretsManager(settings=settings)
    with hashing_progress(paths.values()) as advance:
        try:
            results: Mapping[str, object] = integrity.verify_models(
                paths, manager=manager, on_progress=advance
            )
        except integrity.ModelSetIntegrityError as error:
            results = error.results
    rows = [
        {
            "size": size,
            "path": str(paths[size]),
            "status": "ok" if isinstance(r, integrity.VerifiedModel) else str(r),
        }
        for size, r in results.items()
    ]
    if output == "json":
        print_json(rows)
    else:
        print_table(["size", "path", "status"], [list(row.values()) for row in rows])
    if any(row["status"] != "ok" for row in rows):
        sys.exit(1)


class hashing_progress:  # noqa: N801 - used as a context manager, named like one
    """A progress bar on a terminal when any file is over 64 MiB; otherwise nothing."""

    def __init__(self, paths: Iterable[Path]) -> None:
        sizes = [path.stat().st_size for path in paths if path.is_file()]
        self.total = sum(sizes)
        large = any(size > PROGRESS_THRESHOLD for size in sizes)
        self.shown = large and sys.stderr.isatty()

    def __enter__(self) -> Callable[[int], None] | None:
        if not self.shown:
            return None
        from rich.progress import Progress

        self.bar = Progress(console=Console(stderr=True))
        self.bar.start()
        task = self.bar.add_task("hashing", total=self.total)
        return lambda count: self.bar.advance(task, count)

    def __exit__(self, *_: object) -> None:
        if self.shown:
            self.bar.stop()


@main.command("iam-policy")
@click.option("--prefix", default=None, help="SSM path (default: the active environment's prefix).")
@click.option("--partition", default="aws", show_default=True)
@click.option("--region", default="*", show_default=True)
@click.option(
    "--account", default="*", show_default=True, help="The 12-digit account that holds the parameters."
)
@click.option("--kms-key", default="*", show_default=True, help="ID or ARN of the key the SecureStrings use.")
@env_option
def iam_policy(prefix: str | None, partition: str, region: str, account: str, kms_key: str) -> None:
    """The least-privilege IAM policy for the requests this library makes."""
    path = prefix or active_prefix()
    print_json(iam.read_policy(path, partition=partition, region=region, account=account, kms_key=kms_key))


@main.command("local-ssm")
@click.option("--port", default=0, show_default=True, help="Port on 127.0.0.1 (0: a free one).")
@click.option(
    "--seed",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A .env, TOML or JSON file to put under the prefix.",
)
@env_option
def local_ssm_command(port: int, seed: Path | None) -> None:
    """An SSM endpoint on 127.0.0.1 (moto's server) until Ctrl-C, printing the variables that use it."""
    settings = prefix_settings()
    with local_ssm.running(port) as server:
        if seed is not None:
            server.seed(active_prefix(settings), documents.read_parameters(seed, str(settings.current_env)))
        for variable, value in server.environment().items():
            click.echo(f"export {variable}={value}")
        click.echo(f"# serving SSM at {server.url}; Ctrl-C stops it", err=True)
        sys.stdout.flush()
        try:
            _wait_forever()
        except KeyboardInterrupt:
            click.echo("# stopped", err=True)


def _wait_forever() -> None:
    import threading

    threading.Event().wait()


@main.command()
def demo() -> None:
    """The whole job on a local SSM: seed three environments, load, verify models, rotate the key."""
    from clarity_settings.demo import run

    run(console())
