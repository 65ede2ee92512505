"""The research catalog's files: every one validates (schema and meaning) and opens as a valid
notebook; a wrong file is refused with its file and key named."""

import nbformat
import pytest
import yaml

from mnss_kernel import experiments
from mnss_kernel.experiments import ExperimentError, notebook

ALL = experiments.names()


def test_the_catalog_has_at_least_200_experiments():
    assert len(ALL) >= 200, len(ALL)


@pytest.mark.parametrize("name", ALL)
def test_every_experiment_validates_and_opens_as_a_notebook(name):
    experiment = experiments.load(name)
    nb = nbformat.from_dict(notebook.build(experiment))
    nbformat.validate(nb)
    text = nb.cells[0].source
    assert experiment.title["zh"] in text and experiment.title["en"] in text
    assert sum(c.cell_type == "code" for c in nb.cells) == len(experiment.steps) + 4


def test_no_two_experiments_are_the_same():
    seen = {}
    for name in ALL:
        data = experiments.load(name).data
        key = yaml.safe_dump({k: data[k] for k in ("topology", "steps", "expect")}, sort_keys=True)
        assert key not in seen, f"{name} repeats {seen.get(key)}"
        seen[key] = name


GOOD = {
    "title": {"zh": "甲", "en": "A"},
    "goal": {"zh": "乙", "en": "B"},
    "topology": {"template": "linear", "params": {"n": 2}},
    "steps": [{"id": "all", "do": "ping_all"}],
    "expect": [{"step": "all", "loss_pct": {"max": 0}}],
}


def problems(tmp_path, change) -> list[str]:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    change(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(ExperimentError) as caught:
        experiments.load(path)
    assert str(path) in str(caught.value) and str(path) in caught.value.zh
    return caught.value.problems


def test_a_good_file_loads(tmp_path):
    path = tmp_path / "fine.yaml"
    path.write_text(yaml.safe_dump(GOOD, allow_unicode=True), "utf-8")
    assert experiments.load(path).template == "linear"


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda d: d["title"].pop("en"), "title: missing required key 'en'"),
        (lambda d: d["steps"][0].update(do="pingall"), "steps.0.do: 'pingall' is not allowed"),
        (lambda d: d.update(expects=[]), "expects: unknown key (did you mean 'expect'?)"),
        (lambda d: d["topology"].update(template="wards"), "topology.template: 'wards' is not a template"),
        (lambda d: d["topology"].update(params={"n": 0}), "topology.params: linear cannot be built"),
        (lambda d: d["steps"].append({"do": "ping", "src": "h1", "dst": "h9"}), "steps.1.dst: 'h9' is not a node"),
        (lambda d: d["steps"].append({"do": "ping", "src": "h1"}), "steps.1: a ping step needs 'dst'"),
        (
            lambda d: d["expect"].append({"step": "nope", "mbps": {"min": 1}}),
            "expect.1.step: no step has the id 'nope'",
        ),
        (lambda d: d["expect"].append({"step": "all", "mbps": {"min": 1}}), "expect.1.mbps: a ping_all step cannot"),
        (
            lambda d: d["steps"].append({"do": "fault", "fault": {"kind": "link_down", "a": "s1"}}),
            "steps.1.fault: a link_down fault has the fields a, b (missing b)",
        ),
        (
            lambda d: d["steps"].append({"do": "fault", "fault": {"kind": "node_down", "node": "r1"}}),
            "steps.1.fault.node: 'r1' is not a node",
        ),
    ],
)
def test_a_wrong_file_names_the_key(tmp_path, change, expected):
    found = problems(tmp_path, change)
    assert any(expected in p for p in found), found


def test_a_file_that_is_not_yaml_is_named(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("title: [unclosed", "utf-8")
    with pytest.raises(ExperimentError, match="(?s)bad.yaml.*not valid YAML"):
        experiments.load(path)


def test_an_unknown_name_says_where_the_catalog_is():
    with pytest.raises(ExperimentError, match="(?s)no-such-experiment.yaml.*no such file"):
        experiments.load("no-such-experiment")


def test_expectations_are_checked_against_what_was_measured():
    """The checks on measurements as the runner keeps them (real runs: tests/integration)."""
    import pandas as pd

    from mnss_kernel.experiments import Session
    from mnss_kernel.runtime.shell import CommandResult

    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["steps"] += [
        {"id": "trace", "do": "traceroute", "src": "h1", "dst": "h2"},
        {"id": "c", "do": "cmd", "node": "h1", "command": "ip route"},
    ]
    data["expect"] = [
        {"step": "all", "loss_pct": {"max": 0}},
        {"step": "all", "reachable": [["h1", "h2"]]},
        {"step": "all", "unreachable": [["h2", "h1"]]},
        {"step": "all", "reachable_pairs": {"min": 1, "max": 1}},
        {"step": "trace", "path": ["h2"]},
        {"step": "trace", "reached": True},
        {"step": "c", "stdout_contains": "default via"},
        {"step": "c", "exit_code": 0},
    ]
    session = Session(experiments.check("unit", data), lab=None)
    session.measured["all"] = pd.DataFrame(
        [{"src": "h1", "dst": "h2", "loss_pct": 0.0}, {"src": "h2", "dst": "h1", "loss_pct": 100.0}]
    )
    trace = pd.DataFrame([{"hop": 1, "address": "10.0.0.2", "node": "h2", "rtt_ms": 0.1}])
    trace.attrs["dst"] = "h2"
    session.measured["trace"] = trace
    session.measured["c"] = CommandResult("h1", "ip route", 0, "default via 10.0.0.1 dev h1-eth0\n", "")
    report = session.check()
    assert [c.ok for c in report.checks] == [False, True, True, True, True, True, True, True]
    assert report.checks[0].measured == "0..100 %" and not report.ok
    assert "✗ all.loss_pct" in report.text() and "7/8" in report.text()
