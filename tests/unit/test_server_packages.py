"""A provisioned server gets the Debian packages `make run` installs: the Ansible role's list
(ansible/roles/mnss/defaults/main.yml) and scripts/install-system.sh must not drift apart."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
# Only the machine that builds the wheels needs a compiler; the role installs from the wheelhouse.
BUILD_ONLY = {"python3-dev", "build-essential"}


def run_packages() -> set[str]:
    script = (ROOT / "scripts" / "install-system.sh").read_text()
    body = re.search(r"^RUN_PACKAGES=\((.*?)^\)", script, re.S | re.M)
    assert body, "install-system.sh has no RUN_PACKAGES=( ... ) list"
    return {word for line in body[1].splitlines() for word in line.split("#", 1)[0].split()}


def test_the_role_installs_every_package_make_run_does():
    role = set(yaml.safe_load((ROOT / "ansible/roles/mnss/defaults/main.yml").read_text())["mnss_packages"])
    assert {"fping", "iperf3", "mininet"} <= run_packages()  # the list was read, not an empty match
    missing = run_packages() - BUILD_ONLY - role
    assert not missing, f"ansible/roles/mnss/defaults/main.yml mnss_packages lacks {sorted(missing)}"


def image_packages() -> set[str]:
    dockerfile = (ROOT / "images" / "singleuser" / "Dockerfile").read_text()
    body = re.search(r"apt-get install -y --no-install-recommends(.*?)&&", dockerfile, re.S)
    assert body, "the single-user Dockerfile has no apt-get install list"
    return set(body[1].replace("\\", " ").split())


def test_the_learner_image_has_the_lab_tools_of_the_local_mode():
    """A tutorial that runs in local mode runs in a learner's container too: the tools its labs call
    (curl, fping, iperf3, ...) are in the image. The CJK font is the hub's (certificates)."""
    assert {"mininet", "fping"} <= image_packages()
    missing = run_packages() - BUILD_ONLY - {"fonts-wqy-microhei"} - image_packages()
    assert not missing, f"images/singleuser/Dockerfile lacks {sorted(missing)}"
