"""Where people land after login without courses: admins on the hub home (no lab), everyone else
JupyterHub's default (with courses, learners land on the portal: test_portal_apply)."""

from types import SimpleNamespace

from traitlets.config import Config

from mnss_hub import apply, landing, siteconfig


def handler(admin: bool, active: bool = False, logged_in: bool = True):
    user = SimpleNamespace(admin=admin, spawner=SimpleNamespace(active=active)) if logged_in else None
    return SimpleNamespace(current_user=user, hub=SimpleNamespace(base_url="/mnss/hub/"), settings={})


def test_admin_without_a_lab_lands_on_the_hub_home():
    assert landing.after_login(handler(admin=True)) == "/mnss/hub/home"


def test_learners_admins_with_a_running_lab_and_visitors_get_the_default():
    assert landing.after_login(handler(admin=False)) == ""  # JupyterHub's: spawn, or the running lab
    assert landing.after_login(handler(admin=True, active=True)) == ""
    assert landing.after_login(handler(admin=False, logged_in=False)) == ""


def test_the_site_config_sets_it():
    c = Config()
    apply.apply_site_config(c, siteconfig.validate({"courses": {"enabled": False}, "recommender": {"enabled": False}}))
    assert c.JupyterHub.default_url is landing.after_login
