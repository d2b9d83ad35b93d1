"""What a rule is: a pure function over a frozen snapshot, and the metadata around it.

A rule never reads the database, the clock or the network: ``check`` receives the snapshot,
its resolved parameters and the severity the charter version gives it, and yields findings.
Titles, rationales and parameter help are lazy (rendered in the reader's language); finding
messages are rendered when the check runs, because reports are stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from charter.snapshot import PostSnapshot


class Severity(StrEnum):
    BLOCK = "block"  # the draft cannot be submitted
    WARN = "warn"  # shown to author and reviewers, never refuses


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    message: str  # says what to change, with the numbers
    account_id: int | None = None  # the rendition concerned, None for the whole post
    span: tuple[int, int] | None = None  # [start, end) in codepoints of PostSnapshot.text
    # A tier the post must at least have ("sensitive" | "political"), so that the approval
    # chain of that tier (e.g. the electoral referent) sees it; "" leaves the tier alone.
    min_tier: str = ""
    # Lifted by a waiver on this revision: shown, recorded, but no longer blocking.
    waived: bool = False


class ParamKind(StrEnum):
    STRINGS = "strings"  # a list of non-empty strings, stripped
    INTEGER = "integer"  # a whole number between the parameter's minimum and maximum
    BOOLEAN = "boolean"  # true or false
    CHOICE = "choice"  # one of the parameter's ``choices``


class ParamError(ValueError):
    """A parameter value of the wrong shape; the message says what is expected."""


@dataclass(frozen=True)
class Param:
    kind: ParamKind
    default: Any
    help: StrOrPromise
    minimum: int | None = None  # INTEGER only, inclusive
    maximum: int | None = None
    # Extra checks on a value already in canonical form; raises ParamError.
    validate: Callable[[Any], None] | None = None
    choices: tuple[str, ...] = ()  # CHOICE only

    def coerce(self, value: object) -> Any:
        """The value in canonical form, or ParamError."""
        if self.kind is ParamKind.STRINGS:
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise ParamError(gettext("expected a list of texts"))
            cleaned: Any = [v.strip() for v in value]
            if not all(cleaned):
                raise ParamError(gettext("empty texts are not allowed"))
        elif self.kind is ParamKind.INTEGER:
            cleaned = self._integer(value)
        elif self.kind is ParamKind.BOOLEAN:
            if not isinstance(value, bool):
                raise ParamError(gettext("expected true or false"))
            cleaned = value
        elif self.kind is ParamKind.CHOICE:
            if value not in self.choices:
                raise ParamError(
                    gettext("expected one of: %(choices)s") % {"choices": ", ".join(self.choices)}
                )
            cleaned = value
        else:  # pragma: no cover
            raise AssertionError(f"unhandled parameter kind {self.kind}")
        if self.validate is not None:
            self.validate(cleaned)
        return cleaned

    def _integer(self, value: object) -> int:
        # JSON has no integer type of its own: 3.0 is 3, but 3.5 and true are mistakes.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParamError(gettext("expected a whole number"))
        if isinstance(value, float) and not value.is_integer():
            raise ParamError(gettext("expected a whole number"))
        number = int(value)
        low, high = self.minimum, self.maximum
        if (low is not None and number < low) or (high is not None and number > high):
            bounds = {"low": "…" if low is None else low, "high": "…" if high is None else high}
            raise ParamError(gettext("expected a number between %(low)s and %(high)s") % bounds)
        return number


RuleCheck = Callable[["PostSnapshot", Mapping[str, Any], Severity], Iterable[Finding]]


@dataclass(frozen=True)
class Example:
    """A documented case: the generated reference shows it, a test runs it."""

    description: StrOrPromise
    snapshot: PostSnapshot
    passes: bool
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    code: str  # stable: stored in charter versions and check reports
    title: StrOrPromise
    rationale: StrOrPromise
    default_severity: Severity
    check: RuleCheck
    params: Mapping[str, Param] = field(default_factory=dict)
    # A network limit (the server refuses the post anyway) or a legal obligation (confidential
    # markings, the electoral silence): no charter may lower or disable it.
    locked: bool = False
    # False: no waiver can lift a finding of this rule (network limits, legal prohibitions).
    waivable: bool = True
    examples: tuple[Example, ...] = ()

    def resolve_params(self, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The defaults overlaid with a charter version's values (already validated)."""
        resolved = {name: param.default for name, param in self.params.items()}
        if given:
            resolved.update({k: v for k, v in given.items() if k in self.params})
        return resolved

    def run(
        self,
        snapshot: PostSnapshot,
        params: Mapping[str, Any] | None = None,
        severity: Severity | None = None,
    ) -> tuple[Finding, ...]:
        return tuple(
            self.check(snapshot, self.resolve_params(params), severity or self.default_severity)
        )
