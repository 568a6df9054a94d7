"""`clarity-settings demo`: the whole job on a local SSM, start to finish, in well under 30 seconds.

Seed three environments with generated keys and the signed checksums of three generated model
files, load each environment and show where every value came from, verify the models, rotate the
signature key and watch the new one arrive after the TTL. Secrets are never printed.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Final

from rich.console import Console
from rich.table import Table
from rich.text import Text

from clarity_settings import integrity, names, provenance
from clarity_settings.secrets_manager import SecretsManager
from clarity_settings.settings import create_settings
from clarity_settings.ssm import local, read, switch, write

ENVIRONMENTS: Final = ("development", "staging", "production")
DEMO_TTL_SECONDS: Final = 1.0
MiB: Final = 1 << 20


def run(console: Console) -> None:
    """Run every step, printing what a person needs to follow it."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="clarity-demo-") as scratch, local.running() as server:
        console.rule("[bold]clarity-settings demo")
        console.print(
            f"local SSM at {server.url} (moto's server); AWS_ENDPOINT_URL_SSM points the library at it"
        )
        os.environ.update(server.environment())
        os.environ.update({"CLARITY_USE_SSM": "true", "CLARITY_SECRETS_CACHE_TTL": str(DEMO_TTL_SECONDS)})
        models = write_models(Path(scratch))
        keys = {env: seed(server, env, models) for env in ENVIRONMENTS}
        for env in ENVIRONMENTS:
            show_environment(console, env)
        production = load("production")
        verify(console, production, models)
        rotate(console, server, production, models, keys["production"])
        verify(console, production, models)
    console.rule(f"done in {time.perf_counter() - started:.1f} s")


def write_models(directory: Path) -> dict[str, Path]:
    """Three small stand-ins for the PAT weight files, under their real names."""
    paths = integrity.model_paths(directory)
    for megabytes, path in enumerate(paths.values(), start=1):
        path.write_bytes(os.urandom(megabytes * MiB))
    return paths


def seed(server: local.LocalSsm, env: str, models: dict[str, Path]) -> str:
    """A fresh key and the models' signed checksums under /clarity/<env>; returns the key."""
    key = secrets.token_urlsafe(48)
    server.seed(
        switch.default_prefix(env),
        {
            "model_signature_key": key,
            "expected_model_checksums": json.dumps(integrity.expected_checksums(models, key)),
            "database/password": secrets.token_urlsafe(24),
        },
    )
    return key


def load(env: str) -> object:
    """A settings object for env, as a service started with ENV_FOR_DYNACONF=env would have."""
    os.environ[names.ENV_SWITCHER] = env
    settings = create_settings()
    settings.instance  # noqa: B018 - load now, inside this environment
    return settings


def show_environment(console: Console, env: str) -> None:
    """The show table and the health summary of one environment."""
    settings = load(env)
    table = Table("key", "value", "source", title=f"ENV_FOR_DYNACONF={env}", box=None, title_justify="left")
    for row in provenance.rows(settings):
        table.add_row(Text(row.key), Text(str(row.value)), Text(row.source))
    console.print(table)
    health = SecretsManager(settings=settings).health_check()
    console.print(
        f"health: ssm {health['ssm_status']}, security {health['security']}, "
        f"{health['cache_size']} values from {health['ssm_prefix']}\n"
    )


def verify(console: Console, settings: object, models: dict[str, Path]) -> None:
    """Verify the three model files against the production checksums."""
    results = integrity.verify_models(models, manager=SecretsManager(settings=settings))
    for size, model in results.items():
        console.print(
            f"verified {size:<6} {model.path.name}  sha256 {model.sha256[:12]}...  key {model.signed_by}"
        )


def rotate(
    console: Console, server: local.LocalSsm, settings: object, models: dict[str, Path], old_key: str
) -> None:
    """Publish a new key, keep the old one as previous, re-sign; the settings pick it up after the TTL."""
    new_key = secrets.token_urlsafe(48)
    client = server.client()
    prefix = switch.default_prefix("production")
    write.put(client, read.parameter_for(prefix, names.PREVIOUS_SIGNATURE_KEY), old_key, overwrite=True)
    write.put(client, read.parameter_for(prefix, names.SIGNATURE_KEY), new_key, overwrite=True)
    signed = json.dumps(integrity.expected_checksums(models, new_key))
    write.put(client, read.parameter_for(prefix, names.CHECKSUMS), signed, overwrite=True)
    console.print("\nrotated the production key in SSM (old key kept as model_signature_key_previous)")
    console.print(f"  right away:      MODEL_SIGNATURE_KEY from {_key_source(settings)}")
    time.sleep(DEMO_TTL_SECONDS * 1.2)
    console.print(f"  after the TTL:   MODEL_SIGNATURE_KEY from {_key_source(settings)}")


def _key_source(settings: object) -> str:
    return next(row.source for row in provenance.rows(settings) if row.key == names.SIGNATURE_KEY)
