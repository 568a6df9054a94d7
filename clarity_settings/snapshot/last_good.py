"""The last-known-good snapshot: what it holds, when it is written, and when it stands in for a source.

Opt-in with CLARITY_SNAPSHOT_PATH. After every load whose remote sources were all read and whose set
passed validation, the texts SSM (every prefix) and the mounted directory handed over are sealed
(sealed.py) under a key from keys.py and written over the file. At a first load where SSM (or the
mounted directory) cannot be read, the snapshot's texts for that source stand in for it, if the
snapshot is younger than CLARITY_SNAPSHOT_MAX_AGE, was written for the same environment and prefixes,
and decrypts; they then pass the contract exactly as the source's own texts would (the loader calls
inbound.set_admitted), and the set is stale until a refresh reads the source again. Any other
snapshot is refused with a message, and the load goes on as if there were none.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from dynaconf.loaders.base import SourceMetadata

from clarity_settings import data_values, names, remote
from clarity_settings.contract import inbound
from clarity_settings.errors import ConfigurationError, SnapshotError
from clarity_settings.metrics import recording
from clarity_settings.snapshot import keys, sealed
from clarity_settings.ssm import client, switch

log = logging.getLogger("clarity_settings")

Payload = dict[str, list[dict[str, Any]]]
"""Texts by source, each as _stored keeps it."""

DEFAULT_MAX_AGE_SECONDS: Final = 86_400.0
"""A day: long enough to ride out an outage, short enough that a rotated secret does not come back."""
CLOCK_SKEW_SECONDS: Final = 300.0
"""A snapshot written this far in the future (another machine's clock) is still taken."""
SKIP_VALIDATORS: Final = "DYNACONF_SKIP_VALIDATORS"


@dataclass(frozen=True)
class Target:
    """Where the snapshot of a set goes, under which key, for which environment and prefixes."""

    path: Path
    key_source: keys.KeySource
    max_age: float
    environment: str
    prefixes: tuple[str, ...]

    @property
    def context(self) -> dict[str, str]:
        """What the data key is bound to (KMS encryption context; the header repeats it)."""
        return keys.encryption_context(self.environment, self.prefixes)


def target_of(obj: Any, env: str | None = None) -> Target | None:
    """The snapshot the control settings ask for; None without CLARITY_SNAPSHOT_PATH, or in development.

    Development never fails closed, so it has no use for a snapshot, and there a .env may set control
    settings: it must not choose a file to be written over or values to stand in for real variables.
    """
    environment = str(env or obj.current_env).lower()
    path = switch.control_value(obj, names.SNAPSHOT_PATH)
    if not path or names.is_development(environment):
        return None
    return target_for(obj, Path(str(path)), environment)


def target_for(obj: Any, path: Path, environment: str) -> Target:
    """The snapshot at path as environment's settings would write or read it (key, age limit, prefixes)."""
    return Target(
        path=path,
        key_source=keys.key_source(obj),
        max_age=_max_age(switch.control_value(obj, names.SNAPSHOT_MAX_AGE)),
        environment=environment,
        prefixes=tuple(switch.prefixes_of(obj, environment)),
    )


def _max_age(value: object) -> float:
    if value is None or value == "":
        return DEFAULT_MAX_AGE_SECONDS
    try:
        seconds = float(str(value))
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigurationError(
            f"{names.control_variable(names.SNAPSHOT_MAX_AGE)} must be a number of seconds above 0"
        )
    return seconds


def after_load(obj: Any) -> None:
    """Write the snapshot of a set a settings object has just swapped in; a failure is said, never raised.

    Nothing is written unless SSM was read whole into this set: a set a snapshot stood in for, or one
    without SSM, would only make the snapshot look younger than its values.
    """
    found = remote.readings(obj)
    # NOTE: whether the set holds restored values is dynaconf's provenance of this set, not the readings,
    # which a refreshed copy inherits from the set a snapshot stood in for. A set loaded without its
    # validators (the command line's show and check) is never kept.
    if remote.SSM not in found or remote.from_snapshot(obj) or data_values.stored(obj, SKIP_VALIDATORS):
        return
    failures: tuple[type[Exception], ...] = (ConfigurationError, SnapshotError, OSError, *client.aws_errors())
    try:
        target = target_of(obj)
        if target is None:
            return
        _write(target, found)
    except failures as error:
        # NOTE: no traceback: AWS's own message, which a traceback carries, can quote a value.
        log.error("the snapshot was not written: %s", _reason(error))  # noqa: TRY400
        recording.snapshot_written(failed=True)
        return
    recording.snapshot_written(failed=False)


def _write(target: Target, found: remote.Readings) -> None:
    """Seal the remote sources' texts under a new key and write them over the snapshot."""
    payload = {
        source: [_stored(text) for text in found[source].texts]
        for source in remote.SOURCES
        if source in found
    }
    key, reference = target.key_source.new_key(target.context)
    header = sealed.Header(target.environment, target.prefixes, time.time(), reference)
    sealed.write_atomically(target.path, sealed.seal(header, json.dumps(payload).encode(), key))


def stand_in(obj: Any, source: str, env: str | None = None) -> list[inbound.Text] | None:
    """At a first load, the snapshot's texts for a source that cannot be read; None when none may stand in."""
    if not remote.readings(obj).first_load:
        return None
    target = target_of(obj, env)
    if target is None:
        return None
    try:
        header, payload = opened(target)
    except SnapshotError as error:
        log.error("the snapshot %s is refused: it %s; starting without it", target.path, error)  # noqa: TRY400
        recording.snapshot_restored(error.reason)
        return None
    age = max(0.0, time.time() - header.written_at)
    log.warning(
        "%s could not be read at start: using the snapshot %s written %.0f s ago, stale until a refresh "
        "reads it again",
        "SSM" if source == remote.SSM else "the mounted directory",
        target.path,
        age,
    )
    texts = [_restored(item, target.path, target.environment) for item in payload.get(source, [])]
    remote.record(obj, remote.SNAPSHOT, texts, at=header.written_at)
    recording.snapshot_restored()
    return texts


def in_use(obj: Any) -> dict[str, Any] | None:
    """For health_check: the snapshot a set's values came from and how old it is, None when none did."""
    if not remote.from_snapshot(obj):
        return None
    target = target_of(obj)
    return {
        "path": None if target is None else str(target.path),
        "age_seconds": round(remote.ages(obj)[remote.SNAPSHOT], 3),
    }


def opened(target: Target) -> tuple[sealed.Header, Payload]:
    """The snapshot's header and texts by source, if it may stand in for target's; else SnapshotError."""
    snapshot = read_sealed(target.path)
    problem = refusal(snapshot.header, target)
    if problem is not None:
        raise problem
    return snapshot.header, contents(snapshot, target.key_source)


def read_sealed(path: Path) -> sealed.Sealed:
    """The snapshot file parsed, or SnapshotError: missing, unreadable, not a snapshot."""
    try:
        return sealed.parse(sealed.read(path))
    except FileNotFoundError:
        raise SnapshotError("does not exist", reason="missing") from None
    except OSError as error:
        raise SnapshotError(f"cannot be read ({error.strerror})", reason="unreadable") from None


def refusal(header: sealed.Header, target: Target) -> SnapshotError | None:
    """Why a snapshot may not stand in for target's sources (another environment or prefix, too old)."""
    if (header.environment, header.prefixes) != (target.environment, target.prefixes):
        return SnapshotError(
            f"was written for {header.environment} {','.join(header.prefixes)}, not for "
            f"{target.environment} {','.join(target.prefixes)}",
            reason="foreign",
        )
    age = time.time() - header.written_at
    if age > target.max_age or age < -CLOCK_SKEW_SECONDS:
        return SnapshotError(
            f"is {age:.0f} s old; {names.control_variable(names.SNAPSHOT_MAX_AGE)} allows "
            f"{target.max_age:g} s",
            reason="too_old",
        )
    return None


def contents(snapshot: sealed.Sealed, key_source: keys.KeySource) -> Payload:
    """The texts by source, decrypted under the key the header names (KMS: for the header's context)."""
    header = snapshot.header
    key = key_source.key_for(header.key, keys.encryption_context(header.environment, header.prefixes))
    try:
        payload: Payload = json.loads(snapshot.open(key))
    except ValueError:
        raise SnapshotError("holds no readable set", reason="unreadable") from None
    return payload


def _stored(text: inbound.Text) -> dict[str, Any]:
    """A text as the snapshot keeps it: everything the contract reads, and where it came from."""
    return {
        "name": text.name,
        "text": text.text,
        "origin": text.origin,
        "source": [text.source.loader, text.source.identifier],
        "scope": text.scope,
        "items": text.items,
    }


def _restored(item: dict[str, Any], path: Path, env: str) -> inbound.Text:
    """A kept text back for the contract, its provenance the snapshot and the source it came from."""
    loader, identifier = item["source"]
    return inbound.Text(
        str(item["name"]),
        str(item["text"]),
        f"{item['origin']} (from the snapshot {path})",
        SourceMetadata(remote.SNAPSHOT, f"{loader} {identifier}", env),
        scope=str(item["scope"]),
        items=bool(item["items"]),
    )


def _reason(error: Exception) -> str:
    """Why a write failed, in words that hold no value (AWS's own message may quote one: its code only)."""
    if isinstance(error, OSError):
        return f"{error.filename}: {error.strerror}"
    if isinstance(error, client.aws_errors()):
        return f"KMS answered {client.error_code(error)}"
    return str(error)
