"""Where a value comes from, finishing step: EXPECTED_MODEL_CHECKSUMS is decoded whichever layer gave it.

It runs last, sees the winning value, and sets the decoded form under the same source, so
provenance still names the SSM parameter, variable or file the text came from.
"""

from __future__ import annotations

from typing import Any

from dynaconf.loaders.base import SourceMetadata

from clarity_settings import data_values, provenance
from clarity_settings.names import CHECKSUMS


def load(
    obj: Any,
    env: str | None = None,  # noqa: ARG001 - decoding is the same in every environment
    silent: bool = True,  # noqa: ARG001 - undecodable text is left for the validator to report
    key: str | None = None,
    filename: str | None = None,  # noqa: ARG001 - part of dynaconf's loader contract
    validate: bool = False,
) -> None:
    """Replace EXPECTED_MODEL_CHECKSUMS text with its mapping, digests in lower case."""
    if key is not None and key.upper() != CHECKSUMS:
        return
    current = obj.store.get(CHECKSUMS)
    if current is None:
        return
    decoded = data_values.decode_checksums(current)
    if decoded != current:
        source = provenance.last_source(obj, CHECKSUMS) or SourceMetadata("json", "decoded")
        data_values.refuse_merge_markers(decoded, CHECKSUMS)
        # NOTE: the decoded JSON is data whichever layer gave the text: dynaconf must not evaluate it.
        data_values.set_layer(obj, [((CHECKSUMS,), decoded, source)], validate=validate)
