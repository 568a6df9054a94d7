"""Where a value comes from, last resort for SSM: the encrypted last-known-good snapshot, at a cold start.

It runs right after the SSM loader and does nothing unless this is a settings object's first load,
SSM could not be read, and CLARITY_SNAPSHOT_PATH names a snapshot that may be used
(clarity_settings.snapshot.last_good). Then the snapshot's SSM texts take SSM's place, through the
same contract as SSM's own, and the set is stale until a refresh reads SSM.
"""

from __future__ import annotations

from typing import Any, Final

from clarity_settings import remote
from clarity_settings.contract import inbound
from clarity_settings.errors import SsmMappingError
from clarity_settings.snapshot import last_good
from clarity_settings.ssm import switch
from clarity_settings.ssm.health import Status

IDENTIFIER: Final = remote.SNAPSHOT


DENIED: Final = frozenset(
    {
        "AccessDeniedException",
        "AccessDenied",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
    }
)
"""SSM answered, and refused this process: a revoked role must stop a restart, not fall back on a snapshot."""


def load(
    obj: Any,
    env: str | None = None,
    silent: bool = True,  # noqa: ARG001 - a refused snapshot is said, and the load goes on without it
    key: str | None = None,
    filename: str | None = None,  # noqa: ARG001 - part of dynaconf's loader contract
    validate: bool = False,
) -> None:
    """Put the snapshot's SSM texts in SSM's place when SSM could not be read at a first load."""
    health = switch.context_of(obj).health
    if key is not None or health.status is not Status.UNHEALTHY or health.last_error_code in DENIED:
        return
    texts = last_good.stand_in(obj, remote.SSM, env)
    if texts is not None:
        inbound.set_admitted(obj, texts, key=None, validate=validate, error=SsmMappingError)
