"""`python -m mnss_courses.formgrader COURSE ROOT [CATALOG]`: one course's nbgrader formgrader,
run by the hub as the service `formgrader-<course>`.

nbgrader's multi-course JupyterHub pattern: one grader server per course, reached through the
hub's proxy; the hub lets in only holders of `access:services!service=formgrader-<course>`,
which apply.py grants to the group `<course>-instructors` alone (never admin). This launcher
keeps apply.py set-only: it prepares the course root (mode 0700; the course's sources copied from
the catalog when missing; an nbgrader_config.py naming the course, the root and sandboxed
autograde), then becomes `jupyterhub-singleuser` serving the formgrader.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

SERVICE_PREFIX = "formgrader-"

CONFIG = '''"""Written by mnss_courses.formgrader at every start of the service; edits are overwritten."""
import os
c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = {course!r}
c.Execute.timeout = 300
if os.geteuid() == 0:
    from mnss_courses.sandboxed_execute import configure
    configure(c, hidden_paths={hidden!r})
'''


def service_name(course: str) -> str:
    return SERVICE_PREFIX + course


def prepare(course: str, root: str | Path, catalog: str | Path | None = None) -> Path:
    """Make the course root ready for the formgrader; returns it."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    hidden = []
    if catalog:
        source = Path(catalog) / course / "source"
        if source.is_dir() and not (root / "source").exists():
            shutil.copytree(source, root / "source")
        hidden = [str(Path(catalog).resolve())]
    (root / "source").mkdir(exist_ok=True)
    (root / "nbgrader_config.py").write_text(CONFIG.format(root=str(root.resolve()), course=course, hidden=hidden),
                                             "utf-8")
    return root


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3):
        sys.exit("usage: python -m mnss_courses.formgrader COURSE ROOT [CATALOG]")
    root = prepare(*args)
    os.chdir(root)
    from .grader import _tools_on_path

    _tools_on_path()  # nbgrader runs `alembic` by name; hub services get a bare PATH
    singleuser = str(Path(sys.prefix) / "bin" / "jupyterhub-singleuser")
    argv = [singleuser, f"--ServerApp.root_dir={root}", "--ServerApp.default_url=/formgrader", "--ServerApp.ip=127.0.0.1"]
    if os.geteuid() == 0:  # local mode runs the hub as root; sandboxed autograde needs it
        argv.append("--ServerApp.allow_root=True")
    os.execv(singleuser, argv)


if __name__ == "__main__":
    main()
