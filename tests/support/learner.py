"""nbgrader driven as people would: a learner in their own server's kernel, an instructor with
nbgrader's API and their own hub token."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from mnss_courses.exchange import client
from mnss_foundation.venv_tools import tools_on_path
from mnss_hub.hubclient import HubClient
from tests.support.hubproc import ROOT


def nbgrader_in_server(hub: HubClient, user: str, *args: str) -> dict:
    """Run `nbgrader ARGS` in a kernel of the user's own server, as a learner would in a notebook."""
    code = (
        "import json, subprocess\n"
        f"r = subprocess.run(['nbgrader', *{list(args)!r}], capture_output=True, text=True)\n"
        "print(json.dumps({'rc': r.returncode, 'out': r.stdout + r.stderr}))"
    )
    result = hub.execute(user, code, timeout=120)
    assert result.error is None, result
    return json.loads(result.stdout.strip().splitlines()[-1])


def save_in_server(hub: HubClient, user: str, path: str, notebook: dict) -> None:
    """Save a notebook at `path` of the user's server the way JupyterLab saves it (contents API)."""
    content = {"type": "notebook", "format": "json", "content": notebook}
    hub._call("PUT", f"user/{user}/api/contents/{path}", expect=(200, 201), json=content)


def run_in_kept_kernel(hub: HubClient, user: str, code: str, timeout: float = 300):
    """Run `code` in a new kernel of the user's server that keeps running afterwards (execute()
    shuts its kernel down, and a lab started there with it); the result, which had no error."""
    kernel = hub._call("POST", f"user/{user}/api/kernels", expect=(201,), json={"name": "python3"}).json()
    result = hub._run_in_kernel(user, kernel["id"], code, timeout=timeout)
    assert result.error is None, result
    return result


def read_in_server(hub: HubClient, user: str, pattern: str) -> dict:
    code = (
        "import glob, json, pathlib\n"
        f"print(json.dumps({{p: pathlib.Path(p).read_text() for p in sorted(glob.glob({pattern!r}))}}))"
    )
    result = hub.execute(user, code)
    assert result.error is None, result
    return json.loads(result.stdout.strip().splitlines()[-1])


def release(work: Path, exchange_url: str, token: str, course: str, assignment: str) -> None:
    """The instructor generates and releases `assignment` through the exchange, in work/teacher-course."""
    root = work / "teacher-course"
    shutil.copytree(ROOT / "courses" / course / "source" / assignment, root / "source" / assignment)
    tools_on_path()
    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.course_id = course
    client.configure(config, service_url=exchange_url, api_token=token)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    for step in (api.generate_assignment, api.release_assignment):
        result = step(assignment)
        assert result["success"], result.get("error") or result.get("log")
