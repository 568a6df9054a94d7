"""Django through dynaconf's own extension, with the background freshness of create_settings().

At the bottom of a Django ``settings.py``::

    from clarity_settings.django import load

    settings = load(__name__)

``django.conf.settings.MODEL_SIGNATURE_KEY`` then reads the refreshed value after each TTL, and so
do ``django.conf.settings.DYNACONF`` (this object: ``on_change`` is there) and
``get_secrets_manager()``. What
Django copied into its own objects at start-up (``SECRET_KEY`` in middleware, ``DATABASES`` in its
connections) keeps its start-up value; README's "Flask and Django" gives the pattern for those.

Django imports or calls what many of its settings name (INSTALLED_APPS, MIDDLEWARE, a cache's BACKEND,
LOGGING's factories): those come only from settings.py, settings files and code, never from SSM, the
environment, .env or a mounted file (contract.code_settings.DJANGO).
"""

from __future__ import annotations

import sys
from typing import Any

from dynaconf import DjangoDynaconf

from clarity_settings.contract import code_settings
from clarity_settings.layers import dynaconf_options
from clarity_settings.secrets_manager import read_through
from clarity_settings.settings import ClaritySettings


def load(settings_module_name: str, **overrides: Any) -> ClaritySettings:
    """Every clarity layer, environment and validator in Django's settings, refreshed on the TTL."""
    builtin = (*code_settings.EVERYWHERE, *code_settings.DJANGO)
    lazy = DjangoDynaconf(
        settings_module_name, **dynaconf_options(builtin_code_settings=builtin, **overrides)
    )
    # NOTE: dynaconf keeps its settings files in SETTINGS_MODULE and sets it again at every load; Django
    # reads that name as its own settings module (runserver's "using settings ..."), so the object
    # django.conf hands out answers Django's, whatever set is swapped in beneath it.
    lazy.__dict__["SETTINGS_MODULE"] = settings_module_name
    settings = ClaritySettings.around(lazy)
    sys.modules[settings_module_name].DYNACONF = settings  # type: ignore[attr-defined]
    read_through(settings)
    return settings
