"""The exception hierarchy: every error this package raises derives from ClaritySettingsError."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dynaconf import DynaconfParseError
from dynaconf.validator import ValidationError

if TYPE_CHECKING:
    from clarity_settings.integrity import VerifiedModel


class ClaritySettingsError(Exception):
    """Root of the hierarchy, so an application can catch everything from this package at once."""


class DynaconfVersionError(ClaritySettingsError, ImportError):
    """The installed dynaconf lacks a name the package needs: the message names it and the supported range."""


class ConfigurationError(ClaritySettingsError, ValueError):
    """A control variable or setting holds something the library cannot accept."""


class TokenValueError(ConfigurationError, DynaconfParseError):  # type: ignore[misc]
    """A value does not fit its typing token; also dynaconf's DynaconfParseError, which code catches."""


class SsmMappingError(ConfigurationError):
    """SSM parameters that cannot become settings, such as two names claiming one key."""


class SsmUnavailableError(ClaritySettingsError):
    """SSM could not be read and the caller asked for errors instead of a silent fallback."""


class RefreshDeadlineError(ClaritySettingsError):
    """A refresh's sources did not answer within its deadline: it was abandoned, the values held stay."""


class PublishError(ClaritySettingsError):
    """Publishing stopped partway: the message names the parameters written and those not written."""


class InvalidSettingError(ClaritySettingsError, ValidationError):  # type: ignore[misc]
    """A validator rejected a setting; also a dynaconf ValidationError so dynaconf code catches it."""

    def __init__(self, message: str, *, details: list[tuple[Any, str]]) -> None:
        ValidationError.__init__(self, message, details=details)


class ModelIntegrityError(ClaritySettingsError):
    """A model file must not be loaded: it is missing, unreadable, not a plain file, or not genuine."""


class ModelSetIntegrityError(ModelIntegrityError):
    """At least one of several model files failed; results holds every file's outcome."""

    def __init__(self, message: str, results: dict[str, VerifiedModel | ModelIntegrityError]) -> None:
        super().__init__(message)
        self.results = results


class SnapshotError(ClaritySettingsError):
    """A last-known-good snapshot was not written, or was refused: old, foreign, tampered, undecryptable."""

    def __init__(self, message: str, *, reason: str = "undecryptable") -> None:
        super().__init__(message)
        self.reason = reason
        """One word for metrics: missing, unreadable, foreign, too_old, undecryptable."""
