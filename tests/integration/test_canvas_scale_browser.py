"""The canvas in Chromium, as a learner who chose Chinese in JupyterLab sees it: the bundled
hospital campus opens readable (no two node boxes overlap, read from where cytoscape drew them),
the view buttons zoom and fit, and no English is left in the canvas. Screenshots in test-artifacts/."""

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
# network nodes drawn (the boxes of a switch's hosts and of buildings are not counted)
COUNT = f"""(() => {{ const cy = ({FIND_CY})();
  return cy ? cy.nodes('[kind != "group"][kind != "building"]').length : 0; }})()"""
VIEW = f"""() => {{ const cy = ({FIND_CY})(); const w = cy.width(), h = cy.height();
  const boxes = cy.nodes().map(n => {{ const b = n.renderedBoundingBox({{includeLabels: true}});
    return {{id: n.id(), parent: n.isChild() ? n.parent().id() : null, up: n.ancestors().map(a => a.id()),
      x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2}}; }});
  return {{zoom: cy.zoom(), width: w, height: h, boxes}}; }}"""
NODE_SPOT = f"""name => {{ const cy = ({FIND_CY})(); const box = cy.container().getBoundingClientRect();
  const p = cy.getElementById(name).renderedPosition(); return {{x: box.x + p.x, y: box.y + p.y}}; }}"""
TEXTS = """() => { const root = document.querySelector('.mnss-canvas'); const out = [root.innerText];
  for (const el of root.querySelectorAll('[title]')) if (el.offsetParent !== null) out.push(el.title);
  for (const el of root.querySelectorAll('option')) out.push(el.textContent);
  for (const el of root.querySelectorAll('input')) out.push(el.placeholder || '');
  return out; }"""


# The goal (< 5 s) is a performance figure, measured by benchmarks/canvas_render.py --campus-1000;
# here the draw must only finish, with its work bounded well above that (a hang or a multiple).
BIG_DRAW_GUARD_SECONDS = 20


def browser_cpu(cdp) -> float:
    """CPU seconds all of Chromium's processes (browser, renderers, GPU) have used so far."""
    return sum(p["cpuTime"] for p in cdp.send("SystemInfo.getProcessInfo")["processInfo"])


def overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    """Pairs of drawn boxes (node and label) that overlap; a box (a switch's hosts, a building)
    holds what is in it by design."""
    boxes = sorted(boxes, key=lambda b: b["x1"])
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if b["x1"] >= a["x2"]:
                break
            if b["y1"] < a["y2"] and a["y1"] < b["y2"] and a["id"] not in b["up"] and b["id"] not in a["up"]:
                found.append((a["id"], b["id"]))
    return found


def wait_for_nodes(page, count: int) -> float:
    started = time.perf_counter()
    page.wait_for_function(f"{COUNT} >= {count}", timeout=120_000, polling=50)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return time.perf_counter() - started


def test_campus_is_readable_zooms_and_speaks_chinese(tmp_path):
    code = "from mnss_kernel.canvas import TopologyCanvas\ncanvas = TopologyCanvas('hospital-campus')\ncanvas"
    (tmp_path / "campus.ipynb").write_text(__import__("json").dumps(notebook(code)))
    with running_lab(tmp_path, locale="zh_CN") as url, browser_page() as page:
        open_and_run(page, url, "campus.ipynb", "campus")
        page.keyboard.press("Shift+Enter")
        page.locator(".mnss-canvas").wait_for(timeout=90_000)
        seconds = wait_for_nodes(page, 60)
        page.wait_for_timeout(500)  # the preset layout's zoom and pan are applied after the nodes
        view = page.evaluate(VIEW)
        screenshot(page, "canvas-campus-zh")
        assert seconds < 5, f"the 60-node campus took {seconds:.1f} s to draw"
        assert overlapping(view["boxes"]) == [], "node boxes overlap"
        inside = [b for b in view["boxes"] if b["x1"] >= -1 and b["y1"] >= -1 and b["x2"] <= view["width"] + 1]
        assert len(inside) == 62, "the whole campus is in view, with its two buildings"
        assert view["zoom"] >= 0.5, f"zoomed out to {view['zoom']:.2f}: labels too small to read"

        page.locator(".mnss-zoom-in").click()
        page.wait_for_function(f"({FIND_CY})().zoom() > {view['zoom'] * 1.2}", timeout=15_000)
        zoomed = page.evaluate(VIEW)
        assert zoomed["zoom"] == pytest.approx(view["zoom"] * 1.25, rel=0.02)
        screenshot(page, "canvas-campus-zoomed")
        page.locator(".mnss-fit").click()
        page.wait_for_function(f"Math.abs(({FIND_CY})().zoom() - {view['zoom']}) < 0.01", timeout=15_000)

        spot = page.evaluate(NODE_SPOT, "b1d1w1")
        page.mouse.click(spot["x"], spot["y"])
        page.locator(".mnss-field-ip input").fill("abc")  # named as typed; Apply stays disabled
        page.locator(".mnss-form-problems", has_text="不是带前缀长度的 IPv4 地址").wait_for(timeout=15_000)
        assert page.locator("button.mnss-apply").is_disabled()
        screenshot(page, "canvas-campus-zh-error")

        # add, connect and delete from the keyboard: type-ahead in the node lists, Tab, Enter
        page.locator(".mnss-kind select").focus()
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # Add (a host)
        page.locator(".mnss-message", has_text="已添加 h1").wait_for(timeout=15_000)
        page.locator(".mnss-select input").select_text()  # it shows the node clicked last: type over it
        page.keyboard.type("h1")
        page.keyboard.press("Enter")
        page.locator(".mnss-canvas", has_text="节点 h1（").wait_for(timeout=15_000)
        page.keyboard.press("Tab")  # to "Connect to"
        page.keyboard.type("b1d1w1")  # "b1d1", a prefix, is a node as well
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")  # to "Connect selected"
        page.keyboard.press("Enter")
        page.locator(".mnss-message", has_text="已连接 h1 — b1d1w1。").wait_for(timeout=15_000)
        screenshot(page, "canvas-campus-keyboard")
        page.locator(".mnss-delete").focus()
        page.keyboard.press("Enter")
        page.locator(".mnss-message", has_text="已删除 h1").wait_for(timeout=15_000)
        typed = {"abc", "ip", "addr"}  # what the learner typed, and the example command "ip addr"
        words = [w for text in page.evaluate(TEXTS) for w in english_words(text, typed)]
        assert words == [], f"English in the Chinese canvas: {sorted(set(words))}"


def test_the_1076_node_campus_draws_in_tiers_without_overlaps(tmp_path):
    """1,076 nodes, hosts in one box per switch: no overlapping boxes, every host in its box, zoom,
    and the time from Shift+Enter until cytoscape has drawn them all.

    The work the draw costs (CPU time of the kernel and of Chromium, about the wait on an idle
    machine) is printed with the wall time and bounded loosely; the < 5 s goal is the benchmark's
    (benchmarks/canvas_render.py --campus-1000), as performance is measured there, not in tests."""
    setup = "import time\nfrom mnss_kernel import templates\ntopo = templates.hospital_campus_1000()\n"
    setup += "time.process_time()"
    code = "from mnss_kernel.canvas import TopologyCanvas\nTopologyCanvas(topo, arrange=True)"
    (tmp_path / "big.ipynb").write_text(__import__("json").dumps(notebook(setup, code, "time.process_time()")))
    with running_lab(tmp_path, locale="en") as url, browser_page(locale="en-US") as page:
        open_and_run(page, url, "big.ipynb", "big")
        page.keyboard.press("Shift+Enter")
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
        page.wait_for_timeout(500)
        cdp = page.context.browser.new_browser_cdp_session()
        busy = browser_cpu(cdp)
        started = time.perf_counter()
        page.keyboard.press("Shift+Enter")
        page.wait_for_function(f"{COUNT} >= 1076", timeout=180_000, polling=50)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        seconds = time.perf_counter() - started
        busy = browser_cpu(cdp) - busy
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
        page.keyboard.press("Shift+Enter")  # the kernel's CPU time after the draw
        outputs = page.locator(".jp-OutputArea-output[data-mime-type='text/plain']")
        outputs.nth(1).wait_for(timeout=60_000)
        kernel = float(outputs.nth(1).inner_text()) - float(outputs.nth(0).inner_text())
        work = kernel + busy
        print(f"1,076-node campus drawn in {seconds:.1f} s; work {work:.1f} s (kernel {kernel:.1f}, page {busy:.1f})")
        page.wait_for_timeout(500)
        view = page.evaluate(VIEW)
        screenshot(page, "canvas-campus-1076")
        assert overlapping(view["boxes"]) == [], "node boxes overlap"
        boxed = [b for b in view["boxes"] if b["parent"] and b["parent"].startswith("hosts:")]
        assert len(boxed) >= 1000 and all(b["up"][1].startswith("site:") for b in boxed if b["id"].startswith("b"))
        assert work < BIG_DRAW_GUARD_SECONDS, f"the 1,076-node campus took {work:.1f} s of work ({seconds:.1f} s)"
        page.locator(".mnss-zoom-in").click()
        page.wait_for_function(f"({FIND_CY})().zoom() > {view['zoom'] * 1.2}", timeout=15_000)
        screenshot(page, "canvas-campus-1076-zoomed")
