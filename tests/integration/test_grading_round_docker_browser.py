"""The grading round in docker mode, in Chromium, on the zh-CN pages: the instructor releases on
the course's round page (批改作业 on the hub home), the learner opens the assignment with one click
on the course page (her server is a container), writes the solutions and submits with the notebook's
提交作业 button; the instructor collects, autogrades, releases feedback and exports the grades
there, seeing the learner by her real name and each assignment by its title; the learner sees her
score on the course page. The instructor's `mnss course` steps in her own container are done by the
course's formgrader in its one course root (what she releases there, the round page shows), and a
second grading step while one runs is refused (409); `validate` runs in her container.

One docker-mode hub for the module; its containers, volumes and network are removed afterwards.
Screenshots go to test-artifacts/docker-round-*.png.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from mnss_courses import grading_lock
from mnss_hub.hubclient import HubClient
from tests.support import browser, coursework, dockerhub, formgrader as formgrader_checks, people
from tests.support.browser import browser_page, chromium_path, screenshot
from tests.support.hubproc import ROOT, create_accounts, free_ports, password, running_hub

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.docker,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="formgraders run as their own accounts: the hub must be root"),
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (make test installs it)"),
]

RUN = f"r{os.getpid()}"
COURSE, ASSIGNMENT, MAX_SCORE = "hospital-lan", "lan-build", 10
LEARNER, TEACHER, REAL_NAME = f"wxm{RUN}", f"tch{RUN}", "王小明"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    dockerhub.require_engine()
    work = tmp_path_factory.mktemp("round")
    state = work / "state"
    config = dockerhub.docker_site(state, RUN, subnet_offset=25)
    config["courses"] = {
        "enabled": True,
        "exchange_port": free_ports(1)[0],
        "catalog": str(ROOT / "courses"),
        "members": [{"course": COURSE, "learners": [LEARNER], "instructors": [TEACHER]}],
    }
    try:
        state.mkdir(parents=True)
        people.register_profile(config, LEARNER, REAL_NAME, "wang.xm@example.cn")
        create_accounts(state, (LEARNER, TEACHER))
        with running_hub(work / "hub", config, up_timeout=240) as (url, proc, log):
            yield SimpleNamespace(url=url, log=log, work=work)
    finally:
        dockerhub.remove_leftovers(config, RUN)


def sign_in(page, url: str, user: str) -> None:
    browser.sign_in(page, url, user, password(user))


def round_row(page):
    return page.locator(f'.mnss-assignment[data-assignment="{ASSIGNMENT}"]')


def round_step(page, action: str, state: str, shot: str) -> None:
    """Click a step's button in the assignment's row; the page comes back with the step's notice
    and the row in `state`, or the test fails with the error the page shows."""
    with page.expect_navigation(timeout=300_000):
        round_row(page).locator(f"button.mnss-{action}").click()
    error = page.locator("#mnss-error")
    assert error.count() == 0, error.inner_text()
    assert page.locator("#mnss-notice").count() == 1
    assert round_row(page).get_attribute("data-state") == state, round_row(page).inner_text()
    screenshot(page, f"docker-round-{shot}")


def write_and_submit(page, url: str) -> None:
    """One click on the course page opens the assignment in her container's JupyterLab (fetched
    from the exchange); she writes the solution cells, saves, and submits with the toolbar button."""
    page.goto(f"{url}hub/portal/course/{COURSE}")
    page.click(f'.mnss-item[data-item="{ASSIGNMENT}"] .mnss-open')
    page.wait_for_url(f"**/user/{LEARNER}/lab/tree/**{ASSIGNMENT}**", timeout=240_000)
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")
    cells.first.wait_for(timeout=120_000)
    for index, code in coursework.solutions(COURSE, ASSIGNMENT).items():
        cells.nth(index).locator(".cm-content").click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(code)
    page.keyboard.press("Control+s")
    screenshot(page, "docker-round-learner-written")
    # Submit while that save may still be under way, as a learner may: the button waits for it
    # (a second save started meanwhile found the first one's write and asked "File Changed?")
    coursework.submit_in_lab(page, ASSIGNMENT)
    screenshot(page, "docker-round-learner-submitted")


def manual_grading_page_in_chinese(teacher) -> None:
    """nbgrader's page for grading a submission by hand (its own English page) reads in Chinese
    around the learner's notebook, which stays as she wrote it."""
    teacher.click("#mnss-nbgrader")
    teacher.click(".nav-pills >> text=手动评分")
    teacher.click(f"#main-table a:text-is('{ASSIGNMENT}')")
    teacher.locator("#main-table a").first.click()  # the assignment's notebook
    teacher.locator("#main-table a:has-text('第 1 份提交')").click()
    teacher.locator(".panel-heading:has-text('学员的答案')").first.wait_for(timeout=60_000)
    assert teacher.locator("text=下一份 →").count() == 1 and teacher.locator("text=Next →").count() == 0
    screenshot(teacher, "docker-round-3b-manual-grading-zh")
    teacher.goto(teacher.url.split("/formgrader/")[0] + "/mnss/round")


def test_a_whole_round_by_clicking_in_docker_mode(hub, tmp_path):
    url = hub.url
    with browser_page() as teacher:
        context = teacher.context.browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        learner = context.new_page()
        pages = {"teacher": teacher, "learner": learner}
        try:
            sign_in(teacher, url, TEACHER)
            teacher.goto(url + "hub/home")
            teacher.click(f'#mnss-grading a.mnss-round[href*="formgrader-{COURSE}"]')
            teacher.wait_for_url(f"**/services/formgrader-{COURSE}/mnss/round", timeout=120_000)
            assert round_row(teacher).get_attribute("data-state") == "draft"
            assert "草稿" in round_row(teacher).inner_text()
            title = round_row(teacher).locator(".mnss-title").inner_text()
            assert title == f"搭建并测量一个病区局域网 {ASSIGNMENT}", title  # course.yaml's title, the id beside it
            round_step(teacher, "release", "released", "1-released")
            assert "已发布" in round_row(teacher).inner_text()

            sign_in(learner, url, LEARNER)
            write_and_submit(learner, url)
            box = dockerhub.docker("inspect", "--format", "{{.State.Running}}", f"mnss-{LEARNER}", check=False)
            assert box.stdout.strip() == "true", box  # her lab was her container

            round_step(teacher, "collect", "submitted", "2-collected")
            learner_line = round_row(teacher).locator(f'.mnss-learner[data-learner="{LEARNER}"]')
            assert f"{REAL_NAME} ({LEARNER})" in learner_line.inner_text() and "待评分" in learner_line.inner_text()
            round_step(teacher, "autograde", "graded", "3-autograded")
            assert f"{MAX_SCORE} / {MAX_SCORE}" in learner_line.inner_text(), learner_line.inner_text()
            manual_grading_page_in_chinese(teacher)
            round_step(teacher, "feedback", "feedback", "4-feedback")
            assert "已发回反馈" in learner_line.inner_text()
            with teacher.expect_download() as download:
                teacher.click("#mnss-export")
            rows = list(csv.DictReader(io.StringIO(download.value.path().read_text("utf-8"))))
            mine = [r for r in rows if r["student_id"] == LEARNER and r["assignment"] == ASSIGNMENT]
            assert len(mine) == 1 and float(mine[0]["score"]) == MAX_SCORE, rows
            assert mine[0]["last_name"] == REAL_NAME, mine  # the real name is in the gradebook too

            learner.goto(f"{url}hub/portal/course/{COURSE}")
            state = learner.locator(f'.mnss-item[data-item="{ASSIGNMENT}"] .mnss-state').inner_text()
            assert "已评分" in state and "100 分" in state, state
            screenshot(learner, "docker-round-5-learner-score")
        except Exception:
            for who, page in pages.items():  # what each person saw when it failed
                screenshot(page, f"docker-round-failed-{who}")
            lab_log = dockerhub.docker("logs", "--tail", "60", f"mnss-{LEARNER}", check=False)
            print("the learner's server said:\n" + lab_log.stdout + lab_log.stderr)
            raise


def test_the_instructors_cli_in_her_own_container_grades_and_validates(hub):
    """`mnss course grade` in the instructor's container (uid 1000, no capability, userns-remap):
    no grading box can be built there (Docker's masked /proc), so the course's formgrader collects
    and autogrades in its boxes and the command prints the learner's score part by part; feedback
    and export then come from the formgrader too; `mnss course validate` runs a course's own
    notebooks there. Her token reaches her course's
    formgrader; a learner's is refused. Runs after the round above, which left the submission."""
    teacher = HubClient(hub.url, timeout=60)
    teacher.login(TEACHER, password(TEACHER))
    teacher.start_server(TEACHER, wait=240)
    box = f"mnss-{TEACHER}"
    user = dockerhub.docker("inspect", "--format", "{{.Config.User}} {{.HostConfig.CapAdd}}", box).stdout.split()
    assert user == ["1000:1000", "[]"], user  # her container as every learner's: no root, nothing added

    # validate runs in her container while the formgrader grades: side by side, to keep the test short
    validate = "cd /tmp && mnss course new demo >/dev/null && mnss course validate courses/demo"
    lock = hub.work / "state" / "grading" / COURSE / grading_lock.LOCK_FILE
    her_token = dockerhub.docker("exec", box, "printenv", "JUPYTERHUB_API_TOKEN").stdout.strip()
    formgrader_url = dict(
        e.split("=", 1) for e in dockerhub.docker("exec", box, "printenv", "MNSS_FORMGRADER_URLS").stdout.split()
    )
    assert list(formgrader_url) == [COURSE]  # the formgraders of her courses only
    with subprocess.Popen(
        ["docker", "exec", box, "sh", "-c", validate], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as validating:
        try:
            grade = ["docker", "exec", box, "mnss", "course", "grade", COURSE, ASSIGNMENT]
            with subprocess.Popen(grade, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as grading:
                try:
                    busy = second_step_while_grading(lock, formgrader_url[COURSE], her_token)
                    graded_out, graded_err = grading.communicate(timeout=600)
                finally:
                    grading.kill()
            validated = validating.communicate(timeout=300)[0]
        finally:
            validating.kill()
    assert busy.status_code == 409, busy.text  # one grading step per course at a time
    assert "另一个评分步骤正在进行（收取并自动评分 lan-build" in busy.json()["error"]["zh"], busy.text
    assert "another grading step is running (collecting and autograding" in busy.json()["error"]["en"], busy.text
    assert grading.returncode == 0, graded_out + graded_err  # the first one was not disturbed
    said = graded_out.splitlines()
    assert "no grading box can be built here (unshare: mount /proc failed" in said[0], graded_out
    assert said[1].split() == [LEARNER, f"{MAX_SCORE}/{MAX_SCORE}"], graded_out
    earned = [line.split()[-1].split("/") for line in said[2:]]  # each part: points/max
    assert earned and all(got == most for got, most in earned), graded_out
    assert validating.returncode == 0, validated
    assert "OK   demo/first: solution 1/1, blank 0" in validated, validated

    # the grades are in the formgrader's course root: feedback and the export come from there
    feedback = dockerhub.docker("exec", box, "mnss", "course", "feedback", COURSE, ASSIGNMENT, check=False)
    assert feedback.returncode == 0 and "made and released by the formgrader" in feedback.stdout, feedback
    export = "mnss course export hospital-lan --to /tmp/grades.csv >/dev/null && cat /tmp/grades.csv"
    exported = csv.DictReader(io.StringIO(dockerhub.docker("exec", box, "sh", "-c", export).stdout))
    mine = [r for r in exported if r["student_id"] == LEARNER and r["assignment"] == ASSIGNMENT]
    assert len(mine) == 1 and float(mine[0]["score"]) == MAX_SCORE and mine[0]["last_name"] == REAL_NAME, mine

    collected = dockerhub.docker("exec", box, "mnss", "course", "collect", COURSE, ASSIGNMENT, check=False)
    assert collected.returncode == 0, collected
    assert collected.stdout.strip() == f"collected {ASSIGNMENT} by the formgrader of {COURSE}: {LEARNER}", collected

    # one course root: what she builds and releases here is what the formgrader holds and its round
    # page shows (test_a_step_that_cannot_run_says_why_in_both_languages); its errors in her language
    other = ("mnss", "course", "release", COURSE, "vlan-isolation")
    unbuilt = dockerhub.docker("exec", box, *other, check=False)
    assert unbuilt.returncode == 2, unbuilt
    assert "未能发布 vlan-isolation：vlan-isolation 还没有生成学员版本，请先运行 mnss course build" in unbuilt.stderr
    built = dockerhub.docker("exec", box, "mnss", "course", "build", COURSE, "vlan-isolation", check=False)
    assert built.returncode == 0 and "built vlan-isolation by the formgrader of hospital-lan" in built.stdout, built
    released = dockerhub.docker("exec", box, *other, check=False)
    assert released.returncode == 0, released
    assert released.stdout.strip() == f"released {COURSE}/vlan-isolation by the formgrader of {COURSE}", released

    url = formgrader_url
    learner = HubClient(hub.url, timeout=60)
    learner.login(LEARNER, password(LEARNER))
    refused = requests.post(
        url[COURSE] + "mnss/api/grade",
        json={"assignment": ASSIGNMENT},
        headers={"Authorization": f"token {learner.token}"},
        timeout=60,
        allow_redirects=False,
    )
    assert refused.status_code == 403 and "graded" not in refused.text, refused.text


def second_step_while_grading(lock: Path, formgrader: str, token: str) -> requests.Response:
    """Once the formgrader's grading step holds the course root (its lock file names it), a collect
    asked by the API meanwhile: its answer."""
    deadline = time.monotonic() + 300
    while b'"action": "grade"' not in (lock.read_bytes() if lock.exists() else b""):
        assert time.monotonic() < deadline, "the formgrader never started grading"
        time.sleep(0.05)
    return requests.post(
        formgrader + "mnss/api/collect",
        json={"assignment": ASSIGNMENT},
        headers={"Authorization": f"token {token}"},
        timeout=60,
        allow_redirects=False,
    )


def test_a_step_that_cannot_run_says_why_in_both_languages(hub):
    """Release feedback before anything is graded: the page names the cause, zh-CN and English.
    The assignment was released from her container's CLI above: the page shows it released."""
    with browser_page() as teacher:
        sign_in(teacher, hub.url, TEACHER)
        teacher.goto(f"{hub.url}services/formgrader-{COURSE}/mnss/round")
        row = teacher.locator('.mnss-assignment[data-assignment="vlan-isolation"]')
        assert row.get_attribute("data-state") == "released", row.inner_text()
        assert row.locator(".mnss-title").inner_text() == "用 VLAN 隔离访客网络与 PACS vlan-isolation"
        with teacher.expect_navigation():
            row.locator("button.mnss-feedback").click()
        error = teacher.locator("#mnss-error")
        assert "vlan-isolation 还没有已评分的提交，请先自动评分" in error.inner_text()
        teacher.click("#mnss-lang-switch")
        assert "vlan-isolation has no graded submission: autograde first" in error.inner_text()
        screenshot(teacher, "docker-round-error-en")
        teacher.click("#mnss-lang-switch")  # the choice is a cookie: back to Chinese for the other pages


def test_the_formgrader_reads_the_names_of_its_course_learners_only(hub):
    """The service's own token (in its server's environment) gets the real names of the course's
    learners, and is refused any other group's; a learner's token is refused too."""
    pid = formgrader_checks.server_pid(hub.work / "state" / "grading" / COURSE)
    environ = dict(item.split("=", 1) for item in Path(f"/proc/{pid}/environ").read_text().split("\0") if "=" in item)
    api, token = environ["JUPYTERHUB_API_URL"].rstrip("/"), environ["JUPYTERHUB_API_TOKEN"]

    def names(group: str, token: str) -> requests.Response:
        return requests.get(
            f"{api}/mnss/groups/{group}/real-names", headers={"Authorization": f"token {token}"}, timeout=30
        )

    assert names(f"{COURSE}-learners", token).json() == {"names": {LEARNER: REAL_NAME}}
    # refused as JupyterHub refuses a filtered-out resource: 404, as if the group were not there
    refused = names(f"{COURSE}-instructors", token)
    assert refused.status_code in (403, 404) and TEACHER not in refused.text, refused.text
    learner = HubClient(hub.url, timeout=60)
    learner.login(LEARNER, password(LEARNER))
    refused = names(f"{COURSE}-learners", learner.token)
    assert refused.status_code in (403, 404) and REAL_NAME not in refused.text, refused.text
