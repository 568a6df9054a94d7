"""Scenario 9: verifying a large model file and reading every byte of it, safe default against streaming.

The safe default, open(), re-reads the file into a private copy and hands it out only once the copy's
digest matched; read_bytes() does the same in memory; open_streaming() hands bytes out as it re-hashes
them, so a change is refused only at the end. The floor is plain hashlib over the file
(hashlib.file_digest): one pass, the least a check of the file can cost. Each is verify_model and
then a full read in 1 MiB pieces, as a streaming loader reads; figures are the best of interleaved
rounds on a warm file, and ratios to the floor measured in the same run. Prints one JSON line.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from clarity_settings import SecretsManager, create_settings, verify_model
from clarity_settings.integrity import CHUNK_SIZE, signed_checksum

MiB = 1 << 20
FILE_MIB = int(os.environ.get("BENCH_READ_MIB", "256"))
ROUNDS = int(os.environ.get("BENCH_READ_ROUNDS", "7"))
KEY = "bench-model-signature-key-" + "k" * 22


def drain(stream: BinaryIO) -> None:
    """Read a stream to its end a piece at a time, as a streaming loader does, keeping nothing."""
    with stream:
        while stream.read(CHUNK_SIZE):
            pass


def plain_hashlib(path: Path) -> str:
    """The floor: one pass of hashlib over the file."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def best_seconds(ways: dict[str, Callable[[], object]]) -> dict[str, float]:
    """The fastest of ROUNDS rounds of each way, interleaved so the machine's mood hits all alike."""
    best = dict.fromkeys(ways, float("inf"))
    for _ in range(ROUNDS):
        for name, work in ways.items():
            start = time.perf_counter()
            work()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main() -> int:
    """Write a random file, sign it, time each way of verifying and reading it, print ratios."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "PAT-L_29k_weights.h5"
        with path.open("wb") as handle:
            for _ in range(FILE_MIB):
                handle.write(os.urandom(MiB))
        os.environ.update(
            {
                "CLARITY_USE_SSM": "false",
                "MODEL_SIGNATURE_KEY": KEY,
                "EXPECTED_MODEL_CHECKSUMS": json.dumps({"large": signed_checksum(path, KEY)}),
            }
        )
        manager = SecretsManager(settings=create_settings())
        if verify_model(path, "large", manager=manager).read_bytes() != path.read_bytes():
            raise RuntimeError("the safe read disagrees with the file, so timing it would mean nothing")
        seconds = best_seconds(
            {
                "plain_hashlib": lambda: plain_hashlib(path),
                "verify_only": lambda: verify_model(path, "large", manager=manager),
                "verify_open": lambda: drain(verify_model(path, "large", manager=manager).open()),
                "verify_read_bytes": lambda: verify_model(path, "large", manager=manager).read_bytes(),
                "verify_open_streaming": lambda: drain(
                    verify_model(path, "large", manager=manager).open_streaming()
                ),
            }
        )
    floor = seconds["plain_hashlib"]
    results = {
        "file_mib": FILE_MIB,
        "rounds": ROUNDS,
        "seconds": {name: round(value, 3) for name, value in seconds.items()},
        "vs_plain_hashlib": {name: round(value / floor, 2) for name, value in seconds.items()},
        "open_vs_open_streaming": round(seconds["verify_open"] / seconds["verify_open_streaming"], 2),
    }
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
