"""pytest plugin: each test's outcome by node id, written as JSON where CLARITY_CONFORMANCE_RECORD says."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

_outcomes: dict[str, str] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """A test passed only if every phase did; its first failure or skip names the outcome."""
    if report.failed:
        _outcomes[report.nodeid] = "failed"
    elif report.skipped:
        _outcomes.setdefault(report.nodeid, "xfailed" if hasattr(report, "wasxfail") else "skipped")
    elif report.when == "call":
        _outcomes.setdefault(report.nodeid, "passed")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the outcomes once the run is over."""
    Path(os.environ["CLARITY_CONFORMANCE_RECORD"]).write_text(json.dumps(_outcomes, sort_keys=True))
