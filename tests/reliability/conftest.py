"""Figures the reliability tests measure, written to one JSON file for docs/RELIABILITY.md."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FIGURES: dict[str, dict[str, Any]] = {}


@pytest.fixture(scope="session", autouse=True)
def figures_file() -> Iterator[None]:
    """At the end of the run, write every recorded figure (RELIABILITY_FIGURES names the file)."""
    yield
    if FIGURES:
        path = Path(os.environ.get("RELIABILITY_FIGURES", "build/reliability-figures.json"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(FIGURES, indent=2, sort_keys=True) + "\n")


def record(case: str, **figures: Any) -> None:
    """Keep one case's figures for the report."""
    FIGURES[case] = figures
