"""Every picture the README shows is in the repository, and the first-hour ones are screenshots the
first-hour browser test takes (so running it renews them)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST = ROOT / "tests" / "integration" / "test_first_hour_browser.py"


def test_the_readmes_pictures_exist_and_come_from_the_browser_test():
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", (ROOT / "README.md").read_text("utf-8"))
    assert pictures, "the README shows the first hour"
    missing = [p for p in pictures if not (ROOT / p).is_file()]
    assert not missing, missing
    steps = re.findall(r'shot\([a-z]+, f?"([0-9][^"]*)"\)', TEST.read_text("utf-8"))
    steps.append("5-certificate")  # the certificate PDF, rendered by pdftoppm
    patterns = [re.compile(re.sub(r"\\\{[a-z]+\\\}", ".+", re.escape(s))) for s in steps]
    first_hour = [Path(p).stem for p in pictures if p.startswith("docs/first-hour/")]
    taken = [s for s in first_hour if any(p.fullmatch(s) for p in patterns)]
    assert first_hour and taken == first_hour, (first_hour, steps)
