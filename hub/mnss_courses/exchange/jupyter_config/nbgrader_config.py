"""nbgrader settings of MNSS Lab servers: move files through the MNSS exchange service, and
autograde with each submission's kernel in a sandbox (`mnss_courses.sandboxed_execute`).

The spawner adds this folder to $JUPYTER_CONFIG_PATH and sets $MNSS_EXCHANGE_URL; the token is
the server's own $JUPYTERHUB_API_TOKEN. A user's ~/.jupyter/nbgrader_config.py still wins, but
changing it cannot widen what the service lets that user do. The sandbox switches to a transient
uid, so it needs a server running as root (local mode); elsewhere autograde keeps nbgrader's own
execution.
"""

import os

from mnss_courses.exchange.client import configure

configure(get_config())  # noqa: F821 (provided by traitlets when it loads this file)
# Fetched work goes to ./<course>/<assignment>/ (nbgrader's layout for several courses): the same
# assignment name in two courses cannot collide, and learning events name the course.
get_config().Exchange.path_includes_course = True  # noqa: F821
if os.geteuid() == 0:
    from mnss_courses.sandboxed_execute import configure as sandboxed

    sandboxed(get_config())  # noqa: F821
