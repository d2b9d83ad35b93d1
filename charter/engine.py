"""Run a charter over a snapshot.

``check`` is pure: a snapshot and a ``CharterConfig`` in, a ``CheckReport`` out. The config is
what a charter version says (rule parameters, severity overrides, disabled rules), already
parsed; ``CharterConfig.default()`` is the charter of an organisation that has written none.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from django.utils.translation import gettext

from charter.counting import (
    BLUESKY_MAX_BYTES,
    BLUESKY_MAX_GRAPHEMES,
    bluesky_graphemes,
    status_length,
    utf8_bytes,
)
from charter.rules import RULES, Finding, ParamError, Rule, Severity
from charter.snapshot import PostSnapshot

# Keys of CharterVersion.params besides rule codes.
SEVERITIES = "severities"
DISABLED = "disabled"


class CharterParamsError(ValueError):
    """Charter version parameters that cannot be used; ``messages`` says what to fix."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = messages


def _freeze(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    return value


logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CharterConfig:
    version_id: int | None
    version_label: str
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # per rule code
    severities: Mapping[str, Severity] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Frozen all the way down: a config is shared between checks and must not drift.
        object.__setattr__(self, "params", _freeze(self.params))
        severities = {code: Severity(s) for code, s in self.severities.items()}
        object.__setattr__(self, "severities", MappingProxyType(severities))
        object.__setattr__(self, "disabled", frozenset(self.disabled))

    @classmethod
    def default(cls) -> CharterConfig:
        return cls(version_id=None, version_label=gettext("Default charter"))

    @classmethod
    def from_params(
        cls, raw: object, *, version_id: int | None, version_label: str
    ) -> CharterConfig:
        """Leniently: what no longer fits the rules (a rule since removed) is left out."""
        params, severities, disabled, _errors = _parse(raw)
        return cls(
            version_id=version_id,
            version_label=version_label,
            params=params,
            severities=severities,
            disabled=frozenset(disabled),
        )


def normalize_params(raw: object) -> dict[str, Any]:
    """The canonical form of charter version parameters, or CharterParamsError.

    Shape: ``{"<rule code>": {"<param>": value}, "severities": {"<rule code>": "block"|"warn"},
    "disabled": ["<rule code>", ...]}``, every key optional.
    """
    params, severities, disabled, errors = _parse(raw)
    if errors:
        raise CharterParamsError(errors)
    normalized: dict[str, Any] = dict(params)
    if severities:
        normalized[SEVERITIES] = {code: str(s) for code, s in severities.items()}
    if disabled:
        normalized[DISABLED] = sorted(disabled)
    return normalized


def _parse(
    raw: object,
) -> tuple[dict[str, dict[str, Any]], dict[str, Severity], set[str], list[str]]:
    params: dict[str, dict[str, Any]] = {}
    severities: dict[str, Severity] = {}
    disabled: set[str] = set()
    errors: list[str] = []
    if not isinstance(raw, Mapping):
        errors.append(gettext("The charter parameters must be an object keyed by rule code."))
        return params, severities, disabled, errors
    for key, value in raw.items():
        if key == SEVERITIES:
            severities = _parse_severities(value, errors)
        elif key == DISABLED:
            disabled = _parse_disabled(value, errors)
        elif key in RULES:
            params[key] = _parse_rule_params(RULES[key], value, errors)
        else:
            errors.append(_unknown_code(key))
    return params, severities, disabled, errors


def _unknown_code(code: object) -> str:
    return gettext("Unknown rule code “%(code)s”; the rules are: %(codes)s.") % {
        "code": code,
        "codes": ", ".join(RULES),
    }


def _parse_rule_params(rule: Rule, value: object, errors: list[str]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        errors.append(
            gettext("The parameters of “%(code)s” must be an object.") % {"code": rule.code}
        )
        return {}
    parsed: dict[str, Any] = {}
    for name, given in value.items():
        param = rule.params.get(name)
        if param is None:
            known = ", ".join(rule.params) or gettext("none")
            errors.append(
                gettext("“%(code)s” has no parameter “%(name)s” (its parameters: %(known)s).")
                % {"code": rule.code, "name": name, "known": known}
            )
            continue
        try:
            parsed[name] = param.coerce(given)
        except ParamError as error:
            errors.append(
                gettext("“%(code)s” parameter “%(name)s”: %(problem)s.")
                % {"code": rule.code, "name": name, "problem": error}
            )
    return parsed


def _parse_severities(value: object, errors: list[str]) -> dict[str, Severity]:
    if not isinstance(value, Mapping):
        errors.append(gettext("“severities” must be an object: rule code → block or warn."))
        return {}
    parsed: dict[str, Severity] = {}
    for code, given in value.items():
        rule = RULES.get(code)
        if rule is None:
            errors.append(_unknown_code(code))
        elif given not in [s.value for s in Severity]:
            errors.append(
                gettext("The severity of “%(code)s” must be block or warn, not “%(given)s”.")
                % {"code": code, "given": given}
            )
        elif rule.locked and given != rule.default_severity:
            errors.append(
                gettext(
                    "“%(code)s” is a network limit or a legal obligation: a charter cannot "
                    "change its severity."
                )
                % {"code": code}
            )
        else:
            parsed[code] = Severity(given)
    return parsed


def _parse_disabled(value: object, errors: list[str]) -> set[str]:
    if not isinstance(value, list | tuple):
        errors.append(gettext("“disabled” must be a list of rule codes."))
        return set()
    parsed: set[str] = set()
    for code in value:
        rule = RULES.get(code) if isinstance(code, str) else None
        if rule is None:
            errors.append(_unknown_code(code))
        elif rule.locked:
            errors.append(
                gettext(
                    "“%(code)s” is a network limit or a legal obligation: a charter cannot "
                    "disable it."
                )
                % {"code": code}
            )
        else:
            parsed.add(code)
    return parsed


@dataclass(frozen=True)
class CheckReport:
    findings: tuple[Finding, ...]
    charter_version_id: int | None
    charter_label: str

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.BLOCK and not f.waived)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARN and not f.waived)

    @property
    def ok(self) -> bool:
        return not self.blocking


def check(
    snapshot: PostSnapshot,
    config: CharterConfig,
    *,
    waived: frozenset[str] = frozenset(),
    only: frozenset[str] | None = None,
) -> CheckReport:
    """``waived``: codes of the rules a waiver lifts on this revision; their findings stay in
    the report, marked waived, and no longer block. A rule that is not waivable ignores it.
    ``only``: run just these rules (the re-check at scheduling and publication: RECHECKED)."""
    findings: list[Finding] = []
    for code, rule in RULES.items():
        if only is not None and code not in only:
            continue
        # Network limits hold whatever a config says: the server would refuse the post anyway.
        if code in config.disabled and not rule.locked:
            continue
        found = _run_rule(code, rule, snapshot, config)
        if code in waived and rule.waivable:
            found = tuple(replace(f, waived=True) for f in found)
        findings.extend(found)
    return CheckReport(
        findings=tuple(findings),
        charter_version_id=config.version_id,
        charter_label=config.version_label,
    )


def _run_rule(
    code: str, rule: Rule, snapshot: PostSnapshot, config: CharterConfig
) -> tuple[Finding, ...]:
    """One rule's findings at the severity the config gives it (a locked rule keeps its own)."""
    severity = rule.default_severity
    if not rule.locked:
        severity = config.severities.get(code, severity)
    try:
        found = rule.run(snapshot, config.params.get(code), severity)
    except Exception:
        # A bug in one rule must not cost the officer their draft or a page: it becomes a
        # warning that says to check the point by hand, and the traceback goes to the logs.
        logger.exception("Charter rule %s failed", code)
        found = (
            Finding(
                code,
                Severity.WARN,
                gettext(
                    "The rule “%(title)s” could not check this post (an internal error, "
                    "reported to the administrators): check this point yourself."
                )
                % {"title": rule.title},
            ),
        )
    return found


@dataclass(frozen=True)
class Counter:
    """The live counter of one rendition on the compose page."""

    account_id: int
    network: str
    used: int
    limit: int
    unit: str  # "characters" (Mastodon) | "graphemes" (Bluesky)
    over: bool  # on Bluesky, also when the byte limit is passed
    bytes_used: int | None = None  # Bluesky only
    bytes_limit: int | None = None

    @property
    def remaining(self) -> int:
        return self.limit - self.used


def counters(snapshot: PostSnapshot) -> list[Counter]:
    """One counter per rendition on a known network, measured as the length rules measure;
    for a thread, the part closest to (or furthest over) the limit."""
    result: list[Counter] = []
    for rendition in snapshot.renditions:
        if rendition.network == "mastodon":
            used = max(
                status_length(
                    text,
                    rendition.spoiler_text,
                    counting=rendition.counting,
                    url_length=rendition.characters_reserved_per_url,
                )
                for text in rendition.parts
            )
            limit = rendition.max_characters
            result.append(
                Counter(rendition.account_id, "mastodon", used, limit, "characters", used > limit)
            )
        elif rendition.network == "bluesky":
            used = max(bluesky_graphemes(text) for text in rendition.parts)
            size = max(utf8_bytes(text) for text in rendition.parts)
            over = used > BLUESKY_MAX_GRAPHEMES or size > BLUESKY_MAX_BYTES
            result.append(
                Counter(
                    rendition.account_id,
                    "bluesky",
                    used,
                    BLUESKY_MAX_GRAPHEMES,
                    "graphemes",
                    over,
                    bytes_used=size,
                    bytes_limit=BLUESKY_MAX_BYTES,
                )
            )
    return result


def check_groups(
    snapshot: PostSnapshot,
    groups: Sequence[tuple[CharterConfig, frozenset[int]]],
    *,
    waived: frozenset[str] = frozenset(),
    only: frozenset[str] | None = None,
) -> CheckReport:
    """Check a post whose accounts fall under different charters (an account's own charter
    overrides its unit's). Each charter checks the renditions of its accounts; what concerns
    the whole post is reported once, at its most serious."""
    if len(groups) <= 1:
        config = groups[0][0] if groups else CharterConfig.default()
        return check(snapshot, config, waived=waived, only=only)
    findings: dict[tuple[Any, ...], Finding] = {}
    for config, account_ids in groups:
        part = replace(
            snapshot,
            renditions=tuple(r for r in snapshot.renditions if r.account_id in account_ids),
        )
        for finding in check(part, config, waived=waived, only=only).findings:
            key = (finding.rule, finding.account_id, finding.span, finding.message)
            kept = findings.get(key)
            if kept is None or (
                kept.severity is not Severity.BLOCK and finding.severity is Severity.BLOCK
            ):
                findings[key] = finding
    return CheckReport(
        findings=tuple(findings.values()),
        charter_version_id=groups[0][0].version_id,
        charter_label=" + ".join(dict.fromkeys(c.version_label for c, _ids in groups)),
    )
