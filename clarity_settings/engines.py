"""Manifests for the cluster engines that read SSM once for every pod: External Secrets and the CSI driver.

Both deliver the prefix's parameters as files in a volume, one file per parameter, named so that
CLARITY_SECRETS_DIR maps each file back to the setting the parameter maps to (``/`` below the
prefix becomes ``__``, which nests). The pod then reads no SSM at all (docs/FLEET.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

MOUNT_PATH: Final = "/var/run/secrets/clarity"
VOLUME: Final = "clarity-secrets"
SECRET_KEY: Final = re.compile(r"[-._a-zA-Z0-9]+")
"""What Kubernetes allows as a Secret key, and so as a file name in the volume."""


def file_name(relative: str) -> str:
    """The file a parameter becomes: its name below the prefix, levels joined by '__'."""
    return relative.strip("/").replace("/", "__")


def external_secret(
    *, prefixes: Sequence[str], name: str, store: str, store_kind: str, refresh_seconds: float
) -> dict[str, Any]:
    """An ExternalSecret syncing every parameter under the prefixes into the Secret name, on the TTL.

    find by path reads each prefix with GetParametersByPath (ceil(N/10) requests per refresh), in
    order, a later one winning key by key as the loader lets it; the rewrites drop the prefix and
    turn the remaining '/' into '__'.
    """
    return {
        "apiVersion": "external-secrets.io/v1beta1",
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
                    ],
                }
                for prefix in prefixes
            ],
        },
    }


def parameter_store(*, name: str, kind: str, region: str) -> dict[str, Any]:
    """The store the ExternalSecret names: AWS Parameter Store in region, through the operator's own role."""
    return {
        "apiVersion": "external-secrets.io/v1beta1",
        "kind": kind,
        "metadata": {"name": name},
        "spec": {"provider": {"aws": {"service": "ParameterStore", "region": region}}},
    }


def secret_provider_class(
    *, name: str, parameters: Iterable[tuple[str, str]], region: str, label: str | None = None
) -> dict[str, Any]:
    """A SecretProviderClass for the AWS provider listing each (prefix, relative name), aliased to its file.

    A later prefix's parameter replaces an earlier one's of the same file name, as the loader lets it;
    with label, each object asks for the version carrying it.
    """
    chosen = {file_name(relative): f"{prefix}/{relative}" for prefix, relative in parameters}
    objects = [
        {
            "objectName": full,
            "objectType": "ssmparameter",
            "objectAlias": alias,
            **({"objectVersionLabel": label} if label else {}),
        }
        for alias, full in sorted(chosen.items())
    ]
    return {
        "apiVersion": "secrets-store.csi.x-k8s.io/v1",
        "kind": "SecretProviderClass",
        "metadata": {"name": name},
        "spec": {"provider": "aws", "parameters": {"region": region, "objects": yaml_text(objects)}},
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


def yaml_text(value: object, indent: int = 0) -> str:
    """Block-style YAML for manifests: mappings and lists nested, every string JSON-quoted (valid YAML)."""
    return "\n".join(_lines(value, indent)) + "\n"


def _lines(value: object, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, Mapping):
        lines: list[str] = []
        for key, item in value.items():
            lines += _entry(f"{pad}{key}:", item, indent)
        return lines
    if isinstance(value, Sequence) and not isinstance(value, str):
        lines = []
        for item in value:
            nested = _lines(item, indent + 2)
            lines.append(f"{pad}- {nested[0].lstrip()}")
            lines += nested[1:]
        return lines
    return [f"{pad}{_scalar(value)}"]


def _entry(head: str, item: object, indent: int) -> list[str]:
    if isinstance(item, str) and "\n" in item:
        return [f"{head} |", *(f"{' ' * (indent + 2)}{line}" for line in item.rstrip("\n").split("\n"))]
    if isinstance(item, Mapping | list) and item:
        return [head, *_lines(item, indent + 2)]
    return [f"{head} {_scalar(item)}"]


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list):
        return "{}" if isinstance(value, Mapping) else "[]"
    return json.dumps(value, ensure_ascii=False)
