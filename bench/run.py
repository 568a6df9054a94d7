"""`make bench`: every scenario, every library against one SSM (moto and the proxy in their own process).

Writes bench/results.json, one PNG per scenario under bench/plots/ and docs/PERFORMANCE.md
(bench/report.py).
`--quick` runs reduced sizes in a few minutes and writes bench/results-quick.json and
bench/plots-quick/ instead, which are never committed.
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

from bench import concurrency, fleet, hanging, hot_read, load, report, snapshot_start, startup
from bench.environment import bench_ssm

HERE = Path(__file__).resolve().parent


def main() -> int:
    """Run, save, plot, report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="reduced sizes; writes the uncommitted paths")
    quick = parser.parse_args().quick
    logging.disable(logging.WARNING)
    os.chdir(HERE)
    results: dict[str, Any] = {"quick": quick}
    with bench_ssm() as ssm:
        results["load"] = load.run(ssm, (10, 100) if quick else (10, 100, 1000, 5000))
        results["hot_reads"] = hot_read.run(ssm)
        results["stampede_requests"] = concurrency.run_stampede(ssm)
        results["hanging_ssm"] = hanging.run(ssm, seconds=2, reads=20_000) if quick else hanging.run(ssm)
        results["snapshot_start"] = snapshot_start.run(ssm, rounds=2 if quick else snapshot_start.ROUNDS)
    results["startup"] = startup.run()
    results["fleet"] = fleet.run(instances=500)
    results["fleet_engines"] = fleet.engines()
    results["fleet_restart"] = fleet.restarts()
    results["fleet_snapshot_storm"] = fleet.snapshot_storm()
    results["hashing"] = own_process("bench.hashing", BENCH_HASH_MIB="256" if quick else "1024")
    results["verified_read"] = own_process("bench.verified_read", BENCH_READ_ROUNDS="3" if quick else "7")
    suffix = "-quick" if quick else ""
    (HERE / f"results{suffix}.json").write_text(json.dumps(results, indent=2) + "\n")
    report.plot(results, HERE / f"plots{suffix}")
    if not quick:
        report.write(results, HERE.parent / "docs" / "PERFORMANCE.md")
    print(json.dumps(results, indent=2))
    return 0


def own_process(module: str, **environment: str) -> dict[str, Any]:
    """A scenario apart, so the memory it holds and the secrets it sets stay its own: its last JSON line."""
    finished = subprocess.run(
        [sys.executable, "-m", module],
        cwd=HERE.parent,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    sys.exit(main())
