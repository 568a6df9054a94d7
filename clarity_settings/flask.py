"""Flask through dynaconf's own extension, with app.config reading the refreshed settings object.

from clarity_settings.flask import init_app

init_app(app)  # app.config["MODEL_SIGNATURE_KEY"] from clarity_settings.settings, kept fresh
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dynaconf import FlaskDynaconf

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask, settings: Any = None) -> FlaskDynaconf:
    """Make app.config read settings (the package's by default, so get_secrets_manager() agrees)."""
    if settings is None:
        from clarity_settings import settings as package_settings

        settings = package_settings
    extension = FlaskDynaconf(app, dynaconf_instance=settings)
    # NOTE: dynaconf's config also copies every setting into app.config's own dict, where a key
    # deleted from SSM would still be found after a refresh. Reads go to the settings object first,
    # so the copy only ever serves stale values: it goes.
    for key in list(settings.store):
        dict.pop(app.config, key, None)
    return extension
