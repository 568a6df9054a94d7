"""The schemas a cluster applies: the engines' vendored CRDs (tests/data/schemas) and Kubernetes' own.

A manifest passes when the API server would accept it under strict field validation (kubectl's
default): every field known to the schema of a served version, every value of its type, enum and
pattern.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Final

import jsonschema
import kubernetes_validate
import yaml

SCHEMAS: Final = Path(__file__).resolve().parent / "data" / "schemas"
KUBERNETES_VERSIONS: Final = ("1.35", "1.36", "1.37")
"""The Kubernetes minors the project maintains as kubernetes-validate 1.37 ships them."""


def errors(document: dict[str, Any], kubernetes: str) -> list[str]:
    """Why a cluster of that Kubernetes version would refuse document, if it would: one line per field."""
    custom = served_schemas().get((document["apiVersion"], document["kind"]))
    if custom is not None:
        return sorted(_line(error) for error in jsonschema.Draft4Validator(custom).iter_errors(document))
    try:
        kubernetes_validate.validate(document, kubernetes, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [_line(error)]
    except kubernetes_validate.SchemaNotFoundError as error:
        return [error.message]
    return []


def pod_with(snippet: dict[str, Any]) -> dict[str, Any]:
    """The smallest Pod a snippet's volumes and container fields can be added to, with them added."""
    (container,) = snippet["containers"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "app"},
        "spec": {
            "volumes": snippet["volumes"],
            "containers": [{"name": "app", "image": "app", **container}],
        },
    }


@functools.cache
def served_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> strict openAPIV3Schema, for each version a vendored CRD serves."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(SCHEMAS.glob("*/*.yaml")):
        # NOTE: libyaml reads the 700 KB store CRDs in a fraction of PyYAML's pure-Python time.
        spec = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)["spec"]
        for version in spec["versions"]:
            if version["served"]:
                api = f"{spec['group']}/{version['name']}"
                found[api, spec["names"]["kind"]] = _strict(version["schema"]["openAPIV3Schema"])
    return found


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with unknown fields refused wherever it lists fields and does not keep unknown ones."""
    strict = dict(schema)
    if "properties" in schema:
        strict["properties"] = {name: _strict(field) for name, field in schema["properties"].items()}
        if not schema.get("x-kubernetes-preserve-unknown-fields"):
            strict.setdefault("additionalProperties", False)
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            strict[key] = _strict(schema[key])
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            strict[key] = [_strict(branch) for branch in schema[key]]
    return strict


def _line(error: jsonschema.ValidationError) -> str:
    """Where in the document and what: 'spec.target.name: ... does not match ...'."""
    return f"{'.'.join(str(step) for step in error.absolute_path) or '(top)'}: {error.message}"
