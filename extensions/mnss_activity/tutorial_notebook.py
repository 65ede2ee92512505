"""A Markdown tutorial as a notebook, so the learner reads it rendered and runs its examples.

JupyterLab opens a `.md` file as source text in its editor; a learner opening a tutorial from the
portal should instead read the text and try the code beside it (a canvas, a ping matrix). So the
copy the portal's link puts in the learner's home is a notebook: the text between code blocks
becomes Markdown cells, each fenced Python block a code cell (not run). Other fenced blocks
(shell, YAML) stay in the text. The blocks are found by markdown-it-py's CommonMark parser, not by
pattern matching, so a fence inside a list or a longer fence is read as the tutorial's author meant.
"""

from __future__ import annotations

import nbformat
from markdown_it import MarkdownIt

CODE_LANGUAGES = {"python", "py", "python3", "ipython"}


def tutorial_notebook(markdown: str) -> nbformat.NotebookNode:
    """The notebook of one Markdown tutorial: text cells around its Python code cells."""
    lines = markdown.splitlines(keepends=True)
    cells, start = [], 0
    for token in MarkdownIt("commonmark").parse(markdown):
        if token.type != "fence" or token.map is None:
            continue
        if token.info.strip().split(" ", 1)[0].lower() not in CODE_LANGUAGES:
            continue
        first, end = token.map
        _text_cell(cells, lines[start:first])
        cells.append(nbformat.v4.new_code_cell(token.content.rstrip("\n")))
        start = end
    _text_cell(cells, lines[start:])
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def _text_cell(cells: list, lines: list[str]) -> None:
    text = "".join(lines).strip("\n")
    if text.strip():
        cells.append(nbformat.v4.new_markdown_cell(text))
