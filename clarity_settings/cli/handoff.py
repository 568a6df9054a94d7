"""`export` and `exec`: the resolved settings handed to another process, Docker or Kubernetes.

What export prints is written by contract.outbound: read back exactly by the program it is for, or
refused naming the variable or key.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from clarity_settings import data_values, engines, file_formats, names, provenance
from clarity_settings.cli.common import (
    env_option,
    hand_over,
    load_settings,
    prefix_settings,
    print_json,
    say,
    ssm_client,
)
from clarity_settings.contract import outbound
from clarity_settings.settings import ClaritySettings
from clarity_settings.ssm import read, switch
from clarity_settings.ssm.client import DEFAULT_REGION

EXPORT_FORMATS = click.Choice(
    ["dotenv", "json", "k8s-secret", "k8s-configmap", "external-secret", "csi-secret-provider"]
)
ENGINE_FORMATS = frozenset({"external-secret", "csi-secret-provider"})


@click.command("export")
@click.option("--format", "output", type=EXPORT_FORMATS, default="dotenv", show_default=True)
@click.option("--name", default=None, help="metadata.name for Kubernetes objects.")
@click.option("--store", default="clarity-ssm", show_default=True, help="external-secret: the store's name.")
@click.option(
    "--store-kind",
    type=click.Choice(["ClusterSecretStore", "SecretStore"]),
    default="ClusterSecretStore",
    show_default=True,
    help="external-secret: the store's kind.",
)
@click.option(
    "--parameter",
    "parameters",
    multiple=True,
    help="csi-secret-provider: a parameter below the prefix to mount (default: those SSM holds).",
)
@env_option
def export(output: str, name: str | None, store: str, store_kind: str, parameters: tuple[str, ...]) -> None:
    """The resolved settings (.env, JSON, the guide's Secret, ConfigMap), or a cluster engine's manifests."""
    if output in ENGINE_FORMATS:
        _export_engine(output, name or "clarity-secrets", store, store_kind, parameters)
        return
    settings = load_settings(validate=True)
    values = handed_on(settings)
    if output == "json":
        print_json(data_values.plain(values))
    elif output == "dotenv":
        hand_over(file_formats.dotenv_text(file_formats.variables_for(file_formats.leaves(values))))
    elif output == "k8s-secret":
        variables = file_formats.variables_for(file_formats.leaves(values))
        hand_over(kubernetes_object("Secret", name or "clarity-secrets", variables))
    else:
        hand_over(kubernetes_object("ConfigMap", name or "clarity-config", control_variables(settings)))


def _export_engine(output: str, name: str, store: str, store_kind: str, parameters: tuple[str, ...]) -> None:
    """The engine's objects, then the pod snippet as comments, so the stream applies as it is."""
    settings = prefix_settings()
    prefixes, region, label = (
        switch.prefixes_of(settings.instance),
        _region(),
        switch.label_of(settings.instance),
    )
    if output == "external-secret":
        if label is not None:
            say(
                "warning: an ExternalSecret's find reads the latest versions; CLARITY_SSM_LABEL does not "
                "reach it (the CSI provider's objectVersionLabel does)",
                err=True,
            )
        ttl = float(settings.ttl_seconds())
        objects = [
            engines.parameter_store(name=store, kind=store_kind, region=region),
            engines.external_secret(
                prefixes=prefixes, name=name, store=store, store_kind=store_kind, refresh_seconds=ttl
            ),
        ]
        volume = engines.secret_volume(name)
    else:
        last = prefixes[-1]
        listed = (
            [(last, [f"{last}/{relative.strip('/')}" for relative in parameters])]
            if parameters
            else _parameters_under(prefixes, label)
        )
        files = engines.mounted_files(listed)
        objects = [engines.secret_provider_class(name=name, files=files, region=region, label=label)]
        volume = engines.csi_volume(name)
    documents = "---\n".join(outbound.yaml_text(item) for item in objects)
    snippet = outbound.yaml_comment(outbound.yaml_text(engines.pod_snippet(volume)))
    hand_over(f"{documents}# the pod spec adds this volume, its mount and the two variables:\n{snippet}")


def _parameters_under(prefixes: list[str], label: str | None) -> list[tuple[str, list[str]]]:
    """What SSM holds under each prefix (names only, nothing decrypted), else the two required secrets.

    With a label, only the parameters carrying it: the CSI provider asks for name:label and fails the
    whole mount on one that has none, where the loader merely reads what carries it.
    """
    if switch.ssm_enabled(load_settings().instance):
        client = ssm_client()
        return [
            (prefix, [found.name for found in read.fetch(client, prefix, decrypt=False, label=label)])
            for prefix in prefixes
        ]
    say("SSM is off: listing the guide's two required secrets; add --parameter NAME for others", err=True)
    required = (names.SIGNATURE_KEY, names.CHECKSUMS)
    return [(prefixes[-1], [read.parameter_for(prefixes[-1], setting) for setting in required])]


def _region() -> str:
    return os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def handed_on(settings: ClaritySettings) -> dict[str, Any]:
    """What export and exec pass to another process: every application setting but the control ones."""
    return {
        key: value
        for key, value in provenance.application_settings(settings).items()
        if key not in names.CONTROL_SETTINGS
    }


def control_variables(settings: ClaritySettings) -> dict[str, str]:
    """The guide's ConfigMap: whether and where to read SSM (every prefix, the label, the TTL), the region.

    Pods given it read the very set this shell reads.
    """
    label = switch.label_of(settings.instance)
    return {
        names.ENV_SWITCHER: str(settings.current_env).lower(),
        names.control_variable(names.USE_SSM): "true",
        names.control_variable(names.SSM_PREFIX): ",".join(switch.prefixes_of(settings.instance)),
        **({names.control_variable(names.SSM_LABEL): label} if label else {}),
        names.control_variable(names.CACHE_TTL): f"{settings.ttl_seconds():g}",
        "AWS_DEFAULT_REGION": _region(),
    }


def kubernetes_object(kind: str, name: str, data: Mapping[str, str]) -> str:
    """A Secret (stringData) or ConfigMap (data) in YAML, each key checked against Kubernetes' rule."""
    field = "stringData" if kind == "Secret" else "data"
    document: dict[str, object] = {"apiVersion": "v1", "kind": kind, "metadata": {"name": name}}
    if kind == "Secret":
        document["type"] = "Opaque"
    document[field] = outbound.kubernetes_data(data, kind=kind)
    return outbound.yaml_text(document)


@click.command("exec", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@env_option
def exec_command(command: tuple[str, ...]) -> None:
    """Become COMMAND with the resolved settings in its environment: an entrypoint, signals reach it.

    Nothing runs after the command, so this process is replaced by it (execve): its exit status is
    the command's, and TERM, INT, HUP, QUIT and USR1/2 go straight to it. A missing command exits
    127 and one that cannot be run 126, as a shell does.
    """
    environment = {
        **os.environ,
        **file_formats.variables_for(file_formats.leaves(handed_on(load_settings(validate=True)))),
    }
    program = _program(command[0], environment.get("PATH", os.defpath))
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(program, list(command), environment)  # noqa: S606 - the user's own command, on purpose
    except OSError as error:
        raise _refusal(f"{command[0]}: {error.strerror}", 126) from None


def _program(name: str, search_path: str) -> str:
    """The file to run for name, found as a shell finds it; 127 when there is none, 126 when not runnable."""
    found = shutil.which(name, path=search_path)
    if found is not None:
        return found
    candidates = (
        [Path(name)] if "/" in name else [Path(part) / name for part in search_path.split(os.pathsep)]
    )
    if "/" in name and Path(name).is_dir():
        raise _refusal(f"{name}: is a directory", 126)
    if any(candidate.is_file() for candidate in candidates):
        raise _refusal(f"{name}: permission denied (not executable)", 126)
    raise _refusal(f"{name}: command not found", 127)


def _refusal(message: str, status: int) -> SystemExit:
    """Say why on stderr; the exit to raise carries the shell's status for it."""
    say(f"error: {message}", err=True)
    return SystemExit(status)
