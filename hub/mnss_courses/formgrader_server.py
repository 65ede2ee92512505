"""The formgrader's Jupyter server, locked down to grading one course.

The per-course formgrader is a Jupyter server, and a Jupyter server is a shell by default (a
terminal, kernels, JupyterLab, files anywhere its user may read). Here it serves nbgrader's
formgrader and nothing else:

- every server extension found in the Jupyter config paths is switched off except nbgrader's
  formgrader (no JupyterLab, Notebook, terminals, LSP, activity events);
- terminals are off and the kernel manager refuses to start kernels (`NoKernels`); autograde does
  not need the server's kernels, it starts its own in a sandbox;
- this module is itself a server extension whose handlers, matched before the server's own,
  answer 403 with the reason for the pages and APIs a formgrader does not offer, and add the
  grade export nbgrader's formgrader lacks (`mnss/grades.csv`, nbgrader's own CSV format) and
  the grading round on one page in zh-CN and English (`mnss/round`, round_page.py), and collect
  and autograde for `mnss course grade` in an instructor's container (`mnss/api/grade`, grade_api.py);
- files are served read-only from the course root only (hidden files neither): nbgrader itself
  writes releases, submissions and the gradebook; a file written through the server could
  otherwise replace what nbgrader imports from the course root.

The launcher (`formgrader.py`) writes this config as root into a folder the service account
cannot change, and runs the server as that account, so the operating system enforces the rest.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.extension.config import ExtensionConfigManager
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from nbgrader.api import Gradebook
from nbgrader.plugins.export import CsvExportPlugin
from nbgrader.server_extensions.formgrader.base import BaseHandler
from tornado import web

from mnss_foundation import i18n
from mnss_foundation.server_settings import ServerSettings

from . import formgrader_language, grade_api, gradebook_stamp, round_page

gradebook_stamp.install()  # a new gradebook is stamped without running `alembic heads`

FORMGRADER_EXTENSION = "nbgrader.server_extensions.formgrader"
REFUSED_PAGES = r"/(lab|tree|notebooks|edit|consoles|terminals|doc)(/.*)?"
REFUSED_APIS = r"/api/(kernels|sessions|terminals)(/.*)?"
REASON = " / ".join(i18n.load(__package__)["formgrader"].pair("grading_only"))

CONFIG = '''"""Written by mnss_courses.formgrader at every start of the service; edits are overwritten."""
c = get_config()  # noqa: F821
c.ServerApp.jpserver_extensions = {extensions!r}
c.ServerApp.terminals_enabled = False
c.ServerApp.kernel_manager_class = "mnss_courses.formgrader_server.NoKernels"
c.ServerApp.root_dir = {root!r}
c.ServerApp.default_url = "/formgrader"
c.ServerApp.ip = {ip!r}  # the host of the service URL the hub gave it
c.ServerApp.contents_manager_class = "mnss_courses.formgrader_server.ReadOnlyContents"
c.ContentsManager.allow_hidden = False
c.FileContentsManager.delete_to_trash = False
c.ServerApp.allow_root = False
'''


class RefusedPage(JupyterHandler):
    """Every method of a page the formgrader does not offer: 403 with the reason."""

    def _refuse(self, *args, **kwargs):
        raise web.HTTPError(403, REASON)

    get = post = put = patch = delete = _refuse

    def check_xsrf_cookie(self):
        """Refusing needs no XSRF token."""


class RefusedApi(APIHandler, RefusedPage):
    """The same for an API: the reason as JSON."""


class GradesCsv(BaseHandler):
    """The course's grades as nbgrader's CSV export, for the instructor to download."""

    @web.authenticated
    async def get(self):
        data = await asyncio.to_thread(export_csv, self.db_url, self.coursedir.course_id)
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="{self.coursedir.course_id}-grades.csv"')
        self.finish(data)


def export_csv(db_url: str, course_id: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp, Gradebook(db_url, course_id) as gradebook:
        target = Path(tmp) / "grades.csv"
        CsvExportPlugin(to=str(target)).export(gradebook)
        return target.read_bytes()


def _jupyter_server_extension_points():
    return [{"module": "mnss_courses.formgrader_server"}]


def _load_jupyter_server_extension(serverapp):
    base = serverapp.web_app.settings["base_url"].rstrip("/")
    serverapp.web_app.add_handlers(
        ".*$",
        [
            (base + REFUSED_APIS, RefusedApi),
            (base + REFUSED_PAGES, RefusedPage),
            (base + "/mnss/grades.csv", GradesCsv),
            *round_page.handlers(base),
            *grade_api.handlers(base),
        ],
    )
    # first, so that it sees the page before any compression does
    language = ServerSettings.from_env().lab_language or "zh-CN"
    serverapp.web_app.transforms.insert(0, formgrader_language.transform(base, language))


class NoKernels(AsyncMappingKernelManager):
    """Kernels are refused: a kernel in the formgrader would run any code as its account."""

    async def start_kernel(self, *args, **kwargs):
        raise web.HTTPError(403, "the formgrader runs no kernels")


class ReadOnlyContents(AsyncLargeFileManager):
    """The course root, readable; writes through the server are refused, and so is a path that
    leads out of the root through a link."""

    def _get_os_path(self, path):
        os_path = super()._get_os_path(path)
        root, real = os.path.realpath(self.root_dir), os.path.realpath(os_path)
        if real != root and not real.startswith(root + os.sep):
            raise web.HTTPError(403, "outside the course root")
        return os_path

    def _refuse(self, *args, **kwargs):
        raise web.HTTPError(403, "the formgrader's files are read-only")

    save = delete_file = rename_file = create_checkpoint = restore_checkpoint = delete_checkpoint = _refuse


def extensions_enabled_elsewhere(config_paths: list[str]) -> list[str]:
    """Names of the server extensions the Jupyter config paths switch on (JupyterLab, terminals...)."""
    found = ExtensionConfigManager(read_config_path=config_paths).get_jpserver_extensions()
    return sorted(name for name, enabled in found.items() if enabled)


def config_text(root: str, config_paths: list[str], ip: str = "127.0.0.1") -> str:
    """The server config: only the formgrader extension, every other one found is switched off."""
    extensions = {name: False for name in extensions_enabled_elsewhere(config_paths)}
    extensions[FORMGRADER_EXTENSION] = True
    extensions[__name__] = True
    return CONFIG.format(extensions=extensions, root=root, ip=ip)
