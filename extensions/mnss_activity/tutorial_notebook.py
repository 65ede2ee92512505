"""A Markdown tutorial as a notebook, so the learner reads it rendered and runs its examples.

JupyterLab opens a `.md` file as source text in its editor; a learner opening a tutorial from the
portal should instead read the text and try the code beside it (a canvas, a ping matrix). So the
copy the portal's link puts in the learner's home is a notebook: the text between code blocks
becomes Markdown cells, each fenced Python block a code cell (not run). Other fenced blocks
(shell, YAML) stay in the text. The blocks are found by markdown-it-py's CommonMark parser, not by
pattern matching, so a fence inside a list or a longer fence is read as the tutorial's author meant.

Figures: an image the text refers to by a relative path inside the tutorial's folder
(`![...](figures/ward.png)`) travels inside the notebook as a cell attachment, because only the
notebook is copied into the learner's home and the catalog's folder is not served to the lab.
Only the raster types JupyterLab draws as attachments are attached (its image renderer has no SVG:
an SVG attachment shows as an empty image); scripts/render_figures.py makes PNGs of SVG drawings.
"""

from __future__ import annotations

import base64
from pathlib import Path

import nbformat
from markdown_it import MarkdownIt

CODE_LANGUAGES = {"python", "py", "python3", "ipython"}
FIGURE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
MAX_FIGURE_BYTES = 512 * 1024


def tutorial_notebook(markdown: str, folder: str | Path | None = None) -> nbformat.NotebookNode:
    """The notebook of one Markdown tutorial: text cells around its Python code cells; figures
    found under `folder` (the tutorial's own folder) are attached to the cells that show them."""
    parser = MarkdownIt("commonmark")
    lines = markdown.splitlines(keepends=True)
    cells, start = [], 0
    for token in parser.parse(markdown):
        if token.type != "fence" or token.map is None:
            continue
        if token.info.strip().split(" ", 1)[0].lower() not in CODE_LANGUAGES:
            continue
        first, end = token.map
        _text_cell(cells, lines[start:first], parser, folder)
        cells.append(nbformat.v4.new_code_cell(token.content.rstrip("\n")))
        start = end
    _text_cell(cells, lines[start:], parser, folder)
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata.update(kernel_metadata())
    return notebook


def kernel_metadata() -> dict:
    """The kernelspec and language_info JupyterLab writes into a notebook when its kernel starts,
    as this server's Python kernel reports them: with them already there, a tutorial opens
    without unsaved changes (JupyterLab marks it changed when they differ)."""
    from ipykernel.ipkernel import IPythonKernel  # the kernel the learner's server runs
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        display_name = KernelSpecManager().get_kernel_spec("python3").display_name
    except NoSuchKernel:
        display_name = "Python 3 (ipykernel)"
    return {
        "kernelspec": {"display_name": display_name, "language": "python", "name": "python3"},
        "language_info": dict(IPythonKernel.language_info),
    }


def _text_cell(cells: list, lines: list[str], parser: MarkdownIt, folder: str | Path | None) -> None:
    text = "".join(lines).strip("\n")
    if not text.strip():
        return
    attachments = {}
    for src in _image_sources(parser, text):
        figure = _figure_file(folder, src)
        if figure is None:
            continue
        name = figure.name
        data = base64.b64encode(figure.read_bytes()).decode("ascii")
        attachments[name] = {FIGURE_TYPES[figure.suffix.lower()]: data}
        text = text.replace(f"]({src})", f"](attachment:{name})").replace(f'src="{src}"', f'src="attachment:{name}"')
    cell = nbformat.v4.new_markdown_cell(text)
    if attachments:
        cell.attachments = attachments
    cells.append(cell)


def _image_sources(parser: MarkdownIt, text: str) -> list[str]:
    found = []
    for token in parser.parse(text):
        for child in token.children or []:
            if child.type == "image" and child.attrGet("src"):
                found.append(str(child.attrGet("src")))
    return found


def _figure_file(folder: str | Path | None, src: str) -> Path | None:
    """The figure file `src` names, only a small picture inside `folder` (no URL, no way out)."""
    if folder is None or ":" in src or src.startswith("/"):
        return None
    base = Path(folder).resolve()
    path = (base / src).resolve()
    if not path.is_relative_to(base) or path.suffix.lower() not in FIGURE_TYPES or not path.is_file():
        return None
    return path if path.stat().st_size <= MAX_FIGURE_BYTES else None
