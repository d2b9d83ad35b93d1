"""Every verb the code appends to the audit trail has a label in ``EVENT_VERBS``.

Without one, the history and audit pages show the raw verb. The verbs are read from the
source (no service needs to run): the string given as ``verb=`` anywhere, as the verb
argument of the audit writers (``audit``/``_audit``/``AuditEntry``: the post, then the verb;
``record``/``_record``: the verb first), or assigned to a variable named ``verb``. The
commands are left out: they write through the services, and their own ``verb`` is a
word they print. The reverse check keeps the scan honest: a label that no scanned call
writes means the scan lost track of a way of writing events (or the label is dead).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from editorial.audit import SIGNING_STARTED
from editorial.models import EVENT_VERBS

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "charter", "editorial", "publishing")
# Writers that take the post first, then the verb; and those that take the verb first.
VERB_SECOND = frozenset({"audit", "_audit", "AuditEntry"})
VERB_FIRST = frozenset({"record", "_record", "_audit"})
# Labels for verbs written otherwise: by migration 0023, through editorial.audit's constant.
WRITTEN_ELSEWHERE = frozenset({SIGNING_STARTED})


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _words(node: ast.expr) -> Iterator[str]:
    """The verbs an expression can be: constants, either side of ``a if c else b``, and
    an f-string's constant head (``posthoc_{outcome}``) ending in ``*``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _words(node.body)
        yield from _words(node.orelse)
    elif isinstance(node, ast.JoinedStr) and node.values:
        head = node.values[0]
        if isinstance(head, ast.Constant) and isinstance(head.value, str):
            yield head.value + "*"


def _verbs_in(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            for keyword in node.keywords:
                if keyword.arg == "verb":
                    yield from _words(keyword.value)
            if name in VERB_FIRST and node.args:
                yield from _words(node.args[0])
            if name in VERB_SECOND and len(node.args) > 1:
                yield from _words(node.args[1])
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "verb" for t in node.targets
        ):
            yield from _words(node.value)


def emitted_verbs() -> dict[str, str]:
    """Each verb the apps write, with one place that writes it."""
    found: dict[str, str] = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "management" in path.parts:
                continue  # commands write through the services (their ``verb`` is a word shown)
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for verb in _verbs_in(tree):
                found.setdefault(verb, str(path.relative_to(ROOT)))
    return found


def _labelled(verb: str) -> bool:
    if verb.endswith("*"):
        return any(label.startswith(verb[:-1]) for label in EVENT_VERBS)
    return verb in EVENT_VERBS


def test_audit_verbs_every_verb_written_has_a_label() -> None:
    missing = {verb: where for verb, where in emitted_verbs().items() if not _labelled(verb)}
    assert not missing, f"verbs with no label in EVENT_VERBS (editorial/models/audit.py): {missing}"


def test_audit_verbs_every_label_is_written_somewhere() -> None:
    emitted = emitted_verbs()
    heads = [verb[:-1] for verb in emitted if verb.endswith("*")]
    unused = {
        label
        for label in EVENT_VERBS
        if label not in emitted
        and label not in WRITTEN_ELSEWHERE
        and not any(label.startswith(head) for head in heads)
    }
    assert not unused, f"labels no scanned call writes (the scan missed a writer?): {unused}"


def test_audit_verbs_scan_reads_each_way_of_writing() -> None:
    # One verb per shape of call: were a shape lost, the two tests above would prove little.
    emitted = emitted_verbs()
    assert {"created", "membership_created", "charter_created", "login_locked_out"} <= set(emitted)
    assert {"user_activated", "user_deactivated", "posthoc_*"} <= set(emitted)
