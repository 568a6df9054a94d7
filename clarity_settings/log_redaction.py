"""No secret leaves through logs: botocore's DEBUG lines that carry SSM parameter values are redacted.

botocore logs every request and response body at DEBUG, and SSM answers with decrypted values.
The filter sits on the botocore loggers that print bodies, costs nothing unless DEBUG is on, and
keeps the line (so a debugging session still sees the call) while dropping its payload.
"""

from __future__ import annotations

import logging
from typing import Final

BODY_LOGGERS: Final = ("botocore.endpoint", "botocore.parsers", "botocore.awsrequest")
_VALUE_MARKERS: Final = ('"Value"', "'Value'")
REDACTED: Final = "<redacted by clarity-settings: the payload carried SSM parameter values>"


class SsmValueRedactor(logging.Filter):
    """Replace the payload of any botocore record that mentions a parameter Value."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; strip what it would have printed of the payload."""
        message = record.getMessage()
        if any(marker in message for marker in _VALUE_MARKERS):
            heading = str(record.msg).split("%", 1)[0].rstrip(" :\n")
            record.msg = "%s: %s"
            record.args = (heading, REDACTED)
        return True


_REDACTOR: Final = SsmValueRedactor()


def install() -> None:
    """Attach the redactor to botocore's body loggers once per process."""
    for name in BODY_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)
