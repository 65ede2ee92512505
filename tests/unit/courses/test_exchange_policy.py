"""Who may do what: roles come only from the course groups of served courses."""

import pytest

from mnss_courses.exchange.policy import ALLOWED, INSTRUCTOR, LEARNER, Action, Membership, decide

COURSES = ["hospital-lan", "python-basics"]
LEARNER_ONLY = {Action.SUBMIT, Action.FETCH_FEEDBACK}
INSTRUCTOR_ONLY = {Action.RELEASE, Action.UNRELEASE, Action.COLLECT, Action.RELEASE_FEEDBACK}


def member(*groups):
    return Membership.from_groups(groups, COURSES)


def test_groups_map_to_roles_per_course():
    m = member("hospital-lan-learners", "python-basics-instructors", "staff")
    assert m.roles("hospital-lan") == {LEARNER}
    assert m.roles("python-basics") == {INSTRUCTOR}
    assert m.courses == ["hospital-lan", "python-basics"]


def test_groups_of_courses_not_served_grant_nothing():
    m = member("secret-course-instructors", "hospital-lan-learnersX", "xhospital-lan-learners")
    assert m.courses == []


@pytest.mark.parametrize("action", list(Action))
def test_learner_may_do_only_learner_things(action):
    d = decide(member("hospital-lan-learners"), action, "hospital-lan", COURSES)
    assert d.allowed == (action not in INSTRUCTOR_ONLY)
    if not d.allowed:
        assert d.status == 403 and "you must be instructor in course 'hospital-lan'" in d.reason


@pytest.mark.parametrize("action", list(Action))
def test_instructor_may_do_only_instructor_things(action):
    d = decide(member("hospital-lan-instructors"), action, "hospital-lan", COURSES)
    assert d.allowed == (action not in LEARNER_ONLY)


@pytest.mark.parametrize("action", list(Action))
def test_nothing_in_a_course_one_is_not_in(action):
    m = member("hospital-lan-learners", "hospital-lan-instructors")
    d = decide(m, action, "python-basics", COURSES)
    assert not d.allowed and d.status == 403 and "not a member of course 'python-basics'" in d.reason


def test_unknown_course_is_404_even_with_a_matching_group():
    d = decide(Membership(frozenset({"ghost"}), frozenset({"ghost"})), Action.LIST, "ghost", COURSES)
    assert not d.allowed and d.status == 404


def test_learner_and_instructor_together_may_do_both():
    m = member("hospital-lan-learners", "hospital-lan-instructors")
    assert all(decide(m, a, "hospital-lan", COURSES).allowed for a in Action)


def test_release_and_collect_are_never_learner_actions():
    assert not INSTRUCTOR_ONLY & ALLOWED[LEARNER]
    assert not LEARNER_ONLY & ALLOWED[INSTRUCTOR]


def test_a_courses_formgrader_is_instructor_of_that_course_only():
    courses = ["hospital-lan", "python-basics"]
    member = Membership.of_service("formgrader-hospital-lan", courses)
    assert member.instructor_of == {"hospital-lan"} and not member.learner_of
    assert decide(member, Action.COLLECT, "hospital-lan", courses).allowed
    assert not decide(member, Action.COLLECT, "python-basics", courses).allowed
    assert not decide(member, Action.SUBMIT, "hospital-lan", courses).allowed
    for other in ("mnss-recommender", "formgrader-unknown", "idle-culler", "formgrader-"):
        assert Membership.of_service(other, courses).courses == []
