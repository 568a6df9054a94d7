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

from bench import concurrency, fleet, hanging, hot_read, load, report, startup
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
    results["startup"] = startup.run()
    results["fleet"] = fleet.run(instances=500)
    results["fleet_engines"] = fleet.engines()
    results["hashing"] = hashing(quick=quick)
    suffix = "-quick" if quick else ""
    (HERE / f"results{suffix}.json").write_text(json.dumps(results, indent=2) + "\n")
    report.plot(results, HERE / f"plots{suffix}")
    if not quick:
        report.write(results, HERE.parent / "docs" / "PERFORMANCE.md")
    print(json.dumps(results, indent=2))
    return 0


def hashing(*, quick: bool) -> dict[str, Any]:
    """The hashing scenario in a process of its own (it holds a 1 GiB file in memory as its limit)."""
    environment = {**os.environ, "BENCH_HASH_MIB": "256" if quick else "1024"}
    finished = subprocess.run(
        [sys.executable, "-m", "bench.hashing"],
        cwd=HERE.parent,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    sys.exit(main())
