"""The tutorial standard (docs/authoring.md): what a course's tutorials must hold before the course
counts as converted. Kept as pure functions over the course files so a test, the authors' guide and
`mnss course validate --tutorials` all apply the same rules.

A tutorial teaches in Chinese first with English alongside, and carries its experiment: a canvas
with the topology, a cell that runs it and one that measures it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import nbformat
from markdown_it import MarkdownIt

from mnss_foundation.i18n import CJK

MIN_TUTORIALS = 5
MIN_REFERENCES = 4  # the works the course was checked against (course.yaml `references`)
MIN_HAN = 800  # Chinese characters of teaching text (code not counted)
MIN_ENGLISH_WORDS = 300  # the English alongside: about as much text as the Chinese
CANVAS = re.compile(r"\bTopologyCanvas\(")
RUN = re.compile(r"\.run\(\)|\bLab\(")
MEASURE = re.compile(r"\.(ping_all|ping_matrix|ping|iperf|traceroute|cmd|diagnose)\(|\bmeasure\.\w+\(")
EXPERIMENT = [
    ("canvas (TopologyCanvas(...))", CANVAS),
    ("cell that runs the network", RUN),
    ("cell that measures it", MEASURE),
]
ENGLISH_WORD = re.compile(r"\b[A-Za-z][A-Za-z'-]+\b")
CODE_LANGUAGES = {"python", "py", "python3", "ipython"}


def parts(path: Path) -> tuple[str, list[str]]:
    """(the teaching text, the code cells) of a tutorial file, Markdown or notebook."""
    if path.suffix == ".ipynb":
        cells = nbformat.read(path, as_version=4).cells
        text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
        return text, [c.source for c in cells if c.cell_type == "code"]
    markdown = path.read_text("utf-8")
    lines = markdown.splitlines(keepends=True)
    code, kept, start = [], [], 0
    for token in MarkdownIt("commonmark").parse(markdown):
        if token.type == "fence" and token.map and token.info.strip().split(" ", 1)[0].lower() in CODE_LANGUAGES:
            kept += lines[start : token.map[0]]
            code.append(token.content)
            start = token.map[1]
    kept += lines[start:]
    return "".join(kept), code


def han_count(text: str) -> int:
    return len(CJK.findall(text))


def english_words(text: str) -> int:
    return len(ENGLISH_WORD.findall(re.sub(r"`[^`]*`", " ", text)))


FIGURE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp"}  # what JupyterLab draws as an attachment


def figure_problems(path: Path, text: str) -> list[str]:
    """Relative image paths the text shows that are not files beside the tutorial, or of a type
    JupyterLab cannot draw from the learner's notebook (SVG: ship its PNG, scripts/render_figures.py)."""
    problems = []
    for token in MarkdownIt("commonmark").parse(text):
        for child in token.children or []:
            src = str(child.attrGet("src") or "") if child.type == "image" else ""
            if not src or ":" in src:
                continue
            if not (path.parent / src).is_file():
                problems.append(f"{path}: figure {src} does not exist")
            elif Path(src).suffix.lower() not in FIGURE_SUFFIXES:
                kinds = "PNG, JPEG, GIF or WebP (JupyterLab draws no SVG attachment)"
                problems.append(f"{path}: figure {src} must be {kinds}")
    return problems


def tutorial_problems(path: Path) -> list[str]:
    """What one tutorial lacks against the standard, each naming the file."""
    text, code = parts(path)
    joined = "\n".join(code)
    problems = []
    if han_count(text) < MIN_HAN:
        problems.append(f"{path}: {han_count(text)} Chinese characters of text, at least {MIN_HAN} needed")
    if english_words(text) < MIN_ENGLISH_WORDS:
        problems.append(f"{path}: {english_words(text)} English words, at least {MIN_ENGLISH_WORDS} needed alongside")
    for what, pattern in EXPERIMENT:
        if not pattern.search(joined):
            problems.append(f"{path}: its code has no {what}")
    problems += figure_problems(path, text)
    return problems


def course_problems(root: Path, meta: Mapping) -> list[str]:
    """What a course's tutorials lack against the standard (count, references, then each tutorial)."""
    tutorials, references = meta.get("tutorials", []), meta.get("references", [])
    problems = []
    if len(tutorials) < MIN_TUTORIALS:
        problems.append(f"{root / 'course.yaml'}: {len(tutorials)} tutorials, at least {MIN_TUTORIALS} needed")
    if len(references) < MIN_REFERENCES:
        problems.append(
            f"{root / 'course.yaml'}: {len(references)} references, at least {MIN_REFERENCES} needed "
            "(the works its facts were checked against)"
        )
    for t in tutorials:
        problems += tutorial_problems(root / t["file"])
    return problems
