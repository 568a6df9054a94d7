"""The snapshot file: AES-256-GCM over the set, its header authenticated, written atomically, mode 0600.

One line of JSON in the clear (format, version, environment, prefixes, when written, which key), a
newline, then the 12-byte nonce and the ciphertext with its tag. The header line, byte for byte, is
GCM's associated data: a changed age, environment, prefix or key reference fails authentication as a
changed byte of ciphertext does, and no two spellings of one header exist.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from clarity_settings.contract import files
from clarity_settings.errors import ConfigurationError, SnapshotError

FORMAT: Final = "clarity-settings snapshot"
VERSION: Final = 1
KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
MAX_FILE_BYTES: Final = 256 * 1024 * 1024
"""Far past any set SSM can hold (10,000 parameters of 8 KiB, three times over)."""


@dataclass(frozen=True)
class Header:
    """What a snapshot says of itself in the clear, every byte authenticated."""

    environment: str
    prefixes: tuple[str, ...]
    written_at: float
    key: dict[str, str]
    """How the data key is found: kind kms with key_id and data_key, or kind variable with fingerprint."""

    def line(self) -> bytes:
        """The header as the file holds it and GCM authenticates it: one line of JSON."""
        fields = {
            "format": FORMAT,
            "version": VERSION,
            "environment": self.environment,
            "prefixes": list(self.prefixes),
            "written_at": self.written_at,
            "key": self.key,
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def seal(header: Header, plaintext: bytes, key: bytes) -> bytes:
    """The file's bytes: the header line, then plaintext encrypted and authenticated under key."""
    line, nonce = header.line(), os.urandom(NONCE_BYTES)
    ciphertext: bytes = _aesgcm(key).encrypt(nonce, plaintext, line)
    return line + b"\n" + nonce + ciphertext


@dataclass(frozen=True)
class Sealed:
    """A snapshot file parsed, not yet opened."""

    header: Header
    line: bytes
    nonce: bytes
    ciphertext: bytes

    def open(self, key: bytes) -> bytes:
        """The plaintext, or SnapshotError when the file or its header was changed or the key is another."""
        aesgcm = _aesgcm(key)
        from cryptography.exceptions import InvalidTag

        try:
            plaintext: bytes = aesgcm.decrypt(self.nonce, self.ciphertext, self.line)
        except InvalidTag:
            raise SnapshotError(
                "does not decrypt: it was changed after it was written, or written under another key"
            ) from None
        return plaintext


def parse(data: bytes) -> Sealed:
    """A snapshot file's parts, or SnapshotError saying it is not one this version writes."""
    line, _, sealed = data.partition(b"\n")
    try:
        document = json.loads(line)
    except ValueError:
        document = None
    if not isinstance(document, dict) or (document.get("format"), document.get("version")) != (
        FORMAT,
        VERSION,
    ):
        raise SnapshotError(f"is not a {FORMAT} of version {VERSION}", reason="unreadable")
    try:
        header = Header(
            environment=str(document["environment"]),
            prefixes=tuple(str(prefix) for prefix in document["prefixes"]),
            written_at=float(document["written_at"]),
            key={str(name): str(value) for name, value in document["key"].items()},
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SnapshotError(f"is not a {FORMAT} (its header does not parse)", reason="unreadable") from None
    return Sealed(header, line, sealed[:NONCE_BYTES], sealed[NONCE_BYTES:])


def read(path: Path) -> bytes:
    """The file's bytes as the contract reads a file someone else may write: a regular file, no link, no
    FIFO, never past the bound; SnapshotError names which, FileNotFoundError when there is none."""
    try:
        with files.opened_directory(str(path.parent)) as directory:
            return files.read_file(path.name, beside=directory, label="it", limit=MAX_FILE_BYTES)
    except ConfigurationError as error:
        raise SnapshotError(str(error).removeprefix("it "), reason="unreadable") from None


def write_atomically(path: Path, data: bytes) -> None:
    """Write a temporary file beside path (mode 0600), flush it to disk, then rename it over path."""
    # NOTE: mkstemp creates the file with mode 0600 whatever the umask, so no moment has it readable.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _aesgcm(key: bytes) -> Any:
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        raise ConfigurationError(
            "a snapshot (CLARITY_SNAPSHOT_PATH) needs the cryptography package: "
            "pip install 'clarity-settings[snapshot]'"
        ) from None
    return AESGCM(key)
