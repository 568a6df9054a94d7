"""Scenario 11: a cold start from the encrypted snapshot against one from SSM, and reads with metrics on.

For N parameters under a prefix, best of several rounds, wall time and requests of a first load:
from SSM with no snapshot (the baseline), from SSM writing the snapshot (GenerateDataKey, AES-GCM,
an atomic write), and from the snapshot while SSM cannot be reached (connection refused at once:
the network is down), which costs one KMS Decrypt. Every request goes through the bench proxy and
its 5 ms. Then the hot read with metrics off and on, each against a plain attribute in the same rounds.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any, Final

from bench import hot_read
from bench.environment import BenchSsm
from clarity_settings import create_settings, metrics, remote
from clarity_settings.ssm.switch import SsmContext

ROUNDS: Final = 5
UNREACHABLE: Final = "http://127.0.0.1:9"
"""The discard port: nothing listens, so a connection is refused at once, as with no network."""
READ_PREFIX: Final = "/snapshot-read/development"


def run(ssm: BenchSsm, sizes: tuple[int, ...] = (100, 1000), rounds: int = ROUNDS) -> dict[str, Any]:
    """Per N: seconds and requests of each kind of cold start, ratios to the baseline; then the reads."""
    saved = dict(os.environ)
    key_id = ssm.kms_key()
    try:
        with tempfile.TemporaryDirectory() as folder:
            starts = {
                str(size): _starts(ssm, size, Path(folder) / f"{size}.snapshot", key_id, rounds)
                for size in sizes
            }
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {"starts": starts, "hot_read_with_metrics": _reads(ssm)}


def _starts(ssm: BenchSsm, size: int, path: Path, key_id: str, rounds: int) -> dict[str, Any]:
    prefix = f"/snapshot-start-{size}/development"
    ssm.seed(prefix, size)
    snapshot = {"CLARITY_SNAPSHOT_PATH": str(path), "CLARITY_SNAPSHOT_KMS_KEY_ID": key_id}
    kinds = {
        "from SSM (baseline)": {},
        "from SSM, writing the snapshot": snapshot,
        "from the snapshot, SSM unreachable": {
            **snapshot,
            "AWS_ENDPOINT_URL_SSM": UNREACHABLE,
            "AWS_MAX_ATTEMPTS": "1",
        },
    }
    best: dict[str, dict[str, Any]] = {}
    for _ in range(rounds):
        for kind, environment in kinds.items():
            seconds, requests = _start(ssm, prefix, size, environment)
            if kind not in best or seconds < best[kind]["seconds"]:
                best[kind] = {"seconds": round(seconds, 4), "requests": requests}
    baseline = best["from SSM (baseline)"]["seconds"]
    for figures in best.values():
        figures["vs_baseline"] = round(figures["seconds"] / baseline, 2)
    return best


def _start(ssm: BenchSsm, prefix: str, size: int, environment: dict[str, str]) -> tuple[float, int]:
    """One first load in the given environment: its wall time and the requests the proxy saw."""
    saved = dict(os.environ)
    os.environ.update(environment)
    try:
        ssm.reset_counts()
        started = time.perf_counter()
        settings = create_settings(ssm_context=SsmContext(prefix=prefix))
        instance = settings.instance
        seconds = time.perf_counter() - started
        requests = ssm.count()
        settings.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    held = sum(remote.value_counts(instance).values())
    if held != size:
        raise RuntimeError(
            f"a start held {held} of {size} parameters, so timing it would compare different work"
        )
    return seconds, requests


def _reads(ssm: BenchSsm) -> dict[str, Any]:
    """ns per read of settings.MODEL_SIGNATURE_KEY against a plain attribute, metrics off then on."""
    ssm.put(f"{READ_PREFIX}/model_signature_key", hot_read.KEY)
    settings = create_settings(ssm_context=SsmContext(prefix=READ_PREFIX))
    readers = {
        "plain instance attribute (floor)": ("o.MODEL_SIGNATURE_KEY", hot_read.Plain()),
        "settings.MODEL_SIGNATURE_KEY": ("o.MODEL_SIGNATURE_KEY", settings),
    }
    try:
        if settings.MODEL_SIGNATURE_KEY != hot_read.KEY:
            raise RuntimeError(
                "the settings do not hold the key, so timing them would compare different work"
            )
        off = hot_read.nanoseconds_per_read(readers)
        metrics.enable()
        on = hot_read.nanoseconds_per_read(readers)
    finally:
        metrics.disable()
        settings.close()
    return {
        "ns_per_read": {"metrics off": _rounded(off), "metrics on": _rounded(on)},
        "vs_plain_attribute": {
            phase: round(ns["settings.MODEL_SIGNATURE_KEY"] / ns["plain instance attribute (floor)"], 2)
            for phase, ns in (("metrics off", off), ("metrics on", on))
        },
    }


def _rounded(ns: dict[str, float]) -> dict[str, float]:
    return {name: round(value, 1) for name, value in ns.items()}
