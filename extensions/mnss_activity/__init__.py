"""Learning-activity events from each learner's server to the recommender (a Jupyter Server extension).

Kernels record cell executions of course notebooks (see kernel.py); this extension records
'opened' from the server's own contents events and forwards the on-disk buffer to the service
given by $MNSS_RECOMMENDER_URL with $JUPYTERHUB_API_TOKEN. The learner is never named in an event:
the service takes identity from the token and stores a pseudonym. It also serves the API of the
"My courses / Next up" JupyterLab panel (panel.py, front end in extensions/mnss_panel).
"""

from __future__ import annotations

import os
from pathlib import Path

from tornado.ioloop import PeriodicCallback

from mnss_foundation import plugins
from mnss_foundation.server_settings import ServerSettings, SettingsError

from .buffer import EventBuffer
from .forwarder import flush
from .items import item_for

CONTENTS_SCHEMA = "https://events.jupyter.org/jupyter_server/contents_service/v1"
KERNEL_HOOK = "import mnss_activity.kernel as _mnss_activity\n_mnss_activity.register(get_ipython())\n"


def install_kernel_hook(home: Path) -> Path:
    """An IPython startup file, so every kernel of this user counts its cell executions."""
    path = home / ".ipython" / "profile_default" / "startup" / "00-mnss-activity.py"
    if not path.exists() or path.read_text() != KERNEL_HOOK:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(KERNEL_HOOK)
    return path


def _jupyter_server_extension_points():
    return [{"module": "mnss_activity"}]


def _load_jupyter_server_extension(serverapp):
    from . import busy
    from .panel import setup_handlers, tell_lab_about_portal
    from .save_open import setup_handlers as setup_save_handlers
    from .topology_open import setup_handlers as setup_topology_handlers

    busy.start(serverapp, float(os.environ.get("JUPYTERHUB_ACTIVITY_INTERVAL", "300")) / 2)
    setup_handlers(serverapp)  # the "My courses / Next up" panel's API; says so when recommendations are off
    setup_topology_handlers(serverapp)  # the portal's research cards and uploads open here
    setup_save_handlers(serverapp)  # the hub asks the open pages to save before the server stops
    tell_lab_about_portal(serverapp.web_app.settings, os.environ)
    try:
        settings = ServerSettings.from_env()
    except SettingsError as err:
        serverapp.log.error("mnss_activity: %s; activity is not recorded", err)
        return
    url, token = settings.recommender_api("events"), os.environ.get("JUPYTERHUB_API_TOKEN")
    if not url or not token:
        serverapp.log.info("mnss_activity: no recommender configured; activity is not recorded")
        return
    from .hooks import missing

    unregistered = missing()
    if unregistered:
        serverapp.log.error(
            "mnss_activity: no hook registered for %s, so those events are not recorded; %s",
            ", ".join(unregistered),
            plugins.REINSTALL,
        )
    buffer = EventBuffer()
    install_kernel_hook(Path.home())

    async def on_contents(logger, schema_id, data):
        item = item_for(data.get("path"))
        if data.get("action") == "get" and item:
            buffer.record(item, "opened")

    serverapp.event_logger.add_listener(schema_id=CONTENTS_SCHEMA, listener=on_contents)
    seconds = settings.activity_flush_seconds
    PeriodicCallback(lambda: flush(buffer, url, token), seconds * 1000).start()
    serverapp.log.info("mnss_activity: forwarding activity to %s every %g s", url, seconds)
