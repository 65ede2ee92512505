"""Apply a validated site config to a traitlets config object.

Each function only sets traits from the site config: no I/O, no processes, so the mapping
from YAML to JupyterHub settings is testable on a plain `Config()`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
from pathlib import Path

from traitlets.config import Config

from mnss_courses import bundle, formgrader
from mnss_courses.exchange import SERVICE_NAME as EXCHANGE
from mnss_courses.grading_settings import SITE_GRADEBOOK_ENV
from mnss_foundation import page_translation
from mnss_foundation.server_settings import ServerSettings

from . import (
    course_names,
    landing,
    people_pages,
    ports,
    record_pages,
    server_pages,
    sessions,
    tunnel_grant,
    tunnel_sessions,
)
from .people import directory as people_directory, site as people_site_db
from .portal import SETTINGS as PORTAL_SETTINGS, groups as portal_groups, handlers as portal_handlers
from .siteconfig import ConfigError
from .workbench import handlers as workbench_handlers

TEMPLATES = Path(__file__).parent / "templates"
LOGO = Path(__file__).parent / "static" / "logo.svg"
# Seconds the hub waits for each managed service it starts (JupyterHub's default is 30). The
# embedded default starts the exchange, the recommender and a dozen formgraders side by side; on
# two busy cores one of them can take longer, and the hub then refuses to start at all.
SERVICE_START_TIMEOUT = 180


def python_module(module: str) -> list[str]:
    """The start of a service's command: this Python running `module` under
    mnss_foundation.with_parent, so the service ends when the hub does, even on `kill -9`."""
    return [str(Path(sys.prefix) / "bin" / "python"), "-m", "mnss_foundation.with_parent", module]


def state_dir(site: dict) -> Path:
    return Path(site["hub"]["state_dir"])


def homes_dir(site: dict) -> Path:
    return Path(site["local"]["homes_dir"] or state_dir(site) / "homes")


def cookie_secret_file(site: dict) -> Path:
    return state_dir(site) / "jupyterhub_cookie_secret"


def pseudonym_key_file(site: dict) -> Path:
    return state_dir(site) / "login-pseudonym.key"


def certificate_key_file(site: dict) -> Path:
    return state_dir(site) / "certificate.key"


def secret_files(site: dict) -> list[Path]:
    """Files of the state folder that only the hub's user may read (mnss_hub.private_files)."""
    return [
        cookie_secret_file(site),
        accounts_service_token_file(site),
        portal_service_token_file(site),
        pseudonym_key_file(site),
        certificate_key_file(site),
    ]


def accounts_url(site: dict) -> str:
    """Where the password accounts, SSO links and login counters are: the people store's database."""
    return people_site_db.database_url(site)


def legacy_accounts_file(site: dict) -> Path:
    """The SQLite file earlier versions kept the accounts in; imported once, then renamed."""
    return state_dir(site) / "accounts.sqlite"


def public_url(site: dict) -> str:
    hub = site["hub"]
    return f"http://{hub['ip']}:{hub['port']}{hub['base_url']}"


CONTAINER_MODES = ("docker", "swarm")


def service_ip(site: dict) -> str:
    """Where the hub API and the services listen: loopback, or in the container modes the first
    address of the user network (the host's side of it), which containers reach and nothing else does."""
    if site["mode"] in CONTAINER_MODES:
        return str(next(ipaddress.IPv4Network(site["docker"]["subnet"]).hosts()))
    return "127.0.0.1"


def hub_db_url(site: dict) -> str:
    return site["hub"]["db_url"] or f"sqlite:///{state_dir(site) / 'jupyterhub.sqlite'}"


def apply_hub(c: Config, site: dict) -> None:
    hub, state = site["hub"], state_dir(site)
    c.JupyterHub.bind_url = public_url(site)
    c.JupyterHub.hub_ip = service_ip(site)
    c.JupyterHub.hub_port = hub["hub_port"]
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{hub['proxy_api_port']}"
    c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
    c.JupyterHub.db_url = hub_db_url(site)
    c.JupyterHub.cookie_secret_file = str(cookie_secret_file(site))
    # No cookie of the hub, a server or a service rides along on a request from another site.
    c.JupyterHub.tornado_settings = {
        **_already(c.JupyterHub, "tornado_settings", {}),
        "cookie_options": {"samesite": "Lax"},
    }
    c.JupyterHub.log_level = hub["log_level"]
    c.JupyterHub.template_paths = [str(TEMPLATES)]
    c.JupyterHub.logo_file = str(LOGO)
    c.JupyterHub.template_vars = {
        "mnss_mode": site["mode"],
        "mnss_default_language": hub["default_language"],
        "mnss_admin_translation": page_translation.script_tag(
            page_translation.load(TEMPLATES / "admin-text.json"), "#react-admin-hook"
        ),
    }


def _copy(c: Config, section: dict, traits: dict[str, str]) -> None:
    """Set each "Class.trait" of `traits` to the value of its key in `section`, unchanged."""
    for key, target in traits.items():
        cls, trait = target.split(".")
        c[cls][trait] = section[key]


# auth.lockout keys -> the traits they set.
LOCKOUT_TRAITS = {
    "after": "PasswordAuthenticator.lock_after",
    "seconds": "PasswordAuthenticator.lock_seconds",
    "free_failures": "PasswordAuthenticator.free_failures",
    "max_delay": "PasswordAuthenticator.max_delay",
    "address_after": "PasswordAuthenticator.address_lock_after",
}


def apply_auth(c: Config, site: dict) -> None:
    auth = site["auth"]
    if auth["type"] == "password":
        c.JupyterHub.authenticator_class = "mnss-password"
        c.PasswordAuthenticator.accounts_url = accounts_url(site)
        c.PasswordAuthenticator.legacy_accounts_file = str(legacy_accounts_file(site))
        c.PasswordAuthenticator.min_password_length = auth["min_password_length"]
        c.PasswordAuthenticator.pseudonym_key_file = str(pseudonym_key_file(site))
        _copy(c, auth["lockout"], LOCKOUT_TRAITS)
        c.PasswordAuthenticator.people_site = people_site(site)
        # Only invited accounts exist in the store, so every authenticated name is allowed.
        c.Authenticator.allow_all = True
        # Each request re-checks the account (at most once a second per user): a disabled or
        # reset account's browser sessions end at once.
        c.Authenticator.auth_refresh_age = 1
    elif auth["type"] == "oidc":
        apply_oidc(c, site)
    c.JupyterHub.template_vars = {
        **_already(c.JupyterHub, "template_vars", {}),
        "mnss_people_pages": True,
        # called with the user on each page: also those granted one since the hub started
        "mnss_institution_admins": people_pages.InstitutionAdminNames(site),
    }
    c.Authenticator.admin_users = set(site["hub"]["admin_users"])
    c.JupyterHub.default_url = landing.after_login  # admins are not given a lab they did not ask for


def people_site(site: dict) -> dict:
    """What the people pages need of the site config; institution admins must name an institution
    of the directory (a typo would give someone pages that show nothing, or the wrong hospital)."""
    accounts = site["accounts"]
    institutions = people_directory.load(accounts["directory_file"] or None).institutions
    wrong = [
        f"accounts.institution_admins.{name}: {inst!r} is not an institution of the directory"
        for name, inst in accounts["institution_admins"].items()
        if inst not in institutions
    ]
    if wrong:
        raise ConfigError("(accounts)", wrong)
    return {"hub": site["hub"], "accounts": accounts}


OIDC_AUTHENTICATOR = "mnss_hub.sso.OIDCAuthenticator"


def apply_oidc(c: Config, site: dict) -> None:
    """auth.type oidc: institutional sign-in (mnss_hub.sso); the client secret stays in its file or
    the environment, read by the authenticator, never copied into the config."""
    oidc = site["auth"]["oidc"]
    missing = [
        f"auth.oidc.{key}: empty; required when auth.type is oidc" for key in ("issuer", "client_id") if not oidc[key]
    ]
    if "openid" not in oidc["scopes"]:
        missing.append(f"auth.oidc.scopes: {oidc['scopes']!r} lacks 'openid'")
    if missing:
        raise ConfigError("(auth)", missing)
    c.JupyterHub.authenticator_class = OIDC_AUTHENTICATOR
    a = c.OIDCAuthenticator
    a.issuer, a.discovery, a.client_id = oidc["issuer"], oidc["discovery"], oidc["client_id"]
    a.authorize_url, a.token_url, a.userdata_url = oidc["authorize_url"], oidc["token_url"], oidc["userinfo_url"]
    a.jwks_url, a.end_session_url, a.oauth_callback_url = (
        oidc["jwks_url"],
        oidc["end_session_url"],
        oidc["callback_url"],
    )
    a.client_secret_file = oidc["client_secret_file"]
    a.scope = oidc["scopes"]
    a.identity_claim = oidc["identity_claim"]
    a.login_service = oidc["display_name"]
    a.link_by_preferred_username = oidc["link_by_preferred_username"]
    a.accounts_url = accounts_url(site)
    a.legacy_accounts_file = str(legacy_accounts_file(site))
    # Real-name registration through an invitation for a first SSO login, and the people admin pages.
    a.people_site = people_site(site)
    # Only linked identities get a name at all (mnss_hub.sso), so every name that comes back is allowed.
    a.allow_all = True


# spawn keys -> the traits they set (concurrent_spawn_limit: see concurrent_spawn_limit()).
SPAWN_TRAITS = {
    "active_server_limit": "JupyterHub.active_server_limit",
    "start_timeout": "Spawner.start_timeout",
    "http_timeout": "Spawner.http_timeout",
    "default_url": "Spawner.default_url",
    "max_topology_nodes": "LabServerSettings.max_topology_nodes",
    "max_topology_links": "LabServerSettings.max_topology_links",
    "lab_pids_limit": "LabServerSettings.lab_pids_limit",
}


# spawn.concurrent_spawn_limit 0 (automatic) where servers start on the hub's machine: a start
# costs that machine about a second of CPU, and past a few at once per core every start only gets
# slower, until some exceed spawn.start_timeout. benchmarks/classroom.py, a class of 100 on
# 2 cores: 6 failed starts with 20 at once, none with 8; the others wait for their turn (429).
SPAWNS_PER_CORE = 4
SPAWN_LIMIT_MAX = 20


def concurrent_spawn_limit(site: dict, cores: int | None = None) -> int:
    """The spawns the hub lets run at once: the site's number, or when it is 0 one that fits the
    cores starting the servers (the hub's machine's, unless swarm mode starts them elsewhere)."""
    chosen = site["spawn"]["concurrent_spawn_limit"]
    if chosen:
        return chosen
    if site["mode"] == "swarm":
        return SPAWN_LIMIT_MAX
    cores = cores or len(os.sched_getaffinity(0))
    return min(SPAWN_LIMIT_MAX, SPAWNS_PER_CORE * cores)


def apply_spawn_limits(c: Config, site: dict) -> None:
    _copy(c, site["spawn"], SPAWN_TRAITS)
    c.JupyterHub.concurrent_spawn_limit = concurrent_spawn_limit(site)
    c.LabServerSettings.lab_mem_limit = byte_size(site["spawn"]["lab_mem_limit"])
    c.LabServerSettings.default_language = site["hub"]["default_language"]


# JupyterHub's default scopes of a server's $JUPYTERHUB_API_TOKEN (its 'server' role)
SERVER_TOKEN_SCOPES = ["users:activity!user", "access:servers!server"]


def add_server_token_scopes(c: Config, *scopes: str) -> None:
    """Ask for `scopes` in every server's $JUPYTERHUB_API_TOKEN too; the hub grants each server only
    those its owner holds."""
    c.Spawner.server_token_scopes = [*_already(c.Spawner, "server_token_scopes", SERVER_TOKEN_SCOPES), *scopes]


def apply_tunnel(c: Config, site: dict) -> None:
    """The virtual-real tunnel: whom the spawners tell, and what (tunnel_grant)."""
    tunnel = site["tunnel"]
    c.LabServerSettings.tunnel_enabled = tunnel["enabled"]
    c.LabServerSettings.tunnel_users = list(tunnel["users"])
    c.LabServerSettings.tunnel_courses = list(tunnel["courses"])
    c.LabServerSettings.tunnel_allow = tunnel_grant.allow_text(tunnel["allow"])
    c.LabServerSettings.tunnel_rate_mbit = float(tunnel["rate_mbit"])
    c.LabServerSettings.tunnel_audit_log = tunnel["audit_log"]
    if not tunnel["enabled"]:
        return
    # Every session goes to the hub's audit log (tunnel_sessions): the permitted users hold the
    # scope to report one, and every server's token asks for it (the hub keeps it for them only).
    c.JupyterHub.custom_scopes = {
        **_already(c.JupyterHub, "custom_scopes", {}),
        tunnel_sessions.SCOPE: {"description": "Report a session of the virtual-real tunnel to the audit log"},
    }
    c.JupyterHub.load_roles = [
        *_already(c.JupyterHub, "load_roles", []),
        {
            "name": "mnss-tunnel",
            "description": "Users the site lets use the virtual-real tunnel: report its sessions",
            "scopes": [tunnel_sessions.SCOPE],
            "users": sorted(tunnel["users"]),
            "groups": sorted(tunnel_grant.course_groups(tunnel["courses"])),
        },
    ]
    add_server_token_scopes(c, tunnel_sessions.SCOPE)
    c.JupyterHub.extra_handlers = [*_already(c.JupyterHub, "extra_handlers", []), *tunnel_sessions.handlers()]


def byte_size(text: str) -> int:
    """Bytes of a memory size as the site config writes it ('2G', '1536M'), the way JupyterHub
    reads a spawner's mem_limit."""
    from jupyterhub.traitlets import ByteSpecification

    return int(ByteSpecification().validate(None, text))


def apply_local_mode(c: Config, site: dict) -> None:
    c.JupyterHub.spawner_class = "mnss-local"
    c.LocalLabSpawner.homes_dir = str(homes_dir(site))
    c.LocalLabSpawner.own_accounts = site["local"]["own_accounts"]
    # with own accounts, each server, its kernels and labs share one cgroup with these limits
    c.LocalLabSpawner.pids_limit = site["local"]["pids_limit"]
    c.LocalLabSpawner.mem_limit = site["local"]["mem_limit"]
    # what they reach beyond this machine: nothing but their tunnel destinations (egress.py)
    c.LocalLabSpawner.egress_closed = site["local"]["egress"] == "closed"
    # Each server runs as its own account when the hub is root (spawners.LocalLabSpawner); the
    # course sources it could otherwise read in the catalog (with their hidden tests) are hidden.
    catalogs = [Path(site["courses"]["catalog"])] if site["courses"]["catalog"] else bundle.installed_catalogs()
    c.LocalLabSpawner.hidden_paths = sorted({str(p.resolve() / "*" / "source") for p in catalogs})
    c.JupyterHub.template_vars = {
        **_already(c.JupyterHub, "template_vars", {}),
        # the spawner's own accounts need the hub to run as root
        "mnss_local_isolated": site["local"]["own_accounts"] and os.geteuid() == 0,
    }
    c.LocalLabSpawner.cmd = [str(Path(sys.prefix) / "bin" / "jupyterhub-singleuser")]


def _container_settings(c: Config, site: dict, section: str) -> None:
    """What the docker and swarm modes share (see docker_spawner for the privilege design).

    Servers and their routes outlive a hub restart: the hub does not stop them when it exits,
    and on start it polls each one, so a container that died meanwhile shows as stopped.
    """
    docker, settings = site["docker"], c[section]
    c.JupyterHub.cleanup_servers = False
    settings.image = docker["image"]
    # The default image is always allowed; with others listed, the spawn page offers a choice.
    settings.allowed_images = [docker["image"], *docker["allowed_images"]] if docker["allowed_images"] else []
    settings.network_name = docker["network"]
    settings.use_internal_ip = True
    settings.mem_limit = docker["mem_limit"]
    settings.cpu_limit = float(docker["cpu_limit"])
    settings.pids_limit = docker["pids_limit"]
    settings.volume_name = docker["volume_name"]


def apply_docker_mode(c: Config, site: dict) -> None:
    """One container per user on this machine's Docker engine."""
    c.JupyterHub.spawner_class = "mnss-docker"
    _container_settings(c, site, "DockerLabSpawner")
    c.DockerLabSpawner.pull_policy = "never"  # images are built or loaded by the site, never fetched at spawn
    # beyond this host, a container reaches only its user's tunnel destinations (egress.py)
    c.DockerLabSpawner.egress_closed = site["docker"]["egress"] == "closed"


def apply_swarm_mode(c: Config, site: dict) -> None:
    """The docker mode's settings, as one Swarm service per user."""
    c.JupyterHub.spawner_class = "mnss-swarm"
    _container_settings(c, site, "SwarmLabSpawner")
    c.SwarmLabSpawner.egress_closed = False  # a service's address is not known to this host's firewall
    if site["swarm"]["constraints"]:
        c.SwarmLabSpawner.extra_placement_spec = {"constraints": site["swarm"]["constraints"]}


def exchange_dir(site: dict) -> Path:
    return Path(site["courses"]["exchange_dir"] or state_dir(site) / "exchange")


def exchange_url(site: dict) -> str:
    """Where servers reach the exchange: straight on the service address, under its hub prefix."""
    return f"http://{service_ip(site)}:{site['courses']['exchange_port']}{site['hub']['base_url']}services/{EXCHANGE}/"


def course_members(site: dict) -> dict[str, dict]:
    """course id -> {instructors, learners}; a course listed twice is an error, not a merge."""
    members, problems = {}, []
    for i, entry in enumerate(site["courses"]["members"]):
        if entry["course"] in members:
            problems.append(f"courses.members.{i}.course: {entry['course']!r} is listed more than once")
        members[entry["course"]] = {"instructors": entry.get("instructors", []), "learners": entry.get("learners", [])}
    if problems:
        raise ConfigError("(courses)", problems)
    return members


def _already(section: Config, key: str, empty):
    """What another apply step set for `key` (services, roles, ...), so this one adds, not replaces."""
    value = dict.get(section, key)
    return value if isinstance(value, type(empty)) else empty


def apply_courses(c: Config, site: dict) -> None:
    """Groups per course, the exchange service, and the fewest scopes that make it work.

    - The service's role may only read group membership of users in the course groups.
    - Every user (and their server's token) may access the service; what they may do there
      is decided by the service from their groups.
    - An instructor's role reads only their own course's groups (the roster), never admin.
    """
    courses = site["courses"]
    if not courses["enabled"]:
        return
    members = course_members(site)
    groups = {}
    for cid, people in members.items():
        groups[f"{cid}-instructors"] = {"users": sorted(people["instructors"])}
        groups[f"{cid}-learners"] = {"users": sorted(people["learners"])}
    c.JupyterHub.load_groups = {**_already(c.JupyterHub, "load_groups", {}), **groups}
    command = [
        *python_module("mnss_courses.exchange"),
        f"--ExchangeService.storage_root={exchange_dir(site)}",
        f"--ExchangeService.max_upload_bytes={courses['max_upload_mb'] * 1024 * 1024}",
        *(f"--ExchangeService.courses={cid}" for cid in members),
    ]
    if courses["catalog"]:
        command.append(f"--ExchangeService.catalog_dir={courses['catalog']}")
    c.JupyterHub.services = [
        *_already(c.JupyterHub, "services", []),
        {
            "name": EXCHANGE,
            "url": f"http://{service_ip(site)}:{courses['exchange_port']}",
            "command": command,
            "display": False,
            "timeout": SERVICE_START_TIMEOUT,
        },
    ]
    c.JupyterHub.load_roles = [
        *_already(c.JupyterHub, "load_roles", []),
        {
            "name": EXCHANGE,
            "description": "mnss-exchange: read course group membership",
            "scopes": [f"read:users:groups!group={g}" for g in groups],
            "services": [EXCHANGE],
        },
        *(
            {
                "name": f"mnss-instructor-{cid}",
                "description": f"Instructors of {cid}: read the course roster",
                "scopes": [f"read:groups!group={cid}-learners", f"read:groups!group={cid}-instructors"],
                "groups": [f"{cid}-instructors"],
            }
            for cid in members
        ),
    ]
    apply_formgraders(c, site, sorted(members))
    access = f"access:services!service={EXCHANGE}"
    c.JupyterHub.extra_user_scopes = [*_already(c.JupyterHub, "extra_user_scopes", []), access]
    # The server's $JUPYTERHUB_API_TOKEN: JupyterHub's default 'server' scopes plus the exchange.
    add_server_token_scopes(c, access)
    c.LabServerSettings.exchange_url = exchange_url(site)


def apply_formgraders(c: Config, site: dict, courses: list[str]) -> None:
    """nbgrader's multi-course pattern: a formgrader service per course (the i-th course's on
    exchange_port + 10 + i), course root state_dir/grading/<course>; only the course's
    instructors group gets `access:services!service=formgrader-<course>`."""
    base = site["courses"]["exchange_port"] + 10
    services, roles, urls = [], [], {}
    # in the environment, not a file or the command line that other accounts can read
    gradebook = {SITE_GRADEBOOK_ENV: site["courses"]["gradebook_url"]} if site["courses"]["gradebook_url"] else {}
    for i, cid in enumerate(courses):
        name = formgrader.service_name(cid)
        # on the address containers reach, as the exchange: the instructor's `mnss course grade`
        # in her container asks the formgrader to grade (no grading box can be built there)
        url = f"http://{service_ip(site)}:{base + i}"
        urls[cid] = f"{url}{site['hub']['base_url']}services/{name}/"
        command = [
            *python_module("mnss_courses.formgrader"),
            cid,
            str(state_dir(site) / "grading" / cid),
            *([site["courses"]["catalog"]] if site["courses"]["catalog"] else []),
        ]
        services.append(
            {
                "name": name,
                "url": url,
                "command": command,
                "oauth_no_confirm": True,
                "display": True,
                "timeout": SERVICE_START_TIMEOUT,
                "environment": {
                    **ServerSettings(
                        exchange_url=exchange_url(site), lab_language=site["hub"]["default_language"]
                    ).to_env(),
                    **gradebook,
                },
            }
        )
        roles.append(
            {
                "name": f"mnss-{name}",
                "description": f"Instructors of {cid}: its formgrader",
                "scopes": [f"access:services!service={name}"],
                "groups": [f"{cid}-instructors"],
            }
        )
        # The formgrader's own token reaches the exchange, which lets it act for this course only,
        # and reads the real names of the course's learners (course_names.py).
        roles.append(
            {
                "name": f"mnss-{name}-exchange",
                "description": f"The formgrader of {cid}: use the exchange, name its learners",
                "scopes": [f"access:services!service={EXCHANGE}", f"read:groups!group={cid}-learners"],
                "services": [name],
            }
        )
    c.JupyterHub.services = [*_already(c.JupyterHub, "services", []), *services]
    c.JupyterHub.load_roles = [*_already(c.JupyterHub, "load_roles", []), *roles]
    c.JupyterHub.extra_handlers = [*_already(c.JupyterHub, "extra_handlers", []), *course_names.handlers()]
    # The server's token may reach a formgrader only where its owner may: the hub keeps the
    # requested scopes its owner holds, so an instructor's server reaches her courses' formgraders
    # and a learner's none.
    access = [f"access:services!service={formgrader.service_name(cid)}" for cid in courses]
    add_server_token_scopes(c, *access)
    c.LabServerSettings.formgrader_urls = urls
    # the hub home links each instructor to the formgraders they may open (the hub filters by scope),
    # named by the course's title as the portal names it
    catalog = bundle.load_catalog(site["courses"]["catalog"]) if site["courses"]["catalog"] else {}
    c.JupyterHub.template_vars = {
        **_already(c.JupyterHub, "template_vars", {}),
        "course_formgraders": {
            formgrader.service_name(cid): {"id": cid, **(catalog[cid].meta["title"] if cid in catalog else {})}
            for cid in courses
        },
    }


RECOMMENDER = "mnss-recommender"


def recommender_url(site: dict) -> str:
    return f"http://{service_ip(site)}:{site['recommender']['port']}{site['hub']['base_url']}services/{RECOMMENDER}/"


def apply_recommender(c: Config, site: dict) -> None:
    """The recommender service; every user and server token may reach it, nothing more.

    The service needs no hub scopes of its own for learners: it learns who is asking from their
    token. Servers get the URL and send events with their own token (see extensions/mnss_activity).
    """
    rec = site["recommender"]
    if not rec["enabled"]:
        return
    catalog = rec["catalog"] or site["courses"]["catalog"]
    if not catalog:
        raise ConfigError(
            "(recommender)",
            [
                "recommender.catalog: empty, and so is courses.catalog; "
                "the recommender needs the folder of course bundles"
            ],
        )
    state = state_dir(site)
    db_url = rec["db_url"] or f"sqlite:///{state / 'recommender.sqlite'}"
    c.JupyterHub.services = [
        *_already(c.JupyterHub, "services", []),
        {
            "name": RECOMMENDER,
            "url": f"http://{service_ip(site)}:{rec['port']}",
            "oauth_no_confirm": True,
            "display": False,
            "timeout": SERVICE_START_TIMEOUT,
            "command": [
                *python_module("mnss_recommender.service"),
                f"--courses={catalog}",
                f"--key-file={state / 'recommender.key'}",
                f"--retrain-seconds={rec['retrain_seconds']}",
                f"--tune-seconds={rec['tune_seconds']}",
                "--RecommenderService.log_level=INFO",  # one line per retrain: events, how it was tuned
            ],
            "environment": {
                "OPENBLAS_NUM_THREADS": "1",  # one recommendation must not wait on a thread pool
                # not on the command line, which every local account can read (a password in it)
                "MNSS_RECOMMENDER_DB_URL": db_url,
            },
        },
    ]
    access = f"access:services!service={RECOMMENDER}"
    c.JupyterHub.extra_user_scopes = [*_already(c.JupyterHub, "extra_user_scopes", []), access]
    add_server_token_scopes(c, access)
    settings = ServerSettings(recommender_url=recommender_url(site), activity_flush_seconds=rec["flush_seconds"])
    c.Spawner.environment = {**_already(c.Spawner, "environment", {}), **settings.to_env()}


def apply_record(c: Config, site: dict) -> None:
    """The learning record pages (/hub/record, /hub/record/institution); they read the record from
    the recommender, so they come with it."""
    if not site["recommender"]["enabled"]:
        return
    source = record_pages.RecordSource(
        api_url=recommender_url(site),
        service=RECOMMENDER,
        key_file=str(certificate_key_file(site)),
        exchange_dir=str(exchange_dir(site)) if site["courses"]["enabled"] else "",
    )
    c.JupyterHub.extra_handlers = [*_already(c.JupyterHub, "extra_handlers", []), *record_pages.handlers(source)]
    c.JupyterHub.template_vars = {**_already(c.JupyterHub, "template_vars", {}), "mnss_record": True}


CULLER = "idle-culler"


def apply_culler(c: Config, site: dict) -> None:
    """jupyterhub-idle-culler with only the scopes it needs to see activity and stop servers.

    Servers report activity every `activity_interval`; a running emulation counts as activity
    (extensions/mnss_activity), so a lab in the middle of a measurement is never culled.
    """
    culler = site["culler"]
    if not culler["enabled"]:
        return
    c.JupyterHub.services = [
        *_already(c.JupyterHub, "services", []),
        {
            "name": CULLER,
            "display": False,
            "command": [
                *python_module("jupyterhub_idle_culler"),
                f"--timeout={culler['timeout']}",
                f"--cull-every={culler['every']}",
            ],
        },
    ]
    c.JupyterHub.load_roles = [
        *_already(c.JupyterHub, "load_roles", []),
        {
            "name": CULLER,
            "description": "Stop idle servers",
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": [CULLER],
        },
    ]
    c.Spawner.environment = {
        **_already(c.Spawner, "environment", {}),
        "JUPYTERHUB_ACTIVITY_INTERVAL": str(culler["activity_interval"]),
    }


MODES = {"local": apply_local_mode, "docker": apply_docker_mode, "swarm": apply_swarm_mode}


def accounts_service_token_file(site: dict) -> Path:
    return state_dir(site) / "accounts-service-token"


def apply_accounts_service(c: Config, token: str) -> None:
    """A token-only service with which `mnss-hub disable-user`/`remove-user` end a running
    hub's sessions of an account (`mnss-hub run` keeps its token in a 0600 file of the state dir
    and hands it over in $MNSS_ACCOUNTS_SERVICE_TOKEN)."""
    if not token:
        return
    c.JupyterHub.services = [
        *_already(c.JupyterHub, "services", []),
        {
            "name": sessions.SERVICE,
            "display": False,
            "api_token": token,
        },
    ]
    c.JupyterHub.load_roles = [
        *_already(c.JupyterHub, "load_roles", []),
        {
            "name": sessions.SERVICE,
            "description": "End a disabled or removed account's server and tokens",
            "scopes": sessions.SCOPES,
            "services": [sessions.SERVICE],
        },
    ]


def apply_portal(c: Config, site: dict, token: str) -> None:
    """The portal pages (/hub/portal, mnss_hub.portal) when courses are served: their handlers,
    their settings, and the token-only `mnss-portal` service with which they change course groups
    (`mnss-hub run` hands its token over in $MNSS_PORTAL_SERVICE_TOKEN, like the accounts one)."""
    if not site["courses"]["enabled"]:
        return
    courses = sorted(course_members(site))
    c.JupyterHub.extra_handlers = [*_already(c.JupyterHub, "extra_handlers", []), *portal_handlers.handlers()]
    c.JupyterHub.tornado_settings = {
        **_already(c.JupyterHub, "tornado_settings", {}),
        PORTAL_SETTINGS: {
            "catalog": site["courses"]["catalog"],
            "exchange_dir": str(exchange_dir(site)),
            "courses": courses,
            "recommender_url": recommender_url(site) if site["recommender"]["enabled"] else "",
            "recommender_service": RECOMMENDER,
        },
    }
    c.JupyterHub.template_vars = {**_already(c.JupyterHub, "template_vars", {}), "mnss_portal": True}
    # the server's one-click helper copies tutorials from here (the image keeps its copy in /opt/mnss)
    catalog = site["courses"]["catalog"] if site["mode"] == "local" else "/opt/mnss/courses"
    c.Spawner.environment = {**_already(c.Spawner, "environment", {}), **ServerSettings(courses_dir=catalog).to_env()}
    if not token:
        return
    c.JupyterHub.services = [
        *_already(c.JupyterHub, "services", []),
        {"name": portal_groups.SERVICE, "display": False, "api_token": token},
    ]
    c.JupyterHub.load_roles = [
        *_already(c.JupyterHub, "load_roles", []),
        {
            "name": portal_groups.SERVICE,
            "description": "The portal: enrol learners in the course groups",
            "scopes": portal_groups.scopes(courses),
            "services": [portal_groups.SERVICE],
        },
    ]


def portal_service_token_file(site: dict) -> Path:
    return state_dir(site) / "portal-service-token"


def apply_cookie_options(c: Config) -> None:
    """Services set their own cookies (HubOAuth, which reads its options from the environment):
    give them the hub's options too (SameSite). Servers get them from the hub itself."""
    options = json.dumps(c.JupyterHub.tornado_settings["cookie_options"])
    for service in _already(c.JupyterHub, "services", []):
        if "url" in service:
            service["environment"] = {**service.get("environment", {}), "JUPYTERHUB_COOKIE_OPTIONS": options}


def apply_workbench(c: Config) -> None:
    """The research and engineering pages (/hub/research, /hub/engineering): the experiment
    catalogue, the component library and topology uploads; they need only the engine, so they
    are always on."""
    c.JupyterHub.extra_handlers = [*_already(c.JupyterHub, "extra_handlers", []), *workbench_handlers.handlers()]
    c.JupyterHub.template_vars = {**_already(c.JupyterHub, "template_vars", {}), "mnss_workbench": True}


def apply_server_pages(c: Config, site: dict) -> None:
    """/hub/mnss-admin/servers: stop a server, asked first when a lab would end with it (the hub
    sees the labs itself only in local mode)."""
    pages = server_pages.handlers(labs_visible=site["mode"] == "local")
    c.JupyterHub.extra_handlers = [*_already(c.JupyterHub, "extra_handlers", []), *pages]


def apply_site_config(c: Config, site: dict) -> None:
    """Set every JupyterHub trait the site config decides."""
    apply_hub(c, site)
    apply_auth(c, site)
    apply_spawn_limits(c, site)
    apply_tunnel(c, site)
    MODES[site["mode"]](c, site)
    apply_courses(c, site)
    apply_recommender(c, site)
    apply_record(c, site)
    apply_culler(c, site)
    apply_accounts_service(c, os.environ.get(sessions.TOKEN_ENV, ""))
    apply_portal(c, site, os.environ.get(portal_groups.TOKEN_ENV, ""))
    apply_workbench(c)
    apply_server_pages(c, site)
    apply_cookie_options(c)
    clashing = ports.clashes(c)
    if clashing:
        raise ConfigError("(ports)", clashing)


def extra_config_files(site: dict) -> list[Path]:
    """The jupyterhub_config.d/*.py files to load after the site config, in name order."""
    folder = site["hub"]["extra_config_dir"]
    return sorted(Path(folder).glob("*.py")) if folder else []
