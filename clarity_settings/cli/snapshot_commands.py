"""`snapshot write` and `snapshot show`: bake a last-known-good snapshot into an image, see what it holds.

Neither prints a value: show lists each kept parameter or file by name, source and age.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import click

from clarity_settings import data_values, names, remote
from clarity_settings.cli.common import env_option, format_option, load_settings, print_json, print_table, say
from clarity_settings.errors import ConfigurationError, SnapshotError
from clarity_settings.snapshot import last_good

PATH_VARIABLE = names.control_variable(names.SNAPSHOT_PATH)


@click.group()
def snapshot() -> None:
    """The encrypted last-known-good snapshot (CLARITY_SNAPSHOT_PATH)."""


def _path_option(function: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=f"The snapshot file (default: {PATH_VARIABLE}).",
    )(function)


@snapshot.command("write")
@env_option
@_path_option
def write_command(path: Path | None) -> None:
    """Load and validate the settings (SSM on) and write their snapshot, as a service does after each load."""
    if path is not None:
        os.environ[PATH_VARIABLE] = str(path)
    started = time.time()
    settings = load_settings(validate=True)
    instance = settings.instance
    target = last_good.target_of(instance)
    if target is None:
        raise ConfigurationError(f"name the file with --path or {PATH_VARIABLE}")
    if remote.SSM not in remote.readings(instance):
        raise ConfigurationError(
            f"nothing to keep: {settings.ssm_context.health.describe()}; a snapshot keeps what SSM gave"
        )
    header = last_good.read_sealed(target.path).header
    if header.written_at < started:
        raise SnapshotError(f"{target.path} was not written (the error above says why)")
    say(f"wrote {target.path} for {header.environment} {','.join(header.prefixes)}")


@snapshot.command("show")
@env_option
@_path_option
@format_option
def show_command(path: Path | None, output: str) -> None:
    """What a snapshot holds (names, sources, age, key), and whether this environment would use it."""
    settings = load_settings()
    instance = settings.instance
    configured = last_good.target_of(instance)
    chosen = path or (configured.path if configured is not None else None)
    if chosen is None:
        raise ConfigurationError(f"name the file with --path or {PATH_VARIABLE}")
    environment = str(instance.current_env).lower()
    target = last_good.target_for(instance, chosen, environment)
    sealed = last_good.read_sealed(chosen)
    header = sealed.header
    payload = last_good.contents(sealed, target.key_source)
    problem = (
        "is not read in development, which never fails closed"
        if names.is_development(environment)
        else last_good.refusal(header, target)
    )
    entries = [
        {
            "source": source,
            "setting": ".".join(data_values.setting_levels(item["name"])),
            "from": item["source"][1],
        }
        for source in remote.SOURCES
        for item in payload.get(source, [])
    ]
    report = {
        "path": str(chosen),
        "environment": header.environment,
        "prefixes": list(header.prefixes),
        "age_seconds": round(time.time() - header.written_at, 1),
        "key": {name: value for name, value in header.key.items() if name != "data_key"},
        "usable_here": "yes" if problem is None else f"no: it {problem}",
        "entries": entries,
    }
    if output == "json":
        print_json(report)
        return
    for field in ("path", "environment", "prefixes", "age_seconds", "key", "usable_here"):
        say(f"{field}: {report[field]}")
    print_table(["source", "setting", "from"], [list(entry.values()) for entry in entries])
