"""What a learner does in their own server's kernel, for tests that drive nbgrader as learners would."""

from __future__ import annotations

import json

from mnss_hub.hubclient import HubClient


def nbgrader_in_server(hub: HubClient, user: str, *args: str) -> dict:
    """Run `nbgrader ARGS` in a kernel of the user's own server, as a learner would in a notebook."""
    code = ("import json, subprocess\n"
            f"r = subprocess.run(['nbgrader', *{list(args)!r}], capture_output=True, text=True)\n"
            "print(json.dumps({'rc': r.returncode, 'out': r.stdout + r.stderr}))")
    result = hub.execute(user, code, timeout=120)
    assert result.error is None, result
    return json.loads(result.stdout.strip().splitlines()[-1])


def read_in_server(hub: HubClient, user: str, pattern: str) -> dict:
    code = ("import glob, json, pathlib\n"
            f"print(json.dumps({{p: pathlib.Path(p).read_text() for p in sorted(glob.glob({pattern!r}))}}))")
    result = hub.execute(user, code)
    assert result.error is None, result
    return json.loads(result.stdout.strip().splitlines()[-1])
