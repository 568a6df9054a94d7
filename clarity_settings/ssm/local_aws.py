"""local-ssm's answers where moto's differ from AWS's, in SSM's own JSON protocol, in front of moto.

- GetParametersByPath with a Label filter answers, for each parameter, the version that carries the
  label, as AWS does; moto matches the latest version's labels only, so after ``ssm label stable``
  and a newer value a fleet pinned to ``stable`` would see the parameter vanish.
- PutParameter refuses what AWS refuses and moto would store, with AWS's error code: a name outside
  SSM's characters and shape, longer than AWS counts (1,011 characters with the ARN before it) or
  deeper than 15 levels, and a value over its tier's size (4,096 bytes Standard, 8,192 Advanced).

Every other request reaches moto as it came. README lists what still differs from AWS.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, NamedTuple

from clarity_settings.contract import inbound
from clarity_settings.ssm.client import DEFAULT_REGION

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

TARGET_PREFIX: Final = "AmazonSSM."
ARN_BEFORE_NAME: Final = "arn:aws:ssm:{region}:123456789012:parameter/"
"""What AWS counts toward a name's 1,011 characters (every account ID has 12 digits)."""
VALUE_BYTES: Final = {
    "Standard": 4096,
    "Advanced": inbound.MAX_VALUE_BYTES,
    "Intelligent-Tiering": inbound.MAX_VALUE_BYTES,  # AWS stores a value too large for Standard as Advanced
}
HISTORY_PAGE: Final = 50
VERSION_FIELDS: Final = ("Name", "Type", "Value", "Version", "LastModifiedDate", "DataType")
_SCOPE: Final = re.compile(r"Credential=[^/]*/[^/]*/([^/]+)/")

INVALID_NAME: Final = (
    'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it '
    "can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, "
    "numbers and the following 3 symbols .-_"
)
TOO_DEEP: Final = f"A hierarchy can have a maximum of {inbound.MAX_NAME_LEVELS} levels."
TOO_LARGE_FOR_STANDARD: Final = (
    "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger "
    "parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see "
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html"
)


class Refusal(NamedTuple):
    """An error as AWS answers it: its code (botocore's Error.Code) and message."""

    code: str
    message: str


class Answer(NamedTuple):
    """A whole HTTP answer: WSGI status line, headers, body."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes


def as_aws(app: WsgiApp) -> WsgiApp:
    """Wrap moto's application so that the requests above are answered as AWS answers them."""

    def answer(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        operation = str(environ.get("HTTP_X_AMZ_TARGET", "")).removeprefix(TARGET_PREFIX)
        if operation not in {"PutParameter", "GetParametersByPath"}:
            return app(environ, start_response)
        moto = Moto(app, environ)
        request = json.loads(moto.body or b"{}")
        if operation == "PutParameter":
            refused = put_refusal(request, region=region_of(environ), tier_of=moto.tier)
            result = None if refused is None else error(refused)
        else:
            result = labelled(moto, request)
        if result is None:
            return app(moto.environ_for(operation, moto.body), start_response)
        start_response(result.status, result.headers)
        return [result.body]

    return answer


def put_refusal(
    request: Mapping[str, Any], *, region: str, tier_of: Callable[[str], str | None]
) -> Refusal | None:
    """Why AWS refuses this PutParameter where moto would store it, or None."""
    name, value = str(request.get("Name", "")), str(request.get("Value", ""))
    counted = len(ARN_BEFORE_NAME.format(region=region)) + len(name.removeprefix("/"))
    if counted > inbound.MAX_NAME_CHARACTERS:
        return Refusal(
            "ValidationException",
            "1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have "
            f"length less than or equal to {inbound.MAX_NAME_CHARACTERS}, counting the parameter's ARN",
        )
    levels = name.split("/")
    shaped = len(levels) == 1 or (levels[0] == "" and all(levels[1:]))
    if inbound.NAME_PATTERN.fullmatch(name) is None or not shaped:
        return Refusal("ValidationException", INVALID_NAME)
    if len(levels) - 1 > inbound.MAX_NAME_LEVELS:
        return Refusal("HierarchyLevelLimitExceededException", TOO_DEEP)
    # NOTE: measured in UTF-8 bytes, AWS's documented 4 KB and 8 KB; a lone surrogate counts as 3 bytes.
    size = len(value.encode("utf-8", "surrogatepass"))
    if size <= VALUE_BYTES["Standard"]:
        return None
    tier = request.get("Tier") or tier_of(name) or "Standard"
    if size <= VALUE_BYTES.get(tier, VALUE_BYTES["Standard"]):
        return None
    if tier == "Standard":
        return Refusal("ValidationException", TOO_LARGE_FOR_STANDARD)
    return Refusal(
        "ValidationException",
        "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have "
        f"length less than or equal to {VALUE_BYTES['Advanced']}",
    )


def labelled(moto: Moto, request: Mapping[str, Any]) -> Answer | None:
    """One page of GetParametersByPath with a Label filter: each parameter's version carrying a label.

    moto lists the page without the label filter; each listed parameter's history says which version,
    if any, carries it. A page may so hold fewer parameters than MaxResults, as AWS's filtered pages do.
    None when the request filters on no label: moto answers it as AWS would.
    """
    filters = request.get("ParameterFilters") or []
    labels = {label for found in filters if found.get("Key") == "Label" for label in found.get("Values", [])}
    if not labels:
        return None
    others = [found for found in filters if found.get("Key") != "Label"]
    listed = moto.call("GetParametersByPath", {**request, "ParameterFilters": others})
    if not listed.status.startswith("200"):
        return listed
    page = json.loads(listed.body)
    decrypt = bool(request.get("WithDecryption", False))
    chosen = [
        {**{field: version[field] for field in VERSION_FIELDS if field in version}, "ARN": parameter["ARN"]}
        for parameter in page["Parameters"]
        for version in moto.history(parameter["Name"], decrypt=decrypt)
        if labels & set(version.get("Labels", []))
    ]
    return json_answer({**page, "Parameters": chosen})


def region_of(environ: Mapping[str, Any]) -> str:
    """The region the request was signed for (moto keeps one store per region)."""
    found = _SCOPE.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    return found.group(1) if found else DEFAULT_REGION


def error(refusal: Refusal) -> Answer:
    """AWS's JSON error answer, which botocore turns into a ClientError with refusal's code."""
    return json_answer({"__type": refusal.code, "message": refusal.message}, status="400 Bad Request")


def json_answer(payload: object, *, status: str = "200 OK") -> Answer:
    """An answer in SSM's JSON protocol."""
    body = json.dumps(payload).encode()
    headers = [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body)))]
    return Answer(status, headers, body)


class Moto:
    """Requests of local-ssm's own to moto, signed as the caller's (moto picks the store by its scope)."""

    def __init__(self, app: WsgiApp, environ: dict[str, Any]) -> None:
        self.app = app
        self.environ = environ
        # NOTE: the body can be read once; every request to moto, the caller's included, gets a copy.
        self.body: bytes = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))

    def environ_for(self, operation: str, body: bytes) -> dict[str, Any]:
        """The caller's request, as another operation with another body."""
        return {
            **self.environ,
            "HTTP_X_AMZ_TARGET": TARGET_PREFIX + operation,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }

    def call(self, operation: str, request: Mapping[str, Any]) -> Answer:
        """moto's whole answer to one request."""
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], _exc_info: Any = None) -> Any:
            started.extend((status, headers))
            return lambda _data: None

        chunks = self.app(self.environ_for(operation, json.dumps(request).encode()), start_response)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return Answer(started[0], started[1], body)

    def history(self, name: str, *, decrypt: bool) -> list[dict[str, Any]]:
        """Every version moto keeps of one parameter, oldest first, with its labels."""
        versions: list[dict[str, Any]] = []
        request: dict[str, Any] = {"Name": name, "WithDecryption": decrypt, "MaxResults": HISTORY_PAGE}
        while True:
            page = json.loads(self.call("GetParameterHistory", request).body)
            versions += page.get("Parameters", [])
            if not page.get("NextToken"):
                return versions
            request["NextToken"] = page["NextToken"]

    def tier(self, name: str) -> str | None:
        """The tier of the parameter as stored now, or None when there is none (AWS keeps it on overwrite)."""
        only = [{"Key": "Name", "Option": "Equals", "Values": [name]}]
        found = json.loads(self.call("DescribeParameters", {"ParameterFilters": only}).body)
        return next((parameter.get("Tier") for parameter in found.get("Parameters", [])), None)
