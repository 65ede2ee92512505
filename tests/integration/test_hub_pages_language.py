"""Hub pages in Chinese show no English beyond proper names: the login page, the top bar, the portal
(catalog and a course page), the home page of an instructor, the "lab not running" page and the
spawn page, read as Chromium renders them (only visible text counts)."""

import re

import pytest

from tests.support.browser import browser_page, chromium_path, screenshot
from tests.support.hubproc import course_site, create_accounts, logged_in, password, running_hub
from tests.support.page_text import chinese_page_text, latin_words

pytestmark = [pytest.mark.integration, pytest.mark.browser]

if chromium_path() is None:
    pytest.skip("Chromium is not installed (make test installs it)", allow_module_level=True)

COURSE = "python-basics"
# Proper names and the language switch, which names the other language in that language. The
# spawn page's messages carry both languages ("正在启动… / Starting…"): the English half is allowed.
ALLOWED = {"MNSS", "Lab", "JupyterLab", "English", "teach", "nbgrader", COURSE}  # nbgrader: the tool's name
ALLOWED |= {"Python"}  # in the course title the home page names for its instructor (course.yaml)
# Names of protocols, tools, libraries and commands in the Chinese course titles and summaries the
# catalog shows (course content, not page chrome): "scikit-learn", "hl7apy", "DICOM C-ECHO", ...
PORTAL_NAMES = {
    *("ACK", "AUC", "CSV", "csv", "DICOM", "ECHO", "STORE", "EMR", "HIS", "LIS", "HL7", "hl7apy", "MLLP", "PACS"),
    *("HMAC", "SHA", "VLAN", "Linux", "Python", "python", "pandas", "scikit-learn", "Pipeline", "Faker"),
    *("stdnum", "notebook", "ping", "traceroute", "ipaddress"),
    *("GB/T", "RPO", "RTO", "tar", "sha256sum", "curl"),  # backup-dr's summary: a standard, terms and commands
    *("RFC", "syslog", "PRI", "UDP", "MTTR", "fping"),  # network-monitoring's: a protocol's parts, a measure, a tool
    *("setuid",),  # server-hardening's: a permission bit with no settled Chinese name
    *(
        "FHIR",
        "Patient",
        "Observation",
        "Bundle",
        "next",
        "OperationOutcome",
        "LOINC",
        "POST",
    ),  # fhir-api's: resource names
    *("TCP", "iptables", "Brier"),  # his-lis-integration's transport and tool, clinical-model-evaluation's score
    *("QoS", "ITU", "EF", "AF", "tc", "htb"),  # qos-telemedicine's: a standard, DiffServ classes, the tools
}
# In the Chinese notes of the course page's references (what the course uses each work for); the
# works' titles themselves carry lang="en" and are left out by chinese_page_text.
PORTAL_NAMES |= {"IP", "try", "except"}


def chinese_part(text: str) -> str:
    return "\n".join(line.split(" / ")[0] for line in text.splitlines())


def english_words(text: str, more: set[str] = frozenset()) -> list[str]:
    return latin_words(text, ALLOWED | more)


def test_chinese_hub_pages_have_no_english_text(tmp_path):
    extra = tmp_path / "hub.d"
    extra.mkdir()  # the hub shows the spawn page only for spawns slower than this: always
    (extra / "slow.py").write_text('c.JupyterHub.tornado_settings.update({"slow_spawn_timeout": 0})\n')  # merged
    config = course_site(
        tmp_path / "state", [{"course": COURSE, "instructors": ["teach"]}], hub={"extra_config_dir": str(extra)}
    )
    create_accounts(tmp_path / "state", ("teach",))
    with running_hub(tmp_path, config) as (url, proc, log), browser_page() as page:
        page.goto(url + "hub/login")
        assert english_words(page.inner_text("body")) == [], page.inner_text("body")
        page.fill("#username_input", "teach")
        page.fill("#password_input", password("teach"))
        page.click("#login_submit")
        page.wait_for_url("**/hub/portal")  # where learners and instructors land
        page.locator(".mnss-category").first.wait_for()
        screenshot(page, "portal-zh")
        assert english_words(page.inner_text("body"), PORTAL_NAMES) == [], page.inner_text("body")
        page.goto(url + f"hub/portal/course/{COURSE}")
        page.locator("#mnss-items").wait_for()
        page.click("#mnss-references summary")  # open, so its titles and notes are visible text
        page.locator(".mnss-reference").first.wait_for()
        screenshot(page, "portal-course-zh")
        shown = chinese_page_text(page)
        assert "参考资料" in shown and "RFC 1918" not in shown, shown  # the tagged title is left out
        assert english_words(shown, PORTAL_NAMES) == [], shown
        page.goto(url + "hub/home")
        page.locator("#mnss-grading").wait_for()
        screenshot(page, "hub-home-zh")
        assert english_words(page.inner_text("body")) == [], page.inner_text("body")
        assert page.get_attribute("#jupyterhub-logo img", "alt") == "MNSS Lab"
        assert page.request.get(url + "hub/logo").headers["content-type"].startswith("image/svg")
        page.goto(url + "hub/token")  # JupyterHub's token page, replaced by a bilingual one
        page.fill("#token-note", "批改脚本")
        page.click("#request-token-form button[type=submit]")
        page.locator("#token-result").wait_for()
        page.reload()
        page.locator("#api-tokens-table").wait_for()
        screenshot(page, "hub-token-zh")
        assert english_words(page.inner_text("body")) == [], page.inner_text("body")
        assert page.locator("#token-expiration-seconds option:checked").inner_text() == "永不过期"
        teach = logged_in(url, ("teach",))["teach"]
        if teach.user("teach")["servers"]:
            teach.stop_server("teach")
        page.goto(url + "hub/user/teach/")
        page.locator("#start").wait_for()
        screenshot(page, "hub-not-running-zh")
        assert english_words(page.inner_text("body")) == [], page.inner_text("body")
        page.click("#start")
        page.wait_for_url("**/spawn-pending/**", timeout=30_000)
        page.wait_for_function("document.querySelector('#progress-message').innerText.includes('启动')")
        pending = page.inner_text("body")
        screenshot(page, "hub-spawn-pending-zh")
        assert "启动日志" in pending and english_words(chinese_part(pending)) == [], pending
        page.wait_for_url("**/user/teach/**", timeout=90_000)
        page.goto(url + "hub/home")
        page.click("#mnss-lang-switch")  # and the same page in English: its labels, no Chinese left
        body = page.inner_text("body")
        assert "Home" in body and "Log out" in body and not re.search(r"[\u4e00-\u9fff]", body.replace("中文", "")), (
            body
        )
