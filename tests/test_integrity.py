"""Whether a model file is genuine: real files, signed checksums, rotations, and every way to fail closed."""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import os
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clarity_settings import ModelIntegrityError, ModelSetIntegrityError, SecretsManager
from clarity_settings.integrity import (
    IN_MEMORY_LIMIT,
    MODEL_FILES,
    VerifiedModel,
    expected_checksums,
    expected_checksums_json,
    sha256_file,
    sign_digest,
    signed_checksum,
    verify_model,
    verify_models,
)
from tests.conftest import MODEL_KEY as KEY
from tests.conftest import Project, manager_for, write_in_place

OLD_KEY = "previous-signature-key-" + "p" * 20
MiB = 1 << 20


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    """Three small PAT model files with distinct contents, under their standard names."""
    directory = tmp_path / "models"
    directory.mkdir()
    for n, name in enumerate(MODEL_FILES.values(), start=1):
        (directory / name).write_bytes(os.urandom(1000 * n) + name.encode())
    return directory


def path_of(model_dir: Path, size: str) -> Path:
    """The standard file for one model size."""
    return model_dir / MODEL_FILES[size]


@pytest.fixture
def manager(project: Project, model_dir: Path) -> SecretsManager:
    """A manager holding the correct signed checksums of model_dir under KEY."""
    sizes = {size: path_of(model_dir, size) for size in MODEL_FILES}
    return manager_for(project, expected_checksums(sizes, KEY))


@pytest.mark.parametrize("length", [0, 1, MiB - 1, MiB, MiB + 1, 3 * MiB + 17])
def test_sha256_file_matches_hashlib_at_chunk_boundaries(tmp_path: Path, length: int) -> None:
    content = os.urandom(length)
    path = tmp_path / "weights.bin"
    path.write_bytes(content)
    assert sha256_file(path) == hashlib.sha256(content).hexdigest()


def test_sha256_file_reads_a_unicode_path(tmp_path: Path) -> None:
    path = tmp_path / "modèles-模型" / "PAT-S ü.h5"
    path.parent.mkdir()
    path.write_bytes(b"weights")
    assert sha256_file(path) == hashlib.sha256(b"weights").hexdigest()


def test_a_large_sparse_file_is_hashed_in_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "sparse.h5"
    with path.open("wb") as handle:
        handle.truncate(200 * MiB)
    tracemalloc.start()
    try:
        digest = sha256_file(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert digest == hashlib.sha256(bytes(200 * MiB)).hexdigest()
    assert peak < 3 * MiB


@given(
    content=st.binary(max_size=4096),
    key=st.text(min_size=1, max_size=64),
    other=st.text(min_size=1, max_size=64),
)
def test_signing_round_trips_and_depends_on_the_key(content: bytes, key: str, other: str) -> None:
    digest = hashlib.sha256(content).hexdigest()
    signed = sign_digest(digest, key)
    assert len(signed) == 64
    assert signed == sign_digest(digest.upper(), key)
    assert (sign_digest(digest, other) == signed) == (other == key)


def test_the_scheme_is_hmac_sha256_of_the_hex_digest() -> None:
    digest = hashlib.sha256(b"weights").hexdigest()
    import hmac

    assert (
        sign_digest(digest, "ключ") == hmac.new("ключ".encode(), digest.encode(), hashlib.sha256).hexdigest()
    )


def test_sign_digest_refuses_what_is_not_a_digest() -> None:
    with pytest.raises(ModelIntegrityError, match="64 hexadecimal characters"):
        sign_digest("abc", KEY)


def test_a_genuine_model_is_verified_and_its_bytes_handed_over(
    manager: SecretsManager, model_dir: Path
) -> None:
    path = path_of(model_dir, "medium")
    verified = verify_model(path, "medium", manager=manager)
    content = path.read_bytes()
    assert (verified.path, verified.size, verified.length, verified.signed_by) == (
        path,
        "medium",
        len(content),
        "current",
    )
    assert verified.sha256 == hashlib.sha256(content).hexdigest()
    assert verified.read_bytes() == content
    with verified.open() as stream:
        assert stream.read() == content


def test_the_verified_bytes_survive_the_file_being_replaced(manager: SecretsManager, model_dir: Path) -> None:
    path = path_of(model_dir, "small")
    content = path.read_bytes()
    verified = verify_model(path, "small", manager=manager)
    path.write_bytes(b"malicious weights")
    assert verified.read_bytes() == content


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_a_flipped_byte_is_refused_and_logged_without_the_checksum_or_key(
    manager: SecretsManager, model_dir: Path, caplog: pytest.LogCaptureFixture, where: str
) -> None:
    path = path_of(model_dir, "large")
    content = bytearray(path.read_bytes())
    index = {"start": 0, "middle": len(content) // 2, "end": len(content) - 1}[where]
    content[index] ^= 0x01
    path.write_bytes(bytes(content))
    expected = manager.get_model_checksums()["large"]
    with (
        caplog.at_level(logging.ERROR, logger="clarity_settings.integrity"),
        pytest.raises(ModelIntegrityError) as caught,
    ):
        verify_model(path, "large", manager=manager)
    text = caplog.text + str(caught.value)
    assert f"expected {expected[:8]}..." in text
    assert expected[:9] not in text
    assert KEY[:10] not in text


def test_a_truncated_file_is_refused(manager: SecretsManager, model_dir: Path) -> None:
    path = path_of(model_dir, "medium")
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(ModelIntegrityError, match="does not match its signed checksum"):
        verify_model(path, "medium", manager=manager)


def test_the_small_model_presented_as_the_large_one_is_refused(
    manager: SecretsManager, model_dir: Path
) -> None:
    with pytest.raises(ModelIntegrityError, match=r"model large .* does not match"):
        verify_model(path_of(model_dir, "small"), "large", manager=manager)


def test_checksums_signed_with_another_key_are_refused(project: Project, model_dir: Path) -> None:
    sizes = {size: path_of(model_dir, size) for size in MODEL_FILES}
    manager = manager_for(project, expected_checksums(sizes, "some-other-key-" + "x" * 20))
    with pytest.raises(ModelIntegrityError, match="does not match"):
        verify_model(sizes["small"], "small", manager=manager)


def test_during_a_rotation_the_previous_key_still_verifies(project: Project, model_dir: Path) -> None:
    sizes = {size: path_of(model_dir, size) for size in MODEL_FILES}
    manager = manager_for(project, expected_checksums(sizes, OLD_KEY), key=KEY, previous=OLD_KEY)
    assert verify_model(sizes["small"], "small", manager=manager).signed_by == "previous"


def test_a_symbolic_link_is_refused(manager: SecretsManager, model_dir: Path) -> None:
    link = model_dir / "link.h5"
    link.symlink_to(path_of(model_dir, "small"))
    with pytest.raises(ModelIntegrityError, match="is a symbolic link"):
        verify_model(link, "small", manager=manager)


def test_a_directory_and_a_fifo_are_not_regular_files(manager: SecretsManager, model_dir: Path) -> None:
    fifo = model_dir / "fifo.h5"
    os.mkfifo(fifo)
    for path in (model_dir, fifo):
        with pytest.raises(ModelIntegrityError, match="is not a regular file"):
            verify_model(path, "small", manager=manager)


def test_a_missing_file_is_refused(manager: SecretsManager, model_dir: Path) -> None:
    with pytest.raises(ModelIntegrityError, match="does not exist"):
        verify_model(model_dir / "absent.h5", "small", manager=manager)


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    directory = Path(tempfile.mkdtemp(dir="/tmp"))
    directory.chmod(0o755)
    path = directory / "weights.h5"
    path.write_bytes(b"weights")
    path.chmod(0o000)
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setuid(65534)
        try:
            sha256_file(path)
            message = "read"
        except ModelIntegrityError as error:
            message = str(error)
        os.write(writer, message.encode())
        os._exit(0)
    os.close(writer)
    os.waitpid(pid, 0)
    message = os.read(reader, 4096).decode()
    os.close(reader)
    path.unlink()
    directory.rmdir()
    assert message == f"{path} cannot be opened (Permission denied)"


def test_a_read_error_after_opening_is_refused() -> None:
    with pytest.raises(ModelIntegrityError, match=r"/proc/self/mem cannot be read \(Input/output error\)"):
        sha256_file("/proc/self/mem")


def test_no_expected_checksum_for_the_size_is_refused(project: Project, model_dir: Path) -> None:
    manager = manager_for(project, {"small": signed_checksum(path_of(model_dir, "small"), KEY)})
    with pytest.raises(ModelIntegrityError, match="no checksum for model medium"):
        verify_model(path_of(model_dir, "medium"), "medium", manager=manager)


def test_a_development_placeholder_checksum_is_refused(project: Project, model_dir: Path) -> None:
    manager = manager_for(project, {"small": "dev-checksum-small"})
    with pytest.raises(ModelIntegrityError, match="development placeholder for model small"):
        verify_model(path_of(model_dir, "small"), "small", manager=manager)


def test_an_unknown_size_is_refused(manager: SecretsManager, model_dir: Path) -> None:
    with pytest.raises(ModelIntegrityError, match="unknown model size 'huge'"):
        verify_model(path_of(model_dir, "small"), "huge", manager=manager)


def test_no_signature_key_is_refused(project: Project, model_dir: Path) -> None:
    os.environ.update({"ENV_FOR_DYNACONF": "production", "CLARITY_USE_SSM": "false"})
    manager = SecretsManager(settings=project.settings())
    with pytest.raises(ModelIntegrityError, match="MODEL_SIGNATURE_KEY is required in production"):
        verify_model(path_of(model_dir, "small"), "small", manager=manager)


def large_model(
    project: Project, path: Path, length: int, *, limit: int = MiB
) -> tuple[bytes, VerifiedModel]:
    """A random file over the in-memory limit (lowered through verify_model's keyword), signed, verified."""
    content = os.urandom(length)
    path.write_bytes(content)
    manager = manager_for(project, {"large": signed_checksum(path, KEY)})
    return content, verify_model(path, "large", manager=manager, in_memory_limit=limit)


READERS: dict[str, Callable[[VerifiedModel], bytes]] = {
    "read_bytes": VerifiedModel.read_bytes,
    "open": lambda model: model.open().read(),
    "open_streaming": lambda model: model.open_streaming().read(),
}


@pytest.mark.parametrize("reader", READERS)
def test_a_large_file_is_handed_over_whole_without_being_held(
    project: Project, tmp_path: Path, reader: str
) -> None:
    content, verified = large_model(project, tmp_path / "large.h5", 3 * MiB + 5)
    assert READERS[reader](verified) == content


def test_a_large_file_can_be_read_from_its_private_copy_a_piece_at_a_time(
    project: Project, tmp_path: Path
) -> None:
    content, verified = large_model(project, tmp_path / "large.h5", 3 * MiB + 5)
    with verified.open() as stream:
        assert [stream.read(10), stream.read()] == [content[:10], content[10:]]


@pytest.mark.parametrize("reader", READERS)
def test_a_large_file_replaced_after_verification_is_refused_before_any_byte(
    project: Project, tmp_path: Path, reader: str
) -> None:
    path = tmp_path / "large.h5"
    _, verified = large_model(project, path, 2 * MiB)
    replacement = tmp_path / "evil.h5"
    replacement.write_bytes(os.urandom(2 * MiB))
    replacement.replace(path)
    with pytest.raises(ModelIntegrityError, match="changed after it was verified"):
        READERS[reader](verified)


def test_a_file_rewritten_in_place_with_its_mtime_put_back_is_refused_on_open_by_its_ctime(
    project: Project, tmp_path: Path
) -> None:
    path = tmp_path / "large.h5"
    _, verified = large_model(project, path, 2 * MiB)
    stamp = path.stat()
    write_in_place(path, MiB)
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    with pytest.raises(ModelIntegrityError, match="changed after it was verified"):
        verified.open()


def test_bytes_written_after_open_never_reach_the_reader(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "large.h5"
    content, verified = large_model(project, path, 3 * MiB)
    with verified.open() as stream:
        first = stream.read(MiB)
        write_in_place(path, 2 * MiB)
        assert first + stream.read() == content


def test_over_the_real_in_memory_limit_a_write_after_open_never_reaches_the_reader(
    project: Project, tmp_path: Path
) -> None:
    path = tmp_path / "large.h5"
    content, verified = large_model(project, path, IN_MEMORY_LIMIT + 1, limit=IN_MEMORY_LIMIT)
    with verified.open() as stream:
        write_in_place(path, IN_MEMORY_LIMIT - 7)
        assert stream.read() == content


def test_a_full_temporary_directory_refuses_the_copy_instead_of_handing_out_part_of_it(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, verified = large_model(project, tmp_path / "large.h5", 2 * MiB)
    monkeypatch.setattr(tempfile, "TemporaryFile", functools.partial(Path("/dev/full").open, "w+b"))
    with pytest.raises(ModelIntegrityError, match=r"cannot be copied \(No space left on device\)"):
        verified.open()


def test_open_streaming_hands_out_bytes_before_it_refuses_a_change_it_is_named_for(
    project: Project, tmp_path: Path
) -> None:
    path = tmp_path / "large.h5"
    length = 3 * MiB
    content, verified = large_model(project, path, length)
    with verified.open_streaming() as stream:
        handed_out = stream.read(MiB)
        write_in_place(path, 2 * MiB)
        with pytest.raises(ModelIntegrityError, match="changed after it was verified"):
            stream.read(length - MiB)
    assert handed_out == content[:MiB]


def test_open_streaming_refuses_bytes_appended_while_it_reads(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "large.h5"
    _, verified = large_model(project, path, 2 * MiB)
    with verified.open_streaming() as stream:
        with path.open("ab") as handle:
            handle.write(b"extra")
        with pytest.raises(ModelIntegrityError, match="changed after it was verified"):
            stream.read()


def test_closing_a_streaming_reader_again_leaves_a_reused_descriptor_open(
    project: Project, tmp_path: Path
) -> None:
    path = tmp_path / "large.h5"
    content, verified = large_model(project, path, 2 * MiB)
    raw = cast(io.BufferedReader, verified.open_streaming()).raw
    raw.close()
    with path.open("rb") as other:
        raw.close()
        assert other.read() == content


def test_verify_models_checks_a_directory_in_parallel(manager: SecretsManager, model_dir: Path) -> None:
    results = verify_models(model_dir, manager=manager)
    assert sorted(results) == ["large", "medium", "small"]
    assert all(
        result.read_bytes() == path_of(model_dir, size).read_bytes() for size, result in results.items()
    )


def test_verify_models_reports_every_file_and_raises_if_any_failed(
    manager: SecretsManager, model_dir: Path
) -> None:
    path_of(model_dir, "medium").write_bytes(b"tampered")
    path_of(model_dir, "large").unlink()
    with pytest.raises(ModelSetIntegrityError, match="models large, medium failed verification") as caught:
        verify_models(model_dir, manager=manager)
    results = caught.value.results
    assert results["small"].size == "small"  # type: ignore[union-attr]
    assert "does not match" in str(results["medium"])
    assert "does not exist" in str(results["large"])


def test_the_published_json_verifies_the_files_it_was_made_from(project: Project, model_dir: Path) -> None:
    sizes = {size: path_of(model_dir, size) for size in MODEL_FILES}
    published = expected_checksums_json(sizes, KEY)
    os.environ.update(
        {"CLARITY_USE_SSM": "false", "MODEL_SIGNATURE_KEY": KEY, "EXPECTED_MODEL_CHECKSUMS": published}
    )
    assert sorted(verify_models(sizes, manager=SecretsManager(settings=project.settings()))) == [
        "large",
        "medium",
        "small",
    ]
    with pytest.raises(ModelIntegrityError, match="unknown model sizes"):
        expected_checksums({"huge": sizes["small"]}, KEY)
