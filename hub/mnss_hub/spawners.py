"""Spawner of the 'local' mode, and what every mode's spawner gives a lab server."""

from __future__ import annotations

import asyncio
import glob
import inspect
import json
import os
import pwd
import sys
from pathlib import Path

from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Bool, Dict, Float, Int, List, Unicode, default
from traitlets.config import Configurable

from mnss_courses.exchange import CLIENT_CONFIG_DIR
from mnss_courses.exchange.names import INSTRUCTORS_SUFFIX
from mnss_foundation import system_accounts
from mnss_foundation.server_settings import ServerSettings
from mnss_kernel.runtime import commands, registry, tunnel

from . import egress, tunnel_grant
from .save_before_stop import save_open_documents
from .server_cgroups import Limits, ServerCgroups

LOCAL_MODE_WARNING = (
    "local mode: single-user servers run as the hub's own user on this machine; users are NOT "
    "isolated from each other or from the host. Use it for a trial or a single classroom machine; "
    "use mode 'docker' for anything shared."
)

LOCAL_MODE_ISOLATED = (
    "local mode: each user's server runs as a system account of its own (mnss-u-<name>), without "
    "capabilities; users cannot read each other's homes, course sources or the hub's state. {limits} {network}"
)
EGRESS_CLOSED = (
    "Servers reach this machine, and beyond it only the tunnel destinations the site allows their users "
    "(the host's firewall, per account)."
)
EGRESS_OPEN = "Servers reach whatever this machine reaches (local.egress: open)."
LIMITED = (
    "Each server, with its kernels and labs, is held to {pids} processes and {memory} of memory (a cgroup "
    "of its own, {version}); CPU and disk are shared without limits."
)
UNLIMITED = "They share this machine's CPU, memory and disk without limits; use mode 'docker' for those."
NO_CGROUPS = (
    "local mode: no writable cgroup hierarchy with the pids and memory controllers under {root}: servers "
    "start WITHOUT the configured process and memory limits (pids_limit, mem_limit)."
)
ACCOUNT_PREFIX = "mnss-u-"
HOME_ENV = "MNSS_SERVER_HOME"
HOME_VIEWS = Path(commands.HOME_VIEWS)  # in each server's mount namespace: its own home, at <account>
RUNTIME_DIR = ".local/run"  # in the home: the server's $XDG_RUNTIME_DIR, where its labs are recorded
LAB_GRACE = 3.0  # seconds a stopped server's labs get to end with their kernels before all is killed
MAKE_RUNTIME_DIR = ["sh", "-c", 'mkdir -p -m 0700 "$XDG_RUNTIME_DIR" && exec "$@"', "sh"]  # as the account


def isolation_text(limits: Limits, cgroups: ServerCgroups, egress_closed: bool = True) -> str:
    """What the log says of local mode's isolation with own accounts, limits included."""
    if cgroups.usable and (limits.pids or limits.memory):
        memory = f"{limits.memory // 2**20} MiB" if limits.memory else "unlimited"
        text = LIMITED.format(pids=limits.pids or "unlimited", memory=memory, version=f"cgroup {cgroups.version}")
    else:
        text = UNLIMITED
    return LOCAL_MODE_ISOLATED.format(limits=text, network=EGRESS_CLOSED if egress_closed else EGRESS_OPEN)


# JupyterLab's locale ids for the site config's language codes.
LAB_LOCALES = {"zh-CN": "zh_CN", "en": "en"}
LANGUAGE_COOKIE = "mnss_lang"  # set by the language switch of the hub pages (templates/page.html)


class LabServerSettings(Configurable):
    """Settings every mode passes to a user's server as environment variables."""

    default_language = Unicode(
        "zh-CN", help="JupyterLab language for a user who has not chosen one ('zh-CN' or 'en')."
    ).tag(config=True)

    exchange_url = Unicode(
        "",
        help="URL of the mnss-exchange service; empty: no exchange. Given to the server as $MNSS_EXCHANGE_URL, "
        "and $JUPYTER_CONFIG_PATH then leads to the nbgrader_config.py that selects the exchange client.",
    ).tag(config=True)

    exchange_config_dir = Unicode(
        str(CLIENT_CONFIG_DIR),
        help="Folder of the exchange client's nbgrader_config.py as the server sees it.",
    ).tag(config=True)

    formgrader_urls = Dict(
        value_trait=Unicode(),
        help="Course id -> URL of its formgrader service as servers reach it. An instructor's server gets "
        "those of the courses she teaches as $MNSS_FORMGRADER_URLS (`mnss course grade` grades there).",
    ).tag(config=True)

    max_topology_nodes = Int(0, help="Largest emulation (nodes) the user may run; 0: no limit.").tag(config=True)
    max_topology_links = Int(0, help="Largest emulation (links) the user may run; 0: no limit.").tag(config=True)
    lab_pids_limit = Int(
        0,
        help="Processes one lab of the user's may run together (its holder, its nodes' commands and what "
        "they start); given to the server as $MNSS_LAB_PIDS_LIMIT. 0: no per-lab limit.",
    ).tag(config=True)
    lab_mem_limit = Int(
        0,
        help="Bytes of memory one lab of the user's may use together, where the lab can have a cgroup of "
        "its own; given to the server as $MNSS_LAB_MEM_LIMIT. 0: no per-lab limit.",
    ).tag(config=True)

    tunnel_enabled = Bool(
        False, help="The virtual-real tunnel is on for this site (for tunnel_users and tunnel_courses only)."
    ).tag(config=True)
    tunnel_users = List(Unicode(), help="Users who may use the virtual-real tunnel.").tag(config=True)
    tunnel_courses = List(
        Unicode(), help="Courses whose learners and instructors may use the virtual-real tunnel."
    ).tag(config=True)
    tunnel_allow = Unicode(
        "",
        help="'<prefix>:<port>[,<port>] ...': the TCP destinations a lab's gateway may reach; given to the "
        "permitted users' servers as $MNSS_TUNNEL_ALLOW (the engine enforces it with iptables on the gateway).",
    ).tag(config=True)
    tunnel_rate_mbit = Float(10.0, help="Rate cap of a gateway's outside link, Mbit/s, per lab.").tag(config=True)
    tunnel_audit_log = Unicode(
        "", help="Where the user's server appends its tunnel sessions; empty: ~/.mnss/tunnel-audit.jsonl."
    ).tag(config=True)

    save_before_stop_timeout = Float(
        10,
        help="Seconds a stop waits for the user's open JupyterLab pages to save their modified documents; "
        "0: stop without asking.",
    ).tag(config=True)

    def lab_env(self, env: dict) -> dict:
        env.update(
            ServerSettings(
                max_nodes=self.max_topology_nodes,
                max_links=self.max_topology_links,
                lab_pids_limit=self.lab_pids_limit,
                lab_mem_limit=self.lab_mem_limit,
                exchange_url=self.exchange_url,
                formgrader_urls=ServerSettings.formgrader_entries(
                    {c: u for c, u in self.formgrader_urls.items() if c in self.taught_courses()}
                ),
            ).to_env()
        )
        if self.tunnel_permitted():
            tunnel = ServerSettings(
                tunnel_allow=self.tunnel_allow,
                tunnel_rate_mbit=self.tunnel_rate_mbit,
                tunnel_audit_log=self.tunnel_audit_log,
            )
            env.update(tunnel.to_env())
        if self.exchange_url:
            # nbgrader config by environment: nothing written to the home or to the image. The
            # folder also switches off nbgrader's grading tools in the lab (grading is done in
            # the course's formgrader service); its learner/ folder, added for users who teach no
            # course, also the authoring tools (Create Assignment, Validate).
            folders = [self.exchange_config_dir]
            if not self.teaches_a_course():
                folders.insert(0, f"{self.exchange_config_dir}/learner")
            env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(p for p in (*folders, env.get("JUPYTER_CONFIG_PATH", "")) if p)
        return env

    async def _generate_progress(self):
        """JupyterHub's first spawn-page message, in both languages like the spawners' own."""
        async for event in super()._generate_progress():
            if event.get("message") == "Server requested":
                event = {**event, "message": "已收到启动请求 / Start requested"}
            yield event

    async def stop(self, now=False):
        """Every stop (learner, admin, culler) first has the open pages save their work."""
        server = getattr(self, "server", None)
        if not now and self.save_before_stop_timeout > 0 and server is not None and self.api_token:
            await save_open_documents(server.url, self.api_token, self.save_before_stop_timeout, self.log)
        await super().stop(now=now)

    def chosen_language(self) -> str:
        """The language the user picked on the hub pages (cookie mnss_lang; JupyterHub hands the
        spawner the request when the start comes from the browser), else the site's default. It
        seeds JupyterLab's language for a new user only; a later choice in JupyterLab is kept."""
        handler = getattr(self, "handler", None)
        chosen = handler.get_cookie(LANGUAGE_COOKIE) if handler is not None else None
        return chosen if chosen in LAB_LOCALES else self.default_language

    def tunnel_permitted(self) -> bool:
        """The site enables the tunnel for this user (by name or course; read at each start)."""
        user = getattr(self, "user", None)
        groups = [g.name for g in getattr(user, "groups", None) or []]
        name = getattr(user, "name", "")
        allowed = tunnel_grant.permitted(self.tunnel_enabled, self.tunnel_users, self.tunnel_courses, name, groups)
        return allowed and bool(self.tunnel_allow)

    def teaches_a_course(self) -> bool:
        """In a `<course>-instructors` group (read at each start, so a new role shows next time)."""
        return bool(self.taught_courses())

    def taught_courses(self) -> set[str]:
        """The courses of the user's `<course>-instructors` groups."""
        user = getattr(self, "user", None)
        groups = [g.name for g in getattr(user, "groups", None) or []]
        return {g.removesuffix(INSTRUCTORS_SUFFIX) for g in groups if g.endswith(INSTRUCTORS_SUFFIX)}


class LocalLabSpawner(LabServerSettings, SimpleLocalProcessSpawner):
    """Runs jupyterhub-singleuser in a private home under `homes_dir`.

    With the hub as root (as `make run` starts it), each user's server runs as a system account of
    its own (`mnss-u-<name>`, made on the first start), with no capability and no-new-privileges,
    in a mount namespace where its home appears at /run/mnss-home/<account> and the folders of
    `hidden_paths` are empty; labs in it use the engine's rootless path. Otherwise (the hub not
    root, or `own_accounts` off) the server runs as the hub's own user, isolating nobody.
    """

    homes_dir = Unicode("/var/lib/mnss/homes", help="Parent directory of the per-user home directories.").tag(
        config=True
    )

    own_accounts = Bool(
        True,
        help="With the hub running as root, run each user's server as a system account of its own "
        "(mnss-u-<name>). Off, or with the hub not root: as the hub's user, with no isolation at all.",
    ).tag(config=True)

    hidden_paths = List(
        Unicode(),
        help="Folders no user's server may see (each covered by an empty tmpfs in the server's mount "
        "namespace), e.g. every course's source/ with its hidden tests; shell wildcards allowed, "
        "expanded at each start. Only with own accounts.",
    ).tag(config=True)

    pids_limit = Int(
        2048,
        help="With own accounts: most processes one user's server, its kernels and its labs may run together "
        "(a cgroup per server); a fork bomb stops here. 0: no limit. mem_limit likewise caps their memory.",
    ).tag(config=True)

    cgroup_root = Unicode(
        "/sys/fs/cgroup",
        help="Where the cgroup hierarchies are mounted (v2: the unified one; v1: one folder per controller).",
    ).tag(config=True)

    cgroup_group = Unicode(
        "mnss-lab", help="Folder, in each hierarchy, of the per-server cgroups (one per account)."
    ).tag(config=True)

    egress_closed = Bool(
        True,
        help="With own accounts: hold each server's account (its kernels and labs too) to this machine, and "
        "beyond it to the tunnel destinations its user is allowed (a host firewall chain per account, "
        "egress.py). Off: servers reach whatever this machine reaches.",
    ).tag(config=True)

    _said_no_cgroups = False  # the missing-cgroups warning is logged once per hub
    _cgroup_procs: list = []  # cgroup.procs files the server process joins before exec

    @default("home_dir_template")
    def _default_home_dir_template(self):
        return str(Path(self.homes_dir) / "{username}")

    def isolated(self) -> bool:
        return self.own_accounts and os.geteuid() == 0

    def account_name(self) -> str:
        return system_accounts.account_name(ACCOUNT_PREFIX, self.user.name)

    def view(self) -> Path:
        """The home as the server sees it (the real one may be inside root's 0700 state folder)."""
        return HOME_VIEWS / self.account_name()

    def lab_records_dir(self) -> Path | None:
        """Where this user's server records its labs (for the admin page to list), if it runs as
        its own account; only a folder that really lies inside the home is named."""
        if not self.isolated():
            return None
        home = Path(self.home_dir).resolve()
        folder = (home / RUNTIME_DIR / "mnss" / "labs").resolve()
        return folder if home in folder.parents else None

    def get_args(self):
        args = super().get_args()
        if os.geteuid() == 0 and not self.isolated():
            args.append("--ServerApp.allow_root=True")
        return args

    def user_env(self, env):
        env = super().user_env(env)
        env["PATH"] = os.pathsep.join([str(Path(sys.prefix) / "bin"), env.get("PATH", os.defpath)])
        if self.isolated():
            name = self.account_name()
            env.update(HOME=str(self.view()), USER=name, LOGNAME=name)
            env["XDG_RUNTIME_DIR"] = str(self.view() / RUNTIME_DIR)  # lab records (lab_records_dir)
            env[HOME_ENV] = str(Path(self.home_dir).resolve())  # the real home, as ps and /proc show it
        return self.lab_env(env)

    def prepare_home(self) -> Path:
        """Create the home (mode 0700) and seed the JupyterLab language for a new user. With own
        accounts the account then gets the home, once: root never writes into a home the account
        already owns (it could have planted links there)."""
        home = Path(self.home_dir)
        new = not home.exists()
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        account = self.ensure_account() if self.isolated() else None
        if account is not None and home.lstat().st_uid == account.pw_uid:
            return home
        settings = home / ".jupyter/lab/user-settings/@jupyterlab/translation-extension/plugin.jupyterlab-settings"
        if new or not settings.exists():
            settings.parent.mkdir(parents=True, exist_ok=True)
            settings.write_text(json.dumps({"locale": LAB_LOCALES[self.chosen_language()]}), "utf-8")
        if account is not None:
            (home / RUNTIME_DIR).mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(home, 0o700)
            system_accounts.give_tree(home, account.pw_uid, account.pw_gid)
        return home

    def ensure_account(self):
        return system_accounts.ensure_account(self.account_name(), self.view(), f"MNSS learner {self.user.name}")

    def make_preexec_fn(self, name):
        if not self.isolated():
            return super().make_preexec_fn(name)
        # the command itself changes folder (into the view) and user; the child, still root, only
        # enters the server's cgroup, so everything the server starts is counted in it
        procs, cgroups = list(self._cgroup_procs), self.cgroups()
        return (lambda: cgroups.join(procs)) if procs else None

    def cgroups(self) -> ServerCgroups:
        return ServerCgroups(Path(self.cgroup_root), self.cgroup_group)

    def limits(self) -> Limits:
        return Limits(pids=self.pids_limit, memory=int(self.mem_limit or 0))

    def enter_cgroup(self, account=None) -> None:
        """Make this server's cgroup with the limits, for the child to join (make_preexec_fn),
        delegated to the server's account (its labs get cgroups of their own in it)."""
        self._cgroup_procs = []
        limits = self.limits()
        if not (limits.pids or limits.memory):
            return
        cgroups = self.cgroups()
        if not cgroups.usable:
            if not LocalLabSpawner._said_no_cgroups:
                LocalLabSpawner._said_no_cgroups = True
                self.log.warning(NO_CGROUPS.format(root=self.cgroup_root))
            return
        try:
            owner = (account.pw_uid, account.pw_gid) if account is not None else None
            self._cgroup_procs = cgroups.create(self.account_name(), limits, owner)
        except OSError as err:  # e.g. a v2 parent that holds processes cannot delegate controllers
            raise RuntimeError(
                f"无法为服务器设置资源限制 / Cannot set the server's resource limits: "
                f"{err.filename or cgroups.root}: {err.strerror}"
            ) from err

    async def progress(self):
        yield {"progress": 50, "message": "正在启动你的 JupyterLab / Starting your JupyterLab"}

    async def start(self):
        if self.isolated():
            self.log.warning(isolation_text(self.limits(), self.cgroups(), self.egress_closed))
        else:
            self.log.warning(LOCAL_MODE_WARNING)
        self.prepare_home()
        if not self.isolated():
            return await super().start()
        account = self.ensure_account()
        if self.egress_closed:
            allowed = tunnel.parse_allow(self.tunnel_allow) if self.tunnel_permitted() else ()
            await asyncio.to_thread(egress.limit, account.pw_uid, allowed)
        plain_env = {k: v for k, v in self.environment.items() if isinstance(v, str)}
        self.warn_if_closed(ServerSettings.from_env(plain_env).courses_dir)
        HOME_VIEWS.mkdir(mode=0o755, exist_ok=True)
        hidden = sorted({p for pattern in self.hidden_paths for p in glob.glob(pattern) if os.path.isdir(p)})
        plain_cmd = self.cmd
        as_account = [*system_accounts.drop_to(account), *MAKE_RUNTIME_DIR, *plain_cmd]
        self.cmd = system_accounts.in_own_mounts(Path(self.home_dir).resolve(), self.view(), as_account, hidden)
        self.enter_cgroup(account)
        try:
            return await super().start()
        finally:
            self.cmd = plain_cmd
            self._cgroup_procs = []

    def warn_if_closed(self, catalog: str) -> None:
        """The server copies tutorials from the catalog: say so in the log if its account cannot."""
        closed = system_accounts.closed_to_others(Path(catalog)) if catalog else None
        if closed is not None:
            self.log.warning(
                "The course catalog %s is not readable by the users' own accounts (%s is closed to other "
                "users): tutorials will not open. Let other users read the catalog (its source/ folders "
                "stay hidden from them).",
                catalog,
                closed,
            )

    async def stop(self, now=False):
        """Stop the server, then end every lab the user's kernels left on this machine: a lab holds
        network namespaces of the host, which outlive the server (in the container modes they go
        with the container). With own accounts, see run_post_stop_hook."""
        await super().stop(now=now)
        if self.isolated():
            return
        owner = registry.owner_for(self.user.name)
        if owner:
            removed = await asyncio.to_thread(registry.end_all, owner)
            if removed:
                self.log.info(
                    "Ended %s's labs with the server: %d network namespaces removed", self.user.name, len(removed)
                )

    @property
    def leftover_kind(self) -> str:
        """What end_leftovers counts, in the log of leftovers.sweep."""
        return "learner account(s)' processes" if self.isolated() else "learner(s)' labs"

    async def end_leftovers(self, used: set[str], running_users: set[str], idle_users: set[str]) -> int:
        """At hub start-up (leftovers.sweep): end what this hub's users without a running server
        left on this machine: with own accounts every process of their accounts, else their labs
        in the hub user's records. Only this hub's users: another hub's (or a test's) on the same
        machine are never touched. Returns how many users' leftovers were ended."""
        if self.isolated():
            busy = system_accounts.uids_with_processes()  # two hub users never share an account
            limited = await asyncio.to_thread(egress.limited_uids)
            idle = []
            for name in sorted(idle_users):
                try:
                    idle.append(pwd.getpwnam(system_accounts.account_name(ACCOUNT_PREFIX, name)))
                except KeyError:
                    continue  # never started here
            left = [account for account in idle if account.pw_uid in busy]
            ended = await asyncio.gather(*(asyncio.to_thread(system_accounts.end_processes_of, a, 0) for a in left))
            still = {account.pw_uid for account, gone in zip(left, ended, strict=True) if not gone}
            for account in idle:  # the firewall chains of servers that ended with a killed hub
                if account.pw_uid in limited and account.pw_uid not in still:
                    await asyncio.to_thread(egress.release, account.pw_uid)
            cgroups = self.cgroups()
            names = {system_accounts.account_name(ACCOUNT_PREFIX, n) for n in idle_users}
            swept = await asyncio.to_thread(cgroups.sweep, names) if cgroups.usable else 0
            if swept:
                self.log.info("Removed %d leftover cgroup(s) of servers that no longer run", swept)
            return len(left)
        recorded = {rec.owner for rec in registry.records()}
        owners = {registry.owner_for(n) for n in idle_users} - {registry.owner_for(n) for n in running_users}
        owners &= recorded
        for owner in sorted(owners):
            await asyncio.to_thread(registry.end_all, owner)
        return len(owners)

    async def run_post_stop_hook(self):
        """With own accounts: every process of the account ends with the server (its labs live in
        user namespaces the account owns). Here rather than in stop(), which the hub skips when the
        server has died by itself (killed, crashed)."""
        if self.isolated():
            try:
                account = pwd.getpwnam(self.account_name())
            except KeyError:
                account = None  # never started
            if account is not None:
                gone = await asyncio.to_thread(system_accounts.end_processes_of, account, LAB_GRACE)
                if gone:
                    await asyncio.to_thread(egress.release, account.pw_uid)
                cgroups = self.cgroups()
                if gone and cgroups.usable and not await asyncio.to_thread(cgroups.remove, account.pw_name):
                    self.log.warning("The cgroup of %s's server still has processes; left in place", self.user.name)
                self.log.info(
                    "Ended %s's server and labs (account %s): %s",
                    self.user.name,
                    account.pw_name,
                    "nothing left" if gone else "processes still left",
                )
        result = super().run_post_stop_hook()
        return await result if inspect.isawaitable(result) else result
