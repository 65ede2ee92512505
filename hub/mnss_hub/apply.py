"""Apply a validated site config to a traitlets config object.

Each function only sets traits from the site config: no I/O, no processes, so the mapping
from YAML to JupyterHub settings is testable on a plain `Config()`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from traitlets.config import Config

from .siteconfig import ConfigError

TEMPLATES = Path(__file__).parent / "templates"


def state_dir(site: dict) -> Path:
    return Path(site["hub"]["state_dir"])


def homes_dir(site: dict) -> Path:
    return Path(site["local"]["homes_dir"] or state_dir(site) / "homes")


def accounts_db(site: dict) -> Path:
    return state_dir(site) / "accounts.sqlite"


def public_url(site: dict) -> str:
    hub = site["hub"]
    return f"http://{hub['ip']}:{hub['port']}{hub['base_url']}"


def apply_hub(c: Config, site: dict) -> None:
    hub, state = site["hub"], state_dir(site)
    c.JupyterHub.bind_url = public_url(site)
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = hub["hub_port"]
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{hub['proxy_api_port']}"
    c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
    c.JupyterHub.db_url = hub["db_url"] or f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.JupyterHub.log_level = hub["log_level"]
    c.JupyterHub.template_paths = [str(TEMPLATES)]
    c.JupyterHub.template_vars = {
        "mnss_mode": site["mode"],
        "mnss_default_language": hub["default_language"],
    }


def apply_auth(c: Config, site: dict) -> None:
    auth = site["auth"]
    if auth["type"] == "password":
        c.JupyterHub.authenticator_class = "mnss-password"
        c.PasswordAuthenticator.accounts_db = str(accounts_db(site))
        c.PasswordAuthenticator.min_password_length = auth["min_password_length"]
        # Only invited accounts exist in the store, so every authenticated name is allowed.
        c.Authenticator.allow_all = True
    c.Authenticator.admin_users = set(site["hub"]["admin_users"])


def apply_spawn_limits(c: Config, site: dict) -> None:
    spawn = site["spawn"]
    c.JupyterHub.concurrent_spawn_limit = spawn["concurrent_spawn_limit"]
    c.JupyterHub.active_server_limit = spawn["active_server_limit"]
    c.Spawner.start_timeout = spawn["start_timeout"]
    c.Spawner.http_timeout = spawn["http_timeout"]
    c.Spawner.default_url = spawn["default_url"]


def apply_local_mode(c: Config, site: dict) -> None:
    c.JupyterHub.spawner_class = "mnss-local"
    c.LocalLabSpawner.homes_dir = str(homes_dir(site))
    c.LocalLabSpawner.default_language = site["hub"]["default_language"]
    c.LocalLabSpawner.cmd = [str(Path(sys.prefix) / "bin" / "jupyterhub-singleuser")]


def _mode_not_in_this_release(c: Config, site: dict) -> None:
    raise ConfigError(
        "(mode)",
        [f"mode: {site['mode']!r} is known to the schema but not provided by this release yet; use 'local'"],
    )


MODES = {"local": apply_local_mode, "docker": _mode_not_in_this_release, "swarm": _mode_not_in_this_release}


def apply_site_config(c: Config, site: dict) -> None:
    """Set every JupyterHub trait the site config decides."""
    apply_hub(c, site)
    apply_auth(c, site)
    apply_spawn_limits(c, site)
    MODES[site["mode"]](c, site)


def extra_config_files(site: dict) -> list[Path]:
    """The jupyterhub_config.d/*.py files to load after the site config, in name order."""
    folder = site["hub"]["extra_config_dir"]
    return sorted(Path(folder).glob("*.py")) if folder else []
