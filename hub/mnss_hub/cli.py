"""`mnss-hub`: check the site config, manage accounts, and run the hub on it."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from traitlets.config import Config

from mnss_foundation import schemadoc, system_accounts
from mnss_foundation.files import write_atomic

from . import account_site, apply, private_files, sessions, siteconfig, sso_cli
from .accounts import AccountError, AccountStore, generate_password
from .people import cli as people_cli
from .portal import groups as portal_groups
from .pseudonym import load_or_create_key
from .server_cgroups import Limits, ServerCgroups
from .spawners import LOCAL_MODE_WARNING, isolation_text
from .sso_links import LinkError


def _load(args) -> tuple[Path | None, dict]:
    path = siteconfig.resolve_path(args.config)
    return path, siteconfig.load(path)


def _store(site: dict) -> AccountStore:
    return account_site.open_accounts(site)


def prepare_state_dir(site: dict) -> None:
    for folder in (apply.state_dir(site), apply.homes_dir(site)):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)


INITIAL_PASSWORD_FILE = "initial-admin-password"


def initial_password_file(site: dict) -> Path:
    return apply.state_dir(site) / INITIAL_PASSWORD_FILE


def own_mounts_refused(site: dict) -> str | None:
    """Each course's formgrader, and in local mode each learner's server, runs as an account of its
    own in a private mount namespace when the hub is root; a machine that refuses those namespaces
    would only fail each start later, one by one, so say why before the hub starts."""
    courses = site["courses"]["enabled"]
    learners = site["mode"] == "local" and site["local"]["own_accounts"]
    if os.geteuid() != 0 or not (courses or learners):
        return None
    refusal = system_accounts.mount_namespace_refusal()
    if refusal is None:
        return None
    fallback = "，或在站点配置中设 local.own_accounts: false（学员之间不再隔离）" if learners else ""
    fallback_en = ", or set local.own_accounts: false (learners are then not isolated)" if learners else ""
    return (
        f"本机不允许私有挂载命名空间（unshare --mount：{refusal}），而批改服务和学员服务器要以各自的账户在其中运行。"
        f"请在允许它的主机或虚拟机上运行（容器需要 CAP_SYS_ADMIN）{fallback}。 / "
        f"This machine refuses private mount namespaces (unshare --mount: {refusal}), in which the formgraders "
        f"and learners' servers run as accounts of their own. Run on a host or VM that allows them "
        f"(a container needs CAP_SYS_ADMIN){fallback_en}."
    )


def ensure_admins(site: dict, out=sys.stdout) -> None:
    """Create missing admin accounts. A generated password never goes to the log (stdout is the
    hub's log under a service manager): it is written to a 0600 file in the state dir (one line
    `name password` per account created), and also shown on the terminal when stdout is one."""
    store = _store(site)
    generated = []
    for name in site["hub"]["admin_users"]:
        if store.exists(name):
            continue
        given = site["auth"]["initial_admin_password"]
        password = given or generate_password()
        store.create(name, password, must_change=not given)
        if given:
            print(f"Created admin account '{name}' with the password from the site config.", file=out)
        else:
            generated.append((name, password))
    if not generated:
        return
    path = initial_password_file(site)
    write_atomic(path, "".join(f"{name} {password}\n" for name, password in generated))
    terminal = out.isatty()
    for name, password in generated:
        print(
            f"Created admin account '{name}'. Its one-time password is in {path} (readable by its owner only).",
            file=out,
        )
        if terminal:
            print(f"One-time password of '{name}' (shown only now): {password}", file=out)
    print("Change it after the first login at /hub/change-password, then delete that file.", file=out)


def check_applies(site: dict) -> None:
    """Apply the site config to a throwaway Config: raises ConfigError for what only shows when
    applied (clashing ports, a recommender without a catalog, ...); changes nothing anywhere."""
    apply.apply_site_config(Config(), site)


# Where `run` looks for jupyterhub_config.py when not told: the current folder, the checkout this
# package runs from, then the copy a wheel installs under <prefix>/share/mnss.
CHECKOUT_HUB_CONFIG = Path(__file__).resolve().parents[2] / "jupyterhub_config.py"
INSTALLED_HUB_CONFIG = Path(sys.prefix) / "share" / "mnss" / "jupyterhub_config.py"


def find_hub_config(explicit: str | None) -> tuple[Path | None, list[Path]]:
    """(the jupyterhub_config.py to use or None, the paths looked at)."""
    candidates = (
        [Path(explicit)]
        if explicit
        else [Path.cwd() / "jupyterhub_config.py", CHECKOUT_HUB_CONFIG, INSTALLED_HUB_CONFIG]
    )
    found = next((p.resolve() for p in candidates if p.is_file()), None)
    return found, candidates


def cmd_check_config(args) -> int:
    path, site = _load(args)
    check_applies(site)
    engine = ""
    if site["mode"] in apply.CONTAINER_MODES:
        from . import dockerhost  # the docker client library is needed in the container modes only

        client = dockerhost.connect()
        problems = dockerhost.check(site, client)  # read-only: `run` creates what is missing
        if problems:
            raise siteconfig.ConfigError("(docker)", problems)
        engine = "\n" + dockerhost.describe(site, client)
    print(f"OK: {path or '(embedded defaults)'} is valid; mode={site['mode']}, url={apply.public_url(site)}{engine}")
    return 0


def cmd_config_docs(args) -> int:
    table = schemadoc.reference(siteconfig.schema()) + "\n"
    return schemadoc.print_or_replace(args.readme, "config-reference", table, "mnss-hub", "the config reference")


def cmd_add_user(args) -> int:
    _, site = _load(args)
    prepare_state_dir(site)
    password = generate_password()
    _store(site).create(args.name, password, must_change=True)
    print(f"Created account '{args.name}'. One-time password (shown only now): {password}")
    return 0


def cmd_reset_password(args) -> int:
    _, site = _load(args)
    password = generate_password()
    _store(site).set_password(args.name, password, must_change=True)
    print(f"New one-time password for '{args.name}' (shown only now): {password}")
    _end_sessions(site, args.name, remove=False)
    return 0


def _end_sessions(site: dict, name: str, remove: bool) -> None:
    """Stop the account's server and revoke its tokens in the running hub, if one runs."""
    token_file = apply.accounts_service_token_file(site)
    api = f"http://{apply.service_ip(site)}:{site['hub']['hub_port']}{site['hub']['base_url']}hub/api/"
    if not token_file.exists():
        print("The hub has not been started with this state dir: no server or token to end.")
        return
    hub = sessions.AccountSessions(api, load_or_create_key(token_file).hex())
    try:
        if remove:
            hub.remove(name)
            print(f"Removed '{name}' from the running hub (server, tokens and groups).")
        else:
            ended = hub.end(name)
            print(
                f"In the running hub: server {'stopped' if ended.server_stopped else 'not running'}, "
                f"{ended.tokens_revoked} token(s) revoked; browser sessions end at their next request."
            )
    except sessions.HubUnreachable:
        print(
            "The hub is not running: its browser sessions and tokens of this account can't be used "
            "after it starts (sessions are checked against the account). Run the command again "
            "with the hub up to revoke the stored tokens."
        )


def cmd_disable_user(args) -> int:
    _, site = _load(args)
    _store(site).set_disabled(args.name, True)
    print(f"Disabled account '{args.name}'.")
    _end_sessions(site, args.name, remove=False)
    return 0


def cmd_enable_user(args) -> int:
    _, site = _load(args)
    _store(site).set_disabled(args.name, False)
    print(f"Enabled account '{args.name}'.")
    return 0


def cmd_remove_user(args) -> int:
    _, site = _load(args)
    _store(site).remove(args.name)
    print(f"Removed account '{args.name}'.")
    _end_sessions(site, args.name, remove=True)
    return 0


def cmd_sso(args) -> int:
    _, site = _load(args)
    return args.sso_func(args, site)


def cmd_run(args) -> int:
    path, site = _load(args)
    check_applies(site)  # before the state dir, admin accounts or containers are touched
    hub_config, looked = find_hub_config(args.jupyterhub_config)
    if hub_config is None:
        where = ", ".join(str(p) for p in looked)
        print(
            f"mnss-hub: jupyterhub_config.py not found (looked at {where}); pass --jupyterhub-config", file=sys.stderr
        )
        return 2
    exposed = private_files.exposed(apply.secret_files(site))
    if exposed:
        print("mnss-hub: refusing to start / 拒绝启动:\n  " + "\n  ".join(exposed), file=sys.stderr)
        return 2
    prepare_state_dir(site)
    if site["mode"] in apply.CONTAINER_MODES:
        from . import dockerhost  # the docker client library is needed in the container modes only

        dockerhost.prepare(site)
    ensure_admins(site)
    refused = own_mounts_refused(site)
    if refused:
        print(f"mnss-hub: refusing to start / 拒绝启动: {refused}", file=sys.stderr)
        return 2
    if site["mode"] == "local":
        isolated = site["local"]["own_accounts"] and os.geteuid() == 0
        if isolated:
            limits = Limits(site["local"]["pids_limit"], apply.byte_size(site["local"]["mem_limit"]))
            print(f"NOTE: {isolation_text(limits, ServerCgroups())}")
        else:
            print(f"WARNING: {LOCAL_MODE_WARNING}")
    print(f"MNSS Lab is starting: log in at {apply.public_url(site)}hub/login", flush=True)
    print("(the services take a minute or two to start; until then that page says so and reloads itself)", flush=True)
    env = dict(os.environ)
    env[sessions.TOKEN_ENV] = load_or_create_key(apply.accounts_service_token_file(site)).hex()
    env[portal_groups.TOKEN_ENV] = load_or_create_key(apply.portal_service_token_file(site)).hex()
    if path:
        env[siteconfig.ENV_VAR] = str(path)
    python = Path(sys.prefix) / "bin" / "python"
    os.chdir(apply.state_dir(site))
    # A hub started in the background by a shell (`make run &`, nohup, some init scripts) inherits
    # SIGINT as ignored, and so would every service and server it starts: JupyterHub stops them
    # with SIGINT and then waits 10 s for each before it sends SIGTERM. Start from the defaults.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    # A Jupyter server whose stdin is a terminal answers SIGINT by asking "Shutdown this Jupyter
    # server?" and waiting, so every server and formgrader would again cost the hub 10 s to stop
    # when `make run` runs in a terminal. The hub reads nothing from stdin: give it none.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.execve(python, [str(python), "-m", "mnss_hub.hubapp", "--config", str(hub_config)], env)


def cmd_upgrade_db(args) -> int:
    """JupyterHub's database migrations on the site's hub database, with the hub stopped. The URL
    comes from the site config, never a command line, where every local account could read its
    password (`jupyterhub upgrade-db --db=URL`); a SQLite database is backed up beside itself first."""
    import logging

    from jupyterhub import dbutil

    from mnss_foundation.venv_tools import tools_on_path

    _, site = _load(args)
    tools_on_path()  # JupyterHub runs `alembic` by name
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    dbutil.upgrade_if_needed(apply.hub_db_url(site), log=logging.getLogger("mnss-hub"))
    print("OK: the hub database is at JupyterHub's current schema")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mnss-hub", description=__doc__)
    parser.add_argument(
        "--config", help="site config YAML (default: $MNSS_CONFIG, ./mnss.yaml, /etc/mnss/mnss.yaml, else built-in)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check-config", help="validate the site config and exit").set_defaults(func=cmd_check_config)
    upgrade = sub.add_parser("upgrade-db", help="run the hub database migrations (stop the hub first)")
    upgrade.set_defaults(func=cmd_upgrade_db)
    docs = sub.add_parser("config-docs", help="print the config reference as Markdown")
    docs.add_argument("--readme", metavar="FILE", help="write it into FILE's config-reference section instead")
    docs.set_defaults(func=cmd_config_docs)
    add = sub.add_parser("add-user", help="create an account with a one-time password")
    add.add_argument("name")
    add.set_defaults(func=cmd_add_user)
    reset = sub.add_parser("reset-password", help="give an account a new one-time password")
    reset.add_argument("name")
    reset.set_defaults(func=cmd_reset_password)
    for name, func, text in (
        ("disable-user", cmd_disable_user, "disable an account: its server stops and its tokens are revoked"),
        ("enable-user", cmd_enable_user, "enable a disabled account again"),
        ("remove-user", cmd_remove_user, "delete an account and its hub user (server, tokens, groups)"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("name")
        command.set_defaults(func=func)
    sso_cli.register(sub)
    sub.choices["sso"].set_defaults(func=cmd_sso)
    run = sub.add_parser("run", help="validate the config, create missing admins, start JupyterHub")
    run.add_argument(
        "--jupyterhub-config",
        help="path of jupyterhub_config.py (default: ./jupyterhub_config.py, else the checkout's or the installed one)",
    )
    run.set_defaults(func=cmd_run)
    people_cli.add_commands(sub, _load)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except siteconfig.ConfigError as err:
        print(f"mnss-hub: {err}", file=sys.stderr)
        return 2
    except (AccountError, LinkError) as err:
        print(f"mnss-hub: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
