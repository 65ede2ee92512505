"""Where people land after logging in (JupyterHub's `default_url`, a callable).

Learners land on the portal (/hub/portal) when courses are served: the catalog, their courses and
what to do next, each a click from the lab. Without courses, they go to their lab, started if
needed (JupyterHub's default). Admins come to manage the platform, and an admin lab would count
against `spawn.active_server_limit` for nothing: they land on the hub home page, where they can
start one if they want it (asking for a lab's URL, e.g. `?next=/user/admin/lab`, still starts it).
"""

from __future__ import annotations

from jupyterhub.utils import url_path_join

from .portal import SETTINGS as PORTAL_SETTINGS  # set by apply.apply_portal when courses are served


def after_login(handler) -> str:
    """The hub home page for an admin without a running server, the portal for a learner where
    there is one; '' (JupyterHub's default: the lab) otherwise."""
    user = handler.current_user
    if user is not None and user.admin and not user.spawner.active:
        return url_path_join(handler.hub.base_url, "home")
    if user is not None and PORTAL_SETTINGS in handler.settings:
        return url_path_join(handler.hub.base_url, "portal")
    return ""
