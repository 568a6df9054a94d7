"""Scenario 4: SSM hangs (the proxy never answers) while a TTL of 1 s runs out, again and again.

Measured in a process of its own, so moto and the proxy take no CPU from it: the slowest of
100,000 reads paced over 10 s in a thread, and the longest stall of an asyncio event loop whose
50 coroutines read settings for 10 s. Goal: both under 5 ms. In the same run: the floor (the same
loop reading a plain object's attribute) and the old behaviour, a reader that refreshes itself
(TTL 0, the one mode that still does), timed for one read under the same hang. Run it last: the
hung requests outlive the scenario.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.environment import BenchSsm
from clarity_settings import create_settings
from clarity_settings.ssm.switch import SsmContext

PREFIX = "/hanging/development"
SECONDS = 10.0
READS = 100_000
COROUTINES = 50
LOOP_TICK_SECONDS = 0.001
GOAL_MILLISECONDS = 5.0


class PlainObject:
    """The floor: an attribute read with nothing behind it."""

    PARAM_0000 = "value"


def slowest_paced_read(settings: Any, *, reads: int, seconds: float) -> dict[str, float]:
    """reads spread over seconds in one thread: the slowest single read and how many were made."""
    interval = seconds / reads
    slowest = 0.0
    made = 0
    started = time.perf_counter()
    while made < reads:
        before = time.perf_counter()
        settings.PARAM_0000  # noqa: B018 - the read being timed
        slowest = max(slowest, time.perf_counter() - before)
        made += 1
        pause = started + made * interval - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    return {"reads": made, "slowest_ms": round(slowest * 1e3, 3)}


async def longest_loop_stall(settings: Any, *, coroutines: int, seconds: float) -> float:
    """How late, at worst, the event loop was for a 1 ms tick while coroutines kept reading (ms)."""
    stop = asyncio.Event()

    async def read_forever() -> None:
        while not stop.is_set():
            settings.PARAM_0000  # noqa: B018 - what an async request handler does
            await asyncio.sleep(0)

    readers = [asyncio.create_task(read_forever()) for _ in range(coroutines)]
    longest = 0.0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        before = time.perf_counter()
        await asyncio.sleep(LOOP_TICK_SECONDS)
        longest = max(longest, time.perf_counter() - before - LOOP_TICK_SECONDS)
    stop.set()
    await asyncio.gather(*readers)
    return round(longest * 1e3, 3)


def measure(*, seconds: float, reads: int) -> dict[str, Any]:
    """The child's side: load, tell the parent to hang SSM, then measure while it hangs."""
    settings = create_settings(cache_ttl_seconds=1, ssm_context=SsmContext(prefix=PREFIX))
    baseline = create_settings(cache_ttl_seconds=0, ssm_context=SsmContext(prefix=PREFIX))
    settings.get("PARAM_0000")
    baseline.get("PARAM_0000")
    print("loaded", flush=True)
    sys.stdin.readline()
    floor = asyncio.run(longest_loop_stall(PlainObject(), coroutines=COROUTINES, seconds=seconds))
    in_thread: dict[str, float] = {}
    reader = threading.Thread(
        target=lambda: in_thread.update(slowest_paced_read(settings, reads=reads, seconds=seconds))
    )
    reader.start()
    reader.join()
    stall = asyncio.run(longest_loop_stall(settings, coroutines=COROUTINES, seconds=seconds))
    settings.close()
    started = time.perf_counter()
    baseline.get("PARAM_0000")
    return {
        "thread": in_thread,
        "event_loop_longest_stall_ms": stall,
        "floor_event_loop_longest_stall_ms": floor,
        "baseline_reader_refreshing_itself_s": round(time.perf_counter() - started, 2),
        "goal_both_under_5_ms": in_thread["slowest_ms"] < GOAL_MILLISECONDS and stall < GOAL_MILLISECONDS,
    }


def run(ssm: BenchSsm, *, seconds: float = SECONDS, reads: int = READS) -> dict[str, Any]:
    """Run measure() in a child process against this process's proxy, hanging SSM when it is loaded."""
    ssm.seed(PREFIX, 5)
    ssm.delay(0)
    with subprocess.Popen(
        [sys.executable, "-m", "bench.hanging", str(seconds), str(reads)],
        cwd=Path(__file__).resolve().parent.parent,
        env=dict(os.environ),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        if child.stdin is None or child.stdout is None:
            raise RuntimeError("the measuring process has no pipes")
        if child.stdout.readline().strip() != "loaded":
            raise RuntimeError("the measuring process did not load its settings")
        ssm.hang()
        ssm.reset_counts()
        child.stdin.write("go\n")
        child.stdin.flush()
        result: dict[str, Any] = json.loads(child.stdout.read().strip().splitlines()[-1])
    result["requests_sent_during_the_hang"] = ssm.count()
    return result


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    print(json.dumps(measure(seconds=float(sys.argv[1]), reads=int(sys.argv[2]))))
