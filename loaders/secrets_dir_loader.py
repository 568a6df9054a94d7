"""Where a value comes from, mounted part: CLARITY_SECRETS_DIR, files as Kubernetes or CSI drivers mount them.

It sits between the environment and SSM: the files are SSM's values delivered by an engine that
talks to SSM for the whole cluster (External Secrets Operator, the Secrets Store CSI driver), so they
beat variables as SSM does, and SSM read directly, when also on, wins key by key. Values are data
under SSM's rules (clarity_settings.mounted); a refresh reads one generation of the directory.
"""

from __future__ import annotations

from typing import Any, Final

from clarity_settings import data_values, mounted, remote
from clarity_settings.contract import inbound
from clarity_settings.snapshot import last_good

IDENTIFIER: Final = mounted.IDENTIFIER


def load(
    obj: Any,
    env: str | None = None,
    silent: bool = True,  # noqa: ARG001 - a directory that is named must be readable
    key: str | None = None,
    filename: str | None = None,  # noqa: ARG001 - part of dynaconf's loader contract
    validate: bool = False,
) -> None:
    """Set every file's setting from one generation of the directory (only key's, when given)."""
    if key is not None and data_values.is_dynaconf_option(key):
        return
    root = mounted.directory_of(obj)
    if root is None:
        return
    # NOTE: a directory not mounted (yet) at a first load may have the snapshot stand in; else read()
    # says why it cannot be read.
    restored = None if root.is_dir() else last_good.stand_in(obj, remote.SECRETS_DIR, env)
    texts = mounted.read(root) if restored is None else restored
    inbound.set_admitted(obj, texts, key=key, validate=validate)
    if key is None and restored is None:
        remote.record(obj, remote.SECRETS_DIR, texts)
