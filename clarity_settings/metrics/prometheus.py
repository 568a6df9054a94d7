"""The instruments as Prometheus metrics through prometheus_client (the ``metrics`` extra).

Names follow OpenTelemetry's Prometheus mapping: dots become underscores, seconds get ``_seconds``,
counters ``_total``; ``clarity.source.requests`` is ``clarity_source_requests_total``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from clarity_settings.metrics import instruments
from clarity_settings.metrics.instruments import Instrument, Kind


def prometheus_name(instrument: Instrument) -> str:
    """The Prometheus name, without the _total a counter's samples add."""
    name = instrument.name.replace(".", "_")
    return f"{name}_seconds" if instrument.unit == "s" else name


class ClarityCollector(Collector):
    """Collects every instrument at scrape time; nothing is kept twice."""

    def collect(self) -> Iterator[Metric]:
        """One metric family per instrument."""
        for instrument in instruments.INSTRUMENTS:
            yield _family(instrument)


def _family(instrument: Instrument) -> Metric:
    name, labels = prometheus_name(instrument), list(instrument.attributes)
    points = instruments.points(instrument)
    if instrument.kind is Kind.HISTOGRAM:
        histogram = HistogramMetricFamily(name, instrument.description, labels=labels)
        for point in points:
            histogram.add_metric(_values(point, labels), _cumulative(point["buckets"]), point["sum"])
        return histogram
    family_of = CounterMetricFamily if instrument.kind is Kind.COUNTER else GaugeMetricFamily
    family = family_of(name, instrument.description, labels=labels)
    for point in points:
        family.add_metric(_values(point, labels), point["value"])
    return family


def _values(point: dict[str, Any], labels: list[str]) -> list[str]:
    """Every label the instrument declares, empty where this point does not carry it."""
    return [point["attributes"].get(label, "") for label in labels]


def _cumulative(buckets: dict[str, int]) -> list[tuple[str, float]]:
    total, cumulative = 0, []
    for bound, count in buckets.items():
        total += count
        cumulative.append((bound, float(total)))
    return cumulative


_OWN: CollectorRegistry | None = None


def register(registry: CollectorRegistry = REGISTRY) -> None:
    """Add the instruments to a registry (prometheus_client's default unless given); metrics on."""
    registry.register(ClarityCollector())
    instruments.enable(key_names=instruments.key_names())


def exposition() -> tuple[bytes, str]:
    """The instruments alone as Prometheus text and its content type, for a /metrics view."""
    global _OWN  # noqa: PLW0603 - one registry of the package's own, made on first use
    if _OWN is None:
        _OWN = CollectorRegistry(auto_describe=True)
        _OWN.register(ClarityCollector())
    return generate_latest(_OWN), CONTENT_TYPE_LATEST
