"""The canvas's Diagnose button without a browser or a lab: the diagnosis is a stand-in that records
what it was asked, so these check the wiring (the running lab against the drawn topology), the
table of ranked suspects with their evidence in the chosen language, the status line, the returned
data and the refusal when nothing runs. The real diagnosis is driven in
tests/integration/test_diagnose_lab.py and the button in Chromium in test_canvas_browser.py."""

import html

import pandas as pd
import pytest

from mnss_kernel import templates
from mnss_kernel.canvas import TopologyCanvas, render, widget
from mnss_kernel.diagnose import Diagnosis, Suspect
from tests.support.running_lab import RunningLab


def suspects():
    gateway = Suspect(
        "wrong_gateway",
        {"host": "h1", "gateway": "10.0.0.254"},
        ("h1's default gateway is 10.0.0.254, planned 10.0.0.1", "h1 的默认网关为 10.0.0.254，计划为 10.0.0.1"),
        [("ip route on h1: default via 10.0.0.254", "h1 上 ip route：默认路由经由 10.0.0.254")],
        score=0.93,
    )
    unexplained = Suspect(
        "unexplained",
        {"src": "h2", "dst": "h3", "last_hop": "s1"},
        ("h2 cannot reach h3 <after s1>", "h2 无法到达 h3 <在 s1 之后>"),
        [],
        score=0.3,
    )
    return [gateway, unexplained]


@pytest.fixture
def asked(monkeypatch):
    """Each call of the diagnosis: (lab, topology); it answers with two suspects."""
    calls = []

    def fake(lab, topology):
        calls.append((lab, topology))
        return Diagnosis(suspects(), pd.DataFrame(columns=["src", "dst", "loss_pct"]), pd.DataFrame(), 1.25)

    monkeypatch.setattr(widget, "diagnose_lab", fake)
    return calls


@pytest.fixture
def shown(monkeypatch):
    """What the canvas put into its results area."""
    out = []
    monkeypatch.setattr(widget, "display", lambda item: out.append(item))
    return out


def click(canvas, css_class):
    next(b for b in canvas.runbar.children if css_class in b._dom_classes).click()


def test_the_button_diagnoses_the_running_lab_against_the_drawing_and_shows_chinese(asked, shown):
    canvas = TopologyCanvas(templates.linear(2), language="zh-CN")
    button = next(b for b in canvas.runbar.children if "mnss-diagnose" in b._dom_classes)
    assert button.description == "诊断"
    canvas.lab = RunningLab(canvas.topology)
    click(canvas, "mnss-diagnose")
    assert asked == [(canvas.lab, canvas.topology)]
    assert "诊断完成（1.2 秒）" in canvas.message.value
    assert "最可能的是：h1 的默认网关为 10.0.0.254" in canvas.message.value
    table = shown[-1].data
    assert "诊断结果" in table and "网关配置错误" in table and "h1 上 ip route：默认路由经由 10.0.0.254" in table
    assert table.index('data-rank="1" data-kind="wrong_gateway"') < table.index('data-rank="2" data-kind="unexplained"')
    assert canvas.last_diagnosis.suspects[0].kind == "wrong_gateway"


def test_the_python_call_returns_the_data_and_english_is_english(asked, shown):
    canvas = TopologyCanvas(templates.linear(2), language="en")
    canvas.lab = RunningLab(canvas.topology)
    result = canvas.diagnose()
    assert [s.kind for s in result.suspects] == ["wrong_gateway", "unexplained"]
    assert list(result.to_frame()["rank"]) == [1, 2]
    assert "the most probable: h1&#x27;s default gateway is 10.0.0.254" in canvas.message.value
    table = shown[-1].data
    assert "wrong gateway" in table and "ip route on h1: default via 10.0.0.254" in table
    assert "网关" not in table, "an English canvas shows no Chinese"
    assert html.escape("<after s1>") in table and "<after s1>" not in table, "texts are escaped"


def test_a_clean_network_says_so(monkeypatch, shown):
    monkeypatch.setattr(
        widget, "diagnose_lab", lambda lab, topology: Diagnosis([], pd.DataFrame(), pd.DataFrame(), 0.5)
    )
    canvas = TopologyCanvas(templates.linear(2), language="zh-CN")
    canvas.lab = RunningLab(canvas.topology)
    assert canvas.diagnose().suspects == []
    assert "未发现故障" in canvas.message.value
    assert 'class="mnss-suspect"' not in shown[-1].data


def test_nothing_running_is_refused_in_the_users_language(asked):
    canvas = TopologyCanvas(templates.linear(2), language="zh-CN")
    click(canvas, "mnss-diagnose")
    assert "网络未运行，请先点击“运行”" in canvas.message.value
    assert asked == []


def test_the_table_heads_come_from_the_catalogue_in_both_languages():
    result = Diagnosis(suspects(), pd.DataFrame(), pd.DataFrame(), 1.0)
    zh = render.suspects_table(result, "zh-CN", TopologyCanvas(language="zh-CN").t)
    en = render.suspects_table(result, "en", TopologyCanvas(language="en").t)
    for head in ("排名", "故障类型", "嫌疑", "可信度", "证据"):
        assert f">{head}</th>" in zh
    for head in ("Rank", "Fault kind", "Suspect", "Score", "Evidence"):
        assert f">{head}</th>" in en
    assert "0.93" in zh and "不可达，未读出原因" in zh and "unreachable, cause not read" in en
