"""JupyterHub as `mnss-hub run` starts it: stock JupyterHub with a clean stop.

On SIGTERM, JupyterHub stops its services first but leaves its periodic service health check
running; a check that runs after a service is gone fails with an AttributeError traceback in
the log (JupyterHub 5/6). Stopping the periodic callbacks before the clean-up avoids that.
"""

from __future__ import annotations

from jupyterhub import app


class JupyterHub(app.JupyterHub):
    """JupyterHub whose shutdown stops its periodic checks before services and servers go.

    Same class name as the stock one, so log lines and `c.JupyterHub` settings read the same."""

    async def cleanup(self):
        for callback in getattr(self, "_periodic_callbacks", {}).values():
            callback.stop()
        await super().cleanup()


main = JupyterHub.launch_instance

if __name__ == "__main__":
    main()
