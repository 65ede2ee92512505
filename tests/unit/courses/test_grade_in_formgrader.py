"""`mnss course build|release|collect|grade|feedback|export` in a server that knows the course's
formgrader (an instructor's container): the formgrader does each step in its course root, and the
command prints what it did, or its cause in the user's language (exit 2)."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from mnss_courses import formgrader_client, formgrader_server, grade_api, parts, round_page, sandbox
from mnss_kernel.cli import main

ROOT = Path(__file__).resolve().parents[3]
COURSE, AID = "hospital-lan", "lan-build"
URL = f"http://172.29.0.1:9133/services/formgrader-{COURSE}/"
MASKED = "unshare: mount /proc failed: Operation not permitted"


def test_a_box_is_refused_only_where_it_would_be_rootless_and_cannot_mount_its_proc(monkeypatch):
    def never():
        raise AssertionError("root on the host with mapped uids needs no user-namespace probe")

    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 0)
    monkeypatch.setattr(sandbox, "transient_uids_mapped", lambda: True)
    monkeypatch.setattr(sandbox, "user_namespaces_problem", never)
    assert sandbox.box_problem() == ""
    monkeypatch.setattr(sandbox, "transient_uids_mapped", lambda: False)  # a userns-remapped container
    monkeypatch.setattr(sandbox, "user_namespaces_problem", lambda: MASKED)
    assert sandbox.box_problem() == MASKED


class Answer:
    def __init__(self, status: int, body: dict | bytes | None):
        self.status_code, self.reason, self._body = status, {200: "OK", 403: "Forbidden"}.get(status, ""), body
        self.content = body if isinstance(body, bytes) else b""

    def json(self):
        if self._body is None:
            raise ValueError("not JSON")
        return self._body


@pytest.fixture
def in_container(monkeypatch):
    """No box can be built here; the formgrader answers what `answer` holds; its requests are kept."""
    sent, answer = [], {}
    monkeypatch.setattr(sandbox, "box_problem", lambda: MASKED)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "tok-of-the-instructors-server")
    monkeypatch.setenv("MNSS_FORMGRADER_URLS", f"{COURSE}={URL}")
    monkeypatch.setenv("MNSS_LANG", "en")

    def request(method, url, headers, timeout, allow_redirects, json=None):
        sent.append(SimpleNamespace(method=method, url=url, json=json, headers=headers))
        return Answer(*answer["reply"])

    monkeypatch.setattr(formgrader_client.requests, "request", request)
    return SimpleNamespace(sent=sent, answer=answer)


def grade(*extra):
    return step("grade", AID, *extra)


def step(name, *args):
    return main(["course", name, COURSE, *args, "--courses", str(ROOT / "courses")])


def test_grade_asks_the_formgrader_and_prints_its_scores_part_by_part(in_container, capsys):
    part = {"notebook": "lan-build", "grade_id": "subnet-tests", "points": 4, "score": 4}
    in_container.answer["reply"] = (200, {"assignment": AID, "graded": [{"student": "ann", "parts": [part]}]})
    assert grade("--student", "ann") == 0
    (request,) = in_container.sent
    assert request.url == URL + "mnss/api/grade" and request.json == {"assignment": AID, "students": ["ann"]}
    assert request.headers == {"Authorization": "token tok-of-the-instructors-server"}
    out = capsys.readouterr().out
    assert f"no grading box can be built here ({MASKED})" in out and "formgrader of hospital-lan" in out
    assert [line.split() for line in out.splitlines()[1:]] == [["ann", "4/4"], ["lan-build/subnet-tests", "4/4"]]


def test_what_the_formgrader_could_not_grade_is_named_and_exits_2(in_container, capsys, monkeypatch):
    failed = {"zh": "自动评分 bob失败：PermissionError", "en": "Autograding bob failed: PermissionError: denied"}
    in_container.answer["reply"] = (200, {"assignment": AID, "graded": [], "failed": [failed]})
    assert grade() == 2
    assert "mnss: Autograding bob failed: PermissionError: denied" in capsys.readouterr().err
    monkeypatch.setenv("MNSS_LANG", "zh-CN")
    assert grade() == 2
    assert "mnss: 自动评分 bob失败：PermissionError" in capsys.readouterr().err


@pytest.mark.parametrize(
    "reply, says",
    [
        ((403, None), "HTTP 403 Forbidden (is this token's user an instructor of hospital-lan?)"),
        ((500, {"error": {"zh": "…", "en": "Collecting lan-build failed: no exchange"}}), "failed: no exchange"),
    ],
)
def test_a_refusal_or_a_failed_round_step_is_one_line_with_the_cause(in_container, capsys, reply, says):
    in_container.answer["reply"] = reply
    assert grade() == 2
    err = capsys.readouterr().err
    assert err.startswith("mnss: the formgrader of hospital-lan could not grade lan-build: ") and says in err


def test_without_a_formgrader_url_the_command_says_where_to_grade(in_container, monkeypatch, capsys):
    monkeypatch.delenv("MNSS_FORMGRADER_URLS")
    assert grade() == 2
    err = capsys.readouterr().err
    assert MASKED in err and "$MNSS_FORMGRADER_URLS" in err and "/services/formgrader-hospital-lan/mnss/round" in err
    assert not in_container.sent


def test_a_root_of_her_own_is_graded_here_and_without_a_box_the_command_says_to_drop_it(in_container, tmp_path, capsys):
    assert grade("--root", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert MASKED in err and "without --root, the formgrader of hospital-lan grades" in err
    assert not in_container.sent


def test_build_release_and_collect_are_done_by_the_formgrader_in_its_course_root(in_container, tmp_path, capsys):
    in_container.answer["reply"] = (200, {"assignment": AID})
    assert step("build", AID) == 0
    assert step("release", AID) == 0
    in_container.answer["reply"] = (200, {"assignment": AID, "students": ["ann", "bob"]})
    assert step("collect", AID) == 0
    sent = [(r.method, r.url, r.json) for r in in_container.sent]
    assert sent == [("POST", URL + f"mnss/api/{name}", {"assignment": AID}) for name in ("build", "release", "collect")]
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "built lan-build by the formgrader of hospital-lan (in its course root, as its round page shows)"
    assert out[1] == "released hospital-lan/lan-build by the formgrader of hospital-lan"
    assert out[2] == "collected lan-build by the formgrader of hospital-lan: ann, bob"
    assert not (tmp_path / "release").exists()
    # with --root she works in a course root of her own, here, as on the host
    assert step("build", AID, "--root", str(tmp_path)) == 0
    assert (tmp_path / "release" / AID / f"{AID}.ipynb").is_file() and len(in_container.sent) == 3


@pytest.mark.parametrize(
    "lang, says",
    [
        (
            "zh-CN",
            "mnss: 课程 hospital-lan 的评分服务未能收取 lan-build 的提交：另一个评分步骤正在进行（自动评分 lan-build",
        ),
        ("en", "mnss: the formgrader of hospital-lan could not collect lan-build: another grading step is running"),
    ],
)
def test_a_step_refused_while_another_runs_says_so_in_the_users_language(in_container, monkeypatch, capsys, lang, says):
    from mnss_courses import grading_lock

    busy = grading_lock.Busy({"action": "autograde", "assignment": AID, "started": "17:02:11"})
    in_container.answer["reply"] = (409, {"error": {"zh": busy.zh, "en": busy.en}})
    monkeypatch.setenv("MNSS_LANG", lang)
    assert step("collect", AID) == 2
    assert capsys.readouterr().err.startswith(says)


def test_without_a_language_set_the_cli_follows_her_jupyterlab_language(in_container, monkeypatch, tmp_path, capsys):
    from mnss_foundation.i18n import LAB_SETTING

    monkeypatch.delenv("MNSS_LANG")
    monkeypatch.setenv("HOME", str(tmp_path))
    in_container.answer["reply"] = (403, None)
    assert step("release", AID) == 2
    assert (
        "评分服务未能发布 lan-build：HTTP 403 Forbidden（此令牌的用户是课程 hospital-lan 的教师吗？）"
        in capsys.readouterr().err
    )
    (tmp_path / LAB_SETTING).parent.mkdir(parents=True)
    (tmp_path / LAB_SETTING).write_text('{\n  // chosen in JupyterLab\n  "locale": "en"\n}')
    assert step("release", AID) == 2
    assert "could not release lan-build: HTTP 403 Forbidden (is this token's user" in capsys.readouterr().err


def test_feedback_and_export_come_from_the_formgrader_that_holds_the_grades(in_container, tmp_path, capsys):
    in_container.answer["reply"] = (200, {"assignment": AID, "released": True})
    assert step("feedback", AID) == 0
    assert in_container.sent[-1].url == URL + "mnss/api/feedback"
    assert in_container.sent[-1].json == {"assignment": AID, "release": True}
    assert "feedback for lan-build made and released by the formgrader of hospital-lan" in capsys.readouterr().out
    assert step("feedback", AID, "--no-release") == 0 and in_container.sent[-1].json["release"] is False
    in_container.answer["reply"] = (200, b"assignment,student_id,score\nlan-build,ann,10\n")
    assert step("export", "--to", str(tmp_path / "g.csv")) == 0
    assert (in_container.sent[-1].method, in_container.sent[-1].url) == ("GET", URL + "mnss/grades.csv")
    assert (tmp_path / "g.csv").read_text() == "assignment,student_id,score\nlan-build,ann,10\n"
    in_container.answer["reply"] = (500, {"error": {"zh": "…", "en": "lan-build has no graded submission"}})
    assert step("feedback", AID) == 2
    said = capsys.readouterr().err
    assert "could not make the feedback of lan-build: lan-build has no graded submission" in said
    assert step("feedback", "no-such") == 2 and "has no assignment 'no-such'" in capsys.readouterr().err


class FakeApi:
    """nbgrader's API as far as grade_api uses it: collect, the collected learners, autograde."""

    def __init__(self, collected: list[str], failing: tuple[str, ...] = ()):
        self.collected, self.failing, self.calls = collected, failing, []

    def collect(self, assignment):
        self.calls.append(("collect", assignment))
        return {"success": True}

    def get_submitted_students(self, assignment):
        return self.collected

    def generate_feedback(self, assignment):
        self.calls.append(("generate_feedback", assignment))
        return {"success": True}

    def autograde(self, assignment, student):
        self.calls.append(("autograde", student))
        if student in self.failing:
            return {"success": False, "error": "", "log": "PermissionError: [Errno 13] denied"}
        return {"success": True}


def test_the_formgrader_collects_first_then_grades_each_learner_and_keeps_going_past_a_failure(monkeypatch):
    part = parts.Part("lan-build", "ping-tests", 3, True)
    monkeypatch.setattr(grade_api, "scored", lambda api, a, s: parts.Scored(s, ((part, 3.0),)))
    api = FakeApi(["ann", "bob", "cid"], failing=("bob",))
    answer = grade_api.grade(api, AID, [])
    assert api.calls == [("collect", AID), ("autograde", "ann"), ("autograde", "bob"), ("autograde", "cid")]
    assert [g["student"] for g in answer["graded"]] == ["ann", "cid"]
    ping = {"notebook": "lan-build", "grade_id": "ping-tests", "points": 3, "score": 3}
    assert answer["graded"][0]["parts"] == [ping]
    cause = "PermissionError: [Errno 13] denied"
    assert answer["failed"] == [{"zh": f"自动评分 bob失败：{cause}", "en": f"Autograding bob failed: {cause}"}]


def test_feedback_without_release_only_makes_the_pages():
    api = FakeApi(["ann"])
    assert grade_api.feedback(api, AID, release=False) == {"assignment": AID, "released": False}
    assert api.calls == [("generate_feedback", AID)]


def test_a_learner_without_a_submission_is_named_in_both_languages():
    with pytest.raises(round_page.RoundError) as refused:
        grade_api.grade(FakeApi(["ann"]), AID, ["zed"])
    assert "没有 zed 的提交（已收取：ann）" in refused.value.zh
    assert "no submission of lan-build by 'zed' (collected: ann)" in refused.value.en


def test_the_formgrader_listens_on_the_host_of_its_service_url(monkeypatch, tmp_path):
    from mnss_courses import formgrader

    monkeypatch.setenv("JUPYTERHUB_SERVICE_URL", "http://172.29.0.1:9133")
    assert formgrader.service_host() == "172.29.0.1"
    monkeypatch.delenv("JUPYTERHUB_SERVICE_URL")
    assert formgrader.service_host() == "127.0.0.1"
    assert "c.ServerApp.ip = '172.29.0.1'" in formgrader_server.config_text("/r", [str(tmp_path)], "172.29.0.1")


def test_grading_here_with_nothing_collected_says_so_instead_of_printing_nothing(monkeypatch, tmp_path, capsys):
    from mnss_courses.instructor import Instructor

    monkeypatch.setattr(sandbox, "box_problem", lambda: "")
    monkeypatch.setattr(Instructor, "grade", lambda self, assignment, students: [])
    assert grade("--root", str(tmp_path)) == 0
    said = capsys.readouterr().out
    assert f"no collected submissions of lan-build in {tmp_path}: run `mnss course collect` first" in said


class RootApi(FakeApi):
    """With a course root (nbgrader's CourseDirectory) and the build and release steps."""

    def __init__(self, root: Path, collected=()):
        from nbgrader.coursedir import CourseDirectory

        super().__init__(list(collected))
        self.coursedir = CourseDirectory(root=str(root))

    def generate_assignment(self, assignment):
        self.calls.append(("generate_assignment", assignment))
        (Path(self.coursedir.root) / "release" / assignment).mkdir(parents=True)
        return {"success": True}

    def release_assignment(self, assignment):
        self.calls.append(("release_assignment", assignment))
        return {"success": True}


def test_the_formgrader_releases_only_what_it_built_and_says_how_to_build_it(tmp_path):
    api = RootApi(tmp_path)
    with pytest.raises(round_page.RoundError) as refused:
        grade_api.release(api, AID)
    assert "lan-build 还没有生成学员版本，请先运行 mnss course build" == refused.value.zh
    assert "lan-build is not built yet: run `mnss course build` first" == refused.value.en
    assert grade_api.build(api, AID) == {"assignment": AID} and grade_api.release(api, AID) == {"assignment": AID}
    assert api.calls == [("generate_assignment", AID), ("release_assignment", AID)]


def test_collect_answers_who_has_a_submission_now(tmp_path):
    api = RootApi(tmp_path, collected=["bob", "ann"])
    assert grade_api.collected(api, AID) == {"assignment": AID, "students": ["ann", "bob"]}
    assert api.calls == [("collect", AID)]


def test_every_api_step_holds_the_course_roots_grading_lock(tmp_path):
    """A step meanwhile is refused with what runs (the handler answers it 409), and none runs."""
    from mnss_courses import grading_lock

    api = RootApi(tmp_path, collected=["ann"])
    with grading_lock.one_step(tmp_path, "autograde", AID):
        for name in grade_api.STEPS:
            with pytest.raises(grading_lock.Busy) as busy:
                grade_api.locked_step(api, name, AID, {})
            assert "another grading step is running (autograding lan-build" in busy.value.en, name
    assert api.calls == []
    assert grade_api.locked_step(api, "feedback", AID, {"release": False})["assignment"] == AID
    assert sorted(grade_api.STEPS) == ["build", "collect", "feedback", "grade", "release"]
