"""Django settings: Django's own, then every clarity setting through dynaconf's Django extension.

After the last line, django.conf.settings.MODEL_SIGNATURE_KEY comes from SSM (or the environment,
.env and settings.toml beside this file), validated: Django refuses to start in staging or
production without a real key.
"""

import dynaconf

from clarity_settings import dynaconf_options

SECRET_KEY = "django-insecure-example-only"  # noqa: S105 - the example's own, not a clarity secret
DEBUG = False
ALLOWED_HOSTS = ["localhost"]
INSTALLED_APPS = ["secrets_check"]
DATABASES: dict[str, dict[str, str]] = {}
ROOT_URLCONF = "clarity_site.urls"
USE_TZ = True

settings = dynaconf.DjangoDynaconf(__name__, **dynaconf_options())
