"""GET mnss/topology?template=NAME, ?experiment=NAME or ?upload=ID: a notebook with the topology
canvas, written in the learner's home and opened in JupyterLab. The portal's research cards and its
upload page link here through /hub/user-redirect, which starts the server first.

- A template opens as experiments/NAME.ipynb (an existing one, maybe changed, is opened as it is).
- A research catalog experiment (mnss_kernel.experiments) opens as experiments/catalog/NAME.ipynb:
  its goal, the canvas, a cell per step and the check of its expectations (not run on opening: the
  learner runs it step by step). An existing one is opened as it is.
- An upload is collected from the hub (/hub/mnss-uploads/ID, with this server's own token: the hub
  gives it only to its uploader), kept as topologies/FILE next to topologies/STEM.ipynb (never
  over an existing file). A Mininet .py file is imported once here, in a subprocess, before
  anything is written: the hub checks it without running it.

The notebook asks JupyterLab (extensions/mnss_panel) to run it once when it opens
(metadata mnss.autorun), so the canvas is there without a click.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from mnss_foundation import i18n
from mnss_kernel import experiments, templates
from mnss_kernel.experiments import notebook as experiment_notebook

from .panel import ERROR_PAGE, run_child

IMPORT_TIMEOUT = 60  # s for a Mininet file to build its topology
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
SAFE_FILE = re.compile(r"^[\w][\w.\-]{0,79}$")
MESSAGES = i18n.load(__package__)["topology_open"]
CANVAS_CODE = "from mnss_kernel.canvas import TopologyCanvas\n\ncanvas = TopologyCanvas({source!r})\ncanvas"


def message(key: str, **values) -> dict:
    return MESSAGES.bilingual(key, **values)


def canvas_notebook(source: str, title: tuple[str, str], text: tuple[str, str], meta: dict) -> dict:
    """A notebook whose one code cell opens the canvas on `source` (a template name or a file
    beside the notebook), with a bilingual heading; `meta` goes into metadata.mnss."""
    heading = "# " + " / ".join(dict.fromkeys(title)) + "\n\n" + "\n\n".join(t for t in dict.fromkeys(text) if t)
    return {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": heading},
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": CANVAS_CODE.format(source=source),
            },
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
            "mnss": {"autorun": True, **meta},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_new(path: Path, text: str) -> None:
    """Write `text` to `path` atomically, never over an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, "utf-8")
    os.link(tmp, path)  # fails if `path` exists meanwhile
    tmp.unlink()


def free_stem(folder: Path, stem: str, suffix: str) -> str:
    """`stem`, or stem-2, stem-3 ... so that neither STEM+suffix nor STEM.ipynb exists in `folder`."""
    candidate, n = stem, 1
    while (folder / f"{candidate}{suffix}").exists() or (folder / f"{candidate}.ipynb").exists():
        n += 1
        candidate = f"{stem}-{n}"
    return candidate


def split_name(name: str) -> tuple[str, str]:
    """('br01', '.clab.yml') for 'br01.clab.yml'; ('ward', '.yaml') for 'ward.yaml'."""
    lower = name.lower()
    for double in (".clab.yml", ".clab.yaml"):
        if lower.endswith(double):
            return name[: -len(double)], name[-len(double) :]
    return Path(name).stem, Path(name).suffix


def opened_upload(folder: Path, key: str) -> Path | None:
    """The notebook an upload was already opened as (reloading the link opens it again)."""
    for notebook in sorted(folder.glob("*.ipynb")) if folder.is_dir() else []:
        try:
            if json.loads(notebook.read_text("utf-8"))["metadata"].get("mnss", {}).get("upload") == key:
                return notebook
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


async def mininet_problem(name: str, text: str) -> str | None:
    """Import a Mininet file once in a subprocess (it is a program): None if it builds a valid
    topology, else the loader's last words."""
    with tempfile.TemporaryDirectory(prefix="mnss-mininet-") as folder:
        (Path(folder) / name).write_text(text, "utf-8")
        loader = "import sys; from mnss_kernel.topology.loader import load; load(sys.argv[1])"
        done = await run_child([sys.executable, "-c", loader, name], folder, IMPORT_TIMEOUT)
    if done is None:
        return f"no topology within {IMPORT_TIMEOUT} s"
    returncode, out = done
    if returncode == 0:
        return None
    lines = [ln.strip() for ln in out.splitlines() if ln.strip()]
    tail = [ln for ln in lines if ln.startswith("- ")] or lines[-1:] or [f"exit code {returncode}"]
    return "; ".join(tail)[:500]


def write_experiment(root: Path, name: str) -> Path | None:
    """experiments/catalog/NAME.ipynb under `root`, written unless it exists; None: no such experiment."""
    if name not in experiments.names():
        return None
    path = root / "experiments" / "catalog" / f"{name}.ipynb"
    if not path.exists():
        content = experiment_notebook.build(experiments.load(name))
        write_new(path, json.dumps(content, ensure_ascii=False, indent=1))
    return path


class TopologyOpenHandler(JupyterHandler):
    @property
    def root(self) -> Path:
        return Path(self.settings["server_root_dir"]).expanduser()

    @web.authenticated
    async def get(self):
        template, key = self.get_query_argument("template", ""), self.get_query_argument("upload", "")
        experiment = self.get_query_argument("experiment", "")
        if key:
            path = await self.from_upload(key)
        elif experiment:
            path = write_experiment(self.root, experiment)
            if path is None:
                self.error_page(404, message("no_experiment", name=experiment[:80]))
        else:
            path = self.from_template(template)
        if path is not None:
            self.redirect(url_path_join(self.base_url, "lab", "tree", quote(path.relative_to(self.root).as_posix())))

    def from_template(self, name: str) -> Path | None:
        tpl = templates.TEMPLATES.get(name)
        if tpl is None:
            return self.error_page(404, message("no_template", name=name[:40]))
        notebook = self.root / "experiments" / f"{name}.ipynb"
        if not notebook.exists():
            content = canvas_notebook(
                name, (tpl.title_zh, tpl.title_en), (tpl.description_zh, tpl.description), {"template": name}
            )
            write_new(notebook, json.dumps(content, ensure_ascii=False, indent=1))
        return notebook

    async def from_upload(self, key: str) -> Path | None:
        folder = self.root / "topologies"
        if not UPLOAD_ID.match(key):
            return self.error_page(404, message("no_upload"))
        again = opened_upload(folder, key)
        if again is not None:
            return again
        upload, status = await self.collect(key)
        if upload is None:
            return self.error_page(status, message("no_upload" if status == 404 else "hub_down"))
        name, text = upload.get("name", ""), upload.get("text", "")
        if not SAFE_FILE.match(name) or name.startswith("."):
            return self.error_page(404, message("no_upload"))
        if name.lower().endswith(".py"):
            problem = await mininet_problem(name, text)
            if problem:
                return self.error_page(400, message("mininet_failed", name=name, detail=problem))
        stem, suffix = split_name(name)
        stem = free_stem(folder, stem, suffix)
        write_new(folder / f"{stem}{suffix}", text)
        notebook = folder / f"{stem}.ipynb"
        content = canvas_notebook(
            f"{stem}{suffix}",
            (stem, stem),
            ("上传的拓扑文件：" + name, "Uploaded topology file: " + name),
            {"upload": key},
        )
        write_new(notebook, json.dumps(content, ensure_ascii=False, indent=1))
        self.log.info("mnss topology: opened upload %s as %s", name, notebook)
        return notebook

    async def collect(self, key: str) -> tuple[dict | None, int]:
        """(the upload, 200) from the hub, asked with this server's token, else (None, status)."""
        api, token = os.environ.get("JUPYTERHUB_API_URL", ""), os.environ.get("JUPYTERHUB_API_TOKEN", "")
        if not api or not token:
            return None, 503
        url = api.rstrip("/").removesuffix("/api") + f"/mnss-uploads/{key}"
        request = HTTPRequest(url, headers={"Authorization": f"token {token}"}, request_timeout=15)
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except OSError as err:
            self.log.warning("mnss topology: hub not reachable: %s", err)
            return None, 503
        if response.code != 200:
            self.log.info("mnss topology: the hub answered %s for upload %s", response.code, key)
            return None, 404 if response.code in (403, 404) else 503
        try:
            return json.loads(response.body), 200
        except ValueError:
            return None, 503

    def error_page(self, status: int, error: dict) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        back = os.environ.get("JUPYTERHUB_BASE_URL", "/") + "hub/research"
        page = ERROR_PAGE.replace("返回门户 / Back to the portal", "返回 / Back")
        self.finish(page.format(zh=html.escape(error["zh"]), en=html.escape(error["en"]), portal=back))
        return None


def setup_handlers(serverapp) -> None:
    base = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", [(url_path_join(base, "mnss/topology"), TopologyOpenHandler)])
