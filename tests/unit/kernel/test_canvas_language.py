"""The canvas in the learner's language: every text from the catalogue, the engine's problems by
their code, typed values checked with a clear message, errors gone after the next good change."""

import string

import pytest

from mnss_kernel.canvas import TopologyCanvas
from mnss_kernel.canvas.messages import FIELDS, PROBLEMS, UI, WHERE
from mnss_kernel.topology import Topology, TopologyError
from tests.support.english import english_words


def fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("table", [UI, FIELDS, PROBLEMS, WHERE], ids=["ui", "fields", "problems", "where"])
def test_every_message_has_both_languages_with_the_same_fields(table):
    for key, (zh, en) in table.items():
        assert zh and en, key
        assert fields_of(zh) == fields_of(en), key


def panel_field(canvas, key):
    return next(c for c in canvas.panel.children if f"mnss-field-{key}" in c._dom_classes)


def apply(canvas):
    next(c for c in canvas.panel.children if "mnss-apply" in c._dom_classes).click()


@pytest.fixture
def zh():
    canvas = TopologyCanvas(language="zh-CN")
    canvas.add_node("host")
    canvas.add_node("switch")
    canvas.connect("h1", "s1")
    return canvas


def test_property_labels_header_and_problems_are_chinese(zh):
    zh._on_node_tap({"data": {"id": "h1"}})
    labels = [c.description for c in zh.panel.children if hasattr(c, "description") and c.description]
    assert "IP 地址" in labels and "默认网关" in labels and "name" not in labels
    assert any(
        "节点 h1（主机）" in c.value for c in zh.panel.children if hasattr(c, "value") and "节点" in str(c.value)
    )
    panel_field(zh, "ip").value = "10.0.0.300/24"
    apply(zh)
    assert "未修改：节点 h1：IP 地址：“10.0.0.300/24”不是带前缀长度的 IPv4 地址" in zh.message.value
    assert english_words(zh.message.value) == [], zh.message.value


def test_non_numbers_are_named_in_the_learners_language_not_in_python(zh):
    zh._on_edge_tap({"data": {"source": "h1", "target": "s1"}})
    panel_field(zh, "bw").value = "abc"
    panel_field(zh, "mtu").value = "x"
    panel_field(zh, "vlans").value = "10,a"
    apply(zh)
    said = zh.message.value
    assert "could not convert" not in said and "invalid literal" not in said
    assert "带宽 Mbit/s：“abc”不是数字" in said and "MTU：“x”不是整数" in said and "中继 VLAN：“10,a”" in said
    assert zh.topology.link("h1", "s1").bw is None, "nothing half-applied"


def test_english_canvas_says_the_same_in_english():
    canvas = TopologyCanvas(language="en")
    canvas.add_node("host")
    canvas.add_node("host")
    canvas.connect("h1", "h2")
    canvas._on_edge_tap({"data": {"source": "h1", "target": "h2"}})
    panel_field(canvas, "loss").value = "lots"
    apply(canvas)
    assert "Loss %: &#x27;lots&#x27; is not a number, e.g. 10 or 2.5" in canvas.message.value


def test_renaming_to_a_taken_name_says_exactly_that(zh):
    zh.add_node("host")
    zh.connect("h2", "s1")
    zh._on_node_tap({"data": {"id": "h2"}})
    panel_field(zh, "name").value = "h1"
    apply(zh)
    assert "名称 h1 已被另一个节点使用" in zh.message.value
    assert "链路" not in zh.message.value, "no follow-on problems about links"
    assert zh.topology.names() == ["h1", "s1", "h2"]


def test_an_error_is_gone_after_the_next_good_change(zh):
    zh._on_node_tap({"data": {"id": "h1"}})
    panel_field(zh, "ip").value = "nonsense"
    apply(zh)
    assert "mnss-error" in zh.message.value
    panel_field(zh, "ip").value = "10.1.1.5/24"
    apply(zh)
    assert "mnss-error" not in zh.message.value and "已修改 h1" in zh.message.value
    assert zh.topology.node("h1").ip == "10.1.1.5/24"


@pytest.mark.parametrize(
    "bad",
    [
        {"nodes": [{"name": "h1", "kind": "host"}, {"name": "h1", "kind": "host"}], "links": []},
        {"nodes": [{"name": "s1", "kind": "switch", "ip": "10.0.0.1/24"}], "links": []},
        {
            "nodes": [{"name": "h1", "kind": "host"}, {"name": "h2", "kind": "host"}],
            "links": [{"a": "h1", "b": "h2", "vlan": 5}],
        },
        {
            "nodes": [{"name": "h1", "kind": "host"}, {"name": "s1", "kind": "switch"}],
            "links": [{"a": "h1", "b": "s1", "ip_b": "10.0.0.1/24"}],
        },
        {
            "nodes": [{"name": "h1", "kind": "host"}, {"name": "s1", "kind": "switch"}],
            "links": [{"a": "h1", "b": "s1", "bw": -1}],
        },
        {
            "nodes": [{"name": "h1", "kind": "host", "ip": "10.0.0.0/24"}, {"name": "s1", "kind": "switch"}],
            "links": [{"a": "h1", "b": "s1"}],
        },
        {"nodes": [{"name": "r1", "kind": "router", "gateway": "10.0.0.1"}], "links": []},
    ],
)
def test_engine_problems_carry_a_code_the_catalogue_translates(bad):
    with pytest.raises(TopologyError) as caught:
        Topology.from_dict(bad).validated()
    t = TopologyCanvas(language="zh-CN").t
    for problem in caught.value.problems:
        assert problem.code in PROBLEMS, problem
        said = t.problem(problem)
        assert english_words(said, {"ip_a", "ip_b"}) == [], said


def test_fault_texts_and_result_columns_are_translated(zh):
    assert zh._describe_fault(__import__("mnss_kernel.faults", fromlist=["LinkDown"]).LinkDown("h1", "s1")) == (
        "链路 h1 — s1 断开"
    )
    import pandas as pd

    table = zh._localized(pd.DataFrame(columns=["src", "dst", "loss_pct", "rtt_avg_ms", "mbps_sent"]))
    assert list(table.columns) == ["源", "目的", "丢包率 %", "平均往返 ms", "发送 Mbit/s"]


def test_nothing_english_in_a_chinese_canvas(zh):
    """Every text the canvas itself shows (buttons, labels, options, panel), checked word by word."""
    zh._on_node_tap({"data": {"id": "h1"}})
    seen = []

    def walk(widget):
        for attr in ("description", "value", "placeholder", "tooltip"):
            value = getattr(widget, attr, None)
            if isinstance(value, str) and attr != "value" or attr == "value" and widget.__class__.__name__ == "HTML":
                seen.append(value or "")
        for label in getattr(widget, "_options_labels", ()):
            seen.append(label)
        for child in getattr(widget, "children", ()):
            walk(child)

    walk(zh)
    words = [w for text in seen for w in english_words(text, {"ip", "addr", "topology", "yaml"})]
    assert words == [], words


def test_file_problems_are_said_in_chinese(zh, tmp_path):
    zh.file_box.value = str(tmp_path / "nosuch.yaml")
    next(c for c in zh.toolbar.children if "mnss-load" in c._dom_classes).click()
    assert f"文件 {tmp_path / 'nosuch.yaml'} 不存在" in zh.message.value
    zh.file_box.value = str(tmp_path)
    next(c for c in zh.toolbar.children if "mnss-load" in c._dom_classes).click()
    assert "是文件夹" in zh.message.value or "不认识的文件类型" in zh.message.value
    zh.file_box.value = str(tmp_path / "t.txt")
    next(c for c in zh.toolbar.children if "mnss-save" in c._dom_classes).click()
    assert "不认识的文件类型" in zh.message.value and not (tmp_path / "t.txt").exists()
