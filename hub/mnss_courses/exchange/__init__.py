"""The MNSS course exchange: an nbgrader exchange that is a JupyterHub service, not a shared folder.

`service` is the hub-managed HTTP service that keeps every file; `client` holds the nbgrader
exchange plugin classes that users' servers use to talk to it. This module only names the
constants both sides and the hub wiring share, so importing it costs nothing.
"""

from pathlib import Path

from mnss_foundation.server_settings import ENV

SERVICE_NAME = "mnss-exchange"
# Set by the spawner in every server (ServerSettings.exchange_url): the exchange's base URL (ends with '/').
URL_ENV = ENV["exchange_url"]
# Folder holding the nbgrader_config.py that selects the client classes; the spawner puts it on
# $JUPYTER_CONFIG_PATH, so nothing is written into the environment's etc/jupyter.
CLIENT_CONFIG_DIR = Path(__file__).parent / "jupyter_config"
