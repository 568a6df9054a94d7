"""Whether a model file is genuine: SHA-256 digests signed with HMAC-SHA256, checked before loading.

digest = lowercase hex SHA-256 of the file; signed checksum = lowercase hex HMAC-SHA256 with key =
MODEL_SIGNATURE_KEY (UTF-8) and message = the 64 ASCII hex characters of the digest.
EXPECTED_MODEL_CHECKSUMS maps model size to signed checksum. Every check fails closed, compares in
constant time, and hands back the very bytes it verified.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import os
import queue
import stat
import tempfile
import threading
from collections.abc import Callable, Generator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Final

from clarity_settings import names, placeholders
from clarity_settings.errors import ClaritySettingsError, ModelIntegrityError, ModelSetIntegrityError

if TYPE_CHECKING:
    from clarity_settings.secrets_manager import SecretsManager

log = logging.getLogger("clarity_settings.integrity")

CHUNK_SIZE: Final = 1 << 20
READ_AHEAD: Final = 2
"""Buffers in flight between the reading thread and the hashing one."""
IN_MEMORY_LIMIT: Final = 64 << 20
SHOWN_HEX: Final = 8
DEFAULT_MODEL_DIR: Final = "models"
"""Where the commands look for the model files when MODEL_DIR (CLARITY_MODEL_DIR) does not say."""
MODEL_FILES: Final = {
    "small": "PAT-S_29k_weights.h5",
    "medium": "PAT-M_29k_weights.h5",
    "large": "PAT-L_29k_weights.h5",
}

PathLike = str | os.PathLike[str]
Progress = Callable[[int], None]
"""Told how many more bytes were hashed, for a progress bar."""
Sink = Callable[[memoryview], object]
"""Given each chunk exactly as it was hashed: how the bytes handed out are the bytes checked."""


@dataclass(frozen=True)
class _Identity:
    """What distinguishes the verified file from one put in its place afterwards."""

    device: int
    inode: int
    length: int
    modified_ns: int
    changed_ns: int
    """ctime: unlike mtime, no unprivileged call can set it back after writing into the file."""

    @classmethod
    def of(cls, status: os.stat_result) -> _Identity:
        return cls(status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


@dataclass(frozen=True)
class VerifiedModel:
    """A model file that matched its signed checksum, and the only sanctioned way to read it."""

    path: Path
    size: str
    sha256: str
    length: int
    """How many bytes were verified."""
    signed_by: str
    """Which key signed the checksum: "current", or "previous" during a rotation."""
    _content: bytes | None = field(default=None, repr=False, compare=False)
    _identity: _Identity | None = field(default=None, repr=False, compare=False)

    def read_bytes(self) -> bytes:
        """Exactly the verified bytes: kept from the check, or read again into memory and re-hashed first."""
        if self._content is not None:
            return self._content
        copy = io.BytesIO()
        self._copy_verified(copy.write)
        return copy.getvalue()

    def open(self) -> BinaryIO:
        """A stream of exactly the verified bytes, none handed out before all of them matched again.

        A large file is copied into an unnamed temporary file that only this process holds (it needs
        the file's length free in TMPDIR), hashing exactly the bytes copied, and the stream reads that
        copy: a change to the model file cannot reach it. The copy is gone when the stream is closed.
        """
        if self._content is not None:
            return io.BytesIO(self._content)
        with tempfile.TemporaryFile() as copy:
            self._copy_verified(copy.write)
            copy.seek(0)
            # NOTE: a read-only stream of its own over the same unnamed file, so the caller cannot
            # write into the verified bytes; the file is gone once this stream is closed too.
            return os.fdopen(os.dup(copy.fileno()), "rb", buffering=CHUNK_SIZE)

    def open_streaming(self) -> BinaryIO:
        """Bytes as they are read again, uncopied: ModelIntegrityError can come after bytes were handed out.

        Only for a consumer that can throw away what it was given: a large file is re-hashed while it
        is read, and a change is refused once the verified length has been read, before that last
        chunk is handed on but after every earlier one was.
        """
        if self._content is not None:
            return io.BytesIO(self._content)
        return io.BufferedReader(_RehashingReader(self, self._reopen()), buffer_size=CHUNK_SIZE)

    def _reopen(self) -> int:
        """The file again, refused at once if its identity shows it changed since the check."""
        fd = _open_regular(self.path)
        if self._identity is not None and _Identity.of(os.fstat(fd)) != self._identity:
            os.close(fd)
            raise _changed(self.path)
        return fd

    def _copy_verified(self, sink: Sink) -> None:
        """Read the file again into sink, hashing exactly what sink gets; raise unless those are verified."""
        fd = self._reopen()
        try:
            digest, length = _hash_fd(fd, copy_to=sink, stop_past=self.length)
        except OSError as error:
            raise ModelIntegrityError(f"{self.path} cannot be copied ({error.strerror})") from None
        finally:
            os.close(fd)
        if length != self.length or not hmac.compare_digest(digest, self.sha256):
            raise _changed(self.path)


def _changed(path: Path) -> ModelIntegrityError:
    """The one refusal for a file that is no longer the one verified, however it was found out."""
    return ModelIntegrityError(f"{path} changed after it was verified; verify it again")


class _RehashingReader(io.RawIOBase):
    """open_streaming's reader: re-hashes the file as it reads it, refusing it at the verified length."""

    def __init__(self, model: VerifiedModel, fd: int) -> None:
        super().__init__()
        self._model = model
        self._fd = fd
        self._hash = hashlib.sha256()
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = os.readv(self._fd, [buffer])
        self._hash.update(memoryview(buffer)[:count])
        self._read += count
        # NOTE: the check runs when the last verified byte arrives, before that chunk is handed on,
        # so a file changed in place is refused without waiting for a read past the end.
        wrong_length = self._read > self._model.length or (count == 0 and self._read < self._model.length)
        complete = count and self._read == self._model.length
        if wrong_length or (complete and not hmac.compare_digest(self._hash.hexdigest(), self._model.sha256)):
            raise _changed(self._model.path)
        return count

    def close(self) -> None:
        # NOTE: close can run more than once, the last time from IOBase's finalizer (whose errors Python
        # 3.13 reports); taking the descriptor first closes it exactly once, never a number the system
        # has since given to another file.
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)
        super().close()


def _open_regular(path: Path) -> int:
    """Open without following a final symbolic link or blocking on a FIFO, and only a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ModelIntegrityError(f"{path} does not exist") from None
    except OSError as error:
        if path.is_symlink():
            raise ModelIntegrityError(f"{path} is a symbolic link; point at the model file itself") from None
        raise ModelIntegrityError(f"{path} cannot be opened ({error.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ModelIntegrityError(f"{path} is not a regular file")
    return fd


def _hash_fd(
    fd: int, *, copy_to: Sink | None = None, stop_past: int | None = None, on_progress: Progress | None = None
) -> tuple[str, int]:
    """SHA-256 and length of fd's bytes (read no further once past stop_past); copy_to gets what is hashed."""
    digest = hashlib.sha256()
    total = 0
    with closing(_chunks(fd, copy_to)) as chunks:
        for chunk in chunks:
            digest.update(chunk)
            total += len(chunk)
            if on_progress is not None:
                on_progress(len(chunk))
            if stop_past is not None and total > stop_past:
                break
    return digest.hexdigest(), total


def _chunks(fd: int, copy_to: Sink | None = None) -> Generator[memoryview, None, None]:
    """fd's bytes a chunk at a time, a thread of its own reading the next chunk while the caller hashes.

    Copying from the page cache costs about a sixth of hashing; overlapped with it, a warm file hashes
    at in-memory speed. (Mapping the file would avoid the copy, but a file truncated under a mapping
    kills the process with SIGBUS instead of failing the check.) The same thread hands each chunk to
    copy_to, so a private copy is written while the caller hashes. Close the generator before fd.
    """
    free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
    full: queue.SimpleQueue[tuple[bytearray, int] | BaseException] = queue.SimpleQueue()
    for _ in range(READ_AHEAD):
        free.put(bytearray(CHUNK_SIZE))
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                buffer = free.get()
                count = os.readv(fd, [buffer])
                if count and copy_to is not None:
                    # NOTE: a buffer stays as it was read until the caller has hashed it and given it
                    # back, so copy_to gets exactly the bytes the caller hashes, while it hashes the last.
                    copy_to(memoryview(buffer)[:count])
                full.put((buffer, count))
                if count == 0:
                    return
        except BaseException as error:  # noqa: BLE001 - handed to the caller, which raises it
            full.put(error)

    reader = threading.Thread(target=read, name="clarity-hash-read", daemon=True)
    reader.start()
    try:
        while not isinstance(item := full.get(), BaseException) and item[1]:
            yield memoryview(item[0])[: item[1]]
            free.put(item[0])
        if isinstance(item, BaseException):
            raise item
    finally:
        stop.set()
        free.put(bytearray())
        reader.join()


def sha256_file(path: PathLike, *, on_progress: Progress | None = None) -> str:
    """Lowercase hex SHA-256 of a regular file, in constant memory."""
    fd = _open_regular(Path(path))
    try:
        return _hash_fd(fd, on_progress=on_progress)[0]
    except OSError as error:
        raise ModelIntegrityError(f"{path} cannot be read ({error.strerror})") from None
    finally:
        os.close(fd)


def sign_digest(sha256_hex: str, key: str) -> str:
    """The signed checksum of a digest: HMAC-SHA256 of its 64 hex characters under the UTF-8 key."""
    if not placeholders.is_hex_digest(sha256_hex):
        raise ModelIntegrityError("sha256_hex must be 64 hexadecimal characters")
    if not key:
        raise ModelIntegrityError("the model signature key is empty")
    return hmac.new(key.encode("utf-8"), sha256_hex.lower().encode("ascii"), hashlib.sha256).hexdigest()


def signed_checksum(path: PathLike, key: str, *, on_progress: Progress | None = None) -> str:
    """The value EXPECTED_MODEL_CHECKSUMS holds for this file under key."""
    return sign_digest(sha256_file(path, on_progress=on_progress), key)


def expected_checksums(
    models: Mapping[str, PathLike], key: str, *, on_progress: Progress | None = None
) -> dict[str, str]:
    """Signed checksums of a set of model files, ready to publish as EXPECTED_MODEL_CHECKSUMS."""
    unknown = sorted(set(models) - set(names.MODEL_SIZES))
    if unknown:
        raise ModelIntegrityError(f"unknown model sizes {unknown}; the sizes are {list(names.MODEL_SIZES)}")
    return {size: signed_checksum(path, key, on_progress=on_progress) for size, path in models.items()}


def expected_checksums_json(models: Mapping[str, PathLike], key: str) -> str:
    """expected_checksums as the JSON text the guide stores in SSM."""
    return json.dumps(expected_checksums(models, key), indent=2)


def verify_model(
    path: PathLike,
    size: str,
    *,
    manager: SecretsManager | None = None,
    in_memory_limit: int = IN_MEMORY_LIMIT,
    on_progress: Progress | None = None,
) -> VerifiedModel:
    """Check one model file against its signed checksum; raise ModelIntegrityError on any doubt."""
    manager = manager or _default_manager()
    model_path = Path(path)
    if size not in names.MODEL_SIZES:
        raise ModelIntegrityError(f"unknown model size {size!r}; the sizes are {list(names.MODEL_SIZES)}")
    try:
        expected = _expected_checksum(manager, size)
        keys = manager.get_model_signature_keys()
    except ModelIntegrityError:
        raise
    except ClaritySettingsError as error:
        raise ModelIntegrityError(f"the model secrets are not available: {error}") from None
    fd = _open_regular(model_path)
    try:
        identity = _Identity.of(os.fstat(fd))
        kept = io.BytesIO() if identity.length <= in_memory_limit else None
        # NOTE: never read (or keep) past the length the file had when opened: a file grown under the
        # check (a sparse extension to terabytes) is refused one chunk later, not read to its end.
        digest, length = _hash_fd(
            fd,
            copy_to=None if kept is None else kept.write,
            stop_past=identity.length,
            on_progress=on_progress,
        )
    except OSError as error:
        raise ModelIntegrityError(f"{model_path} cannot be read ({error.strerror})") from None
    finally:
        os.close(fd)
    if length != identity.length:
        raise ModelIntegrityError(f"{model_path} changed while it was verified; verify it again")
    matched = _matching_key(digest, keys, expected)
    if matched is None:
        actual = sign_digest(digest, keys[0])
        log.error(
            "model %s at %s failed verification: expected %s..., computed %s...",
            size,
            model_path,
            expected[:SHOWN_HEX],
            actual[:SHOWN_HEX],
        )
        raise ModelIntegrityError(
            f"model {size} at {model_path} does not match its signed checksum "
            f"(expected {expected[:SHOWN_HEX]}..., computed {actual[:SHOWN_HEX]}...); do not load it"
        )
    content = None if kept is None else kept.getvalue()
    return VerifiedModel(model_path, size, digest, length, matched, content, identity)


def _default_manager() -> SecretsManager:
    from clarity_settings.secrets_manager import get_secrets_manager

    return get_secrets_manager()


def _expected_checksum(manager: SecretsManager, size: str) -> str:
    expected = manager.get_model_checksums().get(size)
    if expected is None:
        raise ModelIntegrityError(f"EXPECTED_MODEL_CHECKSUMS has no checksum for model {size}; publish one")
    if not placeholders.is_hex_digest(expected):
        raise ModelIntegrityError(
            f"EXPECTED_MODEL_CHECKSUMS holds a development placeholder for model {size}; "
            "publish real signed checksums before loading models"
        )
    return expected.lower()


def _matching_key(digest: str, keys: list[str], expected: str) -> str | None:
    """Compare against every key in constant time, so timing does not tell which key nearly matched."""
    matched = None
    for name, key in zip(("current", "previous"), keys, strict=False):
        if hmac.compare_digest(sign_digest(digest, key), expected) and matched is None:
            matched = name
    return matched


def model_paths(directory: PathLike) -> dict[str, Path]:
    """The standard PAT file names in a directory, one per model size."""
    return {size: Path(directory) / name for size, name in MODEL_FILES.items()}


def verify_models(
    models: Mapping[str, PathLike] | PathLike,
    *,
    manager: SecretsManager | None = None,
    in_memory_limit: int = IN_MEMORY_LIMIT,
    max_workers: int | None = None,
    on_progress: Progress | None = None,
) -> dict[str, VerifiedModel]:
    """Verify several model files in parallel threads; raise ModelSetIntegrityError if any fails."""
    paths = model_paths(models) if isinstance(models, str | os.PathLike) else dict(models)
    manager = manager or _default_manager()

    def check(size: str) -> VerifiedModel | ModelIntegrityError:
        try:
            return verify_model(
                paths[size], size, manager=manager, in_memory_limit=in_memory_limit, on_progress=on_progress
            )
        except ModelIntegrityError as error:
            return error

    workers = max_workers or min(len(paths), os.cpu_count() or 1) or 1
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="verify-model") as pool:
        results = dict(zip(paths, pool.map(check, paths), strict=True))
    failed = sorted(size for size, result in results.items() if isinstance(result, ModelIntegrityError))
    if failed:
        raise ModelSetIntegrityError(
            f"models {', '.join(failed)} failed verification; do not load them", results
        )
    return {size: result for size, result in results.items() if isinstance(result, VerifiedModel)}
