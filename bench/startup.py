"""Scenario 6: start-up in development with SSM off, against the same read from a bare Dynaconf.
Goal: at most 1.2x."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

ROUNDS = 7
GOAL = 1.2
OURS = "from clarity_settings import settings; settings.MODEL_SIGNATURE_KEY"
BARE = "from dynaconf import Dynaconf; Dynaconf(MODEL_SIGNATURE_KEY='x').MODEL_SIGNATURE_KEY"


def best_seconds(code: str, directory: str) -> float:
    """The fastest of several fresh interpreters running code."""
    environment = {**os.environ, "CLARITY_USE_SSM": "false", "PYTHONDONTWRITEBYTECODE": "1"}
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", code], cwd=directory, env=environment, check=True, capture_output=True
        )
        timings.append(time.perf_counter() - started)
    return min(timings)


def run() -> dict[str, object]:
    """Seconds for each, and the ratio."""
    with tempfile.TemporaryDirectory() as directory:
        bare = best_seconds(BARE, directory)
        ours = best_seconds(OURS, directory)
    return {
        "bare_dynaconf_seconds": round(bare, 4),
        "clarity_settings_seconds": round(ours, 4),
        "ratio": round(ours / bare, 3),
        "goal_met": ours / bare <= GOAL,
    }
