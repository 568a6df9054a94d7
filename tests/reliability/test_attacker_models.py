"""The attacker who can write a model file after it was verified: nothing they write reaches a consumer.

The file is over the in-memory limit (lowered through verify_model's in_memory_limit, so a few MiB
stand for a large model; tests/test_integrity.py has one over the real 64 MiB). The attacker writes
in place, truncates, appends or replaces the file by rename, after the check, while open() or
read_bytes() makes its private copy, or while the consumer reads. Each attack has one outcome,
computed here: the consumer gets exactly the verified bytes, or ModelIntegrityError before any byte.
Only open_streaming(), asked for by name, hands bytes out before its error.
"""

from __future__ import annotations

import io
import math
import os
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clarity_settings import ModelIntegrityError, SecretsManager, VerifiedModel, integrity, verify_model
from clarity_settings.integrity import CHUNK_SIZE, Sink, signed_checksum
from tests.conftest import MODEL_KEY, Project, manager_for, write_in_place
from tests.reliability.conftest import record

LENGTH = 6 * CHUNK_SIZE + 17
"""Seven chunks, the last one short."""
LIMIT = CHUNK_SIZE
VERIFIED = "the verified bytes"
REFUSED = "refused before any byte"
LAST_CHUNK_BEFORE_END_OF_FILE = LENGTH // CHUNK_SIZE - 2
"""The copy's reader is at most one chunk ahead: up to this chunk, it has not yet seen the end of the file."""
EXAMPLES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
OUTCOMES: dict[str, Counter[str]] = {}

Opener = Callable[[VerifiedModel], BinaryIO]


@dataclass(frozen=True)
class Attack:
    """One change the attacker makes to the model file, and where it lands."""

    kind: str
    where: int
    """The offset written at, the length truncated to, or how many bytes are appended."""

    def __call__(self, path: Path) -> None:
        if self.kind == "write in place":
            write_in_place(path, self.where)
        elif self.kind == "truncate":
            os.truncate(path, self.where)
        elif self.kind == "append":
            with path.open("ab") as handle:
                handle.write(b"x" * self.where)
        else:
            replacement = path.with_name("replacement.h5")
            replacement.write_bytes(os.urandom(LENGTH))
            replacement.replace(path)


def attacks(
    *, written_from: int = 0, written_to: int = LENGTH - len(b"tampered")
) -> st.SearchStrategy[Attack]:
    """Every kind of attack, a write in place landing between the two offsets."""
    return st.one_of(
        st.builds(Attack, st.just("write in place"), st.integers(written_from, written_to)),
        st.builds(Attack, st.just("truncate"), st.integers(0, LENGTH - 1)),
        st.builds(Attack, st.just("append"), st.integers(1, 2 * CHUNK_SIZE)),
        st.builds(Attack, st.just("replace by rename"), st.just(0)),
    )


@dataclass
class Model:
    """A genuine large model file and the manager that verifies it."""

    path: Path
    content: bytes
    manager: SecretsManager

    def verified(self) -> VerifiedModel:
        """The genuine file written afresh and verified, as a service does before loading it."""
        self.path.write_bytes(self.content)
        return verify_model(self.path, "large", manager=self.manager, in_memory_limit=LIMIT)

    def consume(
        self, opener: Opener, verified: VerifiedModel, attack: Attack | None = None, after: int = 0
    ) -> str:
        """What reaches a consumer that reads the whole stream, the attacker striking after some bytes."""
        received = b""
        try:
            with opener(verified) as stream:
                if attack is not None:
                    received += stream.read(after)
                    attack(self.path)
                received += stream.read()
        except ModelIntegrityError:
            return REFUSED if not received else f"refused after {len(received)} bytes"
        return VERIFIED if received == self.content else f"{len(received)} bytes that were not verified"


@pytest.fixture
def model(project: Project, tmp_path: Path) -> Model:
    """A random file over LIMIT and checksums that make it genuine."""
    path = tmp_path / "PAT-L_29k_weights.h5"
    content = os.urandom(LENGTH)
    path.write_bytes(content)
    return Model(path, content, manager_for(project, {"large": signed_checksum(path, MODEL_KEY)}))


def tally(case: str, attack: Attack, outcome: str) -> None:
    """Count one example's outcome for docs/RELIABILITY.md."""
    outcomes = OUTCOMES.setdefault(case, Counter())
    outcomes[f"{attack.kind}: {outcome}"] += 1
    record(case, **outcomes)


@contextmanager
def attacked_while_copying(attack: Callable[[], None], before_chunk: int) -> Iterator[list[int]]:
    """The attacker strikes as the copy's reader hands on chunk before_chunk; yields the chunks handed on."""
    real_chunks = integrity._chunks
    handed_on: list[int] = []

    def chunks(fd: int, copy_to: Sink | None = None) -> Generator[memoryview, None, None]:
        with closing(real_chunks(fd, copy_to)) as inner:
            for number, chunk in enumerate(inner):
                if number == before_chunk:
                    attack()
                handed_on.append(number)
                yield chunk

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(integrity, "_chunks", chunks)
        yield handed_on


SAFE_READERS: dict[str, Opener] = {
    "open": VerifiedModel.open,
    "read_bytes": lambda verified: io.BytesIO(verified.read_bytes()),
}


@pytest.mark.parametrize("reader", SAFE_READERS)
@EXAMPLES
@given(attack=attacks())
def test_a_change_after_the_check_is_refused_before_any_byte(
    model: Model, reader: str, attack: Attack
) -> None:
    verified = model.verified()
    attack(model.path)
    outcome = model.consume(SAFE_READERS[reader], verified)
    tally("models: changed after verification, before open", attack, outcome)
    assert outcome == REFUSED


@st.composite
def strikes_while_copying(draw: st.DrawFn) -> tuple[Attack, int, str]:
    """An attack as the copy reaches one chunk, and its outcome (the chunk read ahead is left out)."""
    before_chunk = draw(st.integers(0, LAST_CHUNK_BEFORE_END_OF_FILE))
    copied = draw(st.booleans())
    # NOTE: bytes before the chunk handed on are in the copy already, bytes two chunks on are not yet
    # read; the chunk between may be either, so no write lands there.
    if copied:
        attack = draw(attacks(written_to=(before_chunk + 1) * CHUNK_SIZE - len(b"tampered")))
    else:
        attack = draw(attacks(written_from=(before_chunk + 2) * CHUNK_SIZE))
    keeps_the_copy = attack.kind == "replace by rename" or (attack.kind == "write in place" and copied)
    return attack, before_chunk, VERIFIED if keeps_the_copy else REFUSED


@pytest.mark.parametrize("reader", SAFE_READERS)
@EXAMPLES
@given(strike=strikes_while_copying())
def test_a_change_while_the_copy_is_made_is_refused_before_any_byte_or_never_copied(
    model: Model, reader: str, strike: tuple[Attack, int, str]
) -> None:
    attack, before_chunk, expected = strike
    verified = model.verified()
    with attacked_while_copying(lambda: attack(model.path), before_chunk):
        outcome = model.consume(SAFE_READERS[reader], verified)
    tally("models: changed while the private copy is made", attack, outcome)
    assert outcome == expected


@EXAMPLES
@given(attack=attacks(), strike_after=st.integers(0, LENGTH))
def test_a_change_while_the_consumer_reads_never_reaches_it(
    model: Model, attack: Attack, strike_after: int
) -> None:
    outcome = model.consume(VerifiedModel.open, model.verified(), attack, strike_after)
    tally("models: changed while the consumer reads", attack, outcome)
    assert outcome == VERIFIED


def test_a_file_growing_while_it_is_copied_is_refused_one_chunk_past_its_length(model: Model) -> None:
    verified = model.verified()
    growing = Attack("append", 64 * CHUNK_SIZE)
    with (
        attacked_while_copying(lambda: growing(model.path), 0) as handed_on,
        pytest.raises(ModelIntegrityError),
    ):
        verified.open()
    assert len(handed_on) == math.ceil(LENGTH / CHUNK_SIZE)


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [
        ("write in place", f"refused after {CHUNK_SIZE} bytes"),
        ("truncate", f"refused after {CHUNK_SIZE} bytes"),
        ("append", f"refused after {CHUNK_SIZE} bytes"),
        ("replace by rename", VERIFIED),
    ],
)
def test_open_streaming_asked_for_by_name_hands_out_bytes_before_its_error(
    model: Model, kind: str, outcome: str
) -> None:
    attack = Attack(kind, {"write in place": LENGTH - 100, "truncate": LENGTH - 1, "append": 1}.get(kind, 0))
    received = model.consume(VerifiedModel.open_streaming, model.verified(), attack, CHUNK_SIZE)
    tally("models: changed while open_streaming() reads", attack, received)
    assert received == outcome


@pytest.mark.parametrize("in_memory_limit", [LIMIT, 64 * CHUNK_SIZE])
def test_a_file_grown_during_the_check_is_refused_without_reading_what_it_grew(
    model: Model, in_memory_limit: int
) -> None:
    model.path.write_bytes(model.content)
    grown: list[int] = []

    def grow(_: int) -> None:
        if not grown:
            os.truncate(model.path, 1 << 40)
        grown.append(1)

    with pytest.raises(ModelIntegrityError, match="changed while it was verified"):
        verify_model(
            model.path, "large", manager=model.manager, in_memory_limit=in_memory_limit, on_progress=grow
        )
    assert len(grown) == math.ceil(LENGTH / CHUNK_SIZE)
