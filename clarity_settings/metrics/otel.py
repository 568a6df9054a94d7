"""The instruments through the OpenTelemetry metrics API (the ``metrics`` extra).

Counters and gauges become observable instruments read at collection time; refresh durations go to
an OpenTelemetry histogram as each refresh finishes (the API has no observable histogram). Whatever
SDK and exporter the application configured then sends them on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Histogram, MeterProvider, Observation

from clarity_settings.metrics import instruments
from clarity_settings.metrics.instruments import Instrument, Kind


def register(meter_provider: MeterProvider | None = None) -> None:
    """Create every instrument on a meter of the given provider (the global one by default); metrics on.

    Call it once per provider.
    """
    meter = metrics.get_meter("clarity_settings", meter_provider=meter_provider)
    histograms: dict[str, Histogram] = {}
    for instrument in instruments.INSTRUMENTS:
        name, unit, description = instrument.name, instrument.unit, instrument.description
        if instrument.kind is Kind.COUNTER:
            meter.create_observable_counter(name, [_observer(instrument)], unit, description)
        elif instrument.kind is Kind.GAUGE:
            meter.create_observable_gauge(name, [_observer(instrument)], unit, description)
        else:
            histograms[name] = meter.create_histogram(name, unit, description)

    def on_record(instrument: Instrument, value: float, attributes: Mapping[str, str]) -> None:
        histograms[instrument.name].record(value, dict(attributes))

    instruments.listen(on_record)
    instruments.enable(key_names=instruments.key_names())


def _observer(instrument: Instrument) -> Callable[[CallbackOptions], Iterable[Observation]]:
    def observe(_options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(point["value"], point["attributes"]) for point in instruments.points(instrument)]

    return observe
