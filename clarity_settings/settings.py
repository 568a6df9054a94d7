"""The settings object (create_settings) and how fresh its values are; layers.py says what it reads.

The first load is synchronous and fails closed. After it, no read waits on the network: a thread
of the object's own (refresher.py) refreshes ahead of expiry, at a jittered 80-90 % of the TTL. A
refresh builds a complete new copy of the settings (every layer, SSM included, through the same
loaders), validates it and swaps it in with one assignment, so readers see the old set or the new
one, never a mixture. A failed refresh keeps the old set, reports it stale and retries after a
backoff. A read is dynaconf's own lookup plus one flag test: the thread's timer keeps the set
fresh, and only an injected clock (tests) has readers compare against it and wake the thread.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from dynaconf import LazySettings, default_settings
from dynaconf.nodes import DataDict
from dynaconf.utils import normalize_kwargs
from dynaconf.utils.functional import empty
from dynaconf.utils.parse_conf import DynaconfParseError

from clarity_settings import data_values, layers, mounted, names, reading, remote, rules
from clarity_settings.changes import ChangeCallback, ChangeListeners
from clarity_settings.errors import (
    ClaritySettingsError,
    ConfigurationError,
    SsmUnavailableError,
    TokenValueError,
)
from clarity_settings.metrics import recording
from clarity_settings.refresher import BUILD_DEADLINE_SECONDS, Deadline, Refresher, refresh_delay, retry_delay
from clarity_settings.snapshot import last_good
from clarity_settings.ssm.health import SsmHealth, Status
from clarity_settings.ssm.switch import SsmContext, context_of

log = logging.getLogger("clarity_settings")


_FRESH_KEYS: Final = "_clarity_fresh_keys"
"""Where a loaded set keeps the FRESH_VARS keys _claim_fresh_keys took from dynaconf."""
_KEEPER: Final = "_clarity_keeper"
"""Where a framework's Dynaconf object records the ClaritySettings that keeps it fresh."""

Clock = Callable[[], float]


_STATE: Final = (
    "_wrapped",
    "_kwargs",
    "_wrapper_class",
    "_items",
    "_expires_at",
    "_clock",
    "_rng",
    "_ttl_override",
    "_context",
    "_refresh_lock",
    "_expiry_lock",
    "_publish_lock",
    "_lock_pid",
    "_expiries",
    "_failures",
    "_changes",
    "_synchronous",
    "_in_flight",
    "_mirrors",
    "_fresh_keys",
    "_fresh_local",
    "_fresh_blocks",
    "_freshening",
    "_attention",
    "_refresher",
    "_forms",
    "_deadline",
)
"""The object's own state, in slots: its __dict__ is the snapshot readers read (reading.py)."""


class _WithInstanceDict:
    """A base without slots: CPython then keeps the instance __dict__ where its fast attribute read looks."""


class ClaritySettings(_WithInstanceDict):
    """A lazily loaded settings object that keeps its SSM values fresh on a jittered TTL.

    dynaconf's LazySettings API, answered without __getattr__ once settled (reading.py): the
    settings themselves from the snapshot, dynaconf's methods and properties by forwarding.
    """

    __slots__ = _STATE

    _wrapped: Any
    _kwargs: dict[str, Any]
    _wrapper_class: type
    _items: dict[str, Any]
    _expires_at: float
    _clock: Clock
    _rng: random.Random
    _ttl_override: float | None
    _context: SsmContext
    _refresh_lock: threading.Lock
    _expiry_lock: threading.Lock
    _publish_lock: threading.Lock
    _lock_pid: int
    _expiries: int
    _failures: int
    _changes: ChangeListeners
    _synchronous: bool
    _in_flight: bool
    _mirrors: list[Any]
    _fresh_keys: frozenset[str]
    _fresh_local: threading.local
    _fresh_blocks: int
    _freshening: bool
    _attention: bool
    _refresher: Refresher
    _forms: tuple[type, type]
    _deadline: Deadline

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            """Settings, as the type checker sees them: any name may be one."""

    def __init__(
        self,
        wrapped: Any = None,
        *,
        clock: Clock = time.monotonic,
        rng: random.Random | None = None,
        cache_ttl_seconds: float | None = None,
        ssm_context: SsmContext | None = None,
        load_dotenv: bool | None = None,
        search_parent_directories: bool = False,
        refresh_deadline_seconds: float = BUILD_DEADLINE_SECONDS,
        **options: Any,
    ) -> None:
        """dynaconf's LazySettings(wrapped=None, **options), plus how fresh and from where.

        wrapped, as in dynaconf, is a loaded Settings to use as it is (a copy under Django's
        override_settings); load_dotenv defaults to dynaconf's (LOAD_DOTENV, LOAD_DOTENV_FOR_DYNACONF).
        """
        context = ssm_context or SsmContext()
        if cache_ttl_seconds is not None:
            rules.cache_ttl(cache_ttl_seconds, label="cache_ttl_seconds")
        # NOTE: dynaconf itself never reads .env here (_load reloads its defaults without it, whatever
        # LOAD_DOTENV_FOR_DYNACONF says): it would search parent directories, expand ${NAME} and ignore
        # the environment. The wrapper reads it, and only in development.
        kwargs = {
            "clarity_ssm": context,
            "clarity_load_dotenv": layers.reads_dotenv(load_dotenv, options),
            "clarity_search_parents": search_parent_directories,
            "clarity_environment": layers.environment_choice(options),
            **options,
        }
        wrapper_class = layers.instance_class(kwargs.pop("_wrapper_class", None))
        self._start_freshness(
            dynaconf=(empty, normalize_kwargs(kwargs), wrapper_class),
            clock=clock,
            rng=rng,
            ttl_override=cache_ttl_seconds,
            context=context,
            deadline_seconds=refresh_deadline_seconds,
        )
        if wrapped:
            self._settle(copy.deepcopy(wrapped) if getattr(self, "_django_override", False) else wrapped, 0)

    @classmethod
    def around(cls, lazy: LazySettings, *, clock: Clock = time.monotonic) -> ClaritySettings:
        """Keep fresh a Dynaconf object that a framework extension built and handed out itself.

        dynaconf's Django extension gives its own LazySettings to django.conf. The object returned
        here shares its loaded settings and, at every swap, hands the new set to it as well, so
        django.conf.settings reads what this object reads. lazy must come from dynaconf_options().
        """
        fresh: ClaritySettings = cls.__new__(cls)
        instance = lazy._wrapped if lazy._wrapped is not empty else None
        context = context_of(instance) if instance is not None else SsmContext()
        # NOTE: dynaconf's own state (options, wrapper class) is shared as it is.
        fresh._start_freshness(
            dynaconf=(empty, lazy._kwargs, lazy._wrapper_class),
            clock=clock,
            rng=None,
            ttl_override=None,
            context=context,
            deadline_seconds=BUILD_DEADLINE_SECONDS,
        )
        fresh._mirrors.append(lazy)
        lazy.__dict__[_KEEPER] = fresh
        # NOTE: the framework's object answers fresh reads through this one (into a copy, per thread)
        # rather than with dynaconf's own, which empty the key in the set both objects share.
        for method in ("get", "get_fresh", "exists", "fresh"):
            lazy.__dict__[method] = getattr(fresh, method)
        if instance is not None:
            # NOTE: the extension stores the object it made as a setting (Django's DYNACONF); this one
            # takes its place, so that setting reads fresh values and no refresh copies it as a change.
            for key in [key for key, value in instance.store.items() if value is lazy]:
                instance.store[key] = fresh
            fresh._settle(instance, 0)
        return fresh

    def _start_freshness(
        self,
        *,
        dynaconf: tuple[Any, dict[str, Any], type],
        clock: Clock,
        rng: random.Random | None,
        ttl_override: float | None,
        context: SsmContext,
        deadline_seconds: float,
    ) -> None:
        """The object's state: dynaconf's (loaded set, options, Settings class), then freshness."""
        self._put(
            _wrapped=dynaconf[0],
            _kwargs=dynaconf[1],
            _wrapper_class=dynaconf[2],
            _expires_at=-math.inf,
            _clock=clock,
            _rng=rng or random.Random(),  # noqa: S311 - jitter, not cryptography
            _ttl_override=ttl_override,
            _context=context,
            _refresh_lock=threading.Lock(),
            _expiry_lock=threading.Lock(),
            _publish_lock=threading.Lock(),
            _lock_pid=os.getpid(),
            _expiries=0,
            _failures=0,
            _changes=ChangeListeners(),
            _synchronous=False,
            _in_flight=False,
            _mirrors=[],
            _fresh_keys=frozenset(),
            _fresh_local=threading.local(),
            _fresh_blocks=0,
            _freshening=False,
            _attention=True,
            _forms=reading.forms_of(type(self)),
        )
        self._put(
            _refresher=Refresher(self, name="clarity-settings-refresh"),
            _deadline=Deadline(deadline_seconds),
        )
        self._show()
        recording.watch(self)

    def _put(self, **state: Any) -> None:
        """Set the object's own state (slots); a plain assignment would set a setting."""
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def __getitem__(self, key: str) -> Any:
        # NOTE: a settled object answers from its snapshot; any other key, spelling or state goes on.
        try:
            return self._items[key]
        except (KeyError, TypeError):
            return self._read_item(key)

    def _read_item(self, key: str) -> Any:
        if self._attention:
            self._attend(key, attribute=False)
        return self._wrapped[key]

    def _read_api(self, name: str) -> Any:
        """dynaconf's own attributes (as_dict, current_env, ...): the loaded Settings answers."""
        if self._attention:
            self._attend(name, attribute=True)
        return getattr(self._wrapped, name)

    def _read_attribute(self, name: str) -> Any:
        """An attribute an attending object does not hold: it attends, then dynaconf reads it."""
        if name in _STATE:
            raise AttributeError(name)
        problem = reading.case_problem(name)
        if problem is not None:
            raise AttributeError(problem)
        return self._read_api(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _STATE:
            object.__setattr__(self, name, value)
        else:
            setattr(self.instance, name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self.instance, name.upper())

    def _attend(self, key: str, *, attribute: bool) -> None:
        """What a read must do before reading: the first load, a due refresh, a fresh read."""
        if self._expires_at <= self._clock():
            self._on_expiry()
        if self._freshening and self._wants_fresh(key, attribute=attribute):
            self._read_again(key)

    def _update_attention(self) -> None:
        """Readers attend with no set yet, at TTL 0, during fresh reads, or on a clock of the caller's.

        With the monotonic clock the refresher's own timer is authoritative; an injected clock
        (tests, simulations) moves only when its owner says, so readers compare against it.
        """
        self._put(
            _attention=self._wrapped is empty
            or self._synchronous
            or self._freshening
            or self._clock is not time.monotonic
        )
        self._show()

    def _show(self) -> None:
        """Publish how reads are answered: the snapshot, unless a reader must attend or dynaconf evaluate.

        Under a lock, so that a change made in place (instance_changed) and a swap never publish out
        of order. A set that cannot tell of changes made to it in place (a framework's own Settings)
        is never snapshotted.
        """
        with self._publish_guard():
            instance = self._wrapped
            # NOTE: exactly ClarityInstance: a subclass of dynaconf's (HookableSettings) may hook every read.
            snapshot = (
                reading.snapshot_of(instance, _RESERVED)
                if not self._attention and type(instance) is layers.ClarityInstance
                else None
            )
            settled, attending = self._forms
            reading.show(self, snapshot, settled=settled, attending=attending)

    def instance_changed(self, instance: Any) -> None:
        """Code changed the loaded set in place (settings.set(), update(), ...): readers see it now."""
        if instance is self._wrapped:
            self._show()

    def get(
        self, key: str, default: Any = None, cast: Any = None, fresh: bool = False, **options: Any
    ) -> Any:
        """dynaconf's get; a fresh read (fresh=True, in fresh(), a FRESH_VARS key) reads it again first."""
        self._prepare_read(key, fresh=fresh)
        return self._wrapped.get(key, default, cast, **options)

    def get_fresh(self, key: str, default: Any = None, cast: Any = None) -> Any:
        """dynaconf's get_fresh: get(key, fresh=True)."""
        return self.get(key, default, cast, fresh=True)

    def exists(self, key: str, fresh: bool = False) -> bool:
        """dynaconf's exists; with fresh=True the key is read again first, as get does."""
        self._prepare_read(key, fresh=fresh)
        return bool(self._wrapped.exists(key))

    def _prepare_read(self, key: str, *, fresh: bool) -> None:
        """Before get() or exists(): the fresh read asked for, else what any read attends to."""
        if fresh:
            self._read_again(key)
        elif self._attention:
            self._attend(key, attribute=False)

    @contextmanager
    def fresh(self) -> Iterator[None]:
        """dynaconf's fresh(), for this thread only: within it, this thread's reads read their key again."""
        local = self._fresh_local
        local.depth = getattr(local, "depth", 0) + 1
        self._count_fresh_block(1)
        try:
            yield
        finally:
            local.depth -= 1
            self._count_fresh_block(-1)

    def _count_fresh_block(self, step: int) -> None:
        with self._expiry_guard():
            blocks = self._fresh_blocks + step
            self._put(_fresh_blocks=blocks, _freshening=bool(blocks or self._fresh_keys))
        self._update_attention()

    def _wants_fresh(self, key: str, *, attribute: bool = False) -> bool:
        """Whether a read of key is a fresh read: a FRESH_VARS key, or a setting read inside fresh().

        An attribute counts as a setting when it is upper case: the lower-case ones are dynaconf's API.
        """
        top = key.split(".", maxsplit=1)[0]
        if top.upper() in self._fresh_keys:
            return True
        return (top.isupper() or not attribute) and getattr(self._fresh_local, "depth", 0) > 0

    def _read_again(self, key: str) -> None:
        """Read one key's layers again into a copy of the set and swap the copy in whole.

        Other readers never see the key missing or half read; a failure (SSM unreadable, a refused
        parameter, a rule broken) keeps the current set, and only a refused value is raised.
        """
        top = key.split(".", maxsplit=1)[0].upper()
        self.instance  # noqa: B018 - the first load, if this is the first read
        with self._lock():
            current = self._wrapped
            candidate = current.dynaconf_clone()
            candidate.unset(top)
            candidate.execute_loaders(key=top)
            _claim_fresh_keys(candidate)
            if self.ssm_context.health.status is Status.UNHEALTHY:
                return
            candidate.validators.validate()
            self._publish(candidate)
        self._changes.announce(current, candidate)

    @property
    def ssm_context(self) -> SsmContext:
        """The SSM overrides, client and health this object and its refreshed copies share."""
        return self._context

    @property
    def stale(self) -> bool:
        """True while the values held come from before a refresh that failed, or from a snapshot."""
        if self._wrapped is empty:
            return False
        return self.ssm_context.health.status is Status.UNHEALTHY or remote.from_snapshot(self._wrapped)

    def on_change(self, callback: ChangeCallback, *, keys: Iterable[str] | None = None) -> None:
        """Call back, off the reading thread, after each refresh that changed any of keys (all if None).

        The callback gets the changed top-level key names, never a value; one that raises is logged
        by name and stops neither the refresh nor the other callbacks.
        """
        self._changes.add(callback, keys)

    @property
    def last_change_at(self) -> float | None:
        """When (time.time()) a refresh last changed a value, or None if none has."""
        return self._changes.last_change_at

    @property
    def next_refresh_at(self) -> float:
        """When, on this object's clock, the values are refreshed next (inf while nothing refreshes)."""
        return float(self._expires_at)

    @property
    def instance(self) -> Any:
        """The loaded dynaconf Settings in use right now."""
        if self._wrapped is empty:
            self._setup()
        return self._wrapped

    def unload(self) -> None:
        """Drop every loaded value and the SSM health: the next read loads all layers again."""
        with self._lock():
            self.ssm_context.health = SsmHealth()
            self._put(_wrapped=empty, _expires_at=-math.inf, _failures=0)
            self._update_attention()

    def ttl_seconds(self) -> float:
        """The TTL in force: the override given in code, else SECRETS_CACHE_TTL."""
        if self._ttl_override is not None:
            return float(self._ttl_override)
        return rules.cache_ttl(self._wrapped.get(names.CACHE_TTL))

    def expire(self) -> None:
        """Refresh in the background now (refresh_cache's doing); readers keep the current set meanwhile.

        Counted, so a refresh already under way cannot schedule this request away: it may have
        fetched before the caller published what it wants read.
        """
        with self._expiry_guard():
            self._put(_expiries=self._expiries + 1, _expires_at=-math.inf)
        if self._wrapped is not empty and not self._synchronous:
            self._refresher.wake()

    def close(self) -> None:
        """Stop refreshing: the values held stay readable, and nothing fetches them again."""
        self._refresher.close()

    async def aload(self) -> None:
        """The first load, off the event loop: await it at start-up so no coroutine ever waits on SSM."""
        import asyncio  # only asyncio apps pay for importing it

        await asyncio.to_thread(self._setup)

    def _on_expiry(self) -> None:
        if self._wrapped is empty:
            self._setup()
        elif self._synchronous:
            self._refresh_once()
        else:
            self._refresher.wake()

    def seconds_until_due(self) -> float:
        """How long the refresher may sleep (Refreshable): inf before the first load and at TTL 0."""
        if self._wrapped is empty or self._synchronous:
            return math.inf
        return float(self._expires_at - self._clock())

    def refresh_if_due(self) -> None:
        """The refresher's step: one refresh when due, off every reader's path; never raises."""
        with self._lock():
            with self._expiry_guard():
                if self._wrapped is empty or self._synchronous or self._expires_at > self._clock():
                    return
                expiries_seen = self._expiries
                # NOTE: readers stop waking the thread while this refresh is in flight.
                self._put(_expires_at=math.inf, _in_flight=True)
            try:
                self._refresh(expiries_seen)
            except Exception as error:  # noqa: BLE001 - the thread must outlive any one refresh
                self._refuse(error, expiries_seen)
            finally:
                self._put(_in_flight=False)

    def after_fork(self) -> None:
        """In a forked child: new locks, and a refresh the parent had in flight is due here again."""
        self._lock()
        if self._in_flight:
            self._put(_in_flight=False, _expires_at=-math.inf)

    def _lock(self) -> threading.Lock:
        """The refresh lock of this process: a child after fork() gets new locks, never a held copy."""
        if self._lock_pid != os.getpid():
            self._put(
                _refresh_lock=threading.Lock(),
                _expiry_lock=threading.Lock(),
                _publish_lock=threading.Lock(),
                _lock_pid=os.getpid(),
            )
        return self._refresh_lock

    def _expiry_guard(self) -> threading.Lock:
        """Guards the expiry against an expire() that lands while a load schedules the next one."""
        self._lock()
        return self._expiry_lock

    def _publish_guard(self) -> threading.Lock:
        """Orders publications: a swap and a change made in place never show readers an older set last."""
        self._lock()
        return self._publish_lock

    def _setup(self) -> None:
        """The first load, by whichever path asks (an attribute, len(), bool(), in): once, then scheduled."""
        with self._lock():
            if self._wrapped is empty:
                self._load(None, {})

    def configure(self, settings_module: Any = None, **options: Any) -> None:
        """dynaconf's configure: load now, from settings_module and options (the object's own options win)."""
        with self._lock():
            self._load(settings_module, options)

    def _load(self, settings_module: Any, options: dict[str, Any]) -> None:
        """Load a whole set as dynaconf's LazySettings.configure does, then publish and schedule it."""
        expiries_seen = self._expiries
        default_settings.reload(load_dotenv=False)
        variable = self._kwargs.get("ENVVAR_FOR_DYNACONF", default_settings.ENVVAR_FOR_DYNACONF)
        kwargs = {**normalize_kwargs(options), **self._kwargs}
        try:
            instance = self._deadline.run(
                lambda: self._wrapper_class(
                    settings_module=settings_module or os.environ.get(variable), **kwargs
                ),
                what="the first load",
                kept="nothing was loaded",
            )
        except UnicodeDecodeError as error:
            raise ConfigurationError(
                f"settings.toml, .secrets.toml or .env is not valid UTF-8 (byte {error.start}); "
                "save it as UTF-8"
            ) from None
        except DynaconfParseError:
            raise TokenValueError(
                "a value with a dynaconf typing token (@int, @float, @bool, @json) does not fit it; "
                "check the CLARITY_* variables and the settings files"
            ) from None
        self._settle(instance, expiries_seen)

    def _settle(self, instance: Any, expiries_seen: int) -> None:
        """A set loaded outside a refresh (first load, configure, a set handed in): in use, and scheduled."""
        _claim_fresh_keys(instance)
        self._publish(instance)
        last_good.after_load(instance)
        self._schedule_after_load(expiries_seen)

    @property
    def configured(self) -> bool:
        """dynaconf's: whether the settings are loaded."""
        return self._wrapped is not empty

    def __deepcopy__(self, memo: dict[int, Any]) -> ClaritySettings:
        """A settings object held as a value (Django's DYNACONF) is a handle: every copy is this object."""
        return self

    def __copy__(self) -> ClaritySettings:
        """A handle, as for deepcopy."""
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """dynaconf's settings("KEY"): settings.get("KEY")."""
        return self.get(*args, **kwargs)

    def __repr__(self) -> str:
        state = "not loaded" if self._wrapped is empty else f"env={self._wrapped.current_env}"
        return f"<ClaritySettings {state}>"

    def __str__(self) -> str:
        return str(self.instance)

    def __bool__(self) -> bool:
        return bool(self.instance)

    def __dir__(self) -> list[str]:
        return dir(self.instance)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.instance)

    def __len__(self) -> int:
        return len(self.instance)

    def __contains__(self, key: object) -> bool:
        return key in self.instance

    def __setitem__(self, key: str, value: Any) -> None:
        self.instance[key] = value

    def __delitem__(self, key: str) -> None:
        del self.instance[key]

    def _publish(self, instance: Any) -> None:
        """Swap in a loaded set: one assignment here, one in each framework object this one keeps fresh."""
        self._put(_wrapped=instance)
        layers.report_changes(instance, self)
        for mirror in self._mirrors:
            mirror.__dict__["_wrapped"] = instance
        fresh_keys = instance.__dict__.get(_FRESH_KEYS, frozenset())
        if fresh_keys != self._fresh_keys:
            self._put(_fresh_keys=fresh_keys)
            self._count_fresh_block(0)
        self._update_attention()

    def _refresh_once(self) -> None:
        lock = self._lock()
        # NOTE: never wait for the lock: one reader refreshes (single flight) and every other reader
        # keeps reading the current set instead of queueing behind it.
        if not lock.acquire(blocking=False):
            return
        try:
            # NOTE: checked again under the lock: another reader may have refreshed since this one looked.
            if self._expires_at <= self._clock():
                self._refresh(self._expiries)
        finally:
            lock.release()

    def refresh_now(self) -> None:
        """Refresh before returning (scripts, tests, deploy hooks): the new set is in, or this says why."""
        if self._wrapped is empty:
            self._setup()
            return
        with self._lock():
            failure = self._refresh(self._expiries)
        if failure is not None:
            raise failure

    def _refresh(self, expiries_seen: int) -> ClaritySettingsError | None:
        """Build, check and swap in a new set; on failure (or past the deadline) keep the current one."""
        timed = recording.Refresh()
        try:
            candidate = self._deadline.run(self._build)
        except SsmUnavailableError as error:
            timed.failed(error)
            self._schedule_retry(expiries_seen)
            return error
        except Exception as error:  # noqa: BLE001 - a failed refresh must never fail a reader
            timed.failed(error)
            return self._refuse(error, expiries_seen)
        previous = self._wrapped
        self._publish(candidate)
        timed.swapped(self._changes.announce(previous, candidate))
        last_good.after_load(candidate)
        self._schedule_after_load(expiries_seen)
        return None

    def _build(self) -> Any:
        """A complete, validated new set (on the deadline's thread); the current one is not touched."""
        candidate = _copy_for_reload(self._wrapped)
        candidate.reload()
        _claim_fresh_keys(candidate)
        # NOTE: a failed SSM read leaves the candidate with the lower layers only; swapping it in
        # would replace every SSM value with its fallback, so the current set stays.
        health = self.ssm_context.health
        if health.status is Status.UNHEALTHY:
            raise SsmUnavailableError(
                f"SSM could not be read ({health.last_error_code}); the previous values stay in use"
            )
        candidate.validators.validate()
        return candidate

    def _refuse(self, error: Exception, expiries_seen: int) -> ClaritySettingsError:
        """Keep the current set; say why in words that never contain a value, then back off."""
        reason = str(error) if isinstance(error, ClaritySettingsError) else type(error).__name__
        log.error("refreshed settings were refused, the previous ones stay in use: %s", reason)
        self.ssm_context.health.record_rejection(type(error).__name__)
        self._schedule_retry(expiries_seen)
        return (
            error
            if isinstance(error, ClaritySettingsError)
            else ConfigurationError(f"refresh failed ({reason})")
        )

    def _schedule_after_load(self, expiries_seen: int) -> None:
        status = self.ssm_context.health.status
        # NOTE: with SSM off (or never asked) and no mounted directory, no layer changes on its own.
        if status in {Status.DISABLED, Status.UNKNOWN} and mounted.directory_of(self._wrapped) is None:
            self._set_expiry(math.inf, expiries_seen)
        elif status is Status.UNHEALTHY:
            self._schedule_retry(expiries_seen)
        else:
            ttl = self.ttl_seconds()
            synchronous = ttl == 0
            self._put(_failures=0)
            if synchronous != self._synchronous:
                self._put(_synchronous=synchronous)
                self._update_attention()
            self._set_expiry(self._clock() + refresh_delay(ttl, self._rng), expiries_seen)

    def _schedule_retry(self, expiries_seen: int) -> None:
        self._put(_failures=self._failures + 1)
        self._set_expiry(self._clock() + retry_delay(self._failures, self._rng), expiries_seen)

    def _set_expiry(self, deadline: float, expiries_seen: int) -> None:
        """Schedule the next refresh, unless expire() was called since this load began."""
        with self._expiry_guard():
            if self._expiries == expiries_seen:
                self._put(_expires_at=deadline)
        if math.isfinite(deadline) and not self._synchronous:
            self._refresher.start()


def _claim_fresh_keys(instance: Any) -> None:
    """Take FRESH_VARS_FOR_DYNACONF from a set dynaconf has just loaded, for ClaritySettings to honour.

    dynaconf reads those keys by emptying them in the live set and loading them again, which readers
    in other threads see half done; ClaritySettings reads them into a copy instead.
    """
    config = instance.__core__.config
    object.__setattr__(instance, _FRESH_KEYS, frozenset(config.fresh_vars))
    config.fresh_vars = []


def _copy_for_reload(instance: Any) -> Any:
    """dynaconf_clone() without what reload() deletes at once: the loaded values and their provenance.

    A clone deep-copies every value and every value's provenance, and reload() starts by unsetting
    them: at N parameters, two passes of dynaconf work for nothing. This copy's store holds only what
    dynaconf's clean() keeps (its own default settings and the values given in code), and its
    provenance starts empty, so a parameter deleted from SSM does not linger as a value's source.
    """
    core = instance.__core__
    store, config = core.store, core.config
    kept = {
        key: value
        for key, value in dict.items(store)
        if key in data_values.DEFAULT_SETTING_NAMES or key in config.defaults
    }
    emptied: Any = {}
    if isinstance(store, DataDict):
        # NOTE: as DataDict.__deepcopy__ makes it: the same core, the same data env.
        emptied = DataDict(core=store.__meta__.core)
        emptied.__meta__.data_env = store.__meta__.data_env
    memo: dict[int, Any] = {id(store): emptied, id(config.loaded_by_loaders): {}}
    copied = copy.deepcopy(instance, memo)
    for key, value in kept.items():
        emptied[key] = copy.deepcopy(value, memo)
    return copied


def keeper_of(lazy: Any) -> ClaritySettings | None:
    """The ClaritySettings that keeps a framework's Dynaconf object fresh (around()), if one does."""
    keeper: ClaritySettings | None = getattr(lazy, "__dict__", {}).get(_KEEPER)
    return keeper


def create_settings(**overrides: Any) -> ClaritySettings:
    """A new, lazily loaded settings object whose SSM values stay fresh; ``settings`` is one of these."""
    return ClaritySettings(**layers.options_for(overrides))


_SETTINGS_INTERNALS: Final = ("__core__", "_root_path", "_dotted_get", "_dotted_set", "_merge_before_set")
"""Settings attributes outside dynaconf's public API that dynaconf's own code reaches through LazySettings."""


def _dynaconf_api() -> list[str]:
    """dynaconf's Settings attributes that ClaritySettings does not answer itself, internals included."""
    public = [name for name in dir(layers.ClarityInstance) if not name.startswith("_")]
    return [name for name in [*public, *_SETTINGS_INTERNALS] if not hasattr(ClaritySettings, name)]


for _name, _forwarder in reading.forwarding(_dynaconf_api(), ClaritySettings._read_api).items():
    setattr(ClaritySettings, _name, _forwarder)
_RESERVED: Final = frozenset(dir(ClaritySettings))
"""Names the settings object answers itself: a lower-case setting never shadows them."""
