"""Hidden tests (nbgrader's `### BEGIN HIDDEN TESTS` ... `### END HIDDEN TESTS`) as the trusted
grader sees them: where they are, and the lines of them no learner may be shown."""

from __future__ import annotations

from dataclasses import dataclass

from nbgrader import utils

BEGIN, END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
SHORTEST_SECRET = 8  # shorter lines (")", "else:") are no secret and would scrub harmless output


@dataclass(frozen=True)
class Piece:
    text: str
    hidden: bool


def pieces(source: str) -> list[Piece]:
    """The source cut into visible and hidden runs of lines (marker lines dropped), in order."""
    out: list[Piece] = []
    run: list[str] = []
    hidden = False
    for line in source.split("\n"):
        if BEGIN in line or END in line:
            if run:
                out.append(Piece("\n".join(run), hidden))
            run, hidden = [], BEGIN in line
        else:
            run.append(line)
    if run:
        out.append(Piece("\n".join(run), hidden))
    return out


def has_hidden(cell) -> bool:
    return cell.get("cell_type") == "code" and BEGIN in cell.get("source", "")


def is_test(cell) -> bool:
    """An autograder test cell: graded code that is not a learner's answer."""
    return cell.get("cell_type") == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def secret_lines(cells) -> set[str]:
    """Every non-trivial line of every hidden block of these cells, stripped."""
    found = set()
    for cell in cells:
        if has_hidden(cell):
            for piece in pieces(cell.source):
                if piece.hidden:
                    found |= {s for line in piece.text.splitlines() if len(s := line.strip()) >= SHORTEST_SECRET}
    return found


def mentions(text: str, secrets: set[str]) -> bool:
    return any(s in text for s in secrets)
