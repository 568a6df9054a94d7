"""Scenario 6: start-up, in a venv the bench builds with the runtime dependencies only (no dev extras).

In the development venv dynaconf finds flask and django installed and imports them on both sides,
which would hide most of the difference. Measured: a fresh interpreter importing the package and
reading one setting (SSM off, as on a laptop), against the same read from a bare Dynaconf.
Goal: at most 1.2x.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_VENV = ROOT / "bench" / ".runtime-venv"
"""Rebuilt by every run, never committed."""
ROUNDS = 15
GOAL = 1.2
OURS = "from clarity_settings import settings; settings.MODEL_SIGNATURE_KEY"
BARE = "from dynaconf import Dynaconf; Dynaconf(MODEL_SIGNATURE_KEY='x').MODEL_SIGNATURE_KEY"


def runtime_python() -> Path:
    """A fresh venv holding this package as a wheel install with its runtime dependencies, nothing else."""
    venv.EnvBuilder(clear=True, with_pip=True).create(RUNTIME_VENV)
    python = RUNTIME_VENV / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(ROOT)], check=True, capture_output=True)
    return python


def best_seconds(python: Path, codes: dict[str, str], directory: str) -> dict[str, tuple[float, float]]:
    """The fastest of several fresh interpreters running each code, interleaved: (wall, CPU) seconds.

    CPU (user + system, from the child's rusage) is the steadier figure on a shared machine.
    """
    environment = {**os.environ, "CLARITY_USE_SSM": "false", "PYTHONDONTWRITEBYTECODE": "1"}
    best = dict.fromkeys(codes, (float("inf"), float("inf")))
    for _ in range(ROUNDS):
        for name, code in codes.items():
            started = time.perf_counter()
            child = subprocess.Popen(
                [str(python), "-c", code],
                cwd=directory,
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - started
            child.returncode = os.waitstatus_to_exitcode(status)
            if child.returncode != 0:
                raise RuntimeError(f"{name} failed to start")
            cpu = usage.ru_utime + usage.ru_stime
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


def run() -> dict[str, object]:
    """Seconds for each, and the ratio."""
    python = runtime_python()
    with tempfile.TemporaryDirectory() as directory:
        best = best_seconds(python, {"bare": BARE, "ours": OURS, "interpreter": "pass"}, directory)
    installed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze"], check=True, capture_output=True, text=True
    ).stdout.split()
    wall = best["ours"][0] / best["bare"][0]
    cpu = best["ours"][1] / best["bare"][1]
    return {
        "venv_packages": sorted(line.split("==")[0].lower() for line in installed),
        "interpreter_alone_seconds": round(best["interpreter"][0], 4),
        "bare_dynaconf_seconds": round(best["bare"][0], 4),
        "clarity_settings_seconds": round(best["ours"][0], 4),
        "ratio": round(wall, 3),
        "bare_dynaconf_cpu_seconds": round(best["bare"][1], 4),
        "clarity_settings_cpu_seconds": round(best["ours"][1], 4),
        "cpu_ratio": round(cpu, 3),
        "goal_within_1_2x_bare_dynaconf": wall <= GOAL and cpu <= GOAL,
    }
