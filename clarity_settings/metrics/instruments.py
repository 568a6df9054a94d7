"""The instruments: stable names, units and attributes (OpenTelemetry's conventions), and their values.

Dependency-free: counters and histograms are kept here, gauges are observed when someone collects.
Off by default (CLARITY_METRICS=true or enable() turns them on); when off, recording is one flag
test and nothing is kept. Nothing here is on a read's path: only requests, refreshes, callbacks
and snapshots record. No instrument carries a value, and key names only with enable(key_names=True).
"""

from __future__ import annotations

import enum
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from clarity_settings import names


class Kind(enum.StrEnum):
    """How an instrument's points add up."""

    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"


@dataclass(frozen=True)
class Instrument:
    """One metric as every exporter names it: dotted name, UCUM unit, and the attribute keys it carries."""

    name: str
    kind: Kind
    unit: str
    description: str
    attributes: tuple[str, ...] = ()


REQUESTS: Final = Instrument(
    "clarity.source.requests",
    Kind.COUNTER,
    "{request}",
    "HTTP requests to a remote source's API (retries included), by outcome: ok, throttled, denied, error",
    ("source", "api", "outcome"),
)
RETRIES: Final = Instrument(
    "clarity.source.retries",
    Kind.COUNTER,
    "{request}",
    "Requests that botocore sent again after a throttled or failed one",
    ("source", "api"),
)
REFRESH_DURATION: Final = Instrument(
    "clarity.refresh.duration",
    Kind.HISTOGRAM,
    "s",
    "How long a background refresh took to build, validate and swap in a set, or to fail",
    ("outcome",),
)
REFRESHES: Final = Instrument(
    "clarity.refreshes",
    Kind.COUNTER,
    "{refresh}",
    "Refreshes by outcome: swapped, unchanged, refused (with the rule that refused it), failed",
    ("outcome", "rule"),
)
SOURCE_AGE: Final = Instrument(
    "clarity.source.age",
    Kind.GAUGE,
    "s",
    "Seconds since the values held from each remote source were read (a snapshot: since it was written)",
    ("source",),
)
PARAMETERS: Final = Instrument(
    "clarity.source.parameters",
    Kind.GAUGE,
    "{parameter}",
    "Values held from each remote source",
    ("source",),
)
STALE: Final = Instrument(
    "clarity.settings.stale",
    Kind.GAUGE,
    "1",
    "1 while the values held predate a failed refresh or came from a snapshot, else 0",
)
CHANGES: Final = Instrument(
    "clarity.settings.changes",
    Kind.COUNTER,
    "{setting}",
    "Top-level settings a refresh changed (by key only with enable(key_names=True))",
    ("key",),
)
CALLBACKS: Final = Instrument(
    "clarity.change_callback.calls",
    Kind.COUNTER,
    "{call}",
    "Change callbacks run, by outcome: ok, failed",
    ("outcome",),
)
SNAPSHOT_WRITES: Final = Instrument(
    "clarity.snapshot.writes",
    Kind.COUNTER,
    "{write}",
    "Last-known-good snapshots written after a validated load, by outcome: ok, failed",
    ("outcome",),
)
SNAPSHOT_RESTORES: Final = Instrument(
    "clarity.snapshot.restores",
    Kind.COUNTER,
    "{restore}",
    "Cold starts a snapshot was asked to stand in for: restored, or refused with the reason",
    ("outcome", "reason"),
)
INSTRUMENTS: Final = (
    REQUESTS,
    RETRIES,
    REFRESH_DURATION,
    REFRESHES,
    SOURCE_AGE,
    PARAMETERS,
    STALE,
    CHANGES,
    CALLBACKS,
    SNAPSHOT_WRITES,
    SNAPSHOT_RESTORES,
)
DURATION_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
"""Upper bounds, in seconds, from a cached refresh to the refresh deadline."""

Attributes = tuple[tuple[str, str], ...]
Observation = tuple[Mapping[str, str], float]
Observer = Callable[[], Iterable[Observation]]
HistogramListener = Callable[[Instrument, float, Mapping[str, str]], None]


@dataclass
class _Histogram:
    count: int = 0
    total: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(DURATION_BUCKETS) + 1))


@dataclass
class _State:
    on: bool
    key_names: bool = False
    counters: dict[str, dict[Attributes, float]] = field(default_factory=dict)
    histograms: dict[str, dict[Attributes, _Histogram]] = field(default_factory=dict)
    observers: dict[str, list[Observer]] = field(default_factory=dict)
    listeners: list[HistogramListener] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


_STATE: Final = _State(
    on=names.parse_switch(os.environ.get(names.control_variable(names.METRICS)), names.METRICS) is True
)


def enable(*, key_names: bool = False) -> None:
    """Start recording; key_names=True lets clarity.settings.changes name the keys a refresh changed."""
    _STATE.on, _STATE.key_names = True, key_names


def disable() -> None:
    """Stop recording; what was recorded stays until reset()."""
    _STATE.on = False


def enabled() -> bool:
    """Whether anything is recorded (the one test every recording site makes first)."""
    return _STATE.on


def key_names() -> bool:
    """Whether the user opted in to key names as attributes."""
    return _STATE.key_names


def reset() -> None:
    """Forget every counter and histogram (tests; a process that wants to start counting again)."""
    with _STATE.lock:
        _STATE.counters.clear()
        _STATE.histograms.clear()


def add(instrument: Instrument, amount: float = 1.0, /, **attributes: str) -> None:
    """Count on a counter, when on."""
    if not _STATE.on:
        return
    key = _key(instrument, attributes)
    with _STATE.lock:
        points = _STATE.counters.setdefault(instrument.name, {})
        points[key] = points.get(key, 0.0) + amount


def record(instrument: Instrument, value: float, /, **attributes: str) -> None:
    """One observation of a histogram, when on; an OpenTelemetry exporter hears it too."""
    if not _STATE.on:
        return
    key = _key(instrument, attributes)
    with _STATE.lock:
        point = _STATE.histograms.setdefault(instrument.name, {}).setdefault(key, _Histogram())
        point.count += 1
        point.total += value
        point.buckets[next((i for i, bound in enumerate(DURATION_BUCKETS) if value <= bound), -1)] += 1
        listeners = list(_STATE.listeners)
    for listener in listeners:
        listener(instrument, value, dict(key))


def observe(instrument: Instrument, observer: Observer) -> None:
    """Have a gauge's points computed by observer whenever metrics are collected."""
    _STATE.observers.setdefault(instrument.name, []).append(observer)


def listen(listener: HistogramListener) -> None:
    """Hear every histogram observation as it is made (OpenTelemetry has no observable histogram)."""
    with _STATE.lock:
        _STATE.listeners.append(listener)


def _key(instrument: Instrument, attributes: Mapping[str, str]) -> Attributes:
    # NOTE: only the instrument's declared attributes are kept, so no caller can attach anything else.
    return tuple((name, str(attributes[name])) for name in instrument.attributes if name in attributes)


def points(instrument: Instrument) -> list[dict[str, Any]]:
    """The instrument's current points, each with its attributes as a dict (empty when off)."""
    if instrument.kind is Kind.GAUGE:
        return _gauge_points(instrument) if _STATE.on else []
    with _STATE.lock:
        if instrument.kind is Kind.COUNTER:
            counted = _STATE.counters.get(instrument.name, {})
            return [{"attributes": dict(key), "value": value} for key, value in counted.items()]
        observed = _STATE.histograms.get(instrument.name, {})
        return [
            {
                "attributes": dict(key),
                "count": point.count,
                "sum": point.total,
                "buckets": dict(zip([*map(str, DURATION_BUCKETS), "+Inf"], point.buckets, strict=True)),
            }
            for key, point in observed.items()
        ]


def _gauge_points(instrument: Instrument) -> list[dict[str, Any]]:
    """Every observer's points, the largest value kept where two report the same attributes."""
    largest: dict[Attributes, float] = {}
    for observer in _STATE.observers.get(instrument.name, []):
        for attributes, value in observer():
            key = _key(instrument, attributes)
            largest[key] = max(value, largest.get(key, value))
    return [{"attributes": dict(key), "value": value} for key, value in largest.items()]


def snapshot() -> dict[str, dict[str, Any]]:
    """Every instrument by name: kind, unit, description and points (a dict any health route can return)."""
    return {
        instrument.name: {
            "kind": str(instrument.kind),
            "unit": instrument.unit,
            "description": instrument.description,
            "points": points(instrument),
        }
        for instrument in INSTRUMENTS
    }
