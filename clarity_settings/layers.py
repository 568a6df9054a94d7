"""Which layers a settings object reads and from where: the loaders, the options, the files the user put."""

from __future__ import annotations

import functools
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Final, Protocol

from dynaconf.base import Settings
from dynaconf.utils import normalize_kwargs
from dynaconf.utils.parse_conf import DynaconfParseError

from clarity_settings import local_files, names
from clarity_settings.contract import code_settings
from clarity_settings.errors import ClaritySettingsError
from clarity_settings.rules import build_validators
from clarity_settings.ssm.switch import SsmContext, attach

LOADERS: Final = (
    "clarity_settings.loaders.env_loader",
    "clarity_settings.loaders.secrets_dir_loader",
    "clarity_settings.loaders.ssm_loader",
    "clarity_settings.loaders.snapshot_loader",
    "clarity_settings.loaders.defaults_loader",
    "clarity_settings.loaders.checksums_loader",
    "clarity_settings.loaders.strictness_check",
)
"""After the files: variables, mounted secrets, SSM (or its snapshot at a cold start), defaults, JSON
decoding, then the environment check."""


MUTATORS: Final = (
    "set",
    "unset",
    "unset_all",
    "update",
    "setdefault",
    "clean",
    "setenv",
    "reload",
    "load_file",
    "execute_loaders",
    "__delattr__",
)
"""dynaconf's Settings methods that change the values held; every other way of changing them calls one."""
_OWNER: Final = "_clarity_owner"
_SEARCH_PARENTS: Final = "_clarity_search_parents"
"""Where a ClarityInstance records that its files may be searched for in parent directories."""
_MUTATING = threading.local()


class Owner(Protocol):
    """What publishes a loaded set to readers, and so must hear when code changes that set in place."""

    def instance_changed(self, instance: Any) -> None:
        """Called once the outermost change to instance is over."""


def report_changes(instance: Any, owner: Owner) -> None:
    """Have instance tell owner after each change made to it in place (settings.set(), update(), ...).

    Every object that published instance hears (dynaconf's LazySettings(wrapped) shares one set
    between two objects); weak references, which a copy of the set shares as they are.
    """
    earlier = [ref for ref in instance.__dict__.get(_OWNER, ()) if ref() is not None and ref() is not owner]
    object.__setattr__(instance, _OWNER, (*earlier, weakref.ref(owner)))


def _announcing(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def changing(self: ClarityInstance, *args: Any, **kwargs: Any) -> Any:
        with self.changing():
            return method(self, *args, **kwargs)

    return changing


class ClarityInstance(Settings):  # type: ignore[misc]
    """dynaconf's Settings with its SsmContext from the first loader on, reading files where they were put."""

    def __init__(
        self,
        settings_module: Any = None,
        *,
        clarity_ssm: SsmContext | None = None,
        clarity_load_dotenv: bool = True,
        clarity_search_parents: bool = False,
        clarity_environment: local_files.EnvironmentChoice | None = None,
        **kwargs: Any,
    ) -> None:
        attach(self, clarity_ssm or SsmContext())
        object.__setattr__(self, _SEARCH_PARENTS, clarity_search_parents)
        root_path = kwargs.get("ROOT_PATH_FOR_DYNACONF")
        dotenv = local_files.read_dotenv(
            root_path=root_path,
            dotenv=kwargs.get("DOTENV_PATH_FOR_DYNACONF"),
            load_dotenv=clarity_load_dotenv,
            search_parents=clarity_search_parents,
            environment=clarity_environment or local_files.EnvironmentChoice(),
        )
        object.__setattr__(self, local_files.DOTENV_ATTRIBUTE, dotenv)
        try:
            super().__init__(settings_module, **kwargs)
        except ClaritySettingsError:
            raise
        except (DynaconfParseError, ValueError):
            files = settings_module or kwargs.get("SETTINGS_FILE_FOR_DYNACONF")
            problem = local_files.settings_files_problem(files, local_files.base_directory(root_path))
            if problem is None:
                raise
            raise problem from None

    def find_file(self, *args: Any, **kwargs: Any) -> str:
        """dynaconf's search for a settings file, kept where the user put it: never a parent directory.

        dynaconf passes the root path (or the first settings file's directory); a name is looked
        up there, then in the working directory. search_parent_directories=True restores the climb.
        """
        if self.__dict__.get(_SEARCH_PARENTS):
            return str(super().find_file(*args, **kwargs))
        kwargs.setdefault("project_root", self._root_path)
        kwargs.setdefault("skip_files", self.get("SKIP_FILES_FOR_DYNACONF", []))
        return local_files.find_here(*args, **kwargs)

    def execute_loaders(self, *args: Any, **kwargs: Any) -> None:
        """dynaconf's loaders, with its own .env search off whatever code stored (FlaskDynaconf stores it on).

        dynaconf starts that search when the setting LOAD_DOTENV is true; it climbs parent
        directories and ignores the environment. .env is local_files' job, and development's only.
        """
        for values in (self.__core__.config.defaults, self.store):
            if "LOAD_DOTENV" in values:
                values["LOAD_DOTENV"] = False
        super().execute_loaders(*args, **kwargs)

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Around a change made in place: the owner hears once, after the outermost change of this thread."""
        depths: dict[int, int] = _MUTATING.__dict__.setdefault("depths", {})
        depth = depths.get(id(self), 0)
        depths[id(self)] = depth + 1
        try:
            yield
        finally:
            if depth:
                depths[id(self)] = depth
            else:
                del depths[id(self)]
                self._tell_owner()

    def _tell_owner(self) -> None:
        for reference in self.__dict__.get(_OWNER, ()):
            owner = reference()
            if owner is not None:
                owner.instance_changed(self)


for _name in MUTATORS:
    setattr(ClarityInstance, _name, _announcing(getattr(ClarityInstance, _name)))


@functools.cache
def instance_class(wrapper: type | None) -> type:
    """The Settings class a settings object loads: ClarityInstance, or it over dynaconf's _wrapper_class.

    dynaconf's own subclasses (HookableSettings) keep their behaviour and gain the file rules.
    """
    if wrapper is None or issubclass(wrapper, ClarityInstance):
        return ClarityInstance if wrapper is None else wrapper
    return type(f"Clarity{wrapper.__name__}", (ClarityInstance, wrapper), {"__module__": __name__})


def options_for(
    overrides: dict[str, Any], *, builtin_code_settings: Iterable[str] = code_settings.EVERYWHERE
) -> dict[str, Any]:
    """The Dynaconf options of every clarity settings object, overridden by the caller's.

    code_settings (names the caller adds) and code_settings_from_outside (built-in names the caller
    accepts from every source, each by name) become the one option the contract reads.
    """
    overrides = dict(overrides)
    patterns = code_settings.patterns_for(
        extra=overrides.pop("code_settings", ()),
        allowed_from_outside=overrides.pop("code_settings_from_outside", ()),
        builtin=builtin_code_settings,
    )
    options: dict[str, Any] = {
        code_settings.OPTION: patterns,
        "envvar_prefix": names.ENVVAR_PREFIX,
        "environments": True,
        "env_switcher": names.ENV_SWITCHER,
        "settings_files": list(local_files.SETTINGS_FILES),
        "load_dotenv": True,
        "merge_enabled": False,
        "loaders": list(LOADERS),
        "validators": build_validators(),
    }
    if "ENV_FOR_DYNACONF" not in normalize_kwargs(dict(overrides)):
        options["env"] = names.DEVELOPMENT
    options.update(overrides)
    return options


def reads_dotenv(load_dotenv: bool | None, options: dict[str, Any]) -> bool:
    """Whether .env is read: as code says, else as dynaconf would (LOAD_DOTENV, LOAD_DOTENV_FOR_DYNACONF)."""
    if load_dotenv is not None:
        return load_dotenv
    given = {key.upper(): value for key, value in options.items()}.get("LOAD_DOTENV")
    if given is not None:
        return given is True
    return os.environ.get("LOAD_DOTENV_FOR_DYNACONF", "").strip().lower() in names.TRUE_WORDS


def environment_choice(options: dict[str, Any]) -> local_files.EnvironmentChoice:
    """The variable that names the environment, and the environment code asked for, in any spelling."""
    normalized = normalize_kwargs(dict(options))
    return local_files.EnvironmentChoice(
        switcher=str(normalized.get("ENV_SWITCHER_FOR_DYNACONF") or names.ENV_SWITCHER),
        from_code=normalized.get("FORCE_ENV_FOR_DYNACONF") or normalized.get("ENV_FOR_DYNACONF"),
    )


def dynaconf_options(
    *,
    search_parent_directories: bool = False,
    builtin_code_settings: Iterable[str] = code_settings.EVERYWHERE,
    **overrides: Any,
) -> dict[str, Any]:
    """Keyword arguments that make any Dynaconf object (Flask, Django) read settings as ``settings`` does.

    Relative settings files are resolved against root_path or the working directory now, and .env
    is read now, because dynaconf's own search climbs parent directories.
    """
    options = options_for(overrides, builtin_code_settings=builtin_code_settings)
    files = options.pop("settings_file", None) or options.pop("settings_files")
    root_path = options.get("root_path")
    if not search_parent_directories:
        files = local_files.absolute_files(files, local_files.base_directory(root_path))
    local_files.read_dotenv(
        root_path=root_path,
        dotenv=options.get("dotenv_path"),
        load_dotenv=bool(options.pop("load_dotenv")),
        search_parents=search_parent_directories,
        environment=environment_choice(options),
    )
    return {**options, "settings_files": files, "load_dotenv": False}
