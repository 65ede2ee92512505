"""The research and engineering pages on a real hub: the experiment catalogue (every bundled
template with its picture and node count) and the component library in Chinese and English; a bad
upload is refused with what is wrong, in both languages, and nothing is kept; a good one, and a
research card, open in the learner's lab as a notebook with the canvas (the hub starts the server,
the server's helper writes the notebook). In Chromium: a research card and an uploaded topology
are clicked through to an open notebook showing the canvas; screenshots go to test-artifacts/."""

import html
import http.client
import re
import shutil
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from mnss_hub.workbench import uploads
from mnss_kernel import experiments, templates
from mnss_kernel.catalog import KINDS
from tests.support.browser import browser_page, chromium_path, screenshot, sign_in
from tests.support.english import english_words
from tests.support.hubproc import LOCAL_HUB_MARKS, ROOT, course_site, create_accounts, logged_in, password, running_hub
from tests.support.weblogin import post_login, xsrf_of

pytestmark = LOCAL_HUB_MARKS

USERS = ("nurse", "clerk", "tech")
TWO_HOSTS = """name: ward-two
nodes:
  - {name: h1, kind: nurse_station}
  - {name: h2, kind: medical_device}
  - {name: s1, kind: switch}
links:
  - {a: h1, b: s1}
  - {a: h2, b: s1}
"""


def checkout_labextension(folder):
    """A hub config file that puts this checkout's panel build first on the servers' JUPYTER_PATH,
    so the committed build is what is tested even where the environment holds an older installed
    copy. Returns the folder for `hub.extra_config_dir`."""
    (folder / "labextensions").mkdir(parents=True)
    (folder / "labextensions" / "mnss-panel").symlink_to(ROOT / "extensions" / "mnss_panel" / "labextension")
    (folder / "hub.d").mkdir()
    (folder / "hub.d" / "labextension.py").write_text(
        f"c.Spawner.environment.update({{'JUPYTER_PATH': {str(folder)!r}}})\n"
    )
    return folder / "hub.d"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    work = tmp_path_factory.mktemp("workbench")
    # the servers' own accounts must read the build (pytest's folder is root's alone)
    shared = Path(tempfile.mkdtemp(prefix="mnss-workbench-"))
    shared.chmod(0o755)
    try:
        yield from _hub(work, checkout_labextension(shared / "jupyter"))
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def _hub(work: Path, extra: Path):
    state = work / "state"
    create_accounts(state, USERS)
    # one course is served, so the portal the Courses card opens is there
    config = course_site(
        state, [{"course": "hospital-lan", "instructors": ["admin"]}], hub={"extra_config_dir": str(extra)}
    )
    with running_hub(work, config, up_timeout=180) as (url, proc, log):
        for user in USERS:  # a user exists in the hub once they have logged in
            assert post_login(requests.Session(), url, user, password(user)).status_code == 302
        yield SimpleNamespace(url=url, state=state, log=log, clients=logged_in(url, USERS))


def session(hub, user: str) -> requests.Session:
    web = requests.Session()
    web.hooks["response"].append(lambda r, *a, **k: setattr(r, "encoding", "utf-8"))  # pages are UTF-8
    assert post_login(web, hub.url, user, password(user)).status_code == 302
    return web


def form_action(web: requests.Session, hub) -> tuple[str, str]:
    """Where the upload form posts, as a browser reads it (the XSRF token is in the URL)."""
    form = web.get(hub.url + "hub/engineering", timeout=10)
    action = html.unescape(re.search(r'action="([^"]+)" id="mnss-upload-form"', form.text)[1])
    return hub.url.rstrip("/") + action, xsrf_of(form)


def upload(web: requests.Session, hub, name: str, body: bytes) -> requests.Response:
    action, xsrf = form_action(web, hub)
    return web.post(
        action,
        data={"_xsrf": xsrf},
        files={"topology": (name, body)},
        allow_redirects=False,
        timeout=60,
    )


def visible_zh(html: str) -> str:
    """The page's text as a Chinese reader sees it: the English halves of t() removed."""
    return re.sub(r'<span class="i18n" lang="en">.*?</span>', " ", html, flags=re.S)


def test_research_page_shows_every_template_with_picture_and_the_component_library(hub):
    web = session(hub, "nurse")
    page = web.get(hub.url + "hub/research", timeout=60)
    assert page.status_code == 200, page.text[:500]
    shown = re.findall(r'class="card h-100 mnss-experiment" data-template="([a-z_0-9]+)"', page.text)
    assert shown == list(templates.TEMPLATES)
    ward = page.text.split('data-template="ward"')[1].split("mnss-open")[0]
    assert f"{len(templates.load_example('ward').nodes)} 个节点" in ward and "住院病区局域网" in ward
    assert "user-redirect/mnss/topology?template=ward" in page.text
    assert set(re.findall(r'class="mnss-component" data-kind="([a-z_]+)"', page.text)) == set(KINDS)
    assert "11112" in page.text.split('data-kind="pacs"')[1].split("</tr>")[0]
    picture = web.get(hub.url + "hub/research/picture/hospital_campus.svg", timeout=60)
    assert picture.status_code == 200 and picture.headers["Content-Type"] == "image/svg+xml"
    assert picture.text.count("<line") == len(templates.load_example("hospital_campus").links)
    assert web.get(hub.url + "hub/research/picture/nothing.svg", timeout=10).status_code == 404
    catalog = page.text.split('<section id="mnss-catalog"')[1].split('<section id="mnss-components"')[0]
    listed = re.findall(r'class="card h-100 mnss-catalog-experiment" data-experiment="([a-z0-9-]+)"', catalog)
    assert sorted(listed) == experiments.names()
    first = experiments.names()[0]
    assert f"user-redirect/mnss/topology?experiment={first}" in catalog
    assert experiments.load(first).title["zh"] in catalog and "连通性" in catalog
    thumb = web.get(hub.url + f"hub/research/experiment/{first}.svg", timeout=60)
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/svg+xml"
    assert thumb.text.count("<line") == len(experiments.load(first).topology().links)
    assert web.get(hub.url + "hub/research/experiment/nothing.svg", timeout=10).status_code == 404
    tools = {"ACL", "CT", "DF", "ICMP", "TTL", "STORE", "ECHO", "iperf3", "ping", "traceroute", "csw", "dc"}
    words = english_words(visible_zh(catalog.split(">", 1)[1]), {"DICOM", "HL7", "MLLP", "HTTP", "TCP"} | tools)
    assert not words, words
    main = page.text.split('id="mnss-research"')[1].split('<section id="mnss-catalog"')[0]
    main += page.text.split('<section id="mnss-components"')[1].split("</table>")[0]
    names = {"DICOM", "HL7", "MLLP", "HTTP", "SQL", "TCP", "Linux", "linear", "single", "tree"}  # protocols, Mininet's
    params = {"n", "depth", "fanout", "buildings", "guests", "departments_per_building", "hosts_per_department"}
    params |= {"regions", "hospitals", "clinics", "floors", "hosts_per_floor", "clinic_hosts"}  # region template
    words = english_words(visible_zh(main), names | params | set(KINDS))
    assert not words, words


@pytest.mark.parametrize(
    ("name", "body", "zh", "en"),
    [
        ("lan.yaml", TWO_HOSTS.replace("{a: h2, b: s1}", "{a: h2, b: s7}"), "节点 s7 不存在", "'s7' does not exist"),
        ("lan.yaml", "nodes: [unclosed", "lan.yaml 不是有效的拓扑", "not valid YAML"),
        ("notes.txt", "hello", "不认识的文件类型", "unknown file type"),
        ("huge.yaml", "#" * (uploads.MAX_BYTES + 10), "超过上限", "over the limit"),
        ("lab.py", "print('no topology here')\n", "没有 Mininet 拓扑", "no Mininet topology"),
    ],
)
def test_a_bad_upload_is_refused_naming_what_is_wrong(hub, name, body, zh, en):
    web = session(hub, "clerk")
    refused = upload(web, hub, name, body.encode())
    assert refused.status_code == 400, refused.text[:300]
    error = html.unescape(refused.text.split('id="mnss-upload-error"')[1].split("</div>")[0])
    assert zh in error and en in error, error
    assert "文件未保存" in error and "Nothing was saved" in error
    assert not (hub.state / "homes" / "clerk" / "topologies").exists()


def test_a_huge_upload_is_refused_before_it_is_read(hub):
    """A request declaring 200 MiB is answered 413 after its first kilobyte: the hub reads no more."""
    web = session(hub, "clerk")
    action, _ = form_action(web, hub)
    where = urlsplit(action)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    try:
        conn.putrequest("POST", f"{where.path}?{where.query}")
        conn.putheader("Cookie", "; ".join(f"{c.name}={c.value}" for c in web.cookies))
        conn.putheader("Content-Type", "multipart/form-data; boundary=b0undary")
        conn.putheader("Content-Length", str(200 * 1024 * 1024))
        conn.endheaders()
        conn.send(b'--b0undary\r\nContent-Disposition: form-data; name="topology"; filename="big.yaml"\r\n\r\n')
        conn.send(b"#" * 1024)
        answer = conn.getresponse()
        page = answer.read().decode("utf-8")
    finally:
        conn.close()
    assert answer.status == 413, page[:300]
    error = html.unescape(page.split('id="mnss-upload-error"')[1].split("</div>")[0])
    assert "超过上限 512 KB，未读取" in error and "over the limit of 512 KB; it was not read" in error
    assert not (hub.state / "homes" / "clerk" / "topologies").exists()


def test_upload_and_research_card_open_as_notebooks_in_the_lab(hub):
    web = session(hub, "nurse")
    hub.clients["nurse"].start_server("nurse")
    sent = upload(web, hub, "Ward two.yaml", TWO_HOSTS.encode())
    assert sent.status_code == 303, sent.text[:500]
    key = re.search(r"mnss/topology\?upload=([0-9a-f]{32})$", sent.headers["Location"]).group(1)
    # only the uploader's token collects it
    other = requests.get(f"{hub.url}hub/mnss-uploads/{key}", headers=hub.clients["clerk"].headers, timeout=10)
    assert other.status_code == 404
    opened = web.get(hub.url + sent.headers["Location"].lstrip("/"), timeout=120)
    assert opened.status_code == 200 and opened.url.endswith("/user/nurse/lab/tree/topologies/Ward_two.ipynb")
    home = hub.state / "homes" / "nurse"
    assert (home / "topologies" / "Ward_two.yaml").read_text() == TWO_HOSTS
    notebook = (home / "topologies" / "Ward_two.ipynb").read_text()
    assert "TopologyCanvas('Ward_two.yaml')" in notebook and key in notebook
    again = web.get(hub.url + sent.headers["Location"].lstrip("/"), timeout=60)  # a reload: the same notebook
    assert again.url == opened.url and not (home / "topologies" / "Ward_two-2.yaml").exists()

    card = web.get(hub.url + "hub/user-redirect/mnss/topology?template=guest_isolated", timeout=60)
    assert card.status_code == 200 and card.url.endswith("/user/nurse/lab/tree/experiments/guest_isolated.ipynb")
    assert "TopologyCanvas('guest_isolated')" in (home / "experiments" / "guest_isolated.ipynb").read_text()
    # the notebook really opens the canvas on that topology
    ran = hub.clients["nurse"].execute(
        "nurse",
        "import os; os.chdir('topologies')\nfrom mnss_kernel.canvas import TopologyCanvas\n"
        "c = TopologyCanvas('Ward_two.yaml'); print(sorted(c.topology.names()))",
    )
    assert ran.stdout.strip() == "['h1', 'h2', 's1']", ran
    name = experiments.names()[0]
    opened = web.get(hub.url + f"hub/user-redirect/mnss/topology?experiment={name}", timeout=60)
    assert opened.status_code == 200 and opened.url.endswith(f"/user/nurse/lab/tree/experiments/catalog/{name}.ipynb")
    assert f"load({name!r})" in (home / "experiments" / "catalog" / f"{name}.ipynb").read_text()
    missing = web.get(hub.url + "hub/user-redirect/mnss/topology?experiment=nonsense", timeout=60)
    assert missing.status_code == 404 and "研究实验库中没有名为 nonsense 的实验" in missing.text
    nothing = web.get(hub.url + "hub/user-redirect/mnss/topology?template=nonsense", timeout=60)
    assert nothing.status_code == 404 and "没有名为 nonsense 的实验模板" in nothing.text


# The node ids cytoscape draws in the canvas on screen (cytoscape keeps its instance on its container).
CANVAS_NODES = """() => {
  for (const el of document.querySelectorAll('.mnss-canvas div')) {
    if (el._cyreg && el._cyreg.cy && el.getClientRects().length) { return el._cyreg.cy.nodes().map(n => n.id()); }
  }
  return null;
}"""


def shows_nodes(page, names, timeout=60_000) -> None:
    """Wait until the visible canvas draws exactly `names` (a tab switch shows the old one a moment)."""
    drawn = f"({CANVAS_NODES})()"
    script = f"wanted => {{ const n = {drawn}; return !!n && JSON.stringify(n.sort()) === JSON.stringify(wanted); }}"
    try:
        page.wait_for_function(script, arg=sorted(names), timeout=timeout)
    except PlaywrightTimeout:
        pass  # the assertion after it names what is drawn instead


@pytest.mark.browser
@pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (make test installs it)")
def test_research_card_and_upload_open_a_notebook_with_the_canvas_in_chromium(hub, tmp_path):
    ward = [n.name for n in templates.load_example("ward").nodes]
    mine = tmp_path / "clinic.yaml"
    mine.write_text(TWO_HOSTS.replace("ward-two", "clinic"))
    with browser_page() as page:
        sign_in(page, hub.url, "clerk", password("clerk"))
        page.goto(hub.url + "hub/research")
        page.locator('.mnss-experiment[data-template="ward"] img').wait_for()
        # the template cards' pictures (the catalogue's areas are closed: their pictures load when opened)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.mnss-experiment img')].every(i => i.complete && i.naturalWidth > 0)"
        )
        screenshot(page, "research-catalogue-zh")
        page.locator("#mnss-components").scroll_into_view_if_needed()
        screenshot(page, "research-components-zh")

        page.click('.mnss-experiment[data-template="ward"] .mnss-open')
        page.wait_for_url("**/user/clerk/lab/tree/experiments/ward.ipynb", timeout=180_000)
        page.locator(".mnss-canvas").wait_for(timeout=120_000)  # run once on opening: no click needed
        shows_nodes(page, ward)
        screenshot(page, "research-ward-notebook")
        assert set(page.evaluate(CANVAS_NODES)) == set(ward)
        assert page.locator(".mnss-add").inner_text().strip() == "添加"

        broken = tmp_path / "broken.yaml"
        broken.write_text(TWO_HOSTS.replace("{a: h2, b: s1}", "{a: h2, b: s7}"))
        page.goto(hub.url + "hub/engineering")
        page.set_input_files("#mnss-topology-file", str(broken))
        page.click("#mnss-upload")
        page.locator("#mnss-upload-error").wait_for()
        shown = page.inner_text("#mnss-upload-error")
        assert "节点 s7 不存在" in shown and english_words(shown, {"broken", "yaml", "h2", "s7"}) == [], shown
        screenshot(page, "engineering-upload-refused-zh")
        assert not (hub.state / "homes" / "clerk" / "topologies").exists()

        page.set_input_files("#mnss-topology-file", str(mine))
        assert page.inner_text("#mnss-file-name") == "clinic.yaml"
        shown = page.inner_text("#mnss-engineering")  # what a reader sees: CSS hides the English halves
        assert english_words(shown, {"custom", "mn", "KB", "clinic", "broken"}) == [], shown
        screenshot(page, "engineering-upload-zh")
        page.click("#mnss-upload")
        page.wait_for_url("**/user/clerk/lab/tree/topologies/clinic.ipynb", timeout=120_000)
        page.locator(".mnss-canvas:visible").wait_for(timeout=120_000)
        shows_nodes(page, ["h1", "h2", "s1"])  # the new tab's canvas, not the ward's still fading out
        screenshot(page, "engineering-upload-notebook")
        assert set(page.evaluate(CANVAS_NODES)) == {"h1", "h2", "s1"}


def saved_notebooks(home: Path, timeout: float = 30) -> list[Path]:
    """The notebooks in `home` once each has content.

    The server's safe save copies the notebook to a hidden .~NAME, truncates the notebook and
    writes it anew, so for a moment the file is empty; a reader in between sees ''.
    """
    deadline = time.monotonic() + timeout
    while True:
        found = sorted(p for p in home.glob("*.ipynb") if not p.name.startswith("."))
        if (found and all(p.stat().st_size for p in found)) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.mark.browser
@pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (make test installs it)")
def test_launcher_cards_open_a_topology_lab_and_the_portal(hub):
    with browser_page() as page:
        sign_in(page, hub.url, "tech", password("tech"))
        page.goto(hub.url + "hub/user-redirect/lab")
        page.wait_for_url("**/user/tech/lab**", timeout=180_000)
        section = page.locator(".jp-Launcher-section", has_text="MNSS 实验室")
        section.wait_for(timeout=120_000)
        section.scroll_into_view_if_needed()
        cards = section.locator(".jp-LauncherCard-label").all_inner_texts()
        assert [c.strip() for c in cards] == ["拓扑实验", "课程"], cards
        screenshot(page, "lab-launcher-cards-zh")
        assert page.locator("#mnss-courses-panel").count() == 1  # the same build still brings the courses panel

        section.locator(".jp-LauncherCard", has_text="拓扑实验").click()
        page.locator(".jp-NotebookPanel .mnss-canvas").wait_for(timeout=120_000)  # run once on opening
        assert page.locator(".mnss-add").inner_text().strip() == "添加"
        notebooks = saved_notebooks(hub.state / "homes" / "tech")
        assert len(notebooks) == 1 and "TopologyCanvas()" in notebooks[0].read_text(), notebooks
        screenshot(page, "lab-topology-lab-notebook")

        page.locator(".jp-DirListing-item", has_text=notebooks[0].name).wait_for()
        page.locator('.jp-FileBrowser [data-command="launcher:create"]').first.click()  # a new launcher
        with page.expect_popup() as opened:
            page.locator(".jp-LauncherCard", has_text="课程").last.click()
        portal = opened.value
        portal.wait_for_url("**/hub/portal", timeout=60_000)
        assert portal.locator(".mnss-category").count() == 5
        screenshot(portal, "lab-courses-card-portal-zh")
