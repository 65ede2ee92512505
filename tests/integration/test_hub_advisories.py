"""The classes of JupyterHub's published security advisories, tried against one real hub with every
service on: `?token=` links, logout, XSRF on cookie-authenticated API calls, garbage usernames,
service tokens beyond their roles, a spawn storm, and host-only cookies."""

import os
import re
import subprocess
import threading
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
import yaml

from mnss_hub import apply
from mnss_hub.hubclient import HubClient
from tests.support.hubproc import (
    LOCAL_HUB_MARKS,
    ROOT,
    VENV_BIN,
    course_site,
    create_accounts,
    hub_folders,
    kill_processes_under,
    logged_in,
    password,
    processes_under,
    running_hub,
    site_config,
)
from tests.support.weblogin import post_login

pytestmark = LOCAL_HUB_MARKS

ADMIN_PW = "admin-test-password"
COURSE = "hospital-lan"
USERS = ("nurse1", "nurse2", "nurse3", "teacher1")
ACTIVE_LIMIT = 2
LOGIN_COOKIE = "jupyterhub-hub-login"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    work, state, rec_port = hub_folders(tmp_path_factory, "advisories")
    config = course_site(
        state,
        [{"course": COURSE, "instructors": ["teacher1"], "learners": ["nurse1", "nurse2", "nurse3"]}],
        recommender={"enabled": True, "port": rec_port},
        culler={"enabled": True},
        spawn={"active_server_limit": ACTIVE_LIMIT, "concurrent_spawn_limit": 2},
    )
    create_accounts(state, USERS)
    with running_hub(work, config, up_timeout=180) as (url, proc, log):
        clients = logged_in(url, USERS)
        admin = HubClient(url, timeout=120)
        admin.login("admin", ADMIN_PW)
        yield SimpleNamespace(url=url, state=state, log=log, clients=clients, admin=admin, site=config)


def browser(hub, user: str) -> requests.Session:
    """A cookie jar logged in through the login form, as one browser is."""
    web = requests.Session()
    assert post_login(web, hub.url, user, password(user)).status_code == 302
    return web


def hub_home_opens(web: requests.Session, url: str) -> bool:
    return web.get(url + "hub/home", allow_redirects=False, timeout=30).status_code == 200


def stop_all(hub) -> None:
    for user in USERS:
        if hub.admin.user(user).get("servers"):
            hub.admin.stop_server(user)


def test_a_token_in_the_url_logs_no_one_in(hub):
    """A link carrying a user's API token (?token=) to the hub's pages or to their lab opens none of
    them and leaves no login cookie behind (JupyterHub >= 5 ignores such tokens outside websockets)."""
    token = hub.clients["nurse1"].token
    hub.admin.start_server("nurse1")
    try:
        for path in ("hub/home", "hub/portal", "user/nurse1/lab", "user/nurse1/api/contents"):
            web = requests.Session()
            page = web.get(hub.url + path, params={"token": token}, timeout=60)
            if "/api/" in path:
                assert page.status_code == 403, (path, page.status_code, page.text[:200])
            else:
                assert page.url.split("?")[0].endswith("/hub/login"), (path, page.url)
            names = {c.name for c in web.cookies}
            assert LOGIN_COOKIE not in names and "jupyterhub-user-nurse1" not in names, (path, names)
            assert not hub_home_opens(web, hub.url), path
    finally:
        hub.admin.stop_server("nurse1")


def test_logout_ends_every_browser_session_of_that_user(hub):
    """Two browsers of one user; logging out in one ends the other's session too: the hub's pages
    and the cookie-authenticated API refuse its cookie (the login cookie id is renewed on logout)."""
    first, second = browser(hub, "nurse2"), browser(hub, "nurse2")
    other_user = browser(hub, "nurse3")
    assert hub_home_opens(first, hub.url) and hub_home_opens(second, hub.url)
    assert second.get(hub.url + "hub/api/user", timeout=30).json()["name"] == "nurse2"
    first.get(hub.url + "hub/logout", timeout=30)
    assert not hub_home_opens(first, hub.url)
    assert not hub_home_opens(second, hub.url), "the other browser's session outlived the logout"
    assert second.get(hub.url + "hub/api/user", timeout=30).status_code == 403
    assert hub_home_opens(other_user, hub.url), "another user's session must be untouched"
    assert hub_home_opens(browser(hub, "nurse2"), hub.url), "logging in again works"
    assert hub.clients["nurse2"].user("nurse2")["name"] == "nurse2", "API tokens are not browser sessions"


def test_cookie_authenticated_api_calls_need_the_xsrf_token(hub):
    """A page on another site can make a browser send its hub cookie, never read the _xsrf token:
    a cookie-authenticated API call that changes something is refused without it."""
    web = browser(hub, "nurse3")
    tokens = hub.url + "hub/api/users/nurse3/tokens"
    forged = web.post(tokens, json={"note": "forged"}, timeout=30)
    assert forged.status_code == 403, forged.text[:300]
    page = web.get(hub.url + "hub/home", timeout=30)
    made = web.post(tokens, json={"note": "own"}, headers={"X-XSRFToken": xsrf_of_page(page)}, timeout=30)
    assert made.status_code == 201, made.text[:300]
    notes = [t["note"] for t in hub.admin._call("GET", "hub/api/users/nurse3/tokens").json()["api_tokens"]]
    assert "forged" not in notes and "own" in notes


def xsrf_of_page(page: requests.Response) -> str:
    found = re.search(r'xsrf_token:\s*"([^"]+)"', page.text) or re.search(r'name="_xsrf" value="([^"]+)"', page.text)
    return found.group(1)


GARBAGE = {
    "huge": "n" * 100_000,
    "control": "nurse\x01\x1b[31m\x7f",
    "nul": "nurse\x00admin",
    "rtl": "admin\u202egnp.exe",
    "dots": "../../etc/passwd",
}


def test_huge_and_garbage_usernames_get_a_4xx_and_a_short_log_line(hub):
    """A 100 kB name, control characters, NUL, right-to-left override and ../ at the login form,
    the registration form and the API: each is refused with a 4xx; the hub's log lines stay
    under 500 characters and hold neither the name nor the password."""
    secret = "Garbage-Attempt-Password-91"
    before = hub.log.read_text()
    for kind, name in GARBAGE.items():
        login = post_login(requests.Session(), hub.url, name, secret)
        assert 400 <= login.status_code < 500, (kind, login.status_code)
        web = requests.Session()
        form = web.get(hub.url + "hub/register", timeout=30)
        reg = web.post(
            hub.url + "hub/register",
            data={"_xsrf": xsrf_of_cookie(web), "username": name, "password": secret, "code": "x"},
            timeout=30,
        )
        assert 400 <= reg.status_code < 500, (kind, form.status_code, reg.status_code)
        assert 400 <= api_token_for(hub.url, name, secret) < 500, kind
    new = hub.log.read_text()[len(before) :]
    assert secret not in new
    long_lines = [line[:200] for line in new.splitlines() if len(line) >= 500]
    assert not long_lines, long_lines[:3]
    assert "\x00" not in new and "\x1b" not in new and "\u202e" not in new


def api_token_for(url: str, name: str, secret: str) -> int:
    """Status of a password login at the API with `name` in the URL and the body; 431 when the
    proxy drops a request line over its header limit (16 kB) without an answer."""
    try:
        return requests.post(
            url + "hub/api/users/" + requests.utils.quote(name, safe="") + "/tokens",
            json={"auth": {"username": name, "password": secret}},
            timeout=30,
        ).status_code
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
        assert len(name) > 16_000, f"the hub dropped the connection for a {len(name)}-character name"
        return 431


def xsrf_of_cookie(web: requests.Session) -> str:
    return web.cookies.get("_xsrf", "")


def service_tokens(hub) -> dict[str, str]:
    """The token each service was given: token-only services from their files, managed services
    from the environment the hub started them with."""
    tokens = {}
    state = Path(hub.state)
    tokens["mnss-accounts"] = key_hex(state / "accounts-service-token")
    tokens["mnss-portal"] = key_hex(state / "portal-service-token")
    for pid in processes_under(state.resolve()):
        try:
            env = dict(v.split(b"=", 1) for v in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") if b"=" in v)
        except OSError:
            continue
        name, token = env.get(b"JUPYTERHUB_SERVICE_NAME"), env.get(b"JUPYTERHUB_API_TOKEN")
        if name and token:
            tokens[name.decode()] = token.decode()
    return tokens


def key_hex(path: Path) -> str:
    from mnss_hub.pseudonym import load_or_create_key

    return load_or_create_key(path).hex()


def test_service_tokens_cannot_go_beyond_their_roles(hub):
    """Each service's own token: no admin, no user made or promoted, no token for another user,
    no server started."""
    tokens = service_tokens(hub)
    expected = {"mnss-accounts", "mnss-portal", "mnss-exchange", "mnss-recommender", "idle-culler"}
    expected.add(f"formgrader-{COURSE}")
    assert expected <= set(tokens), sorted(tokens)
    for service, token in tokens.items():
        api = HubClient(hub.url, token=token)
        calls = {
            "create a user": ("POST", "hub/api/users/intruder", None),
            "make an admin": ("PATCH", "hub/api/users/nurse1", {"admin": True}),
            "token for admin": ("POST", "hub/api/users/admin/tokens", {"note": "x"}),
            "token for a learner": ("POST", "hub/api/users/nurse1/tokens", {"note": "x"}),
            "start a server": ("POST", "hub/api/users/nurse1/server", None),
            "change roles": ("POST", "hub/api/groups/x", None),
        }
        for what, (method, path, body) in calls.items():
            resp = requests.request(method, hub.url + path, headers=api.headers, json=body, timeout=30)
            assert resp.status_code in (403, 404), (service, what, resp.status_code, resp.text[:200])
    assert hub.admin.user("nurse1")["admin"] is False
    assert not hub.admin.user("nurse1").get("servers")


def test_a_spawn_storm_is_refused_cleanly_without_double_spawns(hub):
    """Forty concurrent start requests for four users with two servers allowed: every answer is a
    start, 'already running/pending' (400) or 429 with Retry-After; at most two servers run, each
    user has at most one server process, and nothing is left pending."""
    answers: list[requests.Response] = []
    lock = threading.Lock()

    def start(user):
        resp = requests.post(hub.url + f"hub/api/users/{user}/server", headers=hub.admin.headers, timeout=120)
        with lock:
            answers.append((user, resp))

    threads = [threading.Thread(target=start, args=(u,)) for u in USERS for _ in range(10)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(150)
        codes = Counter(resp.status_code for _, resp in answers)
        assert set(codes) <= {201, 202, 400, 429}, codes
        assert codes[429] >= 1, codes
        for _, resp in answers:
            if resp.status_code == 429:
                assert int(resp.headers.get("Retry-After", "0")) > 0
        started = {user for user, resp in answers if resp.status_code in (201, 202)}
        assert 1 <= len(started) <= ACTIVE_LIMIT, codes
        for user in started:
            hub.admin.wait_for(user, ready=True, timeout=120)
        running = [u for u in USERS if hub.admin.user(u).get("servers")]
        assert sorted(running) == sorted(started)
        homes = apply.homes_dir(hub_site(hub))
        for user in USERS:
            servers = [c for c in processes_under(homes / user).values() if "jupyterhub-singleuser" in c]
            assert len(servers) == (user in started), (user, servers)
        print("spawn storm answers:", dict(codes))
    finally:
        stop_all(hub)


def hub_site(hub) -> dict:
    from mnss_hub import siteconfig

    return siteconfig.load(Path(hub.log).parent / "mnss.yaml")


def test_the_hubs_cookies_are_host_only_and_samesite(hub):
    """Cookies without a Domain attribute stay on the hub's own host (a sibling host cannot be
    sent them); the login cookie is HttpOnly and limited to /hub/."""
    seen = []
    web = requests.Session()
    web.hooks["response"].append(lambda resp, *a, **k: seen.extend(resp.raw.headers.getlist("Set-Cookie")))
    post_login(web, hub.url, "nurse3", password("nurse3"))
    web.get(hub.url + "hub/home", timeout=30)
    assert seen
    for cookie in seen:
        assert not re.search(r";\s*domain=", cookie, re.I), cookie
    login = [c for c in seen if c.startswith(LOGIN_COOKIE + "=")]
    assert login and re.search(r";\s*httponly", login[0], re.I), login
    assert re.search(r";\s*path=/hub/(;|$)", login[0], re.I), login


@pytest.mark.parametrize("mode", [0o644, 0o640], ids=["0644", "0640"])
def test_a_cookie_secret_others_can_read_stops_the_hub_before_it_starts(tmp_path, mode):
    """`mnss-hub run` with a cookie secret readable by others (0644) or by the group (0640, which
    JupyterHub alone would accept) exits at once naming the file and the fix, in both languages,
    before any account is written or any process started."""
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    secret = state / "jupyterhub_cookie_secret"
    secret.write_text(os.urandom(32).hex() + "\n")
    secret.chmod(mode)
    config = tmp_path / "mnss.yaml"
    config.write_text(yaml.safe_dump(site_config(state)), "utf-8")
    command = [str(VENV_BIN / "mnss-hub"), "--config", str(config), "run"]
    try:  # a hub that does start is stopped with whatever it started
        done = subprocess.run(
            [*command, "--jupyterhub-config", str(ROOT / "jupyterhub_config.py")],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    finally:
        kill_processes_under(tmp_path.resolve())
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"chmod 600 {secret}" in done.stderr and f"{mode:04o}" in done.stderr
    assert "其他用户可以读取" in done.stderr and "lets other users read" in done.stderr
    assert len(done.stderr) < 1000, done.stderr
    assert not (state / "people.sqlite").exists(), "nothing is written before the refusal"
    assert not processes_under(tmp_path.resolve())
