"""What a charter version says rule by rule, and what changed between two versions.

Pure: two ``CharterVersion.params`` in, plain records out (the settings pages show them). A
version's parameters are read as the engine reads them (``CharterConfig.from_params``,
leniently), so a rule removed since an old version was written is simply left out, and a
parameter a version does not give takes its default on both sides of the diff.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from charter.engine import CharterConfig
from charter.rules import RULES, ParamKind, Rule, Severity

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class RuleState:
    """One rule as a version sets it: on or off, its severity, its parameters resolved."""

    rule: Rule
    enabled: bool
    severity: Severity
    params: Mapping[str, Any]

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def title(self) -> StrOrPromise:
        return self.rule.title

    def shown_params(self) -> list[tuple[str, str]]:
        """Each parameter as a reader sees it: a word list joined by commas."""
        return [
            (name, ", ".join(value) if isinstance(value, list | tuple) else str(value))
            for name, value in self.params.items()
        ]


@dataclass(frozen=True)
class ParamChange:
    name: str
    # Word lists: the words added and removed (in the order the new and old lists give them).
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    # Any other parameter: its value before and after.
    before: Any = None
    after: Any = None
    is_list: bool = False


@dataclass(frozen=True)
class RuleChange:
    before: RuleState
    after: RuleState
    params: tuple[ParamChange, ...]

    @property
    def code(self) -> str:
        return self.after.code

    @property
    def title(self) -> StrOrPromise:
        return self.after.title

    @property
    def turned_on(self) -> bool:
        return self.after.enabled and not self.before.enabled

    @property
    def turned_off(self) -> bool:
        return self.before.enabled and not self.after.enabled

    @property
    def severity_changed(self) -> bool:
        return self.before.severity != self.after.severity


def rule_states(params: object) -> list[RuleState]:
    """Every rule, in the reference's order, as ``params`` sets it."""
    config = CharterConfig.from_params(params, version_id=None, version_label="")
    return [
        RuleState(
            rule=rule,
            enabled=code not in config.disabled,
            severity=config.severities.get(code, rule.default_severity),
            params=rule.resolve_params(config.params.get(code)),
        )
        for code, rule in RULES.items()
    ]


def _param_change(rule: Rule, name: str, old: Any, new: Any) -> ParamChange | None:
    if rule.params[name].kind is ParamKind.STRINGS:
        old_words, new_words = list(old or ()), list(new or ())
        added = tuple(w for w in new_words if w not in old_words)
        removed = tuple(w for w in old_words if w not in new_words)
        if not added and not removed:
            return None
        return ParamChange(name=name, added=added, removed=removed, is_list=True)
    if old == new:
        return None
    return ParamChange(name=name, before=old, after=new)


def diff_versions(old: object, new: object) -> list[RuleChange]:
    """The rules whose state differs between two versions' parameters, in the reference's
    order: turned on or off, severity changed, words added or removed, values changed."""
    changes: list[RuleChange] = []
    for before, after in zip(rule_states(old), rule_states(new), strict=True):
        params = tuple(
            change
            for name in after.rule.params
            if (change := _param_change(after.rule, name, before.params[name], after.params[name]))
        )
        if before.enabled != after.enabled or before.severity != after.severity or params:
            changes.append(RuleChange(before=before, after=after, params=params))
    return changes
