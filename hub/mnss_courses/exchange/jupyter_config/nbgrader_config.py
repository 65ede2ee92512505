"""nbgrader settings of MNSS Lab servers: move files through the MNSS exchange service.

The spawner adds this folder to $JUPYTER_CONFIG_PATH and sets $MNSS_EXCHANGE_URL; the token is
the server's own $JUPYTERHUB_API_TOKEN. A user's ~/.jupyter/nbgrader_config.py still wins, but
changing it cannot widen what the service lets that user do.
"""

from mnss_courses.exchange.client import configure

configure(get_config())  # noqa: F821 (provided by traitlets when it loads this file)
