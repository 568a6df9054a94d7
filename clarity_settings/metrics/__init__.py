"""Metrics an operator can alert on: requests, retries, refreshes, ages, staleness, callbacks, snapshots.

Off by default: ``CLARITY_METRICS=true`` or ``enable()`` turns recording on. ``snapshot()`` returns
every instrument by name, with no dependency; ``clarity_settings.metrics.otel.register()`` exposes
them through the OpenTelemetry metrics API and ``clarity_settings.metrics.prometheus`` as Prometheus
text (the ``metrics`` extra installs both). A read of a setting never records anything.
"""

from clarity_settings.metrics.instruments import INSTRUMENTS, disable, enable, enabled, reset, snapshot

__all__ = ["INSTRUMENTS", "disable", "enable", "enabled", "reset", "snapshot"]
