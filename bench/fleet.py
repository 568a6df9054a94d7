"""Scenario 7: a fleet in virtual time. 500 instances start within 60 s and refresh every TTL against
SSM's default quota, a token bucket of 40 requests/s. Nothing sleeps; an event queue keeps the time.

Compared: refreshing on the exact TTL, on a TTL jittered ±10 %, and jittered with exponential
backoff (full jitter) after a throttled request. Figures: throttled requests, and seconds until
every instance has its settings after the fleet starts.

A fleet restart (restarts()): 500 pods start within 10 s, each cold load four pages, failing closed
after botocore's attempts (and restarting under the kubelet's crash backoff) against waiting the
throttled page out, as the library now does outside development.

A fleet restart in a throttling storm (snapshot_storm()): the same restart while other clients leave
the fleet a tenth of the quota for ten minutes, with a share of the pods holding a last-known-good
snapshot, which they start from once their cold load has waited out its patience.

Then the engines (engines()): one operator per cluster (External Secrets, or the CSI driver's
provider) reads the prefix on the same interval and the pods read mounted files, against direct
polling with jitter and backoff, for 500 and 5,000 pods.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass

RATE = 40.0
BURST = 40.0
FIXED_RETRY_SECONDS = 0.1
MAX_BACKOFF_SECONDS = 20.0


@dataclass(frozen=True)
class Strategy:
    """How an instance schedules refreshes and retries."""

    name: str
    jitter: float
    backoff: bool


STRATEGIES = (
    Strategy("no jitter", 0.0, backoff=False),
    Strategy("jitter ±10 %", 0.10, backoff=False),
    Strategy("jitter ±10 % + backoff", 0.10, backoff=True),
)


class TokenBucket:
    """SSM's throttling: rate(now) tokens a second (RATE unless told), at most BURST saved up."""

    def __init__(self, rate: Callable[[float], float] = lambda _now: RATE) -> None:
        self.tokens = BURST
        self.updated = 0.0
        self.rate = rate

    def take(self, now: float) -> bool:
        """Spend a token if one is there."""
        self.tokens = min(BURST, self.tokens + (now - self.updated) * self.rate(now))
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def simulate(
    strategy: Strategy,
    *,
    instances: int = 500,
    pages: int = 10,
    ttl: float = 300.0,
    cycles: int = 3,
    seed: int = 1,
) -> dict[str, float | None]:
    """Run the fleet for a few TTLs; count throttled requests and time the first full load."""
    rng = random.Random(seed)  # noqa: S311 - a simulation, not cryptography
    bucket = TokenBucket()
    queue: list[tuple[float, int, int, int]] = []
    for instance in range(instances):
        heapq.heappush(queue, (rng.uniform(0, 60), instance, 0, 0))
    remaining = dict.fromkeys(range(instances), pages)
    loaded: set[int] = set()
    throttled = requests = 0
    all_loaded_at = 0.0
    end = ttl * cycles
    while queue:
        now, instance, attempt, page = heapq.heappop(queue)
        if now > end:
            break
        requests += 1
        if not bucket.take(now):
            throttled += 1
            delay = (
                min(MAX_BACKOFF_SECONDS, FIXED_RETRY_SECONDS * 2**attempt)
                if strategy.backoff
                else FIXED_RETRY_SECONDS
            )
            wait = rng.uniform(0, delay) if strategy.backoff else delay
            heapq.heappush(queue, (now + wait, instance, attempt + 1, page))
            continue
        remaining[instance] -= 1
        if remaining[instance] > 0:
            heapq.heappush(queue, (now, instance, 0, page + 1))
            continue
        remaining[instance] = pages
        if instance not in loaded:
            loaded.add(instance)
            if len(loaded) == instances:
                all_loaded_at = now
        spread = rng.uniform(1 - strategy.jitter, 1 + strategy.jitter)
        heapq.heappush(queue, (now + ttl * spread, instance, 0, 0))
    return {
        "requests": requests,
        "throttled": throttled,
        "throttled_share": round(throttled / requests, 3),
        "instances_loaded": len(loaded),
        "seconds_until_all_loaded": round(all_loaded_at, 1) if len(loaded) == instances else None,
    }


def run(*, instances: int = 500) -> dict[str, dict[str, float | None]]:
    """Every strategy on the same fleet."""
    return {strategy.name: simulate(strategy, instances=instances) for strategy in STRATEGIES}


ENGINE_FLEETS = (500, 5000)


def engines(fleets: tuple[int, ...] = ENGINE_FLEETS) -> dict[str, dict[str, dict[str, float | None]]]:
    """Per fleet size: direct polling (jitter and backoff) against one operator reading for every pod.

    The operator is one SSM client on the same schedule; the pods make no SSM request at all (the
    kubelet hands them the Secret's files), so their start waits only for the operator's first sync.
    """
    polling = STRATEGIES[-1]
    return {
        f"{pods:,} pods": {
            "direct polling, jitter + backoff": simulate(polling, instances=pods),
            "one operator, pods read files": simulate(polling, instances=1),
        }
        for pods in fleets
    }


RESTART_LOADS = ((35, 4), (100, 10))
"""Cold loads of 35 and 100 parameters: ceil(N / 10) GetParametersByPath pages."""
PATIENCE_SECONDS = 60.0
FIRST_LOAD_DEADLINE_SECONDS = 300.0
BOTOCORE_ATTEMPTS = 3
CRASH_BACKOFF = (10.0, 20.0, 40.0, 80.0, 160.0, 300.0)
"""The kubelet's restart delays for a container that exits at start (CrashLoopBackOff)."""


@dataclass(frozen=True)
class ColdLoad:
    """How a pod's cold load meets a throttled page."""

    name: str
    patient: bool
    """True: wait the page out (full jitter, 0.1 s doubling to 5 s, while a page came through within
    60 s and the load is within 300 s) and resume there.
    False: after botocore's attempts the load fails closed and the pod restarts from the first page."""


COLD_LOADS = (
    ColdLoad("fail closed after botocore's 3 attempts (before)", patient=False),
    ColdLoad("wait out throttling, resume the page (now)", patient=True),
)


def restart(
    policy: ColdLoad,
    *,
    pages: int,
    pods: int = 500,
    window: float = 10.0,
    seed: int = 1,
    bucket: TokenBucket | None = None,
    snapshot_share: float = 0.0,
) -> dict[str, float | None]:
    """A fleet restart: every pod starts within window seconds and cold-loads pages pages.

    A patient load waits while a page came through within PATIENCE_SECONDS and the whole load is
    within FIRST_LOAD_DEADLINE_SECONDS of its start, as read.Patience and the first load's deadline do.
    A pod among snapshot_share of them that would fail closed starts from its snapshot instead.
    """
    rng = random.Random(seed)  # noqa: S311 - a simulation, not cryptography
    # NOTE: a generator of its own, so the pods' timings are those of a run without snapshots.
    with_snapshot = set(random.Random(seed + 1).sample(range(pods), round(pods * snapshot_share)))  # noqa: S311
    bucket = bucket or TokenBucket()
    queue = [
        (when, pod, 0, 0, when, when) for pod, when in enumerate(rng.uniform(0, window) for _ in range(pods))
    ]
    heapq.heapify(queue)
    crashes = dict.fromkeys(range(pods), 0)
    requests = throttled = started = from_snapshot = 0
    last_start = 0.0
    while queue:
        now, pod, page, attempt, progress_at, load_started = heapq.heappop(queue)
        requests += 1
        if bucket.take(now):
            if page + 1 < pages:
                heapq.heappush(queue, (now, pod, page + 1, 0, now, load_started))
            else:
                started, last_start = started + 1, now
            continue
        throttled += 1
        attempt += 1
        patient = (
            policy.patient
            and now - progress_at < PATIENCE_SECONDS
            and now - load_started < FIRST_LOAD_DEADLINE_SECONDS
        )
        if attempt < BOTOCORE_ATTEMPTS:
            # NOTE: botocore's own retry of a throttled call: a random wait under a doubling base.
            wait = rng.uniform(0, 2.0 ** (attempt - 1))
            heapq.heappush(queue, (now + wait, pod, page, attempt, progress_at, load_started))
        elif patient:
            pause = rng.uniform(0, min(5.0, 0.1 * 2.0 ** (attempt - BOTOCORE_ATTEMPTS)))
            heapq.heappush(queue, (now + pause, pod, page, attempt, progress_at, load_started))
        elif pod in with_snapshot:
            started, from_snapshot, last_start = started + 1, from_snapshot + 1, now
        else:
            delay = CRASH_BACKOFF[min(crashes[pod], len(CRASH_BACKOFF) - 1)]
            crashes[pod] += 1
            heapq.heappush(queue, (now + delay, pod, 0, 0, now + delay, now + delay))
    return {
        "requests": requests,
        "throttled": throttled,
        "failed_starts": sum(crashes.values()),
        "started_from_snapshot": from_snapshot,
        "seconds_until_all_started": round(last_start, 1) if started == pods else None,
    }


def restarts(pods: int = 500) -> dict[str, dict[str, dict[str, float | None]]]:
    """Both cold-load policies on the same fleet restart, for 35 and 100 parameters a pod."""
    return {
        f"{parameters} parameters ({pages} pages)": {
            policy.name: restart(policy, pages=pages, pods=pods) for policy in COLD_LOADS
        }
        for parameters, pages in RESTART_LOADS
    }


STORM_RATE = 4.0
"""Requests a second left to the fleet while other clients of the account throttle SSM."""
STORM_SECONDS = 600.0
SNAPSHOT_SHARES = (0.0, 0.5, 1.0)


def snapshot_storm(pods: int = 500) -> dict[str, dict[str, float | None]]:
    """The fleet restart (35 parameters, cold loads waiting out throttling) in a storm, per share of pods
    with a snapshot."""

    def storm(now: float) -> float:
        return STORM_RATE if now < STORM_SECONDS else RATE

    pages = RESTART_LOADS[0][1]
    return {
        f"{share:.0%} of pods with a snapshot": restart(
            COLD_LOADS[-1], pages=pages, pods=pods, bucket=TokenBucket(storm), snapshot_share=share
        )
        for share in SNAPSHOT_SHARES
    }
