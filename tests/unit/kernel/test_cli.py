"""`mnss topo validate|plan|convert` as an instructor uses them from a shell."""

from mnss_kernel import cli
from mnss_kernel.topology import Topology

GOOD = (
    "nodes: [{name: h1, kind: host}, {name: h2, kind: host}, {name: s1, kind: switch}]\n"
    "links: [{a: h1, b: s1}, {a: h2, b: s1, bw: 10}]\n"
)


def test_validate_good_and_bad(tmp_path, capsys):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(GOOD)
    bad.write_text("nodes: [{name: h1, kind: host}]\nlinks: [{a: h1, b: nowhere}]\n")
    assert cli.main(["topo", "validate", str(good)]) == 0
    assert "OK" in capsys.readouterr().out
    assert cli.main(["topo", "validate", str(good), str(bad)]) == 1
    assert "link h1-nowhere: node 'nowhere' does not exist" in capsys.readouterr().err


def test_plan_prints_addresses(tmp_path, capsys):
    (tmp_path / "t.yaml").write_text(GOOD)
    assert cli.main(["topo", "plan", str(tmp_path / "t.yaml")]) == 0
    assert "subnet 10.0.0.0/24: h1:h1-eth0=10.0.0.10/24, h2:h2-eth0=10.0.0.11/24" in capsys.readouterr().out


def test_convert_round_trip_through_containerlab_and_mininet(tmp_path):
    (tmp_path / "t.yaml").write_text(GOOD)
    assert cli.main(["topo", "convert", str(tmp_path / "t.yaml"), str(tmp_path / "t.clab.yml")]) == 0
    assert cli.main(["topo", "convert", str(tmp_path / "t.clab.yml"), str(tmp_path / "t.py")]) == 0
    assert cli.main(["topo", "convert", str(tmp_path / "t.py"), str(tmp_path / "back.json")]) == 0
    back = Topology.load(tmp_path / "back.json")
    assert [(link.a, link.b, link.bw) for link in back.links] == [("h1", "s1", None), ("h2", "s1", 10)]


def test_convert_refuses_unknown_type(tmp_path, capsys):
    (tmp_path / "t.yaml").write_text(GOOD)
    assert cli.main(["topo", "convert", str(tmp_path / "t.yaml"), str(tmp_path / "t.txt")]) == 2
    assert "unknown file type" in capsys.readouterr().err
