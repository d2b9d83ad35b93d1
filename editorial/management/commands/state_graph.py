"""Print the post state machine as a Mermaid graph, read from the transitions in the code.

`--write` refreshes the block in docs/architecture.md; a test keeps the two in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from editorial.models import Post

START, END = "<!-- state-graph:start -->", "<!-- state-graph:end -->"


def mermaid() -> str:
    field = Post._meta.get_field("state")
    transitions = field.get_all_transitions(Post)
    edges = sorted({(str(t.source), str(t.target), t.name) for t in transitions})
    lines = ["stateDiagram-v2", "    [*] --> draft"]
    lines += [f"    {source} --> {target}: {name}" for source, target, name in edges]
    lines.append("    published --> [*]")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Print the post state machine as a Mermaid diagram (--write updates the docs)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        graph = mermaid()
        if not options["write"]:
            self.stdout.write(graph)
            return
        doc = Path(settings.BASE_DIR) / "docs" / "architecture.md"
        text = doc.read_text()
        head, rest = text.split(START)
        _, tail = rest.split(END)
        doc.write_text(f"{head}{START}\n```mermaid\n{graph}\n```\n{END}{tail}")
        self.stdout.write(f"Updated {doc}")
