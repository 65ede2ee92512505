"""What the kernel says about where its lab is must have the expected shape before the grader
looks for anything on the machine."""

import pytest

from mnss_courses import live_checks


@pytest.mark.parametrize(
    "where",
    ["grader-ab12", ["grader-ab12"], ["grader-ab12", 4], ["../../etc", "10.0.0.1"], ["Grader-AB", "10.0.0.1"], None],
)
def test_a_malformed_report_is_refused(where):
    with pytest.raises(live_checks.LiveCheckError, match="did not say where"):
        live_checks.reach(1, 0, False, where, "h1", "h2")


def test_node_names_cannot_walk_out_of_the_labs_folder():
    with pytest.raises(live_checks.LiveCheckError, match="not a node name"):
        live_checks.open_netns(1, "grader-ab12", "../../../proc/1/ns/net")
