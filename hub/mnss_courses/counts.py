"""The README's course tables: courses, tutorials and autograded assignments per category and per
course, and the research catalogue's experiments per area, counted from the course and experiment files so the
README cannot drift from what is installed (`mnss course counts --readme README.md` writes it; a
unit test compares)."""

from __future__ import annotations

from collections import Counter

from mnss_kernel import experiments

from . import bundle

CATEGORIES = ("systems", "networks", "programming", "data", "ai")  # the portal's order (course.schema.json)
SECTION = "course-counts"  # the README section it is written into (mnss_foundation.schemadoc)


def table(catalog: dict[str, bundle.Course]) -> str:
    """Markdown: a row per category and their total, a row per course, then the experiments line."""
    rows = {c: [0, 0, 0] for c in CATEGORIES}
    for course in catalog.values():
        row = rows[course.meta["category"]]
        row[0] += 1
        row[1] += len(course.meta.get("tutorials", []))
        row[2] += len(course.assignment_ids)
    total = [sum(r[i] for r in rows.values()) for i in range(3)]
    lines = ["| category | courses | tutorials | autograded assignments |", "|---|---:|---:|---:|"]
    lines += [f"| {c} | {r[0]} | {r[1]} | {r[2]} |" for c, r in rows.items()]
    lines.append(f"| **all** | **{total[0]}** | **{total[1]}** | **{total[2]}** |")
    lines += ["", "| course | category | level | tutorials | assignments |", "|---|---|---|---:|---:|"]
    for course in sorted(catalog.values(), key=lambda c: (CATEGORIES.index(c.meta["category"]), c.id)):
        meta = course.meta
        lines.append(
            f"| `{course.id}` {meta['title']['zh']} / {meta['title']['en']} | {meta['category']} | {meta['level']} "
            f"| {len(meta.get('tutorials', []))} | {len(course.assignment_ids)} |"
        )
    areas = Counter(experiments.load(name).area for name in experiments.names())
    listed = ", ".join(f"{area} {n}" for area, n in sorted(areas.items()))
    lines += ["", f"Research experiment catalogue: **{sum(areas.values())}** experiments ({listed})."]
    return "\n".join(lines) + "\n"
