"""The clarity-settings command: what a process gets and from where, publishing secrets, 3 a.m. debugging.

One module per command family: inspect (show, check), ssm_commands, handoff (export, exec), models,
snapshot_commands, devtools (local-ssm, demo, iam-policy); common holds what they share.
"""

from __future__ import annotations

import logging
import os

import click

from clarity_settings import names
from clarity_settings.cli.common import ClarityGroup
from clarity_settings.cli.devtools import demo, iam_policy, local_ssm_command
from clarity_settings.cli.handoff import exec_command, export
from clarity_settings.cli.inspect import check, show
from clarity_settings.cli.models import models
from clarity_settings.cli.snapshot_commands import snapshot
from clarity_settings.cli.ssm_commands import ssm


@click.group(cls=ClarityGroup)
@click.option("--debug", is_flag=True, help="Show tracebacks and DEBUG logs (secrets stay redacted).")
@click.option(
    "--env", "env", default=None, help="Environment for every command (overrides ENV_FOR_DYNACONF)."
)
@click.version_option(package_name="clarity-settings")
def main(debug: bool, env: str | None) -> None:
    """Settings and secrets from SSM Parameter Store, .env and settings.toml."""
    if env is not None:
        os.environ[names.ENV_SWITCHER] = env
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


for command in (
    show,
    check,
    ssm,
    export,
    exec_command,
    models,
    snapshot,
    iam_policy,
    local_ssm_command,
    demo,
):
    main.add_command(command)

__all__ = ["main"]
