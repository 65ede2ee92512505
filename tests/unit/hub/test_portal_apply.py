"""The portal's wiring: its pages only with courses, a token-only service that may change only the
learners groups of the served courses, and learners landing on it."""

from types import SimpleNamespace

from traitlets.config import Config

from mnss_hub import apply, landing, siteconfig
from mnss_hub.portal import SETTINGS, groups

COURSES = {
    "enabled": True,
    "catalog": "/srv/courses",
    "members": [{"course": "hospital-lan", "instructors": ["teacher"]}, {"course": "python-basics"}],
}


def applied(monkeypatch, token="", courses=COURSES, recommender=False):
    if token:
        monkeypatch.setenv(groups.TOKEN_ENV, token)
    else:
        monkeypatch.delenv(groups.TOKEN_ENV, raising=False)
    c = Config()
    site = {"hub": {"state_dir": "/srv/m"}, "courses": courses, "recommender": {"enabled": recommender}}
    apply.apply_site_config(c, siteconfig.validate(site))
    return c


def test_no_courses_no_portal(monkeypatch):
    c = applied(monkeypatch, token="t", courses={"enabled": False})
    assert not any(h[0].startswith("/portal") for h in c.JupyterHub.extra_handlers)
    assert SETTINGS not in c.JupyterHub.tornado_settings
    assert groups.SERVICE not in [s["name"] for s in c.JupyterHub.services]


def test_pages_and_settings(monkeypatch):
    c = applied(monkeypatch, recommender=True)
    patterns = [h[0] for h in c.JupyterHub.extra_handlers]
    assert {"/portal/?", "/portal/course/([a-z][a-z0-9-]{1,39})/?"} <= set(patterns)  # beside the record's
    settings = c.JupyterHub.tornado_settings[SETTINGS]
    assert settings["courses"] == ["hospital-lan", "python-basics"]
    assert settings["exchange_dir"] == "/srv/m/exchange"
    assert settings["recommender_url"].endswith("/services/mnss-recommender/")
    assert c.JupyterHub.tornado_settings["cookie_options"] == {"samesite": "Lax"}  # kept
    assert c.JupyterHub.template_vars["mnss_portal"] is True
    assert c.Spawner.environment["MNSS_COURSES_DIR"] == "/srv/courses"


def test_recommender_off_leaves_no_url(monkeypatch):
    assert applied(monkeypatch).JupyterHub.tornado_settings[SETTINGS]["recommender_url"] == ""


def test_the_service_may_only_change_the_learners_groups(monkeypatch):
    c = applied(monkeypatch, token="secret")
    (service,) = [s for s in c.JupyterHub.services if s["name"] == groups.SERVICE]
    assert service == {"name": groups.SERVICE, "display": False, "api_token": "secret"}
    (role,) = [r for r in c.JupyterHub.load_roles if r["name"] == groups.SERVICE]
    assert role["services"] == [groups.SERVICE]
    assert sorted(role["scopes"]) == [
        "groups!group=hospital-lan-learners",
        "groups!group=python-basics-learners",
        "read:groups!group=hospital-lan-learners",
        "read:groups!group=python-basics-learners",
    ]


def test_no_token_no_service(monkeypatch):
    c = applied(monkeypatch)
    assert groups.SERVICE not in [s["name"] for s in c.JupyterHub.services]


def handler(admin, active=False, portal=True):
    user = SimpleNamespace(admin=admin, spawner=SimpleNamespace(active=active))
    settings = {SETTINGS: {}} if portal else {}
    return SimpleNamespace(current_user=user, hub=SimpleNamespace(base_url="/mnss/hub/"), settings=settings)


def test_learners_land_on_the_portal_admins_on_the_hub_home():
    assert landing.after_login(handler(admin=False)) == "/mnss/hub/portal"
    assert landing.after_login(handler(admin=False, active=True)) == "/mnss/hub/portal"
    assert landing.after_login(handler(admin=True)) == "/mnss/hub/home"
    assert landing.after_login(handler(admin=False, portal=False)) == ""
