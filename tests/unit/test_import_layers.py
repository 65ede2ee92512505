"""The one-way import contract (pyproject.toml, [tool.importlinter]) holds, and catches an upward import."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Where each package of the contract lives in the checkout.
PACKAGES = {
    "mnss_foundation": "mnss_foundation",
    "mnss_kernel": "mnss_kernel",
    "mnss_activity": "extensions/mnss_activity",
    "mnss_courses": "hub/mnss_courses",
    "mnss_hub": "hub/mnss_hub",
    "mnss_recommender": "recommender/mnss_recommender",
}
LINT = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def lint_imports(cwd: Path, pythonpath: str) -> subprocess.CompletedProcess:
    """lint-imports in a process of its own: it must find the packages on `pythonpath`, not the
    ones this test process already imported."""
    env = {**os.environ, "PYTHONPATH": pythonpath}
    return subprocess.run(
        [sys.executable, "-c", LINT, "--no-logo", "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_checkout_keeps_the_contract():
    """Every package imports only the layers below it."""
    path = os.pathsep.join(str(ROOT / folder) for folder in (".", "extensions", "hub", "recommender"))
    result = lint_imports(ROOT, path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    """A copy of the packages where the engine imports the hub inside a function (a "lazy" import)
    fails the check, and the report names that import."""
    src = tmp_path / "src"
    for name, folder in PACKAGES.items():
        shutil.copytree(ROOT / folder, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (src / "mnss_kernel" / "sneaky.py").write_text("def settings():\n    from mnss_hub import siteconfig\n")

    result = lint_imports(tmp_path, str(src))

    assert result.returncode == 1, result.stdout + result.stderr
    assert "mnss_kernel is not allowed to import mnss_hub" in result.stdout
    assert "mnss_kernel.sneaky -> mnss_hub.siteconfig" in result.stdout
    assert "0 kept, 1 broken" in result.stdout
