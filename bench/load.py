"""Scenario 1: loading and refreshing N parameters: client CPU, wall time and SSM requests, per library.

The floor is a bare boto3 paginator copying every parameter into a dict. Every library gets a client
built before the timer starts (dynaconf-aws-loader builds one inside its loader, so its helper is
handed the same pre-built client). clarity-settings is measured as a user runs it: create_settings()
in a project with a settings.toml, the environment loaders, the validators and SSM auto-detection;
then its background refresh, timed as refresh_now(). moto and the proxy run in their own process,
so the CPU time (time.process_time) is the library's alone.

Goals: CPU within 1.3x the floor at every N for the load and the refresh (at N = 10 the floor is
one request, and dynaconf's own work on a set, which the "bare Dynaconf + paginator" row measures,
is most of the rest); clarity-settings' per-parameter CPU at 5,000 within 1.2x of that at 100 (the
floor's own ratio is recorded beside it); requests at most ceil(N/10) + 1 (the service may answer
one more, empty, page when N is a multiple of 10).
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from dynaconf import Dynaconf

from bench.environment import BenchSsm

ROUNDS = 5
PEER_SIZES_LIMIT = 1000
"""Peers that send a request per parameter are measured up to this N (5,000 requests a round is minutes)."""
CPU_GOAL = 1.3
SCALING_GOAL = 1.2
SETTINGS_TOML = '[default]\nservice_name = "bench"\n[development]\nlog_level = "INFO"\n'

Loader = Callable[[], int]
"""Loads every parameter under the scenario's prefix and returns how many values it holds."""


def prefix_for(size: int) -> str:
    """Each size has a prefix of its own."""
    return f"/bench{size}/development"


def floor(client: Any, prefix: str) -> Loader:
    """A bare paginator loop into a dict: the fewest requests the API allows and nothing else."""

    def load() -> int:
        pages = client.get_paginator("get_parameters_by_path").paginate(
            Path=prefix, Recursive=True, WithDecryption=True, PaginationConfig={"PageSize": 10}
        )
        return len({item["Name"]: item["Value"] for page in pages for item in page["Parameters"]})

    return load


def bare_dynaconf(client: Any, prefix: str, project: Path) -> Loader:
    """dynaconf's own work on a set (the same settings.toml, environments, env prefix), then the floor."""
    paginate = floor(client, prefix)

    def load() -> int:
        settings = Dynaconf(
            environments=True, envvar_prefix="CLARITY", settings_files=[str(project / "settings.toml")]
        )
        settings.get("SERVICE_NAME")
        return paginate()

    return load


def clarity(project: Path) -> Loader:
    """create_settings() as an application runs it, SSM auto-detected, prefix from CLARITY_SSM_PREFIX."""
    from clarity_settings import create_settings

    def load() -> int:
        settings = create_settings(root_path=str(project), settings_files=[str(project / "settings.toml")])
        settings.SERVICE_NAME  # noqa: B018 - the first read loads
        count = len(settings.store)
        settings.close()
        return count

    return load


def clarity_refresh(project: Path) -> tuple[Loader, Callable[[], None]]:
    """One loaded object's refresh (what its background thread runs), and how to close it afterwards."""
    from clarity_settings import create_settings

    settings = create_settings(root_path=str(project), settings_files=[str(project / "settings.toml")])
    settings.SERVICE_NAME  # noqa: B018 - the first load, outside the timer

    def refresh() -> int:
        settings.refresh_now()
        return len(settings.store)

    return refresh, settings.close


def original(client: Any, names: list[str]) -> Loader:
    """The original secrets manager's pattern: one GetParameter per key."""

    def load() -> int:
        return len(
            [client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] for name in names]
        )

    return load


def powertools(client: Any, prefix: str) -> Loader:
    """aws-lambda-powertools' SSMProvider.get_multiple(recursive=True), a new provider (empty cache)."""
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    def load() -> int:
        return len(SSMProvider(boto3_client=client).get_multiple(prefix, recursive=True, decrypt=True))

    return load


def ssm_cache(client: Any, prefix: str) -> Loader:
    """ssm-cache's SSMParameterGroup, a new group (empty cache) each time."""
    from ssm_cache import SSMParameterGroup

    SSMParameterGroup.set_ssm_client(client)

    def load() -> int:
        return len(SSMParameterGroup().parameters(prefix, recursive=True))

    return load


def dynaconf_aws_loader(client: Any, prefix: str) -> Loader:
    """dynaconf-aws-loader (reads /<project>/<env> and /<project>/default), handed the pre-built client."""
    from dynaconf_aws_loader import loader

    loader.get_client = lambda _obj: client
    project, env = prefix.strip("/").split("/")

    def load() -> int:
        settings = Dynaconf(
            environments=True,
            LOADERS_FOR_DYNACONF=["dynaconf_aws_loader.loader"],
            SSM_PARAMETER_PROJECT_PREFIX_FOR_DYNACONF=project,
            ENV_FOR_DYNACONF=env,
        )
        return len(settings.store)

    return load


def pydantic_settings(client: Any, prefix: str) -> Loader:
    """pydantic-settings' AWSSystemsManagerSettingsSource; its client is built in its constructor, untimed."""
    from pydantic_settings import AWSSystemsManagerSettingsSource, BaseSettings

    class Empty(BaseSettings):
        pass

    source = AWSSystemsManagerSettingsSource(Empty, ssm_path=prefix)
    source._ssm_client = client

    def load() -> int:
        return len(source._load_env_vars())

    return load


def measure(ssm: BenchSsm, load: Loader, *, rounds: int = ROUNDS) -> dict[str, Any]:
    """Best-of-rounds CPU and wall time after one warm-up, and the requests of one round."""
    load()
    cpu, wall, requests, values = math.inf, math.inf, 0, 0
    for _ in range(rounds):
        ssm.reset_counts()
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        values = load()
        cpu = min(cpu, time.process_time() - started_cpu)
        wall = min(wall, time.perf_counter() - started_wall)
        requests = ssm.count()
    return {"cpu_ms": round(cpu * 1e3, 2), "seconds": round(wall, 4), "requests": requests, "values": values}


def libraries(client: Any, size: int, names: list[str], project: Path) -> dict[str, Loader]:
    """Every library in the comparison at this size, the floor first."""
    prefix = prefix_for(size)
    found: dict[str, Loader] = {
        "boto3 paginator (floor)": floor(client, prefix),
        "bare Dynaconf + paginator": bare_dynaconf(client, prefix, project),
        "clarity-settings load": clarity(project),
    }
    if size <= PEER_SIZES_LIMIT:
        found.update(
            {
                "original (GetParameter per key)": original(client, names),
                "aws-lambda-powertools": powertools(client, prefix),
                "ssm-cache": ssm_cache(client, prefix),
                "dynaconf-aws-loader": dynaconf_aws_loader(client, prefix),
                "pydantic-settings": pydantic_settings(client, prefix),
            }
        )
    return found


def run(ssm: BenchSsm, sizes: tuple[int, ...]) -> dict[str, Any]:
    """Per size: each library's figures and ratio to the floor, and the goals checked."""
    client = boto3.client("ssm")
    results: dict[str, Any] = {}
    saved = dict(os.environ)
    os.environ.pop("CLARITY_USE_SSM", None)
    with tempfile.TemporaryDirectory() as directory:
        project = Path(directory)
        (project / "settings.toml").write_text(SETTINGS_TOML)
        for size in sizes:
            names = ssm.seed(prefix_for(size), size)
            os.environ["CLARITY_SSM_PREFIX"] = prefix_for(size)
            # NOTE: moto answers each page of a large prefix slowly (it scans every parameter it holds),
            # which costs wall time but no client CPU: fewer rounds there.
            rounds = ROUNDS if size <= PEER_SIZES_LIMIT else 3
            libraries_here = libraries(client, size, names, project)
            row = {name: measure(ssm, load, rounds=rounds) for name, load in libraries_here.items()}
            refresh, close = clarity_refresh(project)
            row["clarity-settings refresh"] = measure(ssm, refresh, rounds=rounds)
            close()
            results[str(size)] = _with_ratios(row, size)
    os.environ.clear()
    os.environ.update(saved)
    results["scaling"] = _scaling(results)
    return results


def _with_ratios(row: dict[str, Any], size: int) -> dict[str, Any]:
    floor_cpu = row["boto3 paginator (floor)"]["cpu_ms"]
    for figures in row.values():
        figures["cpu_vs_floor"] = round(figures["cpu_ms"] / floor_cpu, 3)
        figures["cpu_us_per_parameter"] = round(figures["cpu_ms"] * 1e3 / size, 1)
    peers = [
        figures["cpu_ms"]
        for name, figures in row.items()
        if not name.startswith(("clarity", "boto3", "bare")) and figures["values"] >= size
    ]
    load, refresh = row["clarity-settings load"], row["clarity-settings refresh"]
    row["goals"] = {
        "load_cpu_within_1_3x_floor": load["cpu_vs_floor"] <= CPU_GOAL,
        "refresh_cpu_within_1_3x_floor": refresh["cpu_vs_floor"] <= CPU_GOAL,
        "requests_at_most_ceil_n_over_10_plus_1": load["requests"] <= math.ceil(size / 10) + 1,
        "load_cpu_vs_best_peer": round(load["cpu_ms"] / min(peers), 3) if peers else None,
    }
    return row


def _scaling(results: dict[str, Any]) -> dict[str, Any]:
    """Per-parameter CPU at the largest size over that at 100: linear in N is 1.0."""
    sizes = sorted(int(size) for size in results)
    if 100 not in sizes or sizes[-1] == 100:
        return {}
    small, large = results["100"], results[str(sizes[-1])]
    ratios = {
        name: round(large[name]["cpu_us_per_parameter"] / small[name]["cpu_us_per_parameter"], 3)
        for name in ("boto3 paginator (floor)", "clarity-settings load", "clarity-settings refresh")
    }
    return {
        f"per_parameter_cpu_{sizes[-1]}_over_100": ratios,
        "linear_within_1_2x": all(
            ratio <= SCALING_GOAL for name, ratio in ratios.items() if name.startswith("clarity")
        ),
    }
