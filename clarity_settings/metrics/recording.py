"""Where the library records: each HTTP attempt of its AWS clients, each refresh, callback and snapshot.

Requests are counted from botocore's own event system (needs-retry fires once after every attempt),
so nothing in botocore is patched. Gauges are computed from the settings objects being watched, only
when someone collects. Every function here returns at once while metrics are off.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterable, Iterator
from typing import Any, Final, Protocol

from clarity_settings import remote
from clarity_settings.errors import (
    ClaritySettingsError,
    InvalidSettingError,
    RefreshDeadlineError,
    SsmUnavailableError,
)
from clarity_settings.metrics import instruments
from clarity_settings.metrics.instruments import Observation
from clarity_settings.ssm.read import RETRIED_CODES

_HANDLER_ID: Final = "clarity-settings-metrics"
_DENIED: Final = frozenset({"AccessDeniedException", "AccessDenied", "UnrecognizedClientException"})


def count_requests(client: Any, source: str) -> None:
    """Count every attempt this botocore client makes (once per client, however often asked)."""

    def attempted(
        *,
        attempts: int,
        operation: Any,
        response: Any = None,
        caught_exception: object = None,
        **_: Any,
    ) -> None:
        if not instruments.enabled():
            return
        api = str(operation.name)
        instruments.add(
            instruments.REQUESTS, source=source, api=api, outcome=outcome_of(response, caught_exception)
        )
        if attempts > 1:
            instruments.add(instruments.RETRIES, source=source, api=api)

    client.meta.events.register(f"needs-retry.{source}", attempted, unique_id=f"{_HANDLER_ID}-{source}")


def outcome_of(response: Any, caught_exception: object) -> str:
    """ok, throttled, denied or error: one HTTP attempt as an operator alerts on it."""
    if caught_exception is not None or response is None:
        return "error"
    http, parsed = response
    if http.status_code < 300:
        return "ok"
    code = str(parsed.get("Error", {}).get("Code", ""))
    if code in RETRIED_CODES or code.startswith("Throttl"):
        return "throttled"
    return "denied" if code in _DENIED else "error"


class Refresh:
    """One refresh being timed: finished by exactly one of swapped() or failed()."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def swapped(self, changed: frozenset[str]) -> None:
        """The new set is in: swapped when a value changed, else unchanged; changed keys counted."""
        self._finish("swapped" if changed else "unchanged")
        if changed and instruments.enabled():
            if instruments.key_names():
                for key in changed:
                    instruments.add(instruments.CHANGES, key=key)
            else:
                instruments.add(instruments.CHANGES, len(changed))

    def failed(self, error: BaseException) -> None:
        """The current set stays: refused by a rule (named), or failed (a source unreadable or too slow)."""
        unreadable = isinstance(error, SsmUnavailableError | RefreshDeadlineError)
        refused = isinstance(error, ClaritySettingsError) and not unreadable
        self._finish("refused" if refused else "failed", rule_of(error) if refused else "")

    def _finish(self, outcome: str, rule: str = "") -> None:
        if not instruments.enabled():
            return
        attributes = {"outcome": outcome, **({"rule": rule} if rule else {})}
        instruments.record(instruments.REFRESH_DURATION, time.perf_counter() - self.started, outcome=outcome)
        instruments.add(instruments.REFRESHES, **attributes)


def rule_of(error: BaseException) -> str:
    """The rule that refused a set, by the rule's own name (signature_key, checksums, ...), never a value."""
    if isinstance(error, InvalidSettingError):
        validator = error.details[0][0] if error.details else None
        check = getattr(validator, "check", None)
        return str(getattr(check, "__name__", "validator")).removesuffix("_problem")
    return type(error).__name__


def callback_ran(*, failed: bool) -> None:
    """A change callback returned, or raised."""
    instruments.add(instruments.CALLBACKS, outcome="failed" if failed else "ok")


def snapshot_written(*, failed: bool) -> None:
    """A snapshot was written after a validated load, or could not be."""
    instruments.add(instruments.SNAPSHOT_WRITES, outcome="failed" if failed else "ok")


def snapshot_restored(reason: str = "") -> None:
    """A cold start asked the snapshot to stand in: restored (no reason), or refused for reason."""
    if reason:
        instruments.add(instruments.SNAPSHOT_RESTORES, outcome="refused", reason=reason)
    else:
        instruments.add(instruments.SNAPSHOT_RESTORES, outcome="restored")


class Watched(Protocol):
    """What the gauges read of a settings object (ClaritySettings)."""

    @property
    def configured(self) -> bool:
        """Whether a set is loaded."""

    @property
    def instance(self) -> Any:
        """The loaded set."""

    @property
    def stale(self) -> bool:
        """Whether the values held predate a failed refresh or came from a snapshot."""


_WATCHED: Final[weakref.WeakSet[Any]] = weakref.WeakSet()


def watch(settings: Watched) -> None:
    """Report this object's staleness, ages and counts while it lives (held weakly)."""
    _WATCHED.add(settings)


def forget_watched() -> None:
    """Stop reporting every object watched so far (tests, or a process that starts its settings over)."""
    _WATCHED.clear()


def _loaded() -> Iterator[Watched]:
    # NOTE: a copy of the set: objects may be created or collected while a collector iterates.
    return (settings for settings in list(_WATCHED) if settings.configured)


def _stale() -> Iterable[Observation]:
    return [({}, float(settings.stale)) for settings in _loaded()]


def _ages() -> Iterable[Observation]:
    return [
        ({"source": source}, age)
        for settings in _loaded()
        for source, age in remote.ages(settings.instance).items()
    ]


def _parameters() -> Iterable[Observation]:
    return [
        ({"source": source}, float(count))
        for settings in _loaded()
        for source, count in remote.value_counts(settings.instance).items()
    ]


instruments.observe(instruments.STALE, _stale)
instruments.observe(instruments.SOURCE_AGE, _ages)
instruments.observe(instruments.PARAMETERS, _parameters)
