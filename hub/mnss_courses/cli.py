"""`mnss course ...`: check course bundles, scaffold new ones, and the instructor's grading steps."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from mnss_foundation import i18n, schemadoc

from . import bundle, counts, grading_lock, sandbox, scaffold, tutorial_standard

COURSES_HELP = (
    "folder holding the courses (default: ./courses if it has any, else the installed ones: "
    "the image's or the checkout's courses folder)"
)


LOG_ENV = "MNSS_COURSE_LOG"


def log_file() -> Path:
    """Where course commands log what is not for the terminal: $MNSS_COURSE_LOG, else
    $XDG_STATE_HOME/mnss/course.log (~/.local/state/mnss/course.log)."""
    if os.environ.get(LOG_ENV):
        return Path(os.environ[LOG_ENV])
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "mnss" / "course.log"


def warnings_to_log() -> Path:
    """Python warnings (nbgrader's SQLAlchemy ones on every gradebook step) go to the log file,
    not the terminal, where they would bury the scores."""
    path = log_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    logging.captureWarnings(True)
    logger = logging.getLogger("py.warnings")
    # Only the log file: once Mininet is imported every new logger is Mininet's, which comes
    # with a handler of its own writing to the terminal.
    ours = [h for h in logger.handlers if getattr(h, "baseFilename", None) == str(path.resolve())]
    if not ours:
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        ours = [handler]
    logger.handlers = ours
    logger.propagate = False
    return path


class CatalogMissing(Exception):
    """No folder of courses to work on."""


def catalog(args) -> Path:
    """The folder of courses a command works on; CatalogMissing names the option when there is none."""
    if args.courses is not None:
        folder = Path(args.courses)
        if not bundle.has_courses(folder):
            raise CatalogMissing(f"--courses {folder}: no courses there (no */course.yaml)")
        return folder
    found = bundle.find_catalog()
    if found is None:
        looked = ", ".join(str(p) for p in bundle.installed_catalogs())
        raise CatalogMissing(f"no courses found (looked in {looked}); pass --courses FOLDER")
    return found


def add_commands(sub) -> None:
    course = sub.add_parser(
        "course",
        help="course bundles (nbgrader)",
        description="One course root per course: in an instructor's own server, the grading round's steps "
        "(build, release, collect, grade, feedback, export) are done by the course's formgrader in its course "
        "root, the one its round page shows; new, list and validate work on course folders here.",
    ).add_subparsers(dest="command", required=True)
    v = course.add_parser(
        "validate",
        help="check metadata, then prove each assignment: solution full marks, blank zero, nothing hidden leaks",
        description="Check metadata, then prove each assignment: solution full marks, blank zero, nothing hidden "
        "leaks. Runs here, in an instructor's own server too: it checks the course's own notebooks where she "
        "edits them (never a learner's) and writes to no course root, so there is nothing to share with the "
        "formgrader.",
    )
    v.add_argument("paths", nargs="*", help="course folders (default: every course under --courses)")
    v.add_argument("--courses", help=COURSES_HELP)
    v.add_argument("--metadata-only", action="store_true", help="skip running nbgrader")
    v.add_argument(
        "--tutorials",
        action="store_true",
        help="also hold the tutorials to the standard of docs/authoring.md (count, text in both languages, experiment)",
    )
    v.set_defaults(func=cmd_validate)
    n = course.add_parser(
        "new", help="create a course folder with one example tutorial and one example assignment (docs/authoring.md)"
    )
    n.add_argument("id")
    n.add_argument("--courses", default="courses", help="folder to create the course in (default: ./courses)")
    n.add_argument("--category", default="networks", choices=["systems", "networks", "programming", "data", "ai"])
    n.set_defaults(func=cmd_new)
    ls = course.add_parser("list", help="list the courses")
    ls.add_argument("--courses", help=COURSES_HELP)
    ls.set_defaults(func=cmd_list)
    cn = course.add_parser(
        "counts", help="courses, tutorials and assignments per category, and the research experiments (a table)"
    )
    cn.add_argument("--courses", help=COURSES_HELP)
    cn.add_argument("--readme", help="write the table into this Markdown file's course-counts section")
    cn.set_defaults(func=cmd_counts)
    in_formgrader = (
        " In a server that knows the course's formgrader (an instructor's own: $MNSS_FORMGRADER_URLS) the "
        "formgrader does this in its course root, the one its round page shows, unless --root is given."
    )
    steps = {
        "build": "make the learners' version (nbgrader generate_assignment) in the course root's release/",
        "release": "publish the built assignment to the course's learners through the exchange",
        "collect": "fetch the learners' latest submissions from the exchange into submitted/",
        "grade": "autograde the collected submissions, each in a sandbox (the formgrader collects first)",
        "feedback": "make the feedback pages and release them to each learner through the exchange",
        "export": "write every grade of the course to a CSV file",
    }
    for name, text in steps.items():
        p = course.add_parser(name, help=text, description=text + "." + in_formgrader)
        p.add_argument("course", help="course id (a folder under --courses) or a course folder")
        if name != "export":
            p.add_argument("assignment")
        p.add_argument("--courses", help=COURSES_HELP)
        p.add_argument("--root", help="nbgrader course root of your own, worked on here (default: the course folder)")
        if name in ("release", "collect", "feedback"):
            p.add_argument("--exchange-url", help="the mnss-exchange service (default: $MNSS_EXCHANGE_URL)")
        if name in ("release", "collect", "feedback", "grade", "export"):
            p.add_argument("--token", help="hub API token (default: $JUPYTERHUB_API_TOKEN)")
        if name == "grade":
            p.add_argument("--student", action="append", help="only this learner (repeatable)")
        if name == "feedback":
            p.add_argument("--no-release", action="store_true", help="only make the pages")
        if name == "export":
            p.add_argument("--to", default="grades.csv")
        p.set_defaults(func=cmd_step, step=name)


def cmd_list(args) -> int:
    try:
        folder = catalog(args)
    except CatalogMissing as err:
        return _missing(err)
    print(f"courses in {folder}:")
    for course in bundle.load_catalog(folder).values():
        meta = course.meta
        print(
            f"{course.id:24} {meta['category']:12} {meta['level']:13} {len(course.assignment_ids)} assignment(s)  "
            f"{meta['title']['zh']} / {meta['title']['en']}"
        )
    return 0


def cmd_counts(args) -> int:
    try:
        folder = catalog(args)
    except CatalogMissing as err:
        return _missing(err)
    table = counts.table(bundle.load_catalog(folder))
    return schemadoc.print_or_replace(args.readme, counts.SECTION, table, "mnss course counts", "the course counts")


def cmd_validate(args) -> int:
    from .grader import check_assignment

    warnings_to_log()
    if args.paths:
        courses = [bundle.load(p) for p in args.paths]
    else:
        try:
            folder = catalog(args)
        except CatalogMissing as err:
            return _missing(err)
        courses = list(bundle.load_catalog(folder).values())
    print(f"metadata OK: {len(courses)} course(s){'' if args.paths else f' in {folder}'}")
    short = 0
    if args.tutorials:
        for course in courses:
            problems = tutorial_standard.course_problems(course.root, course.meta)
            print(f"{'FAIL' if problems else 'OK  '} {course.id}: tutorials", flush=True)
            for problem in problems:
                print(f"       - {problem}")
            short += bool(problems)
    if args.metadata_only:
        return 1 if short else 0
    boxed = not (problem := sandbox.box_problem())
    if not boxed:
        # only the course's own notebooks run (solution and blank), never a learner's: as the
        # instructor, in her own container, as if she ran them in her lab
        print(f"no grading box can be built here ({problem}); the course's own notebooks run as you, unboxed")
    failed = 0
    for course in courses:
        for aid in course.assignment_ids:
            report = check_assignment(course, aid, boxed=boxed)
            manual = f", +{report.manual_points:g} graded by hand" if report.manual_points else ""
            status = "OK  " if report.ok else "FAIL"
            print(
                f"{status} {course.id}/{aid}: solution {report.solution_score:g}/{report.max_score:g}, "
                f"blank {report.blank_score:g}{manual}",
                flush=True,
            )
            for problem in report.problems:
                print(f"       - {problem}")
            failed += not report.ok
    return 1 if failed or short else 0


def cmd_step(args) -> int:
    from .formgrader_client import FormgraderError
    from .grader import GradingError
    from .instructor import Instructor

    warnings_to_log()
    if args.courses is None and (Path(args.course) / "course.yaml").is_file():
        folder = None  # a course folder was named: no catalog needed
    else:
        try:
            folder = catalog(args)
        except CatalogMissing as err:
            return _missing(err)
    try:
        who = Instructor.open(
            args.course,
            folder or "courses",
            args.root,
            getattr(args, "exchange_url", None),
            getattr(args, "token", None),
        )
        if formgrader := course_formgrader(who, args):
            return in_formgrader(formgrader, who, args)
        if args.step == "build":
            print(f"built {who.build(args.assignment)}")
        elif args.step == "release":
            who.release(args.assignment)
            print(f"released {who.course.id}/{args.assignment}")
        elif args.step == "collect":
            print(f"collected {args.assignment}: {', '.join(who.collect(args.assignment)) or 'no submissions'}")
        elif args.step == "grade":
            return grade(who, args)
        elif args.step == "feedback":
            who.feedback(args.assignment, release=not args.no_release)
            print(f"feedback for {args.assignment} {'made' if args.no_release else 'made and released'}")
        elif args.step == "export":
            print(f"wrote {who.export(args.to)}")
    except FormgraderError as err:
        print(f"mnss: {err.message(i18n.user_language())}", file=sys.stderr)
        return 2
    except grading_lock.Busy as busy:
        print(f"mnss: {busy.en if i18n.user_language() == 'en' else busy.zh}", file=sys.stderr)
        return 2
    except (GradingError, bundle.CourseError) as err:
        print(f"mnss: {err}", file=sys.stderr)
        return 2
    return 0


def course_formgrader(who, args):
    """The course's formgrader where this server knows it (an instructor's own server) and no
    --root names a course root of her own: one course root per course, the formgrader's, so what
    she builds, releases, collects and grades here is what its round page shows. None: here."""
    return None if args.root else who.formgrader()


def in_formgrader(formgrader, who, args) -> int:
    """A step done by the course's formgrader in its course root; what it did, as here."""
    from .instructor import check_assignment_id

    course, aid = who.course.id, getattr(args, "assignment", None)
    if aid is not None:
        check_assignment_id(who.course, aid)
    by = f"by the formgrader of {course}"
    if args.step == "build":
        formgrader.build(aid)
        print(f"built {aid} {by} (in its course root, as its round page shows)")
    elif args.step == "release":
        formgrader.release(aid)
        print(f"released {course}/{aid} {by}")
    elif args.step == "collect":
        print(f"collected {aid} {by}: {', '.join(formgrader.collect(aid)) or 'no submissions'}")
    elif args.step == "grade":
        return grade_in_formgrader(formgrader, who, args)
    elif args.step == "feedback":
        formgrader.feedback(aid, release=not args.no_release)
        print(f"feedback for {aid} {'made' if args.no_release else 'made and released'} {by}")
    elif args.step == "export":
        print(f"wrote {formgrader.export(args.to)} (the grades in the formgrader of {course})")
    return 0


def grade(who, args) -> int:
    """Autograde here in boxes, each score part by part; where no box can be built here, say
    where grading is done instead."""
    results = who.grade(args.assignment, args.student)
    for result in results:
        print(score_lines(result), flush=True)
    if not results:
        print(f"no collected submissions of {args.assignment} in {who.root}: run `mnss course collect` first")
    return 0


def grade_in_formgrader(formgrader, who, args) -> int:
    """The formgrader collects the latest submissions, then autogrades them in its boxes; each
    score part by part, and each learner it could not grade with nbgrader's cause (exit 2)."""
    problem = who.grades_here()
    here = f"no grading box can be built here ({problem}); " if problem else ""
    print(
        f"{here}the formgrader of {who.course.id} collects the latest submissions and grades them in its "
        f"boxes (its course root, as on its round page):",
        flush=True,
    )
    answer = formgrader.grade(args.assignment, list(args.student or []))
    for result in answer.graded:
        print(score_lines(result), flush=True)
    for failure in answer.failed:
        print(f"mnss: {failure.message(i18n.user_language())}", file=sys.stderr)
    if not answer.graded and not answer.failed:
        print(f"no submissions of {args.assignment} to grade")
    return 2 if answer.failed else 0


def score_lines(result) -> str:
    """A learner's autograded score out of the maximum, then each part's (notebook/cell id)."""
    lines = [f"{result.student:24} {result.score:g}/{result.max_score:g}"]
    for part, points in result.parts:
        lines.append(f"  {part.notebook + '/' + part.grade_id:30} {points:g}/{part.points:g}")
    return "\n".join(lines)


def _missing(err: CatalogMissing) -> int:
    print(f"mnss: {err}", file=sys.stderr)
    return 2


def cmd_new(args) -> int:
    root = Path(args.courses) / args.id
    if root.exists():
        print(f"mnss: {root} already exists", file=sys.stderr)
        return 2
    scaffold.new_course(root, args.id, args.category)
    bundle.load(root)
    print(
        f"created {root}; edit course.yaml, the tutorial and the notebooks (see docs/authoring.md), "
        f"then run: mnss course validate --tutorials {root}"
    )
    return 0
