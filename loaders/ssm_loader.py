"""Where a value comes from, SSM part: the dynaconf loader for the prefixes of Parameter Store.

Add ``"clarity_settings.loaders.ssm_loader"`` to ``LOADERS_FOR_DYNACONF`` (after the environment
loader) and every parameter under the prefixes becomes a setting, a later prefix winning key by key
over an earlier one; clarity_settings.ssm does the work.
"""

from __future__ import annotations

from typing import Any, Final

from clarity_settings import data_values, names, remote
from clarity_settings.contract import inbound
from clarity_settings.errors import SsmMappingError, SsmUnavailableError
from clarity_settings.ssm import client, health, read, switch

IDENTIFIER: Final = read.SOURCE


def load(
    obj: Any,
    env: str | None = None,
    silent: bool = True,
    key: str | None = None,
    filename: str | None = None,  # noqa: ARG001 - part of dynaconf's loader contract; SSM has no files
    validate: bool = False,
) -> None:
    """Read the active prefixes into obj; on an SSM failure warn once per outage and leave obj as it is."""
    if key is not None and data_values.is_dynaconf_option(key):
        # NOTE: inside fresh() dynaconf asks for its own options (YAML, DYNACONF_INCLUDE) too; SSM never
        # holds one (the names are refused), so those asks cost no request.
        return
    context = switch.context_of(obj)
    enabled, reason = switch.ssm_decision(obj)
    if not enabled:
        context.health.record_disabled(reason)
        return
    env_name = str(env or obj.current_env).lower()
    prefixes = switch.prefixes_of(obj, env_name)
    shown = ",".join(prefixes)
    ssm = context.reading_client()
    context.health.record_reading(reason, shown, ssm.meta.region_name)
    try:
        # NOTE: a cold load (nothing read yet) outside development waits out throttling, so a fleet
        # restarting against the quota starts instead of failing closed; development falls back to
        # its other layers at once, and a refresh leaves the waiting to the refresher's own backoff.
        cold = context.health.last_success_at is None and key is None
        patience = read.Patience() if cold and not names.is_development(env_name) else None
        read_by_prefix = [(prefix, _fetch(obj, ssm, prefix, key, patience)) for prefix in prefixes]
    except client.aws_errors() as error:
        code = client.error_code(error)
        context.health.record_failure(shown, code, development=names.is_development(env_name))
        if not silent:
            raise SsmUnavailableError(f"SSM parameters under {shown} could not be read ({code})") from None
        return
    count = sum(len(parameters) for _, parameters in read_by_prefix)
    context.health.record_success(shown, count if key is None else None)
    # NOTE: prefix by prefix, lowest first: each prefix is a scope of the contract, and set_layer lets a
    # later value win, leaf by leaf in a tree.
    texts = [
        read.text_of(prefix, parameter, env_name)
        for prefix, parameters in read_by_prefix
        for parameter in sorted(parameters, key=lambda item: item.name)
    ]
    _report_unencrypted(context.health, read_by_prefix)
    inbound.set_admitted(obj, texts, key=key, validate=validate, error=SsmMappingError)
    if key is None:
        remote.record(obj, remote.SSM, texts)


def _report_unencrypted(
    record: health.SsmHealth, read_by_prefix: list[tuple[str, list[read.Parameter]]]
) -> None:
    """A signing key stored as String or StringList is said out loud, once per parameter."""
    for prefix, parameters in read_by_prefix:
        for parameter in parameters:
            path = read.setting_path(prefix, parameter.name)
            if path in names.ENCRYPTED_ONLY and parameter.type != "SecureString":
                record.record_unencrypted(parameter.name, parameter.type, ".".join(path))


def _fetch(
    obj: Any, ssm: Any, prefix: str, key: str | None, patience: read.Patience | None
) -> list[read.Parameter]:
    """The whole prefix for a load; for a fresh read of one key, that key's own parameters only."""
    label = switch.label_of(obj)
    if key is None:
        return read.fetch(ssm, prefix, label=label, patience=patience)
    top = key.upper().split(".")[0]
    known = [
        source.identifier.rpartition(":")[0]
        for source, data in obj.loaded_by_loaders.items()
        if source.loader == IDENTIFIER and top in data
    ]
    return read.fetch_setting(ssm, prefix, top, known, label=label)
