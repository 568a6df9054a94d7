"""`models sign/publish/verify`: PAT model files signed, published and verified under the key rules."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Final

import click
from rich.console import Console

from clarity_settings import integrity, names
from clarity_settings.cli.common import (
    ClarityGroup,
    active_prefix,
    env_option,
    format_option,
    model_settings,
    prefix_settings,
    print_json,
    print_table,
    say,
    ssm_client,
)
from clarity_settings.errors import ConfigurationError, ModelSetIntegrityError
from clarity_settings.secrets_manager import SecretsManager
from clarity_settings.ssm import read, write

PROGRESS_THRESHOLD: Final = 64 << 20


@click.group(cls=ClarityGroup)
def models() -> None:
    """Sign, publish and verify PAT model files."""


@models.command("sign")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--size",
    "sizes",
    multiple=True,
    required=True,
    type=click.Choice(list(names.MODEL_SIZES)),
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
    # NOTE: the target first, before any .env is read: a .env copies its variables into the process.
    target = prefix_settings()
    settings = model_settings(checksums=False)
    paths = integrity.model_paths(
        directory or Path(str(settings.get(names.MODEL_DIR, integrity.DEFAULT_MODEL_DIR)))
    )
    key = SecretsManager(settings=settings).get_model_signature_key()
    with hashing_progress(paths.values()) as advance:
        signed = integrity.expected_checksums(paths, key, on_progress=advance)
    if str(target.current_env) != str(settings.current_env):
        raise ConfigurationError(
            f"a .env chose the environment {settings.current_env}, but publishing goes where the real "
            f"environment says ({target.current_env}); pass --env to publish there"
        )
    name = read.parameter_for(active_prefix(target), names.CHECKSUMS)
    version = write.put(ssm_client(), name, json.dumps(signed), overwrite=True)
    say(f"published {name} (version {version}) for {', '.join(signed)}")


@models.command("verify")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@env_option
@format_option
def models_verify(directory: Path | None, output: str) -> None:
    """Verify the PAT files in DIRECTORY, naming the key (current or previous) that signed each."""
    settings = model_settings(checksums=True)
    paths = integrity.model_paths(
        directory or Path(str(settings.get(names.MODEL_DIR, integrity.DEFAULT_MODEL_DIR)))
    )
    manager = SecretsManager(settings=settings)
    with hashing_progress(paths.values()) as advance:
        try:
            results: Mapping[str, object] = integrity.verify_models(
                paths, manager=manager, on_progress=advance
            )
        except ModelSetIntegrityError as error:
            results = error.results
    rows = [
        {
            "size": size,
            "path": str(paths[size]),
            "status": "ok" if isinstance(r, integrity.VerifiedModel) else str(r),
            "key": r.signed_by if isinstance(r, integrity.VerifiedModel) else "",
        }
        for size, r in results.items()
    ]
    if output == "json":
        print_json(rows)
    else:
        print_table(["size", "path", "status", "key"], [list(row.values()) for row in rows])
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
