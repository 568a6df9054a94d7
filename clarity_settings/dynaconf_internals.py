"""The dynaconf releases this package supports, and every dynaconf name outside its documented API it uses.

ClaritySettings stands in for dynaconf's LazySettings and writes whole layers into a loaded
Settings, so the package reaches inside dynaconf (docs/ARCHITECTURE.md says why, name by name). A
release that moved one of those names would break it somewhere deep inside; importing the package
checks them all first and, when one is missing, says which and which releases are supported.
"""

from __future__ import annotations

import importlib
import inspect
import re
import warnings
from collections.abc import Iterable
from importlib import metadata
from typing import Any, Final

from clarity_settings.errors import DynaconfVersionError

OLDEST: Final = (3, 3, 4)
"""The first release with every name below (is_lazy came in 3.3.4)."""
NEWEST: Final = (3, 3, 5)
"""The newest release dynaconf's own suite passed on with ClaritySettings (make conformance)."""
SUPPORTED: Final = f">={'.'.join(map(str, OLDEST))},<={'.'.join(map(str, NEWEST))}"

INTERNALS: Final = (
    "dynaconf.default_settings.reload",
    "dynaconf.default_settings.ENVVAR_FOR_DYNACONF",
    "dynaconf.utils.normalize_kwargs",
    "dynaconf.utils.functional.empty",
    "dynaconf.utils.functional.is_lazy",
    "dynaconf.utils.files.find_file",
    "dynaconf.utils.parse_conf.boolean_fix",
    "dynaconf.utils.parse_conf.converters",
    "dynaconf.utils.parse_conf.parse_with_toml",
    "dynaconf.constants.ALL_EXTENSIONS",
    "dynaconf.nodes.DataList",
    "LazySettings._kwargs",
    "LazySettings._wrapper_class",
    "LazySettings._wrapped",
    "Settings.__core__.config.fresh_vars",
    "Settings.__core__.config.deleted",
    "Settings.__core__.config.defaults",
    "Settings.__core__.config.loaded_files",
    "Settings.__core__.clear_cache",
    "Settings._root_path",
    "Settings._dotted_get",
    "Settings._dotted_set",
    "Settings._merge_before_set",
    "DataDict.__meta__.core",
    "DataDict.__meta__.data_env",
)
"""Module names, or attributes of a new LazySettings, Settings or DataDict, by dotted path."""


def missing(paths: Iterable[str] = INTERNALS) -> list[str]:
    """The paths the installed dynaconf does not have, looked up without running any of its code paths."""
    probes = {root: _probe(module, root, options) for root, (module, options) in _PROBES.items()}
    return [path for path in paths if not _has(path, probes)]


_PROBES: Final = {
    "LazySettings": ("dynaconf.base", {}),
    "Settings": ("dynaconf.base", {"dynaconf_skip_loaders": True, "dynaconf_skip_validators": True}),
    "DataDict": ("dynaconf.nodes", {}),
}
"""The classes whose new instances the attribute paths start from: module, and options that load nothing."""


def _probe(module: str, name: str, options: dict[str, Any]) -> Any:
    """A new instance of dynaconf's class, or None when the release has no such class."""
    try:
        return getattr(importlib.import_module(module), name)(**options)
    except (ImportError, AttributeError):
        return None


def _has(path: str, probes: dict[str, Any]) -> bool:
    first, *names = path.split(".")
    if first in probes:
        found = probes[first]
        if found is None:
            return False
    else:
        module, _, name = path.rpartition(".")
        try:
            found, names = importlib.import_module(module), [name]
        except ImportError:
            return False
    for name in names:
        # NOTE: getattr_static, so a missing attribute never reaches LazySettings.__getattr__ (a load).
        try:
            found = inspect.getattr_static(found, name)
        except AttributeError:
            return False
    return True


def require(installed: str, absent: list[str]) -> None:
    """Refuse a dynaconf that lacks an internal; warn about one outside the tested range that has them all."""
    remedy = f"install a supported release: pip install 'dynaconf{SUPPORTED}'"
    if absent:
        raise DynaconfVersionError(
            f"clarity-settings supports dynaconf {SUPPORTED}; dynaconf {installed} lacks "
            f"{', '.join(absent)}, which it needs; {remedy}"
        )
    if not OLDEST <= _release(installed) <= NEWEST:
        warnings.warn(
            f"dynaconf {installed} is outside the releases clarity-settings was tested on ({SUPPORTED}): "
            f"{remedy}",
            RuntimeWarning,
            stacklevel=2,
        )


def _release(version: str) -> tuple[int, ...]:
    """The release numbers of a version ("3.3.5rc1" is (3, 3, 5)), to compare with the range."""
    return tuple(int(number) for number in re.findall(r"[0-9]+", version)[:3])


require(metadata.version("dynaconf"), missing())
