"""Files are read where the user put them: the working directory, or the paths given to dynaconf in code.

dynaconf looks for settings.toml and .env in the running script's directory, the working directory
and every parent of both, so a stray file two directories up could configure a service. Here a
relative name is looked for only where dynaconf's root path points and in the working directory
(find_here, which ClarityInstance puts in place of dynaconf's search; a plain Dynaconf object gets
absolute names from dynaconf_options()), and .env is read by python-dotenv from root_path or the
working directory, literally (``${NAME}`` is not expanded: a value is data).
``search_parent_directories=True`` opts back in to dynaconf's search.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from dynaconf.constants import ALL_EXTENSIONS
from dynaconf.utils.files import find_file

from clarity_settings import data_values, names
from clarity_settings.errors import ConfigurationError

log = logging.getLogger("clarity_settings")

DOTENV: Final = ".env"
SETTINGS_FILES: Final = ("settings.toml", ".secrets.toml")
DOTENV_ATTRIBUTE: Final = "_clarity_dotenv"
"""Where a settings instance keeps the .env file it read, outside its settings."""

_from_dotenv: dict[str, tuple[str, Path]] = {}
"""Variables this process took from .env files, with the value and the file: os.environ is per process too."""


def base_directory(root_path: object) -> Path:
    """Where relative names point: the root_path given in code, else the working directory now."""
    return Path(str(root_path)) if root_path else Path.cwd()


FileNames = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
"""Settings files as dynaconf takes them: a path, a list of paths, or names separated by ';' or ','."""


def absolute_files(files: FileNames, base: Path) -> list[str]:
    """Settings file names as absolute paths under base, split as dynaconf splits them."""
    if isinstance(files, str):
        separator = next((sep for sep in ";," if sep in files), None)
        listed: list[str | os.PathLike[str]] = list(files.split(separator)) if separator else [files]
    elif isinstance(files, os.PathLike):
        listed = [files]
    else:
        listed = list(files)
    names = [os.fspath(name).strip() for name in listed]
    return [str(base / name) if _names_a_file(name) else name for name in names if name]


def _names_a_file(name: str) -> bool:
    """dynaconf's own test: a file by its extension or a glob; any other name is a Python module to import."""
    return name.endswith((*ALL_EXTENSIONS, ".py")) or any(char in name for char in "*?[")


def dotenv_path(explicit: object, base: Path, *, search_parents: bool) -> Path | None:
    """The .env to read: the path given in code or DOTENV_PATH_FOR_DYNACONF, else base/.env if it exists."""
    given = explicit or os.environ.get("DOTENV_PATH_FOR_DYNACONF")
    if given:
        return base / str(given)
    if search_parents:
        found = find_file(DOTENV, project_root=str(base))
        return Path(found) if found else None
    candidate = base / DOTENV
    return candidate if candidate.is_file() else None


DOTENV_REFUSED: Final = (
    "outside development no .env is read; staging and production take settings from SSM, "
    "the real environment and settings files"
)


@dataclass(frozen=True)
class EnvironmentChoice:
    """How a settings object learns its environment: the variable naming it, and what code asked for."""

    switcher: str = names.ENV_SWITCHER
    from_code: object = None

    def chosen_by_process(self) -> str | None:
        """FORCE_ENV_FOR_DYNACONF or the switcher variable in the real environment, else code's choice."""
        chosen = real_variable(names.FORCE_ENV) or real_variable(self.switcher) or self.from_code
        return None if chosen is None else str(chosen)

    def reads_dotenv(self) -> bool:
        """Only development reads .env: a file dropped beside a production service must change nothing."""
        chosen = self.chosen_by_process()
        return chosen is None or names.is_development(chosen)


_ENVIRONMENT_NAME = re.compile(r"[A-Za-z0-9_\-]+")


def load_dotenv_file(path: Path, switcher: str = names.ENV_SWITCHER) -> None:
    """Copy path's variables into os.environ; a variable already set (the real environment) wins.

    A .env holds settings, not switches: dynaconf options are refused (they name files to load or
    code to run), except ENV_FOR_DYNACONF, which may pick the environment when the real
    environment does not.
    """
    try:
        from dotenv import dotenv_values  # only a development process with a .env pays for importing it

        values = dotenv_values(path, interpolate=False)
    except UnicodeDecodeError as error:
        raise ConfigurationError(
            f"{path} is not valid UTF-8 (byte {error.start}); save it as UTF-8"
        ) from None
    for name, value in values.items():
        if value is None or name in os.environ:
            continue
        if "\x00" in value:
            raise ConfigurationError(
                f"{path} holds a NUL character in {name}, which no environment variable can carry; remove it"
            )
        if name == switcher and _ENVIRONMENT_NAME.fullmatch(value) is None:
            raise ConfigurationError(
                f"{path} sets {name} to something other than a plain name; write the environment's name"
            )
        if name != switcher and data_values.is_option_variable(name.removeprefix(names.VARIABLE_PREFIX)):
            raise ConfigurationError(
                f"{path} sets {name}, a dynaconf option; a .env file holds settings only: set dynaconf "
                "options in code, and choose the environment with ENV_FOR_DYNACONF"
            )
        os.environ[name] = value
        _from_dotenv[name] = (value, path.resolve())


def settings_files_problem(files: FileNames | None, base: Path) -> ConfigurationError | None:
    """Why dynaconf could not load the settings files, naming the file and line or key, if a file says."""
    from clarity_settings import file_formats  # only a failed load pays for importing it

    for name in absolute_files(files, base) if files else []:
        problem = file_formats.settings_file_problem(Path(name))
        if problem is not None:
            return problem
    return None


def dotenv_file_of(variable: str) -> Path | None:
    """The .env file whose value the variable holds, or None when the process (or the app since) set it."""
    value, path = _from_dotenv.get(variable, (None, None))
    return path if value is not None and os.environ.get(variable) == value else None


def real_variable(variable: str) -> str | None:
    """The variable as the process itself set it: None when it is unset or only a .env file set it."""
    return None if dotenv_file_of(variable) is not None else os.environ.get(variable)


def forget_dotenv() -> None:
    """Forget which variables came from .env files (tests reset os.environ between cases)."""
    _from_dotenv.clear()


def read_dotenv(
    *,
    root_path: object,
    dotenv: object,
    load_dotenv: bool,
    search_parents: bool,
    environment: EnvironmentChoice,
) -> Path | None:
    """Read the .env a settings object names, now, in development only; the file read, if one was."""
    base = base_directory(root_path)
    path = dotenv_path(dotenv, base, search_parents=search_parents) if load_dotenv else None
    if path is None or not path.is_file():
        return None
    if not environment.reads_dotenv():
        log.warning("%s is not read: %s", path.resolve(), DOTENV_REFUSED)
        return None
    load_dotenv_file(path, environment.switcher)
    return path.resolve()


def find_here(filename: str, project_root: object = None, skip_files: Sequence[str] | None = None) -> str:
    """dynaconf's find_file without its climb: filename in project_root, else in the working directory."""
    if os.path.isabs(filename):
        return filename if os.path.exists(filename) else ""
    places = [os.path.abspath(str(project_root))] if project_root else []
    for place in [*places, os.getcwd()]:
        candidate = os.path.join(place, filename)
        if os.path.exists(candidate) and candidate not in (skip_files or ()):
            return candidate
    return ""
