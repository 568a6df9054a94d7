"""Settings whose values a consumer imports or calls: they come only from code and settings files.

A value from SSM, the environment, ``.env`` or a mounted file is data, but ``logging.config.dictConfig``
calls the factory a ``LOGGING`` dict names (``"()": "os.system"``), and Django imports every path in
``INSTALLED_APPS``, ``MIDDLEWARE``, each cache's ``BACKEND``, ... . Whoever may write one parameter must
not be able to name code, so these settings are refused from those sources, wherever in the setting
the value lands. A pattern is a setting path in upper case; ``*`` stands for any one level.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from clarity_settings.errors import ConfigurationError

EVERYWHERE: Final = ("LOGGING", "LOGGING_CONFIG")
"""logging.config.dictConfig's shape and the callable Django (and others) hand it to."""

DJANGO: Final = (
    "ABSOLUTE_URL_OVERRIDES",
    "ASGI_APPLICATION",
    "AUTHENTICATION_BACKENDS",
    "AUTH_PASSWORD_VALIDATORS",
    "AUTH_USER_MODEL",
    "CACHES.*.BACKEND",
    "CACHES.*.KEY_FUNCTION",
    "CACHES.*.LOCATION",
    "CACHES.*.OPTIONS",
    "CSRF_FAILURE_VIEW",
    "DATABASES.*.ENGINE",
    "DATABASES.*.OPTIONS",
    "DATABASE_ROUTERS",
    "DEFAULT_AUTO_FIELD",
    "DEFAULT_EXCEPTION_REPORTER",
    "DEFAULT_EXCEPTION_REPORTER_FILTER",
    "DEFAULT_FILE_STORAGE",
    "EMAIL_BACKEND",
    "FILE_UPLOAD_HANDLERS",
    "FORMAT_MODULE_PATH",
    "FORM_RENDERER",
    "INSTALLED_APPS",
    "MESSAGE_STORAGE",
    "MIDDLEWARE",
    "MIGRATION_MODULES",
    "PASSWORD_HASHERS",
    "ROOT_URLCONF",
    "SERIALIZATION_MODULES",
    "SESSION_ENGINE",
    "SESSION_SERIALIZER",
    "SIGNING_BACKEND",
    "STATICFILES_FINDERS",
    "STATICFILES_STORAGE",
    "STORAGES.*.BACKEND",
    "TASKS.*.BACKEND",
    "TEMPLATES",
    "TEST_RUNNER",
    "WSGI_APPLICATION",
)
"""Django's settings that take an import path, a model label or a callable (from django.conf's
global_settings and Django's settings reference; tests/unit/test_code_settings.py fails when a new
Django adds a setting nobody has classified), and two that lead to code all the same: a cache's
LOCATION (Django unpickles what that server answers) and a database's OPTIONS (MySQL's and SQLite's
init_command run SQL, read_default_file reads a file)."""

OPTION: Final = "CLARITY_CODE_SETTINGS_FOR_DYNACONF"
"""The dynaconf option that carries the patterns in force: a *_FOR_DYNACONF name, which no source
outside code and settings files can set (the contract refuses dynaconf options by name)."""

Pattern = tuple[str, ...]


def patterns_for(
    *,
    extra: Iterable[str] = (),
    allowed_from_outside: Iterable[str] = (),
    builtin: Iterable[str] = EVERYWHERE,
) -> tuple[str, ...]:
    """The patterns in force: the built-in ones and the caller's, less those code explicitly allows.

    Only a built-in pattern can be allowed, each by its exact name, so a typo cannot quietly open a door.
    """
    builtin = tuple(builtin)
    allowed = {_normal(name) for name in allowed_from_outside}
    unknown = sorted(allowed - {_normal(name) for name in builtin})
    if unknown:
        raise ConfigurationError(
            f"code_settings_from_outside names {', '.join(unknown)}, which is not a built-in code setting "
            f"(built-in: {', '.join(builtin)})"
        )
    chosen = [_normal(name) for name in (*builtin, *extra) if _normal(name) not in allowed]
    return tuple(dict.fromkeys(chosen))


def _normal(name: str) -> str:
    return str(name).strip().upper()


@dataclass(frozen=True)
class CodeSettings:
    """The patterns in force for one settings object, matched against the paths a source sets."""

    patterns: tuple[Pattern, ...]

    @classmethod
    def of(cls, obj: Any) -> CodeSettings:
        """What code put in a settings instance's options, else (or for None) the built-in patterns."""
        given = dict.get(obj.store, OPTION) if obj is not None else None
        names = EVERYWHERE if given is None else tuple(str(name) for name in given)
        return cls(tuple(tuple(name.upper().split(".")) for name in names))

    @functools.cached_property
    def tops(self) -> frozenset[str]:
        """The settings any pattern starts with: a path under none of them needs no closer look."""
        return frozenset(pattern[0] for pattern in self.patterns)

    def match(self, path: tuple[str, ...]) -> str | None:
        """The pattern a setting path falls under (at it, or below it), or None."""
        if path[0] not in self.tops:
            return None
        for pattern in self.patterns:
            if len(path) >= len(pattern) and all(
                want in ("*", have) for want, have in zip(pattern, path, strict=False)
            ):
                return ".".join(pattern)
        return None
