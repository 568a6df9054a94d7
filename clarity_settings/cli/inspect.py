"""`show` and `check`: what this process would get and from where, and whether it is acceptable and healthy.

run_check is shared with the Django example's `check_secrets` command.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from typing import Any, Final

import click

from clarity_settings import environments, names, provenance
from clarity_settings.cli.common import (
    env_option,
    format_option,
    load_settings,
    print_json,
    print_table,
    say,
    warn_reveal,
)
from clarity_settings.errors import (
    ClaritySettingsError,
    ConfigurationError,
    ModelIntegrityError,
    ModelSetIntegrityError,
)
from clarity_settings.secrets_manager import SecretsManager
from clarity_settings.ssm.health import Status

EXIT_HEALTHY: Final = 0
EXIT_INVALID: Final = 1
EXIT_SSM: Final = 2


@dataclass(frozen=True)
class CheckReport:
    """Every failing rule, and the health report (with a live SSM probe when SSM is on)."""

    problems: list[str]
    health: dict[str, Any]

    @property
    def degraded(self) -> bool:
        """SSM is on but unreachable, failing, or refusing the probe."""
        return bool(self.health["use_ssm"]) and (
            self.health["ssm_status"] != Status.HEALTHY or self.health.get("ssm_probe") != "ok"
        )

    @property
    def exit_code(self) -> int:
        """2 SSM unreachable or degraded (the likely cause of the rest), 1 a validation failure, 0 healthy."""
        if self.degraded:
            return EXIT_SSM
        return EXIT_INVALID if self.problems else EXIT_HEALTHY

    @property
    def empty_prefix(self) -> bool:
        """SSM was read outside development and held nothing: most likely the wrong prefix or region."""
        health = self.health
        return (
            bool(health["use_ssm"])
            and health["ssm_parameters"] == 0
            and not names.is_development(health["environment"])
        )

    def lines(self) -> list[str]:
        """One line per failing rule, one for a degraded SSM or an empty prefix, or one saying all is well."""
        health = self.health
        where = f"{health['ssm_prefix']} in {health['ssm_region'] or 'no region'}"
        lines = (
            [f"ssm: {where} is {health['ssm_status']} (probe: {health['ssm_probe']})"]
            if self.degraded
            else []
        )
        lines += [f"invalid: {problem}" for problem in self.problems]
        if self.empty_prefix:
            lines.append(
                f"warning: {where} holds no parameters; check the prefix (CLARITY_SSM_PREFIX) and the "
                "region (AWS_DEFAULT_REGION)"
            )
        if not self.problems and not self.degraded:
            lines.append(
                f"ok: {health['environment']}, {_ssm_summary(health)}, security {health['security']}"
            )
        return lines


def _ssm_summary(health: dict[str, Any]) -> str:
    if not health["use_ssm"]:
        return f"ssm disabled ({health['ssm_reason'] or 'not read'})"
    where = f"{health['ssm_prefix']} in {health['ssm_region'] or 'no region'}"
    return f"ssm {health['ssm_status']} ({where}, {health['ssm_parameters']} parameter(s))"


def run_check(settings: Any) -> CheckReport:
    """Run every validator (collecting all failures), the model files' check and a probing health check."""
    problems = [str(error) for error in settings.validators.validate_all(raise_error=False)]
    if not problems:
        problems = model_problems(settings)
    return CheckReport(problems, SecretsManager(settings=settings).health_check(probe=True))


def model_problems(settings: Any) -> list[str]:
    """Each model file in MODEL_DIR (./models by default) that does not verify: what `models verify` says.

    A rotated key that no longer verifies the published checksums then fails `check` as it fails
    every model load; without model files there, nothing is hashed.
    """
    from clarity_settings import integrity  # hashing is imported only when model files are checked

    directory = settings.get(names.MODEL_DIR, integrity.DEFAULT_MODEL_DIR)
    paths = {size: path for size, path in integrity.model_paths(str(directory)).items() if path.exists()}
    if not paths:
        return []
    try:
        integrity.verify_models(paths, manager=SecretsManager(settings=settings))
    except ModelSetIntegrityError as error:
        return [str(result) for result in error.results.values() if isinstance(result, ModelIntegrityError)]
    return []


@click.command()
@click.argument("keys", nargs=-1)
@click.option("--reveal", is_flag=True, help="Print secret values instead of their type and length.")
@env_option
@format_option
def show(keys: tuple[str, ...], reveal: bool, output: str) -> None:
    """The resolved settings: value (redacted), source and staleness, one row per key."""
    settings = load_settings()
    rows = provenance.rows(settings, reveal=reveal)
    if keys:
        rows = _wanted_rows(settings, rows, keys, reveal=reveal)
    if reveal:
        warn_reveal()
    if output == "json":
        print_json([row.__dict__ for row in rows])
        return
    print_table(
        ["key", "value", "source", "stale"],
        [(r.key, _cell(r.value, reveal=reveal), r.source, "stale" if r.stale else "") for r in rows],
        revealed=1 if reveal else None,
    )
    for line in provenance.overridden(settings):
        say(f"overridden: {line}")
    for path in provenance.files_used(settings):
        say(f"file read: {path}")


def _cell(value: object, *, reveal: bool) -> str:
    """A revealed value as JSON, so 8080 and "8080" look different; anything else as it is."""
    return json.dumps(value, ensure_ascii=False, default=str) if reveal else str(value)


def _wanted_rows(
    settings: Any, rows: list[provenance.Row], keys: tuple[str, ...], *, reveal: bool
) -> list[provenance.Row]:
    """The rows asked for: top-level keys, or nested ones as database.password or database/password."""
    by_key = {row.key: row for row in rows}
    found: dict[str, provenance.Row | None] = {}
    for key in keys:
        levels = tuple(level.upper() for level in key.replace("/", ".").split("."))
        dotted = ".".join(levels)
        found[key] = (
            by_key.get(dotted) if len(levels) == 1 else provenance.nested_row(settings, levels, reveal=reveal)
        )
    missing = [key for key, row in found.items() if row is None]
    if missing:
        raise ConfigurationError(f"no setting named {', '.join(missing)}; clarity-settings show lists them")
    return [row for row in found.values() if row is not None]


@click.command()
@click.option(
    "--all-envs",
    is_flag=True,
    help="Check every environment of the settings files; fail if any breaks a rule or two share a key.",
)
@env_option
@format_option
def check(output: str, all_envs: bool) -> None:
    """Validators and health: exit 2 SSM unreachable or degraded, 1 a validation failure, 0 healthy."""
    if all_envs:
        _check_environments(output)
        return
    report = run_check(load_settings())
    if output == "json":
        print_json({"valid": not report.problems, "problems": report.problems, "health": report.health})
    else:
        for line in report.lines():
            say(line)
    sys.exit(report.exit_code)


def _check_environments(output: str) -> None:
    """Each environment's own check, then keys shared between environments: exit as the worst one does.

    Exit 2 when SSM is unreachable for an environment, 1 when any environment breaks a rule or two
    share a MODEL_SIGNATURE_KEY or MODEL_SIGNATURE_KEY_PREVIOUS, else 0.
    """
    current = load_settings()
    listed = environments.environments_of(provenance.files_used(current), str(current.current_env))
    keys: dict[tuple[str, str], str] = {}
    reports: dict[str, CheckReport | str] = {}
    chosen = os.environ.get(names.ENV_SWITCHER)
    try:
        for env in listed:
            os.environ[names.ENV_SWITCHER] = env
            reports[env] = _environment_report(env, keys)
    finally:
        os.environ.pop(names.ENV_SWITCHER, None)
        if chosen is not None:
            os.environ[names.ENV_SWITCHER] = chosen
    shared = environments.shared_keys(keys)
    broken = {env: _broken_lines(report) for env, report in reports.items() if _broken_lines(report)}
    if output == "json":
        print_json({"environments": listed, "broken": broken, "shared": [str(pair) for pair in shared]})
    else:
        for env, lines in broken.items():
            for line in lines:
                say(f"{env}: {line}")
        for pair in shared:
            say(f"shared: {pair}")
        if not shared and not broken:
            say(f"ok: every environment passes its checks and has its own keys ({', '.join(listed)})")
    degraded = any(isinstance(report, CheckReport) and report.degraded for report in reports.values())
    sys.exit(EXIT_SSM if degraded else EXIT_INVALID if shared or broken else EXIT_HEALTHY)


def _environment_report(env: str, keys: dict[tuple[str, str], str]) -> CheckReport | str:
    """One environment's check (its signature keys kept for the comparison), or why it did not load."""
    try:
        settings = load_settings()
    except ClaritySettingsError as error:
        return str(error)
    for name in environments.KEY_SETTINGS:
        key = settings.get(name)
        if isinstance(key, str):
            keys[(env, name)] = key
    return run_check(settings)


def _broken_lines(report: CheckReport | str) -> list[str]:
    """What is wrong with one environment, as check says it; nothing when it is healthy."""
    if isinstance(report, str):
        return [f"invalid: {report}"]
    return report.lines() if report.exit_code != EXIT_HEALTHY else []
