"""When a settings object refreshes, and the background thread that does it, so no reader waits on SSM.

One daemon thread per settings object per process, started after the first load, never more than
one refresh in flight. It holds the object weakly and ends when the object is collected or
closed; after fork() the child starts its own (the parent's thread does not exist there).
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
import weakref
from collections.abc import Callable
from typing import Final, Protocol, TypeVar

from clarity_settings.errors import RefreshDeadlineError

log = logging.getLogger("clarity_settings")

REFRESH_AHEAD: Final = (0.80, 0.90)
"""The share of the TTL after which a refresh runs: early enough that no value outlives the TTL."""
BACKOFF_JITTER: Final = 0.10
FIRST_BACKOFF_SECONDS: Final = 1.0
MAX_BACKOFF_SECONDS: Final = 60.0
BUILD_DEADLINE_SECONDS: Final = 120.0
"""How long a refresh may wait on its sources: well past every SSM page's own timeouts and retries."""

T = TypeVar("T")


def refresh_delay(ttl: float, rng: random.Random) -> float:
    """Seconds from a good load to the next refresh: a jittered 80-90 % of the TTL, so fleets spread."""
    earliest, latest = REFRESH_AHEAD
    return ttl * rng.uniform(earliest, latest)


def retry_delay(failures: int, rng: random.Random) -> float:
    """Seconds from a failed refresh to the next try: 1 s doubling to 60 s, jittered by 10 %."""
    backoff = min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2.0 ** (failures - 1))
    return backoff * rng.uniform(1 - BACKOFF_JITTER, 1 + BACKOFF_JITTER)


class Refreshable(Protocol):
    """What the thread needs of the object it keeps fresh."""

    def seconds_until_due(self) -> float:
        """How long the thread may sleep before the next refresh is due (inf: until woken)."""

    def refresh_if_due(self) -> None:
        """Refresh now if a refresh is due; never raise."""

    def after_fork(self) -> None:
        """Forget this process's parent state (locks, a refresh in flight) in a forked child."""


class Refresher:
    """Wakes on the due time or on request, and runs the owner's refresh on a thread of its own."""

    def __init__(self, owner: Refreshable, *, name: str) -> None:
        self._owner = weakref.ref(owner)
        self._name = name
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        weakref.finalize(owner, self.close)
        _LIVE.add(self)

    @property
    def running(self) -> bool:
        """True while this process's thread is alive."""
        return self._thread is not None and self._thread.is_alive() and self._pid == os.getpid()

    def start(self) -> None:
        """Start the thread in this process if it is not running (idempotent, cheap when running)."""
        if self._closed or self.running:
            return
        with _START_LOCK:
            if self.running:
                return
            self._pid = os.getpid()
            self._wake, self._stop = threading.Event(), threading.Event()
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Ask for a look at the due time now; starts the thread if this process has none."""
        self.start()
        self._wake.set()

    def close(self) -> None:
        """Stop the thread: nothing refreshes any more (the values held stay readable)."""
        self._closed = True
        self._wake.set()
        _LIVE.discard(self)

    def stop(self, *, wait_seconds: float) -> None:
        """End this process's thread, waiting for a refresh in flight; the next due refresh starts another."""
        thread = self._thread
        self._stop.set()
        self._wake.set()
        if thread is not None and thread is not threading.current_thread() and self._pid == os.getpid():
            thread.join(wait_seconds)

    def _run(self) -> None:
        wake, stop = self._wake, self._stop
        while not (self._closed or stop.is_set()):
            owner = self._owner()
            if owner is None:
                return
            timeout = owner.seconds_until_due()
            del owner
            wake.wait(None if math.isinf(timeout) else max(timeout, 0.0))
            wake.clear()
            owner = self._owner()
            if owner is None or self._closed or stop.is_set():
                return
            try:
                owner.refresh_if_due()
            except Exception as error:  # noqa: BLE001 - readers rely on this thread; it must outlive a bug
                log.error("the settings refresher caught %s and goes on", type(error).__name__)  # noqa: TRY400
            del owner

    def restart_after_fork(self) -> None:
        """In a forked child: reset the owner and start a thread if the parent had one."""
        owner = self._owner()
        if owner is None:
            return
        owner.after_fork()
        was_running = self._thread is not None
        self._thread = None
        if was_running and not self._closed:
            self.start()


class Deadline:
    """Runs one refresh's build on a thread of its own, and stops waiting for it at the deadline.

    A source that never answers (a hung connection, a blocked file system) then holds neither the
    refresh lock nor the schedule: the caller gets RefreshDeadlineError, keeps its set, and the next
    refresh runs on time. A build still stuck is not started again beside itself: at most one
    abandoned build thread exists per settings object.
    """

    def __init__(self, seconds: float = BUILD_DEADLINE_SECONDS) -> None:
        self.seconds = seconds
        self._running: tuple[threading.Thread, threading.Event] | None = None

    def run(self, build: Callable[[], T]) -> T:
        """build's result, its exception, or RefreshDeadlineError once the deadline has passed."""
        # NOTE: stuck means not done and alive: a thread that has handed over its outcome may still be
        # alive for a moment (3.13), and after a fork the parent's build thread is not running here.
        previous = self._running
        if previous is not None and not previous[1].is_set() and previous[0].is_alive():
            raise RefreshDeadlineError(
                f"a refresh abandoned after {self.seconds:g} s is still waiting on its source; "
                "the previous values stay in use"
            )
        outcome: list[tuple[bool, object]] = []
        done = threading.Event()

        def target() -> None:
            try:
                outcome.append((True, build()))
            except BaseException as error:  # noqa: BLE001 - handed to the waiting caller, re-raised there
                outcome.append((False, error))
            finally:
                done.set()

        thread = threading.Thread(target=target, name="clarity-settings-build", daemon=True)
        self._running = (thread, done)
        thread.start()
        if not done.wait(self.seconds):
            raise RefreshDeadlineError(
                f"a refresh did not finish within {self.seconds:g} s (a source did not answer); "
                "the previous values stay in use"
            )
        succeeded, result = outcome[0]
        if not succeeded:
            raise result  # type: ignore[misc]
        return result  # type: ignore[return-value]


_LIVE: weakref.WeakSet[Refresher] = weakref.WeakSet()
_START_LOCK = threading.Lock()


def stop_all(*, wait_seconds: float = 30.0) -> None:
    """End every refresher thread of this process after its refresh in flight (tests reset with this).

    Nothing is closed: an object whose refresh falls due again starts a new thread.
    """
    for refresher in list(_LIVE):
        refresher.stop(wait_seconds=wait_seconds)


def _restart_in_child() -> None:
    """The child of a fork has none of its parent's threads: start one for each object that had one."""
    global _START_LOCK  # noqa: PLW0603 - a lock held by a parent thread at fork() stays held in the child
    _START_LOCK = threading.Lock()
    for refresher in list(_LIVE):
        refresher.restart_after_fork()


os.register_at_fork(after_in_child=_restart_in_child)
