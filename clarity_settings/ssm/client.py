"""The AWS clients (SSM, and KMS for snapshots): the one place boto3 is imported, and where botocore
learns not to log values. Every client made here counts its requests when metrics are on.

botocore logs every request and response body at DEBUG, and SSM answers with decrypted values. The
redactor sits on botocore's body loggers for the whole process (every client: this package's, one
handed to SecretsManager, the application's own), costs nothing unless DEBUG is on, and keeps each
line while dropping its payload.
"""

from __future__ import annotations

import functools
import logging
import os
from typing import TYPE_CHECKING, Any, Final

from clarity_settings.contract.outbound import attach_once

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_ssm import SSMClient

DEFAULT_REGION: Final = "us-east-1"
CONNECT_TIMEOUT_SECONDS: Final = 3.0
READ_TIMEOUT_SECONDS: Final = 10.0

BODY_LOGGERS: Final = ("botocore.endpoint", "botocore.parsers", "botocore.awsrequest", "botocore.auth")
_VALUE_MARKERS: Final = ('"Value"', "'Value'", '"Plaintext"', "'Plaintext'")
"""SSM's parameter values, and KMS's plaintext data keys (GenerateDataKey, Decrypt): the snapshot's key."""
_SIGNING_MARKERS: Final = ("CanonicalRequest", "StringToSign", "String to sign", "Signature")
"""botocore.auth's lines carry the SHA-256 of the request body: of a PutParameter, a hash of the secret."""
REDACTED: Final = "<redacted by clarity-settings: the payload carried SSM parameter values>"


class SsmValueRedactor(logging.Filter):
    """Replace the payload of any botocore record that mentions a parameter Value or hashes a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; strip what it would have printed of the payload."""
        message = record.getMessage()
        signing = record.name == "botocore.auth" and str(record.msg).startswith(_SIGNING_MARKERS)
        if signing or any(marker in message for marker in _VALUE_MARKERS):
            heading = str(record.msg).split("%", 1)[0].rstrip(" :\n")
            record.msg = "%s: %s"
            record.args = (heading, REDACTED)
        return True


_REDACTOR: Final = SsmValueRedactor()


def install_redaction() -> None:
    """Attach the redactor to botocore's body loggers once per process."""
    attach_once(_REDACTOR, BODY_LOGGERS)


def aws_environment() -> tuple[tuple[str, str], ...]:
    """The AWS_* variables, which say where botocore finds its endpoint, region and credentials."""
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))


def ssm_client(region: str | None = None) -> SSMClient:
    """One client per process, region and AWS configuration: a fork or a changed endpoint gets a new one."""
    install_redaction()
    made: SSMClient = _client("ssm", os.getpid(), region, aws_environment())
    return made


def kms_client(region: str | None = None) -> KMSClient:
    """The KMS client for snapshot data keys, made and kept as ssm_client's (AWS_ENDPOINT_URL_KMS works)."""
    made: KMSClient = _client("kms", os.getpid(), region, aws_environment())
    return made


@functools.lru_cache(maxsize=8)
def _client(
    service: str,
    pid: int,  # noqa: ARG001 - part of the cache key
    region: str | None,
    aws_environment: tuple[tuple[str, str], ...],  # noqa: ARG001 - part of the cache key
) -> Any:
    import boto3
    from botocore.config import Config

    from clarity_settings.metrics.recording import count_requests

    session = boto3.session.Session()
    config = Config(connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS)
    made = session.client(  # type: ignore[call-overload]
        service, region_name=region or session.region_name or DEFAULT_REGION, config=config
    )
    count_requests(made, service)
    return made


def endpoint_client(url: str, *, access_key: str, secret_key: str) -> SSMClient:
    """An SSM client for one endpoint with the given credentials, whatever the environment says."""
    made: SSMClient = _endpoint("ssm", url, access_key, secret_key)
    return made


def endpoint_kms_client(url: str, *, access_key: str, secret_key: str) -> KMSClient:
    """A KMS client for one endpoint with the given credentials (local-ssm's moto serves KMS too)."""
    made: KMSClient = _endpoint("kms", url, access_key, secret_key)
    return made


def _endpoint(service: str, url: str, access_key: str, secret_key: str) -> Any:
    import boto3

    from clarity_settings.metrics.recording import count_requests

    install_redaction()
    made = boto3.client(
        service,  # type: ignore[call-overload]
        region_name=DEFAULT_REGION,
        endpoint_url=url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
    )
    count_requests(made, service)
    return made


def aws_errors() -> tuple[type[Exception], ...]:
    """What a failed SSM request raises: botocore's own errors and AWS's answers."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


def error_code(error: Exception) -> str:
    """AWS's error code (AccessDeniedException, ThrottlingException) or the botocore failure's class name."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(error).__name__
