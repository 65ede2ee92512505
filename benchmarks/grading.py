"""Autograde many submissions of a live-network assignment (hospital-lan/lan-build) and time it.

Half the submissions are the instructor's solution, half the blank release, so the scores are
known. nbgrader grades one submission per process at a time; `--workers` runs that many graders in
parallel on separate copies of the course root (each with its own gradebook). Prints the total,
per-submission time and the projection for 100 submissions (target <= 4 min on 2 cores).
Each submission's kernel runs in the autograding sandbox (`mnss_courses.sandbox`), as in
production; `--no-sandbox` measures nbgrader's own execution for comparison.
Run as root (the live-network checks build networks): `.venv/bin/python benchmarks/grading.py`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mnss_courses import bundle  # noqa: E402
from mnss_courses.grader import api, autograde, generate, private_paths  # noqa: E402

COURSE, ASSIGNMENT = "hospital-lan", "lan-build"


def grade_batch(work: str, students: list[str], sandbox: bool = True) -> list[tuple[str, float, float]]:
    """One grader: its own course root and gradebook; returns (student, score, seconds)."""
    course = bundle.load(ROOT / "courses" / COURSE)
    root = Path(work)
    shutil.copytree(course.root / "source" / ASSIGNMENT, root / "source" / ASSIGNMENT)
    grader = api(root, COURSE, hidden=private_paths(course), sandbox=sandbox)
    release = generate(grader, ASSIGNMENT)
    results = []
    for student in students:
        source = root / "source" / ASSIGNMENT if student.startswith("right") else release
        shutil.copytree(source, root / "submitted" / student / ASSIGNMENT)
        started = time.perf_counter()
        score = autograde(grader, ASSIGNMENT, student)["code_score"]
        results.append((student, score, time.perf_counter() - started))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-sandbox", action="store_true", help="nbgrader's own execution (for comparison)")
    args = parser.parse_args()
    students = [f"{'right' if i % 2 == 0 else 'wrong'}{i:03d}" for i in range(args.submissions)]
    batches = [students[w :: args.workers] for w in range(args.workers)]
    with tempfile.TemporaryDirectory(prefix="mnss-grading-bench-") as tmp:
        started = time.perf_counter()
        with ProcessPoolExecutor(args.workers) as pool:
            done = [
                r
                for batch in pool.map(
                    grade_batch,
                    [f"{tmp}/w{w}" for w in range(args.workers)],
                    batches,
                    [not args.no_sandbox] * args.workers,
                )
                for r in batch
            ]
        total = time.perf_counter() - started
    wrong = [s for s, score, _ in done if (score == 10) != s.startswith("right")]
    per = sorted(seconds for _, _, seconds in done)
    print(
        f"autograded {len(done)} submissions of {COURSE}/{ASSIGNMENT} (live network) with {args.workers} "
        f"grader(s), {'no sandbox' if args.no_sandbox else 'sandboxed'}: {total:.1f} s total, "
        f"{total / len(done):.2f} s per submission "
        f"(one grader's own time p50 {per[len(per) // 2]:.2f} s)"
    )
    print(
        f"projected for 100 submissions: {100 * total / len(done) / 60:.1f} min (target <= 4 min); "
        f"scores as expected: {len(done) - len(wrong)}/{len(done)}"
    )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
