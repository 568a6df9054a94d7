"""Publishing to Parameter Store: names under the prefix, typed plans of what would change, and writes.

The loader only ever reads; this module is what the command line uses to put and compare. A plan
compares typed values (what a service would load), not texts: ``@int 8080`` and a file's ``8080``
agree, ``false`` the text and ``false`` the boolean do not. An existing parameter keeps its type
unless the caller asks for another, and a type change is its own action.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from clarity_settings import data_values, names, rules
from clarity_settings.contract import inbound
from clarity_settings.contract.code_settings import CodeSettings
from clarity_settings.errors import ConfigurationError
from clarity_settings.ssm import read, switch

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

PARAMETER_TYPES: Final = ("SecureString", "String", "StringList")
DEFAULT_TYPE: Final = "SecureString"

Levels = tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """One parameter of a plan: full name, what happens to it, its type; the text to store is never shown."""

    name: str
    action: str
    kind: str
    previous_kind: str | None = None
    text: str = field(default="", repr=False)
    value_types: str | None = None
    """How the loaded value's type changes ("int -> str"), when it does."""


def absolute_name(name: str, prefix: str) -> str:
    """A NAME from the command line: relative to the prefix unless it starts with '/'."""
    if not name or name.strip() != name:
        raise ConfigurationError("a parameter name must not be empty or have surrounding blanks")
    return name if name.startswith("/") else f"{prefix}/{name.lstrip('/')}"


def plan(
    prefix: str,
    current: Iterable[read.Parameter],
    wanted: Mapping[Levels, object],
    *,
    kind: str | None = None,
) -> list[Change]:
    """What publishing wanted would do to each parameter, checked whole before anything is written.

    A value SSM holds in another shape (a table as one @json parameter where the file splits it)
    is unchanged when it loads the same, and a conflict when it does not: writing beside it would
    leave parameters that the loader refuses as overlapping.
    """
    entries = read.map_parameters(prefix, current)
    loaded = {entry.path: read.value_of(entry.parameter) for entry in entries}
    changes: dict[str, Change] = {}
    for levels, value in sorted(wanted.items()):
        overlapping = [entry for entry in entries if entry.path != levels and _overlap(entry.path, levels)]
        if not overlapping:
            existing = next((entry.parameter for entry in entries if entry.path == levels), None)
            change = _change(prefix, levels, value, existing, kind)
            changes[change.name] = change
        elif not _same_subtree(levels, overlapping, loaded, wanted):
            for entry in overlapping:
                parameter = entry.parameter
                changes[parameter.name] = Change(parameter.name, "conflict", parameter.type, parameter.type)
    return sorted(changes.values(), key=lambda change: change.name)


def only_in_ssm(prefix: str, current: Iterable[read.Parameter], wanted: Iterable[Levels]) -> list[str]:
    """The parameters that set nothing the file sets: publishing keeps them, and a diff lists them."""
    covered = list(wanted)
    return sorted(
        entry.parameter.name
        for entry in read.map_parameters(prefix, current)
        if not any(_overlap(entry.path, levels) for levels in covered)
    )


def refuse_conflicts(changes: Iterable[Change]) -> None:
    """A plan with a conflict is refused whole, before anything is written."""
    conflicts = [change.name for change in changes if change.action == "conflict"]
    if conflicts:
        raise ConfigurationError(
            f"SSM parameters {', '.join(conflicts)} hold these settings in another shape (a table as one "
            "value, or split into parameters) and differ from the file; delete them first "
            "(ssm delete NAME), then push again; nothing was written"
        )


def _overlap(one: Levels, other: Levels) -> bool:
    shorter = min(len(one), len(other))
    return one[:shorter] == other[:shorter]


def _same_subtree(
    levels: Levels,
    overlapping: list[read.Entry],
    loaded: Mapping[Levels, object],
    wanted: Mapping[Levels, object],
) -> bool:
    root = min([levels, *(entry.path for entry in overlapping)], key=len)
    return data_values.same(_subtree(loaded, root), _subtree(wanted, root))


def _subtree(values: Mapping[Levels, object], root: Levels) -> object:
    """The value at root that the settings at and below root make up together."""
    tree: dict[str, object] = {}
    for levels, value in values.items():
        if levels == root:
            return data_values.plain(value)
        if levels[: len(root)] == root:
            node = tree
            for level in levels[len(root) : -1]:
                node = node.setdefault(level, {})  # type: ignore[assignment]
            node[levels[-1]] = value
    return tree


def _change(
    prefix: str, levels: Levels, value: object, existing: read.Parameter | None, requested: str | None
) -> Change:
    name = existing.name if existing is not None else f"{prefix}/{'/'.join(levels).lower()}"
    if levels in names.ENCRYPTED_ONLY and requested not in (None, DEFAULT_TYPE):
        raise ConfigurationError(
            f"{'.'.join(levels)} is only ever stored as a SecureString; leave out --type"
        )
    kind = (
        DEFAULT_TYPE
        if levels in names.ENCRYPTED_ONLY
        else requested or (existing.type if existing else DEFAULT_TYPE)
    )
    text = stored_text(levels, value, kind)
    if text is None and requested is None:
        kind, text = DEFAULT_TYPE, stored_text(levels, value, DEFAULT_TYPE)
    if text is None:
        raise ConfigurationError(
            f"{'.'.join(levels)} cannot be a StringList (a list of plain values without commas); "
            "leave out --type StringList"
        )
    if not _loads_same(levels, read.Parameter(name, kind, text, 0), value):
        raise ConfigurationError(
            f"{'.'.join(levels)} cannot be stored so that it reads back as the same value"
        )
    if existing is None:
        return Change(name, "add", kind, None, text)
    unchanged = _loads_same(levels, existing, value)
    value_types = value_type_change(levels, existing, value)
    if existing.type != kind:
        return Change(name, "retype", kind, existing.type, text, value_types)
    return Change(name, "unchanged" if unchanged else "change", kind, existing.type, text, value_types)


def value_type_change(levels: Levels, existing: read.Parameter, value: object) -> str | None:
    """'int -> str' when the value a parameter loads as now and value differ in type, else None."""
    before = type(comparable(levels, read.value_of(existing))).__name__
    after = type(comparable(levels, value)).__name__
    return None if before == after else f"{before} -> {after}"


def refuse_silent_retype(levels: Levels, existing: read.Parameter, text: str, kind: str) -> None:
    """Before `ssm put --overwrite`: a value that would load as another type is said, not slipped in.

    printf 8080 | ssm put port over '@int 8080' would turn settings.PORT into the text '8080'; an
    explicit typing token (or --retype) says the new type is meant.
    """
    if text.partition(" ")[0] in data_values.TYPING_TOKENS:
        return
    change = value_type_change(levels, existing, read.value_of(read.Parameter(existing.name, kind, text, 0)))
    if change is not None:
        token = _TOKEN_OF.get(change.partition(" -> ")[0], "@json")
        raise ConfigurationError(
            f"{existing.name} loads as {change.replace(' -> ', ' now; the new value would load as ')}: "
            f"write it with its token (e.g. '{token} ...') to keep the type, or pass --retype; "
            "it was not written"
        )


_TOKEN_OF: Final = {"int": "@int", "float": "@float", "bool": "@bool", "str": "@str"}
"""The typing token that keeps a loaded type; anything else (a table, a list, null) is @json."""


def _loads_same(levels: Levels, parameter: read.Parameter, value: object) -> bool:
    left, right = comparable(levels, read.value_of(parameter)), comparable(levels, value)
    if levels == (names.CHECKSUMS,) and isinstance(left, Mapping) and isinstance(right, Mapping):
        # NOTE: model sizes are case-sensitive to the validator ('SMALL' is refused), unlike setting names.
        return sorted(left.items()) == sorted(right.items())
    return data_values.same(left, right)


def comparable(levels: Levels, value: object) -> object:
    """A value as its readers see it: the model checksums decoded, as the checksums loader decodes them."""
    return data_values.decode_checksums(value) if levels == (names.CHECKSUMS,) else data_values.plain(value)


def stored_text(levels: Levels, value: object, kind: str) -> str | None:
    """The text to store so that the loader reads value back, or None if kind cannot hold it.

    The model checksums stay the guide's JSON text; a StringList holds a list of plain values.
    """
    if kind != "StringList":
        return data_values.setting_text(levels, value)
    if not isinstance(value, list) or not value or isinstance(value, Mapping):
        return None
    items = [data_values.text_for(item) for item in value if not isinstance(item, list | Mapping)]
    if len(items) != len(value) or any("," in item for item in items):
        return None
    return ",".join(items)


def refuse_unpublishable(wanted: Mapping[Levels, object], *, env: str, prefix: str) -> None:
    """Before anything is written: a secret the target's services would refuse stops the publication.

    The guide's secrets are checked whole, split into parameters or not, under the rules of env; only
    development's own prefix gets development's leniency (a development shell may publish elsewhere).
    """
    target = (
        env if names.is_development(env) and prefix == switch.default_prefix(env) else _strict(env, prefix)
    )
    for top in sorted({levels[0] for levels in wanted} & set(names.GUIDE_VARIABLES)):
        value = comparable((top,), _subtree(wanted, (top,)))
        problem = rules.publishing_problem((top,), value, env=target, prefix=prefix)
        if problem is not None:
            raise ConfigurationError(f"{top} {problem}; nothing was written")


def _strict(env: str, prefix: str) -> str:
    """The name strict rules go by: the environment, or the prefix a development shell writes to."""
    return prefix if names.is_development(env) else env


def kept_type(name: str, prefix: str, current: Iterable[read.Parameter]) -> str:
    """The type a put gives a parameter when none is asked for: the one it has, else SecureString.

    A signing key planted as a String does not keep that type: the keys are only ever SecureStrings.
    """
    existing = next((found for found in current if found.name == name), None)
    if existing is None or read.setting_path(prefix, name) in names.ENCRYPTED_ONLY:
        return DEFAULT_TYPE
    return existing.type


def refuse_unloadable(
    name: str, text: str, kind: str, *, env: str, prefixes: list[str], current: Iterable[read.Parameter]
) -> None:
    """Before `ssm put`: a name or value the loader would refuse is not written.

    One refused parameter stops every load of its prefix. Under a prefix this environment reads, the
    loader's own checks run (names, collisions with current, values, the secrets' rules); elsewhere the
    name is judged by its last level, under strict rules.
    """
    prefix = next((prefix for prefix in reversed(prefixes) if name.startswith(f"{prefix}/")), None)
    if prefix is None:
        prefix = name.rpartition("/")[0]
        env = "production"
    stored = read.Parameter(name, kind, text, 0)
    try:
        # NOTE: the code settings in force where it will be read are not known here: the built-in ones.
        ((levels, value, _),) = inbound.admit(
            [read.text_of(prefix, stored)], code_settings=CodeSettings.of(None)
        )
        read.map_parameters(prefix, [*(found for found in current if found.name != name), stored])
    except ConfigurationError as error:
        raise ConfigurationError(f"{error}; it was not written") from None
    if levels in names.ENCRYPTED_ONLY and kind != DEFAULT_TYPE:
        raise ConfigurationError(
            f"{'.'.join(levels)} is only ever stored as a SecureString; leave out --type"
        )
    refuse_unpublishable({levels: value}, env=env, prefix=prefix)


def label(client: SSMClient, name: str, version: int, label: str) -> None:
    """Attach label to one version of a parameter (SSM moves it there from any other version)."""
    answer = client.label_parameter_version(Name=name, ParameterVersion=version, Labels=[label])
    if answer.get("InvalidLabels"):
        raise ConfigurationError(
            f"SSM refused the label for {name}; see iam-policy --write and the label rules"
        )


def delete(client: SSMClient, name: str) -> None:
    """Delete one parameter by its full name."""
    client.delete_parameter(Name=name)


def put(
    client: SSMClient, name: str, value: str, *, kind: str = DEFAULT_TYPE, overwrite: bool = False
) -> int:
    """Write one parameter and return its new version."""
    if kind not in PARAMETER_TYPES:
        raise ConfigurationError(f"the parameter type must be one of {', '.join(PARAMETER_TYPES)}")
    if not value:
        raise ConfigurationError(f"the value for {name} is empty; SSM stores no empty parameters")
    # NOTE: Intelligent-Tiering stores a value of up to 4 KB as Standard and a larger one (up to the
    # 8 KB the loader accepts) as Advanced, where a Standard-only put would refuse it.
    response = client.put_parameter(
        Name=name,
        Value=value,
        Type=kind,  # type: ignore[arg-type]
        Overwrite=overwrite,
        Tier="Intelligent-Tiering",
    )
    return int(response["Version"])
