"""The guide's secrets-manager API, reading through the same settings object as application code.

There is no second fetch path: every value comes from the settings object, a ClaritySettings
(whose TTL, single-flight refresh and atomic swap live in freshness.py) or, for Flask and Django,
any Dynaconf object built from dynaconf_options(), which loads once.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from clarity_settings import control, provenance, schema, ssm_state
from clarity_settings.errors import ConfigurationError
from clarity_settings.freshness import Clock, freshness_of
from clarity_settings.options import create_settings
from clarity_settings.ssm_state import SsmContext
from clarity_settings.validators import cache_ttl_problem

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

SERVICE: Final = "secrets_manager"
SECRETS: Final = schema.GUIDE_VARIABLES


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
            context = SsmContext(
                use_ssm=use_ssm, prefix=_checked_prefix(ssm_prefix), region=region, client=client
            )
            settings = create_settings(ssm_context=context, cache_ttl_seconds=cache_ttl_seconds, clock=clock)
        elif any(option is not None for option in (ssm_prefix, region, cache_ttl_seconds, use_ssm, client)):
            raise TypeError("give either settings or the SSM options (ssm_prefix, region, ...), not both")
        self.settings = settings
        self.freshness = freshness_of(settings)

    def __repr__(self) -> str:
        context = self.freshness.ssm_context
        return f"SecretsManager(ssm_prefix={context.prefix!r}, ssm_status={context.health.status!r})"

    def get_model_signature_key(self) -> str:
        """The current HMAC key for model checksums."""
        key = self.get_string(schema.SIGNATURE_KEY)
        if key is None:
            raise ConfigurationError(
                f"{schema.SIGNATURE_KEY} is not configured: set <prefix>/model_signature_key in SSM "
                f"or {schema.SIGNATURE_KEY} in the environment"
            )
        return key

    def get_model_signature_keys(self) -> list[str]:
        """The current key first, then MODEL_SIGNATURE_KEY_PREVIOUS during a rotation."""
        keys = [self.get_model_signature_key()]
        previous = self.get_string(schema.PREVIOUS_SIGNATURE_KEY)
        if previous is not None and previous not in keys:
            keys.append(previous)
        return keys

    def get_model_checksums(self) -> dict[str, str]:
        """Model size to signed checksum, as a plain dict the caller may keep."""
        checksums = self.get_json(schema.CHECKSUMS) or {}
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
        return _plain(value)

    def _lookup(self, key: str, env_var: str | None) -> object:
        try:
            value = getattr(self.settings, key.upper())
        except AttributeError:
            value = self.settings.get(key.upper())
        if value is None and env_var is not None:
            value = os.environ.get(env_var)
        return value

    def refresh_cache(self, key: str | None = None) -> None:
        """Forget cached values: the next read fetches them (one key or all cost the same single read)."""
        if key is not None and not isinstance(key, str):
            raise TypeError("key must be a setting name such as 'model_signature_key'")
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
            "use_ssm": health.status != ssm_state.DISABLED,
            "ssm_prefix": context.prefix or control.resolve_prefix(settings, env),
            "ssm_status": _ssm_status(health),
            "security": "reduced" if _reduced(settings) else "full",
            "cache_size": _ssm_value_count(settings),
            "cache_ttl_seconds": self.freshness.ttl_seconds(),
            "last_error": _last_error(health),
            "secrets": {name: self._secret_report(name) for name in SECRETS},
        }
        if probe:
            report["ssm_probe"] = _probe(context, report["ssm_prefix"]) if report["use_ssm"] else "disabled"
        return report

    def _secret_report(self, name: str) -> dict[str, Any]:
        settings = self.settings
        if settings.get(name) is None:
            return {"configured": False, "source": None, "age_seconds": None, "stale": False}
        source = provenance.source_kind(settings, name)
        loaded_at = ssm_state.loaded_at(self.freshness.instance) if source == "ssm" else None
        age = None if loaded_at is None else round(max(0.0, time.time() - loaded_at), 3)
        return {
            "configured": True,
            "source": source,
            "age_seconds": age,
            "stale": source == "ssm" and self.freshness.stale,
        }


def _checked_prefix(prefix: str | None) -> str | None:
    if prefix is None:
        return None
    problem = schema.ssm_prefix_problem(prefix)
    if problem is not None:
        raise ConfigurationError(f"ssm_prefix {problem}: use a path such as /clarity/production")
    return prefix.rstrip("/")


def _ssm_status(health: ssm_state.SsmHealth) -> str:
    return (
        ssm_state.UNHEALTHY
        if health.status == ssm_state.UNHEALTHY
        else (
            ssm_state.DISABLED
            if health.status in {ssm_state.DISABLED, ssm_state.UNKNOWN}
            else ssm_state.HEALTHY
        )
    )


def _last_error(health: ssm_state.SsmHealth) -> dict[str, str] | None:
    if health.last_error_code is None or health.last_error_at is None:
        return None
    at = datetime.fromtimestamp(health.last_error_at, tz=UTC).isoformat(timespec="seconds")
    return {"code": health.last_error_code, "at": at}


def _reduced(settings: Any) -> bool:
    key = settings.get(schema.SIGNATURE_KEY)
    checksums = settings.get(schema.CHECKSUMS)
    weak_key = not isinstance(key, str) or schema.is_placeholder_key(key)
    weak_checksums = not isinstance(checksums, Mapping) or schema.are_placeholder_checksums(checksums)
    return weak_key or weak_checksums


def _ssm_value_count(settings: Any) -> int:
    return sum(1 for key in settings.as_dict() if provenance.source_kind(settings, key) == "ssm")


def _probe(context: SsmContext, prefix: str) -> str:
    """One GetParametersByPath request, undecrypted: allowed by the least-privilege policy, shows no value."""
    from botocore.exceptions import BotoCoreError, ClientError

    from loaders import ssm_loader

    client = context.injected_client() or ssm_loader.ssm_client(context.region)
    try:
        client.get_parameters_by_path(Path=prefix, Recursive=True, WithDecryption=False, MaxResults=1)
    except (BotoCoreError, ClientError) as error:
        return ssm_loader.error_code(error)
    return "ok"


def _plain(value: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): _plain(v) if isinstance(v, Mapping) else v for k, v in value.items()}


_manager: SecretsManager | None = None
_manager_lock = threading.Lock()


def get_secrets_manager() -> SecretsManager:
    """The process's manager, reading through clarity_settings.settings."""
    global _manager  # noqa: PLW0603 - the one per-process instance the guide's API promises
    with _manager_lock:
        if _manager is None:
            from clarity_settings import settings

            _manager = SecretsManager(settings=settings)
        return _manager


def reset_secrets_manager() -> None:
    """Forget the process's manager, and make the package settings load afresh on their next read."""
    global _manager  # noqa: PLW0603
    from clarity_settings import settings

    with _manager_lock:
        _manager = None
        settings.unload()
