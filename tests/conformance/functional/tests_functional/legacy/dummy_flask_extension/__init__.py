"""A Flask extension object, for dynaconf's test of loading extensions by entry point."""

from __future__ import annotations

from typing import Any


class DummyExtensionType:
    """Registers itself in app.extensions."""

    def init_app(self, app: Any) -> None:
        """As any Flask extension does."""
        app.extensions["dummy"] = self


dummy_instance = DummyExtensionType()
