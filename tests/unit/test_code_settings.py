"""contract.code_settings: the built-in list of settings that name code, kept honest against Django."""

from __future__ import annotations

import re

import pytest
from django.conf import global_settings

from clarity_settings.contract.code_settings import DJANGO, EVERYWHERE, CodeSettings, patterns_for
from clarity_settings.errors import ConfigurationError

DJANGO_DATA_SETTINGS = frozenset(
    {
        "ADMINS",
        "ALLOWED_HOSTS",
        "APPEND_SLASH",
        "CACHE_MIDDLEWARE_ALIAS",
        "CACHE_MIDDLEWARE_KEY_PREFIX",
        "CACHE_MIDDLEWARE_SECONDS",
        "CSRF_COOKIE_AGE",
        "CSRF_COOKIE_DOMAIN",
        "CSRF_COOKIE_HTTPONLY",
        "CSRF_COOKIE_NAME",
        "CSRF_COOKIE_PATH",
        "CSRF_COOKIE_SAMESITE",
        "CSRF_COOKIE_SECURE",
        "CSRF_HEADER_NAME",
        "CSRF_TRUSTED_ORIGINS",
        "CSRF_USE_SESSIONS",
        "DATABASES",
        "DATA_UPLOAD_MAX_MEMORY_SIZE",
        "DATA_UPLOAD_MAX_NUMBER_FIELDS",
        "DATA_UPLOAD_MAX_NUMBER_FILES",
        "DATETIME_FORMAT",
        "DATETIME_INPUT_FORMATS",
        "DATE_FORMAT",
        "DATE_INPUT_FORMATS",
        "DEBUG",
        "DEBUG_PROPAGATE_EXCEPTIONS",
        "DECIMAL_SEPARATOR",
        "DEFAULT_CHARSET",
        "DEFAULT_FROM_EMAIL",
        "DEFAULT_INDEX_TABLESPACE",
        "DEFAULT_TABLESPACE",
        "DISALLOWED_USER_AGENTS",
        "EMAIL_HOST",
        "EMAIL_HOST_PASSWORD",
        "EMAIL_HOST_USER",
        "EMAIL_PORT",
        "EMAIL_SSL_CERTFILE",
        "EMAIL_SSL_KEYFILE",
        "EMAIL_SUBJECT_PREFIX",
        "EMAIL_TIMEOUT",
        "EMAIL_USE_LOCALTIME",
        "EMAIL_USE_SSL",
        "EMAIL_USE_TLS",
        "FILE_UPLOAD_DIRECTORY_PERMISSIONS",
        "FILE_UPLOAD_MAX_MEMORY_SIZE",
        "FILE_UPLOAD_PERMISSIONS",
        "FILE_UPLOAD_TEMP_DIR",
        "FIRST_DAY_OF_WEEK",
        "FIXTURE_DIRS",
        "FORCE_SCRIPT_NAME",
        "FORMS_URLFIELD_ASSUME_HTTPS",
        "IGNORABLE_404_URLS",
        "INTERNAL_IPS",
        "LANGUAGES",
        "LANGUAGES_BIDI",
        "LANGUAGE_CODE",
        "LANGUAGE_COOKIE_AGE",
        "LANGUAGE_COOKIE_DOMAIN",
        "LANGUAGE_COOKIE_HTTPONLY",
        "LANGUAGE_COOKIE_NAME",
        "LANGUAGE_COOKIE_PATH",
        "LANGUAGE_COOKIE_SAMESITE",
        "LANGUAGE_COOKIE_SECURE",
        "LOCALE_PATHS",
        "LOGIN_REDIRECT_URL",
        "LOGIN_URL",
        "LOGOUT_REDIRECT_URL",
        "MANAGERS",
        "MEDIA_ROOT",
        "MEDIA_URL",
        "MONTH_DAY_FORMAT",
        "NUMBER_GROUPING",
        "PASSWORD_RESET_TIMEOUT",
        "PREPEND_WWW",
        "SECRET_KEY",
        "SECRET_KEY_FALLBACKS",
        "SECURE_CONTENT_TYPE_NOSNIFF",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY",
        "SECURE_CSP",
        "SECURE_CSP_REPORT_ONLY",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_HSTS_SECONDS",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_REDIRECT_EXEMPT",
        "SECURE_REFERRER_POLICY",
        "SECURE_SSL_HOST",
        "SECURE_SSL_REDIRECT",
        "SERVER_EMAIL",
        "SESSION_CACHE_ALIAS",
        "SESSION_COOKIE_AGE",
        "SESSION_COOKIE_DOMAIN",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_NAME",
        "SESSION_COOKIE_PATH",
        "SESSION_COOKIE_SAMESITE",
        "SESSION_COOKIE_SECURE",
        "SESSION_EXPIRE_AT_BROWSER_CLOSE",
        "SESSION_FILE_PATH",
        "SESSION_SAVE_EVERY_REQUEST",
        "SHORT_DATETIME_FORMAT",
        "SHORT_DATE_FORMAT",
        "SIGNED_COOKIE_LEGACY_SALT_FALLBACK",
        "SILENCED_SYSTEM_CHECKS",
        "STATICFILES_DIRS",
        "STATIC_ROOT",
        "STATIC_URL",
        "TEST_NON_SERIALIZED_APPS",
        "THOUSAND_SEPARATOR",
        "TIME_FORMAT",
        "TIME_INPUT_FORMATS",
        "TIME_ZONE",
        "URLIZE_ASSUME_HTTPS",
        "USE_BLANK_CHOICE_DASH",
        "USE_I18N",
        "USE_THOUSAND_SEPARATOR",
        "USE_TZ",
        "USE_X_FORWARDED_HOST",
        "USE_X_FORWARDED_PORT",
        "X_FRAME_OPTIONS",
        "YEAR_MONTH_FORMAT",
    }
)
"""Django's settings reviewed as data: no value of theirs is imported or called (DATABASES is data
but for each ENGINE, which DJANGO lists by path)."""

DOTTED_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")


def django_settings() -> set[str]:
    return {name for name in dir(global_settings) if name.isupper()}


def tops(patterns: tuple[str, ...]) -> set[str]:
    return {pattern.split(".")[0] for pattern in patterns}


def import_paths(value: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every path in a default holding a dotted path into Django's own code (found without importing)."""
    if isinstance(value, dict):
        return [
            found for key, item in value.items() for found in import_paths(item, (*path, str(key).upper()))
        ]
    if isinstance(value, list | tuple):
        return [found for item in value for found in import_paths(item, (*path, "0"))]
    if isinstance(value, str) and DOTTED_PATH.fullmatch(value) and value.startswith("django."):
        return [path]
    return []


def test_every_django_setting_is_classified_so_a_new_django_fails_here() -> None:
    unclassified = django_settings() - tops(DJANGO) - DJANGO_DATA_SETTINGS - set(EVERYWHERE)
    assert unclassified == set(), "classify each new Django setting as code (DJANGO) or data"


def test_every_django_default_naming_code_is_covered_by_a_pattern() -> None:
    patterns = CodeSettings(tuple(tuple(p.split(".")) for p in (*EVERYWHERE, *DJANGO)))
    uncovered = [
        ".".join((name, *path))
        for name in sorted(django_settings())
        for path in import_paths(getattr(global_settings, name))
        if patterns.match((name, *path)) is None
    ]
    assert uncovered == []


def test_a_pattern_matches_at_and_below_its_path_with_a_wildcard_level() -> None:
    patterns = CodeSettings((("CACHES", "*", "BACKEND"),))
    assert [patterns.match(path) for path in [("CACHES", "DEFAULT", "BACKEND"), ("CACHES", "DEFAULT")]] == [
        "CACHES.*.BACKEND",
        None,
    ]


def test_code_may_add_names_and_allow_a_built_in_one_by_name() -> None:
    chosen = patterns_for(extra=["celery_task_cls"], allowed_from_outside=["logging"])
    assert chosen == ("LOGGING_CONFIG", "CELERY_TASK_CLS")


def test_allowing_an_unknown_name_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="LOGIN, which is not a built-in code setting"):
        patterns_for(allowed_from_outside=["login"])
