"""probe.refusal: the machine's own words when something it is asked to do is refused."""

from mnss_foundation import probe


def test_success_is_empty_and_a_refusal_says_why_in_the_programs_words():
    assert probe.refusal(["true"]) == ""
    assert probe.refusal(["sh", "-c", "echo 'mount /proc failed' >&2; exit 1"]) == "mount /proc failed"


def test_a_silent_failure_gives_its_status_named_after_the_program_or_the_given_name():
    assert probe.refusal(["false"]) == "false exited with 1"
    assert probe.refusal(["sh", "-c", "exit 3"], name="bwrap") == "bwrap exited with 3"


def test_a_missing_program_is_named():
    said = probe.refusal(["no-such-program-here"])
    assert "No such file" in said and "no-such-program-here" in said
    assert probe.refusal(["no-such-program-here"], name="bwrap").startswith("bwrap: ")
