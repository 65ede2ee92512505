"""The grading-round page's logic: where an assignment stands, what a failed step says (both
languages, nbgrader's cause kept), and the page's text in both languages."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from mnss_courses import round_page
from mnss_courses.round_page import Assignment, Learner, RoundError, state_of

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("released", "submitted", "graded", "feedback", "state"),
    [
        (False, 0, 0, 0, "draft"),
        (True, 0, 0, 0, "released"),
        (True, 2, 1, 0, "submitted"),
        (True, 2, 2, 0, "graded"),
        (True, 2, 2, 1, "graded"),
        (True, 2, 2, 2, "feedback"),
        (False, 1, 0, 0, "submitted"),  # unreleased since, the submission still counts
    ],
)
def test_the_state_is_the_step_every_submission_reached(released, submitted, graded, feedback, state):
    assert state_of(released, submitted, graded, feedback) == state


class FakeApi:
    """nbgrader's API as far as the round's steps use it; autograde fails for `broken`."""

    def __init__(self, submitted=(), graded=(), broken=()):
        self.submitted, self.graded, self.broken, self.calls = set(submitted), set(graded), set(broken), []

    def get_submitted_students(self, assignment):
        return self.submitted

    def get_autograded_students(self, assignment):
        return self.graded

    def autograde(self, assignment, student):
        self.calls.append(("autograde", student))
        if student in self.broken:
            # as nbgrader answers: its own exception as the error, the cause only in the log
            return {
                "success": False,
                "log": "[AutogradeApp | ERROR] Traceback ...\nOSError: [Errno 22] Invalid argument\n",
                "error": "Traceback ...\nnbgrader.converters.base.NbGraderException: Please see the above traceback",
            }
        return {"success": True}

    def generate_feedback(self, assignment):
        self.calls.append(("generate_feedback", assignment))
        return {"success": True}

    def release_feedback(self, assignment):
        self.calls.append(("release_feedback", assignment))
        return {"success": True}


def test_autograde_grades_what_is_not_graded_and_names_each_failure_with_its_cause():
    api = FakeApi(submitted={"ann", "ben", "cai"}, graded={"ann"}, broken={"cai"})
    with pytest.raises(RoundError) as err:
        round_page.autograde(api, "lan-build")
    assert api.calls == [("autograde", "ben"), ("autograde", "cai")]
    assert "自动评分 cai失败" in err.value.zh and "OSError: [Errno 22] Invalid argument" in err.value.zh
    assert err.value.en.startswith("Autograding cai failed: OSError: [Errno 22] Invalid argument")


def test_steps_out_of_order_say_what_comes_first():
    with pytest.raises(RoundError) as err:
        round_page.autograde(FakeApi(), "lan-build")
    assert "请先收取" in err.value.zh and "collect first" in err.value.en
    with pytest.raises(RoundError) as err:
        round_page.release_feedback(FakeApi(submitted={"ann"}), "lan-build")
    assert "请先自动评分" in err.value.zh and "autograde first" in err.value.en
    api = FakeApi(submitted={"ann"}, graded={"ann"})
    round_page.release_feedback(api, "lan-build")
    assert api.calls == [("generate_feedback", "lan-build"), ("release_feedback", "lan-build")]


def render(**kw):
    values = {
        "course": "hospital-lan",
        "rows": [],
        "notice": None,
        "error": None,
        "problems": [],
        "base": "/services/formgrader-hospital-lan",
        "xsrf": "x",
        "hub_home": "/hub/home",
        "default_language": "zh-CN",
    }
    return round_page.TEMPLATES.get_template("round.html").render(**{**values, **kw})


def test_the_page_carries_both_languages_real_names_and_the_error_cause():
    row = Assignment("lan-build", True, [Learner("wxm", "王小明", True, 10, 10, True), Learner("ben", "ben", True)])
    html = render(rows=[row], error=RoundError("收取失败：原因X", "Collecting failed: cause X"))
    assert 'data-state="submitted"' in html and "有提交" in html and "submissions" in html
    assert "王小明 (wxm)" in html and "10 / 10" in html and "待评分" in html and "not graded" in html
    assert "收取失败：原因X" in html and "Collecting failed: cause X" in html
    for action in ("release", "collect", "autograde", "feedback"):
        assert f'value="{action}"' in html
    assert 'href="/services/formgrader-hospital-lan/mnss/grades.csv"' in html
    assert 'href="/services/formgrader-hospital-lan/formgrader"' in html  # manual grading stays


def test_each_assignment_is_shown_by_its_course_yaml_title_with_its_id_beside_it():
    titled = Assignment("lan-build", True, title=("搭建并测量一个病区局域网", "Build and measure a ward LAN"))
    html = render(rows=[titled, Assignment("extra", False)])
    assert "搭建并测量一个病区局域网" in html and "Build and measure a ward LAN" in html
    assert '<code class="mnss-id">lan-build</code>' in html
    assert '<code class="mnss-id">extra</code>' in html  # a folder of source/ course.yaml does not list


def test_the_titles_come_from_what_the_launcher_wrote_of_course_yaml(tmp_path):
    from mnss_courses import bundle, formgrader

    meta = bundle.load(ROOT / "courses" / "hospital-lan").meta
    (tmp_path / round_page.COURSE_FILE).write_text(formgrader.round_page_course(meta), "utf-8")
    titles = round_page.assignment_titles(tmp_path)
    assert titles["lan-build"] == ("搭建并测量一个病区局域网", "Build and measure a ward LAN")
    assert set(titles) == {a["id"] for a in meta["assignments"]}
    assert round_page.assignment_titles(tmp_path / "none") == {}  # no file: ids alone


class RootApi:
    def __init__(self, root):
        self.coursedir, self.steps = SimpleNamespace(root=str(root)), []


def test_a_round_step_while_another_runs_is_refused_and_does_not_run(tmp_path):
    from mnss_courses import grading_lock

    api = RootApi(tmp_path)
    with grading_lock.one_step(tmp_path, "collect", "lan-build"):
        with pytest.raises(grading_lock.Busy) as busy:
            round_page.one_step(lambda a, aid: a.steps.append(aid), api, "autograde", "lan-build")
    assert api.steps == [] and "另一个评分步骤正在进行（收取提交 lan-build" in busy.value.zh
    round_page.one_step(lambda a, aid: a.steps.append(aid), api, "autograde", "lan-build")
    assert api.steps == ["lan-build"]


def test_the_names_are_not_written_while_a_step_holds_the_gradebook(tmp_path, monkeypatch):
    from mnss_courses import grading_lock

    written = []
    monkeypatch.setattr(round_page, "_write_names", lambda api, names: written.append(names))
    api = RootApi(tmp_path)
    with grading_lock.one_step(tmp_path, "autograde", "lan-build"):
        round_page.name_in_gradebook(api, {"wxm": "王小明"})
    assert written == []
    round_page.name_in_gradebook(api, {"wxm": "王小明"})
    assert written == [{"wxm": "王小明"}]
