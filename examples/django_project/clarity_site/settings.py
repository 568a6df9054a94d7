"""Django settings: Django's own, then every clarity setting through dynaconf's Django extension.

After the last line, django.conf.settings.MODEL_SIGNATURE_KEY comes from SSM (or the environment,
.env and settings.toml beside this file), validated, and refreshed in the background on the TTL:
Django refuses to start in staging or production without a real key.
"""

from clarity_settings import metrics
from clarity_settings.django import load

SECRET_KEY = "django-insecure-example-only"  # noqa: S105 - the example's own, not a clarity secret
DEBUG = False
ALLOWED_HOSTS = ["localhost"]
INSTALLED_APPS = ["secrets_check"]
DATABASES: dict[str, dict[str, str]] = {}
ROOT_URLCONF = "clarity_site.urls"
USE_TZ = True

metrics.enable()  # off by default (CLARITY_METRICS=true does the same); served at /metrics
settings = load(__name__)
