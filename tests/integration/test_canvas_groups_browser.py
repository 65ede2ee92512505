"""The campus canvas in Chromium, in Chinese: buildings drawn as boxes that hold their nodes (read
from where cytoscape drew them), collapsed from the keyboard and opened by a click; then the
network run with one department cut off: Ping all, a click on a cell of the grouped table opens
the hosts behind it, and a throughput test colours the links it crosses while it runs. One
JupyterLab and one page for both tests; screenshots in test-artifacts/."""

import json
import os
import time

import pytest

from tests.support.browser import browser_page, chromium_path, screenshot
from tests.support.english import english_words
from tests.support.labproc import notebook, open_and_run, running_lab

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

if chromium_path() is None:
    pytest.skip("Chromium is not installed (make test installs it)", allow_module_level=True)

FIND_CY = """() => { for (const el of document.querySelectorAll('.mnss-canvas div')) {
  if (el._cyreg && el._cyreg.cy) return el._cyreg.cy; } return null; }"""
DRAWN = f"""() => {{ const cy = ({FIND_CY})(); if (!cy) return null; const box = cy.container().getBoundingClientRect();
  return cy.nodes().map(n => {{ const b = n.renderedBoundingBox({{includeLabels: true}}), p = n.renderedPosition();
    return {{id: n.id(), up: n.ancestors().map(a => a.id()), collapsed: n.hasClass('collapsed'),
      x: box.x + p.x, y: box.y + p.y, x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2}}; }}); }}"""
HAS = f"""([name, collapsed]) => {{ const cy = ({FIND_CY})(); const n = cy && cy.getElementById(name);
  return !!n && n.length === 1 && n.hasClass('collapsed') === collapsed; }}"""
GONE = f"""name => {{ const cy = ({FIND_CY})(); return !!cy && cy.getElementById(name).length === 0; }}"""
LOADED = f"""() => {{ const cy = ({FIND_CY})(); const busy = cy.edges().filter(e => e.classes().some(c =>
  c.startsWith('load-'))); return busy.length ? busy.map(e => ({{a: e.source().id(), b: e.target().id(),
  caption: e.data('caption')}})) : null; }}"""
TEXTS = """() => { const root = document.querySelector('.mnss-canvas'); const out = [root.innerText];
  for (const el of root.querySelectorAll('[title]')) if (el.offsetParent !== null) out.push(el.title);
  return out; }"""


def overlapping(drawn: list[dict]) -> list[tuple[str, str]]:
    """Pairs of drawn boxes (node and label) that overlap, where neither holds the other."""
    found = []
    for i, a in enumerate(drawn):
        for b in drawn[i + 1 :]:
            inside = a["id"] in b["up"] or b["id"] in a["up"]
            if not inside and a["x1"] < b["x2"] and b["x1"] < a["x2"] and a["y1"] < b["y2"] and b["y1"] < a["y2"]:
                found.append((a["id"], b["id"]))
    return found


def outside_parent(drawn: list[dict]) -> list[str]:
    boxes = {d["id"]: d for d in drawn}
    wrong = []
    for d in drawn:
        if d["up"]:
            p = boxes[d["up"][0]]
            if not (p["x1"] <= d["x1"] and d["x2"] <= p["x2"] and p["y1"] <= d["y1"] and d["y2"] <= p["y2"]):
                wrong.append(d["id"])
    return wrong


@pytest.fixture(scope="module")
def campus_page(tmp_path_factory):
    home = tmp_path_factory.mktemp("canvas-groups")
    code = (  # the campus, with department b2d2 (its hosts and its router port) in VLAN 20
        "from mnss_kernel import templates\nfrom mnss_kernel.canvas import TopologyCanvas\n"
        "campus = templates.template_named('hospital-campus')\n"
        "for link in campus.links:\n    link.vlan = 20 if 'b2d2' in link.ends() else link.vlan\n"
        "canvas = TopologyCanvas(campus, arrange=True)\ncanvas"
    )
    (home / "campus.ipynb").write_text(json.dumps(notebook(code, "canvas.link_down('b2r', 'b2d2')")))
    with running_lab(home, locale="zh_CN") as url, browser_page() as page:
        open_and_run(page, url, "campus.ipynb", "groups")
        page.keyboard.press("Shift+Enter")
        page.locator(".mnss-canvas").wait_for(timeout=90_000)
        page.wait_for_function(HAS, arg=["site:b2r", False], timeout=60_000, polling=100)
        page.wait_for_timeout(500)  # the preset layout's zoom and pan come after the nodes
        yield page


def test_buildings_hold_their_nodes_and_collapse_and_open(campus_page):
    page = campus_page
    drawn = page.evaluate(DRAWN)
    screenshot(page, "canvas-buildings-zh")
    ids = {d["id"] for d in drawn}
    assert {"site:b1r", "site:b2r"} <= ids
    assert {d["id"] for d in drawn if "site:b1r" in d["up"]} >= {"b1r", "b1d1", "b1d3", "b1d1x1", "b1d3m4"}
    assert outside_parent(drawn) == [], "every node lies inside its building's box"
    assert overlapping(drawn) == [], "no two boxes overlap, buildings included"

    # from the keyboard: type the router's name, Enter, Tab to Collapse, Enter
    page.locator(".mnss-select input").fill("b1r")
    page.keyboard.press("Enter")
    page.locator(".mnss-collapse-box").wait_for(timeout=15_000)
    page.locator(".mnss-collapse-box").focus()
    page.keyboard.press("Enter")
    page.wait_for_function(HAS, arg=["site:b1r", True], timeout=15_000, polling=100)
    page.wait_for_function(GONE, arg="b1d1x1", timeout=15_000)
    page.locator(".mnss-canvas .custom-widget").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    collapsed = page.evaluate(DRAWN)
    screenshot(page, "canvas-buildings-collapsed")
    assert not [d for d in collapsed if d["id"].startswith("b1")], "the building's nodes are hidden"
    assert overlapping(collapsed) == [] and outside_parent(collapsed) == []
    words = [w for text in page.evaluate(TEXTS) for w in english_words(text)]
    assert words == [], f"English in the Chinese canvas: {sorted(set(words))}"

    # by mouse: click the collapsed building, then Expand in its panel
    box = next(d for d in collapsed if d["id"] == "site:b1r")
    page.mouse.click(box["x"], box["y"])
    page.locator(".mnss-expand-box").click()
    page.wait_for_function(HAS, arg=["site:b1r", False], timeout=15_000, polling=100)
    page.wait_for_function(f"!({GONE})('b1d1x1')", timeout=15_000)
    page.wait_for_timeout(300)
    opened = page.evaluate(DRAWN)
    assert {d["id"] for d in opened} == ids and outside_parent(opened) == [] and overlapping(opened) == []


POSITIONS = f"""() => {{ const cy = ({FIND_CY})(); return Object.fromEntries(cy.nodes().map(n =>
  [n.id(), [Math.round(n.position('x')), Math.round(n.position('y'))]])); }}"""


def settled(page) -> dict:
    """Where cytoscape holds every node, once two looks 300 ms apart agree."""
    last = None
    for _ in range(60):
        now = page.evaluate(POSITIONS)
        if now == last:
            return now
        last = now
        page.wait_for_timeout(300)
    raise AssertionError("the layout did not settle within 18 s")


def test_each_layout_of_the_list_lays_the_campus_out_without_overlaps(campus_page):
    """dagre, cola and klay (the layouts ipycytoscape bundles) each move the campus, fit it in the
    view with no two node boxes (node and label) overlapping and every node inside its building;
    "按绘制位置" puts every node back where the tiers had it."""
    page = campus_page
    start = settled(page)
    picker = page.locator(".mnss-layout select")
    assert picker.input_value() == "分层：核心、汇聚、接入", "the bundled campus opens arranged in tiers"
    for name, label in (("dagre", "dagre 分层图"), ("cola", "cola 力导向"), ("klay", "klay 分层图")):
        picker.select_option(label=label)
        page.locator(".mnss-message", has_text=f"用 {name} 排列").wait_for(timeout=15_000)
        placed = settled(page)
        drawn = page.evaluate(DRAWN)
        page.locator(".mnss-layout").evaluate("e => e.scrollIntoView({block: 'start'})")  # the list, then the drawing
        screenshot(page, f"canvas-layout-{name}")
        moved = [key for key in placed if placed[key] != start[key]]
        assert len(moved) > len(placed) / 2, f"{name} laid the campus out ({len(moved)} of {len(placed)} moved)"
        assert overlapping(drawn) == [], f"{name}: overlapping node boxes"
        assert outside_parent(drawn) == [], f"{name}: nodes outside their building"
        out = [d["id"] for d in drawn if d["x1"] < -1 or d["y1"] < -1 or d["x2"] > 761 or d["y2"] > 481]
        assert out == [], f"{name}: fitted, every node in view"
    picker.select_option(label="按绘制位置")
    page.locator(".mnss-message", has_text="已回到绘制的位置").wait_for(timeout=15_000)
    assert settled(page) == start


def test_the_property_panel_checks_what_is_typed(campus_page):
    """Typed key by key into a host's IP address: a bad address is named in Chinese under the form
    and Apply is disabled while it is there; the next valid value clears both."""
    page = campus_page
    page.locator(".mnss-select input").fill("b1d1w1")
    page.keyboard.press("Enter")
    page.locator(".mnss-canvas", has_text="节点 b1d1w1").wait_for(timeout=15_000)  # its panel, not the last one
    ip = page.locator(".mnss-field-ip input")
    note, apply = page.locator(".mnss-form-problems"), page.locator("button.mnss-apply")
    ip.press_sequentially("10.1.1.300/24", delay=30)
    note.filter(has_text="“10.1.1.300/24”不是带前缀长度的 IPv4 地址").wait_for(timeout=15_000)
    assert apply.is_disabled() and page.locator(".mnss-field-ip.mnss-invalid").count() == 1
    note.scroll_into_view_if_needed()
    screenshot(page, "canvas-typing-flagged")
    assert [w for w in english_words(note.inner_text()) if w != "b1d1w1"] == []
    for _ in range(len("300/24")):
        ip.press("Backspace")
    ip.press_sequentially("50/24", delay=30)  # 10.1.1.50/24
    page.wait_for_function("() => !document.querySelector('button.mnss-apply').disabled", timeout=15_000)
    assert note.inner_text().strip() == "" and page.locator(".mnss-field-ip.mnss-invalid").count() == 0
    page.locator(".mnss-field-name input").fill("b1d1w2")  # a name that is taken
    note.filter(has_text="b1d1w2").wait_for(timeout=15_000)
    assert apply.is_disabled()
    page.locator(".mnss-field-name input").fill("b1d1w1")
    page.wait_for_function("() => !document.querySelector('button.mnss-apply').disabled", timeout=15_000)


@pytest.mark.skipif(os.geteuid() != 0, reason="running the campus needs root (network namespaces)")
def test_the_grouped_ping_table_drills_down_on_a_click(campus_page):
    page = campus_page
    page.locator(".mnss-run").click()
    try:
        page.locator(".mnss-message", has_text="网络运行中").wait_for(timeout=180_000)
        page.locator(".jp-Cell .jp-InputArea-editor").nth(1).click()
        page.keyboard.press("Shift+Enter")  # cut department b2d2 off: canvas.link_down('b2r', 'b2d2')
        page.locator(".mnss-message", has_text="已注入故障").wait_for(timeout=60_000)
        started = time.perf_counter()
        page.locator(".mnss-ping-all").click()
        lost = page.locator(".mnss-group-cell[title^='b1d1 → b2d2：100 %']")
        lost.wait_for(timeout=120_000)
        print(f"Ping all on the campus, clicked to table: {time.perf_counter() - started:.1f} s")
        assert page.locator(".mnss-group-cell").count() >= 64
        page.locator(".mnss-group-cell[title^='b1d1 → b2d1：0 %']").wait_for(timeout=5_000)

        lost.click()
        detail = page.locator(".mnss-drill-detail")
        detail.filter(has_text="明细：b1d1 → b2d2").wait_for(timeout=15_000)
        cells = detail.locator("rect.mnss-loss")
        pairs = cells.evaluate_all("cs => cs.map(c => [c.dataset.src, c.dataset.dst, c.dataset.loss])")
        assert len(pairs) == 36, "the six hosts of b1d1 to the six of b2d2"
        assert all(s.startswith("b1d1") and d.startswith("b2d2") and loss == "100" for s, d, loss in pairs)
        detail.scroll_into_view_if_needed()
        screenshot(page, "canvas-heatmap-drill")

        page.locator(".mnss-group-cell[title^='b1d1 → b2d1：0 %']").click()
        detail.filter(has_text="明细：b1d1 → b2d1").wait_for(timeout=15_000)
        pairs = cells.evaluate_all("cs => cs.map(c => [c.dataset.src, c.dataset.dst, c.dataset.loss])")
        assert len(pairs) == 36 and all(d.startswith("b2d1") and loss == "0" for _s, d, loss in pairs)

        page.locator(".mnss-group-by button", has_text="按楼宇").click()  # the same results by building
        page.locator(".mnss-group-cell[title^='b1r → b2r：']").click()
        detail.filter(has_text="明细：b1r → b2r").wait_for(timeout=15_000)
        pairs = cells.evaluate_all("cs => cs.map(c => [c.dataset.src, c.dataset.dst, c.dataset.loss])")
        assert len({s for s, _d, _l in pairs}) >= 18 and {d for _s, d, _l in pairs} >= {"b2d1w1", "b2d2m1", "b2d3n1"}
        assert all((loss == "100") == d.startswith("b2d2") for s, d, loss in pairs if s != d), "only b2d2 is cut off"

        page.locator(".mnss-group-by button", has_text="按子网").click()  # by the subnets pinged
        page.locator(".mnss-group-cell[title^='10.1.1.0/24 → 10.2.2.0/24：100 %']").click()
        detail.filter(has_text="明细：10.1.1.0/24 → 10.2.2.0/24").wait_for(timeout=15_000)
        pairs = cells.evaluate_all("cs => cs.map(c => [c.dataset.src, c.dataset.dst, c.dataset.loss])")
        assert len(pairs) == 36 and all(s.startswith("b1d1") and d.startswith("b2d2") for s, d, _l in pairs)
        assert {loss for _s, _d, loss in pairs} == {"100"}

        page.locator(".mnss-group-by button", has_text="按 VLAN").click()  # by the VLANs of the switch ports
        page.locator(".mnss-group-cell[title^='VLAN 20 → VLAN 20：0 %']").wait_for(timeout=15_000)
        page.locator(".mnss-group-cell[title^='VLAN 1 → VLAN 20：100 %']").click()
        detail.filter(has_text="明细：VLAN 1 → VLAN 20").wait_for(timeout=15_000)
        pairs = cells.evaluate_all("cs => cs.map(c => [c.dataset.src, c.dataset.dst, c.dataset.loss])")
        assert {d for _s, d, _l in pairs} == {f"b2d2{h}" for h in ("m1", "w1", "w2", "w3", "w4", "w5")}
        assert {"b1d1w1", "b2d1w1", "pacs", "g1"} <= {s for s, _d, _l in pairs} and {lo for *_, lo in pairs} == {"100"}
        page.locator(".mnss-group-by").scroll_into_view_if_needed()
        screenshot(page, "canvas-heatmap-vlan")

        # a throughput test: the links it crosses are coloured while it runs, and plain after it
        page.locator(".mnss-iperf-from select").select_option("b1d1w1")
        page.locator(".mnss-iperf-to select").select_option("b2d1w1")
        page.locator(".mnss-iperf").click()
        # the links turn one by one: wait until one of the path's own links is coloured
        crossed = '["b1d1w1-b1d1", "b1d1-b1r", "b2r-b2d1"]'
        on_path = (
            f"() => {{ const l = ({LOADED})(); "
            f"return l && l.some(e => {crossed}.includes(e.a + '-' + e.b)) ? l : null; }}"
        )
        loaded = page.wait_for_function(on_path, timeout=30_000, polling=100).json_value()
        page.locator(".mnss-canvas .custom-widget").scroll_into_view_if_needed()
        screenshot(page, "canvas-link-load")
        page.locator(".mnss-throughput", has_text="b1d1w1 → b2d1w1").wait_for(timeout=60_000)
        assert {"b1d1w1-b1d1", "b1d1-b1r", "b2r-b2d1"} & {f"{e['a']}-{e['b']}" for e in loaded}
        assert all(e["caption"].endswith("Mbit/s") for e in loaded)
        assert not [e for e in loaded if e["a"].startswith("b1d2") or e["b"].startswith("b1d2")]
        page.wait_for_function(f"!({LOADED})()", timeout=15_000, polling=100)
    finally:
        page.locator(".mnss-stop").click()
        page.locator(".mnss-message", has_text="网络已停止").wait_for(timeout=120_000)
