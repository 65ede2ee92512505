"""Logging in against a real hub as a user and as an attacker would: the one-time password only
sets a new one, throttling and a lock that never tell whether an account exists, no attempted
name in the log, SameSite on every cookie, and a disabled account losing server and tokens."""

import re
import subprocess
import time

import pytest
import requests

from mnss_hub.hubclient import HubClient, HubError
from tests.support.hubproc import VENV_BIN, running_hub, site_config
from tests.support.weblogin import first_login, post_login, set_password

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ADMIN_PW = "admin-test-password"
# Short waits so a test can walk a whole lock; the lock itself is the site config's.
LOCKOUT = {"after": 30, "seconds": 4, "free_failures": 3, "max_delay": 0.2}


def mnss_hub(tmp_path, *args) -> str:
    done = subprocess.run(
        [str(VENV_BIN / "mnss-hub"), "--config", str(tmp_path / "mnss.yaml"), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def add_user(tmp_path, name) -> str:
    return mnss_hub(tmp_path, "add-user", name).split("(shown only now): ")[1].split()[0]


def error_of(resp: requests.Response) -> str:
    found = re.search(r'data-error="([a-z]+)"', resp.text)
    return found.group(1) if found else ""


def logged_in_as(web: requests.Session, url: str) -> bool:
    home = web.get(url + "hub/home", allow_redirects=False, timeout=30)
    return home.status_code == 200


@pytest.fixture
def hub(tmp_path):
    config = site_config(tmp_path / "state", auth={"lockout": LOCKOUT}, culler={"enabled": False})
    with running_hub(tmp_path, config) as (url, proc, log):
        yield url, log


def test_a_one_time_password_only_lets_its_holder_choose_a_new_one(hub, tmp_path):
    url, _ = hub
    one_time = add_user(tmp_path, "nurse1")
    with pytest.raises(HubError):  # no API token for a one-time password
        HubClient(url).login("nurse1", one_time)

    web = requests.Session()
    form = post_login(web, url, "nurse1", one_time)
    assert form.status_code == 200 and 'action="/hub/set-password"' in form.text
    assert not logged_in_as(web, url), "a one-time password must not open a session"
    too_long = set_password(web, url, form, "密" * 25)  # 75 bytes: bcrypt would cut it
    assert too_long.status_code == 400 and 'data-message="password-too-long"' in too_long.text
    differ = set_password(web, url, form, "nurse1-own-password", "nurse1-other-password")
    assert differ.status_code == 400 and 'data-message="passwords-differ"' in differ.text
    done = set_password(web, url, form, "nurse1-own-password")
    assert done.status_code == 302 and logged_in_as(web, url)

    # the same form once more, from a browser with a valid form of its own: the form is spent
    other = requests.Session()
    login_page = other.get(url + "hub/login", timeout=10)
    again = set_password(other, url, form, "someone-elses-pass", xsrf_page=login_page)
    assert again.status_code == 403 and 'data-message="expired"' in again.text
    assert post_login(requests.Session(), url, "nurse1", one_time).status_code == 403
    HubClient(url).login("nurse1", "nurse1-own-password")


def test_thirty_failures_lock_the_account_alike_for_names_with_and_without_one(hub, tmp_path):
    url, log = hub
    first_login(url, "nurse2", add_user(tmp_path, "nurse2"), "nurse2-own-password")
    typed_as_name = "Secret-Typed-As-Name-77"
    answers = {"nurse2": [], "ghost-clinician": []}
    for attempt in range(LOCKOUT["after"]):
        for name in answers:
            resp = post_login(requests.Session(), url, name, f"wrong-guess-{attempt}")
            answers[name].append((resp.status_code, error_of(resp)))
            time.sleep(LOCKOUT["max_delay"] + 0.05)  # past the wait, also the address's
    assert answers["nurse2"] == answers["ghost-clinician"], "the answers must not tell who has an account"
    assert answers["nurse2"][0] == (403, "wrong")
    assert answers["nurse2"][LOCKOUT["free_failures"]] == (429, "wait")
    assert answers["nurse2"][-1] == (429, "locked")

    locked = post_login(requests.Session(), url, "nurse2", "nurse2-own-password")
    assert (locked.status_code, error_of(locked)) == (429, "locked"), "the right password is refused while locked"
    assert int(locked.headers["Retry-After"]) <= LOCKOUT["seconds"]
    time.sleep(LOCKOUT["seconds"] + 0.5)
    after = post_login(requests.Session(), url, "nurse2", "nurse2-own-password")
    assert after.status_code == 302, "the lock ends after its time"

    post_login(requests.Session(), url, typed_as_name, "x")
    text = log.read_text()
    for secret in ("ghost-clinician", typed_as_name, typed_as_name.lower(), "wrong-guess-"):
        assert secret not in text, f"{secret!r} is in the hub's log"
    assert re.search(r"Failed login for user key [0-9a-f]{16}", text)


def test_every_cookie_is_samesite_lax(hub, tmp_path):
    url, _ = hub
    set_cookies = []
    web = requests.Session()
    web.hooks["response"].append(lambda resp, *a, **k: set_cookies.extend(resp.raw.headers.getlist("Set-Cookie")))
    form = post_login(web, url, "nurse3", add_user(tmp_path, "nurse3"))
    assert set_password(web, url, form, "nurse3-own-password").status_code == 302
    assert web.get(url + "hub/spawn", timeout=120).status_code == 200
    admin = HubClient(url)
    admin.login("admin", ADMIN_PW)
    admin.wait_for("nurse3", ready=True, timeout=120)
    lab = web.get(url + "user/nurse3/lab", timeout=60)  # the server's own OAuth cookie
    assert lab.status_code == 200 and "JupyterLab" in lab.text
    web.get(url + "hub/logout", timeout=30)
    names = {c.split("=", 1)[0] for c in set_cookies}
    assert {"jupyterhub-user-nurse3", "jupyterhub-session-id", "_xsrf"} <= names, names
    for cookie in set_cookies:
        if re.match(r'[^=]+=(""|);', cookie):
            continue  # a cookie being cleared carries nothing to send
        assert re.search(r";\s*samesite=lax", cookie, re.I), cookie
    admin.stop_server("nurse3")


def test_a_disabled_account_loses_its_server_tokens_and_sessions_at_once(hub, tmp_path):
    url, _ = hub
    web, _ = first_login(url, "nurse4", add_user(tmp_path, "nurse4"), "nurse4-own-password")
    own = HubClient(url)
    own.login("nurse4", "nurse4-own-password")
    own.start_server("nurse4")
    admin = HubClient(url)
    admin.login("admin", ADMIN_PW)
    assert logged_in_as(web, url)

    said = mnss_hub(tmp_path, "disable-user", "nurse4")
    assert "server stopped" in said
    assert int(re.search(r"(\d+) token\(s\) revoked", said).group(1)) >= 1, said  # the API token above
    assert admin.user("nurse4")["servers"] == {}
    assert admin._call("GET", "hub/api/users/nurse4/tokens").json()["api_tokens"] == []
    with pytest.raises(HubError):
        own.user("nurse4")
    assert not logged_in_as(web, url), "the browser session must end with the account"
    assert post_login(requests.Session(), url, "nurse4", "nurse4-own-password").status_code == 403

    mnss_hub(tmp_path, "enable-user", "nurse4")
    assert post_login(requests.Session(), url, "nurse4", "nurse4-own-password").status_code == 302
    mnss_hub(tmp_path, "remove-user", "nurse4")
    with pytest.raises(HubError, match="404"):
        admin.user("nurse4")
    assert post_login(requests.Session(), url, "nurse4", "nurse4-own-password").status_code == 403
