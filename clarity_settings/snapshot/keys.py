"""Where a snapshot's key comes from: a KMS data key per write (envelope encryption), or a platform variable.

With CLARITY_SNAPSHOT_KMS_KEY_ID each write asks KMS for a new data key (GenerateDataKey) under the
named key, with the environment and prefixes as encryption context, and keeps only the encrypted
data key in the file; opening asks KMS to decrypt it, which it does only for the same context. Where
there is no KMS, CLARITY_SNAPSHOT_KEY holds the key itself (base64 of 32 bytes), as a platform
injects a secret; the file names it by a fingerprint, never by the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Final, Protocol

from clarity_settings import names
from clarity_settings.errors import ConfigurationError, SnapshotError
from clarity_settings.snapshot.sealed import KEY_BYTES
from clarity_settings.ssm import client, switch

KMS: Final = "kms"
VARIABLE: Final = "variable"
_CONTEXT_PREFIX: Final = "clarity-settings:"


class KeySource(Protocol):
    """Makes the key for a new snapshot and finds the key of an existing one."""

    def new_key(self, context: dict[str, str]) -> tuple[bytes, dict[str, str]]:
        """A key for one write, and what the header keeps to find it again."""

    def key_for(self, reference: dict[str, str], context: dict[str, str]) -> bytes:
        """The key a header refers to, or SnapshotError."""


def encryption_context(environment: str, prefixes: tuple[str, ...]) -> dict[str, str]:
    """What a data key is bound to: KMS decrypts it only for the same environment and prefixes."""
    return {f"{_CONTEXT_PREFIX}environment": environment, f"{_CONTEXT_PREFIX}prefixes": ",".join(prefixes)}


@dataclass(frozen=True)
class KmsKey:
    """Envelope encryption under a KMS key the user names (its id, ARN or alias)."""

    key_id: str
    region: str | None = None

    def new_key(self, context: dict[str, str]) -> tuple[bytes, dict[str, str]]:
        """A new data key from GenerateDataKey: the plaintext to seal with, the encrypted copy to keep."""
        answer = client.kms_client(self.region).generate_data_key(
            KeyId=self.key_id, KeySpec="AES_256", EncryptionContext=context
        )
        encrypted = base64.b64encode(answer["CiphertextBlob"]).decode()
        return answer["Plaintext"], {"kind": KMS, "key_id": self.key_id, "data_key": encrypted}

    def key_for(self, reference: dict[str, str], context: dict[str, str]) -> bytes:
        """The data key KMS decrypts for this context; a foreign or changed snapshot gets SnapshotError."""
        if reference.get("kind") != KMS:
            raise SnapshotError(
                f"was written under {_described(reference)}, not under a KMS key", reason="foreign"
            )
        try:
            answer = client.kms_client(self.region).decrypt(
                CiphertextBlob=base64.b64decode(reference["data_key"], validate=True),
                EncryptionContext=context,
                KeyId=self.key_id,
            )
        except (KeyError, binascii.Error):
            raise SnapshotError("has no readable data key", reason="unreadable") from None
        except client.aws_errors() as error:
            raise SnapshotError(
                f"has a data key KMS would not decrypt ({client.error_code(error)}): another key, another "
                "environment or prefix, or no kms:Decrypt"
            ) from None
        plaintext: bytes = answer["Plaintext"]
        return plaintext


@dataclass(frozen=True)
class VariableKey:
    """A key the platform injects (CLARITY_SNAPSHOT_KEY), for places without KMS."""

    key: bytes

    @property
    def fingerprint(self) -> str:
        """Which key, without the key: 16 hex digits of an HMAC under it (for rotation and messages)."""
        return hmac.new(self.key, b"clarity-settings snapshot key", hashlib.sha256).hexdigest()[:16]

    def new_key(self, context: dict[str, str]) -> tuple[bytes, dict[str, str]]:  # noqa: ARG002 - same for every context
        """The variable's key, named by its fingerprint."""
        return self.key, {"kind": VARIABLE, "fingerprint": self.fingerprint}

    def key_for(self, reference: dict[str, str], context: dict[str, str]) -> bytes:  # noqa: ARG002 - the header binds it
        """The variable's key if the snapshot names it; a snapshot under another key is refused by name."""
        if reference != {"kind": VARIABLE, "fingerprint": self.fingerprint}:
            raise SnapshotError(
                f"was written under {_described(reference)}, not under CLARITY_SNAPSHOT_KEY "
                f"(key {self.fingerprint})",
                reason="foreign",
            )
        return self.key


def _described(reference: dict[str, str]) -> str:
    if reference.get("kind") == KMS:
        return f"the KMS key {reference.get('key_id')}"
    return f"a variable key (key {reference.get('fingerprint')})"


def key_source(obj: Any) -> KeySource:
    """The key source the control settings name: exactly one of the KMS key id and the variable key."""
    key_id = switch.control_value(obj, names.SNAPSHOT_KMS_KEY_ID)
    variable = switch.control_value(obj, names.SNAPSHOT_KEY)
    kms_label = names.control_variable(names.SNAPSHOT_KMS_KEY_ID)
    variable_label = names.control_variable(names.SNAPSHOT_KEY)
    if bool(key_id) == bool(variable):
        raise ConfigurationError(
            f"{names.control_variable(names.SNAPSHOT_PATH)} needs exactly one key: {kms_label} (a KMS key "
            f"id, ARN or alias) or {variable_label} (base64 of {KEY_BYTES} random bytes)"
        )
    if key_id:
        return KmsKey(str(key_id), switch.context_of(obj).region)
    try:
        key = base64.b64decode(str(variable), validate=True)
    except binascii.Error:
        key = b""
    if len(key) != KEY_BYTES:
        # NOTE: the message says what is wrong with the key, never any part of it.
        raise ConfigurationError(
            f"{variable_label} must be base64 of {KEY_BYTES} random bytes (openssl rand -base64 {KEY_BYTES})"
        )
    return VariableKey(key)
