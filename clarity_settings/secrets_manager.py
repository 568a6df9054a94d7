"""The guide's secrets-manager API, reading through the same settings object as application code.

There is no second fetch path: every value comes from the settings object, a ClaritySettings
(whose background refresh, single flight and atomic swap live in settings.py; Flask's app.config
and clarity_settings.django read one too) or any plain Dynaconf object built from
dynaconf_options(), which loads once.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Protocol

from clarity_settings import data_values, names, placeholders, provenance, remote, rules
from clarity_settings.errors import ConfigurationError, SsmUnavailableError
from clarity_settings.rules import cache_ttl_problem
from clarity_settings.settings import ClaritySettings, Clock, create_settings, keeper_of
from clarity_settings.snapshot import last_good
from clarity_settings.ssm import read
from clarity_settings.ssm.health import SsmHealth, Status
from clarity_settings.ssm.switch import SsmContext, context_of, prefix_of, prefixes_of

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

SERVICE: Final = "secrets_manager"
SECRETS: Final = names.GUIDE_VARIABLES
REFRESHED_SOURCES: Final = frozenset({*remote.SOURCES, remote.SNAPSHOT})
"""Sources a refresh reads again (or a snapshot stood in for): a value from one goes stale when one fails."""


class SecretsManager:
    """Model-integrity secrets and any other setting by name, with a health report that holds no value."""

    def __init__(
        self,
        *,
        settings: Any = None,
        ssm_prefix: str | None = None,
        region: str | None = None,
        cache_ttl_seconds: float | None = None,
        use_ssm: bool | None = None,
        client: SSMClient | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        if cache_ttl_seconds is not None and (problem := cache_ttl_problem(cache_ttl_seconds, None)):
            raise ConfigurationError(f"cache_ttl_seconds {problem}")
        if settings is None:
            context = SsmContext(use_ssm=use_ssm, prefix=ssm_prefix, region=region, client=client)
            settings = create_settings(ssm_context=context, cache_ttl_seconds=cache_ttl_seconds, clock=clock)
        elif any(option is not None for option in (ssm_prefix, region, cache_ttl_seconds, use_ssm, client)):
            raise ConfigurationError(
                "give either settings or the SSM options (ssm_prefix, region, ...), not both"
            )
        self.settings = settings
        self.freshness = freshness_of(settings)

    def __repr__(self) -> str:
        context = self.freshness.ssm_context
        return f"SecretsManager(ssm_prefix={context.prefix!r}, ssm_status={context.health.status!r})"

    def get_model_signature_key(self) -> str:
        """The current HMAC key for model checksums: one attribute read when it is text (the hot path)."""
        try:
            key = self.settings.MODEL_SIGNATURE_KEY
        except AttributeError:
            key = None
        if isinstance(key, str):
            return key
        return self._signature_key_as_text()

    def _signature_key_as_text(self) -> str:
        key = self.get_string(names.SIGNATURE_KEY)
        if key is None:
            parameter = read.parameter_for(prefix_of(self.freshness.instance), names.SIGNATURE_KEY)
            raise ConfigurationError(
                f"{names.SIGNATURE_KEY} is not configured: set the SSM parameter {parameter} "
                f"or {names.SIGNATURE_KEY} in the environment; {self.freshness.ssm_context.health.describe()}"
            )
        return key

    def get_model_signature_keys(self) -> list[str]:
        """The current key first, then MODEL_SIGNATURE_KEY_PREVIOUS during a rotation."""
        keys = [self.get_model_signature_key()]
        previous = self.get_string(names.PREVIOUS_SIGNATURE_KEY)
        if previous is not None and previous not in keys:
            keys.append(previous)
        return keys

    def get_model_checksums(self) -> dict[str, str]:
        """Model size to signed checksum, as a plain dict the caller may keep."""
        checksums = self.get_json(names.CHECKSUMS) or {}
        return {str(size): str(checksum) for size, checksum in checksums.items()}

    def get_string(self, key: str, default: str | None = None, env_var: str | None = None) -> str | None:
        """A setting as text: the settings' layers, then env_var, then default."""
        value = self._lookup(key, env_var)
        if value is None:
            return default
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise ConfigurationError(f"{key.upper()} is not text; read it with get_json or from settings")

    def get_json(
        self, key: str, default: dict[str, Any] | None = None, env_var: str | None = None
    ) -> dict[str, Any] | None:
        """A setting that is a JSON object: the settings' layers, then env_var, then default."""
        value = self._lookup(key, env_var)
        if value is None:
            return default
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ConfigurationError(f"{key.upper()} is not valid JSON") from None
        if not isinstance(value, Mapping):
            raise ConfigurationError(f"{key.upper()} is not a JSON object")
        result: dict[str, Any] = data_values.plain(value)  # type: ignore[assignment]
        return result

    def _lookup(self, key: str, env_var: str | None) -> object:
        try:
            value = getattr(self.settings, key.upper())
        except AttributeError:
            value = self.settings.get(key.upper())
        if value is None and env_var is not None:
            value = os.environ.get(env_var)
        return value

    def refresh_cache(self, key: str | None = None, *, wait: bool = True) -> None:
        """The guide's forced refresh: returns once the next read sees SSM's current values.

        The caller asked, so the caller waits (bounded by the client's timeouts and the refresh
        deadline); the whole set is read again, so one key or all cost the same. If the refresh
        fails the previous values stay and the error is raised. wait=False is
        refresh_cache_in_background().
        """
        if key is not None and not isinstance(key, str):
            raise ConfigurationError("key must be a setting name such as 'model_signature_key'")
        if wait:
            self.freshness.refresh_now()
        else:
            self.refresh_cache_in_background()

    def refresh_cache_in_background(self) -> None:
        """Ask for a refresh and return at once; readers keep the current values until it is in."""
        self.freshness.expire()

    def health_check(self, *, probe: bool = False) -> dict[str, Any]:
        """Status for health endpoints: where each secret came from, how old, whether stale; never a value."""
        settings = self.settings
        env = str(settings.current_env).lower()
        context = self.freshness.ssm_context
        health = context.health
        report: dict[str, Any] = {
            "service": SERVICE,
            "environment": env,
            "use_ssm": health.status is not Status.DISABLED,
            "ssm_prefix": ",".join(prefixes_of(self.freshness.instance, env)),
            "ssm_status": str(health.reported_status),
            "ssm_reason": health.reason or None,
            "ssm_region": health.region,
            "ssm_parameters": health.parameters,
            "security": "reduced" if _reduced(settings) else "full",
            "cache_size": _ssm_value_count(settings),
            "cache_ttl_seconds": self.freshness.ttl_seconds(),
            "last_error": _last_error(health),
            "last_change": _iso(self.freshness.last_change_at),
            "snapshot": last_good.in_use(self.freshness.instance),
            "secrets": {name: self._secret_report(name) for name in SECRETS},
        }
        if probe:
            report["ssm_probe"] = (
                read.probe(context.reading_client(), report["ssm_prefix"])
                if report["use_ssm"]
                else "disabled"
            )
        return report

    def _secret_report(self, name: str) -> dict[str, Any]:
        settings = self.settings
        if settings.get(name) is None:
            return {"configured": False, "source": None, "age_seconds": None, "stale": False}
        source = provenance.source_kind(settings, name)
        age = remote.ages(self.freshness.instance).get(source)
        return {
            "configured": True,
            "source": source,
            "age_seconds": None if age is None else round(age, 3),
            "stale": source in REFRESHED_SOURCES and self.freshness.stale,
        }


def _last_error(health: SsmHealth) -> dict[str, str] | None:
    if health.last_error_code is None or health.last_error_at is None:
        return None
    return {"code": health.last_error_code, "at": str(_iso(health.last_error_at))}


def _iso(moment: float | None) -> str | None:
    return None if moment is None else datetime.fromtimestamp(moment, tz=UTC).isoformat(timespec="seconds")


def _reduced(settings: Any) -> bool:
    key = settings.get(names.SIGNATURE_KEY)
    checksums = settings.get(names.CHECKSUMS)
    weak_key = not isinstance(key, str) or placeholders.is_placeholder_key(key)
    weak_checksums = not isinstance(checksums, Mapping) or placeholders.are_placeholder_checksums(checksums)
    return weak_key or weak_checksums


def _ssm_value_count(settings: Any) -> int:
    return sum(1 for key in settings.as_dict() if provenance.source_kind(settings, key) == "ssm")


class Freshness(Protocol):
    """What the secrets manager needs to know about how fresh a settings object is."""

    @property
    def instance(self) -> Any:
        """The loaded dynaconf Settings in use now."""

    @property
    def ssm_context(self) -> SsmContext:
        """The SSM overrides, client and health of the object."""

    @property
    def stale(self) -> bool:
        """Whether the values held predate an SSM read that failed."""

    def ttl_seconds(self) -> float:
        """Seconds a value from SSM stays fresh."""

    def expire(self) -> None:
        """Refresh in the background now (a load-once object reloads in this call)."""

    def refresh_now(self) -> None:
        """Fetch again before returning, or raise why the previous values stay."""

    @property
    def last_change_at(self) -> float | None:
        """When a refresh last changed a value."""


def loaded(settings: Any) -> Any:
    """The dynaconf Settings behind any settings object (ClaritySettings, LazySettings, Settings), loaded."""
    if isinstance(settings, ClaritySettings):
        return settings.instance
    settings.current_env  # noqa: B018 - any attribute read makes a LazySettings load
    return getattr(settings, "_wrapped", settings)


class LoadedOnce:
    """The freshness of a plain Dynaconf object built from dynaconf_options() (Flask, Django): loaded once."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    @property
    def instance(self) -> Any:
        """The dynaconf Settings behind a LazySettings, loaded if it was not yet."""
        return loaded(self.settings)

    @property
    def ssm_context(self) -> SsmContext:
        """The context the SSM loader attached to the loaded settings."""
        return context_of(self.instance)

    @property
    def stale(self) -> bool:
        """Values are stale when the last SSM read failed."""
        return self.ssm_context.health.status is Status.UNHEALTHY

    def ttl_seconds(self) -> float:
        """SECRETS_CACHE_TTL as configured, though nothing refreshes on it here."""
        return rules.cache_ttl(self.settings.get(names.CACHE_TTL))

    def expire(self) -> None:
        """Read every layer again now: a load-once object has no next-read refresh."""
        self.settings.reload()

    @property
    def last_change_at(self) -> None:
        """Unknown: a load-once object does not compare what a reload changed."""
        return None

    def refresh_now(self) -> None:
        """Read every layer again now, and say so when SSM could not be read."""
        self.expire()
        health = self.ssm_context.health
        if health.status is Status.UNHEALTHY:
            raise SsmUnavailableError(f"SSM could not be read ({health.last_error_code})")


def freshness_of(settings: Any) -> Freshness:
    """ClaritySettings answers for itself and for the object it keeps fresh; any other loads once."""
    if isinstance(settings, ClaritySettings):
        return settings
    keeper = keeper_of(settings)
    return keeper if keeper is not None else LoadedOnce(settings)


_manager: SecretsManager | None = None
_manager_lock = threading.Lock()


def get_secrets_manager() -> SecretsManager:
    """The process's manager, reading through clarity_settings.settings (or what read_through named)."""
    global _manager  # noqa: PLW0603 - the one per-process instance the guide's API promises
    with _manager_lock:
        if _manager is None:
            from clarity_settings import settings

            _manager = SecretsManager(settings=settings)
        return _manager


def read_through(settings: Any) -> None:
    """Make the process's manager read settings: the framework's object, so both agree at every moment."""
    global _manager  # noqa: PLW0603
    with _manager_lock:
        _manager = SecretsManager(settings=settings)


def reset_secrets_manager() -> None:
    """Forget the process's manager, and make the package settings load afresh on their next read."""
    global _manager  # noqa: PLW0603
    from clarity_settings import settings

    with _manager_lock:
        _manager = None
        settings.unload()
