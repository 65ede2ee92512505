"""Every Jupyter process starts without rfc3987-syntax: jsonschema imports it when installed, and it
builds about 30 Earley parsers at import (1.3-1.6 s of CPU in each hub, server, formgrader,
canvas kernel and nbgrader step; a class of 100 on two cores starts hundreds of them). The three
places that install MNSS Lab leave it out, and what is left still checks the formats we use."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SLOW = "rfc3987-syntax"


def test_the_makefile_leaves_it_out_after_each_install():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(rf"^SLOW_IMPORTS := {SLOW}$", makefile, re.M)
    # each install that resolves dependencies (not --no-deps) is followed by the removal
    installs = re.findall(r"^\t\$\(PY\) -m pip install -q -e .*$\n(.*)$", makefile, re.M)
    assert len(installs) == 2 and all("pip uninstall -q -y $(SLOW_IMPORTS)" in line for line in installs), installs


def test_the_image_and_the_ansible_role_leave_it_out():
    dockerfile = (ROOT / "images/singleuser/Dockerfile").read_text()
    assert re.search(rf"pip install [^\n]*\.whl \\\n && /opt/mnss/bin/pip uninstall --quiet --yes {SLOW}", dockerfile)
    tasks = yaml.safe_load((ROOT / "ansible/roles/mnss/tasks/install.yml").read_text())
    names = [task["name"] for task in tasks]
    removal = next(task for task in tasks if SLOW in str(task.get("ansible.builtin.command", {}).get("argv")))
    assert names.index(removal["name"]) == names.index("Install this version into the venv") + 1
    assert removal["when"] == tasks[names.index("Install this version into the venv")]["when"]


def test_this_environment_starts_jupyter_without_it_and_still_checks_uris():
    script = (
        "import sys, jsonschema, jupyterhub.app, nbgrader.apps.nbgraderapp, mnss_kernel.canvas\n"
        "assert 'rfc3987_syntax' not in sys.modules, 'rfc3987_syntax was imported'\n"
        "check = jsonschema.Draft7Validator.FORMAT_CHECKER\n"
        "print(check.conforms('https://example.org/a', 'uri'), check.conforms('not a uri', 'uri'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{done.stderr[-1500:]}\n(make install leaves {SLOW} out; pip uninstall {SLOW})"
    assert done.stdout.split() == ["True", "False"]
