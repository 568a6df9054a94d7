"""Tools for a developer's machine and for operators: `local-ssm`, `demo` and `iam-policy`."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import click

from clarity_settings import file_formats
from clarity_settings.cli.common import active_prefix, console, env_option, prefix_settings, print_json, say
from clarity_settings.cli.ssm_commands import report_skipped
from clarity_settings.ssm import local, policy, switch, write


@click.command("iam-policy")
@click.option(
    "--prefix",
    "prefixes",
    multiple=True,
    help="An SSM path, as often as needed (default: every active prefix).",
)
@click.option("--partition", default="aws", show_default=True)
@click.option("--region", default="*", show_default=True)
@click.option(
    "--account", default="*", show_default=True, help="The 12-digit account that holds the parameters."
)
@click.option("--kms-key", default="*", show_default=True, help="ID or ARN of the key the SecureStrings use.")
@click.option(
    "--write",
    "publish",
    is_flag=True,
    help="The policy for publishing (ssm get/put/push/delete), not the service's.",
)
@env_option
def iam_policy(
    prefixes: tuple[str, ...], partition: str, region: str, account: str, kms_key: str, publish: bool
) -> None:
    """The least-privilege IAM policy for the requests a service makes (with --write, publishing too)."""
    paths = list(prefixes) or switch.prefixes_of(prefix_settings().instance)
    print_json(
        policy.read_policy(
            paths, partition=partition, region=region, account=account, kms_key=kms_key, publish=publish
        )
    )


@click.command("local-ssm")
@click.option(
    "--port",
    default=0,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port on 127.0.0.1 (0: a free one).",
)
@click.option(
    "--seed",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A .env, TOML or JSON file to put under the prefix.",
)
@env_option
def local_ssm_command(port: int, seed: Path | None) -> None:
    """An SSM endpoint on 127.0.0.1 (moto's server) until Ctrl-C, printing the variables that use it."""
    settings = prefix_settings()
    with local.running(port) as server:
        if seed is not None:
            found = file_formats.read_settings(seed, str(settings.current_env))
            report_skipped(seed, found.skipped, strict=False)
            prefix = active_prefix(settings)
            plan = write.plan(prefix, [], found.values)
            server.seed(prefix, {change.name: change.text for change in plan})
        for variable, value in server.environment().items():
            say(f"export {variable}={value}")
        say(f"# serving SSM at {server.url}; Ctrl-C stops it", err=True)
        sys.stdout.flush()
        try:
            _wait_forever()
        except KeyboardInterrupt:
            say("# stopped", err=True)


def _wait_forever() -> None:
    threading.Event().wait()


@click.command()
def demo() -> None:
    """The whole job on a local SSM: seed three environments, load, verify models, rotate the key."""
    from clarity_settings.cli.demo import run

    run(console())
