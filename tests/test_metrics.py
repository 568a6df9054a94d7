"""Metrics: stable names, what each request, refresh and callback records, and the two exporters.

Requests are counted from botocore's event system while the library talks to moto through the proxy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from prometheus_client.parser import text_string_to_metric_families

from clarity_settings import metrics
from clarity_settings.errors import InvalidSettingError, SsmUnavailableError
from clarity_settings.metrics import otel, prometheus, recording
from clarity_settings.names import MODEL_SIZES
from tests.conftest import PREFIX, PRODUCTION_PREFIX, Project, Ssm, eventually, production, publish
from tests.ssm_proxy import ACCESS_DENIED, DROP, THROTTLE

STABLE_NAMES = [
    "clarity.source.requests",
    "clarity.source.retries",
    "clarity.refresh.duration",
    "clarity.refreshes",
    "clarity.source.age",
    "clarity.source.parameters",
    "clarity.settings.stale",
    "clarity.settings.changes",
    "clarity.change_callback.calls",
    "clarity.snapshot.writes",
    "clarity.snapshot.restores",
]
GETS = {"source": "ssm", "api": "GetParametersByPath"}


@pytest.fixture
def on() -> Iterator[None]:
    """Metrics recording from zero, with no settings object of an earlier test still watched."""
    recording.forget_watched()
    metrics.reset()
    metrics.enable()
    yield
    metrics.disable()
    metrics.reset()


def value(name: str, **attributes: str) -> float:
    """A point's value (a histogram's count), 0 when no point has exactly these attributes."""
    for point in metrics.snapshot()[name]["points"]:
        if point["attributes"] == attributes:
            return float(point.get("value", point.get("count", 0)))
    return 0.0


@pytest.fixture
def warm(project: Project, ssm_on: Ssm, on: None) -> Any:
    """Development settings loaded from SSM (version 1 of the model secrets)."""
    publish(ssm_on, 1)
    settings = project.settings()
    settings.instance  # noqa: B018 - the first load
    return settings


def test_every_instrument_is_in_the_snapshot_by_its_stable_name() -> None:
    assert list(metrics.snapshot()) == STABLE_NAMES


def test_nothing_is_recorded_while_metrics_are_off(project: Project, ssm_on: Ssm) -> None:
    metrics.disable()
    metrics.reset()
    publish(ssm_on, 1)
    project.settings().refresh_now()
    assert [name for name, instrument in metrics.snapshot().items() if instrument["points"]] == []


def test_each_request_is_counted_by_source_api_and_outcome(warm: Any, ssm_on: Ssm) -> None:
    assert (
        value("clarity.source.requests", **GETS, outcome="ok") == ssm_on.proxy.requests["GetParametersByPath"]
    )


@pytest.mark.parametrize(
    ("fault", "outcome"), [(THROTTLE, "throttled"), (ACCESS_DENIED, "denied"), (DROP, "error")]
)
def test_a_failed_request_is_counted_by_its_outcome(
    project: Project, ssm_on: Ssm, on: None, fault: Any, outcome: str
) -> None:
    ssm_on.proxy.fail_every(fault)
    project.settings().instance  # noqa: B018 - the first load, in development: falls back at once
    assert value("clarity.source.requests", **GETS, outcome=outcome) >= 1


def test_a_request_botocore_sent_again_is_counted_as_a_retry(project: Project, ssm_on: Ssm, on: None) -> None:
    ssm_on.proxy.fail_every(THROTTLE)
    project.settings().instance  # noqa: B018 - AWS_MAX_ATTEMPTS=2: one retry per page
    assert value("clarity.source.retries", **GETS) == ssm_on.proxy.requests["GetParametersByPath"] - 1


def test_a_refresh_that_changes_nothing_is_counted_unchanged(warm: Any) -> None:
    warm.refresh_now()
    assert value("clarity.refreshes", outcome="unchanged") == 1


def test_a_refresh_that_changes_a_value_is_counted_swapped(warm: Any, ssm_on: Ssm) -> None:
    publish(ssm_on, 2)
    warm.refresh_now()
    assert value("clarity.refreshes", outcome="swapped") == 1


def test_changed_settings_are_counted_without_their_names_by_default(warm: Any, ssm_on: Ssm) -> None:
    publish(ssm_on, 2)
    warm.refresh_now()
    assert metrics.snapshot()["clarity.settings.changes"]["points"] == [{"attributes": {}, "value": 2.0}]


def test_changed_settings_are_named_when_the_user_opts_in(warm: Any, ssm_on: Ssm) -> None:
    metrics.enable(key_names=True)
    ssm_on.put(f"{PREFIX}/model_signature_key", "key-2")
    warm.refresh_now()
    assert value("clarity.settings.changes", key="MODEL_SIGNATURE_KEY") == 1


def test_a_refresh_ssm_cannot_answer_is_counted_failed(warm: Any, ssm_on: Ssm) -> None:
    ssm_on.proxy.fail_every(DROP)
    with pytest.raises(SsmUnavailableError):
        warm.refresh_now()
    assert value("clarity.refreshes", outcome="failed") == 1


def test_every_refresh_is_timed(warm: Any, ssm_on: Ssm) -> None:
    warm.refresh_now()
    ssm_on.proxy.fail_every(DROP)
    with pytest.raises(SsmUnavailableError):
        warm.refresh_now()
    assert (
        value("clarity.refresh.duration", outcome="unchanged"),
        value("clarity.refresh.duration", outcome="failed"),
    ) == (
        1,
        1,
    )


def test_a_refused_refresh_names_the_rule_and_never_the_value(project: Project, ssm: Ssm, on: None) -> None:
    production(use_ssm=True)
    ssm.put(f"{PRODUCTION_PREFIX}/model_signature_key", "strong-production-key-" + "s" * 20)
    ssm.put(f"{PRODUCTION_PREFIX}/expected_model_checksums", json.dumps({s: "e" * 64 for s in MODEL_SIZES}))
    settings = project.settings()
    settings.instance  # noqa: B018 - the first load
    ssm.put(f"{PRODUCTION_PREFIX}/model_signature_key", "too-short-key")
    with pytest.raises(InvalidSettingError):
        settings.refresh_now()
    assert metrics.snapshot()["clarity.refreshes"]["points"] == [
        {"attributes": {"outcome": "refused", "rule": "signature_key"}, "value": 1.0}
    ]


def test_change_callbacks_are_counted_by_outcome(warm: Any, ssm_on: Ssm) -> None:
    def failing(_changed: frozenset[str]) -> None:
        raise RuntimeError

    warm.on_change(lambda _changed: None)
    warm.on_change(failing)
    publish(ssm_on, 2)
    warm.refresh_now()
    eventually(lambda: value("clarity.change_callback.calls", outcome="failed") == 1)
    assert value("clarity.change_callback.calls", outcome="ok") == 1


def test_a_fresh_set_is_not_stale(warm: Any) -> None:
    assert value("clarity.settings.stale") == 0


def test_a_set_kept_through_a_failed_refresh_is_stale(warm: Any, ssm_on: Ssm) -> None:
    ssm_on.proxy.fail_every(DROP)
    with pytest.raises(SsmUnavailableError):
        warm.refresh_now()
    assert value("clarity.settings.stale") == 1


def test_the_age_of_the_values_from_ssm_is_reported(warm: Any) -> None:
    assert 0 <= value("clarity.source.age", source="ssm") < 60


def test_the_parameters_held_from_ssm_are_counted(warm: Any) -> None:
    assert value("clarity.source.parameters", source="ssm") == 2


def test_no_metric_carries_a_value(warm: Any, ssm_on: Ssm) -> None:
    secret = "metric-secret-value-5e4d3c2b1a"
    ssm_on.put(f"{PREFIX}/api_token", secret)
    metrics.enable(key_names=True)
    warm.refresh_now()
    assert secret not in json.dumps(metrics.snapshot())


class _Response(NamedTuple):
    status_code: int


@given(code=st.sampled_from(["ThrottlingException", "AccessDeniedException", "InternalError"]) | st.text())
def test_every_error_answer_is_one_of_the_three_failure_outcomes(code: str) -> None:
    outcome = recording.outcome_of((_Response(400), {"Error": {"Code": code}}), None)
    assert outcome in {"throttled", "denied", "error"}


def test_prometheus_text_counts_requests_under_the_mapped_name(warm: Any, ssm_on: Ssm) -> None:
    text, _ = prometheus.exposition()
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text.decode())
        for sample in family.samples
    }
    key = (
        "clarity_source_requests_total",
        (("api", "GetParametersByPath"), ("outcome", "ok"), ("source", "ssm")),
    )
    assert samples[key] == ssm_on.proxy.requests["GetParametersByPath"]


def test_prometheus_text_has_the_refresh_histogram_in_seconds(warm: Any) -> None:
    warm.refresh_now()
    text, _ = prometheus.exposition()
    assert 'clarity_refresh_duration_seconds_count{outcome="unchanged"} 1.0' in text.decode()


def test_opentelemetry_receives_every_instrument_that_has_points(warm: Any) -> None:
    reader = InMemoryMetricReader()
    otel.register(MeterProvider(metric_readers=[reader]))
    warm.refresh_now()
    data = reader.get_metrics_data()
    assert data is not None
    exported = {
        metric.name
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    assert exported == {name for name, instrument in metrics.snapshot().items() if instrument["points"]}


def test_metrics_turn_on_from_the_environment(tmp_path: Any) -> None:
    code = "from clarity_settings import metrics; print(metrics.enabled())"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "CLARITY_METRICS": "true"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "True"
