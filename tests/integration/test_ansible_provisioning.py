"""ansible/site.yml on a real target: a fresh Debian 12 server (systemd as PID 1, sshd) reached over
SSH, as a hospital sysadmin's controller reaches a server (README, "Provisioning").

One target for the whole module, in the order a sysadmin meets it: converge, converge again
(nothing changes), check mode, HTTPS with the certificate of the CA the role made, the firewall,
a learner's login and spawn, a graded round (release, enrol, lab, submit, autograde), backup,
wipe, restore, and an upgrade from the previous version to HEAD. The controller is the project's
own .venv-ansible (`make ansible`); the platform goes in as the offline bundle the controller
builds, and the host's CA certificates are handed on (the role's extra CA certificates, as behind
a hospital's TLS-inspecting proxy).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml

from mnss_hub.hubclient import HubClient
from tests.support import coursework, sshtarget
from tests.support.topologies import FIRST_LAB
from tests.support.weblogin import first_login, post_login, set_password, xsrf_of

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.ansible, pytest.mark.docker]

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "ansible"
CONTROLLER = REPO / ".venv-ansible" / "bin"
EXTRA_CA_DIR = Path("/usr/local/share/ca-certificates")
TIMES: dict[str, float] = {}
LEARNER: dict[str, str] = {}  # the learner's password and API token, checked again after the restore
COURSE, ASSIGNMENT = "hospital-lan", "lan-build"


def previous_version() -> str | None:
    """The version an upgrade starts from: the last tag before HEAD, else HEAD's parent commit."""
    for command in (["git", "describe", "--tags", "--abbrev=0", "HEAD^"], ["git", "rev-parse", "--verify", "HEAD^"]):
        found = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
        if found.returncode == 0:
            return found.stdout.strip()
    return None


PREVIOUS = previous_version()


def _capabilities() -> str | None:
    if not (CONTROLLER / "ansible-playbook").exists():
        return "the Ansible controller venv is missing (make ansible)"
    if shutil.which("docker") is None or subprocess.run(["docker", "info"], capture_output=True).returncode:
        return "no running dockerd"
    if subprocess.run(["docker", "image", "inspect", sshtarget.BASE_IMAGE], capture_output=True).returncode:
        return f"the base image {sshtarget.BASE_IMAGE} is missing (make images)"
    if not Path("/sys/fs/cgroup/systemd").is_dir():
        return "no cgroup v1 name=systemd hierarchy on this host (the target's systemd needs its own folder there)"
    return None


class Controller:
    """ansible-playbook against the module's inventory, with its own vault password and SSH key."""

    def __init__(self, workdir: Path, target: sshtarget.Target, key: Path):
        self.workdir = workdir
        self.environment = dict(os.environ)
        self.inventory = workdir / "inventory"
        self.vault_password_file = workdir / "vault-password"
        self.vault_password_file.write_text(secrets.token_urlsafe(24))
        self.vault_password_file.chmod(0o600)
        group_vars = self.inventory / "group_vars" / "all"
        group_vars.mkdir(parents=True)
        (self.inventory / "hosts.yml").write_text(
            yaml.safe_dump(
                {
                    "all": {
                        "children": {"mnss_hub": {"hosts": {target.address: {}}}},
                        "vars": {
                            "ansible_user": "root",
                            "ansible_ssh_private_key_file": str(key),
                            "ansible_ssh_common_args": (
                                f"-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile={workdir / 'known_hosts'}"
                            ),
                        },
                    }
                }
            )
        )
        (group_vars / "vars.yml").write_text(
            yaml.safe_dump(
                {
                    "mnss_mode": "local",
                    # the server starts at the previous version; the last test upgrades it to HEAD
                    "mnss_version": PREVIOUS or "HEAD",
                    "mnss_controller_build_dir": str(workdir / "build"),
                    "tls_ca_fetch_dir": str(workdir / "ca"),
                    "tls_server_names": [target.address],
                    "mnss_extra_ca_certificates": sorted(str(p) for p in EXTRA_CA_DIR.glob("*.crt")),
                    "mnss_offline_bundle": True,
                    # one course keeps the target small: one formgrader instead of one per course
                    "mnss_site_config": {
                        "courses": {"members": [{"course": "hospital-lan", "instructors": ["admin"]}]},
                        "culler": {"enabled": False},
                    },
                }
            )
        )
        self.secrets = {
            "vault_mnss_admin_password": secrets.token_hex(16),
            "vault_postgresql_hub_password": secrets.token_hex(16),
            "vault_postgresql_gradebooks_password": secrets.token_hex(16),
            "vault_postgresql_recommender_password": secrets.token_hex(16),
            "vault_backup_passphrase": secrets.token_hex(24),
            "vault_pii_key_backup_passphrase": secrets.token_hex(24),
        }
        vault = group_vars / "vault.yml"
        vault.write_text(yaml.safe_dump(self.secrets))
        self._run(["ansible-vault", "encrypt", "--vault-password-file", str(self.vault_password_file), str(vault)])
        assert vault.read_text().startswith("$ANSIBLE_VAULT;"), "the vault file was not encrypted"

    def _run(self, command: list[str], timeout: float = 900) -> subprocess.CompletedProcess:
        # the controller's own environment as the module found it (its CA settings for pip and npm;
        # not the tests' REQUESTS_CA_BUNDLE for the target, which pip would take too), its own home
        env = dict(self.environment)
        env.update(
            PATH=f"{CONTROLLER}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            ANSIBLE_CONFIG=str(ANSIBLE_DIR / "ansible.cfg"),
            ANSIBLE_NOCOLOR="1",
            HOME=str(self.workdir),
            LANG="C.UTF-8",
        )
        for name in ("PYTHONPATH", "VIRTUAL_ENV", "ANSIBLE_FORCE_COLOR"):
            env.pop(name, None)
        command = [str(CONTROLLER / command[0]), *command[1:]]
        return subprocess.run(command, cwd=ANSIBLE_DIR, env=env, capture_output=True, text=True, timeout=timeout)

    def playbook(self, playbook: str, *extra: str) -> tuple[subprocess.CompletedProcess, dict[str, int]]:
        result = self._run(
            [
                "ansible-playbook",
                "-i",
                str(self.inventory),
                "--vault-password-file",
                str(self.vault_password_file),
                playbook,
                *extra,
            ]
        )
        log = self.workdir / f"{playbook}-{int(time.time())}.log"
        log.write_text(result.stdout + result.stderr)
        tail = result.stdout[-6000:] + result.stderr[-3000:]
        assert result.returncode == 0, f"{playbook} {extra} failed ({log}):\n{tail}"
        return result, recap(result.stdout)


def recap(output: str) -> dict[str, int]:
    """The PLAY RECAP counters of the one host."""
    line = next(line for line in output.split("PLAY RECAP", 1)[1].splitlines() if " ok=" in line)
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line)}


def changed_tasks(output: str) -> list[str]:
    tasks, current = [], ""
    for line in output.splitlines():
        if line.startswith(("TASK [", "RUNNING HANDLER [")):
            current = line
        elif line.startswith("changed:"):
            tasks.append(current)
    return tasks


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    missing = _capabilities()
    if missing:
        pytest.skip(missing)
    workdir = tmp_path_factory.mktemp("ansible")
    key = workdir / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    sshtarget.build_image()
    target = sshtarget.start(key.with_suffix(".pub").read_text())
    try:
        yield target, Controller(workdir, target, key)
    finally:
        target.remove()


def hub_url(target) -> str:
    return f"https://{target.address}/"


def ca_file(controller: Controller, target) -> Path:
    return controller.workdir / "ca" / f"{target.address}-ca.crt"


def timed_site_run(controller: Controller, run: str):
    """site.yml applied once: (result, counters), its time printed and kept in TIMES[run]."""
    started = time.monotonic()
    result, counters = controller.playbook("site.yml")
    TIMES[run] = time.monotonic() - started
    print(f"{run} run of site.yml: {TIMES[run]:.0f} s, {counters}")
    return result, counters


def test_a_fresh_server_converges(site):
    target, controller = site
    _, counters = timed_site_run(controller, "fresh")
    assert counters["failed"] == 0 and counters["unreachable"] == 0
    assert counters["changed"] > 20, counters
    assert target.exec("systemctl", "is-active", "mnss-hub", "nginx", "postgresql", "nftables").returncode == 0


def test_a_second_run_changes_nothing(site):
    target, controller = site
    result, counters = timed_site_run(controller, "second")
    assert counters["changed"] == 0, changed_tasks(result.stdout)


def test_check_mode_on_a_converged_server_reports_nothing_to_change(site):
    target, controller = site
    result, counters = controller.playbook("site.yml", "--check")
    assert counters["failed"] == 0 and counters["changed"] == 0, changed_tasks(result.stdout)


def test_a_wrong_site_config_is_refused_before_it_replaces_the_running_one(site):
    target, controller = site
    config_before = target.exec("sha256sum", "/etc/mnss/mnss.yaml").stdout
    hub_pid = target.exec("systemctl", "show", "--value", "-p", "MainPID", "mnss-hub").stdout.strip()
    result = controller._run(
        [
            "ansible-playbook",
            "-i",
            str(controller.inventory),
            "--vault-password-file",
            str(controller.vault_password_file),
            "site.yml",
            "--start-at-task",
            "Write the site config, checked by mnss-hub check-config before it replaces the old one",
            "-e",
            json.dumps({"mnss_site_config": {"hub": {"prot": 8000}}}),
        ]
    )
    assert result.returncode != 0
    assert "hub.prot: unknown key (did you mean 'port'?)" in result.stdout, result.stdout[-3000:]
    assert target.exec("sha256sum", "/etc/mnss/mnss.yaml").stdout == config_before
    assert target.exec("systemctl", "show", "--value", "-p", "MainPID", "mnss-hub").stdout.strip() == hub_pid


def test_the_login_page_answers_over_https_with_the_sites_certificate(site):
    target, controller = site
    ca = ca_file(controller, target)
    assert ca.is_file(), "the role did not hand the private CA's certificate to the controller"
    page = requests.get(hub_url(target) + "hub/login", verify=str(ca), timeout=30)
    assert page.status_code == 200 and 'name="username"' in page.text
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    # the certificate is the site's, signed by that CA, for the name the inventory gave
    context = ssl.create_default_context(cafile=str(ca))
    with socket.create_connection((target.address, 443), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=target.address) as tls:
            names = [value for kind, value in tls.getpeercert()["subjectAltName"]]
    assert target.address in names
    with pytest.raises(requests.exceptions.SSLError):  # not trusted without the site's CA
        requests.get(hub_url(target) + "hub/login", timeout=30)
    plain = requests.get(f"http://{target.address}/hub/login", allow_redirects=False, timeout=30)
    assert plain.status_code == 301 and plain.headers["Location"] == hub_url(target) + "hub/login"


def test_the_servers_https_clients_trust_the_extra_ca_certificates(site):
    """Behind a TLS-inspecting proxy (as here) a download works only if the proxy's CA is trusted."""
    target, _ = site
    if not list(EXTRA_CA_DIR.glob("*.crt")):
        pytest.skip("this controller has no extra CA certificates to hand on")
    for cert in EXTRA_CA_DIR.glob("*.crt"):
        assert target.exec("test", "-f", f"/usr/local/share/ca-certificates/mnss-{cert.name}").returncode == 0
    fetch = "import urllib.request; print(urllib.request.urlopen('https://pypi.org/simple/pip/', timeout=60).status)"
    assert target.exec("python3", "-c", fetch).stdout.strip() == "200"


def test_the_firewall_lets_in_only_ssh_http_and_https(site):
    target, _ = site
    server = subprocess.Popen(
        ["docker", "exec", target.name, "python3", "-m", "http.server", "--bind", "0.0.0.0", "9000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        inside = target.exec(
            "python3", "-c", "import socket,time;time.sleep(1);socket.create_connection(('127.0.0.1',9000),5)"
        )
        assert inside.returncode == 0
        with pytest.raises(OSError):
            socket.create_connection((target.address, 9000), timeout=3).close()
        socket.create_connection((target.address, 22), timeout=3).close()
    finally:
        target.exec("pkill", "-f", "http.server --bind 0.0.0.0 9000", check=False)  # in the test's own container
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_a_learner_logs_in_and_gets_a_lab(site, monkeypatch):
    target, controller = site
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file(controller, target)))
    made = target.exec("/opt/mnss/venv/bin/mnss-hub", "--config", "/etc/mnss/mnss.yaml", "add-user", "learner1")
    one_time = made.stdout.strip().rsplit(" ", 1)[1]
    LEARNER["password"] = "learner-" + secrets.token_hex(8)
    web, _ = first_login(hub_url(target), "learner1", one_time, LEARNER["password"])
    web.get(hub_url(target) + "hub/spawn", timeout=60)
    deadline = time.monotonic() + 240
    while True:  # the spawn-pending page, then the hub's OAuth round trip, then the lab
        lab = web.get(hub_url(target) + "user/learner1/lab", timeout=60)
        if lab.status_code == 200 and lab.url.endswith("/user/learner1/lab") and "JupyterLab" in lab.text:
            break
        assert time.monotonic() < deadline, f"the learner's lab did not open: {lab.status_code} {lab.url}"
        time.sleep(3)
    kernels = web.get(hub_url(target) + "user/learner1/api/kernelspecs", timeout=30)
    assert kernels.status_code == 200 and "python3" in kernels.json()["kernelspecs"]
    LEARNER["token"] = own_token(web, target, "learner1", "backup test")
    # the admin, the course's instructor, releases lan-build; the learner enrols in the course and
    # opens it from the course panel (nbgrader fetches it through the exchange)
    LEARNER["admin_token"] = admin_token(controller, target)
    released = formgrader(target, "mnss/round", data={"action": "release", "assignment": ASSIGNMENT})
    assert released.status_code == 303, released.text[:500]
    enrol(target, "learner1", LEARNER["password"])
    opened = web.post(
        hub_url(target) + "user/learner1/mnss/panel/open",
        json={"item": f"{COURSE}/{ASSIGNMENT}"},
        headers={"Authorization": f"token {LEARNER['token']}"},
        timeout=120,
    )
    assert opened.status_code == 200, opened.text[:500]
    LEARNER["notebook"] = opened.json()["path"]
    # the learner's lab runs on the provisioned server: rootless, under the learner's own account,
    # in the fetched notebook, so the run reaches the recommender as an event
    monkeypatch.setenv("WEBSOCKET_CLIENT_CA_BUNDLE", str(ca_file(controller, target)))
    learner = HubClient(hub_url(target), token=LEARNER["token"], timeout=60)
    ran = learner.execute("learner1", FIRST_LAB, timeout=180, path=LEARNER["notebook"])
    assert "LOSS 0.0 ROOTLESS True" in ran.stdout, (ran.stdout, ran.stderr, ran.error)
    deadline = time.monotonic() + 120  # the server sends its buffered events every 30 s
    while "topology_run" not in sql(target, "mnss_recommender", "SELECT kind FROM recommender_events"):
        assert time.monotonic() < deadline, "the lab run never reached the recommender's event store"
        time.sleep(5)


def admin_token(controller: Controller, target) -> str:
    """The admin's first login with the vault's password (replaced, as the hub asks), and a token of
    the admin's own from the hub's token page."""
    vault_password = controller.secrets["vault_mnss_admin_password"]
    web = requests.Session()
    form = post_login(web, hub_url(target), "admin", vault_password)
    if form.status_code == 200:  # a one-time password: the hub asks for the admin's own
        assert set_password(web, hub_url(target), form, "admin-" + secrets.token_hex(8)).status_code == 302
    else:
        assert form.status_code == 302, form.text[:300]
    return own_token(web, target, "admin", "grading on the server")


def own_token(web: requests.Session, target, user: str, note: str) -> str:
    """An API token of the signed-in user's own, as the hub's token page makes one."""
    made = web.post(
        hub_url(target) + f"hub/api/users/{user}/tokens",
        json={"note": note},
        headers={"X-XSRFToken": web.cookies.get("_xsrf", path="/hub/"), "Referer": hub_url(target) + "hub/token"},
        timeout=30,
    )
    assert made.status_code == 201, made.text[:300]
    return made.json()["token"]


def formgrader(target, path: str, **kw) -> requests.Response:
    """A request to the course's formgrader with the admin's token, as `mnss course` sends it."""
    return requests.post(
        f"{hub_url(target)}services/formgrader-{COURSE}/{path}",
        headers={"Authorization": f"token {LEARNER['admin_token']}"},
        timeout=600,
        allow_redirects=False,
        **kw,
    )


def enrol(target, user: str, password: str) -> None:
    """The course page's "enrol" button (the course is open to everyone)."""
    web = requests.Session()
    assert post_login(web, hub_url(target), user, password).status_code == 302
    page = web.get(f"{hub_url(target)}hub/portal/course/{COURSE}", timeout=30)
    done = web.post(page.url, data={"action": "enrol", "_xsrf": xsrf_of(page)}, allow_redirects=False, timeout=30)
    assert done.status_code == 302, done.text[:300]


def test_the_learners_submission_is_graded_into_the_sites_gradebook(site, monkeypatch):
    """The solutions typed in and submitted from the course panel; the instructor's `mnss course
    grade` (the formgrader's API) collects and autogrades: full marks, kept in PostgreSQL (the
    mnss_gradebooks database, the course's own schema), where the backup and upgrade tests find them."""
    target, controller = site
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file(controller, target)))
    learner = requests.Session()
    learner.headers["Authorization"] = f"token {LEARNER['token']}"
    contents = f"{hub_url(target)}user/learner1/api/contents/{LEARNER['notebook']}"
    notebook = learner.get(contents + "?content=1&type=notebook", timeout=60).json()["content"]
    for index, code in coursework.solutions(COURSE, ASSIGNMENT).items():
        notebook["cells"][index]["source"] = code
    saved = learner.put(contents, json={"type": "notebook", "format": "json", "content": notebook}, timeout=60)
    assert saved.status_code == 200, saved.text[:300]
    submitted = learner.post(
        f"{hub_url(target)}user/learner1/mnss/panel/submit", json={"path": LEARNER["notebook"]}, timeout=240
    )
    assert submitted.status_code == 200, submitted.text[:500]
    graded = formgrader(target, "mnss/api/grade", json={"assignment": ASSIGNMENT})
    assert graded.status_code == 200, graded.text[:500]
    mine = [g for g in graded.json()["graded"] if g["student"] == "learner1"]
    if len(mine) != 1:
        pytest.fail(json.dumps(graded.json()["failed"], ensure_ascii=False, indent=1))
    (mine,) = mine
    scores = [(p["score"], p["points"]) for p in mine["parts"]]
    assert scores and all(score == points for score, points in scores), scores
    # in the site's gradebook, not a file in the course root
    schema = "course_" + COURSE.replace("-", "_")
    rows = sql(target, "mnss_gradebooks", f"SELECT count(*) FROM {schema}.grade WHERE auto_score IS NOT NULL")
    assert int(rows[0]) >= len(scores), rows
    assert target.exec("test", "-e", f"/var/lib/mnss/grading/{COURSE}/gradebook.db", check=False).returncode == 1
    # the password of no database is on a command line (every local account reads /proc/*/cmdline)
    commands = target.exec("ps", "-eo", "args").stdout
    for name in ("hub", "gradebooks", "recommender"):
        assert controller.secrets[f"vault_postgresql_{name}_password"] not in commands, name


def sql(target, db: str, query: str) -> list[str]:
    return target.exec("runuser", "-u", "postgres", "--", "psql", "-XAt", "-d", db, "-c", query).stdout.split()


FINGERPRINT = r"""
set -euo pipefail
psql() { runuser -u postgres -- psql -XAt "$@"; }
# Not compared: what the hub writes anew from the site config at every start (its services, with
# their addresses and tokens, OAuth clients, roles and the users' role assignments), which a new
# version may change; everything else, users' tokens included, must come back as it was.
for db in mnss_hub mnss_gradebooks mnss_recommender; do
  # every schema's tables (the gradebooks keep each course in a schema of its own), public's unprefixed
  for t in $(psql -d $db -c "SELECT CASE WHEN schemaname = 'public' THEN '' ELSE schemaname || '.' END
                             || tablename FROM pg_tables
                             WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"); do
    case "$t" in
      *.*) from="\"${t%%.*}\".\"${t#*.}\"" ;;  # schema.table
      *) from="\"$t\"" ;;
    esac
    case "$db.$t" in
      # the hub re-assigns its users' roles from the config at each start
      mnss_hub.oauth_clients|mnss_hub.roles|mnss_hub.services|mnss_hub.user_role_map) continue ;;
      mnss_hub.*_role_map)  # which group or service has which role, by name (roles get new ids)
        who=${t%_role_map}; who=${who/user/users}; who=${who/group/groups}; who=${who/service/services}
        query="SELECT w.name, r.name FROM $t m JOIN $who w ON w.id = m.${t%_role_map}_id
                JOIN roles r ON r.id = m.role_id" ;;
      mnss_hub.api_tokens) query="SELECT id, hashed, user_id, created, expires_at, note FROM api_tokens
                                  WHERE service_id IS NULL" ;;
      *) query="SELECT * FROM $from" ;;
    esac
    rows=$(psql -d $db -c "COPY ($query ORDER BY 1) TO STDOUT")
    echo "$db.$t $(echo "$rows" | grep -c . || true) $(echo "$rows" | sha256sum | cut -c1-16)"
  done
done
find /var/lib/mnss -name '*.sqlite' | sort | while read -r f; do
  for t in $(sqlite3 "$f" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1"); do
    echo "$f.$t $(sqlite3 "$f" "SELECT * FROM \"$t\" ORDER BY 1" | sha256sum | cut -c1-16)"
  done
done
"""


def fingerprint(target) -> dict[str, str]:
    """Every table's rows of the three databases and of the state folder's SQLite files, hashed."""
    out = target.exec("bash", "-c", FINGERPRINT).stdout
    return dict(line.split(" ", 1) for line in out.splitlines())


def assert_tables_as(before: dict[str, str], target) -> None:
    """Every table as `before`, fingerprinted with the hub stopped (it writes nothing meanwhile)."""
    target.exec("systemctl", "stop", "mnss-hub")
    try:
        after = fingerprint(target)
    finally:
        target.exec("systemctl", "start", "mnss-hub")
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    assert not changed, changed


def assert_the_learner_still_gets_in(target) -> None:
    """The learner's password logs in and the learner's own API token is accepted (hub restarted)."""
    deadline = time.monotonic() + 300
    while requests.get(hub_url(target) + "hub/login", timeout=30).status_code != 200:
        assert time.monotonic() < deadline, "the hub did not come back"
        time.sleep(3)
    assert post_login(requests.Session(), hub_url(target), "learner1", LEARNER["password"]).status_code == 302
    me = requests.get(
        hub_url(target) + "hub/api/user", headers={"Authorization": f"token {LEARNER['token']}"}, timeout=30
    )
    assert me.status_code == 200 and me.json()["name"] == "learner1"


def test_backup_wipe_restore_brings_everything_back(site, monkeypatch):
    target, controller = site
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file(controller, target)))  # (a session's verify loses to it)
    assert "learner1" in sql(target, "mnss_hub", "SELECT name FROM users")
    assert sql(target, "mnss_hub", "SELECT note FROM api_tokens WHERE note = 'backup test'") == ["backup", "test"]
    # the hub is stopped while the fingerprints are taken, so it changes nothing between them
    target.exec("systemctl", "stop", "mnss-hub")
    # opening the personal-data store makes its key, as the first registration on a site would
    target.exec("/opt/mnss/venv/bin/mnss-hub", "--config", "/etc/mnss/mnss.yaml", "audit", "verify")
    before = fingerprint(target)
    assert "mnss_hub.users" in before and "mnss_hub.api_tokens" in before, before
    assert int(before["mnss_recommender.recommender_events"].split()[0]) >= 1, "no learning events to bring back"
    assert int(before[f"mnss_gradebooks.course_{COURSE.replace('-', '_')}.grade"].split()[0]) >= 1, "no grades"
    key = target.exec("sha256sum", "/var/lib/mnss/pii.key").stdout.split()[0]  # the personal-data key
    key_archive, archive = target.exec("/usr/local/sbin/mnss-backup").stdout.strip().splitlines()[-2:]
    # encrypted: an OpenPGP symmetric-key packet first (0x8c), not a tar anyone can list
    assert target.exec("sh", "-c", f"head -c 1 {archive} | od -An -tx1").stdout.strip() == "8c"
    assert target.exec("tar", "-tf", archive, check=False).returncode != 0
    # the data archive with its passphrase holds neither the key nor the key archive's passphrase
    decrypt = "gpg --batch -q -d --pinentry-mode loopback --passphrase-file /etc/mnss/backup.passphrase"
    listing = target.exec("sh", "-c", f"{decrypt} {archive} | tar -t").stdout
    assert "files/var/lib/mnss/" in listing, listing
    assert "pii.key" not in listing and "pii-key-backup" not in listing, listing
    assert key_archive.startswith("/var/backups/mnss-keys/mnss-pii-key-"), key_archive
    wrong_key = target.exec("sh", "-c", f"{decrypt} {key_archive} > /dev/null", check=False)
    assert wrong_key.returncode != 0, "the key archive opened with the data archive's passphrase"

    # wipe: the databases dropped, the state folder gone
    for db in ("mnss_hub", "mnss_gradebooks", "mnss_recommender"):
        target.exec("runuser", "-u", "postgres", "--", "dropdb", db)
    target.exec("rm", "-rf", "/var/lib/mnss")
    assert target.exec("test", "-e", "/var/lib/mnss", check=False).returncode == 1

    controller.playbook("restore.yml", "-e", f"backup_archive={archive}")
    login = requests.get(hub_url(target) + "hub/login", verify=str(ca_file(controller, target)), timeout=30)
    assert login.status_code == 200
    assert_tables_as(before, target)
    assert target.exec("sha256sum", "/var/lib/mnss/pii.key").stdout.split()[0] == key  # back from its own archive
    assert target.exec("stat", "-c", "%a", "/var/lib/mnss/pii.key").stdout.strip() == "600"
    print("restored tables (rows, hash):", before)
    assert_the_learner_still_gets_in(target)


def hospital_certificate(workdir: Path, address: str) -> tuple[Path, Path, Path]:
    """A hospital CA's certificate, and a site certificate and key it signed for `address`: what the
    hospital's IT hands the sysadmin instead of the role's private CA."""
    ca_key, ca, key, request, cert = (workdir / n for n in ("h-ca.key", "h-ca.crt", "site.key", "site.csr", "site.crt"))
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl = ["openssl", "req", *ec]
    subprocess.run(
        [*openssl, "-x509", "-days", "2", "-subj", "/CN=Test Hospital CA", "-keyout", ca_key, "-out", ca],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [*openssl, "-subj", f"/CN={address}", "-keyout", key, "-out", request], check=True, capture_output=True
    )
    extensions = workdir / "site.ext"
    extensions.write_text(f"subjectAltName = IP:{address}\nextendedKeyUsage = serverAuth\n")
    subprocess.run(
        [
            "openssl",
            "x509",
            "-req",
            "-in",
            request,
            "-CA",
            ca,
            "-CAkey",
            ca_key,
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            extensions,
            "-out",
            cert,
        ],
        check=True,
        capture_output=True,
    )
    return ca, cert, key


def test_an_upgrade_to_this_version_keeps_users_tokens_and_records(site, monkeypatch):
    """The upgrade a sysadmin runs: the new version, and with it the hospital's own certificate in
    place of the private CA. The wheels are built and sent again only if the dependencies changed."""
    target, controller = site
    if PREVIOUS is None:
        pytest.skip("this clone has no earlier version to upgrade from (shallow clone)")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    assert target.exec("cat", "/opt/mnss/installed-commit").stdout.strip() != head
    target.exec("systemctl", "stop", "mnss-hub")
    before = fingerprint(target)
    target.exec("systemctl", "start", "mnss-hub")
    hospital_ca, cert, key = hospital_certificate(controller.workdir, target.address)

    result, counters = controller.playbook(
        "site.yml", "-e", "mnss_version=HEAD", "-e", f"tls_certificate={cert}", "-e", f"tls_private_key={key}"
    )
    changed = "".join(changed_tasks(result.stdout))
    assert "Run the hub database migrations" in changed
    assert "Copy the certificate chain" in changed and "Copy the private key" in changed
    pins = [
        subprocess.run(["git", "show", f"{rev}:pyproject.toml"], cwd=REPO, capture_output=True).stdout
        for rev in (PREVIOUS, head)
    ]
    if pins[0] == pins[1]:
        assert "Build the wheels" not in changed and "Unpack the wheelhouse" not in changed, changed
    assert target.exec("cat", "/opt/mnss/installed-commit").stdout.strip() == head
    assert target.exec("stat", "-c", "%a", "/etc/mnss/tls/site.key").stdout.strip() == "600"
    # the login page is now served with the hospital's certificate, which the private CA does not vouch for
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(hub_url(target) + "hub/login", verify=str(ca_file(controller, target)), timeout=30)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(hospital_ca))
    assert_tables_as(before, target)
    assert_the_learner_still_gets_in(target)
