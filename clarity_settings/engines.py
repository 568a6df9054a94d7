"""Manifests for the cluster engines that read SSM once for every pod: External Secrets and the CSI driver.

Both deliver the prefix's parameters as files in a volume, one file per setting, named by the setting
the parameter maps to (its levels in lower case joined by ``__``, so ``DB-Password`` and
``db_password`` are both ``db_password``), which CLARITY_SECRETS_DIR maps back to that setting. A
later prefix's parameter replaces an earlier one's file, as the SSM loader lets it; the pod then
reads no SSM at all (docs/FLEET.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from clarity_settings.contract import outbound
from clarity_settings.ssm import read

EXTERNAL_SECRETS_API: Final = "external-secrets.io/v1"
"""The External Secrets Operator's API (served since v0.16; v1beta1 is no longer served from v0.17)."""
CSI_API: Final = "secrets-store.csi.x-k8s.io/v1"
MOUNT_PATH: Final = "/var/run/secrets/clarity"
VOLUME: Final = "clarity-secrets"
FILE_NAME_TEMPLATE: Final = '{{ .value | lower | replace "-" "_" | replace "." "_" }}'
"""External Secrets' key transform (a Go template) that finishes file_name for a key with '/' as '__'."""


def file_name(levels: Sequence[str]) -> str:
    """The file a setting is mounted as: its levels in lower case, joined by '__'."""
    return "__".join(level.lower() for level in levels)


def mounted_files(listed: Iterable[tuple[str, Iterable[str]]]) -> dict[str, str]:
    """Each (prefix, parameter names) as file name -> parameter, mapped and refused as the SSM loader does.

    Two spellings of one setting under one prefix, or a reserved name, are refused naming the
    parameters; a later prefix's parameter replaces an earlier one's, as the loader lets it.
    """
    files: dict[str, str] = {}
    for prefix, names in listed:
        # NOTE: only names are judged here: nothing is read or decrypted.
        parameters = [read.Parameter(name=name, type="String", value=None, version=0) for name in names]
        for entry in read.map_parameters(prefix, parameters):
            alias = outbound.kubernetes_key(file_name(entry.path), what="file name in the CSI volume")
            files[alias] = entry.parameter.name
    return files


def external_secret(
    *, prefixes: Sequence[str], name: str, store: str, store_kind: str, refresh_seconds: float
) -> dict[str, Any]:
    """An ExternalSecret syncing every parameter under the prefixes into the Secret name, on the TTL.

    find by path reads each prefix with GetParametersByPath (ceil(N/10) requests per refresh), in
    order, a later one winning key by key as the loader lets it; the rewrites drop the prefix, turn
    the remaining '/' into '__', and give the key file_name's spelling, so that the spellings of one
    setting under two prefixes meet in one key.
    """
    return {
        "apiVersion": EXTERNAL_SECRETS_API,
        "kind": "ExternalSecret",
        "metadata": {"name": name},
        "spec": {
            "refreshInterval": f"{max(1, round(refresh_seconds))}s",
            "secretStoreRef": {"kind": store_kind, "name": store},
            "target": {"name": name, "creationPolicy": "Owner"},
            "dataFrom": [
                {
                    "find": {"path": prefix, "name": {"regexp": ".*"}},
                    "rewrite": [
                        {"regexp": {"source": f"^{re.escape(prefix)}/", "target": ""}},
                        {"regexp": {"source": "/", "target": "__"}},
                        {"transform": {"template": FILE_NAME_TEMPLATE}},
                    ],
                }
                for prefix in prefixes
            ],
        },
    }


def parameter_store(*, name: str, kind: str, region: str) -> dict[str, Any]:
    """The store the ExternalSecret names: AWS Parameter Store in region, through the operator's own role."""
    return {
        "apiVersion": EXTERNAL_SECRETS_API,
        "kind": kind,
        "metadata": {"name": name},
        "spec": {"provider": {"aws": {"service": "ParameterStore", "region": region}}},
    }


def secret_provider_class(
    *, name: str, files: Mapping[str, str], region: str, label: str | None = None
) -> dict[str, Any]:
    """A SecretProviderClass for the AWS provider mounting each parameter of files as its file name.

    With label, each object asks for the version carrying it.
    """
    objects = [
        {
            "objectName": full,
            "objectType": "ssmparameter",
            "objectAlias": alias,
            **({"objectVersionLabel": label} if label else {}),
        }
        for alias, full in sorted(files.items())
    ]
    return {
        "apiVersion": CSI_API,
        "kind": "SecretProviderClass",
        "metadata": {"name": name},
        "spec": {"provider": "aws", "parameters": {"region": region, "objects": outbound.yaml_text(objects)}},
    }


def secret_volume(secret: str) -> dict[str, Any]:
    """The pod volume for the Secret an ExternalSecret keeps in sync."""
    return {"name": VOLUME, "secret": {"secretName": secret}}


def csi_volume(provider_class: str) -> dict[str, Any]:
    """The pod volume the CSI driver mounts for a SecretProviderClass."""
    return {
        "name": VOLUME,
        "csi": {
            "driver": "secrets-store.csi.k8s.io",
            "readOnly": True,
            "volumeAttributes": {"secretProviderClass": provider_class},
        },
    }


def pod_snippet(volume: Mapping[str, Any]) -> dict[str, Any]:
    """What a pod spec adds: the volume, its read-only mount, the variables pointing the library at it."""
    return {
        "volumes": [volume],
        "containers": [
            {
                "volumeMounts": [{"name": VOLUME, "mountPath": MOUNT_PATH, "readOnly": True}],
                "env": [
                    {"name": "CLARITY_SECRETS_DIR", "value": MOUNT_PATH},
                    {"name": "CLARITY_USE_SSM", "value": "false"},
                ],
            }
        ],
    }
