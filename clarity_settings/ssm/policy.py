"""The least-privilege IAM policies: the requests a service makes at run time, and those publishing adds."""

from __future__ import annotations

import re
from typing import Any, Final

from clarity_settings.errors import ConfigurationError
from clarity_settings.ssm.switch import checked_prefix

_ACCOUNT = re.compile(r"\*|[0-9]{12}")
_REGION = re.compile(r"\*|[a-z]{2}(-[a-z]+)+-[0-9]")
_KEY_ID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|mrk-[0-9a-fA-F]{32}")
_KEY_ARN = re.compile(r"arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/(" + _KEY_ID.pattern + ")")
DEFAULT_KEY: Final = "*"
READ_ACTIONS: Final = ("ssm:GetParameters", "ssm:GetParametersByPath")
PUBLISH_ACTIONS: Final = (
    "ssm:GetParameter",
    "ssm:PutParameter",
    "ssm:DeleteParameter",
    "ssm:LabelParameterVersion",
)
"""What the command line adds to reading: ssm get, put, push, delete, label."""


def read_policy(
    prefixes: list[str],
    *,
    partition: str = "aws",
    region: str = "*",
    account: str = "*",
    kms_key: str = DEFAULT_KEY,
    publish: bool = False,
) -> dict[str, Any]:
    """SSM reads (by path, and by name for fresh reads) under the prefix; kms:Decrypt only via SSM, for those.

    With publish, the writes of the command line too (and kms:Encrypt for SecureStrings): a policy for
    the people or pipelines that publish, never for the service. DescribeParameters is left out on
    purpose: AWS cannot limit it to a path, and nothing here needs it.
    """
    paths = [checked_prefix(prefix, "--prefix") for prefix in prefixes]
    if _ACCOUNT.fullmatch(account) is None:
        raise ConfigurationError("--account must be a 12-digit AWS account ID (or * for any)")
    if _REGION.fullmatch(region) is None:
        raise ConfigurationError("--region must be an AWS region such as eu-west-1 (or * for any)")
    arns = [f"arn:{partition}:ssm:{region}:{account}:parameter{path}" for path in paths]
    below = [f"{arn}/*" for arn in arns]
    conditions: dict[str, dict[str, str | list[str]]] = {
        "StringLike": {"kms:EncryptionContext:PARAMETER_ARN": below[0] if len(below) == 1 else below}
    }
    # NOTE: a wildcard only matches under StringLike; StringEquals with one would never match.
    operator = "StringLike" if region == "*" else "StringEquals"
    conditions.setdefault(operator, {})["kms:ViaService"] = f"ssm.{region}.amazonaws.com"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublishSettingsUnderPrefix" if publish else "ReadSettingsUnderPrefix",
                "Effect": "Allow",
                "Action": [*READ_ACTIONS, *(PUBLISH_ACTIONS if publish else ())],
                "Resource": [name for arn in arns for name in (arn, f"{arn}/*")],
            },
            {
                "Sid": "DecryptOnlyTheseParametersThroughSsm",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", *(["kms:Encrypt"] if publish else [])],
                "Resource": [key_arn(kms_key, partition=partition, region=region, account=account)],
                "Condition": conditions,
            },
        ],
    }


def key_arn(kms_key: str, *, partition: str, region: str, account: str) -> str:
    """A key ID or ARN as the ARN a policy names; * for any key of the account (SSM's default key too)."""
    if kms_key == DEFAULT_KEY:
        return f"arn:{partition}:kms:{region}:{account}:key/*"
    if _KEY_ARN.fullmatch(kms_key):
        return kms_key
    if _KEY_ID.fullmatch(kms_key) is None:
        raise ConfigurationError(
            "--kms-key must be a key ID or key ARN (an alias cannot limit kms:Decrypt): see "
            "'aws kms describe-key --key-id alias/NAME'"
        )
    if "*" in (region, account):
        raise ConfigurationError("--kms-key needs --region and --account, so the key's ARN is complete")
    return f"arn:{partition}:kms:{region}:{account}:key/{kms_key}"
