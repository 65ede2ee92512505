"""The courses section becomes hub groups, the exchange service and the narrowest roles that work."""

import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from traitlets.config import Config

from mnss_courses.exchange import CLIENT_CONFIG_DIR
from mnss_courses.grading_settings import SITE_GRADEBOOK_ENV
from mnss_hub import apply, siteconfig
from mnss_hub.spawners import LocalLabSpawner

COURSES = {
    "enabled": True,
    "exchange_port": 9123,
    "max_upload_mb": 2,
    "catalog": "/srv/courses",
    "members": [
        {"course": "hospital-lan", "instructors": ["teacher"], "learners": ["bob", "alice"]},
        {"course": "python-basics", "instructors": ["carol"]},
    ],
}


def applied(courses=COURSES, **extra):
    c = Config()
    site = {
        "hub": {"state_dir": "/srv/m"},
        "courses": courses,
        "culler": {"enabled": False},
        "recommender": {"enabled": False},
        **extra,
    }
    apply.apply_site_config(c, siteconfig.validate(site))
    return c


def test_disabled_changes_nothing():
    c = Config()
    apply.apply_site_config(c, siteconfig.validate({"courses": {"enabled": False}, "recommender": {"enabled": False}}))
    assert [s["name"] for s in c.JupyterHub.services] == ["idle-culler"] and "load_groups" not in c.JupyterHub
    assert "exchange_url" not in c.LabServerSettings


def test_the_embedded_default_serves_every_installed_course_with_the_admin_teaching_it(tmp_path, monkeypatch):
    """No site config: the installed catalog, the exchange, a formgrader per course, the recommender and
    the culler; the admin is instructor of every course until members are named."""
    monkeypatch.chdir(tmp_path)  # no ./courses here: the installed (checkout's) catalog is found
    site = siteconfig.load(None)
    catalog = Path(site["courses"]["catalog"])
    ids = sorted(p.parent.name for p in catalog.glob("*/course.yaml"))
    assert len(ids) >= 10 and site["courses"]["members"] == [
        {"course": cid, "instructors": ["admin"], "learners": []} for cid in ids
    ]
    c = Config()
    apply.apply_site_config(c, site)
    names = {s["name"] for s in c.JupyterHub.services}
    assert {"mnss-exchange", "mnss-recommender", "idle-culler", *(f"formgrader-{cid}" for cid in ids)} == names
    assert c.JupyterHub.load_groups["hospital-lan-instructors"] == {"users": ["admin"]}


def test_named_members_replace_the_default_and_a_missing_catalog_is_named(tmp_path, monkeypatch):
    (tmp_path / "mnss.yaml").write_text(
        "courses:\n  members: [{course: hospital-lan, instructors: [teacher]}]\n", "utf-8"
    )
    site = siteconfig.load(tmp_path / "mnss.yaml")
    assert site["courses"]["members"] == [{"course": "hospital-lan", "instructors": ["teacher"]}]
    monkeypatch.chdir(tmp_path)
    from mnss_courses import bundle

    monkeypatch.setattr(bundle, "installed_catalogs", lambda: [tmp_path / "none"])
    with pytest.raises(siteconfig.ConfigError, match="courses.catalog: empty, and no installed courses were found"):
        siteconfig.load(None)


def test_members_become_course_groups():
    c = applied()
    assert c.JupyterHub.load_groups == {
        "hospital-lan-instructors": {"users": ["teacher"]},
        "hospital-lan-learners": {"users": ["alice", "bob"]},
        "python-basics-instructors": {"users": ["carol"]},
        "python-basics-learners": {"users": []},
    }


def test_the_service_is_managed_by_the_hub_with_its_settings():
    service, *formgraders = applied().JupyterHub.services
    assert [f["name"] for f in formgraders] == ["formgrader-hospital-lan", "formgrader-python-basics"]
    assert service["name"] == "mnss-exchange" and service["url"] == "http://127.0.0.1:9123"
    cmd = service["command"]
    python = os.path.join(sys.prefix, "bin", "python")
    assert cmd[:4] == [python, "-m", "mnss_foundation.with_parent", "mnss_courses.exchange"]
    assert "--ExchangeService.storage_root=/srv/m/exchange" in cmd
    assert f"--ExchangeService.max_upload_bytes={2 * 1024 * 1024}" in cmd
    assert "--ExchangeService.catalog_dir=/srv/courses" in cmd
    assert [a for a in cmd if a.startswith("--ExchangeService.courses=")] == [
        "--ExchangeService.courses=hospital-lan",
        "--ExchangeService.courses=python-basics",
    ]


def test_roles_are_narrow_and_never_admin():
    c = applied()
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert roles["mnss-exchange"]["services"] == ["mnss-exchange"]
    assert all(s.startswith("read:users:groups!group=") for s in roles["mnss-exchange"]["scopes"])
    teach = roles["mnss-instructor-hospital-lan"]
    assert teach["groups"] == ["hospital-lan-instructors"]
    assert teach["scopes"] == ["read:groups!group=hospital-lan-learners", "read:groups!group=hospital-lan-instructors"]
    for role in roles.values():
        assert not any(
            s.startswith(("admin", "access:servers", "tokens", "shutdown")) or "!" not in s for s in role["scopes"]
        ), role
    assert c.Authenticator.admin_users == {"admin"}


def test_users_and_their_servers_may_reach_the_service():
    c = applied()
    assert c.JupyterHub.extra_user_scopes == ["access:services!service=mnss-exchange"]
    assert "access:services!service=mnss-exchange" in c.Spawner.server_token_scopes
    assert {"users:activity!user", "access:servers!server"} <= set(c.Spawner.server_token_scopes)


def test_exchange_url_follows_port_and_base_url():
    c = applied(hub={"state_dir": "/srv/m", "base_url": "/lab/"})
    assert c.LabServerSettings.exchange_url == "http://127.0.0.1:9123/lab/services/mnss-exchange/"


def test_a_course_listed_twice_is_refused():
    twice = dict(COURSES, members=[{"course": "hospital-lan"}, {"course": "hospital-lan", "learners": ["x"]}])
    with pytest.raises(siteconfig.ConfigError, match="'hospital-lan' is listed more than once"):
        applied(twice)


def test_schema_refuses_bad_course_ids_and_names():
    with pytest.raises(siteconfig.ConfigError, match=r"courses.members.0.course: 'Hospital LAN' has the wrong form"):
        applied(dict(COURSES, members=[{"course": "Hospital LAN"}]))
    with pytest.raises(siteconfig.ConfigError, match=r"courses.members.0.learners.0: '../x' has the wrong form"):
        applied(dict(COURSES, members=[{"course": "ok-course", "learners": ["../x"]}]))


def test_spawner_passes_the_url_and_the_client_config_by_environment(tmp_path):
    alice = SimpleNamespace(name="alice", groups=[SimpleNamespace(name="hospital-lan-instructors")])
    spawner = LocalLabSpawner(
        user=alice, homes_dir=str(tmp_path), exchange_url="http://127.0.0.1:9123/services/mnss-exchange/"
    )
    env = spawner.user_env({})
    assert env["MNSS_EXCHANGE_URL"] == "http://127.0.0.1:9123/services/mnss-exchange/"
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0] == str(CLIENT_CONFIG_DIR)
    assert (CLIENT_CONFIG_DIR / "nbgrader_config.py").is_file()
    assert "MNSS_EXCHANGE_URL" not in LocalLabSpawner(user=alice, homes_dir=str(tmp_path)).user_env({})


def test_services_roles_and_scopes_set_earlier_are_kept():
    c = Config()
    c.JupyterHub.services = [{"name": "other"}]
    c.JupyterHub.load_roles = [{"name": "other-role", "scopes": ["read:hub"]}]
    c.JupyterHub.extra_user_scopes = ["access:services!service=other"]
    c.Spawner.server_token_scopes = ["users:activity!user", "access:services!service=other"]
    apply.apply_courses(c, siteconfig.validate({"courses": COURSES}))
    assert [s["name"] for s in c.JupyterHub.services] == [
        "other",
        "mnss-exchange",
        "formgrader-hospital-lan",
        "formgrader-python-basics",
    ]
    assert c.JupyterHub.load_roles[0]["name"] == "other-role"
    assert c.JupyterHub.extra_user_scopes == ["access:services!service=other", "access:services!service=mnss-exchange"]
    assert c.Spawner.server_token_scopes == [
        "users:activity!user",
        "access:services!service=other",
        "access:services!service=formgrader-hospital-lan",
        "access:services!service=formgrader-python-basics",
        "access:services!service=mnss-exchange",
    ]


def test_each_course_has_a_formgrader_only_its_instructors_may_open():
    c = applied()
    services = {s["name"]: s for s in c.JupyterHub.services}
    fg = services["formgrader-hospital-lan"]
    assert fg["url"] == "http://127.0.0.1:9133" and services["formgrader-python-basics"]["url"].endswith(":9134")
    assert fg["command"][1:] == [
        "-m",
        "mnss_foundation.with_parent",
        "mnss_courses.formgrader",
        "hospital-lan",
        "/srv/m/grading/hospital-lan",
        "/srv/courses",
    ]
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    role = roles["mnss-formgrader-hospital-lan"]
    assert role["scopes"] == ["access:services!service=formgrader-hospital-lan"]
    assert role["groups"] == ["hospital-lan-instructors"] and "users" not in role
    assert not any("formgrader" in s for s in c.JupyterHub.extra_user_scopes)  # not every user


def test_the_sites_gradebook_reaches_each_formgrader_in_its_environment_only():
    url = "postgresql+psycopg://mnss_grader:s3cret@127.0.0.1:5432/mnss_gradebooks"
    c = applied({**COURSES, "gradebook_url": url})
    formgraders = [s for s in c.JupyterHub.services if s["name"].startswith("formgrader-")]
    assert len(formgraders) == 2 and all(s["environment"][SITE_GRADEBOOK_ENV] == url for s in formgraders)
    assert not any("s3cret" in part for s in c.JupyterHub.services for part in s.get("command", []))
    assert all(SITE_GRADEBOOK_ENV not in s["environment"] for s in applied().JupyterHub.services if "environment" in s)
    # one SQLite file cannot keep courses apart (nbgrader's assignment names are unique in a database)
    with pytest.raises(siteconfig.ConfigError, match="courses.gradebook_url"):
        applied({**COURSES, "gradebook_url": "sqlite:////srv/grades.db"})


def test_an_instructors_server_reaches_the_formgraders_of_her_courses_where_containers_can():
    """In docker mode the formgraders listen where containers reach the hub's services (the user
    network's host side), and an instructor's server learns the URLs of her own courses' only;
    its token asks for access to every formgrader, which the hub cuts to what its owner holds."""
    c = applied(mode="docker")
    services = {s["name"]: s for s in c.JupyterHub.services}
    assert services["formgrader-hospital-lan"]["url"] == "http://172.29.0.1:9133"
    assert services["mnss-exchange"]["url"].startswith("http://172.29.0.1:")  # the same address
    assert c.LabServerSettings.formgrader_urls == {
        "hospital-lan": "http://172.29.0.1:9133/services/formgrader-hospital-lan/",
        "python-basics": "http://172.29.0.1:9134/services/formgrader-python-basics/",
    }
    assert {
        "access:services!service=formgrader-hospital-lan",
        "access:services!service=formgrader-python-basics",
    } <= set(c.Spawner.server_token_scopes)
    assert applied().LabServerSettings.formgrader_urls["hospital-lan"].startswith("http://127.0.0.1:9133/")

    def env_of(user):
        spawner = LocalLabSpawner(
            user=user, homes_dir="/nonexistent", formgrader_urls=c.LabServerSettings.formgrader_urls
        )
        return spawner.lab_env({})

    teacher = SimpleNamespace(name="teacher", groups=[SimpleNamespace(name="hospital-lan-instructors")])
    assert env_of(teacher)["MNSS_FORMGRADER_URLS"] == (
        "hospital-lan=http://172.29.0.1:9133/services/formgrader-hospital-lan/"
    )
    bob = SimpleNamespace(name="bob", groups=[SimpleNamespace(name="hospital-lan-learners")])
    assert "MNSS_FORMGRADER_URLS" not in env_of(bob)


def test_a_formgrader_reaches_the_exchange_with_its_own_token_and_nothing_more():
    c = applied()
    fg = {s["name"]: s for s in c.JupyterHub.services}["formgrader-hospital-lan"]
    assert fg["environment"]["MNSS_EXCHANGE_URL"].endswith("/services/mnss-exchange/")
    role = {r["name"]: r for r in c.JupyterHub.load_roles}["mnss-formgrader-hospital-lan-exchange"]
    # the exchange, and the names of its own course's learners (the hub's real-names API)
    assert role["scopes"] == ["access:services!service=mnss-exchange", "read:groups!group=hospital-lan-learners"]
    assert role["services"] == ["formgrader-hospital-lan"] and "groups" not in role and "users" not in role
    assert fg["environment"]["MNSS_LAB_LANGUAGE"] == "zh-CN"  # the round page's default language
    assert any(h[0] == r"/api/mnss/groups/(?P<group_name>[^/]+)/real-names" for h in c.JupyterHub.extra_handlers)


def test_a_learner_gets_the_authoring_tools_switched_off_too(tmp_path):
    """Grading tools are off in every lab (grading is in the course's formgrader); authoring tools
    only for users who teach no course."""
    import json

    bob = SimpleNamespace(name="bob", groups=[SimpleNamespace(name="hospital-lan-learners")])
    spawner = LocalLabSpawner(user=bob, homes_dir=str(tmp_path), exchange_url="http://127.0.0.1:9123/x/")
    first, second = spawner.user_env({})["JUPYTER_CONFIG_PATH"].split(os.pathsep)[:2]
    assert (first, second) == (f"{CLIENT_CONFIG_DIR}/learner", str(CLIENT_CONFIG_DIR))
    everyone = json.loads((CLIENT_CONFIG_DIR / "labconfig/page_config.json").read_text())["disabledExtensions"]
    learners = json.loads((CLIENT_CONFIG_DIR / "learner/labconfig/page_config.json").read_text())["disabledExtensions"]
    assert set(everyone) == {"@jupyter/nbgrader:course-list", "@jupyter/nbgrader:formgrader"}
    assert {"@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:validate-assignment"} <= set(learners)
