"""`mnss course ...`: check course bundles and scaffold new ones."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from . import bundle
from .authoring import AssignmentNotebook


def add_commands(sub) -> None:
    course = sub.add_parser("course", help="course bundles (nbgrader)").add_subparsers(dest="command", required=True)
    v = course.add_parser("validate", help="check metadata, then prove each assignment: solution full marks, "
                                           "blank zero, nothing hidden leaks")
    v.add_argument("paths", nargs="*", help="course folders (default: every course under --courses)")
    v.add_argument("--courses", default="courses", help="folder holding the courses")
    v.add_argument("--metadata-only", action="store_true", help="skip running nbgrader")
    v.set_defaults(func=cmd_validate)
    n = course.add_parser("new", help="create a course folder with one example assignment")
    n.add_argument("id")
    n.add_argument("--courses", default="courses")
    n.add_argument("--category", default="networks", choices=["systems", "networks", "programming", "data", "ai"])
    n.set_defaults(func=cmd_new)
    ls = course.add_parser("list", help="list the courses")
    ls.add_argument("--courses", default="courses")
    ls.set_defaults(func=cmd_list)


def cmd_list(args) -> int:
    for course in bundle.load_catalog(args.courses).values():
        meta = course.meta
        print(f"{course.id:24} {meta['category']:12} {meta['level']:13} {len(course.assignment_ids)} assignment(s)  "
              f"{meta['title']['zh']} / {meta['title']['en']}")
    return 0


def cmd_validate(args) -> int:
    from .grader import check_assignment

    if args.paths:
        courses = [bundle.load(p) for p in args.paths]
    else:
        courses = list(bundle.load_catalog(args.courses).values())
    print(f"metadata OK: {len(courses)} course(s)")
    if args.metadata_only:
        return 0
    failed = 0
    for course in courses:
        for aid in course.assignment_ids:
            report = check_assignment(course, aid)
            manual = f", +{report.manual_points:g} graded by hand" if report.manual_points else ""
            status = "OK  " if report.ok else "FAIL"
            print(f"{status} {course.id}/{aid}: solution {report.solution_score:g}/{report.max_score:g}, "
                  f"blank {report.blank_score:g}{manual}", flush=True)
            for problem in report.problems:
                print(f"       - {problem}")
            failed += not report.ok
    return 1 if failed else 0


def cmd_new(args) -> int:
    root = Path(args.courses) / args.id
    if root.exists():
        print(f"mnss: {root} already exists", file=sys.stderr)
        return 2
    meta = {"id": args.id, "title": {"zh": "新课程", "en": "New course"}, "category": args.category,
            "level": "beginner", "minutes": 60,
            "assignments": [{"id": "first", "title": {"zh": "第一个作业", "en": "First assignment"}}]}
    (AssignmentNotebook()
     .text("# 第一个作业 / First assignment\n\n写函数 `double(x)`，返回 `2 * x`。/ Write `double(x)` returning `2 * x`.")
     .answer("double", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION")
     .tests("double-tests", 1, "assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(-3) == -6\n"
                               "### END HIDDEN TESTS")
     .save(root / "source" / "first" / "first.ipynb"))
    (root / "course.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), "utf-8")
    bundle.load(root)
    print(f"created {root}; edit course.yaml and the notebooks, then run: mnss course validate {root}")
    return 0
