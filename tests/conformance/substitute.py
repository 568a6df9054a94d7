"""pytest plugin: ClaritySettings wherever dynaconf's tests, FlaskDynaconf or DjangoDynaconf use LazySettings.

Imported before any test module, so ``from dynaconf import Dynaconf`` in a test binds ours; dynaconf's
global ``settings`` object, made when dynaconf was imported, is made again from our class.
"""

from __future__ import annotations

import dynaconf
import dynaconf.base
from dynaconf.constants import DEFAULT_SETTINGS_FILES

from clarity_settings.settings import ClaritySettings

dynaconf.Dynaconf = dynaconf.LazySettings = dynaconf.base.LazySettings = ClaritySettings
dynaconf.settings = ClaritySettings(
    environments=True, lowercase_read=False, load_dotenv=True, default_settings_paths=DEFAULT_SETTINGS_FILES
)
