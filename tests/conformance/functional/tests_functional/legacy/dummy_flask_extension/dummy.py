"""A Flask extension function, for dynaconf's test of loading extensions by import path."""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Marks the app, so the test sees it ran."""
    app.is_dummy_loaded = True
