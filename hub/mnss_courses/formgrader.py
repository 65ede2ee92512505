"""`python -m mnss_courses.formgrader COURSE ROOT [CATALOG]`: one course's nbgrader formgrader,
run by the hub as the service `formgrader-<course>`.

nbgrader's multi-course JupyterHub pattern: one grader server per course, reached through the
hub's proxy; the hub lets in only holders of `access:services!service=formgrader-<course>`,
which apply.py grants to the group `<course>-instructors` alone (never admin).

The hub runs as root, and so would its services. An instructor is not a sysadmin, so this
launcher (root) prepares and then gives up everything:

- a system account per course (`mnss-fg-<course>`) owns the course root and runs the server;
- the server runs in a private mount namespace where the course root is bound at
  /run/mnss-formgrader/<course>, so the account reaches it without entering the hub's 0700
  state folder, which stays closed to it like every other root-owned file;
- the server's and nbgrader's config are written by root where the account cannot change them:
  the formgrader only, no JupyterLab, terminals or kernels, files read-only (`formgrader_server`);
- autograde runs each submission in a rootless sandbox box under the same account, with the
  course root, the catalog and the account's home hidden.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

from jupyter_core.paths import jupyter_config_path

from mnss_foundation import system_accounts

from . import gradebook_move, sandbox
from .exchange.names import FORMGRADER_PREFIX
from .grading_settings import cell_timeout, formgrader_gradebook, sandbox_options

SERVICE_PREFIX = FORMGRADER_PREFIX
ACCOUNT_PREFIX = "mnss-fg-"
WORKSPACES = Path("/var/lib/mnss-formgrader")  # per account: home/, boxes/ (its own), config/ (root's)
VIEW = Path("/run/mnss-formgrader")  # mount point; the course root appears under it in the namespace
ROOT_ENV = "MNSS_FORMGRADER_ROOT"  # the real course root, in the server's environment (ps e, cleanup)

NBGRADER_CONFIG = '''"""Written by mnss_courses.formgrader at every start of the service; edits are overwritten."""
c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = {course!r}
c.Execute.timeout = {cell_timeout!r}  # course.yaml grading.cell_timeout
# the site's courses.gradebook_url ($MNSS_SITE_GRADEBOOK_URL, from the hub), else course.yaml's, else
# gradebook.db in the root: the URL may hold a password, so it is never written here
from mnss_courses.grading_settings import formgrader_gradebook
c.CourseDirectory.db_url = formgrader_gradebook({gradebook!r}, {root!r}, {course!r})
from mnss_courses.sandboxed_execute import configure
configure(c, hidden_paths={hidden!r}, **{limits!r})
# Release, collect and feedback go through the mnss-exchange service ($MNSS_EXCHANGE_URL, set by the
# hub) with this service's own token, which the exchange takes as this course's instructor only.
from mnss_courses.exchange.client import configure as through_the_exchange
through_the_exchange(c)
'''


class FormgraderError(RuntimeError):
    """The service cannot be set up; the message says what is wrong."""


def service_name(course: str) -> str:
    return SERVICE_PREFIX + course


def account_name(course: str) -> str:
    """The course's system account (a hash ends names longer than useradd allows)."""
    return system_accounts.account_name(ACCOUNT_PREFIX, course)


def ensure_account(name: str, home: Path, course: str) -> pwd.struct_passwd:
    """The account, created as a system user without login shell when missing."""
    try:
        return system_accounts.ensure_account(name, home, f"MNSS formgrader of {course}")
    except system_accounts.AccountError as err:
        raise FormgraderError(str(err)) from err


def prepare(course: str, root: str | Path, catalog: str | Path | None) -> Path:
    """Make the course root ready: the course's sources copied from the catalog when missing."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    if catalog:
        source = Path(catalog) / course / "source"
        if source.is_dir() and not (root / "source").exists():
            shutil.copytree(source, root / "source")
    (root / "source").mkdir(exist_ok=True)
    # The nbgrader config lives in the config folder; one in the root would be read after it.
    (root / "nbgrader_config.py").unlink(missing_ok=True)
    try:
        url = formgrader_gradebook(course_meta(course, catalog).get("grading", {}), root, course)
    except ValueError as err:
        raise FormgraderError(str(err)) from None
    moved = gradebook_move.move_into(root, course, gradebook_move.with_schema(url))
    if moved is not None:
        print(f"formgrader-{course}: {moved} rows of gradebook.db moved into the site's gradebook", file=sys.stderr)
    return root


def course_meta(course: str, catalog: str | Path | None) -> dict:
    """The course's course.yaml, checked, or {} without a catalog."""
    if not catalog or not (Path(catalog) / course / "course.yaml").is_file():
        return {}
    from . import bundle  # the schema checker: for the launcher only, as formgrader_server below

    return bundle.load(Path(catalog) / course).meta


def round_page_course(meta: dict) -> str:
    """What the round page shows of course.yaml (its assignments' titles), as JSON: the server
    reads its config folder, not the catalog."""
    listed = [{"id": a["id"], "title": a["title"]} for a in meta.get("assignments", []) if "title" in a]
    return json.dumps({"assignments": listed}, ensure_ascii=False)


def write_configs(config_dir: Path, course: str, root: Path, catalog: str | None, view: Path) -> None:
    """The server's and nbgrader's config, naming the course root as the server sees it (`view`);
    the sandbox hides the root under both names and the catalog."""
    # Imported here, in the launcher only: it loads jupyter_server, which the hub's config and the
    # mnss-hub CLI (which import this module for the service specs) should not pay for.
    from . import formgrader_server, round_page

    hidden = [str(root.resolve()), str(view), *([str(Path(catalog).resolve())] if catalog else [])]
    meta = course_meta(course, catalog)
    settings = meta.get("grading", {})
    nbgrader_config = NBGRADER_CONFIG.format(
        root=str(view),
        course=course,
        hidden=hidden,
        cell_timeout=cell_timeout(settings),
        gradebook={k: settings[k] for k in ("gradebook_url",) if k in settings},
        limits=sandbox_options(settings),
    )
    files = {
        "jupyter_server_config.py": formgrader_server.config_text(str(view), jupyter_config_path(), service_host()),
        "nbgrader_config.py": nbgrader_config,
        round_page.COURSE_FILE: round_page_course(meta),
        "migrated": "",
    }  # jupyter_core's marker: it would otherwise try to write it here and fail
    for name, text in files.items():
        (config_dir / name).write_text(text, "utf-8")
        os.chmod(config_dir / name, 0o644)


def service_host() -> str:
    """The address to listen on: the host of the service URL the hub set (loopback, or in the
    container modes the user network's host side, where instructors' containers reach it)."""
    return urlsplit(os.environ.get("JUPYTERHUB_SERVICE_URL", "")).hostname or "127.0.0.1"


def workspace(account: pwd.struct_passwd) -> dict[str, Path]:
    """home/ and boxes/ belong to the account; config/ is root's, so the account cannot widen it."""
    base = WORKSPACES / account.pw_name
    paths = {"base": base, "home": base / "home", "boxes": base / "boxes", "config": base / "config"}
    for key, path in paths.items():
        path.mkdir(mode=0o700 if key in ("home", "boxes") else 0o755, parents=True, exist_ok=True)
        if key in ("home", "boxes"):
            os.chown(path, account.pw_uid, account.pw_gid)
            os.chmod(path, 0o700)
        else:
            os.chown(path, 0, 0)
            os.chmod(path, 0o755)
    os.chmod(WORKSPACES, 0o755)
    return paths


def singleuser_command() -> list[str]:
    return [str(Path(sys.prefix) / "bin" / "jupyterhub-singleuser")]


def launch_as_account(course: str, root: Path, catalog: str | None) -> None:
    """As root: set up, then exec the server as the course's account in its mount namespace."""
    name = account_name(course)
    account = ensure_account(name, WORKSPACES / name / "home", course)
    paths = workspace(account)
    view = VIEW / course
    VIEW.mkdir(mode=0o755, exist_ok=True)
    sandbox.ensure_netns_etc()  # its rootless boxes cannot create it
    prepare(course, root, catalog)
    system_accounts.give_tree(root, account.pw_uid, account.pw_gid)
    write_configs(paths["config"], course, root, catalog, view)
    env = {
        **os.environ,
        "HOME": str(paths["home"]),
        "USER": name,
        "LOGNAME": name,
        "JUPYTER_CONFIG_DIR": str(paths["config"]),
        "MNSS_SANDBOX_STAGE": str(paths["boxes"]),
        "JUPYTER_RUNTIME_DIR": str(paths["home"] / "runtime"),
        ROOT_ENV: str(root.resolve()),
    }
    # the rootless boxes (one at a time) are staged on a tmpfs of the service's own: a submission
    # that fills its stage (ipc/ is writable) fills that, not the machine's disk
    boxes = (paths["boxes"], sandbox.STAGE_MB, account.pw_uid, account.pw_gid)
    argv = system_accounts.in_own_mounts(
        root.resolve(), view, [*system_accounts.drop_to(account), *singleuser_command()], capped=[boxes]
    )
    os.execvpe("unshare", argv, env)


def launch_as_self(course: str, root: Path, catalog: str | None) -> None:
    """Not root (a developer's run): the same locked-down server as the current user."""
    config = root / ".formgrader-config"
    config.mkdir(mode=0o700, exist_ok=True)
    prepare(course, root, catalog)
    write_configs(config, course, root, catalog, root.resolve())
    os.chdir(root)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), ROOT_ENV: str(root.resolve())}
    os.execve(singleuser_command()[0], singleuser_command(), env)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3):
        sys.exit("usage: python -m mnss_courses.formgrader COURSE ROOT [CATALOG]")
    course, root, catalog = args[0], Path(args[1]), (args[2] if len(args) == 3 else None)
    from mnss_foundation.venv_tools import tools_on_path

    tools_on_path()  # nbgrader runs `alembic` by name; hub services get a bare PATH
    try:
        (launch_as_account if os.geteuid() == 0 else launch_as_self)(course, root, catalog)
    except FormgraderError as err:
        sys.exit(f"formgrader-{course}: {err}")


if __name__ == "__main__":
    main()
