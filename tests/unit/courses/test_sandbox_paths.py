"""The sandbox never covers the Python environment or the platform's code, wherever a checkout is."""

from mnss_courses.sandbox import TEMPORARY, covering_nothing_needed, needed_by_the_kernel, needed_inside


def test_a_checkout_under_tmp_is_bound_back_into_the_box_tmp_but_its_courses_stay_hidden():
    needed = ["/tmp/ci/.venv", "/tmp/ci"]
    assert needed_inside(TEMPORARY, needed) == ["/tmp/ci"]  # the outermost only
    assert needed_inside(TEMPORARY, ["/opt/lab/.venv", "/opt/lab"]) == []
    assert covering_nothing_needed(["/tmp/ci/courses", "/root"], needed) == ["/tmp/ci/courses", "/root"]


def test_a_checkout_under_root_is_not_hidden_with_root():
    assert covering_nothing_needed(["/root", "/home", "/srv"], ["/root/lab/.venv"]) == ["/home", "/srv"]
    assert covering_nothing_needed(["/tm"], ["/tmp/x"]) == ["/tm"]  # a prefix of the name is not a parent


def test_the_environment_and_the_code_are_needed():
    import sys
    from pathlib import Path

    import mnss_kernel

    needed = needed_by_the_kernel()
    assert str(Path(sys.prefix).resolve()) in needed
    assert any(Path(mnss_kernel.__file__).resolve().is_relative_to(p) for p in needed)


def test_a_checkout_in_a_private_folder_is_named():
    import tempfile
    from pathlib import Path

    from mnss_courses.sandbox import unreachable_by_others

    with tempfile.TemporaryDirectory(dir="/tmp") as base:  # pytest's own tmp_path is under a 0700 folder
        Path(base).chmod(0o755)
        private = Path(base) / "private"
        (private / "lab" / ".venv").mkdir(parents=True)
        private.chmod(0o700)
        assert unreachable_by_others([str(private / "lab" / ".venv")]) == [str(private)]
        private.chmod(0o755)
        assert unreachable_by_others([str(private / "lab" / ".venv")]) == []
