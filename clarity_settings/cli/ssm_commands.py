"""`ssm put/get/delete/list/push/pull/diff`: Parameter Store under the active prefix, values never on argv."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from clarity_settings import file_formats, provenance
from clarity_settings.cli.common import (
    ClarityGroup,
    active_prefix,
    env_option,
    format_option,
    prefix_settings,
    print_json,
    print_table,
    ssm_client,
    warn_reveal,
    write_private,
)
from clarity_settings.ssm import read, write


@click.group(cls=ClarityGroup)
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
@click.option("--type", "kind", type=click.Choice(list(write.PARAMETER_TYPES)), default="SecureString")
@click.option("--overwrite", is_flag=True, help="Replace an existing parameter.")
@env_option
def ssm_put(name: str, from_file: Path | None, kind: str, overwrite: bool) -> None:
    """Store the value from stdin or --from-file (never from the command line) as NAME."""
    full = write.absolute_name(name, active_prefix())
    version = write.put(ssm_client(), full, _read_value(from_file), kind=kind, overwrite=overwrite)
    click.echo(f"put {full} ({kind}, version {version})")


@ssm.command("get")
@click.argument("name")
@click.option("--reveal", is_flag=True, help="Print the value instead of its type and length.")
@env_option
@format_option
def ssm_get(name: str, reveal: bool, output: str) -> None:
    """One parameter, its value redacted unless --reveal."""
    full = write.absolute_name(name, active_prefix())
    found = read.one(ssm_client(), full)
    text = found.value or ""
    if reveal:
        warn_reveal()
    row = {
        "name": full,
        "type": found.type,
        "version": found.version,
        "value": text if reveal else provenance.redact(text),
    }
    if output == "json":
        print_json(row)
    else:
        print_table(list(row), [list(row.values())])


@ssm.command("delete")
@click.argument("name")
@env_option
def ssm_delete(name: str) -> None:
    """Delete one parameter (the last step of a key rotation removes model_signature_key_previous)."""
    full = write.absolute_name(name, active_prefix())
    write.delete(ssm_client(), full)
    click.echo(f"deleted {full}")


@ssm.command("list")
@env_option
@format_option
def ssm_list(output: str) -> None:
    """Names, types, versions and last-modified times under the prefix; never values."""
    stored = read.fetch(ssm_client(), active_prefix(), decrypt=False)
    rows = [
        {"name": p.name, "type": p.type, "version": p.version, "last_modified": str(p.last_modified or "")}
        for p in stored
    ]
    if output == "json":
        print_json(rows)
    else:
        print_table(["name", "type", "version", "last modified"], [list(row.values()) for row in rows])


def _comparison(path: Path) -> tuple[str, dict[str, str], dict[str, str]]:
    """The prefix, what the file holds and what SSM holds, as parameter names and texts."""
    settings = prefix_settings()
    prefix = active_prefix(settings)
    wanted = file_formats.read_parameters(path, str(settings.current_env))
    return prefix, wanted, read.read_values(ssm_client(), prefix)


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
    changes = write.plan(current, wanted)
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
        write.put(client, f"{prefix}/{change.name}", wanted[change.name], overwrite=True)
    click.echo(f"applied: {len(pending)} written under {prefix}", err=True)


@ssm.command("pull")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@env_option
def ssm_pull(file: Path, force: bool) -> None:
    """Write the prefix's parameters to a .env, TOML or JSON file readable only by you (mode 0600)."""
    settings = prefix_settings()
    prefix = active_prefix(settings)
    values = read.read_values(ssm_client(), prefix)
    kind = file_formats.file_kind(file)
    file_formats.refuse_unloadable(values, prefix, evaluated=kind != "dotenv")
    if kind == "dotenv":
        text = file_formats.dotenv_text(file_formats.variables_for(values))
    elif kind == "toml":
        text = file_formats.toml_text(values, str(settings.current_env).lower())
    else:
        text = json.dumps(file_formats.nested(values), indent=2) + "\n"
    write_private(file, text, replace=force)
    click.echo(f"pulled {len(values)} parameters from {prefix} into {file}", err=True)


@ssm.command("diff")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@env_option
def ssm_diff(file: Path) -> None:
    """Exit 0 when SSM and FILE agree, 1 otherwise, listing the names that differ (never values)."""
    prefix, wanted, current = _comparison(file)
    differences = [
        (f"{prefix}/{c.name}", c.action) for c in write.plan(current, wanted) if c.action != "unchanged"
    ]
    differences += [(f"{prefix}/{name}", "only in ssm") for name in sorted(set(current) - set(wanted))]
    for name, action in differences:
        click.echo(f"{action}: {name}")
    if differences:
        sys.exit(1)
    click.echo(f"{file} and {prefix} agree")
