"""`make bench`: every scenario in one process, against one moto server behind a 5 ms proxy.

Writes bench/results.json and one PNG per scenario under bench/plots/; docs/PERFORMANCE.md reads
them. `--quick` runs reduced sizes in under a minute.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import cold_load, concurrency, fleet, hanging, hot_read, startup
from bench.environment import bench_ssm

HERE = Path(__file__).resolve().parent


def main() -> int:
    """Run, save, plot."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="reduced sizes, under a minute")
    quick = parser.parse_args().quick
    logging.disable(logging.WARNING)
    os.chdir(HERE)
    results: dict[str, Any] = {"quick": quick}
    with bench_ssm() as ssm:
        results["cold_load"] = cold_load.run(ssm, (10, 100) if quick else (10, 100, 1000))
        results["hot_reads"] = hot_read.run(ssm, reads=50_000 if quick else hot_read.READS)
        results["stampede_requests"] = concurrency.run_stampede(ssm)
        results["hanging_ssm"] = hanging.run(ssm, seconds=2, reads=20_000) if quick else hanging.run(ssm)
    results["startup"] = startup.run()
    results["fleet"] = fleet.run(instances=500)
    if not quick:
        hashing = subprocess.run(
            [sys.executable, "-m", "bench.hashing"],
            cwd=HERE.parent,
            capture_output=True,
            text=True,
            check=False,
        )
        results["hashing"] = json.loads(hashing.stdout.strip().splitlines()[-1])
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(results)
    print(json.dumps(results, indent=2))
    return 0


def plot(results: dict[str, Any]) -> None:
    """One bar chart per scenario."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = HERE / "plots"
    folder.mkdir(exist_ok=True)
    largest = max(results["cold_load"], key=int)
    rows = {k: v for k, v in results["cold_load"][largest].items() if k != "goals"}
    charts: dict[str, tuple[str, dict[str, float]]] = {
        "cold_load_seconds": (
            f"cold load of {largest} parameters (s)",
            {k: v["seconds"] for k, v in rows.items()},
        ),
        "cold_load_requests": (
            f"cold load of {largest} parameters (requests)",
            {k: v["requests"] for k, v in rows.items()},
        ),
        "hot_reads": ("hot read (ns)", results["hot_reads"]["ns_per_read"]),
        "stampede": ("SSM requests from 64 threads on an expired value", results["stampede_requests"]),
        "startup": (
            "start-up in development (s)",
            {
                "bare dynaconf": results["startup"]["bare_dynaconf_seconds"],
                "clarity-settings": results["startup"]["clarity_settings_seconds"],
            },
        ),
        "hanging_ssm": (
            "SSM hanging, TTL 1 s: worst wait (ms, goal < 5)",
            {
                "slowest read in a thread": results["hanging_ssm"]["thread"]["slowest_ms"],
                "longest event-loop stall, 50 coroutines": results["hanging_ssm"][
                    "event_loop_longest_stall_ms"
                ],
            },
        ),
        "fleet_throttled": (
            "throttled requests, 500 instances, 3 TTLs",
            {k: v["throttled"] for k, v in results["fleet"].items()},
        ),
    }
    for name, (title, values) in charts.items():
        figure, axis = plt.subplots(figsize=(8, 3.5))
        axis.barh(list(values), list(values.values()))
        axis.set_title(title)
        figure.tight_layout()
        figure.savefig(folder / f"{name}.png", dpi=90)
        plt.close(figure)


if __name__ == "__main__":
    sys.exit(main())
