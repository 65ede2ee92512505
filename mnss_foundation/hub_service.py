"""The start-up every hub service of the project shares (the exchange, the recommender): one
traitlets Application in the shape of jupyterhub-idle-culler, with `--generate-config`, a config
file loaded when it exists, the settings the hub passes as JUPYTERHUB_* variables as trait
defaults, and a stop on SIGTERM (a service manager) or SIGINT (how the hub stops services); and
the answer to the hub's health check at the service's own URL, logged quietly.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable
from urllib.parse import urlsplit

from tornado import web
from traitlets import Bool, Unicode, default
from traitlets.config import Application


class HubServiceApp(Application):
    """Base of a hub service; a subclass sets `default_service_url` and `default_service_prefix`
    (used when the hub did not set the variables, e.g. run by hand) and `default_config_file`."""

    default_service_url = "http://127.0.0.1:8000"
    default_service_prefix = "/"
    default_config_file = ""

    config_file = Unicode(help="Python config file to load if it exists (relative to the working directory).").tag(
        config=True
    )
    generate_config = Bool(False, help="Print a config file with every setting and its help, then exit.").tag(
        config=True
    )
    hub_api_url = Unicode(help="The hub's API URL; default $JUPYTERHUB_API_URL (set by the hub).").tag(config=True)
    api_token = Unicode(
        help="The service's own hub token, used to verify users' tokens and read course groups; "
        "default $JUPYTERHUB_API_TOKEN (set by the hub).",
    ).tag(config=True)
    service_url = Unicode(help="Where to listen; default $JUPYTERHUB_SERVICE_URL (set by the hub).").tag(config=True)
    service_prefix = Unicode(
        help="URL path prefix of every endpoint; default $JUPYTERHUB_SERVICE_PREFIX (set by the hub)."
    ).tag(config=True)

    @default("config_file")
    def _default_config_file(self):
        return self.default_config_file

    @default("hub_api_url")
    def _default_api_url(self):
        return os.environ.get("JUPYTERHUB_API_URL", "http://127.0.0.1:8081/hub/api")

    @default("api_token")
    def _default_token(self):
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    @default("service_url")
    def _default_url(self):
        return os.environ.get("JUPYTERHUB_SERVICE_URL", self.default_service_url)

    @default("service_prefix")
    def _default_prefix(self):
        return os.environ.get("JUPYTERHUB_SERVICE_PREFIX", self.default_service_prefix)

    def initialize(self, argv=None):
        super().initialize(argv)
        if self.generate_config:
            print(self.generate_config_file())
            self.exit(0)
        if self.config_file and os.path.isfile(self.config_file):
            self.load_config_file(self.config_file)

    def listen_address(self) -> tuple[str, int]:
        """(host, port) of `service_url`: loopback, or the user network's address in docker mode."""
        url = urlsplit(self.service_url)
        return url.hostname or "127.0.0.1", url.port or 80

    async def until_stopped(self) -> None:
        """Return once SIGTERM or SIGINT arrives (no KeyboardInterrupt traceback in the hub's log)."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        self.log.info("%s stopped", self.name)


class HealthHandler(web.RequestHandler):
    """The service's own URL, which the hub asks every `service_check_interval` (no token): it
    says only "up", so the check neither fails nor logs a 404."""

    def initialize(self, service: str):
        self.service = service

    def get(self):
        self.set_header("Cache-Control", "no-store")
        self.finish({"service": self.service, "status": "ok"})


def health_route(prefix: str, service: str) -> tuple[str, type, dict]:
    """The tornado route of the health check: the service prefix, with or without its slash."""
    return (prefix.rstrip("/") + "/?", HealthHandler, {"service": service})


def log_level(handler: web.RequestHandler, log: logging.Logger) -> Callable[..., None]:
    """The method of `log` a finished request is logged with: the hub's health check at debug (it
    comes every minute), other answers at info, refusals (4xx) at warning, failures (5xx) at error."""
    status = handler.get_status()
    if status < 400:
        return log.debug if isinstance(handler, HealthHandler) else log.info
    return log.warning if status < 500 else log.error
