"""Invitation courses applied at registration: membership of the learners group in the hub's own
database (a real JupyterHub ORM on SQLite), the store the portal reads."""

from jupyterhub import orm

from mnss_hub.enrolment import enrol


def hub_db():
    db = orm.new_session_factory("sqlite://")()
    db.add(orm.Group(name="hospital-lan-learners"))
    db.add(orm.Group(name="hospital-lan-instructors"))
    db.commit()
    return db


def test_the_new_account_joins_the_invited_courses_learners_and_nothing_else():
    db = hub_db()
    user = orm.User(name="zhang.san")
    db.add(user)
    db.commit()
    assert enrol(db, user, ("hospital-lan", "no-such-course")) == (1, ["no-such-course"])
    assert {g.name for g in user.groups} == {"hospital-lan-learners"}
    assert orm.Group.find(db, "no-such-course-learners") is None, "a course is never made up"
    assert enrol(db, user, ("hospital-lan",)) == (0, []), "enrolling twice adds nothing"
    assert enrol(db, user, ()) == (0, [])
