from __future__ import annotations

from pathlib import Path

from editorial.management.commands.state_graph import mermaid

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def test_architecture_doc_shows_the_state_graph_of_the_code() -> None:
    text = DOC.read_text()
    block = text.split("<!-- state-graph:start -->")[1].split("<!-- state-graph:end -->")[0]
    assert block.strip() == f"```mermaid\n{mermaid()}\n```"
