"""Cut a post's text into runs marked by the findings whose span covers them, for the
compose page to highlight what a rule points at. Pure: spans are codepoint offsets into
``PostSnapshot.text``, as the rules give them."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from charter.rules.base import Finding, Severity

_RANK = {Severity.BLOCK: 2, Severity.WARN: 1}


@dataclass(frozen=True)
class Run:
    text: str
    severity: str = ""  # the most serious finding covering the run; "" when none
    messages: tuple[str, ...] = ()


def highlight(text: str, findings: Sequence[Finding]) -> list[Run]:
    """The text as consecutive runs; a run covered by several findings carries them all."""
    spans = [
        (max(0, f.span[0]), min(len(text), f.span[1]), f)
        for f in findings
        if f.span is not None and f.span[0] < f.span[1] and f.span[0] < len(text)
    ]
    if not spans:
        return [Run(text)] if text else []
    cuts = sorted({0, len(text), *(s for s, _e, _f in spans), *(e for _s, e, _f in spans)})
    runs: list[Run] = []
    for start, end in itertools.pairwise(cuts):
        if start >= end:
            continue
        covering = [f for s, e, f in spans if s <= start and end <= e]
        severity = max((f.severity for f in covering), key=_RANK.__getitem__, default=None)
        run = Run(
            text[start:end],
            str(severity) if severity else "",
            tuple(dict.fromkeys(f.message for f in covering)),
        )
        if runs and not covering and not runs[-1].severity:
            runs[-1] = Run(runs[-1].text + run.text)  # keep plain text in one run
        else:
            runs.append(run)
    return runs
