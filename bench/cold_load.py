"""Scenario 1: a cold load of N parameters, in SSM requests and wall time, for each library.

The floor is a bare boto3 paginator loop. Every library gets a warm process (boto3 imported, its
client built) and an empty cache, so the figure is the fetch itself.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import boto3
from dynaconf import Dynaconf

from bench.environment import BenchSsm
from loaders import ssm_loader

ROUNDS = 3
Loader = Callable[[str, list[str]], int]
"""Loads the parameters under a prefix (their names given) and returns how many values it got."""


def client() -> Any:
    """A boto3 SSM client for the endpoint in the environment."""
    return boto3.client("ssm")


def floor(prefix: str, names: list[str]) -> int:  # noqa: ARG001 - same signature for every library
    """A bare paginator loop: the fewest requests the API allows, nothing else."""
    pages = (
        client()
        .get_paginator("get_parameters_by_path")
        .paginate(Path=prefix, Recursive=True, WithDecryption=True, PaginationConfig={"PageSize": 10})
    )
    return sum(len(page["Parameters"]) for page in pages)


def clarity(prefix: str, names: list[str]) -> int:  # noqa: ARG001
    """This loader into a fresh settings object."""
    settings = Dynaconf(LOADERS_FOR_DYNACONF=[], SSM_PREFIX=prefix)
    settings.setenv("development")
    ssm_loader.load(settings._wrapped)
    return len(settings.as_dict())


def original(prefix: str, names: list[str]) -> int:  # noqa: ARG001
    """The original secrets manager's pattern: one GetParameter per key."""
    ssm = client()
    return len([ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] for name in names])


def powertools(prefix: str, names: list[str]) -> int:  # noqa: ARG001
    """aws-lambda-powertools' SSMProvider.get_multiple(recursive=True)."""
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    return len(SSMProvider(boto3_client=client()).get_multiple(prefix, recursive=True, decrypt=True))


def ssm_cache(prefix: str, names: list[str]) -> int:  # noqa: ARG001
    """ssm-cache's SSMParameterGroup."""
    from ssm_cache import SSMParameterGroup

    SSMParameterGroup.set_ssm_client(client())
    return len(SSMParameterGroup().parameters(prefix, recursive=True))


def dynaconf_aws_loader(prefix: str, names: list[str]) -> int:  # noqa: ARG001
    """dynaconf-aws-loader, which reads /<project>/<env> and /<project>/default."""
    project, env = prefix.strip("/").split("/")
    settings = Dynaconf(
        environments=True,
        LOADERS_FOR_DYNACONF=["dynaconf_aws_loader.loader"],
        SSM_PARAMETER_PROJECT_PREFIX_FOR_DYNACONF=project,
        ENV_FOR_DYNACONF=env,
    )
    return len(settings.as_dict())


def pydantic_settings(prefix: str, names: list[str]) -> int:  # noqa: ARG001
    """pydantic-settings' AWSSystemsManagerSettingsSource."""
    from pydantic_settings import AWSSystemsManagerSettingsSource, BaseSettings

    class Empty(BaseSettings):
        pass

    source = AWSSystemsManagerSettingsSource(Empty, ssm_path=prefix)
    return len(source._load_env_vars())


LIBRARIES: dict[str, Loader] = {
    "boto3 paginator (floor)": floor,
    "clarity-settings": clarity,
    "original (GetParameter per key)": original,
    "aws-lambda-powertools": powertools,
    "ssm-cache": ssm_cache,
    "dynaconf-aws-loader": dynaconf_aws_loader,
    "pydantic-settings": pydantic_settings,
}


def run(ssm: BenchSsm, sizes: tuple[int, ...]) -> dict[str, Any]:
    """Requests and best-of-three seconds per library and size, with the goals checked."""
    results: dict[str, Any] = {}
    for size in sizes:
        prefix = f"/bench{size}/development"
        names = ssm.seed(prefix, size)
        row: dict[str, Any] = {}
        for name, load in LIBRARIES.items():
            load(prefix, names)
            timings, requests = [], 0
            for _ in range(ROUNDS):
                ssm.reset_counts()
                started = time.perf_counter()
                loaded = load(prefix, names)
                timings.append(time.perf_counter() - started)
                requests = ssm.count()
            row[name] = {"requests": requests, "seconds": round(min(timings), 4), "values": loaded}
        floor_seconds = row["boto3 paginator (floor)"]["seconds"]
        ours = row["clarity-settings"]
        row["goals"] = {
            "requests_equal_ceil_n_over_10": ours["requests"] <= math.ceil(size / 10) + 1,
            "time_vs_floor": round(ours["seconds"] / floor_seconds, 3),
        }
        results[str(size)] = row
    return results
