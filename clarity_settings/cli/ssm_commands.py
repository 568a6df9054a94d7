"""`ssm put/get/delete/list/push/pull/diff`: Parameter Store under the active prefix, values never on argv."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click

from clarity_settings import file_formats, names, provenance
from clarity_settings.cli.common import (
    ClarityGroup,
    active_prefix,
    aws_failure,
    env_option,
    format_option,
    prefix_settings,
    print_json,
    print_table,
    say,
    ssm_client,
    warn_reveal,
    write_private,
)
from clarity_settings.errors import ConfigurationError, PublishError
from clarity_settings.ssm import read, switch, write
from clarity_settings.ssm.client import aws_errors


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


_TYPE = click.option(
    "--type",
    "kind",
    type=click.Choice(list(write.PARAMETER_TYPES)),
    default=None,
    help="Store what is written as this type (default: a parameter keeps its type; new ones SecureString).",
)


@ssm.command("put")
@click.argument("name")
@click.option(
    "--from-file", type=click.Path(dir_okay=False, path_type=Path), help="Read the value from this file."
)
@_TYPE
@click.option("--overwrite", is_flag=True, help="Replace an existing parameter.")
@click.option("--retype", is_flag=True, help="With --overwrite: let the value load as another type.")
@env_option
def ssm_put(name: str, from_file: Path | None, kind: str | None, overwrite: bool, retype: bool) -> None:
    """Store the value from stdin or --from-file (never from the command line) as NAME."""
    settings = prefix_settings()
    full = write.absolute_name(name, active_prefix(settings))
    value = _read_value(from_file)
    client = ssm_client()
    prefixes = switch.prefixes_of(settings.instance)
    under = next((prefix for prefix in reversed(prefixes) if full.startswith(f"{prefix}/")), None)
    current = read.fetch(client, under, decrypt=False) if under is not None else []
    kind = kind or write.kept_type(full, under or full.rpartition("/")[0], current)
    write.refuse_unloadable(
        full, value, kind, env=str(settings.current_env), prefixes=prefixes, current=current
    )
    replaced = overwrite and any(found.name == full for found in current)
    if replaced and not retype:
        levels = read.setting_path(under or full.rpartition("/")[0], full)
        write.refuse_silent_retype(levels, read.one(client, full), value, kind)
    if under is not None and replaced:
        _warn_unrotated_key(under, full, current)
    version = write.put(client, full, value, kind=kind, overwrite=overwrite)
    say(f"put {full} ({kind}, version {version})")


def _warn_unrotated_key(prefix: str, full: str, current: list[read.Parameter]) -> None:
    """A new signing key with no previous key beside it: every model signed with the old one fails."""
    if read.setting_path(prefix, full) != (names.SIGNATURE_KEY,):
        return
    previous = {(names.PREVIOUS_SIGNATURE_KEY,)}
    if any(read.setting_path(prefix, found.name) in previous for found in current):
        return
    say(
        f"warning: models signed with the current {names.SIGNATURE_KEY} stop verifying once services load "
        f"the new one, and no {prefix}/model_signature_key_previous keeps them verifying meanwhile: rotate "
        "as docs/rotation.md says (clarity-settings ssm put model_signature_key_previous with the current "
        "key first, then models publish)",
        err=True,
    )


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
        print_table(list(row), [list(row.values())], revealed=list(row).index("value") if reveal else None)


@ssm.command("delete")
@click.argument("name")
@env_option
def ssm_delete(name: str) -> None:
    """Delete one parameter (the last step of a key rotation removes model_signature_key_previous)."""
    full = write.absolute_name(name, active_prefix())
    write.delete(ssm_client(), full)
    say(f"deleted {full}")


@ssm.command("list")
@env_option
@format_option
def ssm_list(output: str) -> None:
    """Names, types, versions and last-modified times under every active prefix; never values."""
    settings = prefix_settings()
    client = ssm_client()
    stored: list[read.Parameter] = []
    for prefix in switch.prefixes_of(settings.instance):
        found = read.fetch(client, prefix, decrypt=False)
        if not found and not names.is_development(str(settings.current_env)):
            say(
                f"warning: no parameters under {prefix} in {client.meta.region_name}; check the prefix "
                "(CLARITY_SSM_PREFIX) and the region (AWS_DEFAULT_REGION)",
                err=True,
            )
        stored += found
    rows = [
        {"name": p.name, "type": p.type, "version": p.version, "last_modified": str(p.last_modified or "")}
        for p in stored
    ]
    if output == "json":
        print_json(rows)
    else:
        print_table(["name", "type", "version", "last modified"], [list(row.values()) for row in rows])


@dataclass(frozen=True)
class _Comparison:
    """What push and diff compare: FILE's typed settings and SSM's parameters under the prefix, in env."""

    env: str
    prefix: str
    found: file_formats.FileSettings
    current: list[read.Parameter]


def _comparison(path: Path, *, strict: bool) -> _Comparison:
    """FILE's typed settings (what it does not carry said on stderr) and SSM's parameters."""
    settings = prefix_settings()
    env, prefix = str(settings.current_env), active_prefix(settings)
    found = file_formats.read_settings(path, env)
    report_skipped(path, found.skipped, strict=strict)
    return _Comparison(env, prefix, found, read.fetch(ssm_client(), prefix))


def report_skipped(path: Path, skipped: list[file_formats.Skipped], *, strict: bool) -> None:
    """Every line or key not carried, with why, on stderr; with --strict, any of them is an error."""
    for entry in skipped:
        say(f"not carried: {entry.where}: {entry.reason}", err=True)
    if strict and skipped:
        raise ConfigurationError(
            f"{len(skipped)} line(s) or key(s) of {path} are not carried (listed above) and --strict is on; "
            "nothing was written"
        )


_STRICT = click.option("--strict", is_flag=True, help="Fail when any line or key of FILE is not carried.")


@ssm.command("push")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--apply", "apply_changes", is_flag=True, help="Write the changes; without it this is a dry run."
)
@_TYPE
@_STRICT
@env_option
@format_option
def ssm_push(file: Path, apply_changes: bool, kind: str | None, strict: bool, output: str) -> None:
    """Plan (with --apply, write) a .env, TOML or JSON file under the prefix, typed as it loads locally."""
    compared = _comparison(file, strict=strict)
    prefix = compared.prefix
    write.refuse_unpublishable(compared.found.values, env=compared.env, prefix=prefix)
    changes = write.plan(prefix, compared.current, compared.found.values, kind=kind)
    _print_plan(changes, output)
    write.refuse_conflicts(changes)
    _warn_of_plaintext(changes)
    pending = [change for change in changes if change.action != "unchanged"]
    if not apply_changes:
        say(f"dry run: {len(pending)} to write; add --apply to write them", err=True)
        return
    _apply(pending)
    say(f"applied: {len(pending)} written under {prefix}", err=True)


def _print_plan(changes: list[write.Change], output: str) -> None:
    rows = [
        {
            "name": change.name,
            "action": change.action,
            "type": change.kind,
            "previous_type": change.previous_kind,
            "value_types": change.value_types,
        }
        for change in changes
    ]
    if output == "json":
        print_json(rows)
        return
    print_table(
        ["parameter", "action", "type"],
        [
            (row["name"], _action(change), _type_column(change))
            for row, change in zip(rows, changes, strict=True)
        ],
    )


def _action(change: write.Change) -> str:
    """What happens to a parameter, with the change of the loaded value's type when there is one."""
    return f"{change.action} ({change.value_types})" if change.value_types else change.action


def _warn_of_plaintext(changes: list[write.Change]) -> None:
    """A SecureString retyped to String or StringList loses its encryption: say so for each."""
    for change in changes:
        if change.previous_kind == "SecureString" and change.kind != "SecureString":
            say(
                f"warning: {change.name} loses its encryption ({change.kind} is stored as plain text)",
                err=True,
            )


def _type_column(change: write.Change) -> str:
    if change.previous_kind is not None and change.previous_kind != change.kind:
        return f"{change.previous_kind} -> {change.kind}"
    return change.kind


def _apply(pending: list[write.Change]) -> None:
    """Write each change; a failure names what was written and what was not, and exits non-zero."""
    client = ssm_client()
    for done, change in enumerate(pending):
        try:
            write.put(client, change.name, change.text, kind=change.kind, overwrite=True)
        except aws_errors() as error:
            written = ", ".join(c.name for c in pending[:done]) or "none"
            not_written = ", ".join(c.name for c in pending[done:])
            raise PublishError(
                f"{aws_failure(error)}; written: {written}; not written: {not_written}"
            ) from None


@ssm.command("pull")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@env_option
def ssm_pull(file: Path, force: bool) -> None:
    """Write the prefix's settings to a .env, TOML or JSON file (mode 0600) that loads back the same."""
    settings = prefix_settings()
    prefix = active_prefix(settings)
    kind = file_formats.file_kind(file)
    parameters = read.fetch(ssm_client(), prefix)
    entries = read.map_parameters(prefix, parameters)
    values = {entry.path: read.value_of(entry.parameter) for entry in entries}
    if kind == "dotenv":
        text = file_formats.dotenv_text(file_formats.variables_for(values))
    else:
        sources = {entry.path: f"SSM parameter {entry.parameter.name}" for entry in entries}
        text = file_formats.settings_file_text(kind, values, str(settings.current_env).lower(), sources)
    write_private(file, text, replace=force)
    say(f"pulled {len(parameters)} parameters from {prefix} into {file}", err=True)


@ssm.command("diff")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_STRICT
@env_option
def ssm_diff(file: Path, strict: bool) -> None:
    """Exit 0 when SSM and FILE load the same typed settings, else 1, listing parameters (never values)."""
    compared = _comparison(file, strict=strict)
    prefix, current, wanted = compared.prefix, compared.current, compared.found.values
    differences = [
        (_action(change), change.name)
        for change in write.plan(prefix, current, wanted)
        if change.action != "unchanged"
    ]
    differences += [("only in ssm", name) for name in write.only_in_ssm(prefix, current, wanted)]
    differences += [
        ("only in the file", skipped.where) for skipped in compared.found.skipped if skipped.setting
    ]
    for action, name in differences:
        say(f"{action}: {name}")
    if differences:
        sys.exit(1)
    say(f"{file} and {prefix} agree")


@ssm.command("label")
@click.argument("label")
@click.option(
    "--apply", "apply_changes", is_flag=True, help="Attach the label; without it this is a dry run."
)
@env_option
@format_option
def ssm_label(label: str, apply_changes: bool, output: str) -> None:
    """Attach LABEL to the current version of every parameter under every prefix; a dry run unless --apply."""
    checked = switch.checked_label(label, "LABEL")
    prefixes = switch.prefixes_of(prefix_settings().instance)
    client = ssm_client()
    current = [found for prefix in prefixes for found in read.fetch(client, prefix, decrypt=False)]
    rows = [{"name": found.name, "version": found.version} for found in current]
    if output == "json":
        print_json(rows)
    else:
        print_table(["parameter", "version"], [(row["name"], row["version"]) for row in rows])
    if not apply_changes:
        say(f"dry run: {len(rows)} to label {checked}; add --apply to label them", err=True)
        return
    for found in current:
        write.label(client, found.name, found.version, checked)
    say(f"labelled: {len(rows)} parameters under {', '.join(prefixes)} as {checked}", err=True)
