"""Whether a value is acceptable: the rules each known setting meets, as dynaconf validators.

Every message names the setting, the rule and what to do, and never the value: dynaconf's own
messages print ``{value}``, so these validators build their own.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from dynaconf import Validator

from clarity_settings import names, provenance, strictness
from clarity_settings.errors import ConfigurationError, InvalidSettingError
from clarity_settings.placeholders import are_placeholder_checksums, is_hex_digest, is_placeholder_key
from clarity_settings.ssm import read, switch

log = logging.getLogger("clarity_settings")

MIN_KEY_LENGTH: Final = 32
MAX_KEY_LENGTH: Final = 4096

_MISSING: Final = object()
_REDUCED: Final = strictness.REDUCED_SECURITY_VARIABLE


@dataclass(frozen=True)
class RuleContext:
    """What a rule needs besides the value: which environment, and where its SSM parameters live."""

    env: str
    prefix: str
    reduced_security: bool = False
    ssm: str = "SSM was not read"
    """What happened to SSM (health.describe()): on or off and why, where, how many parameters."""
    source: str | None = None
    """Where the value in force was set (provenance.source_words), None when missing or a default."""

    @property
    def strict(self) -> bool:
        """Outside development every rule fails closed."""
        return not names.is_development(self.env)


Check = Callable[[Any, RuleContext], str | None]


class Rule(Validator):  # type: ignore[misc]
    """A dynaconf validator for one setting whose messages say what is wrong without the value."""

    def __init__(
        self,
        name: str,
        check: Check,
        *,
        remedy: Callable[[RuleContext], str],
        required_outside_development: bool = False,
        caution: Check | None = None,
        label: str | None = None,
    ) -> None:
        super().__init__(name, description=check.__doc__)
        self.name = name
        self.check = check
        self.remedy = remedy
        self.required_outside_development = required_outside_development
        self.caution = caution
        self.label = label or name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rule) and (self.name, self.check) == (other.name, other.check)

    __hash__ = None  # type: ignore[assignment]

    def validate(
        self,
        settings: Any,
        only: str | Sequence[str] | None = None,
        exclude: str | Sequence[str] | None = None,
        only_current_env: bool = False,  # noqa: ARG002 - dynaconf's signature; rules always use the current env
        variable_path: tuple[str, ...] | None = None,  # noqa: ARG002 - dynaconf's signature
    ) -> None:
        """Raise InvalidSettingError when the setting breaks the rule in the current environment."""
        if not _selected(self.name, only, exclude):
            return
        env = str(settings.current_env).lower()
        context = RuleContext(
            env=env,
            prefix=_prefix_for_messages(settings, env),
            reduced_security=strictness.reduced_security_allowed(settings),
        )
        value = settings.get(self.name, default=_MISSING)
        problem = self._problem(value, context)
        if problem is not None:
            # NOTE: only a broken rule needs the words for its remedy; provenance scans every source.
            context = replace(
                context,
                ssm=switch.context_of(settings).health.describe(),
                source=provenance.source_words(provenance.last_source(settings, self.name)),
            )
            message = f"{self.label} {problem}: {self.remedy(context)}"
            raise InvalidSettingError(message, details=[(self, message)])
        if self.caution is not None and value is not _MISSING:
            notice = self.caution(value, context)
            if notice is not None:
                log.log(logging.ERROR if context.strict else logging.WARNING, "%s %s", self.label, notice)

    def _problem(self, value: object, context: RuleContext) -> str | None:
        if value is _MISSING:
            if self.required_outside_development and context.strict:
                return f"is required in {context.env}"
            return None
        return self.check(value, context)


def _prefix_for_messages(settings: Any, env: str) -> str:
    """The prefix remedies name; an invalid one is reported by the SSM_PREFIX rule itself."""
    try:
        return switch.prefix_of(settings, env)
    except ConfigurationError:
        return "<prefix>"


def _selected(name: str, only: str | Sequence[str] | None, exclude: str | Sequence[str] | None) -> bool:
    only_list = [only] if isinstance(only, str) else list(only or [""])
    exclude_list = [exclude] if isinstance(exclude, str) else list(exclude or [])
    included = any(name.startswith(prefix) for prefix in only_list)
    return included and not any(name.startswith(prefix) for prefix in exclude_list)


def describe_type(value: object) -> str:
    """Name a value's type in the guide's JSON terms, so messages can say what arrived without showing it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def signature_key_problem(value: Any, context: RuleContext) -> str | None:
    """MODEL_SIGNATURE_KEY: text with no surrounding blanks; outside development long and no placeholder."""
    if not isinstance(value, str):
        return f"must be text, not {describe_type(value)} (quote it in TOML, or prefix it with @str)"
    if not value.strip():
        return "is empty"
    if value != value.strip():
        return "has leading or trailing whitespace, which would change every signature"
    if not _is_utf8(value):
        return "holds bytes that are not UTF-8; check the encoding of the file or variable it came from"
    if len(value) > MAX_KEY_LENGTH:
        return f"is longer than {MAX_KEY_LENGTH} characters (an HMAC key gains nothing past 64 bytes)"
    if context.strict and is_placeholder_key(value) and not context.reduced_security:
        return f"is a development placeholder, which {context.env} refuses"
    if context.strict and len(value) < MIN_KEY_LENGTH and not is_placeholder_key(value):
        return f"is shorter than the {MIN_KEY_LENGTH} characters {context.env} requires"
    return None


def _is_utf8(text: str) -> bool:
    """Python keeps undecodable bytes from the environment as lone surrogates, which UTF-8 cannot encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def signature_key_caution(value: Any, context: RuleContext) -> str | None:
    """Say out loud when a service runs on a placeholder key."""
    weak = isinstance(value, str) and is_placeholder_key(value)
    return _caution(weak, context, "is an insecure", "staging and production refuse it")


def _caution(weak: bool, context: RuleContext, what: str, consequence: str) -> str | None:
    if not weak:
        return None
    if context.strict:
        return f"{what} placeholder: {context.env} runs with reduced security because {_REDUCED}=true"
    return f"{what} development placeholder; {consequence}"


def checksums_problem(value: Any, context: RuleContext) -> str | None:
    """EXPECTED_MODEL_CHECKSUMS: JSON object of size to checksum; outside development all three, hex."""
    if isinstance(value, str):
        return _undecodable_json_problem(value)
    if not isinstance(value, Mapping):
        return f"must be a JSON object mapping model size to checksum, not {describe_type(value)}"
    unknown = sorted(str(size) for size in value if size not in names.MODEL_SIZES)
    if unknown:
        return f"names unknown model sizes {_names(unknown)}; the sizes are {_names(names.MODEL_SIZES)}"
    not_text = [size for size, checksum in value.items() if not isinstance(checksum, str) or not checksum]
    if not_text:
        return f"has checksums that are not text or are empty for {_names(not_text)}"
    if not context.strict or (context.reduced_security and are_placeholder_checksums(value)):
        return None
    missing = [size for size in names.MODEL_SIZES if size not in value]
    if missing:
        return f"lacks {_names(missing)}; {context.env} needs all of {_names(names.MODEL_SIZES)}"
    not_hex = [size for size, checksum in value.items() if not is_hex_digest(checksum)]
    if not_hex:
        return f"has checksums for {_names(not_hex)} that are not 64 hexadecimal characters"
    return None


def publishing_problem(levels: tuple[str, ...], value: object, *, env: str, prefix: str) -> str | None:
    """What a service in env would refuse in one of the guide's secrets about to be published, or None.

    The rules of env without reduced security: a placeholder is never published outside development.
    """
    checks: dict[tuple[str, ...], Check] = {
        (names.SIGNATURE_KEY,): signature_key_problem,
        (names.PREVIOUS_SIGNATURE_KEY,): signature_key_problem,
        (names.CHECKSUMS,): checksums_problem,
    }
    check = checks.get(levels)
    return None if check is None else check(value, RuleContext(env=env.lower(), prefix=prefix))


def checksums_caution(value: Any, context: RuleContext) -> str | None:
    """Say out loud when a service runs on placeholder checksums, which verify nothing."""
    weak = isinstance(value, Mapping) and are_placeholder_checksums(value)
    return _caution(weak, context, "holds a", "no model file can verify against it")


def _undecodable_json_problem(text: str) -> str:
    try:
        json.loads(text)
    except ValueError as error:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else "unreadable"
        position = (
            f", line {error.lineno} column {error.colno}" if isinstance(error, json.JSONDecodeError) else ""
        )
        return f"is not valid JSON ({reason}{position})"
    return "must be a JSON object mapping model size to checksum, not a JSON string"


def _names(names: Sequence[str]) -> str:
    """Names as a message may show them: a long one (a checksum pasted as a key?) by its length only."""
    return ", ".join(
        repr(name) if len(name) <= 16 else f"<a name of {len(name)} characters>" for name in names
    )


TTL_REMEDY: Final = f"set {names.control_variable(names.CACHE_TTL)} to a number of seconds such as 300"


MIN_TTL_SECONDS: Final = 1.0
"""The shortest TTL above 0: a refresher then sends at most ceil(N/10) requests a second or so to SSM,
where 1 ms kept a core busy and sent 200 requests a second against the account's 40."""


def cache_ttl_problem(value: Any, context: RuleContext | None) -> str | None:  # noqa: ARG001 - same in every env
    """SECRETS_CACHE_TTL: 0 (every read fetches) or a finite number of seconds of at least MIN_TTL_SECONDS."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"must be a non-negative number of seconds, not {describe_type(value)}"
    if not math.isfinite(value) or value < 0:
        return "must be a finite, non-negative number of seconds"
    if 0 < value < MIN_TTL_SECONDS:
        return f"must be 0 (every read fetches) or at least {MIN_TTL_SECONDS:g} second"
    return None


def cache_ttl(value: Any, *, label: str = names.control_label(names.CACHE_TTL)) -> float:
    """The TTL as seconds (from SECRETS_CACHE_TTL, or code), or a one-line error naming where it was set."""
    problem = cache_ttl_problem(value, None)
    if problem is not None:
        raise ConfigurationError(f"{label} {problem}: {TTL_REMEDY}")
    return float(value)


def ssm_prefix_problem(value: Any, context: RuleContext) -> str | None:  # noqa: ARG001 - same in every env
    """SSM_PREFIX: an absolute SSM path of at most 15 levels in the characters SSM allows."""
    return switch.prefixes_problem(value)


def _secret_rule(name: str, check: Check, verb: str, *, required: bool, caution: Check | None = None) -> Rule:
    """A rule for one of the guide's secrets, whose remedy names its parameter under the prefix in force."""

    def remedy(context: RuleContext) -> str:
        if context.source is not None:
            return f"fix it in {context.source}"
        parameter = read.parameter_for(context.prefix, name)
        return f"{verb} the SSM parameter {parameter} or the environment variable {name}; {context.ssm}"

    return Rule(name, check, remedy=remedy, required_outside_development=required, caution=caution)


def _control_rule(name: str, check: Check, remedy: str) -> Rule:
    """A rule for a control setting, named with the variable that sets it."""
    return Rule(name, check, remedy=lambda _: remedy, label=names.control_label(name))


def build_validators() -> list[Validator]:
    """The validators every clarity settings object runs at first use and on validators.validate()."""
    return [
        _secret_rule(
            names.SIGNATURE_KEY, signature_key_problem, "set", required=True, caution=signature_key_caution
        ),
        _secret_rule(names.PREVIOUS_SIGNATURE_KEY, signature_key_problem, "fix or delete", required=False),
        _secret_rule(
            names.CHECKSUMS,
            checksums_problem,
            "publish signed checksums as",
            required=True,
            caution=checksums_caution,
        ),
        _control_rule(names.CACHE_TTL, cache_ttl_problem, TTL_REMEDY),
        _control_rule(names.SSM_PREFIX, ssm_prefix_problem, switch.PREFIX_REMEDY),
    ]
