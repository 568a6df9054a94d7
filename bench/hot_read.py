"""Scenario 2: the hot-read ladder, in nanoseconds per read, every reader timed in the same rounds.

From the floor up: a dict read, a plain instance attribute, then clarity-settings' three ways of
reading the key (settings made by create_settings(), as an application makes them), a bare
Dynaconf attribute and aws-lambda-powertools' cached get. Two limits are measured beside them: a
method returning an attribute of the settings object it holds (what any get_...() method costs)
and a Python __getitem__ returning from a dict (what settings[...] on any object that is not a
dict costs).

Goals: settings.MODEL_SIGNATURE_KEY and settings["MODEL_SIGNATURE_KEY"] within 2x of the plain
attribute; get_model_signature_key() within 3x.
"""

from __future__ import annotations

import functools
import timeit
from collections.abc import Callable
from typing import Any

import boto3
from dynaconf import Dynaconf

from bench.environment import BenchSsm
from clarity_settings import SecretsManager, create_settings
from clarity_settings.ssm.switch import SsmContext

READS = 1000
"""Reads per timed call: a loop in a function, so the figure is the read and not timeit's overhead."""
ROUNDS = 25
PREFIX = "/hot/development"
KEY = "k" * 48
ATTRIBUTE_GOAL = 2.0
METHOD_GOAL = 3.0


class Plain:
    """A plain instance attribute: the floor for an attribute read."""

    def __init__(self) -> None:
        self.MODEL_SIGNATURE_KEY = KEY


class MethodLimit:
    """The least get_model_signature_key() can cost: a method returning its settings' attribute."""

    def __init__(self) -> None:
        self.settings = Plain()

    def get_model_signature_key(self) -> str:
        """Return the settings' attribute."""
        return self.settings.MODEL_SIGNATURE_KEY


class ItemLimit:
    """The least settings[...] can cost on an object that is not a dict: __getitem__ returning from one."""

    def __init__(self) -> None:
        self.items = {"MODEL_SIGNATURE_KEY": KEY}

    def __getitem__(self, key: str) -> str:
        return self.items[key]


def reader(statement: str) -> Callable[[Any], None]:
    """A function that makes READS reads of obj with statement, compiled like application code."""
    namespace: dict[str, Any] = {}
    exec(f"def read(o):\n    for _ in range({READS}):\n        {statement}\n", namespace)  # noqa: S102
    function: Callable[[Any], None] = namespace["read"]
    return function


def nanoseconds_per_read(readers: dict[str, tuple[str, Any]]) -> dict[str, float]:
    """Each reader's best round, the rounds interleaved so that a noisy spell hits every reader alike."""
    compiled = {name: (reader(statement), obj) for name, (statement, obj) in readers.items()}
    best = dict.fromkeys(readers, float("inf"))
    for _ in range(ROUNDS):
        for name, (read, obj) in compiled.items():
            seconds = timeit.timeit(functools.partial(read, obj), number=100)
            best[name] = min(best[name], seconds / (100 * READS) * 1e9)
    return best


def run(ssm: BenchSsm) -> dict[str, Any]:
    """ns per read on the ladder, ratios to the plain attribute and to each limit, goals checked."""
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    name = f"{PREFIX}/model_signature_key"
    ssm.put(name, KEY)
    settings = create_settings(ssm_context=SsmContext(prefix=PREFIX))
    try:
        return _ladder(settings, SSMProvider(boto3_client=boto3.client("ssm")), name)
    finally:
        settings.close()


def _ladder(settings: Any, provider: Any, name: str) -> dict[str, Any]:
    manager = SecretsManager(settings=settings)
    bare = Dynaconf(MODEL_SIGNATURE_KEY=KEY)
    values = {
        settings.MODEL_SIGNATURE_KEY,
        settings["MODEL_SIGNATURE_KEY"],
        manager.get_model_signature_key(),
        bare.MODEL_SIGNATURE_KEY,
        provider.get(name, max_age=3600, decrypt=True),
    }
    if values != {KEY}:
        raise RuntimeError("the readers disagree, so timing them would compare different work")
    ns = nanoseconds_per_read(
        {
            "dict read": ("o['MODEL_SIGNATURE_KEY']", {"MODEL_SIGNATURE_KEY": KEY}),
            "plain instance attribute (floor)": ("o.MODEL_SIGNATURE_KEY", Plain()),
            "settings.MODEL_SIGNATURE_KEY": ("o.MODEL_SIGNATURE_KEY", settings),
            "settings.model_signature_key": ("o.model_signature_key", settings),
            'settings["MODEL_SIGNATURE_KEY"]': ("o['MODEL_SIGNATURE_KEY']", settings),
            "limit: Python __getitem__ from a dict": ("o['MODEL_SIGNATURE_KEY']", ItemLimit()),
            "get_model_signature_key()": ("o.get_model_signature_key()", manager),
            "limit: a method returning the settings' attribute": (
                "o.get_model_signature_key()",
                MethodLimit(),
            ),
            "bare Dynaconf attribute": ("o.MODEL_SIGNATURE_KEY", bare),
            "powertools cached get": (f"o.get({name!r}, max_age=3600, decrypt=True)", provider),
        }
    )
    floor = ns["plain instance attribute (floor)"]
    attribute = ns["settings.MODEL_SIGNATURE_KEY"] / floor
    item = ns['settings["MODEL_SIGNATURE_KEY"]'] / floor
    method = ns["get_model_signature_key()"] / floor
    return {
        "ns_per_read": {key: round(value, 1) for key, value in ns.items()},
        "vs_plain_attribute": {key: round(value / floor, 2) for key, value in ns.items()},
        "item_vs_its_limit": round(
            ns['settings["MODEL_SIGNATURE_KEY"]'] / ns["limit: Python __getitem__ from a dict"], 2
        ),
        "method_vs_its_limit": round(
            ns["get_model_signature_key()"] / ns["limit: a method returning the settings' attribute"], 2
        ),
        "attribute_vs_bare_dynaconf": round(
            ns["settings.MODEL_SIGNATURE_KEY"] / ns["bare Dynaconf attribute"], 4
        ),
        "goals": {
            "attribute_within_2x_plain_attribute": attribute <= ATTRIBUTE_GOAL,
            "item_within_2x_plain_attribute": item <= ATTRIBUTE_GOAL,
            "get_model_signature_key_within_3x_plain_attribute": method <= METHOD_GOAL,
        },
    }
