"""The least-privilege IAM policy for exactly the requests this library makes at run time."""

from __future__ import annotations

from typing import Any

from clarity_settings import schema
from clarity_settings.errors import ConfigurationError


def read_policy(
    prefix: str, *, partition: str = "aws", region: str = "*", account: str = "*"
) -> dict[str, Any]:
    """GetParametersByPath on the prefix and below, and kms:Decrypt only when SSM asks on the caller's behalf.

    DescribeParameters is left out on purpose: AWS cannot limit it to a path, and nothing here needs it.
    """
    problem = schema.ssm_prefix_problem(prefix)
    if problem is not None:
        raise ConfigurationError(f"--prefix {problem}: use a path such as /clarity/production")
    path = prefix.rstrip("/")
    arn = f"arn:{partition}:ssm:{region}:{account}:parameter{path}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadSettingsUnderPrefix",
                "Effect": "Allow",
                "Action": ["ssm:GetParametersByPath"],
                "Resource": [arn, f"{arn}/*"],
            },
            {
                "Sid": "DecryptSecureStringsThroughSsm",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": [f"arn:{partition}:kms:{region}:{account}:key/*"],
                "Condition": {"StringLike": {"kms:ViaService": f"ssm.{region}.amazonaws.com"}},
            },
        ],
    }
