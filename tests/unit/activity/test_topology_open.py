"""The server helper that opens a template or an upload as a notebook: the notebook runs the
canvas on its source, file names never clash with the learner's files, a reload finds the same
notebook, and a Mininet file that does not build is refused with the loader's words."""

import asyncio
import json

from mnss_activity import topology_open as to


def test_canvas_notebook_opens_the_canvas_and_asks_to_run_once():
    nb = to.canvas_notebook("ward", ("病区", "Ward"), ("中文", "English"), {"template": "ward"})
    code = nb["cells"][1]["source"]
    assert "TopologyCanvas('ward')" in code and code.rstrip().endswith("canvas")
    assert nb["metadata"]["mnss"] == {"autorun": True, "template": "ward"}
    assert nb["cells"][0]["source"].startswith("# 病区 / Ward")
    assert to.canvas_notebook("x.yaml", ("x", "x"), ("", ""), {})["cells"][0]["source"].startswith("# x\n")


def test_names_never_clash(tmp_path):
    (tmp_path / "lan.yaml").write_text("x")
    assert to.free_stem(tmp_path, "lan", ".yaml") == "lan-2"
    (tmp_path / "lan-2.ipynb").write_text("x")
    assert to.free_stem(tmp_path, "lan", ".yaml") == "lan-3"
    assert to.split_name("br01.clab.yml") == ("br01", ".clab.yml")
    assert to.split_name("ward.yaml") == ("ward", ".yaml")


def test_write_new_refuses_to_overwrite(tmp_path):
    to.write_new(tmp_path / "a" / "n.ipynb", "first")
    try:
        to.write_new(tmp_path / "a" / "n.ipynb", "second")
    except FileExistsError:
        pass
    assert (tmp_path / "a" / "n.ipynb").read_text() == "first"


def test_a_reloaded_upload_link_finds_its_notebook(tmp_path):
    nb = to.canvas_notebook("x.yaml", ("x", "x"), ("", ""), {"upload": "ab" * 16})
    (tmp_path / "x.ipynb").write_text(json.dumps(nb))
    assert to.opened_upload(tmp_path, "ab" * 16) == tmp_path / "x.ipynb"
    assert to.opened_upload(tmp_path, "cd" * 16) is None


def test_mininet_file_that_fails_is_refused_with_the_reason():
    good = (
        "from mininet.topo import Topo\nclass T(Topo):\n    def build(self):\n        self.addHost('h1')\n"
        "topos = {'t': T}\n"
    )
    assert asyncio.run(to.mininet_problem("t.py", good)) is None
    bad = good.replace("self.addHost('h1')", "raise RuntimeError('broken on purpose')")
    assert "broken on purpose" in asyncio.run(to.mininet_problem("t.py", bad))


def test_the_lab_is_told_whether_the_portal_is_served():
    from mnss_activity.panel import tell_lab_about_portal

    settings = {"page_config_data": {"other": 1}}
    tell_lab_about_portal(settings, {"MNSS_COURSES_DIR": "/srv/courses"})
    assert settings["page_config_data"] == {"other": 1, "mnssPortal": "1"}
    tell_lab_about_portal(settings, {})
    assert settings["page_config_data"]["mnssPortal"] == ""


def test_a_catalog_experiment_opens_as_its_notebook_once(tmp_path):
    from mnss_kernel import experiments

    name = experiments.names()[0]
    path = to.write_experiment(tmp_path, name)
    assert path == tmp_path / "experiments" / "catalog" / f"{name}.ipynb"
    nb = json.loads(path.read_text("utf-8"))
    assert nb["metadata"]["mnss"] == {"experiment": name}
    assert f"load({name!r})" in nb["cells"][1]["source"]
    path.write_text("changed by the learner")
    assert to.write_experiment(tmp_path, name) == path and path.read_text() == "changed by the learner"
    assert to.write_experiment(tmp_path, "no-such-experiment") is None
    assert to.write_experiment(tmp_path, "../../etc/passwd") is None
