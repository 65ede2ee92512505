"""The research and engineering pages' pure parts: the experiment catalogue and component library
come from the engine's registries, pictures follow the topology, uploads are checked (every refusal
names what is wrong in both languages), and the upload store gives an upload only to its owner."""

import re
import xml.etree.ElementTree as ET

import pytest

from mnss_hub.workbench import catalogue, picture, uploads
from mnss_kernel import templates
from mnss_kernel.catalog import KINDS
from tests.support.hubproc import ROOT

GOOD_YAML = b"""name: twohosts
nodes:
  - {name: h1, kind: host}
  - {name: h2, kind: host}
  - {name: s1, kind: switch}
links:
  - {a: h1, b: s1}
  - {a: h2, b: s1}
"""
MININET = b"""from mininet.topo import Topo

class Two(Topo):
    def build(self):
        s = self.addSwitch("s1")
        for h in ("h1", "h2"):
            self.addLink(self.addHost(h), s)

topos = {"two": Two}
"""


def test_every_template_is_an_experiment_with_its_node_count():
    cards = {e.name: e for e in catalogue.experiments()}
    assert list(cards) == list(templates.TEMPLATES)
    assert cards["ward"].nodes == len(templates.load_example("ward").nodes)
    assert cards["hospital_campus_1000"].nodes > 1000
    for card in cards.values():
        assert card.title[0] and card.title[1] and re.search(r"[\u4e00-\u9fff]", card.description[0]), card.name


def test_component_library_lists_every_kind_with_its_service_port():
    found = {c.name: c for c in catalogue.components()}
    assert set(found) == set(KINDS)
    assert found["pacs"].service == "dicom-scp" and found["pacs"].port == 11112
    assert found["his"].port and found["switch"].port is None
    assert found["modality"].client_of == ("dicom-scp",)


def test_picture_draws_every_node_and_link():
    topo = templates.load_example("guest_isolated")
    doc = ET.fromstring(picture.svg(topo, "guest"))
    marks = [e for e in doc.iter() if e.tag.split("}")[1] in ("circle", "rect", "polygon")]
    lines = [e for e in doc.iter() if e.tag.endswith("line")]
    assert len(marks) == len(topo.nodes) and len(lines) == len(topo.links)
    coords = [float(e.get("cx") or e.get("x") or e.get("points").split(",")[0]) for e in marks]
    assert all(0 <= x <= picture.WIDTH for x in coords)


def test_picture_of_a_regional_network_is_drawn_folded_by_region():
    topo = templates.region(regions=3, hospitals=1, clinics=2, floors=2, hosts_per_floor=3, clinic_hosts=2)
    doc = ET.fromstring(picture.svg(topo, "region"))
    marks = [e for e in doc.iter() if e.tag.split("}")[1] in ("circle", "rect", "polygon")]
    lines = [e for e in doc.iter() if e.tag.endswith("line")]
    assert len(marks) == 7 + 3, "the data centre's 7 nodes and one mark per region"
    assert len(lines) == 6 + 3, "the data centre's links and one WAN line to each region"


def test_upload_of_a_valid_yaml_passes():
    assert uploads.check("../../etc/two hosts.yaml", GOOD_YAML) == ("two_hosts.yaml", GOOD_YAML.decode())


def test_upload_of_containerlab_and_mininet_passes():
    clab = (ROOT / "tests/data/containerlab/br01.clab.yml").read_bytes()
    assert uploads.check("br01.clab.yml", clab)[0] == "br01.clab.yml"
    assert uploads.check("two.py", MININET)[0] == "two.py"


@pytest.mark.parametrize(
    ("name", "body", "zh", "en"),
    [
        ("", b"", "请选择", "Choose a topology file"),
        ("big.yaml", b"#" * (uploads.MAX_BYTES + 1), "超过上限 512 KB", "over the limit of 512 KB"),
        ("notes.txt", b"hello", "不认识的文件类型", "unknown file type"),
        ("bad.yaml", b"\xff\xfe\x00", "不是 UTF-8", "not UTF-8"),
        ("empty.json", b"  \n", "空文件", "empty"),
        ("broken.py", b"class T(Topo):\n  def build(self)\n", "第 2 行", "line 2"),
        ("plain.py", b"print('hello')\n", "没有 Mininet 拓扑", "no Mininet topology"),
    ],
)
def test_refusals_name_what_is_wrong(name, body, zh, en):
    with pytest.raises(uploads.UploadRefused) as err:
        uploads.check(name, body)
    assert zh in err.value.headline[0] and en in err.value.headline[1]


@pytest.mark.parametrize(
    ("old", "new", "zh", "en"),
    [
        (b"{a: h2, b: s1}", b"{a: h2, b: s9}", "节点 s9 不存在", "'s9' does not exist"),
        (b"{name: h1, kind: host}", b"{name: h1, kind: toaster}", "“toaster”不是允许的值", "'toaster' is not allowed"),
    ],
)
def test_invalid_topology_names_each_problem_in_both_languages(old, new, zh, en):
    with pytest.raises(uploads.UploadRefused) as err:
        uploads.check("bad.yaml", GOOD_YAML.replace(old, new))
    assert "bad.yaml" in err.value.headline[0] and "bad.yaml" in err.value.headline[1]
    assert zh in " ".join(p[0] for p in err.value.problems), err.value.problems
    assert en in " ".join(p[1] for p in err.value.problems), err.value.problems


def test_store_gives_an_upload_to_its_owner_only_and_forgets_old_ones(monkeypatch):
    store = uploads.UploadStore()
    key = store.put("nurse", "a.yaml", "x")
    assert store.get(key, "nurse").name == "a.yaml"
    assert store.get(key, "clerk") is None
    keys = [store.put("nurse", f"{i}.yaml", "x") for i in range(uploads.KEEP_PER_USER + 2)]
    assert store.get(keys[0], "nurse") is None and store.get(keys[-1], "nurse") is not None
    clock = uploads.time.monotonic() + uploads.KEEP_SECONDS + 1
    monkeypatch.setattr(uploads.time, "monotonic", lambda: clock)
    assert store.get(keys[-1], "nurse") is None


def test_the_research_catalog_is_listed_by_area_with_both_languages():
    from mnss_kernel import experiments

    areas = catalogue.catalog()
    listed = [e.name for _, _, entries in areas for e in entries]
    assert sorted(listed) == experiments.names()
    assert [area for area, _, _ in areas] == [a for a in catalogue.AREAS if any(a == x for x, _, _ in areas)]
    for _, (zh, en), entries in areas:
        assert re.search(r"[\u4e00-\u9fff]", zh) and en
        for e in entries:
            assert re.search(r"[\u4e00-\u9fff]", e.title[0] + e.goal[0]) and e.title[1] and e.goal[1], e.name


def test_a_catalog_experiment_is_pictured_with_its_own_parameters():
    from mnss_kernel import experiments

    name = next(n for n in experiments.names() if n.startswith("campus-3b"))
    doc = ET.fromstring(picture.experiment_svg(name))
    lines = [e for e in doc.iter() if e.tag.endswith("line")]
    assert len(lines) == len(experiments.load(name).topology().links)
